"""The content cache (cms/content_cache.py, issue 15): query limits of every public page type at two sizes with it
on (the page cache off), and what forgets its entries — page publish and unpublish, loader edits of resources,
settings edits, view restrictions, another process's change — and what it never keeps (previews, visitors)."""

from django.core.cache import cache

from wagtail.models import PageViewRestriction

import pytest

from catalog.factories import make_catalogue
from catalog.loader import load_resources
from cms import content_cache
from cms.demo import home_sections
from cms.models import HomePage, SiteSettings
from news.factories import FeedItemFactory, NewsPageFactory
from tests.cms.factories import ProgramPageFactory, StandardPageFactory
from tests.news.test_query_limits import make_news_site

pytestmark = pytest.mark.django_db

PAGE_MAX = 12  # issue 15: every public page, uncached by the page cache, whatever the catalogue's size


@pytest.fixture
def content_cache_on(settings):
    settings.CONTENT_CACHE_SECONDS = 300
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def demo_home(home):
    """The home page with the demo's sections: resource queries, topics, programs, latest news, upcoming events."""
    page = HomePage.objects.get(pk=home.pk)
    page.body = home_sections()
    page.save_revision().publish()
    return page


def loaded_record(source_id, **fields):
    return {
        "resource_type": "course",
        "source_id": source_id,
        "title": f"Course {source_id}",
        "description": "<p>About it.</p>",
        "url": f"https://learn.example.edu/{source_id}",
        "offered_by": {"code": "mitx", "name": "MITx"},
        "published": True,
        **fields,
    }


@pytest.mark.parametrize("rows", [10, 200])
def test_every_public_page_type_runs_at_most_12_queries(
    client, content_cache_on, demo_home, rows, django_assert_max_num_queries
):
    made = make_catalogue(rows)
    news = make_news_site(demo_home)
    news["grow"](rows)
    program_page = ProgramPageFactory(parent=demo_home, program=made["programs"][0])
    standard = StandardPageFactory(parent=demo_home)
    course = made["resources"][0]
    urls = [
        "/",
        program_page.url,
        standard.url,
        "/news/",
        "/events/",
        news["news"].url,
        news["event"].url,
        news["item"].get_absolute_url(),
        "/catalog/",
        "/catalog/topics/computer-science/",
        "/catalog/offerors/mitx/",
        course.get_absolute_url(),
        made["programs"][0].get_absolute_url(),
    ]
    for url in urls:
        assert client.get(url).status_code == 200, url  # warm: the content cache's entries for this page
        with django_assert_max_num_queries(PAGE_MAX):
            response = client.get(url)
        assert response.status_code == 200, url
    home_html = client.get("/").content.decode()
    for heading in ("Starting soon", "New in the catalogue", "Browse by topic", "Latest news", "Upcoming events"):
        assert heading in home_html, heading
    # The news and events blocks show what the listings give now (which entries are newest depends on the factories'
    # dates).
    from django.utils.html import escape

    from news.listing import latest_news, upcoming_events

    for entry in [*latest_news(count=3), *upcoming_events(count=3)]:
        assert escape(entry.title) in home_html, entry.title
    assert "Unpublished Course" not in home_html and "Hidden Course" not in home_html


def test_home_blocks_show_pages_published_and_unpublished_since(client, content_cache_on, demo_home):
    news = make_news_site(demo_home)
    assert news["news"].title in client.get("/").content.decode()

    fresh = NewsPageFactory(parent=news["news"].get_parent(), title="Fresh off the press")
    fresh.save_revision().publish()
    assert "Fresh off the press" in client.get("/").content.decode()
    assert client.get(fresh.url).status_code == 200

    fresh.unpublish()
    assert "Fresh off the press" not in client.get("/").content.decode()
    assert client.get("/news/fresh-off-the-press/").status_code == 404  # the kept route is forgotten too


def test_home_blocks_show_resources_edited_through_the_loader(
    client, content_cache_on, demo_home, django_capture_on_commit_callbacks
):
    def load(*records):
        # The loader sends resources_changed once its transaction commits (here: when the test's would).
        with django_capture_on_commit_callbacks(execute=True):
            load_resources("demo_src", list(records))

    load(loaded_record("c1", title="Before the edit"))
    assert "Before the edit" in client.get("/").content.decode()

    load(loaded_record("c1", title="After the edit"))
    html = client.get("/").content.decode()
    assert "After the edit" in html and "Before the edit" not in html

    load(loaded_record("c1", title="After the edit", published=False))  # unpublished at its source
    assert "After the edit" not in client.get("/").content.decode()


def test_settings_edits_and_feed_items_show_at_once(client, content_cache_on, demo_home):
    client.get("/")
    site_settings = SiteSettings.for_site(demo_home.get_site())
    site_settings.footer_text = "A new footer"
    site_settings.save()
    assert "A new footer" in client.get("/news/").content.decode()

    FeedItemFactory(title="An imported item")
    assert "An imported item" in client.get("/").content.decode()


def test_a_view_restriction_added_later_applies_at_once(client, content_cache_on, home):
    page = StandardPageFactory(parent=home, title="Members page")
    assert client.get(page.url).status_code == 200  # its route is kept
    PageViewRestriction.objects.create(page=page, restriction_type=PageViewRestriction.LOGIN)
    response = client.get(page.url)
    assert response.status_code == 302 and "login" in response["Location"]


