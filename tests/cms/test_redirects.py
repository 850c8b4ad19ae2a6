"""No open redirects: every redirect driven by request data stays on this site (issue 16)."""

import pytest

from importers import registry
from importers.models import ImportRun
from tests.importers.fakes import FAKE, FakeCourses

pytestmark = pytest.mark.django_db

OFFSITE = [
    "https://evil.example.org/",
    "//evil.example.org/path",
    "/\\evil.example.org",
    "\\\\evil.example.org",
    "javascript:alert(1)",
    "http://testserver.evil.example.org/",
    "https:///evil.example.org",
]


@pytest.fixture
def fake_source():
    registry.register(FakeCourses)
    yield FakeCourses
    registry.unregister(FAKE)


@pytest.fixture
def importer(client, django_user_model, fake_source):
    user = django_user_model.objects.create_superuser("boss", "boss@example.org", "pw")
    client.force_login(user)
    return client


@pytest.mark.parametrize("target", OFFSITE)
def test_import_run_ignores_an_offsite_next(importer, target):
    response = importer.post(f"/admin/imports/{FAKE}/run/", {"dry_run": "1", "next": target})
    assert response.status_code == 302
    assert response["Location"] == f"/admin/imports/{FAKE}/"
    # The run was still queued: only the redirect was refused.
    assert ImportRun.objects.filter(source=FAKE, dry_run=True).exists()


def test_import_run_follows_a_next_on_this_site(importer):
    response = importer.post(f"/admin/imports/{FAKE}/run/", {"dry_run": "1", "next": "/admin/imports/"})
    assert response["Location"] == "/admin/imports/"
    absolute = importer.post(f"/admin/imports/{FAKE}/run/", {"dry_run": "1", "next": "http://testserver/admin/"})
    assert absolute["Location"] == "http://testserver/admin/"


@pytest.mark.parametrize("target", OFFSITE)
@pytest.mark.parametrize("login_url", ["/admin/login/", "/django-admin/login/"])
def test_login_forms_ignore_an_offsite_next(client, django_user_model, login_url, target):
    django_user_model.objects.create_superuser("boss", "boss@example.org", "right-pw-123")
    form = {"username": "boss", "password": "right-pw-123", "next": target}
    response = client.post(f"{login_url}?next={target}", form)
    assert response.status_code == 302
    assert response["Location"].startswith("/") and not response["Location"].startswith("//")
    assert "evil" not in response["Location"] and "javascript" not in response["Location"]
