"""The catalogue REST API (/api/v1/): filters, pagination, fields, ordering, per-type lists, lookups, schema,
docs, caching, CORS and query counts. Only public resources, ever."""

import datetime
import re

from django.urls import include, path
from django.utils import timezone

import pytest
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

from catalog.api.serializers import LearningResourceSerializer, public_resources_queryset
from catalog.factories import (
    CourseFactory,
    DepartmentFactory,
    OfferorFactory,
    PlatformFactory,
    PodcastEpisodeFactory,
    PodcastFactory,
    ProgramFactory,
    TopicFactory,
    VideoFactory,
    make_catalogue,
)

pytestmark = pytest.mark.django_db

API = "/api/v1"


def results(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


def result_titles(response) -> list[str]:
    return [item["title"] for item in results(response)]


# --- Resources ---------------------------------------------------------------------------------------------


def test_resources_list_shows_public_resources_only(client):
    CourseFactory(title="Visible")
    CourseFactory(title="Draft", unpublished=True)
    CourseFactory(title="Blocked", hidden=True)

    response = client.get(f"{API}/resources/")

    assert result_titles(response) == ["Visible"]
    assert response.json()["count"] == 1


def test_resource_payload(client):
    course = CourseFactory(
        title="Intro to Python",
        instructors=["Ana Bell", "Eric Grimson"],
        topics=["Python"],
        departments=["6"],
        runs=[{"run_id": "fall", "prices": [{"amount": "75.00", "currency": "USD", "label": "Verified"}]}],
        paid=True,
    )
    CourseFactory(hidden=True)
    from catalog.factories import RunFactory

    RunFactory(resource=course, run_id="draft-run", published=False)

    item = results(client.get(f"{API}/resources/"))[0]

    assert item["id"] == course.pk
    assert item["resource_type"] == "course"
    assert item["page_url"] == f"http://testserver/catalog/{course.slug}/"
    assert [i["full_name"] for i in item["instructors"]] == ["Ana Bell", "Eric Grimson"]
    assert item["topics"] == [{"id": course.topics.get().pk, "name": "Python", "slug": "python", "parent": None}]
    assert item["departments"][0]["code"] == "6"
    assert item["offered_by"] == {"code": "mitx", "name": course.offered_by.name, "url": course.offered_by.url}
    assert item["platform"]["code"] == "mitxonline"
    assert [run["run_id"] for run in item["runs"]] == ["fall"]  # not the unpublished run
    assert item["runs"][0]["prices"] == [{"amount": "75.00", "currency": "USD", "label": "Verified"}]
    assert (item["free"], item["min_price"], item["currency"]) == (False, "49.00", "USD")
    assert "editorial_note" not in item and "locked_fields" not in item and "hidden" not in item


def test_detail_by_id_and_by_slug_with_public_children_in_order(client):
    first, second = CourseFactory(title="Second Alpha"), CourseFactory(title="First Zeta")
    hidden = CourseFactory(title="Hidden", hidden=True)
    program = ProgramFactory(title="The Program", children=[second, hidden, first], full_description="<p>All.</p>")
    ProgramFactory(title="Hidden Program", hidden=True, children=[first])

    by_id = client.get(f"{API}/resources/{program.pk}/")
    by_slug = client.get(f"{API}/resources/slug/{program.slug}/")

    assert by_id.status_code == 200 and by_slug.status_code == 200
    assert by_id.json() == by_slug.json()
    data = by_id.json()
    assert data["full_description"] == "<p>All.</p>"
    assert [c["resource"]["title"] for c in data["children"]] == ["First Zeta", "Second Alpha"]
    assert [c["position"] for c in data["children"]] == [0, 2]
    parents = client.get(f"{API}/resources/{first.pk}/").json()["parents"]
    assert [p["resource"]["title"] for p in parents] == ["The Program"]


@pytest.mark.parametrize("trait", ["unpublished", "hidden"])
def test_non_public_resources_are_404_everywhere(client, trait):
    secret = CourseFactory(**{trait: True})
    program = ProgramFactory(**{trait: True}, children=[CourseFactory()])
    for url in (
        f"{API}/resources/{secret.pk}/",
        f"{API}/resources/slug/{secret.slug}/",
        f"{API}/courses/{secret.pk}/",
        f"{API}/programs/{program.pk}/items/",
    ):
        assert client.get(url).status_code == 404, url


def test_filters(client):
    now = timezone.now()
    mitx, ocw = OfferorFactory(code="mitx", name="MITx"), OfferorFactory(code="ocw", name="OCW")
    youtube = PlatformFactory(code="youtube", name="YouTube")
    DepartmentFactory(code="18", name="Mathematics")
    CourseFactory(
        title="Linear Algebra",
        offered_by=ocw,
        topics=["Mathematics"],
        departments=["18"],
        level="undergraduate",
        languages=["en"],
        runs=[{"start_date": now + datetime.timedelta(days=5)}],
    )
    CourseFactory(
        title="Paid Python",
        offered_by=mitx,
        topics=["Python"],
        paid=True,
        certified=True,
        delivery="hybrid",
        languages=["es", "en"],
    )
    VideoFactory(title="Math Video", offered_by=ocw, platform=youtube, topics=["Mathematics"], languages=["fr"])
    CourseFactory(title="Hidden Math", hidden=True, topics=["Mathematics"], offered_by=ocw)

    def titles(**params):
        return sorted(result_titles(client.get(f"{API}/resources/", params)))

    assert titles(resource_type="video") == ["Math Video"]
    assert titles(resource_type=["video", "course"]) == ["Linear Algebra", "Math Video", "Paid Python"]
    assert titles(topic="mathematics") == ["Linear Algebra", "Math Video"]
    assert titles(topic="mathematics,python") == ["Linear Algebra", "Math Video", "Paid Python"]
    assert titles(offeror="ocw", resource_type="course") == ["Linear Algebra"]
    assert titles(platform="youtube") == ["Math Video"]
    assert titles(department="18") == ["Linear Algebra"]
    assert titles(certification="true") == ["Paid Python"]
    assert titles(free="false") == ["Paid Python"]
    assert titles(free="true") == ["Linear Algebra", "Math Video"]
    assert titles(level="undergraduate") == ["Linear Algebra"]
    assert titles(delivery="hybrid") == ["Paid Python"]
    assert titles(language="es") == ["Paid Python"]
    assert titles(language="en") == ["Linear Algebra", "Paid Python"]
    assert titles(upcoming="true") == ["Linear Algebra"]
    assert titles(upcoming="false") == ["Math Video", "Paid Python"]
    assert titles(q="python PAID") == ["Paid Python"]
    assert titles(q="math") == ["Math Video"]


def test_bad_filter_values_get_a_clear_error(client):
    response = client.get(f"{API}/resources/", {"resource_type": "spaceship"})
    assert response.status_code == 400
    assert "resource_type" in response.json()
    assert "spaceship" in str(response.json()["resource_type"])


def test_limit_offset_pagination(client):
    for index in range(25):
        CourseFactory(title=f"Course {index:02d}")

    page = client.get(f"{API}/resources/", {"limit": 10, "offset": 20, "ordering": "title"}).json()
    assert page["count"] == 25
    assert [item["title"] for item in page["results"]] == [f"Course {index:02d}" for index in range(20, 25)]
    assert page["next"] is None and "offset=10" in page["previous"]
    assert len(results(client.get(f"{API}/resources/"))) == 20  # default
    assert len(results(client.get(f"{API}/resources/", {"limit": 1000}))) == 25  # capped at 100, not refused


def test_fields_selection(client):
    CourseFactory(title="Only Title")

    item = results(client.get(f"{API}/resources/", {"fields": "id,title,url"}))[0]
    assert set(item) == {"id", "title", "url"}
    detail = client.get(f"{API}/resources/{item['id']}/", {"fields": "title,children"}).json()
    assert set(detail) == {"title", "children"}

    response = client.get(f"{API}/resources/", {"fields": "title,secret_sauce"})
    assert response.status_code == 400
    assert "secret_sauce" in response.json()["fields"][0]


def test_ordering(client):
    CourseFactory(title="Bravo", view_count=10)
    CourseFactory(title="Alpha", view_count=5)
    CourseFactory(title="Charlie", view_count=20)

    assert result_titles(client.get(f"{API}/resources/")) == ["Alpha", "Bravo", "Charlie"]
    assert result_titles(client.get(f"{API}/resources/", {"ordering": "-view_count"})) == ["Charlie", "Bravo", "Alpha"]
    assert result_titles(client.get(f"{API}/resources/", {"ordering": "-title"})) == ["Charlie", "Bravo", "Alpha"]


def test_ordering_by_start_date_puts_upcoming_starts_first_then_past_then_undated(client):
    now = timezone.now()
    for title, days in (("Last year", -400), ("Next month", 30), ("Last month", -30), ("Tomorrow", 1)):
        CourseFactory(title=title, next_start_date=now + datetime.timedelta(days=days))
    CourseFactory(title="Anytime")

    for prefix in ("resources", "courses"):
        ordered = result_titles(client.get(f"{API}/{prefix}/", {"ordering": "next_start_date"}))
        assert ordered == ["Tomorrow", "Next month", "Last month", "Last year", "Anytime"]
    latest_first = result_titles(client.get(f"{API}/resources/", {"ordering": "-next_start_date"}))
    assert latest_first == ["Next month", "Tomorrow", "Last month", "Last year", "Anytime"]


@pytest.mark.parametrize(
    ("prefix", "resource_type"),
    [
        ("courses", "course"),
        ("programs", "program"),
        ("learning_paths", "learning_path"),
        ("podcasts", "podcast"),
        ("podcast_episodes", "podcast_episode"),
        ("videos", "video"),
        ("video_playlists", "video_playlist"),
        ("articles", "article"),
        ("documents", "document"),
    ],
)
def test_per_type_lists(client, prefix, resource_type):
    from catalog.factories import FACTORY_FOR_TYPE

    for factory in FACTORY_FOR_TYPE.values():
        factory()
    expected = FACTORY_FOR_TYPE[resource_type](title="The One")
    FACTORY_FOR_TYPE[resource_type](title="Not Public", hidden=True)

    items = results(client.get(f"{API}/{prefix}/", {"q": "The One"}))
    assert [(i["id"], i["resource_type"]) for i in items] == [(expected.pk, resource_type)]
    all_items = results(client.get(f"{API}/{prefix}/"))
    assert {i["resource_type"] for i in all_items} == {resource_type}
    assert len(all_items) == 2
    assert client.get(f"{API}/{prefix}/{expected.pk}/").status_code == 200
    # An id of another type is not found under this type.
    other = CourseFactory() if resource_type != "course" else VideoFactory()
    assert client.get(f"{API}/{prefix}/{other.pk}/").status_code == 404


def test_program_items_in_order_without_drafts(client):
    courses = [CourseFactory(title=t) for t in ("Zed", "Amy", "Max")]
    draft = CourseFactory(title="Draft", unpublished=True)
    program = ProgramFactory(children=[courses[2], draft, courses[0], courses[1]])

    page = client.get(f"{API}/programs/{program.pk}/items/").json()
    assert [(i["position"], i["title"]) for i in page["results"]] == [(0, "Max"), (2, "Zed"), (3, "Amy")]
    assert page["count"] == 3
    page = client.get(f"{API}/resources/{program.pk}/items/", {"limit": 1, "offset": 1, "fields": "title"}).json()
    assert page["results"] == [{"title": "Zed"}]

    episodes = PodcastEpisodeFactory.create_batch(2)
    podcast = PodcastFactory(children=list(reversed(episodes)))
    items = results(client.get(f"{API}/podcasts/{podcast.pk}/items/"))
    assert [i["id"] for i in items] == [episodes[1].pk, episodes[0].pk]
    # A program id under /podcasts/ is not a podcast.
    assert client.get(f"{API}/podcasts/{program.pk}/items/").status_code == 404


# --- Lookups -----------------------------------------------------------------------------------------------


def test_lookup_endpoints_count_public_resources_only(client):
    parent = TopicFactory(name="Science")
    topic = TopicFactory(name="Physics", parent=parent)
    DepartmentFactory(code="8", name="Physics")
    CourseFactory(topics=[topic], departments=["8"])
    CourseFactory(topics=[topic], departments=["8"], hidden=True)
    CourseFactory(topics=[topic], departments=["8"], unpublished=True)

    topics = {
        t["slug"]: t for t in results(client.get(f"{API}/topics/", {"limit": 100, "ordering": "-resource_count"}))
    }
    assert topics["physics"]["resource_count"] == 1
    assert topics["physics"]["parent"] == "science"
    assert topics["science"]["resource_count"] == 0
    assert client.get(f"{API}/topics/physics/").json()["name"] == "Physics"

    def used(name):
        rows = results(client.get(f"{API}/{name}/", {"limit": 100, "ordering": "-resource_count"}))
        return [(row["code"], row["resource_count"]) for row in rows if row["resource_count"]]

    # The lookup tables are seeded with defaults; only the ones in use have public resources.
    assert used("offerors") == [("mitx", 1)]
    assert used("platforms") == [("mitxonline", 1)]
    assert used("departments") == [("8", 1)]
    assert client.get(f"{API}/departments/8/").status_code == 200
    assert client.get(f"{API}/offerors/nope/").status_code == 404


# --- Schema and docs ---------------------------------------------------------------------------------------

CATALOGUE_PATHS = [
    "/api/v1/resources/",
    "/api/v1/resources/{id}/",
    "/api/v1/resources/{id}/items/",
    "/api/v1/resources/slug/{slug}/",
    "/api/v1/courses/",
    "/api/v1/programs/",
    "/api/v1/programs/{id}/items/",
    "/api/v1/learning_paths/",
    "/api/v1/podcasts/",
    "/api/v1/podcast_episodes/",
    "/api/v1/videos/",
    "/api/v1/video_playlists/",
    "/api/v1/articles/",
    "/api/v1/documents/",
    "/api/v1/topics/",
    "/api/v1/topics/{slug}/",
    "/api/v1/offerors/",
    "/api/v1/offerors/{code}/",
    "/api/v1/platforms/",
    "/api/v1/departments/",
]


def test_schema_endpoint_is_valid_openapi_listing_the_catalogue(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    validate_schema(schema)
    for api_path in CATALOGUE_PATHS:
        assert api_path in schema["paths"], api_path
    parameters = {p["name"] for p in schema["paths"]["/api/v1/resources/"]["get"]["parameters"]}
    assert {"topic", "offeror", "free", "limit", "offset", "ordering", "fields", "q"} <= parameters


def test_catalogue_schema_generates_without_warnings():
    GENERATOR_STATS.reset()
    generator = SchemaGenerator(patterns=[path("api/v1/", include("catalog.api_urls"))])
    schema = generator.get_schema(request=None, public=True)
    assert not GENERATOR_STATS._warn_cache, dict(GENERATOR_STATS._warn_cache)
    assert not GENERATOR_STATS._error_cache, dict(GENERATOR_STATS._error_cache)
    validate_schema(schema)
    assert set(CATALOGUE_PATHS) <= set(schema["paths"])


def test_docs_ui_uses_local_assets_only(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets, "the docs page references no assets"
    assert any("swagger-ui" in asset for asset in assets)
    for asset in assets:
        assert asset.startswith("/"), f"external asset {asset}"
        assert not asset.startswith("//")
    assert "cdn.jsdelivr" not in html and "unpkg.com" not in html


# --- Caching and CORS --------------------------------------------------------------------------------------


def test_etag_and_cache_control(client, settings):
    settings.CACHE_MAX_AGE = 30
    settings.CACHE_STALE_WHILE_REVALIDATE = 90
    course = CourseFactory()

    for url in (f"{API}/resources/", f"{API}/resources/{course.pk}/", f"{API}/topics/"):
        response = client.get(url)
        assert response.status_code == 200
        assert {p.strip() for p in response["Cache-Control"].split(",")} == {
            "public",
            "max-age=0",
            "s-maxage=30",
            "stale-while-revalidate=90",
        }
        etag = response["ETag"]
        not_modified = client.get(url, HTTP_IF_NONE_MATCH=etag)
        assert not_modified.status_code == 304 and not_modified.content == b""

    etag = client.get(f"{API}/resources/")["ETag"]
    CourseFactory(title="Something New")
    assert client.get(f"{API}/resources/", HTTP_IF_NONE_MATCH=etag).status_code == 200
    # Errors are not cached publicly.
    assert "public" not in client.get(f"{API}/resources/999999/").get("Cache-Control", "")


def test_cors_for_configured_origins_only(client, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://learn.example.org"]
    CourseFactory()

    allowed = client.get(f"{API}/resources/", HTTP_ORIGIN="https://learn.example.org")
    assert allowed["Access-Control-Allow-Origin"] == "https://learn.example.org"
    refused = client.get(f"{API}/resources/", HTTP_ORIGIN="https://evil.example.com")
    assert not refused.has_header("Access-Control-Allow-Origin")
    preflight = client.options(
        f"{API}/resources/",
        HTTP_ORIGIN="https://learn.example.org",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
    )
    assert preflight["Access-Control-Allow-Origin"] == "https://learn.example.org"


# --- Query counts ------------------------------------------------------------------------------------------

LIST_MAX_QUERIES = 8
DETAIL_MAX_QUERIES = 9


@pytest.mark.parametrize("size", [10, 200])
def test_query_counts_do_not_grow_with_the_catalogue(client, django_assert_max_num_queries, size):
    made = make_catalogue(size)
    program, course = made["programs"][0], made["resources"][0]
    department = DepartmentFactory(code="6", name="EECS")
    for resource in made["resources"]:
        resource.departments.add(department)
    list_urls = [f"{API}/resources/?limit=100", f"{API}/resources/?topic=mathematics&free=true&ordering=-view_count"]
    list_urls += [
        f"{API}/{prefix}/?limit=100"
        for prefix in (
            "courses",
            "programs",
            "learning_paths",
            "podcasts",
            "podcast_episodes",
            "videos",
            "video_playlists",
            "articles",
            "documents",
        )
    ]
    list_urls += [f"{API}/programs/{program.pk}/items/?limit=100", f"{API}/podcasts/{made['podcasts'][0].pk}/items/"]
    list_urls += [
        f"{API}/video_playlists/{made['playlists'][0].pk}/items/?limit=100",
        f"{API}/learning_paths/{made['learning_paths'][0].pk}/items/?limit=100",
    ]
    list_urls += [f"{API}/{name}/" for name in ("topics", "offerors", "platforms", "departments")]
    for url in list_urls:
        with django_assert_max_num_queries(LIST_MAX_QUERIES):
            response = client.get(url)
        assert response.status_code == 200, url
    for url in (
        f"{API}/resources/{program.pk}/",
        f"{API}/resources/slug/{course.slug}/",
        f"{API}/courses/{course.pk}/",
        f"{API}/video_playlists/{made['playlists'][0].pk}/",
        f"{API}/learning_paths/{made['learning_paths'][0].pk}/",
        f"{API}/topics/mathematics/",
        f"{API}/offerors/mitx/",
        f"{API}/platforms/{course.platform.code}/",
        f"{API}/departments/{department.code}/",
    ):
        with django_assert_max_num_queries(DETAIL_MAX_QUERIES):
            response = client.get(url)
        assert response.status_code == 200, url
    assert len(client.get(f"{API}/resources/{program.pk}/").json()["children"]) == len(
        [r for r in made["resources"] if r.resource_type == "course"]
    )


@pytest.mark.parametrize("size", [10, 200])
def test_serializer_contract_for_page_blocks(django_assert_max_num_queries, size):
    """The CMS serialises picked resources with public_resources_queryset() + LearningResourceSerializer."""
    made = make_catalogue(size)
    ids = [r.pk for r in made["resources"]] + [r.pk for r in made["hidden"]]
    with django_assert_max_num_queries(5):
        data = LearningResourceSerializer(public_resources_queryset().filter(pk__in=ids), many=True).data
    assert len(data) == len(made["resources"])
    assert {item["id"] for item in data}.isdisjoint(r.pk for r in made["hidden"])
    assert data[0]["page_url"].startswith("/catalog/")
    only = LearningResourceSerializer(public_resources_queryset()[:1], many=True, fields=["id", "title"]).data
    assert set(only[0]) == {"id", "title"}


def test_detail_lists_the_first_hundred_children_and_items_pages_through_all(client):
    episodes = PodcastEpisodeFactory.create_batch(102)
    podcast = PodcastFactory(children=episodes)

    children = client.get(f"{API}/resources/{podcast.pk}/").json()["children"]
    assert [c["resource"]["id"] for c in children] == [e.pk for e in episodes[:100]]
    last = client.get(f"{API}/podcasts/{podcast.pk}/items/", {"offset": 100}).json()
    assert last["count"] == 102
    assert [i["id"] for i in last["results"]] == [e.pk for e in episodes[100:]]
