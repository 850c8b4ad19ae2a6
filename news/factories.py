"""factory_boy factories for news: feed sources, feed items, and editor news/event pages.

Pages need a parent: `NewsPageFactory(parent=index)` adds the page under `index` and publishes it.
"""

import datetime

from django.utils import timezone

import factory
from factory.django import DjangoModelFactory

from .models import EventPage, EventsIndexPage, FeedItem, FeedSource, ItemType, NewsIndexPage, NewsPage


class FeedSourceFactory(DjangoModelFactory):
    class Meta:
        model = FeedSource
        django_get_or_create = ("source_name",)

    source_name = factory.Sequence(lambda n: f"feed-{n}")
    name = factory.Sequence(lambda n: f"Feed {n}")
    url = factory.Sequence(lambda n: f"https://news.example.org/feed-{n}.xml")


class FeedItemFactory(DjangoModelFactory):
    class Meta:
        model = FeedItem
        skip_postgeneration_save = True

    source = "feed-test"
    guid = factory.Sequence(lambda n: f"urn:item:{n}")
    title = factory.Sequence(lambda n: f"News item {n}")
    summary = "<p>A short summary.</p>"
    link = factory.Sequence(lambda n: f"https://news.example.org/items/{n}")
    published_at = factory.Sequence(lambda n: timezone.now() - datetime.timedelta(hours=n + 1))

    @factory.post_generation
    def topics(self, create, extracted, **kwargs):
        if create and extracted:
            self.topics.set(extracted)

    class Params:
        event = factory.Trait(
            item_type=ItemType.EVENT,
            starts_at=factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=7)),
            ends_at=factory.LazyAttribute(lambda o: o.starts_at + datetime.timedelta(hours=2)),
            location="Cambridge, MA",
        )


class _ChildPageFactory(factory.Factory):
    """Builds a page and adds it under `parent`, published."""

    class Meta:
        abstract = True

    parent = None

    @classmethod
    def _create(cls, model_class, *args, parent=None, **kwargs):
        topics = kwargs.pop("topics", None)
        page = model_class(*args, **kwargs)
        parent.add_child(instance=page)
        if topics:
            page.topics.set(topics)
        page.save_revision().publish()
        page.refresh_from_db()
        return page


class NewsIndexPageFactory(_ChildPageFactory):
    class Meta:
        model = NewsIndexPage

    title = "News"
    slug = "news"


class EventsIndexPageFactory(_ChildPageFactory):
    class Meta:
        model = EventsIndexPage

    title = "Events"
    slug = "events"


class NewsPageFactory(_ChildPageFactory):
    class Meta:
        model = NewsPage

    title = factory.Sequence(lambda n: f"Editorial news {n}")
    slug = factory.Sequence(lambda n: f"editorial-news-{n}")
    date = factory.Sequence(lambda n: timezone.now() - datetime.timedelta(hours=n, minutes=30))
    introduction = "An article written by our editors."


class EventPageFactory(_ChildPageFactory):
    class Meta:
        model = EventPage

    title = factory.Sequence(lambda n: f"Editorial event {n}")
    slug = factory.Sequence(lambda n: f"editorial-event-{n}")
    start = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=3))
    end = factory.LazyAttribute(lambda o: o.start + datetime.timedelta(hours=1))
    time_zone = "America/New_York"
    location = "Building 10, MIT"
