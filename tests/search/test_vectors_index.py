"""Resources and content-file chunks into the vector store, with facet payloads for filtered semantic search."""

import hashlib

import numpy as np
import pytest

from catalog.factories import ContentFileFactory, CourseFactory, TopicFactory, VideoFactory
from search.vectors.index import (
    CHUNKS,
    RESOURCES,
    embed_content_files,
    embed_resources,
    ensure_collections,
    public_resources,
    remove_resources,
)
from search.vectors.stores import EdgeVectorStore

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
