"""Template tags for the site chrome: navigation, breadcrumbs, SEO meta, resource links."""

from django import template
from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils.html import strip_tags
from django.utils.text import Truncator

from cms.sites import site_url

register = template.Library()
register.simple_tag(site_url, name="site_url")


@register.filter
def resource_url(resource) -> str:
    """The learner page of a catalogue resource, or its own URL if the catalogue pages aren't mounted."""
    try:
        return reverse("catalog:resource-detail", kwargs={"slug": resource.slug})
    except NoReverseMatch:
        return resource.url or ""


@register.simple_tag(takes_context=True)
def resource_card_url(context, resource) -> str:
    """A card's link: the curated program page when there is a live one (see card_queryset), else the resource's."""
    path = getattr(resource, "program_page_path", None)
    if path:
        url = url_from_url_path(path, context.get("request"))
        if url:
            return url
    return resource_url(resource)


def url_from_url_path(url_path, request=None):
    """The URL of a page from its url_path, using Wagtail's cached site root paths (no query)."""
    from wagtail.models import Site

    current = Site.find_for_request(request) if request is not None else None
    roots = sorted(Site.get_site_root_paths(), key=lambda root: root.site_id != getattr(current, "id", None))
    for root in roots:
        if url_path.startswith(root.root_path):
            relative = url_path[len(root.root_path) - 1 :]
            if current is not None and root.site_id == current.id:
                return relative
            return root.root_url + relative
    return ""


@register.filter
def plain_excerpt(html, words=30) -> str:
    return Truncator(strip_tags(html or "")).words(int(words), truncate="…")


def site_settings_for(request):
    from cms.models import SiteSettings

    if request is None:
        return None
    try:
        return SiteSettings.for_request(request)
    except SiteSettings.DoesNotExist:  # no site matches the request (e.g. an unknown host)
        return None


@register.simple_tag(takes_context=True)
def site_settings(context):
    return site_settings_for(context.get("request"))


@register.simple_tag(takes_context=True)
def navigation(context, location):
    """Links of the main or footer menu ({"title", "links"}); empty when no menu is set up."""
    from cms.models.snippets import navigation_links

    return navigation_links(context.get("request")).get(location) or {"title": "", "links": []}


@register.inclusion_tag("components/breadcrumbs.html", takes_context=True)
def breadcrumbs(context, page=None):
    page = page or context.get("page")
    items = []
    if page is not None and getattr(page, "depth", 0) > 2:
        from wagtail.models import Site

        request = context.get("request")
        site = Site.find_for_request(request) if request is not None else None
        root = site.root_page if site is not None else None
        if root is not None and page.depth == root.depth + 1 and page.path.startswith(root.path):
            # The only ancestor shown is the site's home page, already loaded with the site: no query.
            ancestors = [root]
        else:
            ancestors = page.get_ancestors().filter(depth__gt=1).only("id", "title", "url_path", "depth", "path")
        items = [{"title": ancestor.title, "url": ancestor.get_url(request)} for ancestor in ancestors]
    return {"items": items, "current": page}


@register.inclusion_tag("components/seo_meta.html", takes_context=True)
def seo_meta(context, page=None):
    """Canonical URL, robots, description, OpenGraph and Twitter card for a page (or the current request)."""
    request = context.get("request")
    page = page or context.get("page")
    cms_settings = site_settings_for(request)
    site_name = (cms_settings.site_name if cms_settings else "") or settings.WAGTAIL_SITE_NAME
    title = description = canonical = image_url = ""
    noindex = False
    og_type = "website"
    if page is not None and hasattr(page, "get_full_url"):
        og_type = "website" if page.depth <= 2 else "article"
        title = getattr(page, "seo_title", "") or page.title
        description = getattr(page, "search_description", "") or getattr(page, "listing_summary", "")
        canonical = page.get_full_url(request) or ""
        noindex = bool(getattr(page, "noindex", False))
        image = getattr(page, "share_image", None)
        if image is not None:
            rendition = image.get_rendition("fill-1200x630")
            image_url = rendition.full_url
            if image_url.startswith("/"):
                image_url = settings.SITE_URL + image_url
    elif request is not None:
        canonical = site_url() + request.path
    return {
        "title": title,
        "description": description,
        "canonical": canonical,
        "image_url": image_url,
        "noindex": noindex or getattr(request, "is_preview", False),
        "site_name": site_name,
        "twitter_handle": (cms_settings.twitter_handle.lstrip("@") if cms_settings else ""),
        "og_type": og_type,
    }


@register.filter
def link_url(value) -> str:
    """The URL of a LinkBlock value ('' when its page is a draft or its resource isn't public)."""
    from cms.blocks.content import link_url as block_link_url

    return block_link_url(value) if value else ""


@register.filter
def get_item(mapping, key):
    return (mapping or {}).get(key)


@register.filter
def urlencode_dict(mapping) -> str:
    from django.utils.http import urlencode

    return urlencode(mapping or {})
