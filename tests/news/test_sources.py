"""News sources: RSS/Atom (feedparser), MIT Professional Education JSON, Open Learning JSON:API — transforms on
real samples and own fixtures, and whole runs against a local HTTP server."""

import datetime
import json

import pytest

from importers.errors import TransformError
from importers.models import ImportRun
from importers.registry import get_source, is_registered
from importers.runner import run_import
from importers.sources.mitpe_news import parse_times
from news.factories import FeedItemFactory, FeedSourceFactory
from news.loader import load_feed_items
from news.models import FeedItem

from .feeds_fixtures import ATOM, EMPTY_RSS, MALFORMED_RSS, RSS


def test_rss_transform_reads_items_dates_authors_and_images(snapshot_of):
    source = get_source("ol_news")
    items = list(source.transform(snapshot_of("ol_news", {"feed.xml": RSS})))
    first = items[0]
    assert first["guid"] == "urn:example:1"
    assert first["title"] == "First & foremost"
    assert first["author"] == "Ana Writer"
    assert first["published_at"] == "2026-11-02T14:30:00+00:00"  # UTC
    assert first["date_estimated"] is False
    assert first["categories"] == ["Machine Learning"]
    assert first["image_url"] == "https://news.example.org/img/pic.jpg"
    assert 'href="/2026/related"' in first["content"]  # resolved against the item's link by the loader
    second = items[1]
    assert second["date_estimated"] is True
    assert second["published_at"] == "2026-11-01T08:00:00+00:00"  # the fetch time
    assert any("unreadable date 'yesterday-ish'" in w for w in source.warnings)


def test_atom_transform(snapshot_of):
    items = list(get_source("ol_news").transform(snapshot_of("ol_news", {"feed.xml": ATOM})))
    assert items[0]["link"] == "https://atom.example.org/entries/1"
    assert items[0]["published_at"] == "2026-11-02T09:00:00+00:00"
    assert items[0]["author"] == "Bo Author"


def test_malformed_xml_keeps_what_is_recovered_with_a_warning(snapshot_of):
    source = get_source("ol_news")
    items = list(source.transform(snapshot_of("ol_news", {"feed.xml": MALFORMED_RSS})))
    assert [i["guid"] for i in items][:1] == ["b1"]
    assert any("malformed" in warning for warning in source.warnings)


def test_not_a_feed_is_a_transform_error(snapshot_of):
    with pytest.raises(TransformError, match="expected RSS/Atom, got binary data"):
        list(get_source("ol_news").transform(snapshot_of("ol_news", {"feed.xml": b"\x00\x01 binary junk"})))


@pytest.mark.realdata
@pytest.mark.parametrize(
    ("path", "count"),
    [
        ("news_events/medium_mit_news.rss", 3),
        ("rss_atom/guardian_us.rss", 55),
        ("rss_atom/heise_developer.atom", 15),
    ],
)
def test_real_feeds_transform(realdata, snapshot_of, path, count):
    source = get_source("ol_news")
    items = list(source.transform(snapshot_of("ol_news", {"feed.xml": realdata / path})))
    assert len(items) == count
    assert all(item["title"] and item["link"].startswith("http") for item in items)
    assert all(not item["date_estimated"] for item in items)
    assert source.warnings == []  # Medium's leading blank line is tolerated


@pytest.mark.realdata
@pytest.mark.django_db
def test_real_medium_feed_loads_sanitised(realdata, snapshot_of):
    source = get_source("ol_news")
    items = source.transform(snapshot_of("ol_news", {"feed.xml": realdata / "news_events/medium_mit_news.rss"}))
    result = load_feed_items("ol_news", items)
    assert result.created == 3 and result.failed == 0
    rows = list(FeedItem.objects.all())
    for row in rows:
        assert "<script" not in row.content and "<iframe" not in row.content
    # Each post's lead image is the item's image (shown once, not repeated in the body: tests/news/test_feed_html.py).
    assert sum(row.image_url.startswith("https://cdn-images-1.medium.com/") for row in rows) == 2


@pytest.mark.realdata
def test_real_mitpe_news(realdata, snapshot_of):
    items = list(
        get_source("mitpe_news").transform(
            snapshot_of("mitpe_news", {"page-0000.json": realdata / "news_events/mitpe_news.json"})
        )
    )
    assert len(items) == 4
    assert items[0]["title"] == "Powering Product Innovation: Q&A with MIT's Erdin Beshimov"
    assert items[0]["link"] == (
        "https://professional.mit.edu/news/articles/powering-product-innovation-qa-mits-erdin-beshimov"
    )
    assert items[0]["image_url"].startswith("https://professional.mit.edu/sites/default/files/")
    assert items[0]["published_at"].startswith("2020-12-04T00:00:00")


