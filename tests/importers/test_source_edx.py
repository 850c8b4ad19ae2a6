"""Open edX course discovery: owner filter, runs with seats, programs, OAuth2 extraction."""

import pytest

from catalog.models import LearningResource, ResourceRelationship
from importers.errors import ImportFetchError, TransformError
from importers.registry import get_source
from importers.runner import run_import
from importers.transports.http import HttpClient, clear_token_cache

from .fixtures import FIXTURES, by_id, snapshot_of, snapshot_with, transform

SOURCE = "edx"


def test_transform_fixture_keeps_only_the_owners_asked_for():
    records, source = transform(SOURCE, snapshot_of(SOURCE, FIXTURES / "edx"), owners=["MITx"])
    assert [r["source_id"] for r in records] == ["MITx+18.06x", "MITx+6.036x", "MITx+18.03x", "p-math"]
    assert source.warnings == ["2 courses or programs skipped: their owners are not in ['MITx']"]
    items = by_id(records)
    linear = items["MITx+18.06x"]
    assert linear["offered_by"] == {"code": "mitx", "name": "MITx"}
    assert linear["platform"] == {"code": "edx", "name": "edX"}
    assert linear["level"] == "advanced"
    assert linear["topics"] == ["Math", "Engineering"]
    assert linear["instructors"] == ["Gilbert Strang"]
    assert linear["image_alt"] == "A matrix"
    assert linear["free"] is True and linear["certification_type"] == "completion"
    # Prices of published runs only: the unpublished 2019 run's 49.00 is left out.
    assert linear["prices"] == [
        {"amount": "99.00", "currency": "USD", "label": "Verified"},
        {"amount": "0.00", "currency": "USD", "label": "Audit"},
    ]
    assert [run["published"] for run in linear["runs"]] == [True, False]
    assert linear["duration"] == "10 weeks" and linear["time_commitment"] == "4-6 hours/week"
    professional = items["MITx+6.036x"]
    assert professional["certification_type"] == "professional"
    assert professional["prices"] == [{"amount": "1200.00", "currency": "EUR", "label": "Professional"}]
    assert professional["free"] is False and professional["pace"] == "instructor_paced"
    program = items["p-math"]
    assert program["children"] == [
        {"resource_type": "course", "source_id": "MITx+18.03x"},
        {"resource_type": "course", "source_id": "MITx+18.06x"},
    ]
    assert program["certification_type"] == "professional"  # XSeries
    assert program["prices"] == [{"amount": "198.00", "currency": "USD", "label": "Program"}]


def test_no_owner_filter_imports_every_institution():
    records, source = transform(SOURCE, snapshot_of(SOURCE, FIXTURES / "edx"), owners=[])
    items = by_id(records)
    assert items["HarvardX+CS50x"]["offered_by"] == {"code": "harvardx", "name": "Harvard University"}
    assert items["p-harvard"]["children"] == [{"resource_type": "course", "source_id": "HarvardX+CS50x"}]
    assert not source.warnings


def test_transform_realdata(realdata):
    records, source = transform(SOURCE, snapshot_of(SOURCE, realdata / "edx_catalog"), owners=["MITx"])
    items = by_id(records)
    edge = items["MITx+15.071x"]
    assert edge["title"] == "The Analytics Edge"
    assert edge["runs"][0]["run_id"] == "course-v1:MITx+15.071x+1T2019"
    assert edge["runs"][0]["start_date"] == "2019-02-20T15:00:00+00:00"
    assert edge["prices"] == [
        {"amount": "150.00", "currency": "USD", "label": "Verified"},
        {"amount": "0.00", "currency": "USD", "label": "Audit"},
    ]
    assert edge["instructors"] == ["Dimitris Bertsimas", "Allison O'Hair"]
    assert edge["level"] == "intermediate"
    # Its course-level marketing URL points at localhost; the run's edX page is used instead.
    assert edge["url"] == "https://www.edx.org/course/the-analytics-edge"
    assert items["MITx+8.370.3x_review"]["published"] is False  # only an unpublished, hidden run
    circuits = items["927093e3-46ba-4f44-a861-0f8c7aec4f74"]
    assert circuits["title"] == "Circuits and Electronics"
    assert [c["source_id"] for c in circuits["children"]] == ["MITx+6.002.1x", "MITx+6.002.2x", "MITx+6.002.3x"]
    assert "MITx+6.002.1x" in items  # imported from the program's nested copy
    # Indiana and Delft programs and the OCW-owned OLL course are filtered out.
    assert not any(r["title"] in ("Accounting", "Water Management", "Linear Algebra") for r in records)


