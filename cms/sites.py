"""SITE_URL decides the public address: the default Wagtail Site (page URLs, the sitemap, the pages API's
`html_url`) and every absolute link the site writes itself (canonical links, robots.txt, resource sitemap)."""

from urllib.parse import urlsplit

from django.conf import settings

from wagtail.models import Site

DEFAULT_PORTS = {"http": 80, "https": 443}


def site_url() -> str:
    """SITE_URL without a trailing slash."""
    return settings.SITE_URL.rstrip("/")


def site_address(url: str | None = None) -> dict:
    """The Wagtail Site `hostname` and `port` for a URL (SITE_URL by default)."""
    parts = urlsplit(url or site_url())
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        raise ValueError(f"SITE_URL must be an http(s) URL such as https://learn.example.org, got {url!r}")
    return {"hostname": parts.hostname, "port": parts.port or DEFAULT_PORTS[parts.scheme]}


def sync_default_site(log=None) -> Site | None:
    """Give the default Site the hostname and port of SITE_URL (Wagtail's own default is localhost:80)."""
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        return None
    address = site_address()
    if (site.hostname, site.port) != (address["hostname"], address["port"]):
        site.hostname, site.port = address["hostname"], address["port"]
        site.save(update_fields=["hostname", "port"])  # Site's post_save clears Wagtail's cached root paths
        if log:
            log(f"Default site set to {site.root_url} (SITE_URL).")
    return site
