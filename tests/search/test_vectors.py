"""Vectors: the local encoder, the OpenAI-compatible encoder over HTTP, chunking, and one suite for both stores."""

import json

from django.conf import settings

import numpy as np
import pytest

from search.vectors.chunking import chunk_text, count_tokens, split_sections
from search.vectors.encoders import EncoderError, LocalMiniLMEncoder, OpenAIEncoder
from search.vectors.stores import (
    EdgeVectorStore,
    EmbeddedVectorStore,
    QdrantServerStore,
    VectorPoint,
    VectorStoreError,
    chunk_point_id,
)


@pytest.fixture(scope="module")
def encoder():
    return LocalMiniLMEncoder()


def test_local_encoder_returns_unit_vectors_of_384_dimensions(encoder):
    vectors = encoder.encode(["Linear algebra for engineers", "", "Fourier analysis"])
    assert vectors.shape == (3, 384)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert encoder.encode([]).shape == (0, 384)


def test_local_encoder_places_related_texts_closer_than_unrelated(encoder):
    anchor, related, unrelated = encoder.encode(
        [
            "Introduction to machine learning with neural networks",
            "Deep learning: training neural nets on data",
            "A history of French medieval poetry",
        ]
    )
    assert anchor @ related > anchor @ unrelated + 0.2


def test_local_encoder_is_independent_of_batching(encoder):
    texts = ["short", "a considerably longer sentence about thermodynamics and entropy in closed systems", "mid text"]
    together = encoder.encode(texts)
    alone = np.vstack([encoder.encode([t]) for t in texts])
    assert np.allclose(together, alone, atol=1e-4)


def test_long_input_is_truncated_not_rejected(encoder):
    vector = encoder.encode(["entropy " * 2000])
    assert vector.shape == (1, 384)


# --- OpenAI-compatible encoder against a local HTTP stand-in of the embeddings API ------------------


def embeddings_response(request, dimensions=8):
    body = json.loads(request.data)
    data = []
    for index, text in enumerate(body["input"]):
        vector = np.zeros(dimensions)
        vector[len(text) % dimensions] = 3.0  # deterministic, not unit length: the encoder normalises
        vector[0] += 1.0
        data.append({"object": "embedding", "index": index, "embedding": vector.tolist()})
    # Out of order on purpose: the encoder must sort by index.
    data.reverse()
    return json.dumps(
        {"object": "list", "data": data, "model": body["model"], "usage": {"prompt_tokens": 1, "total_tokens": 1}}
    )


def make_openai_encoder(httpserver, **kwargs):
    return OpenAIEncoder(
        api_key="sk-test", base_url=httpserver.url_for("/v1"), model="text-embedding-3-small", dimensions=8, **kwargs
    )


def test_openai_encoder_batches_and_normalises(httpserver):
    from werkzeug import Response

    calls = []

    def handler(request):
        calls.append(json.loads(request.data))
        return Response(embeddings_response(request), content_type="application/json")

    httpserver.expect_request("/v1/embeddings", method="POST").respond_with_handler(handler)
    texts = [f"text number {i}" + "x" * i for i in range(5)]
    vectors = make_openai_encoder(httpserver, batch_size=2).encode(texts)
    assert [len(call["input"]) for call in calls] == [2, 2, 1]
    assert calls[0]["dimensions"] == 8
    assert vectors.shape == (5, 8)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0)
    # Row order follows the input despite the server's reversed order.
    for text, vector in zip(texts, vectors, strict=True):
        assert vector[len(text) % 8] == vector.max()


def test_openai_encoder_backs_off_on_rate_limit_then_succeeds(httpserver):
    from werkzeug import Response

    attempts = []

    def handler(request):
        attempts.append(1)
        if len(attempts) < 3:
            return Response(
                json.dumps({"error": {"message": "slow down", "type": "rate_limit"}}),
                status=429,
                content_type="application/json",
            )
        return Response(embeddings_response(request), content_type="application/json")

    httpserver.expect_request("/v1/embeddings", method="POST").respond_with_handler(handler)
    vectors = make_openai_encoder(httpserver).encode(["one", "two"])
    assert len(attempts) == 3
    assert vectors.shape == (2, 8)


