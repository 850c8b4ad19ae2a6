"""Branded 404 and 500 pages with DEBUG off, gzip for dynamic responses (BREACH-padded), favicon and manifest."""

import gzip
import json
import re

from django.contrib.staticfiles import finders
from django.urls import include, path

import pytest

from catalog.factories import CourseFactory

pytestmark = pytest.mark.django_db


def boom(request):
    raise RuntimeError("a bug in a view")


urlpatterns = [path("boom/", boom), path("", include("cms.urls"))]


@pytest.fixture
def courses(home):
    return [
        CourseFactory(title=f"Course number {n}", description="<p>" + "Learn things about a subject. " * 8 + "</p>")
        for n in range(12)
    ]


def test_a_missing_page_gets_the_branded_404(client, home, settings):
    settings.DEBUG = False
    for url in ("/no-such-page/", "/catalog/no-such-resource/"):
        response = client.get(url)
        assert response.status_code == 404, url
        html = response.content.decode()
        assert "We couldn't find that page" in html
        assert 'class="site-header"' in html and 'action="/search/"' in html  # the site's chrome and a way on
        assert '<meta name="robots" content="noindex">' in html


@pytest.mark.urls(__name__)
def test_a_server_error_gets_the_branded_500(client, home, settings):
    settings.DEBUG = False
    client.raise_request_exception = False
    response = client.get("/boom/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong on our side" in html
    assert "a bug in a view" not in html and "Traceback" not in html
    assert "/static/css/site.css" in html and "/static/icons/favicon.svg" in html


def test_html_is_gzipped_for_clients_that_accept_it(client, courses):
    plain = client.get("/catalog/")
    zipped = client.get("/catalog/", HTTP_ACCEPT_ENCODING="gzip, deflate, br")

    assert "Content-Encoding" not in plain
    assert zipped["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped["Vary"]
    assert gzip.decompress(zipped.content) == plain.content
    assert len(zipped.content) < len(plain.content) / 3


def test_gzip_is_padded_against_breach_and_csrf_tokens_are_masked(client, courses):
    """Identical pages compress to different lengths (random padding); each form gets a differently masked token."""
    bodies = [client.get("/catalog/", HTTP_ACCEPT_ENCODING="gzip").content for _ in range(6)]
    assert len({gzip.decompress(body) for body in bodies}) == 1
    assert len({len(body) for body in bodies}) > 1

    tokens = set()
    for _ in range(3):
        html = gzip.decompress(client.get("/admin/login/", HTTP_ACCEPT_ENCODING="gzip").content).decode()
        tokens.add(re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1))
    assert len(tokens) == 3


def test_a_gzipped_page_still_answers_if_none_match_with_304(client, courses):
    first = client.get("/catalog/", HTTP_ACCEPT_ENCODING="gzip")
    assert first.status_code == 200 and first["ETag"]
    again = client.get("/catalog/", HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304


def test_pages_link_a_favicon_and_a_web_manifest(client, home):
    html = client.get("/").content.decode()
    assert re.search(r'<link rel="icon" href="/static/icons/favicon\.svg" type="image/svg\+xml">', html)
    assert re.search(r'<link rel="icon" href="/static/icons/favicon\.ico"', html)
    assert '<link rel="manifest" href="/static/icons/site.webmanifest">' in html
    assert client.get("/favicon.ico")["Location"] == "/static/icons/favicon.ico"
    manifest = json.loads(open(finders.find("icons/site.webmanifest")).read())  # noqa: SIM115
    assert manifest["name"] and manifest["start_url"] == "/"
    for icon in manifest["icons"]:
        assert finders.find(f"icons/{icon['src']}"), icon
    assert finders.find("icons/favicon.ico") and finders.find("icons/apple-touch-icon.png")
