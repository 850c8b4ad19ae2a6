#!/usr/bin/env python
"""Benchmark the catalogue loader against a per-row `update_or_create` baseline.

    .venv/bin/python bench/bench_loader.py [--n 10000] [--baseline-n N] [--rss-n 100000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench .venv/bin/python bench/bench_loader.py

Runs on a scratch database (Django's test database for the configured DATABASE_URL: a temporary SQLite file by
default, `test_<name>` on PostgreSQL), migrated, then dropped. It loads a generated snapshot (catalog.demo: courses
with runs, prices, topics and instructors, programs, podcasts, playlists, ...) through the loader and through the
baseline, each first into an empty catalogue and then again unchanged (the loader three times: the median counts), and
prints rows/s, the ratios and peak RSS.
`--rss-n` also streams that many generated records through the loader in a fresh process, then again unchanged,
and reports its peak RSS (the records are never all in memory).
"""

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.test")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def setup_scratch_database():
    import django

    django.setup()
    from django.db import connection

    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    # Test settings run tasks inline; search index updates are queued for a worker here, as in production, so that
    # the timings and memory are the loader's own.
    from django_q.conf import Conf

    Conf.SYNC = False
    return connection, old_name


def clear_catalogue() -> None:
    from catalog.models import Instructor, LearningResource

    LearningResource.objects.all().delete()
    Instructor.objects.all().delete()


# --- The baseline: one record at a time, written the obvious way ---------------------------------------------------


def baseline_load(source: str, records: list[dict]) -> None:
    from django.db import transaction
    from django.utils import timezone
    from django.utils.text import slugify

    from catalog.loader.rows import next_start_date, price_fields
    from catalog.models import (
        Department,
        Instructor,
        LearningResource,
        Offeror,
        Platform,
        ResourceInstructor,
        ResourceRelationship,
        Run,
        Topic,
    )
    from catalog.sanitize import clean_html
    from catalog.schemas import CHILD_RELATIONS, ResourceRecord

    def topic(path: str) -> Topic:
        parent = None
        for name in path.split(" > "):
            parent, _ = Topic.objects.get_or_create(
                name=name, parent=parent, defaults={"slug": slugify(f"{parent or ''} {name}")[:140]}
            )
        return parent

    now = timezone.now()
    parents = []
    for data in records:
        record = ResourceRecord.model_validate(data)
        with transaction.atomic():
            offeror = platform = None
            if record.offered_by:
                offeror, _ = Offeror.objects.get_or_create(
                    code=record.offered_by.code, defaults={"name": record.offered_by.name}
                )
            if record.platform:
                platform, _ = Platform.objects.get_or_create(
                    code=record.platform.code, defaults={"name": record.platform.name}
                )
            resource_row, _ = LearningResource.objects.update_or_create(
                source=source,
                source_id=record.source_id,
                resource_type=record.resource_type,
                create_defaults={"slug": slugify(f"{record.title} {source} {record.source_id}")[:255]},
                defaults={
                    "title": record.title,
                    "description": clean_html(record.description, record.url or None),
                    "full_description": clean_html(record.full_description, record.url or None),
                    "url": record.url,
                    "image_url": record.image_url,
                    "media_url": record.media_url,
                    "languages": record.languages,
                    "course_numbers": record.course_numbers,
                    "keywords": record.keywords,
                    "offered_by": offeror,
                    "platform": platform,
                    "certification": record.certification,
                    "certification_type": record.certification_type,
                    "delivery": record.delivery,
                    "format": record.format,
                    "pace": record.pace,
                    "level": record.level,
                    "duration": record.duration,
                    "duration_seconds": record.duration_seconds,
                    "time_commitment": record.time_commitment,
                    "license": record.license,
                    "availability": record.availability,
                    "published_at": record.published_at,
                    "published": record.published,
                    "next_start_date": next_start_date(record, now),
                    "last_seen": now,
                    **price_fields(record),
                },
            )
            resource_row.topics.set([topic(path) for path in record.topics])
            resource_row.departments.set(
                [
                    Department.objects.get_or_create(code=d.code, defaults={"name": d.name})[0]
                    for d in record.departments
                ]
            )
            ResourceInstructor.objects.filter(resource=resource_row).delete()
            for position, name in enumerate(record.instructors):
                instructor, _ = Instructor.objects.get_or_create(full_name=name)
                ResourceInstructor.objects.create(resource=resource_row, instructor=instructor, position=position)
            for run in record.runs:
                values = run.model_dump(mode="json", exclude={"run_id"})
                Run.objects.update_or_create(resource=resource_row, run_id=run.run_id, defaults=values)
        if record.children:
            parents.append((resource_row, record))
    for parent, record in parents:
        with transaction.atomic():
            relation_type, default_type = CHILD_RELATIONS[record.resource_type]
            ResourceRelationship.objects.filter(parent=parent).delete()
            for position, child in enumerate(record.children):
                child_row = LearningResource.objects.filter(
                    source=source, source_id=child.source_id, resource_type=child.resource_type or default_type
                ).first()
                if child_row:
                    ResourceRelationship.objects.create(
                        parent=parent, child=child_row, relation_type=relation_type, position=position
                    )