def test_openai_encoder_outage_is_an_encoder_error(httpserver):
    httpserver.expect_request("/v1/embeddings", method="POST").respond_with_data("down", status=503)
    with pytest.raises(EncoderError, match="embedding API failed"):
        make_openai_encoder(httpserver, max_attempts=2).encode(["one"])


def test_openai_encoder_refuses_wrong_dimensions(httpserver):
    from werkzeug import Response

    httpserver.expect_request("/v1/embeddings", method="POST").respond_with_handler(
        lambda request: Response(embeddings_response(request, dimensions=4), content_type="application/json")
    )
    with pytest.raises(EncoderError, match="returned 4 dimensions, expected 8"):
        make_openai_encoder(httpserver).encode(["one"])


@pytest.mark.skipif(not settings.OPENAI_API_KEY, reason="OPENAI_API_KEY is not set")
def test_real_openai_compatible_api():
    vectors = OpenAIEncoder(
        api_key=settings.OPENAI_API_KEY,
        base_url=settings.OPENAI_BASE_URL,
        model=settings.OPENAI_EMBEDDING_MODEL,
        dimensions=settings.OPENAI_EMBEDDING_DIMENSIONS,
    ).encode(["machine learning", "deep learning", "medieval poetry"])
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]


# --- Chunking -------------------------------------------------------------------------------------


def test_chunks_respect_the_token_budget_and_overlap():
    text = "# Syllabus\n" + " ".join(f"word{i}" for i in range(3000))
    chunks = chunk_text(text, size=200, overlap=40)
    assert len(chunks) > 5
    assert all(chunk.tokens <= 200 for chunk in chunks)
    assert all(chunk.text.startswith("Syllabus\n") for chunk in chunks)
    assert [c.index for c in chunks] == list(range(len(chunks)))
    first, second = chunks[0].text.split("\n", 1)[1], chunks[1].text.split("\n", 1)[1]
    assert first.split()[-1] in second  # the overlap repeats the end of one chunk at the start of the next


def test_chunking_splits_on_headings_first_and_packs_small_sections():
    text = "Intro line.\n\nWeek 1\n\nLimits.\n\nWeek 2\n\nDerivatives.\n\n# Week 3\nIntegrals."
    assert [h for h, _ in split_sections(text)] == ["", "Week 1", "Week 2", "Week 3"]
    packed = chunk_text(text, size=512, overlap=0)
    assert len(packed) == 1 and "Derivatives." in packed[0].text
    apart = chunk_text(text, size=6, overlap=0)
    assert [c.heading for c in apart][:3] == ["", "Week 1", "Week 2"]


def test_token_count_uses_cl100k():
    assert count_tokens("hello world") == 2
    with pytest.raises(ValueError):
        chunk_text("x", size=10, overlap=10)


# --- One suite for both vector stores ---------------------------------------------------------------


def store_params():
    params = [
        pytest.param("embedded", id="embedded-db-log+edge-replica"),
        pytest.param("edge", id="qdrant-edge"),
        pytest.param("client-local", id="qdrant-client-local"),
    ]
    params.append(
        pytest.param(
            "server",
            id="qdrant-server",
            marks=pytest.mark.skipif(not settings.QDRANT_URL, reason="QDRANT_URL is not set"),
        )
    )
    return params


@pytest.fixture(params=store_params())
def store(request, tmp_path):
    if request.param == "embedded":
        request.getfixturevalue("db")
        embedded = EmbeddedVectorStore(tmp_path / "qdrant")
        yield embedded
        embedded.close()
        return
    if request.param == "edge":
        edge = EdgeVectorStore(tmp_path / "qdrant")
        yield edge
        edge.close()
        return
    import uuid

    from qdrant_client import QdrantClient

    if request.param == "client-local":
        server = QdrantServerStore(client=QdrantClient(location=":memory:"), prefix="t")
    else:
        server = QdrantServerStore(settings.QDRANT_URL, settings.QDRANT_API_KEY, prefix=f"t{uuid.uuid4().hex[:8]}")
    yield server
    for name in ("resources", "chunks"):
        server.drop(name)


