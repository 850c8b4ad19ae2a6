"""Semantic and hybrid search modes: ranking by meaning, filters and facet semantics over the candidate set,
fusion, pagination, sorting, fallback to lexical search, the search page and API, and the content-chunk API."""

import pytest

from catalog.factories import ContentFileFactory, CourseFactory, OfferorFactory, TopicFactory, VideoFactory
from search import semantic
from search.ranking import reciprocal_rank_fusion
from search.service import VECTORS_UNAVAILABLE, SearchParameterError, SearchParams, parse_params, run_search
from search.vectors.encoders import get_encoder
from search.vectors.index import embed_content_files, embed_resources, ensure_collections, resource_text
from search.vectors.stores import EmbeddedVectorStore, VectorStoreError

pytestmark = pytest.mark.django_db

NEURAL = "neural networks"


@pytest.fixture(scope="module")
def encoder():
    return get_encoder()


@pytest.fixture
def store(db, tmp_path, monkeypatch, encoder):
    """A fresh embedded store for each test, used by the search code through `get_vector_store()`."""
    store = EmbeddedVectorStore(tmp_path / "vectors")
    ensure_collections(store, encoder)
    monkeypatch.setattr(semantic, "get_vector_store", lambda: store)
    yield store
    store.close()


@pytest.fixture
def catalogue(db, store, encoder, reindex):
    """A small catalogue, embedded and indexed; `stale` are vectors of resources that are no longer public."""
    ocw = OfferorFactory(code="ocw", name="MIT OpenCourseWare")
    cs = TopicFactory(name="Computer Science", slug="computer-science")
    ai = TopicFactory(name="Artificial Intelligence", slug="artificial-intelligence", parent=cs)
    humanities = TopicFactory(name="Humanities", slug="humanities")
    made = {
        "deep": CourseFactory(
            title="Deep learning fundamentals",
            description="<p>Train multilayer perceptrons and convolutional models with backpropagation.</p>",
            topics=[ai],
        ),
        "vision": VideoFactory(
            title="Convolutional models for computer vision",
            description="<p>Image classifiers built from stacked layers of learned filters, trained by gradient "
            "descent.</p>",
            topics=[ai],
            offered_by=ocw,
        ),
        "ml": CourseFactory(
            title="Machine learning with gradient descent",
            description="<p>Backpropagation, loss functions and deep models for prediction.</p>",
            topics=[cs],
            offered_by=ocw,
            free=False,
        ),
        "poetry": CourseFactory(
            title="Medieval French poetry",
            description="<p>Troubadours, courtly love and the songs of twelfth-century Occitania.</p>",
            topics=[humanities],
        ),
        "baking": CourseFactory(
            title="The chemistry of bread",
            description="<p>Yeast, gluten and ovens: baking explained.</p>",
            topics=[humanities],
        ),
    }
    stale = [
        CourseFactory(title="Neural networks in depth", description="<p>Neural networks.</p>", hidden=True),
        CourseFactory(title="Neural network training", description="<p>Neural networks.</p>", unpublished=True),
    ]
    embed_resources([*made.values(), *stale], store=store, encoder=encoder)
    reindex()
    made["stale"] = stale
    return made


def reference_ranking(encoder, resources, query):
    """What semantic search should return with no filters: public resources above MIN_SCORE, best first."""
    vectors = encoder.encode([resource_text(r) for r in resources])
    scores = vectors @ encoder.encode([query])[0]
    ranked = sorted(zip(scores, [r.pk for r in resources], strict=True), reverse=True)
    return [pk for score, pk in ranked if score >= semantic.MIN_SCORE]


def ids(page):
    return [hit.object_id for hit in page.hits]


def counts(page, key):
    facet = next((facet for facet in page.facets if facet.key == key), None)
    return {option.value: option.count for option in facet.options} if facet else {}


def search(q, mode="semantic", **kwargs):
    return run_search(SearchParams(q=q, mode=mode, page_size=kwargs.pop("page_size", 100), **kwargs))


