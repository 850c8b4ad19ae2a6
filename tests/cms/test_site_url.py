"""SITE_URL decides the public address: canonical links, the sitemap, robots.txt and the pages API's html_url."""

from django.core.management import call_command

from wagtail.models import Page, Site

import pytest

from catalog.factories import CourseFactory
from cms.sites import site_address
from tests.cms.factories import LandingPageFactory

pytestmark = pytest.mark.django_db

PUBLIC = "https://learn.example.org"


@pytest.fixture
def public_site_url(settings, home):
    settings.SITE_URL = PUBLIC
    assert Site.objects.get(is_default_site=True).root_url == "http://localhost"  # Wagtail's migration default
    call_command("setup", verbosity=0)
    return PUBLIC


def test_setup_points_the_default_site_at_site_url(public_site_url):
    site = Site.objects.get(is_default_site=True)
    assert (site.hostname, site.port, site.root_url) == ("learn.example.org", 443, PUBLIC)


def test_canonical_links_sitemap_robots_and_api_use_site_url(client, home, public_site_url):
    page = LandingPageFactory(parent=home, slug="about-us", title="About us")
    course = CourseFactory(title="Listed course")

    html = client.get("/about-us/").content.decode()
    assert f'<link rel="canonical" href="{PUBLIC}/about-us/">' in html
    detail = client.get(f"/catalog/{course.slug}/").content.decode()  # a page that is no Wagtail page
    assert f'<link rel="canonical" href="{PUBLIC}/catalog/{course.slug}/">' in detail
    sitemap = client.get("/sitemap.xml").content.decode()
    assert f"<loc>{PUBLIC}/about-us/</loc>" in sitemap
    assert f"<loc>{PUBLIC}/catalog/{course.slug}/</loc>" in sitemap
    assert "http://testserver" not in sitemap and "http://localhost" not in sitemap
    assert f"Sitemap: {PUBLIC}/sitemap.xml" in client.get("/robots.txt").content.decode()
    detail = client.get(f"/api/v2/pages/{page.pk}/").json()
    assert detail["meta"]["html_url"] == f"{PUBLIC}/about-us/"


def test_the_demo_site_is_created_at_site_url(settings):
    from cms.demo import ensure_home_page

    settings.SITE_URL = "http://127.0.0.1:8123"
    Site.objects.all().delete()
    Page.objects.filter(depth=2).delete()  # a fresh database with no site yet
    ensure_home_page(lambda message: None)
    site = Site.objects.get(is_default_site=True)
    assert site.root_url == "http://127.0.0.1:8123"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:8000", {"hostname": "127.0.0.1", "port": 8000}),
        ("https://learn.example.org/", {"hostname": "learn.example.org", "port": 443}),
        ("http://learn.example.org", {"hostname": "learn.example.org", "port": 80}),
    ],
)
def test_site_address(url, expected):
    assert site_address(url) == expected


def test_a_site_url_that_is_no_http_url_is_refused():
    with pytest.raises(ValueError, match="SITE_URL must be an http"):
        site_address("learn.example.org")