def points(n=40, dims=16, seed=3):
    rng = np.random.default_rng(seed)
    vectors = rng.normal(size=(n, dims)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return [
        VectorPoint(
            id=i + 1,
            vector=vectors[i],
            payload={
                "resource_id": i + 1,
                "resource_type": "course" if i % 2 else "video",
                "topics": ["ai", "math"] if i % 3 == 0 else ["art"],
                "free": i % 4 == 0,
            },
        )
        for i in range(n)
    ]


def test_store_upsert_search_and_exact_nearest(store):
    data = points()
    assert store.ensure_collection("resources", 16, ["resource_type", "topics"]) is True
    assert store.ensure_collection("resources", 16, ["resource_type", "topics"]) is False
    store.upsert("resources", data)
    assert store.count("resources") == 40
    query = data[7].vector
    hits = store.search("resources", query, limit=5)
    exact = np.argsort(-np.vstack([p.vector for p in data]) @ query)[:5] + 1
    assert [h.id for h in hits] == exact.tolist()
    assert hits[0].payload["resource_id"] == 8
    assert hits[0].score == pytest.approx(1.0, abs=1e-4)


def test_store_filters_match_any_within_and_all_across_fields(store):
    store.ensure_collection("resources", 16, ["resource_type", "topics"])
    store.upsert("resources", points())
    assert store.count("resources", {"resource_type": "course"}) == 20
    assert store.count("resources", {"topics": ["art"]}) == 26
    assert store.count("resources", {"resource_type": ["course", "video"], "topics": ["ai"]}) == 14
    assert store.count("resources", {"free": True}) == 10
    hits = store.search("resources", points()[0].vector, limit=50, filters={"resource_type": "video", "topics": ["ai"]})
    assert hits and all(h.payload["resource_type"] == "video" and "ai" in h.payload["topics"] for h in hits)
    assert store.search("resources", points()[0].vector, filters={"resource_type": "no-such-type"}) == []


def test_store_deletes_by_id_and_by_resource(store):
    store.ensure_collection("chunks", 16, ["resource_id"])
    chunk_points = [
        VectorPoint(id=chunk_point_id(p.payload["resource_id"], 0, i), vector=p.vector, payload=p.payload)
        for i, p in enumerate(points(10))
    ]
    store.upsert("chunks", chunk_points)
    store.delete("chunks", [chunk_points[0].id])
    store.delete_where("chunks", {"resource_id": 2})
    assert store.count("chunks") == 8
    assert store.count("chunks", {"resource_id": 2}) == 0


def test_store_recreates_collection_when_dimension_changes(store):
    store.ensure_collection("resources", 16)
    store.upsert("resources", points(5))
    assert store.dimensions("resources") == 16
    assert store.ensure_collection("resources", 32) is True
    assert store.dimensions("resources") == 32
    assert store.count("resources") == 0


def test_missing_collection_is_reported(store):
    assert store.dimensions("nothing-here") is None
    assert store.count("nothing-here") == 0


def test_edge_store_reopens_from_disk(tmp_path):
    store = EdgeVectorStore(tmp_path)
    store.ensure_collection("resources", 16)
    store.upsert("resources", points(12))
    store.close()
    reopened = EdgeVectorStore(tmp_path)
    assert reopened.count("resources") == 12
    assert reopened.search("resources", points(12)[3].vector, limit=1)[0].id == 4
    with pytest.raises(VectorStoreError, match="does not exist"):
        reopened.search("absent", points(1)[0].vector)


def test_unreachable_server_is_a_vector_store_error():
    store = QdrantServerStore("http://127.0.0.1:1", prefix="t")
    with pytest.raises(VectorStoreError, match="Qdrant"):
        store.count("resources")


# --- The embedded store shared between processes ------------------------------------------------------


@pytest.mark.django_db
def test_embedded_stores_share_points_through_the_database_each_with_its_own_replica(tmp_path):
    worker, web = EmbeddedVectorStore(tmp_path), EmbeddedVectorStore(tmp_path)
    try:
        data = points(30)
        worker.ensure_collection("resources", 16, ["resource_type", "topics"])
        worker.upsert("resources", data[:20])
        assert web.count("resources") == 20
        assert web.replica_dir.path != worker.replica_dir.path  # a shard has one owner: separate folders
        worker.upsert("resources", data[20:])
        worker.delete("resources", [1, 2])
        worker.delete_where("resources", {"resource_type": "video", "topics": ["art"]})
        expected = {p.id for p in data if p.id not in (1, 2)} - {
            p.id for p in data if p.payload["resource_type"] == "video" and p.payload["topics"] == ["art"]
        }
        hits = web.search("resources", data[10].vector, limit=50)
        assert {h.id for h in hits} == expected
        assert web.count("resources") == worker.count("resources") == len(expected)
        # An update is seen with its new payload.
        moved = VectorPoint(id=data[3].id, vector=data[3].vector, payload={**data[3].payload, "resource_type": "x"})
        worker.upsert("resources", [moved])
        assert web.count("resources", {"resource_type": "x"}) == 1
    finally:
        worker.close()
        web.close()


@pytest.mark.django_db
def test_embedded_replica_is_reused_and_catches_up_after_a_restart(tmp_path):
    store = EmbeddedVectorStore(tmp_path)
    store.ensure_collection("resources", 16)
    store.upsert("resources", points(10))
    assert store.count("resources") == 10
    folder = store.replica_dir.path
    store.close()
    writer = EmbeddedVectorStore(tmp_path / "elsewhere")
    writer.upsert("resources", points(15)[10:])
    restarted = EmbeddedVectorStore(tmp_path)
    assert restarted.count("resources") == 15
    assert restarted.replica_dir.path == folder
    restarted.close()
    writer.close()


@pytest.mark.django_db
def test_embedded_replica_rebuilds_when_the_collection_is_recreated(tmp_path):
    writer, reader = EmbeddedVectorStore(tmp_path / "w"), EmbeddedVectorStore(tmp_path / "r")
    writer.ensure_collection("resources", 16)
    writer.upsert("resources", points(10))
    assert reader.count("resources") == 10
    assert writer.ensure_collection("resources", 8) is True
    assert reader.count("resources") == 0
    writer.drop("resources")
    with pytest.raises(VectorStoreError, match="does not exist"):
        reader.search("resources", np.ones(8, np.float32))
    writer.close()
    reader.close()


@pytest.mark.django_db
def test_embedded_store_refuses_vectors_of_the_wrong_size(tmp_path):
    store = EmbeddedVectorStore(tmp_path)
    store.ensure_collection("resources", 16)
    with pytest.raises(VectorStoreError, match="8 dimensions"):
        store.upsert("resources", [VectorPoint(id=1, vector=np.ones(8, np.float32))])
    assert store.count("resources") == 0
    store.close()


def test_a_replica_far_behind_catches_up_in_the_background_without_blocking_searches(transactional_db, tmp_path):
    writer, web = EmbeddedVectorStore(tmp_path / "w"), EmbeddedVectorStore(tmp_path / "web")
    web.INLINE_SYNC_LIMIT = 10
    try:
        writer.ensure_collection("resources", 16)
        writer.upsert("resources", points(30))
        with pytest.raises(VectorStoreError, match="catching up"):
            web.search("resources", points(1)[0].vector)
        thread = web._catching_up.get("resources")
        if thread is not None:
            thread.join(timeout=60)
        assert web.count("resources") == 30
        writer.upsert("resources", points(35)[30:])  # a few changes are applied inline
        assert web.search("resources", points(35)[32].vector, limit=1)[0].id == 33
    finally:
        writer.close()
        web.close()
