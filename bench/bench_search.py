#!/usr/bin/env python
"""Benchmark search latency (p50/p95 of typical faceted queries) at 1k, 10k and 100k resources, with the
database engine and with a naive `icontains` search over the same rows.

    .venv/bin/python bench/bench_search.py [--sizes 1000,10000,100000] [--repeat 3] [--hybrid [--profile FILE]]
        [--keep DIR] [--compare OLD_CHECKOUT]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_search .venv/bin/python bench/bench_search.py

Runs on a scratch database (Django's test database for the configured DATABASE_URL), migrated, then dropped.
Rows are generated quickly with bulk_create (titles from the seeded topics and course patterns, descriptions
mixing subject sentences with a Zipf-distributed vocabulary of 5,000 made-up words), indexed with the engine's
rebuild, then each query runs through the full search service (typo check, synonyms, engine, facet counts,
public-visibility check). The baseline filters `title`/`description` with `icontains` per word (OR), applies the
same facet filters, orders by popularity, counts, and computes three facet counts with GROUP BY.

With --hybrid, hybrid search (the default mode) is measured twice after the keyword pass: cold (the remembered
query vectors are forgotten before every query, so each query is encoded: the figure the target is about) and
warm (queries repeated in later passes reuse their vector, as a learner paging or ticking facets does).
--profile FILE writes a cProfile of one cold hybrid pass (`python -m pstats FILE`).

--keep DIR keeps the scratch database (SQLite: DIR/bench.sqlite3; PostgreSQL: the test database) and the embedded
vector store (DIR/qdrant) after the run and reuses them next time: a size already built (and embedded) there is not
built again, so a before/after pair pays the 10k build and embedding once. --compare OLD_CHECKOUT (with --hybrid)
also measures hybrid search with an older checkout's `search/semantic.py` and `search/engines/database.py` (e.g.
`git archive` of the base commit under /tmp), alternating with the current code query by query in the same process,
so that a busy shared machine loads both sides alike.
"""

import argparse
import importlib.util
import itertools
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.test")

# (query, facet filters): what learners type, with the facets they tick.
QUERIES = [
    ("machine learning", {"type": ["course"]}),
    ("introduction to calculus", {}),
    ("neuroscience", {"price": ["free"]}),
    ("supply chain management", {"level": ["introductory", "intermediate"]}),
    ("renewable energy systems", {"type": ["course", "program"], "price": ["paid"]}),
    ("linear algebra", {"offeror": ["mitx"]}),
    ("cybersecurity for engineers", {}),
    ("machne lerning", {}),
    ("public health", {"language": ["en"], "price": ["free"]}),
    ("robotics", {"topic": ["engineering"]}),
    ("data visualization", {"level": ["advanced"]}),
    ("climate", {"topic": ["energy-climate-sustainability"], "type": ["course"]}),
]


def setup_scratch_database(keep: str = ""):
    """Django's test database for the configured DATABASE_URL, migrated; with `keep`, a kept one (see --keep) and
    the embedded vector store under `keep` too."""
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        settings.QDRANT_EDGE_PATH = Path(keep) / "qdrant"
        if connection.vendor == "sqlite":
            connection.settings_dict.setdefault("TEST", {})["NAME"] = str(Path(keep) / "bench.sqlite3")
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=bool(keep))
    return connection, old_name


