"""Learner pages: the combined news index, events, feed item pages, outgoing feeds, the latest-news block and
the pages API."""

import datetime

from django.utils import timezone

import feedparser
import pytest

from catalog.factories import TopicFactory
from news.blocks import LatestNewsBlock
from news.factories import (
    EventPageFactory,
    EventsIndexPageFactory,
    FeedItemFactory,
    FeedSourceFactory,
    NewsIndexPageFactory,
    NewsPageFactory,
)
from news.loader import load_feed_items
from news.models import FeedItem

from .feeds_fixtures import XSS_RSS

pytestmark = pytest.mark.django_db


@pytest.fixture
def news_index(home_page):
    return NewsIndexPageFactory(parent=home_page, per_page=5)


@pytest.fixture
def events_index(home_page):
    return EventsIndexPageFactory(parent=home_page)


def titles(response):
    return [entry.title for entry in response.context["entries"]]


def test_index_mixes_pages_and_items_newest_first(client, news_index):
    now = timezone.now()
    FeedSourceFactory(source_name="feed-test", name="Test feed")
    NewsPageFactory(parent=news_index, title="Page 2h", date=now - datetime.timedelta(hours=2))
    FeedItemFactory(title="Item 1h", published_at=now - datetime.timedelta(hours=1))
    FeedItemFactory(title="Item 3h", published_at=now - datetime.timedelta(hours=3))
    NewsPageFactory(parent=news_index, title="Page now", date=now)
    response = client.get("/news/")
    assert response.status_code == 200
    assert titles(response) == ["Page now", "Item 1h", "Page 2h", "Item 3h"]
    assert b"Test feed" in response.content


def test_index_hides_drafts_private_pages_and_hidden_items(client, news_index):
    draft = NewsPageFactory(parent=news_index, title="Draft page")
    draft.unpublish()
    FeedItemFactory(title="Hidden item", hidden=True)
    FeedItemFactory(title="Visible item")
    response = client.get("/news/")
    assert titles(response) == ["Visible item"]


def test_index_filters_by_source_topic_and_type(client, news_index):
    ai = TopicFactory(name="AI")
    NewsPageFactory(parent=news_index, title="Editorial AI", topics=[ai])
    NewsPageFactory(parent=news_index, title="Editorial other")
    FeedItemFactory(source="a", title="A item", topics=[ai])
    FeedItemFactory(source="b", title="B item")
    FeedItemFactory(source="b", title="B event", event=True)
    assert set(titles(client.get("/news/?source=editorial"))) == {"Editorial AI", "Editorial other"}
    assert set(titles(client.get("/news/?source=b"))) == {"B item", "B event"}
    assert set(titles(client.get("/news/?topic=ai"))) == {"Editorial AI", "A item"}
    assert titles(client.get("/news/?type=event")) == ["B event"]
    assert "B event" not in titles(client.get("/news/?type=news"))
    assert client.get("/news/?type=<script>").status_code == 200  # junk filters are ignored


def test_index_paginates_and_keeps_filters(client, news_index):
    FeedItemFactory.create_batch(12, source="a")
    first = client.get("/news/?source=a")
    assert len(titles(first)) == 5
    assert b"source=a&amp;page=2" in first.content
    third = client.get("/news/?source=a&page=3")
    assert len(titles(third)) == 2
    assert client.get("/news/?page=999").status_code == 200
    assert client.get("/news/?page=abc").status_code == 200