def test_another_process_change_is_seen_through_the_database_generation(
    client, content_cache_on, demo_home, django_capture_on_commit_callbacks, monkeypatch
):
    made = make_news_site(demo_home)
    assert made["news"].title in client.get("/").content.decode()
    before = content_cache._local_changes
    with django_capture_on_commit_callbacks(execute=True):
        FeedItemFactory(title="Changed elsewhere")
    # This process would not have counted a change made by another one: only the database generation moved.
    monkeypatch.setattr(content_cache, "_local_changes", before)
    assert "Changed elsewhere" in client.get("/").content.decode()


def test_nothing_of_one_visitor_is_shown_to_another(client, content_cache_on, demo_home, django_user_model):
    user = django_user_model.objects.create_user(username="learner", password="pw-learner-123")
    client.force_login(user)
    signed_in = client.get("/").content.decode()
    client.logout()
    anonymous = client.get("/").content.decode()
    assert "Sign out" in signed_in or "/accounts/logout/" in signed_in
    assert "/accounts/logout/" not in anonymous


def test_previews_neither_read_nor_keep_entries(rf, content_cache_on, demo_home):
    request = rf.get("/")
    request.is_preview = True
    assert content_cache.get_or_compute(request, "x", (), lambda: "fresh") == "fresh"
    assert content_cache.peek(request, "x", ()) is None
    live = rf.get("/")
    assert content_cache.get_or_compute(live, "x", (), lambda: "kept") == "kept"
    assert content_cache.get_or_compute(rf.get("/"), "x", (), lambda: "again") == "kept"


def test_off_keeps_nothing(rf, settings, demo_home):
    settings.CONTENT_CACHE_SECONDS = 0
    assert content_cache.generation(rf.get("/")) is None
    assert content_cache.get_or_compute(rf.get("/"), "x", (), lambda: "one") == "one"
    assert content_cache.get_or_compute(rf.get("/"), "x", (), lambda: "two") == "two"


def test_a_request_no_site_answers_is_a_404_not_an_error(client, content_cache_on, home):
    """Before any site exists (a flushed database, a first start): Wagtail's 404, as with the cache off."""
    from wagtail.models import Site

    Site.objects.all().delete()
    assert client.get("/").status_code == 404
    assert client.get("/about/").status_code == 404


# The pages API (Wagtail API v2): each page's representation is kept (cms.api.CachedPageSerializer).

API_LIST_MAX = 8  # issue 15: every API list, whatever the catalogue's size


@pytest.mark.parametrize("rows", [3, 30])
def test_api_lists_of_pages_with_computed_blocks_run_at_most_8_queries(
    client, content_cache_on, demo_home, stored_embed, rows, django_assert_max_num_queries
):
    from tests.cms.factories import ImageFactory, LandingPageFactory, every_block_body

    made = make_catalogue(rows)
    image = ImageFactory()
    for n in range(3):
        body = every_block_body(resources=made["resources"][:5], programs=made["programs"][:1], image=image)
        LandingPageFactory(parent=demo_home, slug=f"landing-{n}", body=body, hero_image=image, listing_image=image)
        ProgramPageFactory(parent=demo_home, slug=f"program-{n}", program=made["programs"][0])
    urls = [
        "/api/v2/pages/?type=cms.LandingPage&fields=*",
        "/api/v2/pages/?type=cms.HomePage&fields=*",
        "/api/v2/pages/?type=cms.ProgramPage&fields=*",
        "/api/v2/pages/?type=cms.LandingPage&fields=_,body",
        "/api/v2/pages/?fields=*&limit=50",
    ]
    for url in urls:
        first = client.get(url)
        assert first.status_code == 200, url
        with django_assert_max_num_queries(API_LIST_MAX):
            response = client.get(url)
        assert response.json() == first.json(), url
    landing = client.get("/api/v2/pages/?type=cms.LandingPage&fields=body").json()["items"]
    assert len(landing) == 3 and all(item["body"] for item in landing)


def test_api_page_representations_follow_publishes_imports_and_the_fields_asked_for(
    client, content_cache_on, home, django_capture_on_commit_callbacks
):
    from tests.cms.factories import LandingPageFactory

    with django_capture_on_commit_callbacks(execute=True):
        load_resources("demo_src", [loaded_record("c1", title="Before the edit")])
    from catalog.models import LearningResource
    from tests.cms.factories import block, item

    resource = LearningResource.objects.get(source="demo_src", source_id="c1")
    body = [
        block(
            "resource_list",
            {"heading": "Picked", "introduction": "", "resources": [item(resource.pk)], "layout": "cards"},
        )
    ]
    page = LandingPageFactory(parent=home, slug="api-cached", title="First title", body=body)
    url = "/api/v2/pages/?type=cms.LandingPage&fields=body"

    def titles():
        items = client.get(url).json()["items"]
        return [item["title"] for item in items], str([item["body"] for item in items])

    assert titles()[0] == ["First title"] and "Before the edit" in titles()[1]
    # A narrower `fields` is another representation, not the kept one.
    narrow = client.get("/api/v2/pages/?type=cms.LandingPage&fields=-body").json()["items"][0]
    assert "body" not in narrow

    page.title = "Second title"
    page.save_revision().publish()
    assert titles()[0] == ["Second title"]

    with django_capture_on_commit_callbacks(execute=True):
        load_resources("demo_src", [loaded_record("c1", title="After the edit")])
    _, bodies = titles()
    assert "After the edit" in bodies and "Before the edit" not in bodies

    page.unpublish()
    assert titles()[0] == []
    assert client.get(f"/api/v2/pages/{page.pk}/").status_code == 404
