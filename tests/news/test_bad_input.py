"""Bad input stops at the door for news (issue 12): control characters and size limits in feed items, a mixed
snapshot loads its valid items and reports each bad one with its field, a non-feed document fails the run, and the
news loader's unpublish guard (review, true dry-run counts, per-batch transactions)."""

import json

import pytest

from catalog.schemas import RejectedRecord
from importers.errors import TransformError
from importers.models import ImportRun
from importers.registry import get_source
from importers.runner import run_import
from news.loader import load_feed_items
from news.models import FeedItem

pytestmark = pytest.mark.django_db


def item(n, **values):
    return {
        "guid": f"guid-{n}",
        "title": f"Item {n}",
        "link": f"https://example.org/news/{n}",
        "published_at": f"2025-01-{n % 28 + 1:02d}T12:00:00+00:00",
        **values,
    }


def fields(result):
    return {(error.source_id, error.field): error.message for error in result.errors}


def test_control_characters_are_removed_from_feed_items():
    result = load_feed_items("feed", [item(1, title="Nul\x00 title\x07", summary="<p>a\x00b\tc</p>", author="A\x1fB")])
    assert result.created == 1
    row = FeedItem.objects.get()
    assert (row.title, row.author) == ("Nul title", "AB")
    assert "ab\tc" in row.summary


def test_over_long_summary_and_content_are_field_errors(settings):
    settings.IMPORT_MAX_DESCRIPTION_CHARS = 100
    settings.IMPORT_MAX_BODY_CHARS = 200
    records = [item(1), item(2, summary="s" * 101), item(3, content="c" * 201), item(4)]
    result = load_feed_items("feed", records)
    assert (result.created, result.failed) == (2, 2)
    errors = fields(result)
    assert "over the limit of 100 (IMPORT_MAX_DESCRIPTION_CHARS)" in errors[("guid-2", "summary")]
    assert "over the limit of 200 (IMPORT_MAX_BODY_CHARS)" in errors[("guid-3", "content")]
    assert set(FeedItem.objects.values_list("guid", flat=True)) == {"guid-1", "guid-4"}


def test_a_date_out_of_range_is_reported_and_the_other_items_load():
    # It used to raise OverflowError out of validation and fail the whole feed.
    result = load_feed_items("feed", [item(1), item(2, published_at="0001-01-01T00:00:00+05:00"), item(3)])
    assert (result.created, result.failed) == (2, 1)
    assert "out of range" in fields(result)[("guid-2", "published_at")]


MIXED_EVENTS = [
    {"id": "e1", "title": "Good one", "start_date": "2026-03-01", "time_range": "9:00 AM - 5:00 PM", "url": "/e/1"},
    {"id": "e2", "start_date": "2026-03-02", "url": "/e/2"},  # no title
    {"id": "e3", "title": "Bad date", "start_date": "2026-13-45", "url": "/e/3"},
    {"id": "e4", "title": "Good too", "start_date": "2026-03-04", "url": "/e/4"},
]


def test_a_mixed_events_snapshot_loads_the_valid_events_and_reports_each_bad_one_with_its_field():
    run = run_import("mitpe_events", content=json.dumps(MIXED_EVENTS).encode(), document_name="page-0000.json")
    assert run.status == ImportRun.Status.SUCCEEDED, run.message
    assert (run.created, run.failed) == (2, 2)
    reported = {(error["source_id"], error["field"]) for error in run.errors}
    assert reported == {("e2", "title"), ("e3", "start_date")}
    assert any("2026-13-45" in error["message"] for error in run.errors)
    assert set(FeedItem.objects.values_list("guid", flat=True)) == {"e1", "e4"}


def test_a_real_events_page_with_two_broken_items(realdata):
    events = json.loads((realdata / "news_events" / "mitpe_events.json").read_bytes())
    del events[0]["title"]
    events[1]["start_date"] = "not a date"
    run = run_import("mitpe_events", content=json.dumps(events).encode(), document_name="page-0000.json")
    assert run.status == ImportRun.Status.SUCCEEDED, run.message
    assert run.created == len(events) - 2 and run.failed == 2
    assert {error["field"] for error in run.errors} == {"title", "start_date"}
    assert {error["source_id"] for error in run.errors} == {events[0]["id"], events[1]["id"]}


def test_an_events_document_of_another_shape_still_fails_the_run():
    run = run_import("mitpe_events", content=b'[{"foo": 1}, {"bar": 2}]', document_name="page-0000.json")
    assert run.status == ImportRun.Status.FAILED and "wrong schema" in run.message


def test_a_news_item_without_a_title_does_not_reject_its_page(snapshot_of):
    page = json.dumps([{"id": 1, "url": "/n/1"}, {"id": 2, "title": "Fine", "url": "/n/2", "date": "2025-01-01"}])
    items = list(get_source("mitpe_news").transform(snapshot_of("mitpe_news", {"page-0000.json": page.encode()})))
    assert isinstance(items[0], RejectedRecord) and items[0].errors[0].field == "title"
    assert items[1]["title"] == "Fine"


def test_ol_events_entry_without_attributes_or_date_is_its_own_error(snapshot_of):
    body = {
        "data": [
            {"id": "x1"},
            {"id": "x2", "attributes": {"title": "No date"}},
            {"id": "x3", "attributes": {"title": "Fine", "field_event_date": {"value": "2026-05-01T10:00:00+00:00"}}},
        ]
    }
    items = list(
        get_source("ol_events").transform(snapshot_of("ol_events", {"page-0001.json": json.dumps(body).encode()}))
    )
    rejected = [(i.errors[0].source_id, i.errors[0].field) for i in items if isinstance(i, RejectedRecord)]
    assert rejected == [("x1", "attributes"), ("x2", "field_event_date")]
    assert [i["guid"] for i in items if isinstance(i, dict)] == ["x3"]


