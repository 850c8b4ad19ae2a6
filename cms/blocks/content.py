"""Editorial blocks: headings, text, images, calls to action, quotes, statistics, FAQ, embeds, cards."""

from django.core.exceptions import ValidationError
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from wagtail import blocks
from wagtail.blocks.struct_block import StructBlockValidationError
from wagtail.embeds.blocks import EmbedBlock, EmbedValue

from cms.blocks.prefetch import ImageChooserBlock, PageChooserBlock
from cms.choosers import ResourceChooserBlock

RICH_TEXT_FEATURES = ["h2", "h3", "h4", "bold", "italic", "ol", "ul", "link", "document-link", "hr", "blockquote"]


class HeadingBlock(blocks.StructBlock):
    text = blocks.CharBlock(max_length=255)
    level = blocks.ChoiceBlock(choices=[("h2", "H2"), ("h3", "H3"), ("h4", "H4")], default="h2")
    anchor = blocks.CharBlock(
        required=False, max_length=80, help_text=_("Optional id for links to this heading (letters, digits, -).")
    )

    class Meta:
        template = "components/heading_block.html"
        icon = "title"
        label = _("Heading")
        description = _("A section heading, optionally with an anchor for in-page links.")
        preview_value = {"text": "Learn at your own pace", "level": "h2", "anchor": "learn"}


class RichTextBlock(blocks.RichTextBlock):
    def __init__(self, **kwargs):
        kwargs.setdefault("features", RICH_TEXT_FEATURES)
        super().__init__(**kwargs)

    class Meta:
        template = "components/rich_text_block.html"
        icon = "pilcrow"
        label = _("Rich text")
        description = _("Paragraphs, lists and links.")
        preview_value = (
            "<p>Learnhub gathers <b>courses</b>, programs, videos and podcasts in one place. "
            "Pick what suits you and learn at your own pace.</p>"
        )


class LinkBlock(blocks.StructBlock):
    """A link to a page, a catalogue resource or a URL (exactly one)."""

    page = PageChooserBlock(required=False)
    resource = ResourceChooserBlock(required=False)
    url = blocks.CharBlock(required=False, max_length=500, help_text=_("A full URL or a path such as /catalog/."))

    class Meta:
        template = "components/link.html"
        icon = "link"
        label = _("Link")
        description = _("A link to a page, a catalogue resource or a URL.")
        preview_value = {"url": "/catalog/"}
        form_classname = "link-block"

    def clean(self, value):
        value = super().clean(value)
        chosen = [name for name in ("page", "resource", "url") if value.get(name)]
        if len(chosen) > 1:
            raise StructBlockValidationError(
                block_errors={
                    name: ValidationError(_("Choose a page, a resource or a URL, not several.")) for name in chosen
                }
            )
        url = value.get("url") or ""
        if url and not (url.startswith(("/", "https://", "http://", "mailto:", "#"))):
            raise StructBlockValidationError(
                block_errors={"url": ValidationError(_("Enter a full URL (https://…) or a path starting with /."))}
            )
        return value

    def get_api_representation(self, value, context=None):
        return {"url": link_url(value), "type": link_type(value)}


def link_type(value):
    if value.get("page"):
        return "page"
    if value.get("resource"):
        return "resource"
    return "url" if value.get("url") else None


def link_url(value):
    """The URL a link block points at, or '' when its target is gone or not public."""
    page = value.get("page")
    if page is not None:
        return page.url or "" if page.live else ""
    resource = value.get("resource")
    if resource is not None:
        if not resource.is_public:
            return ""
        from cms.templatetags.cms_tags import resource_url

        return resource_url(resource)
    return value.get("url") or ""