# --- Semantic ranking ------------------------------------------------------------------------------------------


def test_semantic_search_finds_resources_by_meaning_without_shared_words(catalogue, encoder):
    lexical = search(NEURAL, mode="lexical")
    assert lexical.total == 0  # no public resource contains "neural" or "network"
    page = search(NEURAL)
    assert page.mode_used == "semantic" and page.notice == ""
    public = [catalogue[key] for key in ("deep", "vision", "ml", "poetry", "baking")]
    assert ids(page) == reference_ranking(encoder, public, NEURAL)
    assert ids(page)[0] in (catalogue["deep"].pk, catalogue["ml"].pk)
    assert catalogue["poetry"].pk not in ids(page) and catalogue["baking"].pk not in ids(page)
    assert page.total == len(ids(page))
    assert all(hit.kind == "resource" and hit.url.startswith("/catalog/") for hit in page.hits)


def test_hidden_and_unpublished_resources_are_never_returned_even_with_vectors(catalogue):
    stale = {resource.pk for resource in catalogue["stale"]}
    for mode in ("semantic", "hybrid"):
        page = search("neural networks in depth training", mode=mode)
        assert page.hits, mode
        assert not stale & set(ids(page)), mode
        assert sum(counts(page, "type").values()) == page.total, mode  # nor counted in facets


def test_semantic_facets_follow_lexical_semantics(catalogue):
    deep, vision, ml = catalogue["deep"].pk, catalogue["vision"].pk, catalogue["ml"].pk
    everything = search(NEURAL)
    assert set(ids(everything)) == {deep, vision, ml}
    assert counts(everything, "offeror") == {"mitx": 1, "ocw": 2}
    assert counts(everything, "type") == {"course": 2, "video": 1}
    assert counts(everything, "topic") == {"computer-science": 3, "artificial-intelligence": 2}
    assert counts(everything, "price") == {"free": 2, "paid": 1}

    ocw = search(NEURAL, filters={"offeror": ["ocw"]})
    assert set(ids(ocw)) == {vision, ml}
    assert counts(ocw, "offeror") == {"mitx": 1, "ocw": 2}  # its own facet ignores its selection
    assert counts(ocw, "type") == {"course": 1, "video": 1}
    assert counts(ocw, "price") == {"free": 1, "paid": 1}

    ocw_free = search(NEURAL, filters={"offeror": ["ocw"], "price": ["free"]})
    assert ids(ocw_free) == [vision]
    assert counts(ocw_free, "offeror") == {"mitx": 1, "ocw": 1}
    assert counts(ocw_free, "price") == {"free": 1, "paid": 1}

    either = search(NEURAL, filters={"offeror": ["ocw", "mitx"], "type": ["course"]})
    assert set(ids(either)) == {deep, ml}  # OR within a facet, AND across
    # A parent topic matches resources tagged with its subtopics, as in lexical search.
    assert set(ids(search(NEURAL, filters={"topic": ["computer-science"]}))) == {deep, vision, ml}
    assert set(ids(search(NEURAL, filters={"topic": ["artificial-intelligence"]}))) == {deep, vision}
    assert search(NEURAL, filters={"type": ["news"]}).total == 0
    assert search(NEURAL, filters={"certification": ["professional"]}).total == 0
    assert set(ids(search(NEURAL, filters={"certification": ["none", "professional"]}))) == {deep, vision, ml}


def test_semantic_results_can_be_sorted_and_paginated(catalogue):
    everything = ids(search(NEURAL))
    first = search(NEURAL, page_size=2)
    second = search(NEURAL, page_size=2, page=2)
    assert ids(first) + ids(second) == everything
    assert first.total == second.total == 3 and first.num_pages == 2 and first.has_next and not second.has_next
    past_the_end = search(NEURAL, page_size=2, page=5)
    assert past_the_end.hits == [] and past_the_end.total == 3
    views = {resource.pk: resource.view_count for key, resource in catalogue.items() if key != "stale"}
    by_popularity = ids(search(NEURAL, sort="popularity"))
    assert set(by_popularity) == set(everything)
    assert [views[pk] for pk in by_popularity] == sorted((views[pk] for pk in everything), reverse=True)


