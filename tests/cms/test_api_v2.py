"""Wagtail API v2: every page type and block, resolved catalogue data, find by path, caching, docs."""

import pytest

from catalog.factories import CourseFactory, ProgramFactory
from catalog.models import LearningResource
from cms.templatetags.cms_tags import resource_url
from tests.cms.factories import (
    ImageFactory,
    LandingPageFactory,
    ProgramPageFactory,
    StandardPageFactory,
    every_block_body,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def landing(home, courses, stored_embed):
    image = ImageFactory()
    program = ProgramFactory(title="API Program", children=courses)
    hidden = CourseFactory(title="Secret Course", hidden=True)
    body = every_block_body(resources=[*courses, hidden], programs=[program], image=image, page=home)
    return LandingPageFactory(parent=home, slug="api-landing", body=body, hero_image=image, listing_image=image)


def detail(client, page):
    response = client.get(f"/api/v2/pages/{page.pk}/")
    assert response.status_code == 200, response.content
    return response.json()


def test_landing_page_blocks_are_resolved(client, landing, courses):
    data = detail(client, landing)
    assert data["meta"]["type"] == "cms.LandingPage"
    blocks = {block["type"]: block["value"] for block in data["body"]}
    assert set(blocks) == {
        "heading",
        "rich_text",
        "image",
        "call_to_action",
        "quote",
        "statistics",
        "faq",
        "embed",
        "resource_list",
        "resource_query",
        "program_list",
        "card_grid",
    }
    picked = blocks["resource_list"]["resources"]
    assert [r["title"] for r in picked] == ["Course A", "Course B", "Course C"]  # the hidden one is left out
    assert picked[0]["id"] == courses[0].pk and "slug" in picked[0] and "resource_type" in picked[0]
    assert {r["title"] for r in blocks["resource_query"]["resources"]} >= {"Course A", "Course B", "Course C"}
    assert "Secret Course" not in str(blocks["resource_query"])
    assert blocks["resource_query"]["filters"]["resource_type"] == "course"
    assert blocks["program_list"]["programs"][0]["title"] == "API Program"
    assert blocks["image"]["image"]["url"].startswith("http") and blocks["image"]["image"]["width"]
    assert blocks["call_to_action"]["link"] == {"url": "/catalog/", "type": "url"}
    assert blocks["card_grid"]["cards"][0]["link"]["type"] == "page"
    assert blocks["card_grid"]["cards"][1]["link"] == {"url": resource_url(courses[0]), "type": "resource"}
    assert blocks["embed"]["url"] == "https://www.youtube.com/watch?v=test123"
    assert blocks["faq"]["items"][0]["question"] == "Is it free?"
    assert "fill-1600x600" in data["hero_image_url"]["url"]
    assert "fill-640x360" in data["listing_image_thumbnail"]["url"]


def test_resource_query_block_returns_current_results(client, landing):
    before = {r["title"] for r in detail(client, landing)["body"][9]["value"]["resources"]}
    CourseFactory(title="Brand New Course")
    LearningResource.objects.filter(title="Course A").update(published=False)
    from django.core.cache import cache

    cache.clear()
    after = {r["title"] for r in detail(client, landing)["body"][9]["value"]["resources"]}
    assert "Brand New Course" in after and "Brand New Course" not in before
    assert "Course A" in before and "Course A" not in after


def test_program_page_api_fields(client, home):
    first, second = CourseFactory(title="One", instructors=["Ana Bell"]), CourseFactory(title="Two")
    program = ProgramFactory(title="Prog", children=[second, first], paid=True)
    page = ProgramPageFactory(
        parent=home,
        program=program,
        outcomes=[{"type": "outcome", "value": "Do things"}],
        faq=[{"type": "question", "value": {"question": "Q?", "answer": "<p>A</p>"}}],
    )
    data = detail(client, page)
    assert data["catalogue_program"]["title"] == "Prog"
    assert [c["title"] for c in data["courses"]] == ["Two", "One"]
    assert data["instructors"] == ["Ana Bell"]
    assert data["prices"][0]["amount"] == "49.00"
    assert data["outcomes"][0]["value"] == "Do things"
    assert data["faq"][0]["value"]["question"] == "Q?"
    LearningResource.objects.filter(pk=program.pk).update(hidden=True)
    data = detail(client, page)
    assert data["catalogue_program"] is None and data["courses"] == [] and data["prices"] == []


def test_home_and_standard_pages(client, home):
    standard = StandardPageFactory(parent=home, title="Policies", body="<p>Be kind.</p>")
    assert detail(client, home)["meta"]["type"] == "cms.HomePage"
    data = detail(client, standard)
    assert data["body"] == "<p>Be kind.</p>" and data["title"] == "Policies"


def test_listing_hides_drafts_and_filters_by_type(client, home, landing):
    LandingPageFactory(parent=home, live=False, title="Draft landing")
    data = client.get("/api/v2/pages/?type=cms.LandingPage&fields=listing_summary").json()
    titles = [item["title"] for item in data["items"]]
    assert landing.title in titles and "Draft landing" not in titles


def test_find_by_path_for_the_frontend_router(client, landing):
    response = client.get("/api/v2/pages/find/?html_path=/api-landing/")
    assert response.status_code == 302
    assert f"/api/v2/pages/{landing.pk}/" in response["Location"]
    assert client.get("/api/v2/pages/find/?html_path=/nowhere/").status_code == 404


def test_api_has_cache_headers_and_etag(client, landing):
    response = client.get(f"/api/v2/pages/{landing.pk}/")
    assert "s-maxage" in response["Cache-Control"] and "stale-while-revalidate" in response["Cache-Control"]
    etag = response["ETag"]
    again = client.get(f"/api/v2/pages/{landing.pk}/", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert client.get("/api/v2/images/").status_code == 200


@pytest.mark.parametrize("size", [10, 200])
def test_api_detail_has_bounded_queries(client, home, size, django_assert_max_num_queries, stored_embed):
    from catalog.factories import make_catalogue

    made = make_catalogue(size)
    courses = [r for r in made["resources"] if r.resource_type == "course"][:5]
    page = LandingPageFactory(parent=home, body=every_block_body(resources=courses, programs=made["programs"]))
    client.get(f"/api/v2/pages/{page.pk}/")
    with django_assert_max_num_queries(40):
        assert client.get(f"/api/v2/pages/{page.pk}/?x={size}").status_code == 200
    client.get("/api/v2/pages/")
    with django_assert_max_num_queries(8):
        assert client.get("/api/v2/pages/?limit=50").status_code == 200


def test_pages_api_is_documented_beside_the_rest_api(client):
    schema = client.get("/api/v2/schema/").json()
    assert schema["openapi"].startswith("3.")
    assert {"/api/v2/pages/", "/api/v2/pages/{id}/", "/api/v2/pages/find/", "/api/v2/page_preview/"} <= set(
        schema["paths"]
    )
    docs = client.get("/api/docs/pages/")
    assert docs.status_code == 200
    html = docs.content.decode()
    # Swagger UI's start-up script is a URL of its own (no inline script under the CSP); it names the schema.
    assert '<script src="/api/docs/pages/?script="></script>' in html
    assert "/api/v2/schema/" in client.get("/api/docs/pages/?script=").content.decode()
    assert "cdn.jsdelivr" not in html and "unpkg.com" not in html


@pytest.mark.parametrize("rows", [3, 30])
def test_api_lists_of_pages_images_and_documents_have_bounded_queries(
    client, home, rows, django_assert_max_num_queries
):
    """Issue 15: at most 8 queries for every API list, whatever the number of rows (tags, topics and images
    included)."""
    from wagtail.documents import get_document_model

    from catalog.factories import TopicFactory
    from news.factories import NewsIndexPageFactory, NewsPageFactory

    topic = TopicFactory(name="AI")
    index = NewsIndexPageFactory(parent=home)
    for n in range(rows):
        image = ImageFactory()
        image.tags.add(f"tag-{n}", "shared")
        NewsPageFactory(parent=index, topics=[topic], listing_image=image)
        document = get_document_model().objects.create(title=f"Doc {n}", file=f"documents/doc-{n}.pdf")
        document.tags.add("shared")
    urls = [
        "/api/v2/pages/?limit=50",
        "/api/v2/pages/?fields=*&limit=50",
        "/api/v2/pages/?type=news.NewsPage&fields=*&limit=50",
        "/api/v2/images/?limit=50",
        "/api/v2/images/?fields=*&limit=50",
        "/api/v2/documents/?limit=50",
    ]
    for url in urls:
        client.get(url)
        with django_assert_max_num_queries(8):
            response = client.get(url)
        assert response.status_code == 200, url
    news = client.get("/api/v2/pages/?type=news.NewsPage&fields=topics,listing_image_thumbnail&limit=50").json()
    assert news["meta"]["total_count"] == rows
    images = client.get("/api/v2/images/?limit=50").json()["items"]
    assert all("shared" in item["meta"]["tags"] for item in images)
    assert sorted(tag for item in images for tag in item["meta"]["tags"] if tag != "shared") == sorted(
        f"tag-{n}" for n in range(rows)
    )
