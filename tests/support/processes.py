"""Real processes for the fault-injection tests: an import or a django-q2 worker with a test source registered.

    python -m tests.support.processes import FILE [--trigger cli]   # run_import of the "faults-jsonl" source
    python -m tests.support.processes worker                         # manage.py qcluster (Q_CLUSTER_NAME from env)
    python -m tests.support.processes write SECONDS REPORT           # another writer: admin save, enqueue, heartbeat

Settings come from the environment (DATABASE_URL of the test database, DJANGO_SETTINGS_MODULE). FAULT_BATCH_DELAY
makes the loader pause that many seconds after each batch of 500 records, so a test can strike mid-load.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

SOURCE = "faults-jsonl"
BATCH = 500


def register_source() -> None:
    from importers.registry import register
    from importers.sources.base import Source

    @register
    class FaultsJsonLines(Source):
        """Records as JSON Lines in one document; loaded by `slow_loader`."""

        name = SOURCE
        title = "Fault-injection JSON Lines"
        kind = "catalogue"
        document_name = "records.jsonl"
        loader = "tests.support.processes.slow_loader"

        def extract(self, http):
            raise NotImplementedError("give --file")

        def transform(self, snapshot):
            for line in snapshot.document("records.jsonl").content.splitlines():
                if line.strip():
                    yield json.loads(line)


def slow_loader(source, records, **options):
    """catalog's loader, pausing FAULT_BATCH_DELAY seconds after every batch of records it reads."""
    from catalog.loader import load_resources

    delay = float(os.environ.get("FAULT_BATCH_DELAY", "0") or 0)

    def paced():
        for index, record in enumerate(records, start=1):
            yield record
            if delay and index % BATCH == 0:
                time.sleep(delay)

    return load_resources(source, paced(), batch_size=BATCH, **options)


def write_records(path: Path, n: int, seed: int = 7) -> Path:
    """n generated catalogue records as JSON Lines (the demo generator's shapes)."""
    from catalog.demo import generate_records

    with path.open("w", encoding="utf-8") as handle:
        for record in generate_records(n, seed=seed):
            handle.write(json.dumps(record, default=str) + "\n")
    return path


def run_import_process(file: str, trigger: str) -> int:
    from importers.interrupts import ImportInterrupted
    from importers.runner import run_import

    try:
        run = run_import(SOURCE, file=file, trigger=trigger)
    except (ImportInterrupted, KeyboardInterrupt) as exc:
        print(f"import interrupted: {exc}", file=sys.stderr)
        return 143
    print(json.dumps({"run": run.pk, "status": run.status, "message": run.message}))
    return 0 if run.status != "failed" else 1


def run_worker() -> int:
    from django.core.management import call_command

    call_command("qcluster")
    return 0


def run_writer(seconds: float, report: str) -> int:
    """Write the way the rest of the platform does while an import runs; report each write's time and error."""
    from django.db import close_old_connections
    from django.utils import timezone

    from django_q.tasks import async_task

    from catalog.models import LearningResource
    from cms.tasks import record_heartbeat

    results = []
    deadline = time.monotonic() + seconds
    n = 0
    while time.monotonic() < deadline:
        n += 1
        for kind in ("admin save", "enqueue", "heartbeat"):
            started = time.monotonic()
            error = ""
            try:
                if kind == "admin save":
                    resource = LearningResource.objects.filter(source="faults-editor").first()
                    resource.title = f"Edited {n}"
                    resource.updated_at = timezone.now()
                    resource.save(update_fields=["title", "updated_at"])
                elif kind == "enqueue":
                    async_task("cms.tasks.record_heartbeat", "content", cluster="content", sync=False)
                else:
                    record_heartbeat("default")
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
                close_old_connections()
            results.append({"kind": kind, "seconds": round(time.monotonic() - started, 3), "error": error})
        time.sleep(0.05)
    Path(report).write_text(json.dumps(results))
    return 0


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.test")
    import django

    django.setup()
    from django_q.conf import Conf

    Conf.SYNC = False  # tasks go to the broker, as in production
    register_source()
    command = argv[0]
    if command == "import":
        trigger = argv[argv.index("--trigger") + 1] if "--trigger" in argv else "cli"
        return run_import_process(argv[1], trigger)
    if command == "worker":
        return run_worker()
    if command == "write":
        return run_writer(float(argv[1]), argv[2])
    raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
