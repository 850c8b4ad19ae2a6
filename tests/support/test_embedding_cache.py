"""The suite's cache of embeddings (tests/support/embedding_cache.py): a text is embedded once, the stored vector is
the encoder's own, and anything the vectors depend on changes the namespace."""

import multiprocessing

import numpy as np
import pytest

from search.vectors.encoders import LocalMiniLMEncoder, get_encoder
from tests.support import embedding_cache
from tests.support.embedding_cache import EmbeddingCache


class CountingEncoder:
    """Unit vectors derived from each text's length; remembers every text it was asked to embed."""

    dimensions = 4

    def __init__(self):
        self.seen = []

    def encode(self, texts):
        self.seen.extend(texts)
        rows = np.array([[len(t) + 1, 1, 0, 0] for t in texts], dtype=np.float32).reshape(len(texts), 4)
        return rows / np.linalg.norm(rows, axis=1, keepdims=True) if len(texts) else rows


def test_each_text_is_embedded_once_and_read_back_unchanged(tmp_path):
    encoder = CountingEncoder()
    cache = EmbeddingCache(tmp_path, "ns", encoder.dimensions)
    texts = [f"text {i}" * (i % 7) for i in range(600)]  # repeats: i % 7 == 0 gives "" three times and more

    first = cache.encode(encoder.encode, texts)
    assert np.array_equal(first, CountingEncoder().encode(texts))
    assert len(encoder.seen) == len(set(texts)) < len(texts)  # a repeated text is embedded once

    again = EmbeddingCache(tmp_path, "ns", encoder.dimensions)  # another process opening the same directory
    assert np.array_equal(
        again.encode(encoder.encode, [*texts[::-1], "new"]), CountingEncoder().encode([*texts[::-1], "new"])
    )
    assert encoder.seen[-1] == "new" and len(encoder.seen) == len(set(texts)) + 1
    assert (again.hits, again.misses) == (600, 1)
    assert cache.encode(encoder.encode, []).shape == (0, 4)

    other = EmbeddingCache(tmp_path, "another namespace", encoder.dimensions)
    other.encode(encoder.encode, texts[:3])
    assert other.misses == 3  # vectors of one encoder are never served to another


def _embed_in_child(directory, texts, queue):
    encoder = CountingEncoder()
    EmbeddingCache(directory, "ns", encoder.dimensions).encode(encoder.encode, texts)
    queue.put(encoder.seen)


def test_two_processes_embedding_the_same_texts_share_the_work(tmp_path):
    texts = [f"course {i}" for i in range(2000)]
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    children = [context.Process(target=_embed_in_child, args=(tmp_path, texts, queue)) for _ in range(2)]
    for child in children:
        child.start()
    seen = [queue.get(timeout=120) for _ in children]
    for child in children:
        child.join(timeout=60)
    assert sorted(seen[0] + seen[1]) == sorted(texts)  # every text embedded exactly once between them


def test_the_namespace_follows_the_encoder_and_its_limits():
    encoder = LocalMiniLMEncoder.__new__(LocalMiniLMEncoder)  # the namespace reads attributes, not the model
    encoder.max_tokens = 256
    base = embedding_cache.namespace(encoder)
    encoder.max_tokens = 128
    assert embedding_cache.namespace(encoder) != base


def test_the_application_encoder_embeds_through_the_cache_and_gives_its_own_vectors(shared_embeddings):
    if shared_embeddings is None:
        pytest.skip("the embedding cache is off (LEARNHUB_TEST_EMBEDDING_CACHE=off)")
    texts = ["Linear algebra for engineers", "A history of French medieval poetry"]
    cached = get_encoder().encode(texts)
    hits = shared_embeddings.hits
    assert np.array_equal(get_encoder().encode(texts), cached)
    assert shared_embeddings.hits == hits + 2
    fresh = LocalMiniLMEncoder().encode(texts)  # an instance of its own: never cached
    assert np.allclose(cached, fresh, atol=1e-5)
