"""The news demo content loads idempotently and renders (`load_demo_content` as a whole: tests/cms/test_site.py)."""

import pytest

from news.demo import load_news
from news.models import EventPage, FeedItem, NewsPage

pytestmark = pytest.mark.django_db


def test_demo_news_is_idempotent_and_renders(client, home_page):
    load_news(lambda message: None)
    counts = (NewsPage.objects.count(), EventPage.objects.count(), FeedItem.objects.count())
    assert counts == (3, 3, 3)
    load_news(lambda message: None)
    assert (NewsPage.objects.count(), EventPage.objects.count(), FeedItem.objects.count()) == counts
    news = client.get("/news/")
    assert news.status_code == 200
    assert len(news.context["entries"]) == 6  # 3 articles, 2 imported news items, 1 imported event
    events = client.get("/events/")
    assert [e.title for e in events.context["entries"]] == [
        "Virtual open house",
        "Professional certificate open house",
        "Teaching with AI: a workshop",
    ]
    assert [e.title for e in client.get("/events/?when=past").context["entries"]] == ["Spring learning symposium"]
    for page in [*NewsPage.objects.all(), *EventPage.objects.all()]:
        assert client.get(page.url).status_code == 200