# --- Hybrid ------------------------------------------------------------------------------------------------


def test_hybrid_fuses_the_lexical_and_semantic_rankings(catalogue):
    query = "gradient descent"
    lexical = ids(search(query, mode="lexical"))
    # Hybrid search takes the closer semantic matches only.
    semantic_ids = [hit.object_id for hit in search(query).hits if hit.score >= semantic.HYBRID_MIN_SCORE]
    assert lexical and semantic_ids and set(semantic_ids) != set(lexical)
    fused = [int(key) for key, _ in reciprocal_rank_fusion([[str(pk) for pk in lexical], map(str, semantic_ids)])]
    page = search(query, mode="hybrid")
    assert page.mode_used == "hybrid"
    assert ids(page) == fused
    assert page.total == len(set(lexical) | set(semantic_ids))


def test_hybrid_filters_and_facets_the_fused_set(catalogue):
    assert ids(search("chemistry of bread", mode="hybrid"))[0] == catalogue["baking"].pk
    filtered = search("gradient descent", mode="hybrid", filters={"offeror": ["ocw"]})
    assert set(ids(filtered)) <= {catalogue["vision"].pk, catalogue["ml"].pk}
    unfiltered = search("gradient descent", mode="hybrid")
    assert counts(filtered, "offeror") == counts(unfiltered, "offeror")
    assert sum(counts(filtered, "type").values()) == filtered.total


# --- Browsing, parameters, fallback ------------------------------------------------------------------------


def test_an_empty_query_browses_like_lexical_search(catalogue):
    for mode in ("semantic", "hybrid"):
        page = search("", mode=mode)
        lexical = search("", mode="lexical")
        assert ids(page) == ids(lexical) and page.total == lexical.total
        assert page.mode_used == "lexical" and page.notice == ""


def test_mode_parameter_is_read_strictly_in_the_api_and_leniently_on_the_page():
    assert parse_params({"mode": ["hybrid"]}).mode == "hybrid"
    assert parse_params({}).mode == "hybrid"
    assert parse_params({"mode": ["vector"]}).mode == "hybrid"
    assert parse_params({"mode": ["lexical"]}).mode == "lexical"
    with pytest.raises(SearchParameterError) as error:
        parse_params({"mode": ["vector"]}, strict=True)
    assert "mode" in error.value.errors and "lexical, semantic, hybrid" in error.value.errors["mode"]


def failing(*args, **kwargs):
    raise VectorStoreError("Qdrant query failed: connection refused")


@pytest.mark.parametrize("mode", ["semantic", "hybrid"])
@pytest.mark.parametrize("failure", ["store", "encoder", "missing collection"])
def test_vector_failures_fall_back_to_lexical_results_with_a_notice(catalogue, store, monkeypatch, mode, failure):
    if failure == "store":
        monkeypatch.setattr(store, "search", failing)
    elif failure == "encoder":
        monkeypatch.setattr(semantic, "get_encoder", failing)
    else:
        store.drop("resources")
    page = search("gradient descent", mode=mode)
    lexical = search("gradient descent", mode="lexical")
    assert page.mode_used == "lexical" and page.notice == VECTORS_UNAVAILABLE
    assert ids(page) == ids(lexical) and page.total == lexical.total
    assert [facet.key for facet in page.facets] == [facet.key for facet in lexical.facets]


# --- The search page and the API -----------------------------------------------------------------------------


