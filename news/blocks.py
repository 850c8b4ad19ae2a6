"""News blocks: the body of news and event pages, and the "latest news" block for landing pages."""

from wagtail import blocks
from wagtail.images.blocks import ImageBlock

from cms.blocks.cached import CachedFragmentMixin


def body_block():
    """The shared CMS block set (cms.blocks.BaseStreamBlock) when it exists, else a minimal one."""
    try:
        from cms.blocks import BaseStreamBlock
    except ImportError:  # the CMS block set is being written; keep news usable meanwhile
        return blocks.StreamBlock(
            [
                ("heading", blocks.CharBlock(form_classname="title", icon="title")),
                ("paragraph", blocks.RichTextBlock()),
                ("image", ImageBlock()),
                ("quote", blocks.BlockQuoteBlock()),
            ]
        )
    return BaseStreamBlock()


class LatestNewsBlock(CachedFragmentMixin, blocks.StructBlock):
    """The newest news (editor pages and imported items together), optionally of one topic or source."""

    heading = blocks.CharBlock(default="Latest news", max_length=100)
    count = blocks.IntegerBlock(default=4, min_value=1, max_value=12)
    topic = blocks.CharBlock(required=False, help_text="Only news of this topic (its name); empty for all.")
    source = blocks.CharBlock(
        required=False,
        help_text="Only items of this feed (its importer name, e.g. ol_news), or 'editorial' for editor news pages.",
    )
    show_images = blocks.BooleanBlock(default=True, required=False)

    class Meta:
        template = "news/blocks/latest_news_block.html"
        icon = "list-ul"
        label = "Latest news"
        description = "The newest news pages and imported news items, newest first."
        preview_value = {"heading": "Latest news", "count": 3, "show_images": True}

    def get_context(self, value, parent_context=None):
        from news.listing import latest_news

        context = super().get_context(value, parent_context=parent_context)
        context["entries"] = latest_news(
            count=value.get("count") or 4, topic=value.get("topic") or "", source=value.get("source") or ""
        )
        return context


class UpcomingEventsBlock(CachedFragmentMixin, blocks.StructBlock):
    """The next events (editor event pages and imported events together), soonest first."""

    heading = blocks.CharBlock(default="Upcoming events", max_length=100)
    count = blocks.IntegerBlock(default=3, min_value=1, max_value=12)
    show_images = blocks.BooleanBlock(default=False, required=False)

    class Meta:
        template = "news/blocks/upcoming_events_block.html"
        icon = "date"
        label = "Upcoming events"
        description = "The next event pages and imported events that have not ended, soonest first."
        preview_value = {"heading": "Upcoming events", "count": 3, "show_images": False}

    def get_context(self, value, parent_context=None):
        from cms.models.pages import exclude_private
        from news.listing import upcoming_events
        from news.models import EventsIndexPage

        context = super().get_context(value, parent_context=parent_context)
        context["entries"] = upcoming_events(count=value.get("count") or 3)
        index = exclude_private(EventsIndexPage.objects.live()).order_by("path").first()
        context["index_url"] = index.url if index else ""
        return context
