"""The API lists' cached representations (catalog/api/representations.py): the same output as without the cache,
fewer queries when warm, and never stale — edits, imports, lookup edits and unpublishing all show at once."""

from django.core.cache import cache

import pytest

from catalog.factories import CourseFactory, TopicFactory, make_catalogue
from catalog.loader import load_resources
from catalog.models import LearningResource
from tests.cms.factories import ImageFactory

pytestmark = pytest.mark.django_db

LIST = "/api/v1/resources/?limit=100"


@pytest.fixture
def cached(settings):
    settings.API_REPRESENTATION_CACHE_SECONDS = 600
    cache.clear()
    yield
    cache.clear()


def titles(client, url=LIST) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200, response.content
    return [item["title"] for item in response.json()["results"]]


def test_cached_output_is_the_uncached_output(client, settings):
    make_catalogue(30)
    for url in (LIST, "/api/v1/resources/?fields=title,url&limit=50", "/api/v1/courses/?ordering=-view_count"):
        settings.API_REPRESENTATION_CACHE_SECONDS = 0
        uncached = client.get(url).json()
        settings.API_REPRESENTATION_CACHE_SECONDS = 600
        cache.clear()
        cold, warm = client.get(url).json(), client.get(url).json()
        assert cold == uncached == warm, url
    assert "id" not in client.get("/api/v1/resources/?fields=title,url").json()["results"][0]


def test_a_warm_list_costs_two_queries_whatever_its_size(client, cached, django_assert_num_queries):
    make_catalogue(60)
    client.get(LIST)
    with django_assert_num_queries(2):  # the count and the page's ids with updated_at
        response = client.get(LIST)
    assert len(response.json()["results"]) > 50


def test_an_edit_shows_at_once(client, cached):
    course = CourseFactory(title="Before")
    assert titles(client) == ["Before"]
    course.title = "After"
    course.save()
    assert titles(client) == ["After"]


def test_an_import_that_changes_a_record_shows_at_once(client, cached):
    record = {"resource_type": "course", "source_id": "c1", "title": "Imported title", "url": "https://example.org/c1"}
    load_resources("cache-test", [record])
    assert titles(client) == ["Imported title"]
    load_resources("cache-test", [{**record, "title": "Re-imported title"}])
    assert titles(client) == ["Re-imported title"]


def test_a_renamed_topic_shows_at_once(client, cached):
    topic = TopicFactory(name="Old topic name")
    course = CourseFactory(title="Tagged")
    course.topics.add(topic)
    LearningResource.objects.filter(pk=course.pk).update(updated_at=course.updated_at)  # as loaded
    assert client.get(LIST).json()["results"][0]["topics"][0]["name"] == "Old topic name"
    topic.name = "New topic name"
    topic.save()
    assert client.get(LIST).json()["results"][0]["topics"][0]["name"] == "New topic name"


def test_unpublished_and_hidden_resources_leave_the_cached_list(client, cached):
    keep, unpublish, hide = CourseFactory(title="Keep"), CourseFactory(title="Unpublish"), CourseFactory(title="Hide")
    assert sorted(titles(client)) == ["Hide", "Keep", "Unpublish"]
    unpublish.published = False
    unpublish.save()
    LearningResource.objects.filter(pk=hide.pk).update(hidden=True)  # even a bulk update that keeps updated_at
    assert titles(client) == ["Keep"]
    assert client.get("/api/v1/resources/?q=Unpublish").json()["count"] == 0
    assert keep.pk in [item["id"] for item in client.get(LIST).json()["results"]]


def test_an_image_stored_after_the_load_shows_at_once(client, cached):
    course = CourseFactory(title="Pictured", image_url="https://images.example.org/a.png")
    assert client.get(LIST).json()["results"][0]["image"] is None  # not stored yet: never the remote URL
    image = ImageFactory()
    # The image task stores it with a bulk update that leaves updated_at alone (importers.images).
    LearningResource.objects.filter(pk=course.pk).update(stored_image=image)
    url = client.get(LIST).json()["results"][0]["image"]["url"]
    assert image.file.name.rsplit("/", 1)[-1].split(".")[0] in url
    assert "images.example.org" not in url