def test_search_page_offers_the_modes_and_keeps_them_in_links(client, catalogue):
    response = client.get("/search/", {"q": NEURAL, "mode": "semantic", "offeror": "ocw"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<legend>Match by</legend>" in html
    assert 'name="mode" value="semantic" checked' in html
    assert "Convolutional models for computer vision" in html and "Medieval French poetry" not in html
    assert "mode=semantic" in html and "sort=popularity" in html
    for option_url in [option.url for facet in response.context["result"].facets for option in facet.options]:
        assert "mode=semantic" in option_url and "q=neural+networks" in option_url
    assert VECTORS_UNAVAILABLE not in html


def test_search_page_shows_the_fallback_notice(client, catalogue, store, monkeypatch):
    monkeypatch.setattr(store, "search", failing)
    response = client.get("/search/", {"q": "gradient descent", "mode": "hybrid"})
    assert response.status_code == 200
    html = response.content.decode()
    assert VECTORS_UNAVAILABLE in html and 'role="status"' in html
    assert catalogue["ml"].pk in ids(response.context["result"])


def test_search_api_modes(client, catalogue, store, monkeypatch):
    data = client.get("/api/v1/search/", {"q": NEURAL, "mode": "semantic", "type": "course"}).json()
    assert (data["mode"], data["mode_used"], data["notice"]) == ("semantic", "semantic", "")
    assert {item["id"] for item in data["results"]} == {catalogue["deep"].pk, catalogue["ml"].pk}
    assert data["count"] == 2
    bad = client.get("/api/v1/search/", {"q": NEURAL, "mode": "vectors"})
    assert bad.status_code == 400 and "mode" in bad.json()["errors"]
    monkeypatch.setattr(store, "search", failing)
    data = client.get("/api/v1/search/", {"q": "gradient descent", "mode": "hybrid"}).json()
    assert (data["mode"], data["mode_used"], data["notice"]) == ("hybrid", "lexical", VECTORS_UNAVAILABLE)
    assert data["count"] >= 1


def test_vector_searches_do_not_write_and_run_bounded_queries(client, catalogue, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get("/search/", {"q": NEURAL, "mode": "hybrid"})  # warm-up: site settings row on a first view
    with CaptureQueriesContext(connection) as queries:
        for mode in ("semantic", "hybrid"):
            assert client.get("/search/", {"q": NEURAL, "mode": mode, "topic": "computer-science"}).status_code == 200
            assert client.get("/api/v1/search/content/", {"q": NEURAL}).status_code == 200
    writes = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(WRITES)]
    assert writes == []
    with django_assert_max_num_queries(30):
        client.get("/api/v1/search/", {"q": NEURAL, "mode": "hybrid", "topic": "computer-science", "price": "free"})


WRITES = ("INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "ALTER", "REPLACE")


def test_openapi_schema_documents_modes_and_content_search(client, db):
    from drf_spectacular.validation import validate_schema

    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    validate_schema(schema)
    search_parameters = {p["name"]: p for p in schema["paths"]["/api/v1/search/"]["get"]["parameters"]}
    assert set(search_parameters["mode"]["schema"]["enum"]) == {"lexical", "semantic", "hybrid"}
    content = schema["paths"]["/api/v1/search/content/"]["get"]
    assert {"q", "limit", "topic", "offeror"} <= {p["name"] for p in content["parameters"]}
    assert {"200", "400", "503"} <= set(content["responses"])


# --- Content-chunk search --------------------------------------------------------------------------------------


@pytest.fixture
def content(catalogue, store, encoder):
    files = {
        "backprop": ContentFileFactory(
            resource=catalogue["deep"],
            title="Lecture 3: backpropagation",
            content="Backpropagation computes the gradient of the loss with respect to every weight of the "
            "network by the chain rule, layer by layer from the output back to the input.",
        ),
        "filters": ContentFileFactory(
            resource=catalogue["vision"],
            title="Convolution filters",
            content="A convolutional layer slides small learned filters over the image to detect edges.",
        ),
        "songs": ContentFileFactory(
            resource=catalogue["poetry"],
            title="Troubadour songs",
            content="The canso is a love song in Old Occitan sung at the courts of southern France.",
        ),
        "unpublished": ContentFileFactory(
            resource=catalogue["deep"],
            title="Draft notes",
            content="Draft: gradients of the loss flow backwards through the network weights.",
            published=False,
        ),
        "hidden": ContentFileFactory(
            resource=catalogue["stale"][0],
            title="Hidden course notes",
            content="Gradient of the loss with respect to the weights, by backpropagation.",
        ),
    }
    embed_content_files(list(files.values()), store=store, encoder=encoder, chunk_size=32, overlap=4)
    return files


def test_content_search_groups_chunks_by_resource_best_first(client, catalogue, content):
    response = client.get("/api/v1/search/content/", {"q": "how are gradients of the loss computed", "limit": 20})
    assert response.status_code == 200
    data = response.json()
    resource_ids = [group["id"] for group in data["results"]]
    assert resource_ids[0] == catalogue["deep"].pk
    assert catalogue["stale"][0].pk not in resource_ids
    assert len(resource_ids) == len(set(resource_ids))
    best = [group["score"] for group in data["results"]]
    assert best == sorted(best, reverse=True)
    file_ids = {chunk["content_file_id"] for group in data["results"] for chunk in group["chunks"]}
    assert content["unpublished"].pk not in file_ids and content["hidden"].pk not in file_ids
    first = data["results"][0]
    assert first["url"] == catalogue["deep"].get_absolute_url() and first["type"] == "course"
    assert first["chunks"][0]["file_title"] == "Lecture 3: backpropagation"
    assert "chain rule" in " ".join(chunk["text"] for chunk in first["chunks"])
    assert first["score"] == first["chunks"][0]["score"]
    assert data["count"] == sum(len(group["chunks"]) for group in data["results"]) <= 20


def test_content_search_filters_limits_and_errors(client, catalogue, content, store, monkeypatch):
    data = client.get("/api/v1/search/content/", {"q": "gradient of the loss", "offeror": "ocw"}).json()
    assert {group["id"] for group in data["results"]} <= {catalogue["vision"].pk}
    data = client.get("/api/v1/search/content/", {"q": "gradient of the loss", "limit": 1}).json()
    assert data["count"] == 1 and len(data["results"]) == 1
    for params in ({}, {"q": "  "}, {"q": "x", "limit": "0"}, {"q": "x", "limit": "many"}, {"q": "x", "mode": "z"}):
        response = client.get("/api/v1/search/content/", params)
        assert response.status_code == 400, params
        assert set(response.json()["errors"]) & {"q", "limit", "mode"}, params
    monkeypatch.setattr(store, "search", failing)
    response = client.get("/api/v1/search/content/", {"q": "gradient"})
    assert response.status_code == 503 and "unavailable" in response.json()["errors"]["search"]


# --- Quality harness -------------------------------------------------------------------------------------------


def test_search_eval_runs_in_each_mode(catalogue, store, tmp_path, monkeypatch):
    from io import StringIO

    from django.core.management import call_command

    deep = catalogue["deep"]
    queries = tmp_path / "queries.tsv"
    queries.write_text(f"query_id\tquery\nq1\t{NEURAL}\n")
    qrels = tmp_path / "qrels.tsv"
    qrels.write_text(f"q1\t{deep.source}:{deep.source_id}\t3\n")

    def run(mode):
        out, err = StringIO(), StringIO()
        call_command("search_eval", str(queries), str(qrels), "--mode", mode, stdout=out, stderr=err, verbosity=0)
        return out.getvalue(), err.getvalue()

    lexical, _ = run("lexical")
    assert "lexical   nDCG@10" in lexical and "zero-result rate 1.000" in lexical
    for mode in ("semantic", "hybrid"):
        text, warnings = run(mode)
        assert f"{mode:9} nDCG@10" in text and "zero-result rate 0.000" in text and "recall@20 1.000" in text
        assert warnings == ""
    monkeypatch.setattr(store, "search", failing)
    _, warnings = run("semantic")
    assert "1 of 1 queries fell back to lexical search" in warnings
