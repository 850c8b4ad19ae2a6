"""Page types: Home, Landing, Program and Standard pages on an abstract BasePage (SEO and listing fields)."""

from django.apps import apps
from django.conf import settings
from django.db import models
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from wagtail import blocks
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.api import APIField
from wagtail.fields import RichTextField, StreamField
from wagtail.images import get_image_model_string
from wagtail.images.api.fields import ImageRenditionField
from wagtail.models import Orderable, Page
from wagtail.search import index

from modelcluster.fields import ParentalKey
from rest_framework import serializers
from wagtail_headless_preview.models import HeadlessPreviewMixin

from cms.blocks import BaseStreamBlock, HomeStreamBlock, prefetch_stream
from cms.blocks.catalogue import serialize_resources, split_public
from cms.blocks.content import CallToActionBlock, FAQItemBlock
from cms.blocks.panels import CatalogueReferencesPanel
from cms.choosers import ResourceChooserWidget

IMAGE_MODEL = get_image_model_string()


def existing_page_types(*model_strings):
    """The given page types that exist: the news app's pages join the allowed subpages once it defines them."""
    found = []
    for model_string in model_strings:
        app_label, model_name = model_string.split(".")
        try:
            apps.get_model(app_label, model_name)
        except LookupError:
            continue
        found.append(model_string)
    return found


def exclude_private(queryset):
    """Wagtail's `PageQuerySet.public()` (no page under a view restriction) as a subquery of the same query, instead
    of a query for the restrictions first."""
    from django.db.models import Exists, F, OuterRef
    from django.db.models.lookups import StartsWith

    from wagtail.models import PageViewRestriction

    restricted = PageViewRestriction.objects.filter(StartsWith(OuterRef("path"), F("page__path")))
    return queryset.exclude(Exists(restricted))


class BasePage(HeadlessPreviewMixin, Page):
    """Fields every page carries: SEO (search description lives on Page) and listing (cards, menus).

    Previews: the server-rendered page, plus a "Next.js frontend" mode when HEADLESS_PREVIEW_CLIENT_URL is set
    (the frontend fetches the draft from /api/v2/page_preview/ with the signed token it is given).
    """

    social_image = models.ForeignKey(
        IMAGE_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Shown when the page is shared; falls back to the listing image.",
    )
    noindex = models.BooleanField(default=False, help_text="Ask search engines not to index this page.")
    listing_title = models.CharField(max_length=255, blank=True, help_text="Overrides the title in listings.")
    listing_summary = models.CharField(max_length=300, blank=True)
    listing_image = models.ForeignKey(IMAGE_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

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
        APIField("listing_image_thumbnail", serializer=ImageRenditionField("fill-640x360", source="listing_image")),
        APIField("social_image"),
        APIField("social_image_url", serializer=ImageRenditionField("fill-1200x630", source="social_image")),
        APIField("search_description"),
        APIField("noindex"),
    ]
    search_fields = [*Page.search_fields, index.SearchField("listing_summary")]

    # Streams and images that get_context() loads in bulk before rendering (see cms.blocks.prefetch).
    prefetch_stream_fields: tuple[str, ...] = ()
    prefetch_image_fields: tuple[str, ...] = ("social_image", "listing_image")

    class Meta:
        abstract = True

    @property
    def display_title(self):
        return self.listing_title or self.title

    @property
    def share_image(self):
        return self.social_image or self.listing_image

    HEADLESS_PREVIEW_MODE = "headless"

    @property
    def preview_modes(self):
        modes = [("", _("Server-rendered"))]
        if settings.HEADLESS_PREVIEW_CLIENT_URL:
            modes.append((self.HEADLESS_PREVIEW_MODE, _("Next.js frontend")))
        return modes

    def serve_preview(self, request, mode_name):
        if mode_name == self.HEADLESS_PREVIEW_MODE and settings.HEADLESS_PREVIEW_CLIENT_URL:
            from cms.preview_tokens import garbage_collect

            garbage_collect()  # expired tokens' drafts go (the package's own sweep keeps them a day or more)
            return HeadlessPreviewMixin.serve_preview(self, request, mode_name)
        return Page.serve_preview(self, request, mode_name)

    def get_view_restrictions(self):
        """Wagtail's rule (the restrictions of this page and its ancestors, an alias's taken from its source page)
        in one query instead of two: the ancestors' paths follow from this page's own."""
        from django.db.models import Q

        from wagtail.models import PageViewRestriction

        steplen = self.steplen
        paths = [self.path[:end] for end in range(steplen, len(self.path) + 1, steplen)]
        aliases = Page.objects.filter(path__in=paths, alias_of__isnull=False).values("alias_of_id")
        return PageViewRestriction.objects.filter(
            Q(page__path__in=paths, page__alias_of__isnull=True) | Q(page_id__in=aliases)
        )

    def get_sitemap_urls(self, request=None):
        return [] if self.noindex else super().get_sitemap_urls(request)

    def prefetch_content(self, request=None):
        """Load the page's images and its streams' references in a few queries; returns what was loaded (blocks
        whose HTML the content cache keeps for `request` are skipped)."""
        from wagtail.images import get_image_model

        Image = get_image_model()
        image_ids = {getattr(self, f"{name}_id") for name in self.prefetch_image_fields} - {None}
        streams = [getattr(self, name) for name in self.prefetch_stream_fields]
        loaded = prefetch_stream(*streams, extra_refs={Image: image_ids}, request=request)
        images = loaded.get(Image, {})
        for name in self.prefetch_image_fields:
            image_id = getattr(self, f"{name}_id")
            if image_id and images.get(image_id) is not None:
                setattr(self, name, images[image_id])
        return loaded

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["prefetched"] = self.prefetch_content(request)
        return context

    def serve(self, request, *args, **kwargs):
        from cms.caching import apply_public_cache

        response = super().serve(request, *args, **kwargs)
        session = getattr(request, "session", None)
        if session is not None and session.accessed:
            # A view restriction read the session (password or login protected page): never a shared cache.
            response["Cache-Control"] = "private, no-cache"
            return response
        return apply_public_cache(request, response)


