#!/usr/bin/env python
"""Benchmark the uncached catalogue browse page (/catalog/) and the empty-query search page at 10k and 100k
resources in one run (issue 15, item 3: 100k within 1.5x of 10k).

    .venv/bin/python bench/bench_browse.py [--sizes 10000,100000] [--repeat 5]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_browse .venv/bin/python bench/bench_browse.py

Runs on a scratch database (Django's test database for the configured DATABASE_URL), migrated, then dropped.
Rows come from bench_search.RowFactory (bulk_create, one topic each, the search index rebuilt); then 3% of the
new rows are hidden by an editor and 2% unpublished by their source, so the counts have rows to leave out.
Every request goes through Django's test client with the anonymous page cache and the search browse cache off
(PAGE_CACHE_SECONDS = SEARCH_BROWSE_CACHE_SECONDS = 0): what the first visitor after a content change pays.
The catalogue version is bumped before every request (as an import batch would), so a cache keyed by it is cold.
Prints p50/p95 per URL and over all browse URLs at each size, the ratio, and the SQL queries of each URL; with
the precomputed counts (catalog.browse_counts) also the time of their rebuild and the browse URLs' p50/p95 while a
rebuild is pending (counted over the resources themselves).

    .venv/bin/python bench/bench_browse.py --interleave [--sizes 10000,100000] [--repeat 5]

`--interleave` (SQLite): the scratch database is a file; after each size it is copied (SQLite's backup API), and
the measurement alternates every request between the copies, so both sizes are timed under the same machine load
(on a shared machine the load can change several-fold between two sequential passes).
"""

import argparse
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.test")

from bench_search import RowFactory, setup_scratch_database  # noqa: E402

# Browse pages a learner opens: no filter, one filter, two filters across facets, each sort, page 1 and deep.
# The deep page (100, offset 2,376) exists at both sizes, so both sizes do the same listing work.
BROWSE_URLS = [
    "/catalog/",
    "/catalog/?type=course",
    "/catalog/?type=course&level=introductory",
    "/catalog/?topic={topic}&free=true",
    "/catalog/?offeror=mitx&certification=true&type=video",
    "/catalog/?sort=popular",
    "/catalog/?sort=start",
    "/catalog/?sort=popular&type=course&level=advanced",
    "/catalog/?page=100",
    "/catalog/?sort=popular&page=100",
]
SEARCH_URLS = ["/search/?q=", "/search/?q=&type=course"]


