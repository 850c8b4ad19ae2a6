from .feeds import FeedItem, FeedItemQuerySet, FeedSource, FeedType, ItemType
from .pages import EventPage, EventsIndexPage, NewsIndexPage, NewsPage

__all__ = [
    "EventPage",
    "EventsIndexPage",
    "FeedItem",
    "FeedItemQuerySet",
    "FeedSource",
    "FeedType",
    "ItemType",
    "NewsIndexPage",
    "NewsPage",
]