class HeroMixin(models.Model):
    hero_image = models.ForeignKey(IMAGE_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    hero_cta_label = models.CharField("Hero button label", max_length=60, blank=True)
    hero_cta_url = models.CharField(
        "Hero button link", max_length=500, blank=True, help_text="A path such as /catalog/ or a full URL."
    )

    hero_panels = [
        MultiFieldPanel(
            [FieldPanel("hero_image"), FieldPanel("hero_cta_label"), FieldPanel("hero_cta_url")], heading="Hero"
        )
    ]
    hero_api_fields = [
        APIField("hero_image"),
        APIField("hero_image_url", serializer=ImageRenditionField("fill-1600x600", source="hero_image")),
        APIField("hero_cta_label"),
        APIField("hero_cta_url"),
    ]

    class Meta:
        abstract = True


class HomePage(BasePage, HeroMixin):  # noqa: DJ008 - Page.__str__ (the title) applies
    """The root of the site: a search box, then sections editors build from blocks (see cms.demo for the demo's)."""

    introduction = models.TextField(blank=True)
    body = StreamField(HomeStreamBlock(), blank=True)

    template = "pages/home_page.html"
    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["cms.LandingPage", "cms.ProgramPage", "cms.StandardPage"]
    # Added when the news app defines them.
    optional_subpage_types = ["news.NewsIndexPage", "news.EventsIndexPage"]
    max_count = 1
    content_panels = [
        *BasePage.content_panels,
        FieldPanel("introduction"),
        *HeroMixin.hero_panels,
        FieldPanel("body"),
        CatalogueReferencesPanel(),
    ]
    search_fields = [*BasePage.search_fields, index.SearchField("introduction"), index.SearchField("body")]
    api_fields = [*BasePage.api_fields, APIField("introduction"), *HeroMixin.hero_api_fields, APIField("body")]
    prefetch_stream_fields = ("body",)
    prefetch_image_fields = ("hero_image", *BasePage.prefetch_image_fields)

    @classmethod
    def clean_subpage_models(cls):
        cls.subpage_types = [*cls.subpage_types, *existing_page_types(*cls.optional_subpage_types)]
        cls.optional_subpage_types = []
        return super().clean_subpage_models()


class LandingPage(BasePage, HeroMixin):  # noqa: DJ008 - Page.__str__ (the title) applies
    """A campaign or topic page: a hero and a body built from the shared block set."""

    introduction = models.TextField(blank=True, help_text="The hero's lead text.")
    body = StreamField(BaseStreamBlock(), blank=True)

    template = "pages/landing_page.html"
    parent_page_types = ["cms.HomePage", "cms.LandingPage"]
    subpage_types = ["cms.LandingPage", "cms.ProgramPage", "cms.StandardPage"]
    content_panels = [
        *BasePage.content_panels,
        FieldPanel("introduction"),
        *HeroMixin.hero_panels,
        FieldPanel("body"),
        CatalogueReferencesPanel(),
    ]
    search_fields = [*BasePage.search_fields, index.SearchField("introduction"), index.SearchField("body")]
    api_fields = [*BasePage.api_fields, APIField("introduction"), *HeroMixin.hero_api_fields, APIField("body")]
    prefetch_stream_fields = ("body",)
    prefetch_image_fields = ("hero_image", *BasePage.prefetch_image_fields)


class ResourceAPIField(serializers.Field):
    """A catalogue resource (or list of them) in the catalogue API's representation; non-public ones omitted."""

    def __init__(self, many=False, **kwargs):
        self.many = many
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value):
        resources = list(value) if self.many else [value]
        shown = serialize_resources([r.pk for r in resources if r is not None and r.is_public], self.context)
        return shown if self.many else (shown[0] if shown else None)

    def get_attribute(self, instance):
        value = super().get_attribute(instance)
        return value() if callable(value) else value


