"""django-q2 tasks of the importers: imports and their continuations on the "content" queue, the sweeper on
"default". Queueing itself is in `importers.queue`."""

from __future__ import annotations

import logging

from .models import ImportRun
from .queue import IMPORT_QUEUE, enqueue_import
from .recovery import sweep
from .requests import ImportRequest
from .review import approve
from .runner import resume_import as resume_run
from .runner import run_import as run_request

__all__ = ["IMPORT_QUEUE", "approve_run", "enqueue_import", "resume_import", "run_import", "scheduled_import"]

logger = logging.getLogger(__name__)


def run_import(source_name: str, **options) -> int:
    """Task: run one import request (options as ImportRequest's fields); returns the ImportRun id.

    A request delivered again (django-q2 re-delivers a task whose worker died before acknowledging it) whose
    attempt already has a run is not run twice: that run's id is returned."""
    request = ImportRequest.build(source_name, **options)
    if request.request_key:
        earlier = ImportRun.objects.filter(request_key=request.request_key, attempt__gte=request.attempt).first()
        if earlier is not None:
            logger.info("import request %s was delivered again; run #%s has it", request.request_key, earlier.pk)
            return earlier.pk
    return run_request(request).pk


def resume_import(run_id: int) -> int | None:
    """Task: continue a run that waited for its source."""
    waiting = ImportRun.objects.filter(pk=run_id, status=ImportRun.Status.WAITING).first()
    if waiting is None:
        return None
    return resume_run(waiting).pk


def scheduled_import(source_name: str) -> int:
    """Task run by each source's schedule."""
    return run_import(source_name, trigger="schedule")


def approve_run(run: ImportRun, user=None, *, enqueue: bool = True) -> ImportRun | str:
    """Approve a needs-review run (see importers.review.approve) and queue its replay (or run it inline)."""
    request = approve(run, user)
    if enqueue:
        return enqueue_import(request)
    return run_request(request)


def sweep_stale_runs() -> dict:
    """Task, every minute on the default queue: dead runs failed and retried, waiting runs resumed, temporary
    files of dead processes removed (see importers.recovery)."""
    return sweep()
