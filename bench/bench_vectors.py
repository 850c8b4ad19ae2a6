"""Vector benchmark (issue 8): texts/s through the local encoder; the embedded vector store at 100k vectors (writes
to the database log, a replica's first sync and catch-up, query latency and recall@10 against exact numpy search,
target >= 0.95); and an embedding job's cost as a function of the number of changed resources.

    .venv/bin/python bench/bench_vectors.py [--n 100000] [--queries 200] [--texts 2000] [--catalogue 3000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench .venv/bin/python bench/bench_vectors.py

Runs on a scratch database (Django's test database for DATABASE_URL, SQLite by default), migrated, then dropped.
The 100k vectors are synthetic (384-dimensional, unit length, drawn around 500 topic centroids so that they are
clustered like real embeddings): encoding 100k real texts on two cores would take most of ten minutes. The job
section embeds a generated catalogue with the real local encoder.
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
from search.vectors.stores import EmbeddedVectorStore, VectorPoint  # noqa: E402

WORDS = [
    *("algebra", "biology", "chemistry", "data", "design", "economics", "energy", "finance", "history"),
    *("language", "learning", "machine", "management", "materials", "mechanics", "networks", "physics"),
    *("policy", "probability", "programming", "robotics", "statistics", "systems", "thermodynamics", "urban"),
]


def ms(values, p):
    return float(np.percentile(np.asarray(values) * 1000, p))


def setup_scratch_database():
    from django.db import connection

    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    from django_q.conf import Conf

    Conf.SYNC = False  # index updates are queued for a worker, as in production
    return connection, old_name


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


def timed(func):
    started = time.perf_counter()
    result = func()
    return time.perf_counter() - started, result


def bench_store(n: int, n_queries: int) -> None:
    vectors = synthetic_vectors(n + n_queries)
    data, queries = vectors[:n], vectors[n:]
    with tempfile.TemporaryDirectory() as root:
        worker, web = EmbeddedVectorStore(Path(root) / "w"), EmbeddedVectorStore(Path(root) / "web")
        worker.ensure_collection("bench", data.shape[1], ["resource_type"])

        def upload():
            for start in range(0, n, 2000):
                worker.upsert(
                    "bench",
                    [
                        VectorPoint(id=i + 1, vector=data[i], payload={"resource_type": "course" if i % 3 else "video"})
                        for i in range(start, min(start + 2000, n))
                    ],
                )

        seconds, _ = timed(upload)
        print(f"store    database log write: {n:,} vectors in {seconds:.1f}s = {n / seconds:,.0f} vectors/s")
        seconds, _ = timed(lambda: web.sync("bench"))
        print(f"store    replica first sync (database -> qdrant-edge, incl. HNSW build): {seconds:.1f}s")
        seconds, _ = timed(lambda: web.sync("bench"))
        print(f"store    replica check when nothing changed: {seconds * 1000:.2f} ms")
        changed = [VectorPoint(id=i + 1, vector=data[(i + 7) % n], payload={"resource_type": "x"}) for i in range(100)]
        worker.upsert("bench", changed)
        seconds, _ = timed(lambda: web.sync("bench"))
        print(f"store    replica catch-up after 100 changed points: {seconds * 1000:.1f} ms")
        worker.upsert(
            "bench",
            [
                VectorPoint(id=i + 1, vector=data[i], payload={"resource_type": "course" if i % 3 else "video"})
                for i in range(100)
            ],
        )
        web.sync("bench")

        exact_ids = np.argsort(-(data @ queries.T), axis=0)[:10].T + 1
        latencies, recalls = [], []
        for query, truth in zip(queries, exact_ids, strict=True):
            seconds, hits = timed(lambda query=query: web.search("bench", query, limit=10))
            latencies.append(seconds)
            recalls.append(len({h.id for h in hits} & set(truth.tolist())) / 10)
        filtered = [
            timed(lambda q=q: web.search("bench", q, limit=10, filters={"resource_type": "video"}))[0]
            for q in queries[:50]
        ]
        numpy_times = [timed(lambda q=q: np.argpartition(-(data @ q), 10)[:10])[0] for q in queries[:50]]
        recall = float(np.mean(recalls))
        print(
            f"query    {n:,} vectors (replica sync check included): p50 {ms(latencies, 50):.2f} ms, "
            f"p95 {ms(latencies, 95):.2f} ms; filtered p50 {ms(filtered, 50):.2f} ms; "
            f"exact numpy p50 {ms(numpy_times, 50):.2f} ms"
        )
        verdict = "OK" if recall >= 0.95 else "BELOW TARGET"
        print(f"recall@10 vs exact numpy search: {recall:.3f} (target >= 0.95: {verdict})")
        worker.close()
        web.close()


def bench_job(catalogue: int) -> None:
    """An embedding job's cost against the number of changed resources, on a catalogue of `catalogue` resources."""
    from catalog.demo import generate_records
    from catalog.loader import load_resources
    from catalog.models import LearningResource
    from search.vectors.jobs import run_embedding_job

    records = list(generate_records(catalogue, seed=3))
    load_resources("bench", records)
    total = LearningResource.objects.public().count()
    seconds, first = timed(lambda: run_embedding_job("all", trigger="bench"))
    print(f"job      all: {first.resources_embedded} resources embedded in {seconds:.1f}s")
    ids = list(LearningResource.objects.public().order_by("pk").values_list("pk", flat=True))
    rows = []
    for changed in (0, 10, 100, 1000):
        if changed > len(ids):
            break
        for resource_ in LearningResource.objects.filter(pk__in=ids[:changed]):
            resource_.save(update_fields=["updated_at"])
        seconds, run = timed(lambda: run_embedding_job("changed", trigger="bench"))
        assert run.resources_embedded == changed, (run.resources_embedded, changed)
        rows.append((changed, seconds))
        print(f"job      changed: {changed:>5} of {total} resources changed -> {seconds:.2f}s")
    per_item = [(s - rows[0][1]) / c for c, s in rows[1:] if c]
    print(
        "job      cost per changed resource (above the no-change run): "
        + ", ".join(f"{c}: {p * 1000:.1f} ms" for (c, _), p in zip(rows[1:], per_item, strict=True))
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--texts", type=int, default=2000)
    parser.add_argument("--catalogue", type=int, default=3000)
    parser.add_argument("--skip", choices=["encoder", "store", "job"], action="append", default=[])
    args = parser.parse_args()
    connection, old_name = setup_scratch_database()
    print(f"Vector benchmark on {connection.vendor}; load average {os.getloadavg()[0]:.1f}")
    try:
        if "encoder" not in args.skip:
            bench_encoder(args.texts)
        if "store" not in args.skip:
            bench_store(args.n, args.queries)
        if "job" not in args.skip:
            bench_job(args.catalogue)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
