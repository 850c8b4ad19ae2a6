#!/usr/bin/env python
"""Benchmark an import end to end: a generated snapshot through a simple JSON source, the SnapshotStore, the runner
and the catalogue loader, against the per-row baseline loader of bench_loader.py.

    .venv/bin/python bench/bench_import.py [--n 10000] [--baseline-n 1000] [--rss-n 100000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench .venv/bin/python bench/bench_import.py

Runs on a scratch database (Django's test database for DATABASE_URL), migrated, then dropped. Measures:
1. the first import of an n-record snapshot (`run_import(..., file=...)`: store, checksum, transform, load), in
   records/s, against the per-row baseline's records/s (target >= 10x);
2. the same snapshot imported again: recorded as skipped (target < 1 s);
3. with --rss-n, the peak RSS of a fresh process importing that many records (the source streams JSON Lines one
   record at a time, so memory is bounded by the snapshot's bytes plus one loader batch, not by the record count).
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.test")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def setup():
    import django

    django.setup()
    from django.db import connection

    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    # Test settings run tasks inline; here index updates are queued for a worker, as in production, so that the
    # timings are the import's own.
    from django_q.conf import Conf

    Conf.SYNC = False
    register_source()
    return connection, old_name


def register_source():
    from importers.registry import register
    from importers.sources.base import Source

    @register
    class BenchJsonLines(Source):
        """Records as JSON Lines in one document, parsed one line at a time."""

        name = "bench-jsonl"
        title = "Benchmark JSON Lines"
        kind = "catalogue"
        document_name = "records.jsonl"

        def extract(self, http):  # the benchmark always passes --file
            raise NotImplementedError

        def transform(self, snapshot):
            document = snapshot.document("records.jsonl")
            for line in document.content.splitlines():
                if line.strip():
                    yield json.loads(line)

    return BenchJsonLines


def write_snapshot(n: int, seed: int, folder: Path) -> Path:
    from catalog.demo import generate_records

    path = folder / "records.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for record in generate_records(n, seed=seed):
            handle.write(json.dumps(record, default=str))
            handle.write("\n")
    return path


def main_benchmark(args) -> None:
    connection, old_name = setup()
    try:
        from bench_loader import baseline_load, clear_catalogue

        from importers.models import ImportRun
        from importers.runner import run_import

        with tempfile.TemporaryDirectory() as tmp:
            path = write_snapshot(args.n, 1, Path(tmp))
            size_mb = path.stat().st_size / 1e6
            print(f"Import benchmark on {connection.vendor}: {args.n} records, snapshot {size_mb:.1f} MB", flush=True)

            started = time.perf_counter()
            run = run_import("bench-jsonl", file=str(path))
            first = time.perf_counter() - started
            assert run.status == ImportRun.Status.SUCCEEDED, run.message
            assert run.failed == 0, run.errors[:3]
            print(
                f"  import, first run          {first:8.2f} s  {args.n / first:9.0f} records/s "
                f"(created {run.created}; stages {run.timings})",
                flush=True,
            )

            started = time.perf_counter()
            again = run_import("bench-jsonl", file=str(path))
            skipped = time.perf_counter() - started
            assert again.status == ImportRun.Status.SKIPPED, again.message
            print(f"  import, unchanged snapshot {skipped:8.2f} s  (skipped; target < 1 s)", flush=True)

            started = time.perf_counter()
            forced = run_import("bench-jsonl", file=str(path), force=True)
            reload = time.perf_counter() - started
            print(f"  import, forced unchanged   {reload:8.2f} s  ({forced.unchanged} unchanged)", flush=True)

            from catalog.demo import generate_records

            baseline_records = list(generate_records(args.baseline_n, seed=1))
            clear_catalogue()
            started = time.perf_counter()
            baseline_load("bench-baseline", baseline_records)
            baseline = time.perf_counter() - started
            print(
                f"  per-row baseline           {baseline:8.2f} s  {args.baseline_n / baseline:9.0f} records/s "
                f"(first {args.baseline_n} records)",
                flush=True,
            )
            ratio = (args.n / first) / (args.baseline_n / baseline)
            print(f"  end-to-end import = {ratio:.1f}x the per-row baseline's records/s (target >= 10x)")
            print(f"  unchanged snapshot skipped in {skipped:.2f} s (target < 1 s)")
            print(f"  peak RSS {peak_rss_mb():.0f} MB")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def main_rss(n: int) -> None:
    connection, old_name = setup()
    try:
        from importers.runner import run_import

        with tempfile.TemporaryDirectory() as tmp:
            path = write_snapshot(n, 2, Path(tmp))
            before = peak_rss_mb()
            started = time.perf_counter()
            run = run_import("bench-jsonl", file=str(path))
            seconds = time.perf_counter() - started
            size_mb = path.stat().st_size / 1e6
            print(
                f"Streaming import of {n} records ({size_mb:.0f} MB snapshot) on {connection.vendor}: "
                f"{run.get_status_display()}, {run.created} created in {seconds:.1f} s; "
                f"peak RSS {peak_rss_mb():.0f} MB (after setup and generation: {before:.0f} MB)"
            )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=10_000, help="records in the snapshot (default 10000)")
    parser.add_argument("--baseline-n", type=int, default=1_000, help="records for the per-row baseline (default 1000)")
    parser.add_argument("--rss-n", type=int, default=0, help="also import this many records in a fresh process")
    parser.add_argument("--only-rss", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.only_rss:
        main_rss(args.only_rss)
        return
    main_benchmark(args)
    if args.rss_n:
        subprocess.run([sys.executable, __file__, "--only-rss", str(args.rss_n)], check=True)


if __name__ == "__main__":
    main()