class PlainAPIField(serializers.Field):
    """A computed value (lists, dicts) returned as it is."""

    def __init__(self, **kwargs):
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value):
        return value() if callable(value) else value


def instructor_links_prefetch():
    from django.db.models import Prefetch

    from catalog.models import ResourceInstructor

    return Prefetch("instructor_links", queryset=ResourceInstructor.objects.select_related("instructor"))


class ProgramPage(BasePage):
    """A curated program: linked to a catalogue program when one exists, its courses in order, and the selling
    points (outcomes, audience, certificate, prices, instructors, FAQ, call to action)."""

    program = models.ForeignKey(
        "catalog.LearningResource",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="program_pages",
        limit_choices_to={"resource_type": "program"},
        help_text="The catalogue program; its courses, prices and instructors show unless you list courses below.",
    )
    introduction = models.TextField(blank=True)
    outcomes = StreamField(
        [("outcome", blocks.CharBlock(max_length=255, label="Outcome"))],
        blank=True,
        help_text="What learners will be able to do.",
    )
    audience = RichTextField(blank=True, features=["bold", "italic", "link", "ul", "ol"], help_text="Who it is for.")
    certificate = models.CharField(
        max_length=255, blank=True, help_text="The credential earned; defaults to the catalogue's certificate."
    )
    faq = StreamField([("question", FAQItemBlock())], blank=True, verbose_name="FAQ")
    call_to_action = StreamField([("call_to_action", CallToActionBlock())], blank=True, max_num=1)
    body = StreamField(BaseStreamBlock(), blank=True)

    template = "pages/program_page.html"
    parent_page_types = ["cms.HomePage", "cms.LandingPage"]
    subpage_types = ["cms.StandardPage"]
    content_panels = [
        *BasePage.content_panels,
        FieldPanel("program", widget=ResourceChooserWidget()),
        FieldPanel("introduction"),
        InlinePanel("course_links", heading="Courses", label="Course", help_text="Overrides the program's courses."),
        FieldPanel("outcomes"),
        FieldPanel("audience"),
        FieldPanel("certificate"),
        FieldPanel("faq"),
        FieldPanel("call_to_action"),
        FieldPanel("body"),
        CatalogueReferencesPanel(),
    ]
    search_fields = [
        *BasePage.search_fields,
        index.SearchField("introduction"),
        index.SearchField("outcomes"),
        index.SearchField("audience"),
        index.SearchField("faq"),
        index.FilterField("program"),
    ]
    api_fields = [
        *BasePage.api_fields,
        APIField("introduction"),
        APIField("catalogue_program", serializer=ResourceAPIField(source="program")),
        APIField("courses", serializer=ResourceAPIField(many=True, source="get_courses")),
        APIField("outcomes"),
        APIField("audience"),
        APIField("certificate_text", serializer=PlainAPIField()),
        APIField("prices", serializer=PlainAPIField()),
        APIField("instructors", serializer=PlainAPIField(source="instructor_names")),
        APIField("faq"),
        APIField("call_to_action"),
        APIField("body"),
    ]
    prefetch_stream_fields = ("faq", "call_to_action", "body")

    @cached_property
    def catalogue_program(self):
        """The linked program if learners may see it."""
        if self.program_id is None:
            return None
        from catalog.models import LearningResource

        program = (
            LearningResource.objects.select_related("offered_by", "platform")
            .prefetch_related("runs", instructor_links_prefetch())
            .filter(pk=self.program_id)
            .first()
        )
        return program if program and program.is_public else None

    @cached_property
    def _courses(self):
        """(public courses in order, editor warnings about chosen courses that are gone)."""
        from catalog.models import LearningResource, RelationType
        from catalog.models.resources import public_q

        links = list(self.course_links.all())
        chosen_ids = [link.resource_id for link in links]
        queryset = LearningResource.objects.select_related("offered_by", "platform").prefetch_related(
            instructor_links_prefetch()
        )
        if chosen_ids:
            by_id = queryset.in_bulk(chosen_ids)
            return split_public([by_id.get(pk) for pk in chosen_ids])
        if self.catalogue_program is None:
            return [], []
        courses = (
            queryset.public()
            .filter(
                public_q("parent_links__parent__"),
                parent_links__parent_id=self.program_id,
                parent_links__relation_type=RelationType.PROGRAM_COURSES,
            )
            .order_by("parent_links__position", "title")
        )
        return list(courses), []

    def get_courses(self):
        return self._courses[0]

    @property
    def course_warnings(self):
        return self._courses[1]

    def certificate_text(self):
        if self.certificate:
            return self.certificate
        program = self.catalogue_program
        if program and program.certification:
            return program.get_certification_type_display()
        return ""

    def prices(self):
        """Prices from the catalogue: the program's runs' prices, else its price range; [] when free/unknown."""
        program = self.catalogue_program
        if program is None:
            return []
        seen, prices = set(), []
        for run in program.runs.all():
            if not run.published:
                continue
            for price in run.prices or []:
                key = (str(price.get("amount")), price.get("currency", ""), price.get("label", ""))
                if price.get("amount") not in (None, "") and key not in seen:
                    seen.add(key)
                    prices.append({"amount": key[0], "currency": key[1], "label": key[2]})
        if not prices and program.min_price is not None:
            prices.append({"amount": str(program.min_price), "currency": program.currency, "label": ""})
            if program.max_price is not None and program.max_price != program.min_price:
                prices.append({"amount": str(program.max_price), "currency": program.currency, "label": ""})
        return prices

    def instructor_names(self):
        names = []
        sources = [self.catalogue_program, *self.get_courses()] if self.catalogue_program else self.get_courses()
        for resource in sources:
            for link in resource.instructor_links.all():
                if link.instructor.full_name not in names:
                    names.append(link.instructor.full_name)
        return names

    @property
    def enrol_url(self):
        return self.catalogue_program.url if self.catalogue_program else ""


