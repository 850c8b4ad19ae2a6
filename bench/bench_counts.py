#!/usr/bin/env python
"""Per-query latency and totals of keyword search with exact counting (issue 14, item 6), optionally against an
older `search/engines/database.py` (its bounded "about" totals) in the same process, query by query, so that a busy
shared machine loads both sides alike.

    .venv/bin/python bench/bench_counts.py [--sizes 10000,100000] [--repeat 5] \
        [--compare OLD/search/engines/database.py]

Same generated catalogue as bench/bench_search.py (RowFactory), its 12 faceted queries plus single common words
(what exact counting costs most). Each query runs through the whole search service in lexical mode.
"""

import argparse
import importlib.util
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_search import QUERIES, RowFactory, setup_scratch_database  # noqa: E402

COMMON = [("introduction", {}), ("learning", {}), ("data", {}), ("management", {"price": ["free"]})]


def legacy_engine(path: str):
    spec = importlib.util.spec_from_file_location("search.engines._legacy_database", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.DatabaseEngine()


def p95(timings: list[float]) -> float:
    timings = sorted(timings)
    return timings[int(len(timings) * 0.95) - 1]


def run(engine, q, filters):
    from search.service import SearchParams, run_search

    started = time.perf_counter()
    page = run_search(SearchParams(q=q, filters=filters, mode="lexical"), engine=engine)
    return (time.perf_counter() - started) * 1000, page


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--compare", default="", help="an older search/engines/database.py to run side by side")
    args = parser.parse_args()
    connection, old_name = setup_scratch_database()
    from search.engines import database, get_engine

    engine = get_engine("database")
    old = legacy_engine(args.compare) if args.compare else None
    factory, documents = RowFactory(), []
    print(f"Exact counting on {connection.vendor}; {args.repeat} runs per query, alternating engines")
    for size in [int(size) for size in args.sizes.split(",")]:
        documents += factory.make(size - factory.count)
        engine.rebuild(iter(documents))
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        run(engine, "warm up", {})
        all_new, all_old, common_new, common_old = [], [], [], []
        print(f"\n{size} resources")
        for q, filters in QUERIES + COMMON:
            new_times, old_times = [], []
            for _ in range(args.repeat):
                took, page = run(engine, q, filters)
                new_times.append(took)
                if old:
                    took, old_page = run(old, q, filters)
                    old_times.append(took)
            line = f"  {q!r:32} {str(filters):46} total {page.total:>6}{'+' if page.total_capped else ' '}"
            line += f" p50 {statistics.median(new_times):7.1f} ms"
            if page.total_capped:  # over EXACT_COUNT_LIMIT: what counting every match would have cost
                limit, database.EXACT_COUNT_LIMIT = database.EXACT_COUNT_LIMIT, 10**12
                exact = [run(engine, q, filters) for _ in range(args.repeat)]
                database.EXACT_COUNT_LIMIT = limit
                line += f" (counted: {exact[0][1].total} in p50 {statistics.median(t for t, _ in exact):.1f} ms)"
            if old:
                line += f" | before {old_page.total:>4}{'+' if old_page.total_capped else ' '}"
                line += f" p50 {statistics.median(old_times):7.1f} ms"
            print(line, flush=True)
            ((all_new, all_old) if (q, filters) in QUERIES else (common_new, common_old))[0].extend(new_times)
            ((all_new, all_old) if (q, filters) in QUERIES else (common_new, common_old))[1].extend(old_times)
        for name, new_times, old_times in (
            ("bench_search queries", all_new, all_old),
            ("common words", common_new, common_old),
        ):
            line = f"  {name}: p50 {statistics.median(new_times):.1f} ms p95 {p95(new_times):.1f} ms"
            if old_times:
                line += f" | before p50 {statistics.median(old_times):.1f} ms p95 {p95(old_times):.1f} ms"
            print(line, flush=True)
    connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
