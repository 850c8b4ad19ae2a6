"""Admin: configured feeds are editable and become import sources with a schedule; imported items can be
inspected and hidden, not added by hand."""

from django.urls import reverse

import pytest
from django_q.models import Schedule

from importers.errors import SourceNotFound
from importers.registry import get_source_class, is_registered
from news.factories import FeedItemFactory, FeedSourceFactory
from news.feed_sources import register_feed_sources, schedule_name
from news.models import FeedSource
from news.tasks import scheduled_feed_import

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("editor", "editor@example.org", "pw")
    client.force_login(user)
    return client


def test_feed_list_and_item_list_render(admin_client):
    FeedSourceFactory(name="Some feed")
    FeedItemFactory(title="Some imported item")
    response = admin_client.get(reverse("wagtailsnippets_news_feedsource:list"))
    assert response.status_code == 200 and b"Some feed" in response.content
    assert b"MIT Open Learning" in response.content  # the seeded built-in feeds
    response = admin_client.get(reverse("wagtailsnippets_news_feeditem:list"))
    assert response.status_code == 200 and b"Some imported item" in response.content


def test_items_cannot_be_added_by_hand_but_can_be_hidden(admin_client):
    assert admin_client.get(reverse("wagtailsnippets_news_feeditem:add")).status_code in (302, 403)
    item = FeedItemFactory(title="To hide")
    url = reverse("wagtailsnippets_news_feeditem:edit", args=[item.pk])
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(url, {"hidden": "on"})
    assert response.status_code == 302, response.content[:2000]
    item.refresh_from_db()
    assert item.hidden is True and item.title == "To hide"


def test_adding_a_feed_registers_a_source_with_a_schedule(admin_client):
    response = admin_client.post(
        reverse("wagtailsnippets_news_feedsource:add"),
        {
            "name": "CSAIL news",
            "source_name": "csail-news",
            "url": "https://www.csail.mit.edu/rss.xml",
            "feed_type": "rss",
            "schedule_minutes": "30",
            "enabled": "on",
            "default_topics": "Computer Science",
        },
    )
    assert response.status_code == 302, response.content[:3000]
    assert is_registered("csail-news")
    source = get_source_class("csail-news")()
    assert source.kind == "news" and source.loader == "news.loader.load_feed_items"
    assert source.config["url"] == "https://www.csail.mit.edu/rss.xml"
    assert source.config["topics"] == ["Computer Science"]
    schedule = Schedule.objects.get(name=schedule_name("csail-news"))
    assert schedule.minutes == 30 and schedule.repeats == -1


def test_a_feed_needs_a_url_unless_built_in(admin_client):
    response = admin_client.post(
        reverse("wagtailsnippets_news_feedsource:add"),
        {"name": "No URL", "source_name": "no-url", "url": "", "feed_type": "rss", "schedule_minutes": "60"},
    )
    assert response.status_code == 200
    assert b"Give the feed" in response.content
    assert FeedSource.objects.get(source_name="ol_news").url == ""  # built-in: the address from the settings
    FeedSource.objects.get(source_name="ol_news").full_clean()


def test_the_importer_name_cannot_change(admin_client):
    from django.core.exceptions import ValidationError

    row = FeedSourceFactory(source_name="fixed-name")
    row.source_name = "renamed"
    with pytest.raises(ValidationError, match="cannot change"):
        row.full_clean()


def test_disabling_pauses_and_deleting_removes(db):
    row = FeedSourceFactory(source_name="temp-feed")
    row.enabled = False
    row.schedule_minutes = 15
    row.save()
    schedule = Schedule.objects.get(name=schedule_name("temp-feed"))
    assert schedule.repeats == 0 and schedule.minutes == 15
    assert scheduled_feed_import("temp-feed") is None  # disabled: not imported
    row.delete()
    assert not Schedule.objects.filter(name=schedule_name("temp-feed")).exists()
    with pytest.raises(SourceNotFound):
        get_source_class("temp-feed")


def test_builtin_sources_keep_their_class_and_read_their_row(settings):
    row = FeedSource.objects.get(source_name="mitpe_news")
    row.url = "https://mirror.example.org/feeds/news/"
    row.save()
    register_feed_sources()
    cls = get_source_class("mitpe_news")
    assert not getattr(cls, "configured", False)
    assert cls().config["url"] == "https://mirror.example.org/feeds/news/"
    row.url = ""
    row.save()
    settings.MITPE_API_URL = "https://api.example.org"
    assert cls().config["url"] == "https://api.example.org/feeds/news/"


def test_configured_feeds_register_on_a_process_first_connection():
    from django.db import connection

    from importers.registry import unregister
    from news.apps import register_feeds_on_first_connection

    FeedSourceFactory(source_name="restart-feed")
    unregister("restart-feed")  # as in a fresh process that has not seen the row being saved
    assert not is_registered("restart-feed")
    register_feeds_on_first_connection(sender=None, connection=connection)
    assert is_registered("restart-feed")