class ProgramPageCourse(Orderable):
    page = ParentalKey(ProgramPage, on_delete=models.CASCADE, related_name="course_links")
    # Kept (empty) when the resource is deleted, so the editor sees that a course went missing.
    resource = models.ForeignKey("catalog.LearningResource", null=True, on_delete=models.SET_NULL, related_name="+")

    panels = [FieldPanel("resource", widget=ResourceChooserWidget())]

    def __str__(self):
        return f"{self.page_id} → {self.resource_id}"


class StandardPage(BasePage):
    """A plain page: about, contact, policies."""

    introduction = models.TextField(blank=True)
    body = RichTextField(blank=True)

    template = "pages/standard_page.html"
    parent_page_types = ["cms.HomePage", "cms.StandardPage", "cms.LandingPage", "cms.ProgramPage"]
    subpage_types = ["cms.StandardPage"]
    content_panels = [*BasePage.content_panels, FieldPanel("introduction"), FieldPanel("body")]
    search_fields = [*BasePage.search_fields, index.SearchField("introduction"), index.SearchField("body")]
    api_fields = [*BasePage.api_fields, APIField("introduction"), APIField("body")]


def purge_page_api(instance, **kwargs):
    """wagtail.contrib.frontend_cache purges a page's own URL on publish; purge its API representations too."""
    from django.conf import settings
    from django.urls import NoReverseMatch, reverse

    from wagtail.contrib.frontend_cache.utils import PurgeBatch, get_backends

    if not get_backends():
        return
    base = settings.WAGTAILAPI_BASE_URL.rstrip("/")
    try:
        urls = [
            base + reverse("wagtailapi:pages:detail", args=[instance.pk]),
            base + reverse("wagtailapi:pages:listing"),
        ]
        path = instance.get_url()
        if path:
            urls.append(base + reverse("wagtailapi:pages:find") + f"?html_path={path}")
    except NoReverseMatch:
        return
    batch = PurgeBatch()
    batch.add_urls(urls)
    batch.purge()


def _connect_purge():
    from wagtail.signals import page_published, page_unpublished

    page_published.connect(purge_page_api, dispatch_uid="cms-purge-page-api-published")
    page_unpublished.connect(purge_page_api, dispatch_uid="cms-purge-page-api-unpublished")


_connect_purge()
