"""Per-service API keys: created in the Wagtail admin (shown once, only a hash stored), revoked there, accepted as
`X-Api-Key` or `Authorization: Api-Key`, refused with a reason when unknown, revoked or expired."""

import re
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

import pytest

ME = "/api/v1/me/"


@pytest.fixture
def admin_client(client, db):
    from cms.models import User

    admin = User.objects.create_superuser("keyadmin", email="keyadmin@example.org", password="x")
    client.force_login(admin)
    client.admin = admin
    return client


@pytest.fixture
def issued(db):
    """A saved key and its plain text."""
    from cms.accounts.api_keys import issue_key
    from cms.models import ApiKey

    api_key = ApiKey(name="Next.js frontend")
    raw = issue_key(api_key)
    api_key.save()
    return api_key, raw


def _create_in_admin(admin_client, name="Next.js frontend", **extra):
    response = admin_client.post(
        reverse("api_keys:add"), {"name": name, "owner": admin_client.admin.pk, "expires_at": "", **extra}
    )
    assert response.status_code == 200, response.content[:2000]
    match = re.search(r"<code data-api-key[^>]*>(lh_[^<]+)</code>", response.content.decode())
    assert match, "the new key is not shown"
    return response, match.group(1)


def test_admin_creates_a_key_shown_once_and_stored_hashed(admin_client):
    from cms.models import ApiKey

    response, raw = _create_in_admin(admin_client)
    assert "no-store" in response["Cache-Control"]
    api_key = ApiKey.objects.get()
    assert api_key.name == "Next.js frontend" and api_key.owner == admin_client.admin
    assert raw.startswith(f"lh_{api_key.prefix}_")
    stored = [str(value) for value in ApiKey.objects.values_list().get()]
    assert not any(raw in value or raw.split("_", 2)[2] in value for value in stored)
    # Neither the listing nor the edit page shows it again.
    for url in (reverse("api_keys:index"), reverse("api_keys:edit", args=[api_key.pk])):
        page = admin_client.get(url)
        assert page.status_code == 200
        assert raw not in page.content.decode()
        assert api_key.prefix in page.content.decode()


def test_created_key_authenticates_as_the_service(admin_client, client, django_assert_max_num_queries):
    _, raw = _create_in_admin(admin_client, name="Recommendation service")
    client.logout()
    with django_assert_max_num_queries(2):
        response = client.get(ME, HTTP_X_API_KEY=raw)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["auth_method"] == "api_key" and body["user"] is None
    assert body["service"]["name"] == "Recommendation service"
    assert raw.startswith(f"lh_{body['service']['key_prefix']}_")
    response = client.get(ME, HTTP_AUTHORIZATION=f"Api-Key {raw}")
    assert response.status_code == 200
    assert response.json()["service"]["name"] == "Recommendation service"


def test_use_is_recorded(client, issued):
    api_key, raw = issued
    assert api_key.last_used_at is None
    assert client.get(ME, HTTP_X_API_KEY=raw).status_code == 200
    api_key.refresh_from_db()
    assert api_key.last_used_at is not None
    assert timezone.now() - api_key.last_used_at < timedelta(seconds=30)


def test_admin_revokes_a_key(admin_client, client, issued):
    api_key, raw = issued
    response = admin_client.post(
        reverse("api_keys:edit", args=[api_key.pk]), {"name": api_key.name, "owner": "", "revoke": "on"}
    )
    assert response.status_code == 302, response.content[:2000]
    api_key.refresh_from_db()
    assert api_key.revoked_at is not None and api_key.status == "revoked"
    client.logout()
    response = client.get(ME, HTTP_X_API_KEY=raw)
    assert response.status_code == 401
    assert "was revoked" in response.json()["detail"]
    assert "Api-Key" in response["WWW-Authenticate"]
    # Revoking cannot be undone from the form.
    admin_client.post(reverse("api_keys:edit", args=[api_key.pk]), {"name": api_key.name, "owner": ""})
    api_key.refresh_from_db()
    assert api_key.revoked_at is not None


def test_expired_key_is_refused(client, issued):
    api_key, raw = issued
    api_key.expires_at = timezone.now() - timedelta(minutes=1)
    api_key.save()
    response = client.get(ME, HTTP_X_API_KEY=raw)
    assert response.status_code == 401
    assert "expired on" in response.json()["detail"]


def test_key_with_a_future_expiry_works(client, issued):
    api_key, raw = issued
    api_key.expires_at = timezone.now() + timedelta(days=1)
    api_key.save()
    assert client.get(ME, HTTP_AUTHORIZATION=f"Api-Key {raw}").status_code == 200


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ({"HTTP_X_API_KEY": "lh_deadbeef_not-the-secret"}, "unknown API key"),
        ({"HTTP_X_API_KEY": "just-a-string"}, "malformed API key"),
        ({"HTTP_AUTHORIZATION": "Api-Key "}, "empty API key"),
    ],
)
def test_unknown_or_malformed_keys_are_refused(client, issued, header, message):
    response = client.get(ME, **header)
    assert response.status_code == 401
    assert message in response.json()["detail"]


def test_right_prefix_wrong_secret_is_unknown(client, issued):
    api_key, raw = issued
    response = client.get(ME, HTTP_X_API_KEY=f"lh_{api_key.prefix}_{'x' * 43}")
    assert response.status_code == 401
    assert "unknown API key" in response.json()["detail"]


def test_a_key_is_not_a_person(client, issued):
    """A service key does not sign anybody in: the admin stays closed to it."""
    _, raw = issued
    response = client.get("/admin/", HTTP_X_API_KEY=raw)
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_editors_without_the_permission_cannot_manage_keys(client, db):
    from django.contrib.auth.models import Group, Permission

    from cms.models import User

    editors = Group.objects.create(name="test-editors")
    editors.permissions.add(Permission.objects.get(codename="access_admin"))
    editor = User.objects.create_user("editor", password="x")
    editor.groups.add(editors)
    client.force_login(editor)
    response = client.get(reverse("api_keys:add"))
    assert response.status_code in (302, 403)
    assert client.get(reverse("api_keys:index")).status_code in (302, 403)


def test_management_command_creates_lists_and_revokes(client, db):
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError

    out, err = StringIO(), StringIO()
    call_command("api_key", "create", "Batch exporter", "--days", "30", stdout=out, stderr=err)
    raw = out.getvalue().strip()
    assert raw.startswith("lh_") and "shown once" in err.getvalue()
    response = client.get(ME, HTTP_X_API_KEY=raw)
    assert response.status_code == 200
    assert response.json()["service"]["name"] == "Batch exporter"
    assert response.json()["service"]["expires_at"] is not None
    listing = StringIO()
    call_command("api_key", "list", stdout=listing)
    prefix = raw.split("_")[1]
    assert f"{prefix}  active" in listing.getvalue() and raw not in listing.getvalue()
    call_command("api_key", "revoke", raw, stdout=StringIO())
    assert client.get(ME, HTTP_X_API_KEY=raw).status_code == 401
    with pytest.raises(CommandError, match="no API key with prefix 'nothere'"):
        call_command("api_key", "revoke", "nothere")
    with pytest.raises(CommandError, match="--days must be 1 or more"):
        call_command("api_key", "create", "x", "--days", "0")