def legacy_modules(checkout: str):
    """An older checkout's search engine and semantic module, loaded beside the current ones (same package, so their
    relative imports resolve to the current search app)."""
    loaded = []
    for name, path in (("database", "search/engines/database.py"), ("semantic", "search/semantic.py")):
        package = "search.engines" if name == "database" else "search"
        spec = importlib.util.spec_from_file_location(f"{package}._legacy_{name}", Path(checkout) / path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses look their module up
        spec.loader.exec_module(module)
        loaded.append(module)
    database, semantic = loaded
    return database.DatabaseEngine(), semantic


class RowFactory:
    """Generates resources and their index documents from the same values, fast."""

    def __init__(self, seed: int = 7):
        from catalog.demo import COURSE_PATTERNS, LEVELS, PROVIDERS
        from catalog.models import Offeror, Platform, Topic

        self.rng = random.Random(seed)
        self.patterns = COURSE_PATTERNS
        self.levels = LEVELS
        self.topics = list(Topic.objects.filter(parent__isnull=False).select_related("parent"))
        self.offerors = {o.code: o for o in Offeror.objects.all()}
        self.platforms = {p.code: p for p in Platform.objects.all()}
        for code, name, platform, platform_name, *_ in PROVIDERS:
            if code not in self.offerors:
                self.offerors[code] = Offeror.objects.create(code=code, name=name)
            if platform not in self.platforms:
                self.platforms[platform] = Platform.objects.create(code=platform, name=platform_name)
        self.providers = PROVIDERS
        syllables = ["ka", "lo", "mi", "ter", "on", "sa", "ri", "vel", "tor", "na", "el", "qui", "mar", "du", "pes"]
        words = set()
        while len(words) < 5000:
            words.add("".join(self.rng.choice(syllables) for _ in range(self.rng.randint(2, 4))))
        self.words = sorted(words)
        self.cum_weights = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(self.words))))
        self.count = 0

    def make(self, n: int):
        from catalog.models import LearningResource
        from search.documents import popularity_boost
        from search.engines import IndexDocument

        resources, topic_links, documents = [], [], []
        for _ in range(n):
            index = self.count
            self.count += 1
            topic = self.rng.choice(self.topics)
            subject = topic.name
            offeror, _, platform, _, paid, certificate = self.rng.choice(self.providers)
            resource_type = self.rng.choices(["course", "video", "program", "podcast_episode"], [6, 2, 1, 1])[0]
            title = self.rng.choice(self.patterns).format(s=subject)
            filler = " ".join(self.rng.choices(self.words, cum_weights=self.cum_weights, k=40))
            description = f"This {resource_type} explores {subject.lower()} with worked examples. {filler}"
            level = self.rng.choice(self.levels)
            views = int(self.rng.paretovariate(1.2) * 10)
            resources.append(
                LearningResource(
                    resource_type=resource_type,
                    source="bench",
                    source_id=f"b{index}",
                    slug=f"b{index}",
                    title=title,
                    description=f"<p>{description}</p>",
                    offered_by=self.offerors[offeror],
                    platform=self.platforms[platform],
                    free=not paid,
                    level=level,
                    certification=certificate != "none",
                    certification_type=certificate,
                    languages=["en"],
                    view_count=views,
                )
            )
            documents.append(
                (
                    topic,
                    {
                        "doc_type": resource_type,
                        "title": title,
                        "summary": description[:300],
                        "people": f"{subject} {topic.parent.name} {self.offerors[offeror].name}",
                        "body": description,
                        "boost": popularity_boost(views, False),
                        "popularity": views,
                        "facets": {
                            "type": [(resource_type, resource_type)],
                            "topic": [(topic.slug, topic.name), (topic.parent.slug, topic.parent.name)],
                            "offeror": [(offeror, self.offerors[offeror].name)],
                            "platform": [(platform, self.platforms[platform].name)],
                            "level": [(level, level)],
                            "certification": [(certificate, certificate)],
                            "price": [("paid", "Paid") if paid else ("free", "Free")],
                            "delivery": [("online", "Online")],
                            "language": [("en", "English")],
                        },
                    },
                )
            )
        created = LearningResource.objects.bulk_create(resources, batch_size=2000)
        through = LearningResource.topics.through
        for resource, (topic, _) in zip(created, documents, strict=True):
            topic_links.append(through(learningresource_id=resource.pk, topic_id=topic.pk))
        through.objects.bulk_create(topic_links, batch_size=5000)
        return [
            IndexDocument(key=f"resource:{r.pk}", kind="resource", object_id=r.pk, url=f"/r/{r.pk}/", **fields)
            for r, (_, fields) in zip(created, documents, strict=True)
        ]


