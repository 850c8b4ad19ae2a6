"""Navigation menus (main and footer) as snippets: links to pages, catalogue resources or URLs."""

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from wagtail.admin.panels import FieldPanel, InlinePanel
from wagtail.models import Orderable

from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel

NAVIGATION_CACHE_KEY = "cms:navigation:v1"


class NavigationMenu(ClusterableModel):
    class Location(models.TextChoices):
        MAIN = "main", _("Main navigation")
        FOOTER = "footer", _("Footer")

    location = models.CharField(max_length=16, choices=Location.choices, unique=True)
    title = models.CharField(max_length=100, blank=True, help_text=_("Optional heading (shown in the footer)."))

    panels = [FieldPanel("location"), FieldPanel("title"), InlinePanel("items", label=_("Link"))]

    class Meta:
        ordering = ["location"]
        verbose_name = _("navigation menu")

    def __str__(self):
        return self.get_location_display()


class NavigationMenuItem(Orderable):
    menu = ParentalKey(NavigationMenu, on_delete=models.CASCADE, related_name="items")
    label = models.CharField(max_length=100, blank=True, help_text=_("Defaults to the page's or resource's title."))
    link_page = models.ForeignKey("wagtailcore.Page", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    link_resource = models.ForeignKey(
        "catalog.LearningResource", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    link_url = models.CharField(max_length=500, blank=True, help_text=_("A path such as /catalog/ or a full URL."))

    panels = [FieldPanel("label"), FieldPanel("link_page"), FieldPanel("link_resource"), FieldPanel("link_url")]

    def clean(self):
        targets = [
            name
            for name in ("link_page", "link_resource", "link_url")
            if getattr(self, name) or getattr(self, f"{name}_id", None)
        ]
        if len(targets) != 1:
            raise ValidationError(_("Link to exactly one of: a page, a catalogue resource or a URL."))
        if self.link_url and not self.link_url.startswith(("/", "https://", "http://", "mailto:")):
            raise ValidationError({"link_url": _("Enter a full URL (https://…) or a path starting with /.")})
        if not self.label and self.link_url:
            raise ValidationError({"label": _("A URL link needs a label.")})

    def __str__(self):
        return self.label or str(self.link_page or self.link_resource or self.link_url)


def navigation_links(request=None) -> dict:
    """{location: {"title": ..., "links": [{"label", "url"}]}} for every menu; cached until a menu or page changes.

    Links to draft pages and to resources learners can't see are left out.
    """
    cached = cache.get(NAVIGATION_CACHE_KEY)
    if cached is not None:
        return cached
    from cms.templatetags.cms_tags import resource_url

    menus = {}
    queryset = NavigationMenu.objects.prefetch_related(
        models.Prefetch("items", queryset=NavigationMenuItem.objects.select_related("link_page", "link_resource"))
    )
    for menu in queryset:
        links = []
        for item in menu.items.all():
            if item.link_page_id:
                page = item.link_page
                if not page.live:
                    continue
                url, label = page.get_url(request), item.label or page.title
            elif item.link_resource_id:
                resource = item.link_resource
                if not resource.is_public:
                    continue
                url, label = resource_url(resource), item.label or resource.title
            else:
                url, label = item.link_url, item.label
            if url:
                links.append({"label": label, "url": url})
        menus[menu.location] = {"title": menu.title, "links": links}
    cache.set(NAVIGATION_CACHE_KEY, menus, 300)
    return menus


def clear_navigation_cache(**kwargs):
    cache.delete(NAVIGATION_CACHE_KEY)


def _connect_cache_invalidation():
    from django.db.models.signals import post_delete, post_save

    from wagtail.signals import page_published, page_slug_changed, page_unpublished, post_page_move

    from catalog.signals import resources_changed

    for model in (NavigationMenu, NavigationMenuItem):
        post_save.connect(clear_navigation_cache, sender=model, dispatch_uid=f"nav-cache-save-{model.__name__}")
        post_delete.connect(clear_navigation_cache, sender=model, dispatch_uid=f"nav-cache-delete-{model.__name__}")
    # Menus link to pages and resources: their URLs and visibility change with them.
    for signal in (page_published, page_unpublished, page_slug_changed, post_page_move, resources_changed):
        signal.connect(clear_navigation_cache, dispatch_uid=f"nav-cache-{id(signal)}")


_connect_cache_invalidation()
