"""news.loader.load_feed_items: upsert, sanitise, de-duplicate, prune only when the feed returned items."""

import datetime

from django.utils import timezone

import pytest

from catalog.factories import TopicFactory
from news.loader import load_feed_items
from news.models import FeedItem
from news.signals import feed_items_changed

pytestmark = pytest.mark.django_db


def item(n, **values):
    return {
        "guid": f"guid-{n}",
        "title": f"Item {n}",
        "link": f"https://example.org/news/{n}",
        "summary": f"<p>Summary {n}</p>",
        "published_at": f"2025-01-{n:02d}T12:00:00+02:00",
        **values,
    }


def test_creates_then_unchanged_then_updates():
    result = load_feed_items("feed", [item(1), item(2)])
    assert (result.created, result.updated, result.unchanged, result.failed) == (2, 0, 0, 0)
    first = FeedItem.objects.get(guid="guid-1")
    assert first.published_at == datetime.datetime(2025, 1, 1, 10, 0, tzinfo=datetime.UTC)  # normalised to UTC

    result = load_feed_items("feed", [item(1), item(2)])
    assert (result.created, result.updated, result.unchanged) == (0, 0, 2)
    assert result.changed_ids == []

    result = load_feed_items("feed", [item(1, title="Item one, corrected"), item(2)])
    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    assert FeedItem.objects.get(guid="guid-1").title == "Item one, corrected"


def test_unchanged_reload_writes_nothing(django_assert_max_num_queries):
    records = [item(n) for n in range(1, 21)]
    load_feed_items("feed", records)
    before = dict(FeedItem.objects.values_list("guid", "updated_at"))
    with django_assert_max_num_queries(8):
        load_feed_items("feed", records)
    assert dict(FeedItem.objects.values_list("guid", "updated_at")) == before


def test_html_is_sanitised_and_relative_urls_resolved():
    payload = (
        '<p>Hi<script>alert("x")</script></p><img src="/img/a.png" onerror="alert(1)">'
        '<a href="javascript:alert(2)">bad</a><a href="../about">rel</a><style>p{}</style>'
    )
    load_feed_items("feed", [item(1, content=payload, link="https://example.org/news/2025/post")])
    content = FeedItem.objects.get().content
    assert "<script" not in content and "alert(" not in content
    assert "onerror" not in content and "javascript:" not in content and "<style" not in content
    assert 'src="https://example.org/img/a.png"' in content
    assert 'href="https://example.org/news/about"' in content


def test_duplicates_collapse_by_guid_and_by_link():
    records = [
        item(1),
        item(1, title="same guid"),
        item(2, link="https://example.org/news/1", title="Item 1"),  # same link and title
        item(3),
        item(4, link="https://example.org/news/3", item_type="event", starts_at="2030-01-01T00:00:00Z"),
    ]
    result = load_feed_items("feed", records)
    assert result.created == 3
    # Items sharing only a link stay apart (a series of events with one page).
    assert set(FeedItem.objects.values_list("guid", flat=True)) == {"guid-1", "guid-3", "guid-4"}
    assert any("duplicate" in warning for warning in result.warnings)


def test_guid_change_with_same_link_updates_the_existing_row():
    load_feed_items("feed", [item(1)])
    pk = FeedItem.objects.get().pk
    result = load_feed_items("feed", [item(1, guid="new-guid")])
    assert (result.created, result.updated, result.unpublished) == (0, 1, 0)
    assert FeedItem.objects.get().pk == pk
    assert FeedItem.objects.get().guid == "new-guid"


def test_vanished_items_removed_only_when_the_feed_returned_items():
    load_feed_items("feed", [item(1), item(2), item(3)])
    load_feed_items("other", [item(9)])
    result = load_feed_items("feed", [])
    assert result.unpublished == 0 and FeedItem.objects.filter(source="feed").count() == 3
    assert any("no valid items" in warning for warning in result.warnings)

    result = load_feed_items("feed", [{"title": ""}])  # only invalid items: same as none
    assert result.failed == 1 and FeedItem.objects.filter(source="feed").count() == 3

    result = load_feed_items("feed", [item(1), item(3)])
    assert result.unpublished == 1
    assert set(FeedItem.objects.filter(source="feed").values_list("guid", flat=True)) == {"guid-1", "guid-3"}
    assert FeedItem.objects.filter(source="other").count() == 1  # other sources untouched