def hide_some(rng: random.Random, first_pk: int) -> None:
    """Hide 3% (editor) and unpublish 2% (source) of the rows created after `first_pk`."""
    from catalog.models import LearningResource

    ids = list(LearningResource.objects.filter(pk__gt=first_pk).values_list("pk", flat=True))
    picked = rng.sample(ids, len(ids) // 20)
    hidden, unpublished = picked[: len(ids) * 3 // 100], picked[len(ids) * 3 // 100 :]
    for start in range(0, len(hidden), 5000):
        LearningResource.objects.filter(pk__in=hidden[start : start + 5000]).update(hidden=True)
    for start in range(0, len(unpublished), 5000):
        LearningResource.objects.filter(pk__in=unpublished[start : start + 5000]).update(
            published=False, source_published=False
        )


def bump_version() -> None:
    """What a committed import batch does to the catalogue's caches (no-op if the code has none)."""
    try:
        from catalog.browse_counts import bump_catalogue_version
    except ImportError:
        return
    bump_catalogue_version()


def rebuild_and_stale_figures(client, urls: list[str], repeat: int) -> str:
    """The rebuild a committed batch pays, and the page while a rebuild is pending (counts over the resources)."""
    try:
        from catalog.browse_counts import rebuild_facet_counts
        from catalog.models import CatalogueVersion
    except ImportError:
        return ""
    from django.db.models import F

    rebuilds = []
    for _ in range(3):
        started = time.perf_counter()
        rebuild_facet_counts()
        rebuilds.append((time.perf_counter() - started) * 1000)
    stale = []
    for _ in range(repeat):
        for url in urls:
            CatalogueVersion.objects.filter(pk=1).update(version=F("version") + 1)  # a rebuild pending
            started = time.perf_counter()
            client.get(url)
            stale.append((time.perf_counter() - started) * 1000)
    rebuild_facet_counts()
    p50, p95 = p50_p95(stale)
    return (
        f"    rebuild of the precomputed counts: median {statistics.median(rebuilds):.0f} ms; "
        f"browse URLs while a rebuild is pending: p50 {p50:.1f} ms p95 {p95:.1f} ms"
    )


def measure(client, urls: list[str], repeat: int) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {url: [] for url in urls}
    for _ in range(repeat):
        for url in urls:
            bump_version()
            started = time.perf_counter()
            response = client.get(url)
            timings[url].append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"{url}: HTTP {response.status_code}")
    return timings


def p50_p95(values: list[float]) -> tuple[float, float]:
    values = sorted(values)
    return statistics.median(values), values[max(0, int(round(len(values) * 0.95)) - 1)]


def query_counts(client, urls: list[str]) -> dict[str, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = {}
    for url in urls:
        bump_version()
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        counts[url] = len(captured.captured_queries)
    return counts


def build_size(factory, rng, documents: list, size: int) -> float:
    """Grow the catalogue to `size` rows and rebuild the index; returns the seconds it took."""
    from django.db import connection

    from catalog.models import LearningResource
    from search.engines import get_engine

    started = time.perf_counter()
    last_pk = LearningResource.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    documents += factory.make(size - factory.count)
    hide_some(rng, last_pk)
    get_engine("database").rebuild(iter(documents))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    bump_version()
    return time.perf_counter() - started


def signature_rows() -> int | str:
    """How many rows the empty-query search page counts over (search.models.SearchFacetSignature), if it has them."""
    try:
        from search.models import SearchFacetSignature
    except ImportError:
        return "no"
    return SearchFacetSignature.objects.count()


def report(urls: list[str], sizes: list[int], results: dict, queries: dict) -> None:
    for size in sizes:
        print(f"\n  {size} resources")
        for url in urls:
            p50, p95 = p50_p95(results[size][url])
            print(f"    {url:<55} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  {queries[size][url]:>2} queries", flush=True)
        browse = [t for url in urls if url.startswith("/catalog/") for t in results[size][url]]
        p50, p95 = p50_p95(browse)
        print(f"    {'all browse URLs':<55} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms", flush=True)
    first, last = sizes[0], sizes[-1]
    print(f"\n  ratio {last} / {first} (target <= 1.5x):")
    for url in urls:
        a, b = p50_p95(results[first][url]), p50_p95(results[last][url])
        print(f"    {url:<55} p50 {b[0] / a[0]:5.2f}x  p95 {b[1] / a[1]:5.2f}x")
    a = p50_p95([t for url in urls if url.startswith("/catalog/") for t in results[first][url]])
    b = p50_p95([t for url in urls if url.startswith("/catalog/") for t in results[last][url]])
    print(f"    {'all browse URLs':<55} p50 {b[0] / a[0]:5.2f}x  p95 {b[1] / a[1]:5.2f}x")


def interleave(sizes: list[int], repeat: int) -> None:
    """Build every size into its own SQLite file, then time each URL on each size in turn, request by request."""
    from django.conf import settings
    from django.db import connections
    from django.test import Client

    folder, wrappers = Path(tempfile.mkdtemp(prefix="bench-browse-")), {}
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = str(folder / "largest.sqlite3")
    _, old_name = setup_scratch_database()
    connection = connections["default"]  # the wrapper itself (django.db.connection is a proxy to the current one)
    if connection.vendor != "sqlite":
        raise SystemExit("--interleave is for SQLite")
    try:
        settings.PAGE_CACHE_SECONDS = 0
        settings.SEARCH_BROWSE_CACHE_SECONDS = 0
        settings.ALLOWED_HOSTS = ["*"]
        factory, rng, documents = RowFactory(), random.Random(11), []
        urls = [url.format(topic=factory.topics[0].slug) for url in BROWSE_URLS] + SEARCH_URLS
        for size in sizes:
            build = build_size(factory, rng, documents, size)
            path = folder / f"{size}.sqlite3"
            connection.ensure_connection()
            with sqlite3.connect(path) as copy:
                connection.connection.backup(copy)
            wrapper = connections.create_connection("default")
            wrapper.settings_dict = {**connection.settings_dict, "NAME": str(path)}
            wrappers[size] = wrapper
            print(
                f"  {size} resources built+indexed in {build:.0f}s, copied to {path}; "
                f"{signature_rows()} facet signatures in the search index",
                flush=True,
            )
        client = Client()
        results = {size: {url: [] for url in urls} for size in sizes}
        queries = {}
        for size in sizes:  # warm-up (templates, lookups, each connection's page cache) and query counts
            connections["default"] = wrappers[size]
            measure(client, urls, 1)
            queries[size] = query_counts(client, urls)
        print(f"  measuring {len(urls)} URLs x {repeat} x {len(sizes)} sizes, alternating sizes request by request")
        for _ in range(repeat):
            for url in urls:
                for size in sizes:
                    connections["default"] = wrappers[size]
                    timings = measure(client, [url], 1)
                    results[size][url] += timings[url]
        report(urls, sizes, results, queries)
    finally:
        for wrapper in wrappers.values():
            wrapper.close()
        connections["default"] = connection
        connection.creation.destroy_test_db(old_name, verbosity=0)
        for path in folder.glob("*.sqlite3"):
            path.unlink()
        folder.rmdir()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000", help="catalogue sizes (default 10000,100000)")
    parser.add_argument("--repeat", type=int, default=5, help="requests per URL per size")
    parser.add_argument("--interleave", action="store_true", help="alternate sizes request by request (SQLite)")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    if args.interleave:
        interleave(sizes, args.repeat)
        return
    connection, old_name = setup_scratch_database()
    try:
        from django.conf import settings
        from django.test import Client

        from catalog.models import LearningResource
        from search.engines import get_engine

        settings.PAGE_CACHE_SECONDS = 0
        settings.SEARCH_BROWSE_CACHE_SECONDS = 0
        settings.ALLOWED_HOSTS = ["*"]
        engine = get_engine("database")
        factory = RowFactory()
        rng = random.Random(11)
        topic = factory.topics[0].slug
        urls = [url.format(topic=topic) for url in BROWSE_URLS]
        client = Client()
        documents, results = [], {}
        print(f"Browse benchmark on {connection.vendor}: {len(urls)} browse + {len(SEARCH_URLS)} search URLs")
        for size in sizes:
            started = time.perf_counter()
            last_pk = LearningResource.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
            documents += factory.make(size - factory.count)
            hide_some(rng, last_pk)
            engine.rebuild(iter(documents))
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            bump_version()
            build = time.perf_counter() - started
            public = LearningResource.objects.public().count()
            measure(client, urls + SEARCH_URLS, 1)  # warm up (templates, lookups)
            timings = measure(client, urls + SEARCH_URLS, args.repeat)
            queries = query_counts(client, urls + SEARCH_URLS)
            results[size] = timings
            print(f"\n  {size} resources ({public} public; built+indexed {build:.0f}s)")
            for url in urls + SEARCH_URLS:
                p50, p95 = p50_p95(timings[url])
                print(f"    {url:<55} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  {queries[url]:>2} queries", flush=True)
            browse = [t for url in urls for t in timings[url]]
            p50, p95 = p50_p95(browse)
            print(f"    {'all browse URLs':<55} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms", flush=True)
            extra = rebuild_and_stale_figures(client, urls, max(1, args.repeat // 2))
            if extra:
                print(extra, flush=True)
        if len(sizes) > 1:
            first, last = sizes[0], sizes[-1]
            print(f"\n  ratio {last} / {first} (target <= 1.5x):")
            for url in urls + SEARCH_URLS:
                a, b = p50_p95(results[first][url]), p50_p95(results[last][url])
                print(f"    {url:<55} p50 {b[0] / a[0]:5.2f}x  p95 {b[1] / a[1]:5.2f}x")
            a = p50_p95([t for url in urls for t in results[first][url]])
            b = p50_p95([t for url in urls for t in results[last][url]])
            print(f"    {'all browse URLs':<55} p50 {b[0] / a[0]:5.2f}x  p95 {b[1] / a[1]:5.2f}x")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