class ImageWithCaptionBlock(blocks.StructBlock):
    image = ImageChooserBlock()
    alt_text = blocks.CharBlock(
        required=False, max_length=255, help_text=_("Overrides the image's own alt text; leave empty for that.")
    )
    caption = blocks.CharBlock(required=False, max_length=500)
    width = blocks.ChoiceBlock(choices=[("content", _("Text width")), ("wide", _("Wide"))], default="content")

    class Meta:
        template = "components/image_block.html"
        icon = "image"
        label = _("Image")
        description = _("An image with an optional caption.")
        preview_value = {"caption": "A lecture hall (preview)", "width": "content"}

    def get_api_representation(self, value, context=None):
        image = value.get("image")
        return {
            "image": image_representation(image, "width-1200"),
            "alt_text": value.get("alt_text") or (image.default_alt_text if image else ""),
            "caption": value.get("caption"),
            "width": value.get("width"),
        }


def image_representation(image, spec="width-800"):
    """id, title, alt and a rendition URL (plus its size) for the headless frontend."""
    if image is None:
        return None
    rendition = image.get_rendition(spec)
    return {
        "id": image.pk,
        "title": image.title,
        "alt": image.default_alt_text,
        "url": rendition.full_url,
        "width": rendition.width,
        "height": rendition.height,
    }


class CallToActionBlock(blocks.StructBlock):
    heading = blocks.CharBlock(max_length=255)
    text = blocks.TextBlock(required=False)
    button_label = blocks.CharBlock(max_length=60)
    link = LinkBlock()
    style = blocks.ChoiceBlock(choices=[("primary", _("Primary")), ("secondary", _("Secondary"))], default="primary")

    class Meta:
        template = "components/call_to_action_block.html"
        icon = "pick"
        label = _("Call to action")
        description = _("A short prompt with one button.")
        preview_value = {
            "heading": "Ready to start?",
            "text": "Browse hundreds of courses from many institutions.",
            "button_label": "Browse the catalogue",
            "link": {"url": "/catalog/"},
            "style": "primary",
        }


class QuoteBlock(blocks.StructBlock):
    quote = blocks.TextBlock()
    attribution = blocks.CharBlock(required=False, max_length=255)
    role = blocks.CharBlock(required=False, max_length=255, help_text=_("e.g. Learner, class of 2025"))
    image = ImageChooserBlock(required=False)

    class Meta:
        template = "components/quote_block.html"
        icon = "openquote"
        label = _("Quote or testimonial")
        description = _("A quotation with who said it.")
        preview_value = {
            "quote": "The program gave me the confidence to change careers.",
            "attribution": "Amina K.",
            "role": "Learner",
        }

    def get_api_representation(self, value, context=None):
        return {
            "quote": value.get("quote"),
            "attribution": value.get("attribution"),
            "role": value.get("role"),
            "image": image_representation(value.get("image"), "fill-160x160"),
        }


class StatisticBlock(blocks.StructBlock):
    value = blocks.CharBlock(max_length=40, help_text=_("e.g. 2,500+ or 94%"))
    label = blocks.CharBlock(max_length=120)

    class Meta:
        template = "components/statistic.html"
        icon = "order"
        description = _("One number and what it counts.")
        preview_value = {"value": "2,500+", "label": "courses"}


class StatisticsBlock(blocks.StructBlock):
    heading = blocks.CharBlock(required=False, max_length=255)
    items = blocks.ListBlock(StatisticBlock(), min_num=1, max_num=6)

    class Meta:
        template = "components/statistics_block.html"
        icon = "table"
        label = _("Statistics")
        description = _("A row of big numbers with labels.")
        preview_value = {
            "heading": "Learnhub in numbers",
            "items": [
                {"value": "2,500+", "label": "courses"},
                {"value": "120", "label": "institutions"},
                {"value": "1M", "label": "learners"},
            ],
        }


class FAQItemBlock(blocks.StructBlock):
    question = blocks.CharBlock(max_length=255)
    answer = RichTextBlock(features=["bold", "italic", "link", "ol", "ul"])

    class Meta:
        template = "components/faq_item.html"
        icon = "help"
        description = _("One question and its answer.")
        preview_value = {"question": "Is it free?", "answer": "<p>Many courses are free to audit.</p>"}


