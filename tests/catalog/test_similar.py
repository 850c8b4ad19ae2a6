"""Similar resources by meaning: the detail page's section and /api/v1/resources/{id}/similar/."""

from django.core.cache import cache

import pytest

from catalog.factories import CourseFactory, TopicFactory, VideoFactory
from search import semantic
from search.vectors.encoders import get_encoder
from search.vectors.index import RESOURCES, embed_resources, ensure_collections
from search.vectors.stores import EmbeddedVectorStore, VectorStoreError

pytestmark = pytest.mark.django_db
API = "/api/v1/resources"


@pytest.fixture(scope="module")
def encoder():
    return get_encoder()


@pytest.fixture
def store(db, tmp_path, monkeypatch, encoder):
    store = EmbeddedVectorStore(tmp_path / "vectors")
    ensure_collections(store, encoder)
    monkeypatch.setattr(semantic, "get_vector_store", lambda: store)
    cache.clear()
    yield store
    store.close()
    cache.clear()


@pytest.fixture
def catalogue(store, encoder):
    made = {
        "deep": CourseFactory(
            title="Deep learning fundamentals",
            description="<p>Train neural networks: multilayer perceptrons, backpropagation, convolutions.</p>",
            topics=["Deep Learning"],
        ),
        "ml": CourseFactory(
            title="Machine learning with gradient descent",
            description="<p>Neural network models, loss functions and backpropagation for prediction.</p>",
            topics=["Machine Learning"],
        ),
        "vision": VideoFactory(
            title="Convolutional networks for computer vision",
            description="<p>Image classifiers built from stacked learned filters.</p>",
            topics=["Computer Vision"],
        ),
        "poetry": CourseFactory(
            title="Medieval French poetry",
            description="<p>Troubadours, courtly love and the songs of twelfth-century Occitania.</p>",
            topics=["Poetry"],
        ),
        "hidden": CourseFactory(
            title="Neural networks and deep learning in depth",
            description="<p>Backpropagation and neural networks.</p>",
            hidden=True,
        ),
    }
    embed_resources(list(made.values()), store=store, encoder=encoder)
    store.sync(RESOURCES)  # a running web process keeps its replica current; the first sync is not per request
    return made


def titles(items):
    return [item.title for item in items]


def test_detail_page_lists_similar_resources_by_meaning(client, catalogue):
    response = client.get(catalogue["deep"].get_absolute_url())
    assert response.status_code == 200
    similar = response.context["similar"]
    assert titles(similar)[:2] == [
        "Machine learning with gradient descent",
        "Convolutional networks for computer vision",
    ]
    assert titles(similar)[-1] == "Medieval French poetry"
    assert catalogue["deep"].pk not in [item.pk for item in similar]
    assert catalogue["hidden"].pk not in [item.pk for item in similar]
    html = response.content.decode()
    assert '<h2 id="similar-heading">Similar resources</h2>' in html
    assert catalogue["ml"].get_absolute_url() in html


def test_similar_section_leaves_out_resources_already_listed_as_related(client, catalogue):
    shared = TopicFactory(name="Neural Networks", slug="neural-networks")
    for key in ("deep", "ml"):
        catalogue[key].topics.add(shared)
    response = client.get(catalogue["deep"].get_absolute_url())
    assert titles(response.context["related"]) == ["Machine learning with gradient descent"]
    assert "Machine learning with gradient descent" not in titles(response.context["similar"])
    assert titles(response.context["similar"])[0] == "Convolutional networks for computer vision"


@pytest.mark.parametrize("failure", ["store down", "no collection"])
def test_detail_page_omits_the_section_when_vectors_are_unavailable(client, catalogue, store, monkeypatch, failure):
    if failure == "store down":
        monkeypatch.setattr(store, "search", lambda *a, **k: (_ for _ in ()).throw(VectorStoreError("down")))
    else:
        store.drop(RESOURCES)
    response = client.get(catalogue["deep"].get_absolute_url())
    assert response.status_code == 200
    assert response.context["similar"] == []
    assert "Similar resources" not in response.content.decode()


