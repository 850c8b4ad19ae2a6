"""MIT Climate Portal articles: the portal's JSON feeds → article resources with topics and offeror."""

import pytest

from catalog.models import LearningResource
from importers.errors import ImportFetchError, TransformError
from importers.registry import get_source
from importers.runner import run_import
from importers.transports.http import HttpClient

from .fixtures import FIXTURES, assert_valid, by_id, snapshot_of, snapshot_with

SOURCE = "mit_climate"


def transform(source, snapshot, **config):
    """(records, source): the articles validated against the record schema; rejected items passed through."""
    instance = get_source(source, config or None)
    records = list(instance.transform(snapshot))
    assert_valid([r for r in records if isinstance(r, dict)])
    return records, instance


CARBON = "6a1c7d2e-0001-4f3a-9d1e-explainer01"
NUCLEAR = "6a1c7d2e-0101-4f3a-9d1e-askmitclim01"


def test_transform_fixture():
    records, source = transform(
        SOURCE, snapshot_of(SOURCE, FIXTURES / "mit_climate"), base_url="https://climate.mit.edu"
    )
    articles = by_id([r for r in records if isinstance(r, dict)])
    assert set(articles) == {CARBON, "6a1c7d2e-0002-4f3a-9d1e-explainer02", NUCLEAR}  # listed twice, loaded once
    carbon = articles[CARBON]
    assert carbon["resource_type"] == "article"
    assert carbon["title"] == "Carbon Capture & Storage"
    assert carbon["url"] == "https://climate.mit.edu/explainers/carbon-capture"
    assert carbon["topics"] == ["Climate > Climate Modeling", "Climate > Energy & Policy"]  # URL-decoded
    assert carbon["offered_by"] == {"code": "climate", "name": "MIT Climate Portal"}
    assert carbon["description"] == "<p>Carbon capture keeps CO<sub>2</sub> from power plants out of the air.</p>"
    assert "Updated after new field trials." in carbon["full_description"]
    assert "By the MIT Climate Portal team" in carbon["full_description"]
    assert carbon["published_at"] == "2023-10-01T16:00:00+00:00"  # noon in Boston, no zone given
    assert articles["6a1c7d2e-0002-4f3a-9d1e-explainer02"]["published_at"] == "2024-02-15T09:30:00+00:00"
    assert carbon["free"] is True and carbon["published"] is True
    assert source.warnings == []


def test_items_missing_a_url_or_uuid_are_reported_one_by_one():
    records, _ = transform(SOURCE, snapshot_of(SOURCE, FIXTURES / "mit_climate"))
    rejected = [r.errors[0] for r in records if not isinstance(r, dict)]
    assert [(e.source_id, e.field) for e in rejected] == [
        ("6a1c7d2e-0003-4f3a-9d1e-explainer03", "url"),
        ("feed-1.json item 3", "uuid"),
    ]
    assert "the article has no URL" in rejected[0].message


@pytest.mark.parametrize(
    "content, message",
    [
        (b"<html><body>Maintenance</body></html>", "HTML page"),
        (b'{"detail": "not found"}', "unexpected JSON shape"),
        (b'[{"nid": 1, "name": "x"}]', "wrong schema"),
        (b"[]", "empty result"),
    ],
)
def test_bad_documents(content, message):
    with pytest.raises(TransformError) as error:
        list(get_source(SOURCE).transform(snapshot_with(SOURCE, ("feed-1.json", content))))
    assert message.lower() in str(error.value).lower() and "feed-1.json" in str(error.value)


@pytest.mark.django_db
def test_runs_end_to_end_with_errors_on_the_run():
    run = run_import(SOURCE, file=str(FIXTURES / "mit_climate"), trigger="cli")
    assert run.status == "succeeded", run.message
    assert run.created == 3 and run.failed == 2
    assert {e["field"] for e in run.errors} == {"url", "uuid"}
    article = LearningResource.objects.get(source=SOURCE, source_id=NUCLEAR)
    assert article.resource_type == "article" and article.offered_by.name == "MIT Climate Portal"
    assert sorted(t.name for t in article.topics.all()) == ["Energy & Policy", "Nuclear"]
    assert article.topics.first().parent.name == "Climate"


def test_extract_fetches_each_feed(httpserver, allow_local_http):
    httpserver.expect_request("/api/explainers").respond_with_json([{"uuid": "a", "title": "A", "url": "/a"}])
    httpserver.expect_request("/api/ask").respond_with_json([])
    source = get_source(SOURCE, {"feed_urls": [httpserver.url_for("/api/explainers"), httpserver.url_for("/api/ask")]})
    with HttpClient() as http:
        documents = list(source.extract(http))
    assert [d.name for d in documents] == ["feed-1.json", "feed-2.json"]


def test_extract_unconfigured_says_what_to_set():
    with HttpClient() as http, pytest.raises(ImportFetchError) as error:
        list(get_source(SOURCE, {"feed_urls": []}).extract(http))
    assert "MIT_CLIMATE_FEED_URLS" in str(error.value)
