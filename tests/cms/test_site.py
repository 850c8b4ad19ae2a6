"""The site runs on the demo content: `load_demo_content` builds every page type, renders, signs the admin in, and
a second run changes nothing an editor did. One scenario, because each load embeds the demo catalogue and its
content files (the slowest step of the suite when it was repeated in seven tests)."""

from django.contrib.auth import get_user_model
from django.core.management import call_command

from wagtail.models import Page, Site

import pytest

from catalog.models import ContentFile
from cms.models import HomePage, LandingPage, ProgramPage, StandardPage
from news.models import EventPage, NewsPage
from search.models import EmbeddingRun

pytestmark = pytest.mark.django_db

EVERY_BLOCK = {
    "heading", "rich_text", "image", "call_to_action", "quote", "statistics", "faq", "embed", "resource_list",
    "resource_query", "program_list", "card_grid",
}  # fmt: skip


def counts():
    return (
        Page.objects.count(),
        LandingPage.objects.count(),
        get_user_model().objects.count(),
        Site.objects.count(),
        ContentFile.objects.count(),
    )


def test_demo_content_builds_every_page_type_and_a_second_run_keeps_editor_changes(client, settings, capsys):
    assert client.get("/admin/login/").status_code == 200
    settings.DEMO_ADMIN_PASSWORD = "a-long-demo-password"
    call_command("load_demo_content")
    first = capsys.readouterr().out
    assert "Created admin user 'admin' with the password from DEMO_ADMIN_PASSWORD." in first

    # Every page type, with every block on the landing page, and the news and events.
    site = Site.objects.get(is_default_site=True)
    assert isinstance(site.root_page.specific, HomePage)
    assert StandardPage.objects.live().count() == 3
    landing = LandingPage.objects.get(slug="explore")
    assert {child.block_type for child in landing.body} >= EVERY_BLOCK
    assert ProgramPage.objects.live().filter(program__source="demo").count() == 2
    assert NewsPage.objects.live().exists() and EventPage.objects.live().exists()
    pages = [HomePage.objects.get(), landing, *ProgramPage.objects.all(), *NewsPage.objects.all()]
    for page in [*pages, *EventPage.objects.all(), *StandardPage.objects.all()]:
        assert client.get(page.url).status_code == 200, page.url
    home = client.get("/").content.decode()
    assert "<h1>Learn something new</h1>" in home and 'href="#main"' in home  # the skip link
    assert "About Learnhub" in client.get("/about/").content.decode()

    # The demo catalogue and its content files are embedded once.
    run = EmbeddingRun.objects.get()
    assert run.status == "succeeded" and run.resources_embedded >= 100
    assert ContentFile.objects.count() == 75 and run.files_embedded == 75

    # The admin signs in with DEMO_ADMIN_PASSWORD.
    response = client.post("/admin/login/", {"username": "admin", "password": "a-long-demo-password"}, follow=True)
    assert response.status_code == 200 and response.wsgi_request.user.is_superuser
    assert client.get("/admin/").status_code == 200

    # An editor changes a demo page; the next run keeps the change and creates nothing twice.
    about = StandardPage.objects.get(slug="about")
    about.title = "About us (edited)"
    about.save_revision().publish()
    before = counts()
    call_command("load_demo_content")
    second = capsys.readouterr().out
    assert counts() == before
    assert "Admin user 'admin' exists; its password is DEMO_ADMIN_PASSWORD." in second
    about.refresh_from_db()
    assert about.title == "About us (edited)"
    runs = list(EmbeddingRun.objects.order_by("pk"))
    assert [r.status for r in runs] == ["succeeded", "succeeded"]
    assert runs[1].resources_embedded == 0 and runs[1].files_embedded == 0
