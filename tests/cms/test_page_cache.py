"""The anonymous page cache (cms/page_cache.py): a stored page costs one query; it is never served to a signed-in
visitor nor stores theirs; imports, the admin's edit form, page publish/unpublish and lookup edits show at once;
unpublished content never shows. The same with the production cache (Redis) as with the embedded LocMem one.

Writes are wrapped in `django_capture_on_commit_callbacks(execute=True)`: the tests run inside a transaction that
never commits, and the generation changes on commit (as `resources_changed` is sent)."""

import os

from django.core.cache import cache
from django.test import override_settings

import pytest

from catalog.factories import CourseFactory, TopicFactory
from catalog.loader import load_resources
from catalog.models import LearningResource
from cms import page_cache
from tests.catalog.test_admin import post_edit
from tests.cms.factories import StandardPageFactory

pytestmark = pytest.mark.django_db

# The suite's Redis test database (tests/cms/test_services.py; CI gives each of its two concurrent legs its own).
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def page_cache_on(settings):
    settings.PAGE_CACHE_SECONDS = 300
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def redis_page_cache(page_cache_on):
    """The cache as production builds it from REDIS_URL (cms/settings/base.py), on a Redis database of our own."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as exc:
        pytest.skip(f"no Redis server on 127.0.0.1:6379 ({exc})")
    client.flushdb()
    caches = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "learnhub",
        }
    }
    with override_settings(CACHES=caches):
        yield client
    client.flushdb()
    client.close()


@pytest.fixture(params=["locmem", "redis"])
def any_cache(request, page_cache_on):
    if request.param == "redis":
        request.getfixturevalue("redis_page_cache")


@pytest.fixture
def editor(django_user_model):
    return django_user_model.objects.create_superuser("editor", "editor@example.org", "pw")


def get(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response


def test_a_stored_page_costs_one_query_and_is_the_same_page(client, any_cache, django_assert_num_queries):
    course = CourseFactory(title="Cached course", runs=1)
    first = get(client, course.get_absolute_url())
    assert first["X-Page-Cache"] == "miss"
    with django_assert_num_queries(1):  # the generation
        second = get(client, course.get_absolute_url())
    assert second["X-Page-Cache"] == "hit"
    assert second.content == first.content
    assert second["ETag"] == first["ETag"]
    assert "public" in second["Cache-Control"]
    # A conditional request is answered 304 from the stored page too.
    assert client.get(course.get_absolute_url(), HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304


def test_every_public_page_type_and_api_list_is_stored(client, page_cache_on, home_page):
    course = CourseFactory(title="Stored everywhere")
    topic = TopicFactory(name="Stored topic")
    course.topics.add(topic)
    for url in (
        "/",
        "/catalog/",
        course.get_absolute_url(),
        f"/catalog/topics/{topic.slug}/",
        "/api/v1/resources/",
        "/api/v2/pages/",
    ):
        get(client, url)
        assert get(client, url)["X-Page-Cache"] == "hit", url


def test_a_signed_in_visitor_is_never_served_a_stored_page_nor_stored(client, page_cache_on, editor):
    course = CourseFactory(title="Seen by all")
    url = course.get_absolute_url()
    get(client, url)
    assert get(client, url)["X-Page-Cache"] == "hit"
    client.force_login(editor)
    signed_in = get(client, url)
    assert "X-Page-Cache" not in signed_in
    assert "private" in signed_in["Cache-Control"]
    client.logout()
    client.cookies.clear()
    assert get(client, url)["X-Page-Cache"] == "hit"  # the anonymous copy, untouched by the signed-in visit


def test_identity_or_a_pending_message_bypasses_the_cache(client, page_cache_on):
    url = CourseFactory(title="Bypassed").get_absolute_url()
    get(client, url)
    client.cookies["messages"] = "pending"
    assert "X-Page-Cache" not in get(client, url)
    client.cookies.clear()
    assert "X-Page-Cache" not in client.get(url, HTTP_AUTHORIZATION="Bearer token")
    assert get(client, url)["X-Page-Cache"] == "hit"


def test_a_response_with_a_csrf_token_or_a_cookie_is_not_stored(rf):
    from django.http import HttpResponse

    request = rf.get("/")
    response = HttpResponse("page", headers={"Cache-Control": "public, s-maxage=60"})
    assert page_cache._storable(request, response)
    request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True
    assert not page_cache._storable(request, response)
    request = rf.get("/")
    response.set_cookie("hello", "world")
    assert not page_cache._storable(request, response)
    for cache_control, vary in (("private, no-cache", ""), ("public, max-age=60", "User-Agent"), ("", "")):
        plain = HttpResponse("page", headers={"Cache-Control": cache_control, "Vary": vary})
        assert not page_cache._storable(request, plain), (cache_control, vary)


def test_an_import_shows_at_once(client, any_cache, django_capture_on_commit_callbacks):
    record = {"resource_type": "course", "source_id": "pc1", "title": "Imported title", "url": "https://e.org/1"}
    with django_capture_on_commit_callbacks(execute=True):
        load_resources("page-cache-test", [record])
    url = LearningResource.objects.get(source_id="pc1").get_absolute_url()
    assert b"Imported title" in get(client, url).content
    assert b"Imported title" in get(client, "/catalog/").content
    with django_capture_on_commit_callbacks(execute=True):
        load_resources("page-cache-test", [{**record, "title": "Re-imported title"}])
    page = get(client, url)
    assert page["X-Page-Cache"] == "miss"
    assert b"Re-imported title" in page.content
    assert b"Re-imported title" in get(client, "/catalog/").content
    # A full snapshot without the record unpublishes it: gone from the page and the listing at once.
    other = {**record, "source_id": "pc2", "title": "Other", "url": "https://e.org/2"}
    with django_capture_on_commit_callbacks(execute=True):
        load_resources("page-cache-test", [other], full_snapshot=True, force=True)
    get(client, url, status=404)
    assert b"Re-imported title" not in get(client, "/catalog/").content


def test_an_edit_in_the_admin_form_shows_at_once(client, any_cache, editor, django_capture_on_commit_callbacks):
    course = CourseFactory(title="Before the edit")
    url = course.get_absolute_url()
    assert b"Before the edit" in get(client, url).content
    get(client, url)
    editor_client = client.__class__()
    editor_client.force_login(editor)
    with django_capture_on_commit_callbacks(execute=True):
        saved = post_edit(editor_client, course, title="After the edit")
    assert saved.status_code == 302, saved.context["form"].errors if saved.context else saved
    assert LearningResource.objects.get(pk=course.pk).title == "After the edit"
    assert b"After the edit" in get(client, url).content
    with django_capture_on_commit_callbacks(execute=True):
        post_edit(editor_client, course, hidden=True)
    get(client, url, status=404)


def test_page_publish_and_unpublish_show_at_once(client, any_cache, home_page, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        page = StandardPageFactory(parent=home_page, title="First version", slug="cached-page")
        page.save_revision().publish()
    url = page.url
    assert b"First version" in get(client, url).content
    assert get(client, url)["X-Page-Cache"] == "hit"

    # A draft changes nothing a visitor sees (and is not shown).
    page.title = "Draft version"
    with django_capture_on_commit_callbacks(execute=True):
        page.save_revision()
    assert b"First version" in get(client, url).content

    with django_capture_on_commit_callbacks(execute=True):
        page.get_latest_revision().publish()
    assert b"Draft version" in get(client, url).content

    with django_capture_on_commit_callbacks(execute=True):
        page.unpublish()
    get(client, url, status=404)


def test_a_lookup_edit_shows_at_once(client, any_cache, django_capture_on_commit_callbacks):
    topic = TopicFactory(name="Old topic name")
    course = CourseFactory(title="Tagged")
    course.topics.add(topic)
    url = course.get_absolute_url()
    assert b"Old topic name" in get(client, url).content
    with django_capture_on_commit_callbacks(execute=True):
        topic.name = "New topic name"
        topic.save()
    assert b"New topic name" in get(client, url).content


def test_the_generation_changes_only_on_commit(page_cache_on, django_capture_on_commit_callbacks):
    before = page_cache.current_generation()
    with django_capture_on_commit_callbacks(execute=True):
        CourseFactory(title="One")
        assert page_cache.current_generation() == before  # nothing committed yet
    assert page_cache.current_generation() != before


def test_a_learners_lists_and_api_key_use_leave_the_generation_alone(
    page_cache_on, django_capture_on_commit_callbacks, django_user_model
):
    """Private data changes no public page: saving to a list or using an API key must not empty the page cache."""
    from catalog import lists
    from cms.accounts.api_keys import check_key, issue_key
    from cms.models import ApiKey

    resource = CourseFactory(title="Saved")
    with django_capture_on_commit_callbacks(execute=True):
        pass
    before = page_cache.current_generation()
    learner = django_user_model.objects.create_user("reader", "reader@example.org", "pw")
    with django_capture_on_commit_callbacks(execute=True):
        learner_list = lists.create_list(learner, title="To read")
        lists.add_item(learner_list, resource)
        api_key = ApiKey(name="frontend")
        raw_key = issue_key(api_key)
        api_key.save()
        check_key(raw_key)  # records its use
    assert page_cache.current_generation() == before


def test_off_when_page_cache_seconds_is_zero(client, settings, django_assert_max_num_queries):
    settings.PAGE_CACHE_SECONDS = 0
    url = CourseFactory(title="Not cached").get_absolute_url()
    get(client, url)
    assert "X-Page-Cache" not in get(client, url)


def test_an_image_stored_by_the_image_task_shows_at_once(
    client, page_cache_on, settings, httpserver, django_capture_on_commit_callbacks
):
    from importers.images import fetch_resource_image
    from tests.catalog.test_images import image_bytes

    settings.IMPORTER_ALLOWED_HOSTS = ["localhost"]
    httpserver.expect_request("/pic.png").respond_with_data(image_bytes(), content_type="image/png")
    image_url = httpserver.url_for("/pic.png").replace("127.0.0.1", "localhost")
    course = CourseFactory(title="Pictured", image_url=image_url)
    url = course.get_absolute_url()
    get(client, url)
    assert get(client, url)["X-Page-Cache"] == "hit"
    with django_capture_on_commit_callbacks(execute=True):
        assert fetch_resource_image(course.pk) == "stored"
    page = get(client, url)
    assert page["X-Page-Cache"] == "miss"
    stored = LearningResource.objects.get(pk=course.pk).stored_image
    assert stored.file.name.rsplit("/", 1)[-1].split(".")[0] in page.content.decode()


def test_the_image_task_signal_changes_the_generation(page_cache_on, django_capture_on_commit_callbacks):
    from catalog.signals import resource_image_changed

    before = page_cache.current_generation()
    with django_capture_on_commit_callbacks(execute=True):
        resource_image_changed.send(sender=LearningResource, resource_id=1)
    assert page_cache.current_generation() != before


def test_an_unreadable_generation_serves_pages_uncached(client, page_cache_on, monkeypatch):
    """A database without the generation table (a deploy before its migrations ran) must not break pages."""
    from django.db import DatabaseError

    from cms.models import PageCacheGeneration

    def unreadable(*args, **kwargs):
        raise DatabaseError("no such table: cms_pagecachegeneration")

    url = CourseFactory(title="Still served").get_absolute_url()
    monkeypatch.setattr(PageCacheGeneration.objects, "filter", unreadable)
    for _ in range(2):
        response = get(client, url)
        assert b"Still served" in response.content
        assert "X-Page-Cache" not in response
