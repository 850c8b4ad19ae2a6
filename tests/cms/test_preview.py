"""Previews: the server-rendered preview beside the headless (Next.js) one, and its token-guarded API."""

from urllib.parse import parse_qs, urlparse

from django.urls import reverse

import pytest

from catalog.factories import CourseFactory
from catalog.models import LearningResource
from cms.models import LandingPage
from tests.cms.factories import LandingPageFactory, block, item

pytestmark = pytest.mark.django_db

CLIENT_URL = "https://next.example.org/preview"


@pytest.fixture
def headless(settings):
    settings.HEADLESS_PREVIEW_CLIENT_URL = CLIENT_URL
    settings.WAGTAIL_HEADLESS_PREVIEW = {"CLIENT_URLS": {"default": CLIENT_URL}, "ENFORCE_TRAILING_SLASH": False}
    return settings


def draft_preview_token(admin_client, page, title):
    """Preview a changed draft in the headless mode through the admin; returns (content_type, token)."""
    from wagtail.test.utils.form_data import nested_form_data, streamfield

    data = nested_form_data(
        {
            "title": title,
            "slug": page.slug,
            "introduction": "Draft intro",
            "hero_cta_label": "",
            "hero_cta_url": "",
            "body": streamfield([("heading", {"text": "Draft heading", "level": "h2", "anchor": ""})]),
        }
    )
    preview_url = reverse("wagtailadmin_pages:preview_on_edit", args=[page.pk])
    posted = admin_client.post(preview_url, data)
    assert posted.json()["is_valid"], posted.content
    response = admin_client.get(preview_url + "?mode=headless")
    assert response.status_code == 200
    html = response.content.decode()
    start = html.index(CLIENT_URL)
    url = html[start : html.index('"', start)].replace("&amp;", "&")
    query = parse_qs(urlparse(url).query)
    return query["content_type"][0], query["token"][0]


def test_server_rendered_preview_is_the_only_mode_without_a_client_url(home, settings):
    settings.HEADLESS_PREVIEW_CLIENT_URL = ""
    page = LandingPageFactory(parent=home)
    assert [mode for mode, _label in page.preview_modes] == [""]


def test_headless_preview_flow(admin_client, client, home, headless):
    page = LandingPageFactory(parent=home, title="Published title", slug="preview-me")
    assert [mode for mode, _label in page.preview_modes] == ["", "headless"]
    content_type, token = draft_preview_token(admin_client, page, "Draft title")
    assert content_type == "cms.landingpage"
    response = client.get("/api/v2/page_preview/", {"content_type": content_type, "token": token})
    assert response.status_code == 200
    data = response.json()
    assert data["title"] == "Draft title" and data["id"] == page.pk
    assert data["body"][0]["value"]["text"] == "Draft heading"
    assert "no-store" in response["Cache-Control"]
    # The live page is unchanged.
    assert LandingPage.objects.get(pk=page.pk).title == "Published title"


def test_invalid_preview_tokens_are_refused(client, admin_client, home, headless):
    page = LandingPageFactory(parent=home, slug="token-test")
    content_type, token = draft_preview_token(admin_client, page, "Draft")
    forged = client.get("/api/v2/page_preview/", {"content_type": content_type, "token": token + "x"})
    assert forged.status_code == 403
    unsigned = client.get("/api/v2/page_preview/", {"content_type": content_type, "token": "id=1:abc"})
    assert unsigned.status_code == 403
    signed_unknown = LandingPage.get_preview_signer().sign("id=999999")
    assert (
        client.get("/api/v2/page_preview/", {"content_type": content_type, "token": signed_unknown}).status_code == 404
    )
    wrong_type = client.get("/api/v2/page_preview/", {"content_type": "cms.standardpage", "token": token})
    assert wrong_type.status_code == 404
    assert client.get("/api/v2/page_preview/", {"content_type": "auth.user", "token": token}).status_code == 404
    assert client.get("/api/v2/page_preview/", {"content_type": "nope", "token": token}).status_code == 404
    assert client.get("/api/v2/page_preview/").status_code == 400


def test_server_preview_warns_editors_about_missing_resources(admin_client, home):
    course = CourseFactory(title="Visible Course")
    gone = CourseFactory(title="Withdrawn Course")
    LearningResource.objects.filter(pk=gone.pk).update(published=False)
    page = LandingPageFactory(
        parent=home,
        body=[
            block(
                "resource_list",
                {
                    "heading": "Picks",
                    "introduction": "",
                    "layout": "cards",
                    "resources": [item(course.pk), item(gone.pk)],
                },
            )
        ],
    )
    response = admin_client.get(reverse("wagtailadmin_pages:view_draft", args=[page.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Visible Course" in html
    assert "“Withdrawn Course” is unpublished at its source." in html
    assert '<meta name="robots" content="noindex">' in html
    assert "no-cache" in response["Cache-Control"] or "private" in response["Cache-Control"]
    public_html = admin_client.get(page.url).content.decode()
    assert "Withdrawn Course" not in public_html