@pytest.mark.realdata
def test_real_mitpe_events(realdata, snapshot_of):
    items = list(
        get_source("mitpe_events").transform(
            snapshot_of("mitpe_events", {"page-0000.json": realdata / "news_events/mitpe_events.json"})
        )
    )
    assert len(items) == 6
    emtech = items[0]
    assert emtech["item_type"] == "event"
    start = datetime.datetime.fromisoformat(emtech["starts_at"]).astimezone(datetime.UTC)
    assert start == datetime.datetime(2023, 11, 14, 14, 0, tzinfo=datetime.UTC)  # 9 AM Eastern
    by_title = {item["title"]: item for item in items}
    assert (
        by_title["Professor Ramesh Raskar speaks at NextMed Health 2023 on decentralized AI for health"]["location"]
        == "Hotel Del Coronado"
    )
    assert by_title["OnDemand Open House: Professional Certificate Program Design & Manufacturing"]["online"] is True


@pytest.mark.realdata
def test_real_ol_events(realdata, snapshot_of):
    items = list(
        get_source("ol_events").transform(
            snapshot_of("ol_events", {"page-0001.json": realdata / "news_events/ol_events_jsonapi.json"})
        )
    )
    assert len(items) == 1
    event = items[0]
    assert event["link"] == (
        "https://openlearning.mit.edu/events/inside-mitx-micromastersr-program-data-economics-and-design-policy-dedp"
    )
    assert event["starts_at"] == "2124-04-30T11:00:00-04:00"
    assert event["online"] is True
    assert event["registration_url"].startswith("https://mit.zoom.us/")
    assert "<p>" in event["content"]


def test_mitpe_wrong_schema_is_a_transform_error(snapshot_of):
    with pytest.raises(TransformError, match="wrong schema"):
        list(get_source("mitpe_events").transform(snapshot_of("mitpe_events", {"page-0000.json": b'[{"foo": 1}]'})))


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("9:00 AM - 5:00 PM", (9, 0), (17, 0)),
        ("12:00- 1:00 PM EDT", (12, 0), (13, 0)),
        ("11 - 1 PM", (11, 0), (13, 0)),
        ("Available On Demand", None, None),
        ("Hotel Del Coronado", None, None),
    ],
)
def test_parse_times(text, start, end):
    got_start, got_end = parse_times(text)
    assert (got_start and (got_start.hour, got_start.minute)) == (start or None)
    assert (got_end and (got_end.hour, got_end.minute)) == (end or None)


# --- whole runs over HTTP ---------------------------------------------------------------------------------


@pytest.fixture
def configured_feed(db, allow_local_http, httpserver):
    row = FeedSourceFactory(source_name="local-feed", name="Local feed", url=httpserver.url_for("/feed.xml"))
    assert is_registered("local-feed")
    return row


def test_configured_feed_imports_through_the_runner(configured_feed, httpserver):
    httpserver.expect_request("/feed.xml").respond_with_data(RSS, content_type="application/rss+xml")
    run = run_import("local-feed")
    assert run.status == ImportRun.Status.SUCCEEDED, run.message
    assert run.created == 2
    assert FeedItem.objects.filter(source="local-feed").count() == 2
    assert any("unreadable date" in warning for warning in run.warnings)
    first = FeedItem.objects.get(guid="urn:example:1")
    assert 'href="https://news.example.org/2026/related"' in first.content
    # The body's first image is the item's image: resolved, and shown once (news.feed_html drops the repeat).
    assert first.image_url == "https://news.example.org/img/pic.jpg" and "pic.jpg" not in first.content
    assert FeedItem.objects.get(guid="urn:example:2").date_estimated is True


def test_malformed_feed_run_succeeds_with_a_warning(configured_feed, httpserver):
    httpserver.expect_request("/feed.xml").respond_with_data(MALFORMED_RSS, content_type="application/rss+xml")
    run = run_import("local-feed")
    assert run.status == ImportRun.Status.SUCCEEDED, run.message
    assert run.created >= 1
    assert any("malformed" in warning for warning in run.warnings)


def test_empty_feed_deletes_nothing(configured_feed, httpserver):
    FeedItemFactory.create_batch(3, source="local-feed")
    httpserver.expect_request("/feed.xml").respond_with_data(EMPTY_RSS, content_type="application/rss+xml")
    run = run_import("local-feed")
    assert run.status == ImportRun.Status.SUCCEEDED, run.message
    assert FeedItem.objects.filter(source="local-feed").count() == 3