class FAQBlock(blocks.StructBlock):
    heading = blocks.CharBlock(required=False, max_length=255, default="Frequently asked questions")
    items = blocks.ListBlock(FAQItemBlock(), min_num=1)

    class Meta:
        template = "components/faq_block.html"
        icon = "help"
        label = _("FAQ")
        description = _("Questions and answers, each answer folded until opened.")
        preview_value = {
            "heading": "Frequently asked questions",
            "items": [
                {"question": "Is it free?", "answer": "<p>Many courses are free to audit.</p>"},
                {"question": "Do I get a certificate?", "answer": "<p>Paid tracks include a certificate.</p>"},
            ],
        }


class CachedEmbedValue(EmbedValue):
    """An embed whose HTML is kept in the cache for an hour: a warm page render looks nothing up."""

    @cached_property
    def html(self):
        from django.core.cache import cache

        from wagtail.embeds.embeds import get_embed_hash

        key = f"cms:embed:{get_embed_hash(self.url, self.max_width, self.max_height)}"
        html = cache.get(key)
        if html is None:
            html = super().html
            cache.set(key, html, 3600 if html else 60)
        return html


class CachedEmbedBlock(EmbedBlock):
    def to_python(self, value):
        if not value:
            return None
        return CachedEmbedValue(value, getattr(self.meta, "max_width", None), getattr(self.meta, "max_height", None))

    def value_from_form(self, value):
        return self.to_python(value)


class VideoEmbedBlock(blocks.StructBlock):
    embed = CachedEmbedBlock(help_text=_("A YouTube, Vimeo or other oEmbed URL."))
    title = blocks.CharBlock(required=False, max_length=255, help_text=_("Names the video for screen readers."))
    caption = blocks.CharBlock(required=False, max_length=500)

    class Meta:
        template = "components/embed_block.html"
        icon = "media"
        label = _("Embed or video")
        description = _("A video or other embedded media from its URL.")
        preview_value = {"title": "An introduction (preview)", "caption": "Embeds show here once published."}

    def get_api_representation(self, value, context=None):
        embed = value.get("embed")
        return {
            "url": embed.url if embed else None,
            "title": value.get("title"),
            "caption": value.get("caption"),
        }


class CardBlock(blocks.StructBlock):
    title = blocks.CharBlock(max_length=255)
    text = blocks.TextBlock(required=False)
    image = ImageChooserBlock(required=False)
    link = LinkBlock()

    class Meta:
        template = "components/card.html"
        icon = "form"
        label = _("Card")
        description = _("One card: title, text, image and link.")
        preview_value = {"title": "Courses", "text": "Learn with structure.", "link": {"url": "/catalog/"}}

    def get_api_representation(self, value, context=None):
        return {
            "title": value.get("title"),
            "text": value.get("text"),
            "image": image_representation(value.get("image"), "fill-640x360"),
            "link": self.child_blocks["link"].get_api_representation(value.get("link"), context),
        }


class CardGridBlock(blocks.StructBlock):
    heading = blocks.CharBlock(required=False, max_length=255)
    cards = blocks.ListBlock(CardBlock(), min_num=1, max_num=12)

    class Meta:
        template = "components/card_grid_block.html"
        icon = "grip"
        label = _("Card grid")
        description = _("Cards with a title, text, image and link, in a responsive grid.")
        preview_value = {
            "heading": "Explore",
            "cards": [
                {
                    "title": "Courses",
                    "text": "Learn with structure.",
                    "link": {"url": "/catalog/?resource_type=course"},
                },
                {"title": "Podcasts", "text": "Learn on the go.", "link": {"url": "/catalog/?resource_type=podcast"}},
                {"title": "News", "text": "What's new.", "link": {"url": "/news/"}},
            ],
        }
