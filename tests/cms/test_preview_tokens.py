"""Headless preview tokens expire (cms/preview_tokens.py): refused by the preview API after PREVIEW_TOKEN_MAX_AGE,
with a message saying so, and their stored drafts deleted."""

from datetime import timedelta

from django.utils import timezone

import pytest
import time_machine
from wagtail_headless_preview.models import PagePreview

from cms.preview_tokens import garbage_collect
from tests.cms.factories import LandingPageFactory
from tests.cms.test_preview import draft_preview_token, headless  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


@pytest.fixture
def max_age(settings):
    settings.PREVIEW_TOKEN_MAX_AGE = 3600
    return settings


def preview(client, content_type, token):
    return client.get("/api/v2/page_preview/", {"content_type": content_type, "token": token})


def test_a_token_works_until_it_is_older_than_the_max_age(admin_client, client, home, headless, max_age):  # noqa: F811
    page = LandingPageFactory(parent=home, slug="expiring")
    content_type, token = draft_preview_token(admin_client, page, "Draft title")
    with time_machine.travel(timezone.now() + timedelta(minutes=59)):
        assert preview(client, content_type, token).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(minutes=61)):
        response = preview(client, content_type, token)
    assert response.status_code == 403
    message = response.json()["message"]
    assert "expired" in message and "60 minutes" in message and "preview the page again" in message
    assert "no-store" in response["Cache-Control"]
    # The expired draft is gone: even the right moment cannot bring it back.
    assert not PagePreview.objects.filter(token=token).exists()
    assert preview(client, content_type, token).status_code == 404


def test_a_forged_token_is_still_refused_as_invalid(admin_client, client, home, headless, max_age):  # noqa: F811
    page = LandingPageFactory(parent=home, slug="forged")
    content_type, token = draft_preview_token(admin_client, page, "Draft")
    response = preview(client, content_type, token + "x")
    assert response.status_code == 403 and "invalid" in response.json()["message"]


def test_previewing_again_garbage_collects_expired_drafts(admin_client, home, headless, max_age):  # noqa: F811
    old_page = LandingPageFactory(parent=home, slug="old-draft")
    new_page = LandingPageFactory(parent=home, slug="new-draft")
    with time_machine.travel(timezone.now() - timedelta(hours=2)):
        _ct, old_token = draft_preview_token(admin_client, old_page, "Old draft")
    _ct, fresh_token = draft_preview_token(admin_client, new_page, "Fresh draft")
    tokens = set(PagePreview.objects.values_list("token", flat=True))
    assert old_token not in tokens and fresh_token in tokens


def test_garbage_collect_deletes_only_expired_and_unverifiable_tokens(admin_client, home, headless, max_age):  # noqa: F811
    page = LandingPageFactory(parent=home, slug="gc")
    _ct, token = draft_preview_token(admin_client, page, "Draft")
    PagePreview.objects.create(token="id=1:garbage:sig", content_type_id=page.content_type_id, content_json="{}")
    assert garbage_collect() == 1
    assert list(PagePreview.objects.values_list("token", flat=True)) == [token]
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        assert garbage_collect() == 1
    assert not PagePreview.objects.exists()
