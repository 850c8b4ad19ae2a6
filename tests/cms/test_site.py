"""The site runs: demo content loads idempotently, the home page and the admin login render."""

from django.contrib.auth import get_user_model
from django.core.management import call_command

from wagtail.models import Page, Site

import pytest

from cms.models import HomePage, StandardPage

pytestmark = pytest.mark.django_db


def test_demo_content_is_idempotent(capsys):
    call_command("load_demo_content")
    first = capsys.readouterr().out
    counts = (Page.objects.count(), get_user_model().objects.count(), Site.objects.count())
    call_command("load_demo_content")
    second = capsys.readouterr().out
    assert (Page.objects.count(), get_user_model().objects.count(), Site.objects.count()) == counts
    assert "Created admin user 'admin' with password" in first
    assert "Admin user 'admin' exists; left unchanged." in second
    site = Site.objects.get(is_default_site=True)
    assert isinstance(site.root_page.specific, HomePage)
    assert StandardPage.objects.live().count() == 3
    # The demo's catalogue is embedded once; the second run finds nothing changed.
    from search.models import EmbeddingRun

    runs = list(EmbeddingRun.objects.order_by("pk"))
    assert [run.status for run in runs] == ["succeeded", "succeeded"]
    assert runs[0].resources_embedded >= 100 and runs[1].resources_embedded == 0
    # Demo courses have content files, embedded as chunks for the content-chunk search.
    from catalog.models import ContentFile

    assert ContentFile.objects.count() == 75 and runs[0].files_embedded == 75 and runs[1].files_embedded == 0


def test_demo_admin_password_comes_from_the_environment(settings, client):
    settings.DEMO_ADMIN_PASSWORD = "a-long-demo-password"
    call_command("load_demo_content")
    assert client.login(username="admin", password="a-long-demo-password")


def test_demo_keeps_editor_changes(client):
    call_command("load_demo_content")
    about = StandardPage.objects.get(slug="about")
    about.title = "About us (edited)"
    about.save_revision().publish()
    call_command("load_demo_content")
    about.refresh_from_db()
    assert about.title == "About us (edited)"


def test_home_and_standard_pages_render(client):
    call_command("load_demo_content")
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Learn something new</h1>" in html
    assert 'href="#main"' in html  # skip link
    about = client.get("/about/")
    assert about.status_code == 200
    assert "About Learnhub" in about.content.decode()


def test_admin_login_renders_and_admin_signs_in(client, settings):
    assert client.get("/admin/login/").status_code == 200
    settings.DEMO_ADMIN_PASSWORD = "a-long-demo-password"
    call_command("load_demo_content")
    response = client.post("/admin/login/", {"username": "admin", "password": "a-long-demo-password"}, follow=True)
    assert response.status_code == 200
    assert response.wsgi_request.user.is_superuser
    assert client.get("/admin/").status_code == 200