def naive_search(q: str, filters: dict):
    """What a first version would do: icontains per word on title/description, facets by GROUP BY."""
    from django.db.models import Count, Q

    from catalog.models import LearningResource

    queryset = LearningResource.objects.public()
    words = [word for word in q.split() if len(word) > 2]
    if words:
        condition = Q()
        for word in words:
            condition |= Q(title__icontains=word) | Q(description__icontains=word)
        queryset = queryset.filter(condition)
    if "type" in filters:
        queryset = queryset.filter(resource_type__in=filters["type"])
    if "price" in filters:
        queryset = queryset.filter(free=filters["price"] == ["free"])
    if "level" in filters:
        queryset = queryset.filter(level__in=filters["level"])
    if "offeror" in filters:
        queryset = queryset.filter(offered_by__code__in=filters["offeror"])
    if "topic" in filters:
        queryset = queryset.filter(
            Q(topics__slug__in=filters["topic"]) | Q(topics__parent__slug__in=filters["topic"])
        ).distinct()
    list(queryset.order_by("-view_count")[:20])
    queryset.count()
    for field in ("resource_type", "level", "offered_by"):
        list(queryset.order_by().values(field).annotate(n=Count("id")))


def measure(func, repeat: int) -> tuple[float, float]:
    timings = []
    for _ in range(repeat):
        for q, filters in QUERIES:
            started = time.perf_counter()
            func(q, filters)
            timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.95) - 1]


def engine_search(q: str, filters: dict):
    from search.service import SearchParams, run_search

    run_search(SearchParams(q=q, filters=filters, mode="lexical"))


def hybrid_search(q: str, filters: dict, *, cold: bool = True, legacy=None):
    """One hybrid search through the service; `legacy` = (engine, semantic module) of an older checkout."""
    import search.semantic
    from search.service import SearchParams, run_search

    engine, module = legacy or (None, search.semantic)
    if cold:
        module.clear_query_vectors()
    current = search.semantic.vector_search
    search.semantic.vector_search = module.vector_search if legacy is None else _legacy_call(module)
    try:
        page = run_search(SearchParams(q=q, filters=filters, mode="hybrid"), engine=engine)
    finally:
        search.semantic.vector_search = current
    if page.mode_used != "hybrid":
        raise SystemExit(f"hybrid search fell back to {page.mode_used} for {q!r}: {page.notice}")
    return page


def _legacy_call(module):
    """An older `vector_search`, its results given the fields the current service reads."""

    def call(*args, **kwargs):
        found = module.vector_search(*args, **kwargs)
        found.facets_capped = getattr(found, "facets_capped", found.capped)
        return found

    return call


def measure_alternating(funcs, repeat: int):
    """p50/p95 of each of `funcs` over the query set, alternating them query by query (same load for each)."""
    timings: list[list[float]] = [[] for _ in funcs]
    for _ in range(repeat):
        for q, filters in QUERIES:
            for func, times in zip(funcs, timings, strict=True):
                started = time.perf_counter()
                func(q, filters)
                times.append((time.perf_counter() - started) * 1000)
    result = []
    for times in timings:
        times.sort()
        result.append((statistics.median(times), times[int(len(times) * 0.95) - 1]))
    return result