HTML_PAGE = b"<!DOCTYPE html><html><head><title>Sign in</title></head><body><p>Please log in</p></body></html>"


def test_an_html_page_given_as_a_feed_fails_the_run_and_keeps_the_items():
    load_feed_items("ol_news", [item(1), item(2)])
    run = run_import("ol_news", content=HTML_PAGE, document_name="feed.xml")
    assert run.status == ImportRun.Status.FAILED
    assert "expected RSS/Atom, got an HTML page" in run.message
    assert FeedItem.objects.filter(source="ol_news").count() == 2


@pytest.mark.parametrize(
    ("content", "what"),
    [
        (b'{"items": []}', "JSON"),
        (b"", "an empty document"),
        (b'<?xml version="1.0"?><urlset><url/></urlset>', "an XML document whose root is <urlset>"),
    ],
)
def test_other_non_feeds_say_what_they_are(snapshot_of, content, what):
    with pytest.raises(TransformError, match=f"expected RSS/Atom, got {what}"):
        list(get_source("ol_news").transform(snapshot_of("ol_news", {"feed.xml": content})))


def test_an_html_page_as_a_podcast_feed_fails(tmp_path, snapshot_of):
    config = b"rss_url: https://podcasts.example.org/feed.xml\ntitle: Talk\n"
    snapshot = snapshot_of("podcasts", {"config/talk.yaml": config, "feeds/talk.xml": HTML_PAGE})
    with pytest.raises(TransformError, match="expected RSS/Atom, got an HTML page"):
        list(get_source("podcasts").transform(snapshot))


# --- the unpublish guard ---------------------------------------------------------------------------------------


@pytest.fixture
def thirty_items():
    load_feed_items("feed", [item(n) for n in range(1, 31)])


def test_a_feed_that_shrinks_to_one_item_removes_nothing_and_needs_review(thirty_items):
    result = load_feed_items("feed", [item(1)])
    assert result.needs_review and result.unpublished == 0
    assert "29 of 30 items (97%)" in result.review_reason
    assert result.would_unpublish_count == 29 and len(result.would_unpublish) == 20
    assert result.guard_verdict["tripped"] is True and result.guard_verdict["missing"] == 29
    assert FeedItem.objects.filter(source="feed").count() == 30

    forced = load_feed_items("feed", [item(1)], force=True)
    assert forced.unpublished == 29 and forced.guard_verdict["forced"] is True
    assert FeedItem.objects.filter(source="feed").count() == 1


def test_a_normal_roll_over_removes_within_the_guard(thirty_items, settings):
    settings.NEWS_UNPUBLISH_GUARD = 0.2
    result = load_feed_items("feed", [*(item(n) for n in range(4, 31)), item(31)])
    assert not result.needs_review and result.unpublished == 3
    assert result.guard_verdict == {
        "missing": 3,
        "published_before": 30,
        "share": 0.1,
        "limit": 0.2,
        "tripped": False,
        "forced": False,
    }


def test_dry_run_reports_true_totals_and_the_verdict_and_writes_nothing(thirty_items):
    records = [item(1), *(item(n) for n in range(100, 125))]
    result = load_feed_items("feed", records, dry_run=True)
    assert result.would_create_count == 25 and len(result.would_create) == 20
    assert result.would_unpublish_count == 29 and result.needs_review
    assert result.as_dict()["guard_verdict"]["published_before"] == 30
    assert FeedItem.objects.filter(source="feed").count() == 30


def test_rejected_items_keep_their_rows():
    load_feed_items("feed", [item(1), item(2), item(3)])
    result = load_feed_items("feed", [item(1), item(2, title=""), item(3)])
    assert result.failed == 1 and result.unpublished == 0
    assert FeedItem.objects.filter(source="feed", guid="guid-2").exists()


@pytest.mark.django_db(transaction=True)
def test_the_loader_commits_on_its_own_and_a_dry_run_writes_nothing():
    # No caller transaction (the runner no longer wraps loaders): each batch commits, a dry run still writes nothing.
    load_feed_items("feed", [item(n) for n in range(1, 6)])
    assert FeedItem.objects.count() == 5
    load_feed_items("feed", [item(n, title=f"Changed {n}") for n in range(1, 6)], dry_run=True)
    assert not FeedItem.objects.filter(title__startswith="Changed").exists()
    result = load_feed_items("feed", [item(1)])
    assert result.needs_review and FeedItem.objects.count() == 5


def test_a_batch_the_database_refuses_is_retried_item_by_item(monkeypatch):
    from django.db import DataError

    import news.loader

    write = news.loader._write_plan

    def refuse_bad(source, plan, now):
        if any(item.guid == "guid-2" for item in plan.to_create):
            raise DataError("value refused")
        return write(source, plan, now)

    monkeypatch.setattr(news.loader, "_write_plan", refuse_bad)
    result = load_feed_items("feed", [item(1), item(2), item(3)])
    assert (result.created, result.failed) == (2, 1)
    assert fields(result)[("guid-2", "")] == "could not be written: value refused"
    assert set(FeedItem.objects.values_list("guid", flat=True)) == {"guid-1", "guid-3"}


def test_a_database_that_goes_away_stops_the_load(monkeypatch):
    from django.db import OperationalError

    import news.loader

    def away(source, plan, now):
        raise OperationalError("server closed the connection")

    monkeypatch.setattr(news.loader, "_write_plan", away)
    with pytest.raises(OperationalError):
        load_feed_items("feed", [item(1), item(2)])
