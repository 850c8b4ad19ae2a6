"""The search page and the search API: rendering, parameters, bounded queries, no writes, the OpenAPI schema."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

import pytest

from catalog.factories import CourseFactory, TopicFactory
from search.vectors import health

WRITES = ("INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "ALTER", "REPLACE")


@pytest.fixture
def indexed(db, reindex):
    topic = TopicFactory(name="Machine Learning", slug="machine-learning")
    CourseFactory(title="Introduction to Machine Learning", topics=[topic], instructors=["Ana Bell"])
    CourseFactory(title="Cooking science", description="<p>Kitchen <script>alert(1)</script> chemistry.</p>")
    CourseFactory(title="Hidden machine course", hidden=True)
    reindex()


def test_search_page_renders_results_facets_and_snippets(client, indexed):
    response = client.get("/search/", {"q": "machine learning"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<mark>Machine" in html
    assert "Hidden machine course" not in html
    assert 'name="topic" value="machine-learning"' in html
    assert 'role="search"' in html and "js/search.js" in html
    assert "1 result for" in html


def test_search_page_did_you_mean_and_no_results(client, indexed):
    html = client.get("/search/", {"q": "machne"}).content.decode()
    assert "Did you mean" in html and "machine" in html
    html = client.get("/search/", {"q": "zzzzqqq"}).content.decode()
    assert "No results for" in html


def test_search_page_escapes_the_query(client, indexed):
    html = client.get("/search/", {"q": '<script>alert("x")</script>'}).content.decode()
    assert '<script>alert("x")' not in html


@pytest.mark.parametrize(
    "params",
    [
        {"q": "x" * 1000},
        {"q": '"unbalanced'},
        {"q": "a AND OR NOT NEAR * : -"},
        {"q": "\x00\x07bell"},
        {"q": "machine", "page": "abc"},
        {"q": "machine", "page": "999999999999"},
        {"q": "machine", "sort": "bogus"},
        {"topic": "nope"},
    ],
)
def test_search_page_bad_input_is_not_an_error(client, indexed, params):
    assert client.get("/search/", params).status_code == 200


@pytest.mark.parametrize(
    "params",
    [
        {"q": "x" * 1000},
        {"q": '"unbalanced ('},
        {"q": "a AND OR NOT NEAR( * : - {title}:x"},
        {"q": "\x00\x1b[31mred\x7f"},
        {"q": "machine", "topic": "nope", "offeror": "\x00"},
        {"q": "machine", "page": "999"},
    ],
)
def test_api_bad_text_input_is_an_answer_not_an_error(client, indexed, params):
    for url in ("/api/v1/search/", "/api/v1/search/suggest/"):
        response = client.get(url, params)
        assert response.status_code == 200, (url, params)
    data = client.get("/api/v1/search/", params).json()
    if params.get("page") == "999" or params.get("topic") == "nope":
        assert data["results"] == []  # past the end, or an unknown facet value: an empty page, not an error


def test_api_names_the_parameter_it_cannot_read(client, indexed):
    response = client.get("/api/v1/search/", {"q": "machine", "page": "abc", "sort": "bogus"})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"page", "sort"}


def _writes(queries):
    return [query["sql"] for query in queries if query["sql"].lstrip().upper().startswith(WRITES)]


def test_search_page_and_api_do_not_write(client, indexed):
    # Wagtail creates a site's settings row on its first request ever; that is not the search's doing.
    client.get("/search/")
    with CaptureQueriesContext(connection) as queries:
        client.get("/search/", {"q": "machne lerning", "topic": "machine-learning", "sort": "newest"})
        client.get("/api/v1/search/", {"q": "machine", "price": "free"})
        client.get("/api/v1/search/suggest/", {"q": "mach"})
    assert _writes(queries.captured_queries) == []


@pytest.mark.parametrize("rows", [10, 200])
def test_query_counts_are_bounded(client, db, reindex, rows, django_assert_max_num_queries, monkeypatch):
    # Remembered long enough for a loaded CI machine (5 s by default: a slow first request outlived it once).
    monkeypatch.setattr(health, "UNAVAILABLE_SECONDS", 300.0)
    topic = TopicFactory(name="Physics", slug="physics")
    CourseFactory.create_batch(rows, topics=[topic], description="<p>Waves and physics.</p>")
    reindex()
    client.get("/")  # Wagtail creates the site's settings row on the first request ever
    # Keywords (hybrid's limits: test_query_limits.py).
    page = {"q": "physics waves", "topic": "physics", "page_size": "100", "mode": "lexical"}
    with django_assert_max_num_queries(13):  # 9 for the search, 1 for editors' picks, 3 for site and navigation
        assert client.get("/search/", page).status_code == 200
    with django_assert_max_num_queries(12):
        assert (
            client.get("/api/v1/search/", {"q": "physics", "level": "introductory", "mode": "lexical"}).status_code
            == 200
        )
    # The default mode (hybrid) with no vectors embedded: its keyword ranking, the failed vector search, then the
    # keyword search it falls back to; still bounded.
    with django_assert_max_num_queries(23):
        response = client.get("/search/", {**page, "mode": ""})
    assert response.status_code == 200 and response.context["result"].mode_used == "lexical"
    # Remembered for a few seconds (search.vectors.health): the next default search is one keyword search.
    with django_assert_max_num_queries(13):
        response = client.get("/search/", {**page, "mode": ""})
    assert response.status_code == 200 and response.context["result"].mode_used == "lexical"
    with django_assert_max_num_queries(4):
        assert client.get("/api/v1/search/suggest/", {"q": "phys"}).status_code == 200


def test_api_returns_results_and_facets(client, indexed):
    response = client.get("/api/v1/search/", {"q": "machine", "topic": "machine-learning"})
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 1
    hit = data["results"][0]
    assert hit["title"] == "Introduction to Machine Learning"
    assert hit["type"] == "course" and hit["kind"] == "resource"
    assert "<mark>" in hit["title_html"]
    facets = {facet["key"]: facet for facet in data["facets"]}
    assert {"type", "topic", "offeror", "platform", "level", "certification", "price", "delivery", "language"} <= set(
        facets
    )
    topics = {option["value"]: option for option in facets["topic"]["options"]}
    assert topics["machine-learning"] == {
        "value": "machine-learning",
        "label": "Machine Learning",
        "count": 1,
        "selected": True,
        "parent": topics["machine-learning"]["parent"],
    }


def test_api_pages_past_the_end_are_empty(client, indexed):
    data = client.get("/api/v1/search/", {"page": "50"}).json()
    assert data["results"] == [] and data["count"] >= 2


def test_api_rejects_bad_parameters_naming_them(client, indexed):
    response = client.get("/api/v1/search/", {"sort": "bogus", "page": "x", "page_size": "1000"})
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"sort", "page", "page_size"}
    assert "relevance" in errors["sort"] and "whole number" in errors["page"]


def test_api_unknown_facet_value_is_an_empty_result(client, indexed):
    data = client.get("/api/v1/search/", {"q": "machine", "offeror": "nobody"}).json()
    assert data["count"] == 0 and data["results"] == []


def test_suggest_api(client, indexed):
    data = client.get("/api/v1/search/suggest/", {"q": "introduction to mach"}).json()
    assert data["results"][0]["title"] == "Introduction to Machine Learning"
    assert "introduction to machine" in data["completions"]
    assert client.get("/api/v1/search/suggest/", {"q": ""}).json() == {"query": "", "completions": [], "results": []}


def test_openapi_schema_documents_search(client, db):
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/search/" in paths and "/api/v1/search/suggest/" in paths
    parameters = {parameter["name"] for parameter in paths["/api/v1/search/"]["get"]["parameters"]}
    assert {"q", "sort", "page", "page_size", "topic", "price", "language"} <= parameters


def test_synonyms_are_editable_in_the_admin(admin_client, db):
    response = admin_client.get("/admin/snippets/search/synonym/add/")
    assert response.status_code == 200
    response = admin_client.post("/admin/snippets/search/synonym/add/", {"terms": "rag, retrieval", "note": ""})
    assert response.status_code == 302
    from search.models import Synonym

    assert Synonym.objects.get(terms="rag, retrieval").term_list() == ["rag", "retrieval"]
    assert admin_client.get("/admin/snippets/search/synonym/").status_code == 200


def test_editors_picks_show_above_results_without_writing(client, indexed, home_page):
    from wagtail.contrib.search_promotions.models import Query, SearchPromotion

    query = Query.objects.create(query_string="machine learning")
    SearchPromotion.objects.create(query=query, page=home_page, sort_order=0, description="Start here.")
    SearchPromotion.objects.create(
        query=query, external_link_url="https://example.org/ml", external_link_text="ML guide", sort_order=1
    )
    client.get("/search/")
    with CaptureQueriesContext(connection) as queries:
        html = client.get("/search/", {"q": "  Machine   Learning "}).content.decode()
    assert _writes(queries.captured_queries) == []
    picks = html.split('class="search-promotions"', 1)[1].split("</section>", 1)[0]
    assert home_page.title in picks and "Start here." in picks
    assert 'href="https://example.org/ml"' in picks
    assert "search-promotions" not in client.get("/search/", {"q": "physics"}).content.decode()
    home_page.unpublish()
    assert (
        home_page.title
        not in client.get("/search/", {"q": "machine learning"})
        .content.decode()
        .split('class="search-promotions"', 1)[1]
        .split("</section>", 1)[0]
    )


@pytest.mark.django_db
def test_an_unreachable_opensearch_gives_503_not_500(client, settings):
    settings.SEARCH_ENGINE = "opensearch"
    settings.OPENSEARCH_URL = "http://127.0.0.1:9"  # nothing listens on the discard port
    settings.OPENSEARCH_TIMEOUT = 2
    page = client.get("/search/", {"q": "physics"})
    assert page.status_code == 503
    assert "Search is unavailable right now" in page.content.decode()
    assert page["Cache-Control"] == "no-store"
    for url in ("/api/v1/search/", "/api/v1/search/suggest/"):
        response = client.get(url, {"q": "physics"})
        assert response.status_code == 503
        assert "unavailable" in response.json()["errors"]["search"]