@pytest.mark.parametrize("rows", [10, 200])
def test_index_query_count_is_bounded(client, news_index, django_assert_max_num_queries, rows):
    ai = TopicFactory(name="AI")
    for _ in range(rows // 10):
        NewsPageFactory(parent=news_index, topics=[ai])
    FeedItemFactory.create_batch(rows - rows // 10, topics=[ai])
    news_index.per_page = 50
    news_index.save_revision().publish()
    client.get("/news/")  # warm caches (site root paths)
    with django_assert_max_num_queries(20):
        response = client.get("/news/")
    assert len(response.context["entries"]) == min(rows, 50)


def test_hostile_feed_item_renders_inert(client, news_index):
    from importers.registry import get_source
    from importers.sources.base import Snapshot, SnapshotDocument

    source = get_source("ol_news")
    snapshot = Snapshot(source="hostile", documents=[SnapshotDocument(name="feed.xml", content=XSS_RSS)])
    result = load_feed_items("hostile", source.transform(snapshot))
    assert result.created == 1
    item = FeedItem.objects.get()
    for url in (item.get_absolute_url(), "/news/"):
        html = client.get(url).content.decode()
        lowered = html.lower()
        assert "<script>alert" not in lowered
        assert "onerror" not in lowered and "onclick" not in lowered and "onload" not in lowered
        assert "javascript:" not in lowered
        assert "<iframe" not in lowered
        assert "display:none" not in lowered
    detail = client.get(item.get_absolute_url()).content.decode()
    assert "<h1>Hostile alert(&#x27;title&#x27;)</h1>" in detail  # markup in a title is dropped, text kept
    assert 'href="https://evil.example.org/safe"' in detail  # links kept, resolved against the item link
    assert 'src="https://evil.example.org/pic.png"' in detail  # images kept


def test_feed_item_page_404_for_hidden_items(client):
    item = FeedItemFactory(hidden=True)
    assert client.get(item.get_absolute_url()).status_code == 404


def test_estimated_date_is_flagged_on_the_item_page(client):
    item = FeedItemFactory(date_estimated=True)
    assert b"date approximate" in client.get(item.get_absolute_url()).content


def test_upcoming_events_exclude_past_ones(client, events_index):
    now = timezone.now()
    EventPageFactory(parent=events_index, title="Future page", start=now + datetime.timedelta(days=2))
    EventPageFactory(
        parent=events_index,
        title="Past page",
        start=now - datetime.timedelta(days=2),
        end=now - datetime.timedelta(days=2, hours=-1),
    )
    EventPageFactory(
        parent=events_index,
        title="Running now",
        start=now - datetime.timedelta(hours=1),
        end=now + datetime.timedelta(hours=1),
    )
    FeedItemFactory(title="Future item", event=True, starts_at=now + datetime.timedelta(days=1), ends_at=None)
    FeedItemFactory(
        title="Past item",
        event=True,
        starts_at=now - datetime.timedelta(days=5),
        ends_at=now - datetime.timedelta(days=4),
    )
    upcoming = client.get("/events/")
    assert titles(upcoming) == ["Running now", "Future item", "Future page"]
    past = client.get("/events/?when=past")
    assert titles(past) == ["Past page", "Past item"]


@pytest.mark.parametrize("rows", [10, 200])
def test_events_query_count_is_bounded(client, events_index, django_assert_max_num_queries, rows):
    for _ in range(rows // 20):
        EventPageFactory(parent=events_index)
    FeedItemFactory.create_batch(rows - rows // 20, event=True)
    client.get("/events/")
    with django_assert_max_num_queries(16):
        response = client.get("/events/")
    assert len(response.context["entries"]) == min(rows, 12)


def test_event_page_shows_local_time_and_registration(client, events_index):
    start = datetime.datetime(2030, 6, 1, 14, 0, tzinfo=datetime.UTC)
    page = EventPageFactory(
        parent=events_index,
        start=start,
        end=start + datetime.timedelta(hours=2),
        time_zone="America/New_York",
        registration_url="https://register.example.org/",
        audience="Educators",
    )
    html = client.get(page.url).content.decode()
    # 14:00 UTC in June is 10:00 in New York (daylight saving time), shown with the zone's abbreviation.
    assert "Saturday 1 June 2030, 10:00 AM</time> – <time" in html and "12:00 PM</time> EDT" in html
    assert "America/New_York" not in html
    assert 'datetime="2030-06-01T10:00:00-04:00"' in html
    assert "https://register.example.org/" in html and "Educators" in html


@pytest.mark.parametrize(
    ("start", "hours", "zone", "expected"),
    [
        # Winter in New York: EST; a multi-day event shows both dates.
        (datetime.datetime(2030, 12, 2, 15, 0, tzinfo=datetime.UTC), 1, "America/New_York",
         "Monday 2 December 2030, 10:00 AM – 11:00 AM EST"),
        (datetime.datetime(2030, 12, 2, 15, 0, tzinfo=datetime.UTC), 48, "Europe/Paris",
         "Monday 2 December 2030, 4:00 PM – Wednesday 4 December 2030, 4:00 PM CET"),
        # A zone without a letter abbreviation gets its UTC offset.
        (datetime.datetime(2030, 12, 2, 9, 0, tzinfo=datetime.UTC), 0, "Europe/Istanbul",
         "Monday 2 December 2030, 12:00 PM UTC+03"),
        # Daylight saving time ends during the event: each end names its zone.
        (datetime.datetime(2030, 11, 2, 15, 0, tzinfo=datetime.UTC), 24, "America/New_York",
         "Saturday 2 November 2030, 11:00 AM EDT – Sunday 3 November 2030, 10:00 AM EST"),
    ],
)  # fmt: skip
def test_event_times_are_shown_in_the_events_zone_for_people(start, hours, zone, expected):
    from django.utils.html import strip_tags

    from news.models import EventPage
    from news.templatetags.news_tags import event_when

    event = EventPage(start=start, end=start + datetime.timedelta(hours=hours) if hours else None, time_zone=zone)
    assert strip_tags(event_when(event)) == expected


def test_event_page_validation():
    from django.core.exceptions import ValidationError

    from news.models import EventPage

    now = timezone.now()
    page = EventPage(title="x", slug="x", start=now, end=now - datetime.timedelta(hours=1), location="Here")
    with pytest.raises(ValidationError, match="end before it starts"):
        page.clean()
    page = EventPage(title="x", slug="x", start=now, location="", online=False)
    with pytest.raises(ValidationError, match="location"):
        page.clean()


def test_news_page_renders(client, news_index):
    page = NewsPageFactory(parent=news_index, title="Hello news", authors="Ana Bell")
    html = client.get(page.url).content.decode()
    assert "Hello news" in html and "Ana Bell" in html


@pytest.mark.parametrize(("path", "kind"), [("/news/rss/", "rss20"), ("/news/atom/", "atom10")])
def test_outgoing_feeds(client, news_index, path, kind, django_assert_max_num_queries):
    NewsPageFactory(parent=news_index, title="Editorial in feed")
    FeedItemFactory(title="Imported in feed", summary="<p>Sum</p>")
    FeedItemFactory(title="Hidden in feed", hidden=True)
    with django_assert_max_num_queries(15):
        response = client.get(path)
    assert response.status_code == 200
    parsed = feedparser.parse(response.content)
    assert parsed.version == kind
    assert [e.title for e in parsed.entries] == ["Imported in feed", "Editorial in feed"] or {
        e.title for e in parsed.entries
    } == {"Imported in feed", "Editorial in feed"}
    assert all(e.link.startswith("http") for e in parsed.entries)


def test_index_links_to_the_feeds(client, news_index):
    html = client.get("/news/").content.decode()
    assert 'type="application/rss+xml"' in html and "/news/rss/" in html and "/news/atom/" in html


def test_latest_news_block(news_index):
    NewsPageFactory(parent=news_index, title="Editorial latest")
    FeedItemFactory(title="Imported latest", source="a")
    FeedItemFactory(title="An event", event=True)
    block = LatestNewsBlock()
    html = block.render(block.to_python({"heading": "Latest", "count": 5, "show_images": True}))
    assert "Editorial latest" in html and "Imported latest" in html
    assert "An event" not in html
    html = block.render(block.to_python({"heading": "Latest", "count": 5, "source": "a"}))
    assert "Imported latest" in html and "Editorial latest" not in html
    FeedItemFactory(title="On topic", topics=[TopicFactory(name="Machine Learning")])
    html = block.render(block.to_python({"heading": "Latest", "count": 5, "topic": "machine learning"}))
    assert "On topic" in html and "Imported latest" not in html


def test_pages_api_exposes_news_and_events(client, news_index, events_index):
    ai = TopicFactory(name="AI")
    NewsPageFactory(parent=news_index, title="API news", authors="Ana", topics=[ai])
    EventPageFactory(parent=events_index, title="API event", location="Room 1")
    response = client.get("/api/v2/pages/?type=news.NewsPage&fields=date,authors,topics,introduction")
    assert response.status_code == 200, response.content
    item = response.json()["items"][0]
    assert item["authors"] == "Ana" and item["topics"] == ["AI"] and item["date"]
    response = client.get("/api/v2/pages/?type=news.EventPage&fields=start,end,time_zone,location,registration_url")
    event = response.json()["items"][0]
    assert event["location"] == "Room 1" and event["time_zone"] == "America/New_York"
