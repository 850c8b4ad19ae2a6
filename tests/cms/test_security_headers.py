"""Content-Security-Policy and Permissions-Policy on every response (cms/security_headers.py), inline-free public
templates, private caching for signed-in visitors (cms/caching.py), and the CSP report-only setting."""

import re
from html.parser import HTMLParser

import pytest

from catalog.factories import CourseFactory
from news.factories import NewsIndexPageFactory, NewsPageFactory
from tests.cms.test_settings import read_settings

pytestmark = pytest.mark.django_db

DENIED_FEATURES = ("camera", "microphone", "geolocation", "payment", "usb", "browsing-topics")


def directives(header: str) -> dict[str, list[str]]:
    policy = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            policy[words[0]] = words[1:]
    return policy


@pytest.fixture
def public_urls(home):
    course = CourseFactory(title="Security headers course", runs=1)
    news_index = NewsIndexPageFactory(parent=home, title="News", slug="news-index")
    news = NewsPageFactory(parent=news_index, title="A news page", slug="a-news-page")
    return ["/", "/catalog/", course.get_absolute_url(), "/search/?q=course", news.url, "/api/v1/resources/"]


def test_every_public_response_has_a_strict_script_policy_and_the_permissions_policy(client, public_urls):
    for url in [*public_urls, "/health/liveness/", "/robots.txt", "/no-such-page/"]:
        response = client.get(url)
        assert response.status_code in (200, 404), url
        policy = directives(response["Content-Security-Policy"])
        # Scripts from this site only: no inline script, no eval, no nonce (public bodies are cached).
        assert policy["script-src"] == ["'self'"], url
        assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'self'"]
        assert policy["frame-ancestors"] == ["'self'"]
        assert "nonce-" not in response["Content-Security-Policy"]
        permissions = response["Permissions-Policy"]
        for feature in DENIED_FEATURES:
            assert f"{feature}=()" in permissions, (url, feature)


def test_the_wagtail_admin_allows_its_inline_scripts_and_nothing_more(admin_client):
    response = admin_client.get("/admin/")
    assert response.status_code == 200
    policy = directives(response["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'", "'unsafe-inline'"]
    assert policy["connect-src"] == ["'self'", "https://releases.wagtail.org"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]
    assert "camera=()" in response["Permissions-Policy"]
    # The Django admin needs no inline script.
    assert directives(admin_client.get("/django-admin/")["Content-Security-Policy"])["script-src"] == ["'self'"]


def test_the_headless_frontend_may_be_framed_by_the_admin_preview(settings):
    values = read_settings(
        "CONTENT_SECURITY_POLICY['DIRECTIVES']['frame-src']",
        settings="cms.settings.dev",
        HEADLESS_PREVIEW_CLIENT_URL="https://next.example.org/api/preview?x=1",
    )
    frame_src = values["CONTENT_SECURITY_POLICY['DIRECTIVES']['frame-src']"]
    assert "'https://next.example.org'" in frame_src and "'self'" in frame_src


def test_report_only_mode_and_report_uri_come_from_the_environment():
    values = read_settings(
        "CONTENT_SECURITY_POLICY",
        "CONTENT_SECURITY_POLICY_REPORT_ONLY['DIRECTIVES']['report-uri']",
        settings="cms.settings.dev",
        CSP_REPORT_ONLY="true",
        CSP_REPORT_URI="https://reports.example.org/csp",
    )
    assert values["CONTENT_SECURITY_POLICY"] == "None"
    assert (
        values["CONTENT_SECURITY_POLICY_REPORT_ONLY['DIRECTIVES']['report-uri']"]
        == "['https://reports.example.org/csp']"
    )


def test_report_only_policy_is_sent_under_the_report_only_header(client, home, settings):
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = settings.CONTENT_SECURITY_POLICY
    settings.CONTENT_SECURITY_POLICY = None
    response = client.get("/")
    assert "Content-Security-Policy" not in response
    assert directives(response["Content-Security-Policy-Report-Only"])["script-src"] == ["'self'"]


class _InlineScripts(HTMLParser):
    """Collects what a strict script-src blocks: inline scripts (not data blocks), on* handlers, javascript: URLs."""

    def __init__(self):
        super().__init__()
        self.found = []
        self._inline = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        data_block = attrs.get("type") in ("application/ld+json", "application/json")
        if tag == "script" and not attrs.get("src") and not data_block:
            self._inline = True
        for name, value in attrs.items():
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=…>")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}=javascript:…>")

    def handle_data(self, data):
        if self._inline and data.strip():
            self.found.append(f"<script>{data.strip()[:60]}…")

    def handle_endtag(self, tag):
        if tag == "script":
            self._inline = False


def test_public_pages_have_no_inline_script_the_policy_would_block(client, public_urls, settings):
    from cms.models import SiteSettings

    site_settings = SiteSettings.objects.first() or SiteSettings.objects.create(site_id=1)
    site_settings.google_analytics_id = "G-TEST123"
    site_settings.save()
    for url in public_urls[:-1]:
        response = client.get(url)
        assert response.status_code == 200, url
        parser = _InlineScripts()
        parser.feed(response.content.decode())
        assert parser.found == [], (url, parser.found)
    home_html = client.get("/").content.decode()
    assert 'data-ga-id="G-TEST123"' in home_html and re.search(r'src="/static/js/analytics[^"]*\.js"', home_html)


@pytest.mark.parametrize("url", ["/search/?q=course", "/catalog/", "/"])
def test_signed_in_visitors_pages_are_never_publicly_cacheable(client, admin_client, public_urls, url):
    anonymous = client.get(url)
    assert "public" in anonymous["Cache-Control"] and "Cookie" in anonymous["Vary"]
    signed_in = admin_client.get(url)
    assert signed_in.status_code == 200
    cache_control = signed_in["Cache-Control"]
    assert "public" not in cache_control and "s-maxage" not in cache_control
    assert "private" in cache_control and "no-store" in cache_control
    assert "Cookie" in signed_in["Vary"]


def test_a_catalogue_resource_page_is_private_for_signed_in_visitors(admin_client, public_urls):
    response = admin_client.get(public_urls[2])
    assert response.status_code == 200
    assert "public" not in response["Cache-Control"] and "s-maxage" not in response["Cache-Control"]


def test_security_headers_add_no_queries(client, public_urls, django_assert_max_num_queries):
    client.get("/catalog/")  # warm up (site, settings)
    with django_assert_max_num_queries(30):
        response = client.get("/catalog/")
    assert "Content-Security-Policy" in response and "Permissions-Policy" in response
