from django.db import models

from wagtail import blocks
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.api import APIField
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.search import index


class BasePage(Page):
    """Fields every page carries: SEO (search description lives on Page) and listing (cards, menus)."""

    social_image = models.ForeignKey(
        "cms.CustomImage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Shown when the page is shared; falls back to the listing image.",
    )
    noindex = models.BooleanField(default=False, help_text="Ask search engines not to index this page.")
    listing_title = models.CharField(max_length=255, blank=True, help_text="Overrides the title in listings.")
    listing_summary = models.CharField(max_length=300, blank=True)
    listing_image = models.ForeignKey(
        "cms.CustomImage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    promote_panels = [
        *Page.promote_panels,
        MultiFieldPanel(
            [FieldPanel("listing_title"), FieldPanel("listing_summary"), FieldPanel("listing_image")],
            heading="Listing",
        ),
        MultiFieldPanel([FieldPanel("social_image"), FieldPanel("noindex")], heading="Sharing and indexing"),
    ]
    api_fields = [
        APIField("listing_title"),
        APIField("listing_summary"),
        APIField("listing_image"),
        APIField("social_image"),
        APIField("noindex"),
    ]
    search_fields = [*Page.search_fields, index.SearchField("listing_summary")]

    class Meta:
        abstract = True

    @property
    def display_title(self):
        return self.listing_title or self.title


class HomePage(BasePage):
    """The root of the site."""

    introduction = models.TextField(blank=True)
    body = StreamField([("paragraph", blocks.RichTextBlock())], blank=True)

    template = "pages/home_page.html"
    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["cms.StandardPage"]
    max_count = 1
    content_panels = [*BasePage.content_panels, FieldPanel("introduction"), FieldPanel("body")]
    search_fields = [*BasePage.search_fields, index.SearchField("introduction")]
    api_fields = [*BasePage.api_fields, APIField("introduction"), APIField("body")]


class StandardPage(BasePage):
    """A plain page: about, contact, policies."""

    introduction = models.TextField(blank=True)
    body = RichTextField(blank=True)

    template = "pages/standard_page.html"
    parent_page_types = ["cms.HomePage", "cms.StandardPage"]
    subpage_types = ["cms.StandardPage"]
    content_panels = [*BasePage.content_panels, FieldPanel("introduction"), FieldPanel("body")]
    search_fields = [*BasePage.search_fields, index.SearchField("introduction"), index.SearchField("body")]
    api_fields = [*BasePage.api_fields, APIField("introduction"), APIField("body")]
