"""With no vectors (store down or empty), a process remembers it for a few seconds and answers semantic and hybrid
searches as one keyword search, without trying the vectors again (search.vectors.health)."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

import pytest

from catalog.factories import CourseFactory, TopicFactory
from search import semantic
from search.service import SearchParams, run_search
from search.vectors import health
from search.vectors.encoders import get_encoder
from search.vectors.index import (
    FACET_FIELDS,
    RESOURCES,
    embed_resources,
    ensure_collections,
    resource_payload,
    resource_text,
)
from search.vectors.stores import EmbeddedVectorStore, VectorPoint

pytestmark = pytest.mark.django_db


class Clock:
    """time.monotonic for search.vectors.health, moved by the test."""

    def __init__(self):
        self.now = 1000.0

    def monotonic(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(health.time, "monotonic", clock.monotonic)
    health.forget_unavailable()
    yield clock
    health.forget_unavailable()


@pytest.fixture
def empty_store(db, tmp_path, monkeypatch):
    """An embedded store nothing was ever embedded into (no collection), as after a fresh install."""
    store = EmbeddedVectorStore(tmp_path / "vectors")
    monkeypatch.setattr(semantic, "get_vector_store", lambda: store)
    yield store
    store.close()


@pytest.fixture
def courses(db, reindex):
    topic = TopicFactory(name="Physics", slug="physics")
    made = CourseFactory.create_batch(5, topics=[topic], description="<p>Waves, optics and physics.</p>")
    reindex()
    return made


def search(mode=""):
    params = SearchParams(q="physics of waves", filters={"topic": ["physics"]}, mode=mode or "hybrid")
    params.mode_asked = bool(mode)
    return run_search(params)


def queries_of(func):
    with CaptureQueriesContext(connection) as captured:
        page = func()
    return page, len(captured.captured_queries)


def test_no_vectors_is_remembered_and_answered_as_one_keyword_search(courses, empty_store, clock, monkeypatch):
    search("lexical")  # warm: the process's synonym and name caches
    lexical, keyword_queries = queries_of(lambda: search("lexical"))
    first, first_queries = queries_of(search)
    assert first.mode_used == "lexical" and first.notice == ""  # the default mode falls back silently
    assert first_queries > keyword_queries  # the keyword ranking and the failed vector search were paid once

    tried = []
    monkeypatch.setattr(empty_store, "search", lambda *args, **kwargs: tried.append(args))
    clock.now += health.UNAVAILABLE_SECONDS - 0.5
    again, again_queries = queries_of(search)
    assert again.mode_used == "lexical" and tried == []
    assert again_queries == keyword_queries  # as one keyword search
    assert [hit.key for hit in again.hits] == [hit.key for hit in lexical.hits] and again.total == lexical.total
    asked = search("semantic")  # a chosen mode falls back with its notice, also without trying
    assert asked.mode_used == "lexical" and asked.notice and tried == []


def test_the_vectors_are_tried_again_after_a_few_seconds(courses, empty_store, clock):
    assert search().mode_used == "lexical"
    # The vectors arrive from another process (the embedding worker): this process is not told.
    encoder = get_encoder()
    empty_store.ensure_collection(RESOURCES, encoder.dimensions, FACET_FIELDS)
    vectors = encoder.encode([resource_text(course) for course in courses])
    empty_store.upsert(
        RESOURCES,
        [VectorPoint(c.pk, v, resource_payload(c)) for c, v in zip(courses, vectors, strict=True)],
    )
    clock.now += health.UNAVAILABLE_SECONDS - 0.5
    assert search().mode_used == "lexical"
    clock.now += 1
    assert search().mode_used == "hybrid"


def test_embedding_forgets_the_failure_at_once(courses, empty_store, clock):
    assert search().mode_used == "lexical"
    encoder = get_encoder()
    ensure_collections(empty_store, encoder)
    embed_resources(courses, store=empty_store, encoder=encoder)
    page = search()
    assert page.mode_used == "hybrid" and {hit.object_id for hit in page.hits} == {c.pk for c in courses}


def test_another_store_is_tried_at_once(courses, empty_store, clock, tmp_path, monkeypatch):
    assert search().mode_used == "lexical"
    other = EmbeddedVectorStore(tmp_path / "other")
    encoder = get_encoder()
    ensure_collections(other, encoder)
    embed_resources(courses, store=other, encoder=encoder)
    health.remember_unavailable(empty_store, "the old store failed")  # embedding forgot it: remember it again
    monkeypatch.setattr(semantic, "get_vector_store", lambda: other)
    try:
        assert search().mode_used == "hybrid"
    finally:
        other.close()
