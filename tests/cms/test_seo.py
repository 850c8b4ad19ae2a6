"""SEO and site chrome: sitemap, robots.txt, meta tags, redirects, navigation, breadcrumbs, CDN purge."""

from django.conf import settings

from wagtail.contrib.frontend_cache.backends import BaseBackend
from wagtail.contrib.redirects.models import Redirect

import pytest

from catalog.factories import CourseFactory
from cms.models import NavigationMenu, NavigationMenuItem, SiteSettings
from tests.cms.factories import ImageFactory, LandingPageFactory, StandardPageFactory

pytestmark = pytest.mark.django_db


def test_sitemap_lists_live_pages_and_public_resources_only(client, home):
    live = LandingPageFactory(parent=home, slug="live-one")
    LandingPageFactory(parent=home, slug="draft-one", live=False)
    LandingPageFactory(parent=home, slug="secret-one", noindex=True)
    course = CourseFactory(title="Listed")
    hidden = CourseFactory(title="Not listed", hidden=True)
    unpublished = CourseFactory(title="Gone", unpublished=True)
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    xml = response.content.decode()
    assert f"/{live.slug}/</loc>" in xml
    assert "draft-one" not in xml and "secret-one" not in xml
    assert f"/{course.slug}/</loc>" in xml
    assert hidden.slug not in xml and unpublished.slug not in xml
    assert "s-maxage" in response["Cache-Control"]


def test_robots_txt_is_configurable(client, home):
    text = client.get("/robots.txt").content.decode()
    assert "User-agent: *" in text and "Disallow: /admin/" in text
    assert f"Sitemap: {settings.SITE_URL}/sitemap.xml" in text  # SITE_URL, not the Host header
    settings_ = SiteSettings.for_site(home.get_site())
    settings_.robots_txt_extra = "Disallow: /search/"
    settings_.save()
    assert "Disallow: /search/" in client.get("/robots.txt").content.decode()
    settings_.disallow_all_robots = True
    settings_.save()
    text = client.get("/robots.txt").content.decode()
    assert "Disallow: /\n" in text and "Disallow: /search/" not in text


def test_pages_have_canonical_opengraph_and_twitter_meta(client, home):
    image = ImageFactory()
    settings_ = SiteSettings.for_site(home.get_site())
    settings_.twitter_handle = "learnhub"
    settings_.save()
    page = LandingPageFactory(
        parent=home, slug="meta", title="Meta page", search_description="A description.", social_image=image
    )
    html = client.get("/meta/").content.decode()
    assert '<link rel="canonical" href="http://localhost/meta/">' in html
    assert '<meta property="og:title" content="Meta page">' in html
    assert '<meta property="og:description" content="A description.">' in html
    assert 'property="og:image" content="http' in html and "fill-1200x630" in html
    assert '<meta name="twitter:card" content="summary_large_image">' in html
    assert '<meta name="twitter:site" content="@learnhub">' in html
    assert 'name="robots"' not in html
    page.noindex = True
    page.save_revision().publish()
    assert '<meta name="robots" content="noindex">' in client.get("/meta/").content.decode()


def test_redirects_work(client, home):
    target = LandingPageFactory(parent=home, slug="new-place")
    Redirect.objects.create(old_path="/old-place", redirect_page=target, is_permanent=True)
    response = client.get("/old-place/")
    assert response.status_code == 301
    assert response["Location"].endswith("/new-place/")


def test_navigation_menus_link_pages_resources_and_urls(client, home):
    page = LandingPageFactory(parent=home, slug="nav-target", title="Nav target")
    draft = LandingPageFactory(parent=home, slug="nav-draft", live=False)
    course = CourseFactory(title="Menu Course")
    hidden = CourseFactory(title="Hidden Menu Course", hidden=True)
    main = NavigationMenu.objects.create(location="main")
    for order, kwargs in enumerate(
        [
            {"link_page": page},
            {"link_page": draft, "label": "Draft link"},
            {"link_resource": course},
            {"link_resource": hidden},
            {"link_url": "/catalog/", "label": "Everything"},
        ]
    ):
        NavigationMenuItem.objects.create(menu=main, sort_order=order, **kwargs)
    footer = NavigationMenu.objects.create(location="footer", title="More")
    NavigationMenuItem.objects.create(menu=footer, link_url="https://example.org/", label="Elsewhere")
    html = client.get("/").content.decode()
    assert '<a href="/nav-target/">Nav target</a>' in html
    assert "Draft link" not in html and "Hidden Menu Course" not in html
    assert "Menu Course" in html and ">Everything</a>" in html
    assert "Elsewhere" in html and ">More</h2>" in html
    # Editing a menu shows at once (the cached menus are dropped on save).
    NavigationMenuItem.objects.create(menu=main, sort_order=9, link_url="/news/", label="Fresh news")
    assert "Fresh news" in client.get("/").content.decode()


