"""Query limits of the news pages (issue 15): news and events listings, news, event and feed item pages, at two
sizes, uncached (the page cache is off in the test settings): the count must not grow with the data.
tests/search/test_query_limits.py checks them again with the page cache on."""

import pytest

from catalog.factories import TopicFactory
from news.factories import (
    EventPageFactory,
    EventsIndexPageFactory,
    FeedItemFactory,
    NewsIndexPageFactory,
    NewsPageFactory,
)

pytestmark = pytest.mark.django_db

# Uncached — the page cache and the content cache off —, warm (site root paths and settings row made by a first
# request). Most of what the Wagtail pages spend is Wagtail's: the site, two queries per level of the route and the
# view restrictions (one query: BasePage.get_view_restrictions). With the content cache on (as in production) every
# one of them is at most 12: tests/cms/test_content_cache.py.
NEWS_INDEX_MAX = 14
EVENTS_INDEX_MAX = 13
NEWS_PAGE_MAX = 10
EVENT_PAGE_MAX = 10
FEED_ITEM_MAX = 5


def make_news_site(home_page) -> dict:
    """A news index, an events index, editor pages and feed items; `grow(rows)` adds that many more of each."""
    ai = TopicFactory(name="AI")
    news_index = NewsIndexPageFactory(parent=home_page, per_page=20)
    events_index = EventsIndexPageFactory(parent=home_page)
    made = {
        "news": NewsPageFactory(parent=news_index, topics=[ai]),
        "event": EventPageFactory(parent=events_index),
        "item": FeedItemFactory(topics=[ai]),
    }

    def grow(rows):
        for _ in range(max(1, rows // 20)):
            NewsPageFactory(parent=news_index, topics=[ai])
            EventPageFactory(parent=events_index)
        FeedItemFactory.create_batch(rows, topics=[ai])
        FeedItemFactory.create_batch(rows // 2, event=True)

    made["grow"] = grow
    return made


@pytest.fixture
def news_site(home_page):
    return make_news_site(home_page)


def news_urls(made):
    return {
        "/news/": NEWS_INDEX_MAX,
        "/events/": EVENTS_INDEX_MAX,
        made["news"].url: NEWS_PAGE_MAX,
        made["event"].url: EVENT_PAGE_MAX,
        made["item"].get_absolute_url(): FEED_ITEM_MAX,
    }


@pytest.mark.parametrize("rows", [10, 200])
def test_news_and_events_pages_have_bounded_queries(client, news_site, rows, django_assert_max_num_queries):
    news_site["grow"](rows)
    for url, limit in news_urls(news_site).items():
        assert client.get(url).status_code == 200, url  # warm: site root paths, settings row
        with django_assert_max_num_queries(limit):
            assert client.get(url).status_code == 200, url
