"""Outgoing RSS 2.0 and Atom feeds of the combined news (editor pages and imported items)."""

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed

from cms.models.pages import exclude_private

from .listing import latest_news
from .models import NewsIndexPage

FEED_LENGTH = 30


class NewsFeed(Feed):
    feed_type = Rss201rev2Feed
    description_template = None

    def title(self):
        return f"{settings.WAGTAIL_SITE_NAME} news"

    def link(self):
        index = exclude_private(NewsIndexPage.objects.live()).first()
        return index.url if index and index.url else "/news/"

    def description(self):
        return f"News from {settings.WAGTAIL_SITE_NAME}: editorial articles and news from our sources."

    def items(self):
        return latest_news(count=FEED_LENGTH)

    def item_title(self, entry):
        return entry.title

    def item_description(self, entry):
        # Imported summaries are already sanitised HTML; editor summaries are plain text (escaped by the generator).
        return entry.summary

    def item_link(self, entry):
        return entry.url

    def item_guid(self, entry):
        return f"{entry.kind}-{entry.obj.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, entry):
        return entry.date

    def item_author_name(self, entry):
        obj = entry.obj
        return getattr(obj, "author", "") or getattr(obj, "authors", "") or None

    def item_categories(self, entry):
        return [topic.name for topic in entry.topics]


class NewsAtomFeed(NewsFeed):
    feed_type = Atom1Feed

    def subtitle(self):
        return self.description()