def test_unreachable_feed_fails_the_run_and_keeps_items(configured_feed, httpserver):
    FeedItemFactory.create_batch(2, source="local-feed")
    httpserver.expect_request("/feed.xml").respond_with_data("down", status=503)
    run = run_import("local-feed")
    assert run.status == ImportRun.Status.FAILED
    assert "503" in run.message and "/feed.xml" in run.message
    assert FeedItem.objects.filter(source="local-feed").count() == 2


def test_feed_edits_apply_to_the_next_run(configured_feed, httpserver):
    httpserver.expect_request("/other.xml").respond_with_data(ATOM, content_type="application/atom+xml")
    configured_feed.url = httpserver.url_for("/other.xml")
    configured_feed.default_topics = "Engineering"
    configured_feed.save()
    assert get_source("local-feed").config["url"].endswith("/other.xml")
    run = run_import("local-feed")
    assert run.status == ImportRun.Status.SUCCEEDED, run.message
    assert FeedItem.objects.get(source="local-feed").guid == "urn:atom:1"


def test_mitpe_pages_until_empty(db, allow_local_http, httpserver, settings):
    settings.MITPE_API_URL = httpserver.url_for("/")
    page0 = [{"id": "n1", "title": "One", "date": "2026-01-02", "url": "/news/one", "summary": "", "image": ""}]
    httpserver.expect_request("/feeds/news/", query_string="page=0").respond_with_json(page0)
    httpserver.expect_request("/feeds/news/", query_string="page=1").respond_with_json([])
    run = run_import("mitpe_news")
    assert run.status == ImportRun.Status.SUCCEEDED, run.message
    assert FeedItem.objects.get(source="mitpe_news").link == "https://professional.mit.edu/news/one"


def test_ol_events_follow_next_links(db, allow_local_http, httpserver, settings):
    def page(node_id, next_href=None):
        body = {
            "data": [
                {
                    "type": "node--event",
                    "id": node_id,
                    "attributes": {
                        "status": True,
                        "title": f"Event {node_id}",
                        "created": "2026-01-01T00:00:00+00:00",
                        "path": {"alias": f"/events/{node_id}"},
                        "body": {"processed": "<p>Come</p>", "summary": ""},
                        "field_event_date": {"value": "2030-01-01T10:00:00-05:00", "end_value": None},
                        "field_location_address": None,
                        "field_event_location": None,
                    },
                }
            ],
            "links": {"self": {"href": "https://openlearning.mit.edu/jsonapi/node/event"}},
        }
        if next_href:
            body["links"]["next"] = {"href": next_href}
        return json.dumps(body)

    settings.OL_EVENTS_URL = httpserver.url_for("/jsonapi/node/event")
    httpserver.expect_request("/jsonapi/node/event", query_string="").respond_with_data(
        page("a", httpserver.url_for("/jsonapi/node/event?page%5Boffset%5D=50")), content_type="application/json"
    )
    httpserver.expect_request("/jsonapi/node/event", query_string="page%5Boffset%5D=50").respond_with_data(
        page("b"), content_type="application/json"
    )
    run = run_import("ol_events")
    assert run.status == ImportRun.Status.SUCCEEDED, run.message
    assert set(FeedItem.objects.filter(source="ol_events").values_list("guid", flat=True)) == {"a", "b"}


@pytest.mark.realdata
@pytest.mark.django_db
def test_real_mitpe_events_all_load(realdata, snapshot_of):
    source = get_source("mitpe_events")
    snapshot = snapshot_of("mitpe_events", {"page-0000.json": realdata / "news_events/mitpe_events.json"})
    result = load_feed_items("mitpe_events", source.transform(snapshot))
    # EmTech and EmTech II share a page: different events all the same.
    assert (result.created, result.failed) == (6, 0)
    assert FeedItem.objects.upcoming().count() == 0  # every sample event is over


def test_a_feed_configured_in_another_process_is_found_by_name(configured_feed, httpserver):
    """`manage.py import <feed>` in a fresh process: the registry asks the news app for configured feeds."""
    from importers.registry import unregister

    unregister("local-feed")
    httpserver.expect_request("/feed.xml").respond_with_data(RSS, content_type="application/rss+xml")
    assert run_import("local-feed").status == ImportRun.Status.SUCCEEDED


def test_loader_warnings_reach_the_run(configured_feed, httpserver):
    first_item = RSS.split(b"<item>", 1)[1].split(b"</item>", 1)[0]
    duplicated = RSS.replace(b"</channel>", b"<item>" + first_item + b"</item></channel>", 1)
    httpserver.expect_request("/feed.xml").respond_with_data(duplicated, content_type="application/rss+xml")
    run = run_import("local-feed")
    assert run.status == ImportRun.Status.SUCCEEDED, run.message
    assert any("collapsed into one" in warning for warning in run.warnings)
