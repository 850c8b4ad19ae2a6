"""Fault injection with real processes, on the test database (SQLite with the production pragmas, or PostgreSQL):
kill -9 and SIGTERM of an import and of a worker mid-load, two imports at once, another process writing during an
import, and the database going away mid-load. For each: nothing lost, nothing duplicated, and the run history
tells the truth.

The import and the worker run `tests/support/processes.py` (a JSON Lines source whose loader can pause between
batches, so a test can strike mid-load) with the base settings, as production runs them.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

from django.conf import settings
from django.db import connection

import pytest

from catalog.models import LearningResource
from importers import recovery
from importers.locks import process_exists
from importers.models import ImportLock, ImportRun
from importers.runner import run_import
from tests.cms.test_tasks import database_url_of_test_database
from tests.conftest import REPO_ROOT
from tests.support import processes
from tests.support.processes import SOURCE

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
S = ImportRun.Status
N = 3000


@pytest.fixture
def faults(tmp_path, settings):
    """The environment of the processes (shared folders, the test database) and the source registered here too."""
    shared = {name: tmp_path / name for name in ("snapshots", "media", "tmp", "qdrant")}
    for folder in shared.values():
        folder.mkdir()
    settings.SNAPSHOT_ROOT = shared["snapshots"]
    settings.STORAGES = {
        **settings.STORAGES,
        "snapshots": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(shared["snapshots"])},
        },
    }
    settings.IMPORT_TEMP_DIR = shared["tmp"]
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        "DJANGO_SETTINGS_MODULE": "cms.settings.base",
        "SECRET_KEY": settings.SECRET_KEY,
        "DATABASE_URL": database_url_of_test_database(),
        "SNAPSHOT_ROOT": str(shared["snapshots"]),
        "MEDIA_ROOT": str(shared["media"]),
        "IMPORT_TEMP_DIR": str(shared["tmp"]),
        "QDRANT_EDGE_PATH": str(shared["qdrant"]),
        "IMPORT_LOCK_RENEW_SECONDS": "1",
        "LOG_LEVEL": "WARNING",
    }
    processes.register_source()
    records = processes.write_records(tmp_path / "records.jsonl", N)
    started: list[subprocess.Popen] = []

    class Faults:
        file = str(records)

        def start(self, *args, **extra_env) -> subprocess.Popen:
            process = subprocess.Popen(
                [sys.executable, "-m", "tests.support.processes", *args],
                cwd=REPO_ROOT,
                env={**env, **{k: str(v) for k, v in extra_env.items()}},
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                start_new_session=True,
            )
            started.append(process)
            return process

    yield Faults()
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    from importers.registry import unregister

    unregister(SOURCE)


def wait_for(condition, timeout=90, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def loaded() -> int:
    return LearningResource.objects.filter(source=SOURCE).count()


def assert_complete_and_unique(n: int = N):
    rows = LearningResource.objects.filter(source=SOURCE)
    assert rows.count() == n
    assert rows.values("resource_type", "source_id").distinct().count() == n


def complete_with_a_new_run(faults) -> ImportRun:
    run = run_import(SOURCE, file=faults.file, trigger="cli", force=True)
    assert run.status == S.SUCCEEDED, run.message
    assert_complete_and_unique()
    return run


def test_kill_9_of_an_import_mid_load_is_found_dead_and_completed_without_duplicates(faults):
    process = faults.start("import", faults.file, FAULT_BATCH_DELAY=0.5)
    wait_for(lambda: loaded() >= 500, what="the first committed batch")
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    run = ImportRun.objects.get(source=SOURCE)
    assert run.status == S.RUNNING and ImportLock.objects.filter(source=SOURCE).exists()
    assert 0 < loaded() < N  # committed batches are kept

    assert recovery.sweep()["dead"] == [run.pk]
    run.refresh_from_db()
    assert run.status == S.FAILED and "is gone" in run.message
    assert not ImportLock.objects.exists()
    complete_with_a_new_run(faults)


def test_sigterm_of_an_import_records_why_and_frees_the_source_at_once(faults):
    process = faults.start("import", faults.file, FAULT_BATCH_DELAY=0.5)
    wait_for(lambda: loaded() >= 500, what="the first committed batch")
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 143
    assert "Traceback" not in stderr and "interrupted by SIGTERM" in stderr
    run = ImportRun.objects.get(source=SOURCE)
    assert run.status == S.FAILED and run.message.startswith("interrupted by SIGTERM")
    assert not ImportLock.objects.exists()  # no sweeper needed
    assert not ImportRun.objects.filter(attempt=2).exists()  # a CLI run is the operator's to repeat
    complete_with_a_new_run(faults)


def test_two_imports_at_once_one_runs_the_other_is_told_who_holds_the_source(faults):
    first = faults.start("import", faults.file, FAULT_BATCH_DELAY=0.3)
    wait_for(lambda: ImportLock.objects.filter(source=SOURCE).exists(), what="the first run's lock")
    second = faults.start("import", faults.file)
    out2, err2 = second.communicate(timeout=60)
    out1, err1 = first.communicate(timeout=120)
    assert first.returncode == 0, err1
    results = {json.loads(out1)["run"]: json.loads(out1), json.loads(out2)["run"]: json.loads(out2)}
    statuses = sorted(result["status"] for result in results.values())
    assert statuses == ["skipped", "succeeded"]
    skipped = next(r for r in results.values() if r["status"] == "skipped")
    assert "already being imported by run #" in skipped["message"]
    assert_complete_and_unique()


def start_worker(faults) -> subprocess.Popen:
    return faults.start("worker", Q_CLUSTER_NAME="content", Q_WORKERS=1, FAULT_BATCH_DELAY=0.5)


def enqueue_webhook_import(faults) -> None:
    from django_q.conf import Conf

    from importers.queue import enqueue_import

    sync, Conf.SYNC = Conf.SYNC, False
    try:
        enqueue_import(SOURCE, trigger="webhook", file=faults.file)
    finally:
        Conf.SYNC = sync


def test_kill_9_of_a_worker_mid_import_is_retried_and_completes(faults, monkeypatch):
    worker = start_worker(faults)
    enqueue_webhook_import(faults)
    wait_for(lambda: loaded() >= 500, timeout=120, what="the worker's first committed batch")
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)
    first = ImportRun.objects.get(source=SOURCE)
    assert first.status == S.RUNNING
    pid = int(first.owner.rpartition(":")[2])
    wait_for(lambda: not process_exists(pid), timeout=10, what="the killed worker to be gone")

    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", False)
    assert recovery.sweep()["dead"] == [first.pk]  # the worker's pid is gone: dead at once
    first.refresh_from_db()
    assert first.status == S.FAILED and "retried as attempt 2" in first.message

    start_worker(faults)  # the retry was queued on the broker; a new worker takes it
    retry = wait_for(
        lambda: ImportRun.objects.filter(request_key=first.request_key, attempt=2, status=S.SUCCEEDED).first(),
        timeout=180,
        what="the retry to succeed",
    )
    assert retry.created + retry.updated + retry.unchanged == N
    assert_complete_and_unique()


def test_sigterm_of_a_worker_process_mid_import_queues_its_retry(faults):
    start_worker(faults)
    enqueue_webhook_import(faults)
    wait_for(lambda: loaded() >= 500, timeout=120, what="the worker's first committed batch")
    first = ImportRun.objects.get(source=SOURCE)
    pid = int(first.owner.rpartition(":")[2])
    os.kill(pid, signal.SIGTERM)  # the worker process running the task, as django-q2's guard does on a timeout
    wait_for(lambda: ImportRun.objects.filter(pk=first.pk, status=S.FAILED).exists(), what="the run to be recorded")
    first.refresh_from_db()
    assert first.message.startswith("interrupted by SIGTERM") and "retried as attempt 2" in first.message
    # The cluster starts a new worker process, which takes the queued retry.
    retry = wait_for(
        lambda: ImportRun.objects.filter(request_key=first.request_key, attempt=2, status=S.SUCCEEDED).first(),
        timeout=180,
        what="the retry to succeed",
    )
    assert retry.status == S.SUCCEEDED
    assert_complete_and_unique()


def test_an_import_while_another_process_writes_never_locks_it_out(faults, tmp_path):
    from catalog.factories import LearningResourceFactory

    LearningResourceFactory(source="faults-editor")
    report = tmp_path / "writes.json"
    (tmp_path / "five-thousand").mkdir()
    five_thousand = processes.write_records(tmp_path / "five-thousand" / "records.jsonl", 5000, seed=11)
    writer = faults.start("write", "25", str(report))
    importer = faults.start("import", str(five_thousand))
    out, err = importer.communicate(timeout=300)
    assert importer.returncode == 0, out + err
    writer.communicate(timeout=60)
    writes = json.loads(report.read_text())
    errors = [w for w in writes if w["error"]]
    assert not errors, errors[:3]
    assert len(writes) > 30
    slowest = max(w["seconds"] for w in writes)
    assert slowest < 5, f"a write waited {slowest} s for the import"
    assert "database is locked" not in err
    assert_complete_and_unique(5000)


def test_the_database_going_away_mid_load_fails_the_run_truthfully_and_a_retry_completes(faults, tmp_path):
    process = faults.start("import", faults.file, FAULT_BATCH_DELAY=1, SQLITE_BUSY_TIMEOUT=1)
    wait_for(lambda: loaded() >= 500, what="the first committed batch")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # every other connection to the test database (the import's) is cut
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
    else:
        holder = sqlite3.connect(settings.DATABASES["default"]["NAME"], timeout=30)
        # Nobody else can write for 10 s: longer than the import's busy timeout (1 s) plus its reading of the next
        # records (4 batches paced at 1 s), so its next write finds the database unavailable.
        holder.execute("BEGIN EXCLUSIVE")
        time.sleep(10)
        holder.rollback()
        holder.close()
    out, err = process.communicate(timeout=120)
    run = ImportRun.objects.get(source=SOURCE)
    assert run.status == S.FAILED, (run.status, run.message, err[-2000:])
    assert "database was unavailable" in run.message
    assert not ImportLock.objects.filter(source=SOURCE).exists()
    assert loaded() < N
    complete_with_a_new_run(faults)