def embed_catalogue() -> float:
    """Embed every generated resource (local encoder, configured store) and sync this process's replica."""
    from search.vectors.encoders import get_encoder
    from search.vectors.index import RESOURCES, embed_resources, ensure_collections, public_resources
    from search.vectors.stores import get_vector_store

    started = time.perf_counter()
    store, encoder = get_vector_store(), get_encoder()
    ensure_collections(store, encoder)
    resources = list(public_resources())
    for start in range(0, len(resources), 512):
        embed_resources(resources[start : start + 512], store=store, encoder=encoder)
    if hasattr(store, "sync"):
        store.sync(RESOURCES)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,100000", help="catalogue sizes (default 1000,10000,100000)")
    parser.add_argument("--repeat", type=int, default=3, help="passes over the query set per measurement")
    parser.add_argument(
        "--hybrid",
        action="store_true",
        help="also embed the catalogue and measure hybrid search (the default mode) against keywords",
    )
    parser.add_argument("--profile", default="", help="with --hybrid: write a cProfile of one cold hybrid pass here")
    parser.add_argument("--keep", default="", help="keep the catalogue, index and vectors in DIR and reuse them")
    parser.add_argument("--compare", default="", help="with --hybrid: an older checkout to measure side by side")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    if args.keep and len(sizes) > 1:
        parser.error("--keep keeps one catalogue: give one size")
    connection, old_name = setup_scratch_database(args.keep)
    state_file = Path(args.keep) / "state.json" if args.keep else None
    state = json.loads(state_file.read_text()) if state_file and state_file.exists() else {}
    try:
        from search.engines import get_engine

        engine = get_engine("database")
        legacy = legacy_modules(args.compare) if args.compare else None
        factory = RowFactory()
        documents = []
        results = []
        print(f"Search benchmark on {connection.vendor}: {len(QUERIES)} faceted queries × {args.repeat} passes")
        for size in sizes:
            started = time.perf_counter()
            reused = state.get("size") == size
            if reused:
                factory.count = size
                print(f"  reusing the {size} resources kept in {args.keep}", flush=True)
            else:
                documents += factory.make(size - factory.count)
                engine.rebuild(iter(documents))
                if connection.vendor == "postgresql":
                    with connection.cursor() as cursor:
                        cursor.execute("ANALYZE")
                if state_file:
                    state = {"size": size, "embedded": False}
                    state_file.write_text(json.dumps(state))
            build = time.perf_counter() - started
            engine_search("warm up", {})
            naive_search("warm up", {})
            p50, p95 = measure(engine_search, args.repeat)
            if args.compare:  # a hybrid before/after: the icontains baseline is not what is measured
                n50 = n95 = float("nan")
            else:
                n50, n95 = measure(naive_search, max(1, args.repeat // 3) if size >= 100_000 else args.repeat)
            results.append((size, p50, p95, n50, n95))
            print(
                f"  {size:>7} resources (built+indexed {build:5.1f}s): engine p50 {p50:7.1f} ms p95 {p95:7.1f} ms | "
                f"icontains p50 {n50:8.1f} ms p95 {n95:8.1f} ms | {n50 / p50:5.1f}x faster",
                flush=True,
            )
            if args.hybrid:
                if state.get("embedded"):
                    embedded = 0.0
                else:
                    embedded = embed_catalogue()
                    if state_file:
                        state["embedded"] = True
                        state_file.write_text(json.dumps(state))
                hybrid_search("warm up", {})
                if legacy:
                    hybrid_search("warm up", {}, legacy=legacy)
                    (k50, k95), (h50, h95), (o50, o95) = measure_alternating(
                        [engine_search, hybrid_search, lambda q, filters: hybrid_search(q, filters, legacy=legacy)],
                        args.repeat,
                    )
                    p50, p95 = k50, k95  # the keyword figures of the same alternation
                    print(
                        f"  {size:>7} resources, alternating query by query: keywords p50 {k50:7.1f} ms p95 {k95:7.1f}"
                        f" ms | hybrid (cold) p50 {h50:7.1f} ms p95 {h95:7.1f} ms ({h50 / k50:4.1f}x) | hybrid (cold) "
                        f"with {args.compare} p50 {o50:7.1f} ms p95 {o95:7.1f} ms ({o50 / k50:4.1f}x)",
                        flush=True,
                    )
                else:
                    h50, h95 = measure(hybrid_search, args.repeat)
                for q, filters in QUERIES:  # every query's vector remembered before the warm pass
                    hybrid_search(q, filters, cold=False)
                w50, w95 = measure(lambda q, filters: hybrid_search(q, filters, cold=False), args.repeat)
                print(
                    f"  {size:>7} resources (embedded {embedded:5.1f}s): hybrid, each query encoded (cold) "
                    f"p50 {h50:7.1f} ms p95 {h95:7.1f} ms | hybrid / keywords p50 {h50 / p50:4.1f}x (target <= 2x)\n"
                    f"  {size:>7} resources: hybrid, query vectors remembered (warm) p50 {w50:7.1f} ms "
                    f"p95 {w95:7.1f} ms | {w50 / p50:4.1f}x keywords",
                    flush=True,
                )
                if args.profile:
                    import cProfile

                    profiler = cProfile.Profile()
                    profiler.runcall(measure, hybrid_search, 1)
                    profiler.dump_stats(args.profile)
                    print(f"  profile of one cold hybrid pass: {args.profile}", flush=True)
        first, last = results[0], results[-1]
        print(f"  p50 at {last[0]} = {last[1] / first[1]:.1f}x p50 at {first[0]} (target <= 3x)")
        print(f"  p95 at {last[0]} = {last[2] / first[2]:.1f}x p95 at {first[0]}")
        print(f"  engine vs icontains at {last[0]}: {last[3] / last[1]:.1f}x faster at p50 (target >= 10x)")
    finally:
        if not args.keep:
            connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
