"""Hybrid search (the default mode) with vectors available lists news items and pages from the lexical engine
along with resources: in the page of hits, the total, the type facet, sorts and type filters; semantic mode stays
resource-only."""

import datetime

from django.utils import timezone

import pytest

from catalog.factories import CourseFactory, TopicFactory, VideoFactory
from cms.models import StandardPage
from news.factories import FeedItemFactory
from search import semantic
from search.service import SearchParams, run_search
from search.vectors.encoders import get_encoder
from search.vectors.index import embed_resources, ensure_collections
from search.vectors.stores import EmbeddedVectorStore

pytestmark = pytest.mark.django_db

WORD = "photosynthesis"


@pytest.fixture(scope="module")
def encoder():
    return get_encoder()


@pytest.fixture
def store(db, tmp_path, monkeypatch, encoder):
    store = EmbeddedVectorStore(tmp_path / "vectors")
    ensure_collections(store, encoder)
    monkeypatch.setattr(semantic, "get_vector_store", lambda: store)
    yield store
    store.close()


@pytest.fixture
def mixed(store, encoder, reindex, home_page):
    """Resources (embedded), a news item, a hidden news item and a published page, all indexed."""
    biology = TopicFactory(name="Biology", slug="biology")
    resources = {
        "plants": CourseFactory(
            title="Photosynthesis and plant biology",
            description="<p>How chloroplasts turn light, water and carbon dioxide into sugar.</p>",
            topics=[biology],
        ),
        "leaves": VideoFactory(
            title="Why leaves are green",
            description="<p>Chlorophyll absorbs red and blue light for photosynthesis.</p>",
            topics=[biology],
        ),
        "poetry": CourseFactory(title="Medieval French poetry", description="<p>Troubadours and courtly love.</p>"),
    }
    news = FeedItemFactory(
        title="Artificial photosynthesis breakthrough announced",
        summary="<p>Researchers report a catalyst that splits water using sunlight.</p>",
        published_at=timezone.now() - datetime.timedelta(days=1),
        topics=[biology],
    )
    hidden = FeedItemFactory(title="Photosynthesis rumour", hidden=True)
    page = home_page.add_child(
        instance=StandardPage(title="Photosynthesis teaching guide", body="<p>Classroom activities.</p>", live=False)
    )
    page.save_revision().publish()
    page.refresh_from_db()
    embed_resources(list(resources.values()), store=store, encoder=encoder)
    reindex()
    return {**resources, "news": news, "hidden": hidden, "page": page}


def keys(found):
    return [hit.key for hit in found.hits]


def counts(found, key):
    facet = next((facet for facet in found.facets if facet.key == key), None)
    return {option.value: option.count for option in facet.options} if facet else {}


def search(q=WORD, **kwargs):
    return run_search(SearchParams(q=q, page_size=kwargs.pop("page_size", 100), **kwargs))


def test_default_hybrid_search_lists_news_and_pages_with_resources(mixed):
    found = run_search(SearchParams(q=WORD, mode_asked=False))  # the default mode, as the page and the API use it
    assert found.mode_used == "hybrid" and found.notice == ""
    news_key, page_key = f"news:{mixed['news'].pk}", f"page:{mixed['page'].pk}"
    assert {news_key, page_key, f"resource:{mixed['plants'].pk}", f"resource:{mixed['leaves'].pk}"} <= set(keys(found))
    assert f"news:{mixed['hidden'].pk}" not in keys(found)
    assert found.total == len(found.hits)
    type_counts = counts(found, "type")
    assert type_counts["news"] == 1 and type_counts["page"] == 1
    assert sum(type_counts.values()) == found.total
    # Non-resource hits are exactly the lexical engine's.
    lexical = search(mode="lexical")
    assert {key for key in keys(found) if not key.startswith("resource:")} == {
        key for key in keys(lexical) if not key.startswith("resource:")
    }
    # A resource matching both rankings outranks a news item or page that only the lexical ranking holds.
    assert keys(found)[0] == f"resource:{mixed['plants'].pk}"


def test_semantic_mode_stays_resource_only(mixed):
    found = search(mode="semantic")
    assert found.mode_used == "semantic" and found.hits
    assert all(hit.kind == "resource" for hit in found.hits)
    assert not {"news", "page"} & set(counts(found, "type"))
    assert search(mode="semantic", filters={"type": ["news"]}).total == 0


def test_type_filters_sorts_and_pages_cover_news_and_pages(mixed):
    news_only = search(mode="hybrid", filters={"type": ["news"]})
    assert keys(news_only) == [f"news:{mixed['news'].pk}"] and news_only.total == 1
    # The type facet ignores its own selection: the other kinds are still counted.
    assert counts(news_only, "type")["page"] == 1 and counts(news_only, "type")["course"] >= 1
    # Facets news items lack (price) leave them out, as in lexical search.
    assert all(hit.kind == "resource" for hit in search(mode="hybrid", filters={"price": ["free"]}).hits)
    assert f"news:{mixed['news'].pk}" in keys(search(mode="hybrid", filters={"topic": ["biology"]}))

    everything = search(mode="hybrid")
    newest = search(mode="hybrid", sort="newest")
    assert set(keys(newest)) == set(keys(everything))
    dates = [hit.published_at for hit in newest.hits]
    dated = [date for date in dates if date]
    assert dated == sorted(dated, reverse=True) and dates[: len(dated)] == dated  # undated last
    assert f"news:{mixed['news'].pk}" in keys(newest)[: len(dated)]

    first, second = search(mode="hybrid", page_size=2), search(mode="hybrid", page_size=2, page=2)
    assert first.total == second.total == everything.total
    assert keys(first) + keys(second) == keys(everything)[:4]


def test_no_close_match_when_the_top_hit_is_a_news_item(mixed):
    found = search("artificial photosynthesis breakthrough", mode="hybrid", filters={"type": ["news"]})
    assert keys(found) == [f"news:{mixed['news'].pk}"]
    assert found.similarity == 0.0  # no resource under a news-only selection: no semantic evidence
    assert found.word_coverage == 1.0 and found.no_close_match is False
    nothing = search("xylophone quaternion", mode="hybrid", filters={"type": ["news", "page"]})
    assert nothing.hits == [] and nothing.no_close_match is True


def test_the_api_and_the_page_list_news_and_pages_by_default(mixed, client):
    data = client.get("/api/v1/search/", {"q": WORD}).json()
    assert data["mode_used"] == "hybrid"
    kinds = {result["kind"] for result in data["results"]}
    assert {"resource", "news", "page"} <= kinds and data["count"] == len(data["results"])
    html = client.get("/search/", {"q": WORD}).content.decode()
    assert "Artificial photosynthesis breakthrough announced" in html and "Photosynthesis teaching guide" in html
    assert "Photosynthesis rumour" not in html
