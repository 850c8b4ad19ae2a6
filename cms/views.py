"""Site-wide views: robots.txt, sitemap.xml (live pages and published catalogue resources), /favicon.ico, and the
image files under /media/ when media is on local disk."""

import posixpath
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap as DjangoSitemap
from django.http import Http404, HttpResponse, HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_safe
from django.views.static import serve

from wagtail.contrib.sitemaps import views as sitemap_views
from wagtail.contrib.sitemaps.sitemap_generator import Sitemap as PageSitemap

from cms.caching import cache_public
from cms.sites import site_url

ROBOTS_ALWAYS_DISALLOWED = ("/admin/", "/django-admin/", "/imports/")


class ResourceSitemap(DjangoSitemap):
    """Published, visible catalogue resources, by their learner page."""

    limit = 5000

    def items(self):
        from catalog.models import LearningResource

        return LearningResource.objects.public().only("id", "slug", "updated_at").order_by("id")

    def location(self, resource):
        return reverse("catalog:resource-detail", kwargs={"slug": resource.slug})

    def lastmod(self, resource):
        return resource.updated_at

    # Absolute URLs from SITE_URL, not from the request's Host header (pages get theirs from the default Site,
    # which `manage.py setup` points at SITE_URL).
    def get_protocol(self, protocol=None):
        return urlsplit(site_url()).scheme

    def get_domain(self, site=None):
        return urlsplit(site_url()).netloc


def catalogue_pages_mounted() -> bool:
    try:
        reverse("catalog:resource-detail", kwargs={"slug": "x"})
    except NoReverseMatch:
        return False
    return True


@require_safe
@cache_public
def sitemap(request):
    sitemaps = {"pages": PageSitemap}
    if catalogue_pages_mounted():
        sitemaps["resources"] = ResourceSitemap()
    return sitemap_views.sitemap(request, sitemaps=sitemaps)


@require_safe
@cache_public
def robots_txt(request):
    from cms.models import SiteSettings
    from cms.templatetags.cms_tags import site_settings_for

    settings_ = site_settings_for(request) or SiteSettings()
    lines = ["User-agent: *"]
    if settings_.disallow_all_robots:
        lines.append("Disallow: /")
    else:
        lines += [f"Disallow: {path}" for path in ROBOTS_ALWAYS_DISALLOWED]
        extra = [line.strip() for line in settings_.robots_txt_extra.splitlines() if line.strip()]
        lines += extra
    lines += ["", f"Sitemap: {site_url()}{reverse('sitemap')}", ""]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")


def favicon(request):
    """Browsers ask for /favicon.ico whatever the page says: send them to the static file."""
    return HttpResponsePermanentRedirect(static("icons/favicon.ico"))


# Image files only: Wagtail's documents live under media/documents/ too, but they are served by /documents/, which
# checks their collection's privacy; serving that folder here would bypass it.
PUBLIC_MEDIA_FOLDERS = ("images/", "original_images/")


@require_safe
def media_image(request, path):
    """An image file (a rendition or an original) from MEDIA_ROOT, for sites whose media is on local disk.

    WhiteNoise serves static files only, so without this (or S3, or a web server in front) a production-settings site
    on the embedded defaults answered 404 for every stored image. Rendition names carry their filter and a hash of
    the focal point, so they can be cached for a day.
    """
    # Judge the path as `serve` will resolve it: "images/../documents/x.pdf" is a document.
    path = posixpath.normpath(unquote(path)).lstrip("/")
    if not path.startswith(PUBLIC_MEDIA_FOLDERS):
        raise Http404("Only image files are served from /media/.")
    response = serve(request, path, document_root=settings.MEDIA_ROOT)
    response["Cache-Control"] = "public, max-age=86400"
    return response


def serve_page(request, path):
    """Wagtail's `serve`, with the site and the page's route taken from the content cache when it is on
    (`cms.content_cache`): a kept route costs one query, the page itself, instead of two per level of the path."""
    from wagtail import views as wagtail_views

    _prime_route(request, path)
    return wagtail_views.serve(request, path)


def _route_entry(request, path):
    """(page id, content type id, args, kwargs) of the live page Wagtail routes `path` to, or None."""
    from wagtail.models import Page

    found = Page.route_for_request(request, path)  # keeps the route on the request: this request uses it as is
    if found is None:
        return None
    page, args, kwargs = found
    return page.pk, page.content_type_id, tuple(args), dict(kwargs)


def _prime_route(request, path):
    from django.contrib.contenttypes.models import ContentType

    from wagtail.models import Site
    from wagtail.url_routing import RouteResult

    from cms.content_cache import generation, get_or_compute, usable
    from cms.models import SiteSettings

    if not usable(request) or generation(request) is None:
        return
    try:
        SiteSettings.for_request(request)  # the site (and the settings every page shows) from the cache
    except SiteSettings.DoesNotExist:
        return  # no site for this request (none configured yet): Wagtail's `serve` answers 404
    site = Site.find_for_request(request)
    if site is None:
        return
    found = get_or_compute(request, "route", (site.pk, path), lambda: _route_entry(request, path))
    if found is None or hasattr(request, "_wagtail_route_for_request"):
        return
    page_id, content_type_id, args, kwargs = found
    model = ContentType.objects.get_for_id(content_type_id).model_class()
    page = model.objects.filter(pk=page_id, live=True).first() if model is not None else None
    if page is not None:
        request._wagtail_route_for_request = RouteResult(page, list(args), kwargs)
