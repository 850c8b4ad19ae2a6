"""Vector benchmark: texts/s through the local encoder; vector query latency and recall@10 of the embedded
qdrant-edge store against exact numpy search at 100k vectors (target recall >= 0.95).

    .venv/bin/python bench/bench_vectors.py [--n 100000] [--queries 200] [--texts 2000]

The 100k vectors are synthetic (384-dimensional, unit length, drawn around 500 topic centroids so that they are
clustered like real embeddings); encoding 100k real texts on two cores would take most of ten minutes.
"""

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.test")

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402

from search.vectors.encoders import LocalMiniLMEncoder  # noqa: E402
from search.vectors.stores import EdgeVectorStore, VectorPoint  # noqa: E402

WORDS = [
    *("algebra", "biology", "chemistry", "data", "design", "economics", "energy", "finance", "history"),
    *("language", "learning", "machine", "management", "materials", "mechanics", "networks", "physics"),
    *("policy", "probability", "programming", "robotics", "statistics", "systems", "thermodynamics", "urban"),
]


def percentile(values, p):
    return float(np.percentile(np.asarray(values) * 1000, p))


def bench_encoder(n_texts: int) -> None:
    rng = np.random.default_rng(1)
    texts = [" ".join(rng.choice(WORDS, size=rng.integers(8, 60))) for _ in range(n_texts)]
    encoder = LocalMiniLMEncoder()
    encoder.encode(texts[:32])  # warm up
    started = time.perf_counter()
    encoder.encode(texts)
    elapsed = time.perf_counter() - started
    print(f"encoder  {encoder.name}: {n_texts} texts in {elapsed:.2f}s = {n_texts / elapsed:,.0f} texts/s")


def synthetic_vectors(n: int, dims: int = 384, centroids: int = 500, seed: int = 7) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(centroids, dims)).astype(np.float32)
    vectors = centres[rng.integers(0, centroids, size=n)] + 0.6 * rng.normal(size=(n, dims)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors


def bench_store(n: int, n_queries: int) -> None:
    vectors = synthetic_vectors(n + n_queries)
    data, queries = vectors[:n], vectors[n:]
    with tempfile.TemporaryDirectory() as root:
        store = EdgeVectorStore(root)
        store.ensure_collection("bench", data.shape[1], ["resource_type"])
        started = time.perf_counter()
        batch = 2000
        for start in range(0, n, batch):
            store.upsert(
                "bench",
                [
                    VectorPoint(id=i + 1, vector=data[i], payload={"resource_type": "course" if i % 3 else "video"})
                    for i in range(start, min(start + batch, n))
                ],
            )
        upload = time.perf_counter() - started
        print(f"store    qdrant-edge upsert: {n:,} vectors in {upload:.1f}s = {n / upload:,.0f} vectors/s")
        started = time.perf_counter()
        store.optimize("bench")
        print(f"store    optimize (HNSW build): {time.perf_counter() - started:.1f}s")

        exact_ids = np.argsort(-(data @ queries.T), axis=0)[:10].T + 1
        latencies, recalls = [], []
        for query, truth in zip(queries, exact_ids, strict=True):
            started = time.perf_counter()
            hits = store.search("bench", query, limit=10)
            latencies.append(time.perf_counter() - started)
            recalls.append(len({h.id for h in hits} & set(truth.tolist())) / 10)
        filtered = []
        for query in queries[:50]:
            started = time.perf_counter()
            store.search("bench", query, limit=10, filters={"resource_type": "video"})
            filtered.append(time.perf_counter() - started)
        numpy_times = []
        for query in queries[:50]:
            started = time.perf_counter()
            np.argpartition(-(data @ query), 10)[:10]
            numpy_times.append(time.perf_counter() - started)
        recall = float(np.mean(recalls))
        print(
            f"query    {n:,} vectors: p50 {percentile(latencies, 50):.2f} ms, p95 {percentile(latencies, 95):.2f} ms; "
            f"filtered p50 {percentile(filtered, 50):.2f} ms; exact numpy p50 {percentile(numpy_times, 50):.2f} ms"
        )
        verdict = "OK" if recall >= 0.95 else "BELOW TARGET"
        print(f"recall@10 vs exact numpy search: {recall:.3f} (target >= 0.95: {verdict})")
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--texts", type=int, default=2000)
    args = parser.parse_args()
    bench_encoder(args.texts)
    bench_store(args.n, args.queries)
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