# --- Runs ----------------------------------------------------------------------------------------------------------


def timed(label: str, func, n: int) -> float:
    started = time.perf_counter()
    func()
    seconds = time.perf_counter() - started
    print(f"  {label:<32} {seconds:8.2f} s  {n / seconds:9.0f} rows/s", flush=True)
    return seconds


def main_benchmark(args) -> None:
    connection, old_name = setup_scratch_database()
    try:
        from django.db.models import F

        from catalog.demo import generate_records
        from catalog.loader import load_resources
        from catalog.loader.core import LAST_SEEN_RESOLUTION
        from catalog.models import LearningResource, SourceSnapshot

        vendor = connection.vendor
        records = list(generate_records(args.n, seed=1))
        baseline_records = records[: args.baseline_n]
        print(f"Loader benchmark on {vendor} ({args.n} records; baseline on the first {len(baseline_records)})")

        def load(records_, unchanged=False):
            result = load_resources("bench", records_)
            assert result.failed == 0, result.errors[:3]
            assert not unchanged or result.unchanged == len(records_), result.counts
            return result

        loader_first = timed("loader, first load", lambda: load(records), len(records))
        # As a daily import finds it: the rows and the source's last snapshot were seen a day ago. An unchanged
        # reload is short, so one busy moment of a shared machine would decide it: the median of three counts.
        day = LAST_SEEN_RESOLUTION * 24
        LearningResource.objects.update(last_seen=F("last_seen") - day)
        SourceSnapshot.objects.update(loaded_at=F("loaded_at") - day)
        reloads = [
            timed(f"loader, unchanged reload #{i}", lambda: load(records, True), len(records)) for i in (1, 2, 3)
        ]
        loader_again = statistics.median(reloads)
        clear_catalogue()
        baseline_first = timed(
            "baseline, first load", lambda: baseline_load("bench", baseline_records), len(baseline_records)
        )
        baseline_again = timed(
            "baseline, unchanged reload", lambda: baseline_load("bench", baseline_records), len(baseline_records)
        )

        loader_rate = len(records) / loader_first
        baseline_rate = len(baseline_records) / baseline_first
        print(f"  first load: loader {loader_rate / baseline_rate:.1f}x the baseline's rows/s (target >= 10x)")
        reload_rate = (len(records) / loader_again) / (len(baseline_records) / baseline_again)
        print(f"  unchanged reload: loader {reload_rate:.1f}x the baseline's rows/s")
        print(
            f"  loader unchanged reload (median {loader_again:.2f} s) = {loader_again / loader_first:.1%} of its "
            f"first load (target <= 5%); the three: {', '.join(f'{r / loader_first:.1%}' for r in reloads)}"
        )
        print(f"  peak RSS {peak_rss_mb():.0f} MB")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def main_rss(n: int) -> None:
    connection, old_name = setup_scratch_database()
    try:
        from catalog.demo import generate_records
        from catalog.loader import load_resources

        baseline_mb = peak_rss_mb()
        started = time.perf_counter()
        result = load_resources("bench-rss", generate_records(n, seed=2))
        seconds = time.perf_counter() - started
        print(
            f"Streaming {n} records on {connection.vendor}: {result.created} created in {seconds:.1f} s "
            f"({n / seconds:.0f} rows/s); peak RSS {peak_rss_mb():.0f} MB (after setup: {baseline_mb:.0f} MB; "
            "target < 400 MB)",
            flush=True,
        )
        # The same stream again, unchanged: a full snapshot holds the source's stored rows for its whole load.
        started = time.perf_counter()
        result = load_resources("bench-rss", generate_records(n, seed=2))
        seconds = time.perf_counter() - started
        print(
            f"Unchanged re-load of the {n}: {result.unchanged} unchanged in {seconds:.1f} s; "
            f"peak RSS {peak_rss_mb():.0f} MB"
        )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=10_000, help="records in the snapshot (default 10000)")
    parser.add_argument("--baseline-n", type=int, default=None, help="records for the baseline (default: --n)")
    parser.add_argument("--rss-n", type=int, default=0, help="also stream this many records in a fresh process")
    parser.add_argument("--only-rss", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--skip-benchmark", action="store_true", help="only the --rss-n run")
    args = parser.parse_args()
    args.baseline_n = args.baseline_n or args.n
    if args.only_rss:
        main_rss(args.only_rss)
        return
    if not args.skip_benchmark:
        main_benchmark(args)
    if args.rss_n:
        # A fresh process, so that its peak RSS is the streaming load's alone.
        subprocess.run([sys.executable, __file__, "--only-rss", str(args.rss_n)], check=True)  # noqa: S603


if __name__ == "__main__":
    main()
