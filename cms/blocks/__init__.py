"""The block set shared by every page type's body.

`BaseStreamBlock` takes its children from `base_stream_children()`; other apps add a block with one line in that
list (e.g. the news app's latest-news block). Adding or changing a block needs `manage.py makemigrations cms`.
"""

from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from wagtail import blocks

from .catalogue import ProgramListBlock, ResourceListBlock, ResourceQueryBlock, TopicBrowseBlock
from .content import (
    CallToActionBlock,
    CardGridBlock,
    FAQBlock,
    HeadingBlock,
    ImageWithCaptionBlock,
    LinkBlock,
    QuoteBlock,
    RichTextBlock,
    StatisticsBlock,
    VideoEmbedBlock,
)
from .prefetch import prefetch_stream


def base_stream_children():
    """(name, block) pairs of the shared block set, in the order editors see them."""
    children = [
        ("heading", HeadingBlock()),
        ("rich_text", RichTextBlock()),
        ("image", ImageWithCaptionBlock()),
        ("call_to_action", CallToActionBlock()),
        ("quote", QuoteBlock()),
        ("statistics", StatisticsBlock()),
        ("faq", FAQBlock()),
        ("embed", VideoEmbedBlock()),
        ("resource_list", ResourceListBlock()),
        ("resource_query", ResourceQueryBlock()),
        ("program_list", ProgramListBlock()),
        ("card_grid", CardGridBlock()),
    ]
    # Blocks from other apps: one line each, e.g. ("latest_news", LatestNewsBlock()).
    children.append(("latest_news", import_string("news.blocks.LatestNewsBlock")()))
    return children


class BaseStreamBlock(blocks.StreamBlock):
    def __init__(self, local_blocks=None, **kwargs):
        super().__init__([*base_stream_children(), *(local_blocks or [])], **kwargs)

    class Meta:
        label = _("Body")


def home_stream_children():
    """Blocks only the home page offers, on top of the shared set: topic links and upcoming events."""
    return [
        ("topics", TopicBrowseBlock()),
        ("upcoming_events", import_string("news.blocks.UpcomingEventsBlock")()),
    ]


class HomeStreamBlock(BaseStreamBlock):
    def __init__(self, local_blocks=None, **kwargs):
        super().__init__([*home_stream_children(), *(local_blocks or [])], **kwargs)


__all__ = [
    "BaseStreamBlock",
    "CallToActionBlock",
    "CardGridBlock",
    "FAQBlock",
    "HomeStreamBlock",
    "HeadingBlock",
    "ImageWithCaptionBlock",
    "LinkBlock",
    "ProgramListBlock",
    "QuoteBlock",
    "ResourceListBlock",
    "ResourceQueryBlock",
    "RichTextBlock",
    "StatisticsBlock",
    "TopicBrowseBlock",
    "VideoEmbedBlock",
    "base_stream_children",
    "prefetch_stream",
]