def test_not_full_snapshot_never_removes():
    load_feed_items("feed", [item(1), item(2)])
    result = load_feed_items("feed", [item(1)], full_snapshot=False)
    assert result.unpublished == 0 and FeedItem.objects.count() == 2


def test_unreadable_date_keeps_the_item_with_the_import_time_and_a_flag():
    before = timezone.now()
    load_feed_items("feed", [item(1, published_at=None)])
    row = FeedItem.objects.get()
    assert row.date_estimated is True
    assert row.published_at >= before
    first_estimate = row.published_at
    result = load_feed_items("feed", [item(1, published_at=None)])
    assert result.unchanged == 1  # the estimate is not a change
    row.refresh_from_db()
    assert row.published_at == first_estimate


def test_invalid_records_are_reported_and_the_others_load():
    records = [
        item(1),
        {"guid": "no-title", "title": "", "link": "https://example.org/x"},
        {"title": "no id at all"},
        item(4, link="ftp://example.org/file"),
        item(5, title="x" * 600),
        item(6, starts_at="2025-01-02T10:00:00Z", ends_at="2025-01-01T10:00:00Z", item_type="event"),
        "not a dict",
    ]
    result = load_feed_items("feed", records)
    assert result.created == 1
    assert result.failed == 6
    fields = {(error.source_id, error.field) for error in result.errors}
    assert ("no-title", "title") in fields
    assert ("guid-4", "link") in fields
    assert ("guid-5", "title") in fields


def test_topics_match_existing_topics_only_and_categories_are_kept():
    ml = TopicFactory(name="Machine Learning")
    load_feed_items("feed", [item(1, topics=["machine learning"], categories=["Data > Machine Learning", "misc"])])
    row = FeedItem.objects.get()
    assert list(row.topics.all()) == [ml]
    assert row.categories == ["Data > Machine Learning", "misc"]
    assert not type(ml).objects.filter(name="misc").exists()


def test_dry_run_writes_nothing_and_reports_what_would_happen():
    load_feed_items("feed", [item(1), item(2)])
    result = load_feed_items("feed", [item(1, title="changed"), item(3)], dry_run=True)
    assert (result.created, result.updated, result.unpublished) == (1, 1, 1)
    assert [e["source_id"] for e in result.would_create] == ["guid-3"]
    assert [e["source_id"] for e in result.would_unpublish] == ["guid-2"]
    assert set(FeedItem.objects.values_list("title", flat=True)) == {"Item 1", "Item 2"}


def test_signal_sent_after_commit_with_changed_and_removed_ids(django_capture_on_commit_callbacks):
    received = []

    def receiver(sender, changed_ids, removed_ids, **kwargs):
        received.append((sorted(changed_ids), sorted(removed_ids)))

    feed_items_changed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            load_feed_items("feed", [item(1), item(2)])
        ids = sorted(FeedItem.objects.values_list("pk", flat=True))
        with django_capture_on_commit_callbacks(execute=True):
            load_feed_items("feed", [item(1)])
    finally:
        feed_items_changed.disconnect(receiver)
    assert received == [(ids, []), ([], [ids[1]])]


def test_events_keep_start_end_and_location():
    load_feed_items(
        "events",
        [
            item(
                1,
                item_type="event",
                starts_at="2030-05-01T09:00:00-04:00",
                ends_at="2030-05-01T17:00:00-04:00",
                location="Kresge Auditorium",
            )
        ],
    )
    row = FeedItem.objects.get()
    assert row.item_type == "event"
    assert row.starts_at == datetime.datetime(2030, 5, 1, 13, 0, tzinfo=datetime.UTC)
    assert row.location == "Kresge Auditorium"
