"""Resources and content-file chunks into the vector store, with facet payloads for filtered semantic search."""

import hashlib
import json

import numpy as np
import pytest

from catalog.factories import ContentFileFactory, CourseFactory, OfferorFactory, TopicFactory, VideoFactory
from search.vectors.index import (
    CHUNKS,
    FACET_FIELDS,
    RESOURCES,
    embed_content_files,
    embed_resources,
    ensure_collections,
    public_resources,
    refresh_chunk_payloads,
    remove_resources,
    resource_payload,
)
from search.vectors.stores import EdgeVectorStore, EmbeddedVectorStore

pytestmark = pytest.mark.django_db


class HashEncoder:
    """Deterministic stand-in for plumbing tests: similar texts are not close, identical texts are identical."""

    name = "hash"
    dimensions = 16

    def encode(self, texts):
        rows = [
            np.frombuffer(hashlib.sha256(t.encode()).digest()[:16], dtype=np.uint8).astype(np.float32) + 1
            for t in texts
        ]
        vectors = np.vstack(rows) if rows else np.zeros((0, 16), np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


@pytest.fixture
def store(tmp_path):
    store = EdgeVectorStore(tmp_path)
    ensure_collections(store, HashEncoder())
    yield store
    store.close()


def test_public_resources_are_embedded_with_facet_payloads(store):
    parent = TopicFactory(name="Engineering", slug="engineering")
    child = TopicFactory(name="Robotics", slug="robotics", parent=parent)
    course = CourseFactory(title="Robot motion planning", free=True)
    course.topics.set([child])
    VideoFactory(title="Hidden", hidden=True)
    resources = list(public_resources())
    assert [r.pk for r in resources] == [course.pk]
    assert embed_resources(resources, store=store, encoder=HashEncoder()) == 1
    hit = store.search(RESOURCES, HashEncoder().encode(["x"])[0], limit=5)[0]
    assert hit.id == course.pk
    assert hit.payload["topics"] == ["engineering", "robotics"]
    assert hit.payload["free"] == "true"
    assert store.count(RESOURCES, {"topics": ["engineering"], "resource_type": "course"}) == 1


def test_content_file_chunks_are_replaced_and_removed_with_their_resource(store):
    course = CourseFactory()
    content_file = ContentFileFactory(resource=course, content="Week 1\n\n" + "Limits and continuity. " * 400)
    first = embed_content_files([content_file], store=store, encoder=HashEncoder(), chunk_size=128, overlap=16)
    assert first > 5
    assert store.count(CHUNKS, {"content_file_id": content_file.pk}) == first
    content_file.content = "Short now."
    assert embed_content_files([content_file], store=store, encoder=HashEncoder()) == 1
    assert store.count(CHUNKS, {"resource_id": course.pk}) == 1
    embed_resources([course], store=store, encoder=HashEncoder())
    remove_resources([course.pk], store=store)
    assert store.count(RESOURCES) == 0
    assert store.count(CHUNKS) == 0


LONG_NOTES = "Week 1\n\n" + "Limits and continuity. " * 400


def test_chunk_size_and_overlap_come_from_the_settings(store, settings):
    content_file = ContentFileFactory(resource=CourseFactory(), content=LONG_NOTES)
    default = embed_content_files([content_file], store=store, encoder=HashEncoder())
    assert store.count(CHUNKS) == default

    settings.EMBEDDING_CHUNK_TOKENS, settings.EMBEDDING_CHUNK_OVERLAP = 128, 16
    smaller = embed_content_files([content_file], store=store, encoder=HashEncoder())
    assert smaller > 2 * default
    assert store.count(CHUNKS) == smaller  # replaced, not added to

    settings.EMBEDDING_CHUNK_OVERLAP = 0
    assert embed_content_files([content_file], store=store, encoder=HashEncoder()) < smaller


def test_refreshing_chunk_payloads_copies_the_facets_and_reports_resources_without_chunks(store):
    course = CourseFactory(offered_by=OfferorFactory(code="mitx"))
    unembedded = CourseFactory()
    ContentFileFactory(resource=unembedded)
    without_files = CourseFactory()
    embedded = embed_content_files(
        [ContentFileFactory(resource=course, content=LONG_NOTES)], store=store, encoder=HashEncoder()
    )

    course.offered_by = OfferorFactory(code="ocw")
    course.save()
    resources = list(public_resources([course.pk, unembedded.pk, without_files.pk]))
    assert refresh_chunk_payloads(resources, store=store) == (1, [unembedded.pk])
    assert store.count(CHUNKS, {"offered_by": "ocw", "resource_id": course.pk}) == embedded
    assert store.count(CHUNKS, {"offered_by": "mitx"}) == 0


@pytest.fixture
def embedded_store(tmp_path):
    store = EmbeddedVectorStore(tmp_path)
    yield store
    store.close()


def test_both_collections_index_every_facet_field_and_filter_on_each(embedded_store):
    # qdrant-edge reports a shard's payload indexes (`EdgeShard.info().payload_schema`); the embedded store reports
    # those of its replica, which is what filters searches.
    parent = TopicFactory(name="Engineering", slug="engineering")
    course = CourseFactory(certified=True, languages=["en", "es"], departments=["6"])
    course.topics.set([TopicFactory(name="Robotics", slug="robotics", parent=parent)])
    other = VideoFactory(
        offered_by=OfferorFactory(code="ocw"), free=False, languages=["fr"], level="advanced", delivery="in_person"
    )
    notes = ContentFileFactory(resource=course, content=LONG_NOTES)
    ensure_collections(embedded_store, HashEncoder())
    resources = list(public_resources([course.pk, other.pk]))
    embed_resources(resources, store=embedded_store, encoder=HashEncoder())
    chunks = embed_content_files([notes], store=embedded_store, encoder=HashEncoder())

    ids = {"resource_id": "integer"}
    keywords = {name: "keyword" for name in FACET_FIELDS if name not in ids}
    assert embedded_store.payload_indexes(RESOURCES) == {**keywords, **ids}
    assert embedded_store.payload_indexes(CHUNKS) == {**keywords, **ids, "content_file_id": "integer"}

    payload = resource_payload(next(r for r in resources if r.pk == course.pk))
    for name in FACET_FIELDS:  # the other resource differs on every one
        value = payload[name]
        value = value[-1] if isinstance(value, list) else value
        assert value not in ("", None), name
        assert embedded_store.count(RESOURCES, {name: value}) == 1, name
        assert embedded_store.count(CHUNKS, {name: [value]}) == chunks, name
        hits = embedded_store.search(RESOURCES, HashEncoder().encode(["x"])[0], limit=5, filters={name: value})
        assert [hit.id for hit in hits] == [course.pk], name
    assert embedded_store.count(CHUNKS, {"content_file_id": notes.pk}) == chunks


def test_replicas_made_before_integer_id_indexes_get_them_without_a_rebuild(embedded_store):
    course = CourseFactory()
    ensure_collections(embedded_store, HashEncoder())
    embed_resources(list(public_resources()), store=embedded_store, encoder=HashEncoder())
    assert embedded_store.count(RESOURCES, {"resource_id": course.pk}) == 1
    # What an older version left: the id fields indexed as keywords, and no index types in the replica's metadata.
    replica = embedded_store._local_store()
    meta_path = replica.root / RESOURCES / EdgeVectorStore.META
    meta = json.loads(meta_path.read_text())
    del meta["indexes"]
    meta_path.write_text(json.dumps(meta))
    from qdrant_edge import PayloadSchemaType, UpdateOperation

    replica._shard(RESOURCES).update(UpdateOperation.create_field_index("resource_id", PayloadSchemaType.Keyword))
    assert replica.payload_indexes(RESOURCES)["resource_id"] == "keyword"

    assert embedded_store.count(RESOURCES, {"resource_id": course.pk}) == 1
    assert replica.payload_indexes(RESOURCES)["resource_id"] == "integer"
    assert replica.count(RESOURCES) == 1  # healed in place: the points were kept