def test_similar_ids_are_cached_per_version_and_rechecked_for_publicness(client, catalogue, store, monkeypatch):
    calls = []
    search = store.search

    def counting(*args, **kwargs):
        calls.append(args)
        return search(*args, **kwargs)

    monkeypatch.setattr(store, "search", counting)
    url = f"{API}/{catalogue['deep'].pk}/similar/"
    first = [item["id"] for item in client.get(url).json()["results"]]
    assert first[0] == catalogue["ml"].pk and len(calls) == 1
    catalogue["ml"].hidden = True
    catalogue["ml"].save(update_fields=["hidden"])
    second = [item["id"] for item in client.get(url).json()["results"]]
    assert len(calls) == 1  # served from the cache ...
    assert second == [pk for pk in first if pk != catalogue["ml"].pk]  # ... but never a hidden resource
    catalogue["deep"].title = "Deep learning fundamentals, revised"
    catalogue["deep"].save()
    client.get(url)
    assert len(calls) == 2  # a new version of the resource is looked up again


def test_similar_api(client, catalogue, store, monkeypatch, django_assert_max_num_queries):
    url = f"{API}/{catalogue['deep'].pk}/similar/"
    # The embedded store reads its collection's dimension and change number from the database: two of these.
    with django_assert_max_num_queries(11):
        response = client.get(url, {"limit": 2})
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 2
    assert [item["id"] for item in data["results"]] == [catalogue["ml"].pk, catalogue["vision"].pk]
    assert data["results"][0]["title"] == "Machine learning with gradient descent"
    assert "public, " in response["Cache-Control"] and response.has_header("ETag")
    only = client.get(url, {"fields": "id,title"}).json()["results"][0]
    assert set(only) == {"id", "title"}
    for bad in ("0", "51", "many"):
        response = client.get(url, {"limit": bad})
        assert response.status_code == 400 and "limit" in response.json(), bad
    assert client.get(f"{API}/{catalogue['hidden'].pk}/similar/").status_code == 404
    assert client.get(f"{API}/999999/similar/").status_code == 404
    monkeypatch.setattr(store, "search", lambda *a, **k: (_ for _ in ()).throw(VectorStoreError("down")))
    cache.clear()
    response = client.get(url)
    assert response.status_code == 503 and "unavailable" in response.json()["detail"]


def test_openapi_schema_documents_similar(client):
    from drf_spectacular.validation import validate_schema

    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    validate_schema(schema)
    operation = schema["paths"]["/api/v1/resources/{id}/similar/"]["get"]
    assert {"limit", "fields"} <= {parameter["name"] for parameter in operation["parameters"]}
    assert {"200", "400", "503"} <= set(operation["responses"])


# The detail page's own budget (tests/catalog/test_pages.py) plus the similar section: on a cache miss the
# resource's instructors (for its text) and the cards (resources, topics, image renditions); on a hit the cards.
SIMILAR_MISS_QUERIES = 4
SIMILAR_HIT_QUERIES = 3


@pytest.mark.parametrize("size", [10, 60])
def test_detail_page_query_count_with_similar_does_not_grow(
    client, store, encoder, size, django_assert_max_num_queries
):
    from catalog.factories import make_catalogue
    from search.vectors.index import public_resources

    from .test_pages import DETAIL_MAX_QUERIES

    made = make_catalogue(size)
    embed_resources(list(public_resources()), store=store, encoder=encoder)
    course = made["resources"][0]
    client.get(course.get_absolute_url())  # the site's settings row is created on a first view
    cache.clear()
    with django_assert_max_num_queries(DETAIL_MAX_QUERIES + SIMILAR_MISS_QUERIES):
        response = client.get(course.get_absolute_url())
    assert response.context["similar"]
    with django_assert_max_num_queries(DETAIL_MAX_QUERIES + SIMILAR_HIT_QUERIES):
        assert client.get(course.get_absolute_url()).context["similar"] == response.context["similar"]