def test_navigation_item_needs_exactly_one_target(home):
    from django.core.exceptions import ValidationError

    menu = NavigationMenu.objects.create(location="main")
    with pytest.raises(ValidationError, match="exactly one"):
        NavigationMenuItem(menu=menu, label="x").clean()
    with pytest.raises(ValidationError):
        NavigationMenuItem(menu=menu, label="x", link_url="javascript:alert(1)").clean()


def test_breadcrumbs_show_the_ancestors(client, home):
    parent = LandingPageFactory(parent=home, slug="parent", title="Parent landing")
    StandardPageFactory(parent=parent, slug="child", title="Child page")
    html = client.get("/parent/child/").content.decode()
    assert 'aria-label="Breadcrumb"' in html
    assert '<a href="/parent/">Parent landing</a>' in html
    assert '<span aria-current="page">Child page</span>' in html


def test_site_settings_brand_the_site(client, home):
    settings_ = SiteSettings.for_site(home.get_site())
    settings_.site_name = "Brandhub"
    settings_.primary_colour = "#123456"
    settings_.footer_text = "Made with care."
    settings_.github_url = "https://github.com/example"
    settings_.plausible_domain = "learn.example.org"
    settings_.save()
    html = client.get("/").content.decode()
    assert "Brandhub" in html and "--color-primary: #123456" in html and "Made with care." in html
    assert 'href="https://github.com/example"' in html and 'data-domain="learn.example.org"' in html


def test_bad_colour_is_refused():
    from django.core.exceptions import ValidationError

    from cms.models.site_settings import validate_hex_colour

    with pytest.raises(ValidationError, match="#rrggbb"):
        validate_hex_colour("red; background: url(x)")


class RecordingBackend(BaseBackend):
    purged: list = []

    def purge(self, url):
        self.purged.append(url)

    def purge_batch(self, urls):
        self.purged.extend(urls)


def test_publish_purges_the_page_and_its_api_urls(home, settings):
    from wagtail.contrib.frontend_cache import utils

    settings.WAGTAILFRONTENDCACHE = {"test": {"BACKEND": "tests.cms.test_seo.RecordingBackend"}}
    RecordingBackend.purged = []
    page = LandingPageFactory(parent=home, slug="purge-me")
    page.title = "Changed"
    page.save_revision().publish()
    purged = RecordingBackend.purged
    assert any(url.endswith("/purge-me/") for url in purged)
    assert any(f"/api/v2/pages/{page.pk}/" in url for url in purged)
    assert any("html_path=/purge-me/" in url for url in purged)
    RecordingBackend.purged = []
    page.unpublish()
    assert any(url.endswith("/purge-me/") for url in RecordingBackend.purged)
    assert utils  # the purge goes through wagtail.contrib.frontend_cache


def test_no_purge_without_a_backend(home, settings):
    settings.WAGTAILFRONTENDCACHE = {}
    RecordingBackend.purged = []
    LandingPageFactory(parent=home, slug="quiet").save_revision().publish()
    assert RecordingBackend.purged == []


def test_pages_get_public_cache_headers_but_editors_do_not(client, admin_client, home):
    response = client.get("/")
    assert "public" in response["Cache-Control"] and "s-maxage=" in response["Cache-Control"]
    assert client.get("/", HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304
    assert "private" in admin_client.get("/")["Cache-Control"]


def test_password_protected_pages_are_never_publicly_cached(client, home):
    from django.urls import reverse

    from wagtail.models import PageViewRestriction

    page = LandingPageFactory(parent=home, slug="members")
    restriction = PageViewRestriction.objects.create(page=page, restriction_type="password", password="s3cret")
    url = reverse("wagtailcore_authenticate_with_password", args=[restriction.pk, page.pk])
    client.post(url, {"password": "s3cret", "return_url": "/members/"})
    response = client.get("/members/")
    assert response.status_code == 200
    assert "public" not in response["Cache-Control"] and "private" in response["Cache-Control"]