@pytest.mark.parametrize(
    "content, message",
    [
        (b'{"next": null, "results": [', "invalid JSON"),
        (b"<!doctype html><title>Login</title>", "HTML page"),
        (b'{"detail": "Authentication credentials were not provided."}', "unexpected JSON shape"),
        (b'{"results": [{"name": "x"}]}', "wrong schema"),
        (b'{"next": null, "results": []}', "empty result"),
    ],
)
def test_bad_documents(content, message):
    with pytest.raises(TransformError) as error:
        list(get_source(SOURCE).transform(snapshot_with(SOURCE, ("courses-0001.json", content))))
    assert message.lower() in str(error.value).lower() and "courses-0001.json" in str(error.value)


@pytest.fixture
def discovery(httpserver, allow_local_http):
    clear_token_cache()
    httpserver.expect_request(
        "/oauth2/access_token", method="POST", data="grant_type=client_credentials&client_id=id&client_secret=secret"
    ).respond_with_json({"access_token": "tok-123", "expires_in": 3600})
    yield httpserver
    clear_token_cache()


def test_extract_uses_oauth2_and_follows_pages(discovery):
    auth = {"Authorization": "JWT tok-123"}
    page2 = discovery.url_for("/api/v1/courses/") + "?page=2"
    discovery.expect_request("/api/v1/courses/", query_string="page=2", headers=auth).respond_with_json(
        {"next": None, "results": [{"key": "MITx+2", "title": "Two"}]}
    )
    discovery.expect_request("/api/v1/courses/", headers=auth).respond_with_json(
        {"next": page2, "results": [{"key": "MITx+1", "title": "One"}]}
    )
    discovery.expect_request("/api/v1/programs/", headers=auth).respond_with_json({"next": None, "results": []})
    source = get_source(
        SOURCE,
        {
            "courses_url": discovery.url_for("/api/v1/courses/"),
            "programs_url": discovery.url_for("/api/v1/programs/"),
            "token_url": discovery.url_for("/oauth2/access_token"),
            "client_id": "id",
            "client_secret": "secret",
            "auth_scheme": "JWT",
        },
    )
    with HttpClient() as http:
        documents = list(source.extract(http))
    assert [d.name for d in documents] == ["courses-0001.json", "courses-0002.json", "programs-0001.json"]


def test_extract_refused_token_is_a_fetch_error(httpserver, allow_local_http):
    clear_token_cache()
    httpserver.expect_request("/oauth2/access_token", method="POST").respond_with_json({"error": "invalid_client"}, 401)
    source = get_source(
        SOURCE,
        {"token_url": httpserver.url_for("/oauth2/access_token"), "client_id": "id", "client_secret": "bad"},
    )
    with HttpClient(retries=0) as http, pytest.raises(ImportFetchError) as error:
        list(source.extract(http))
    assert "401" in str(error.value) and "/oauth2/access_token" in str(error.value)


@pytest.mark.django_db
def test_realdata_loads_end_to_end(realdata):
    run = run_import(SOURCE, file=str(realdata / "edx_catalog"))
    assert run.status == "succeeded", run.message
    assert run.created == 6
    program = LearningResource.objects.get(source=SOURCE, source_id="927093e3-46ba-4f44-a861-0f8c7aec4f74")
    links = ResourceRelationship.objects.filter(parent=program).order_by("position")
    assert [link.child.source_id for link in links] == ["MITx+6.002.1x", "MITx+6.002.2x", "MITx+6.002.3x"]
    edge = LearningResource.objects.get(source=SOURCE, source_id="MITx+15.071x")
    assert edge.offered_by.code == "mitx" and edge.platform.code == "edx"
    assert str(edge.min_price) == "0.00" and str(edge.max_price) == "150.00"
