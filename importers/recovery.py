"""The sweeper: what a dead process left behind is found and put right, every minute.

- A run still marked running whose process is gone (its lock expired without renewal, or its pid no longer
  exists on this host) is marked failed with the reason, its lock is freed, and — if it was a scheduled, webhook
  or admin run with attempts left — its request is queued again (same request key, next attempt).
- Runs waiting for their source are resumed, oldest first, once the source is free; one that waited longer than
  IMPORT_WAIT_MAX_SECONDS fails (and alerts) instead of waiting for ever.
- Temporary folders of imports (under IMPORT_TEMP_DIR, named with their process id) whose process is gone are
  removed.
`sweep()` is idempotent and safe to run from several workers at once: every change is a conditional update.
"""

from __future__ import annotations

import logging
import re
import shutil
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from .locks import mark_dead, owner_is_dead, process_exists
from .models import ImportLock, ImportRun
from .queue import enqueue_import, enqueue_resume
from .requests import ImportRequest
from .signals import run_finished
from .tempfiles import host_label

logger = logging.getLogger(__name__)

S = ImportRun.Status
# Temporary folders are named "<prefix>-<host>-<pid>-<random>" (importers.tempfiles.work_dir).
_TEMP_NAME = re.compile(r"-(?P<host>[A-Za-z0-9_]+)-(?P<pid>\d+)-[^-]*$")
# A temporary folder older than this is removed whatever its process (a day is longer than any import).
TEMP_MAX_AGE = timedelta(days=1)


def sweep() -> dict:
    """Put right what dead processes left; returns what was done (for the task's result and tests)."""
    done = {"dead": fail_dead_runs(), "resumed": resume_waiting_runs(), "temp_removed": remove_orphaned_temp()}
    if any(done.values()):
        logger.info("import sweeper: %s", done)
    return done


def dead_reason(run: ImportRun, lock: ImportLock | None, now) -> str:
    """Why `run` (marked running) is dead, or "" while it may be alive."""
    timeout = timedelta(seconds=settings.IMPORT_LOCK_TIMEOUT)
    owner = (lock.owner if lock is not None and lock.run_id == run.pk else "") or run.owner
    if owner and owner_is_dead(owner):
        return f"the process running this import ({owner}) is gone"
    if lock is not None and lock.run_id == run.pk:
        if lock.expires_at <= now:
            beat = run.heartbeat_at or lock.acquired_at
            return (
                f"the process running this import ({owner or 'unknown'}) stopped: no heartbeat since "
                f"{beat:%Y-%m-%d %H:%M:%S} UTC"
            )
        return ""
    # No lock of its own: it is before its lock (storing a given snapshot) or it lost it long ago.
    last = run.heartbeat_at or run.started_at
    if now - last > 3 * timeout:
        return (
            f"the process running this import ({owner or 'unknown'}) stopped: no sign of life since {last:%H:%M:%S} UTC"
        )
    return ""


def fail_dead_runs() -> list[int]:
    now = timezone.now()
    locks = {lock.source: lock for lock in ImportLock.objects.all()}
    dead = []
    for run in ImportRun.objects.filter(status=S.RUNNING).order_by("pk"):
        lock = locks.get(run.source)
        reason = dead_reason(run, lock, now)
        if not reason:
            continue
        request = ImportRequest.from_json({"trigger": run.trigger, **run.request}) if run.request else None
        retry = request is not None and request.retried_when_dead and request.attempt < settings.IMPORT_MAX_ATTEMPTS
        message = reason + (f"; retried as attempt {request.attempt + 1}" if retry else "")
        if not mark_dead(run.pk, message):
            continue  # it settled meanwhile
        if lock is not None and lock.run_id == run.pk:
            ImportLock.objects.filter(pk=lock.pk, expires_at=lock.expires_at, owner=lock.owner).delete()
        dead.append(run.pk)
        if retry:
            enqueue_import(request.replace(attempt=request.attempt + 1, task_id=""))
    return dead


def resume_waiting_runs() -> list[int]:
    """Queue the oldest waiting run of each source that is free; fail runs that waited too long."""
    now = timezone.now()
    limit = timedelta(seconds=settings.IMPORT_WAIT_MAX_SECONDS)
    busy = {lock.source for lock in ImportLock.objects.all() if lock.expires_at > now and not owner_is_dead(lock.owner)}
    resumed, seen = [], set()
    for run in ImportRun.objects.filter(status=S.WAITING).order_by("pk"):
        if now - run.started_at > limit:
            ImportRun.objects.filter(pk=run.pk, status=S.WAITING).update(
                status=S.FAILED,
                finished_at=now,
                message=f"gave up after waiting {limit} for {run.source} to be free ({run.message})"[:10000],
            )
            _send_finished(run.pk)
            continue
        if run.source in busy or run.source in seen:
            continue
        seen.add(run.source)
        enqueue_resume(run.pk, run.source)
        resumed.append(run.pk)
    return resumed


def _send_finished(run_id: int) -> None:
    run = ImportRun.objects.get(pk=run_id)
    run_finished.send_robust(sender=ImportRun, run=run)


def remove_orphaned_temp() -> int:
    """Remove temporary folders of imports whose process is gone (or that are older than a day)."""
    root = Path(settings.IMPORT_TEMP_DIR)
    if not root.is_dir():
        return 0
    removed = 0
    host = host_label()
    cutoff = time.time() - TEMP_MAX_AGE.total_seconds()
    for entry in root.iterdir():
        if not entry.is_dir():
            continue
        match = _TEMP_NAME.search(entry.name)
        gone = False
        if match and match["host"] == host:
            gone = not process_exists(int(match["pid"]))
        try:
            old = entry.stat().st_mtime < cutoff
        except FileNotFoundError:
            continue
        if gone or old:
            shutil.rmtree(entry, ignore_errors=True)
            removed += 1
    return removed
