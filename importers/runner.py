"""The runner: one source end to end, recorded as an ImportRun.

extract (or a given file, URL, upload or stored snapshot) → SnapshotStore → skip when unchanged → transform →
loader (catalog.loader.load_resources or the source's own loader) → counts, errors, diff on the ImportRun.

The loader runs inside one transaction: any exception — a bad document found halfway through transform, a
database error, a crash — rolls the whole load back, so a failed run leaves the catalogue exactly as it was
and the next run starts from a consistent catalogue. Index and vector updates are queued by the loader's
`resources_changed` signal after commit, so a rolled-back run queues nothing.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import traceback
from collections.abc import Iterable, Iterator
from datetime import timedelta
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from .errors import ImporterError, ImportLocked, SnapshotError
from .models import ImportLock, ImportRun, SourceSettings, StoredSnapshot
from .registry import get_source_class
from .signals import run_finished
from .snapshots import SnapshotStore
from .sources.base import Source
from .transports.http import HttpClient

logger = logging.getLogger(__name__)

MAX_DIFF_EXAMPLES = 50
SETTLED_STATUSES = (ImportRun.Status.SUCCEEDED, ImportRun.Status.NEEDS_REVIEW, ImportRun.Status.REJECTED)


class Progress:
    """Callbacks for a run's progress (the CLI draws a bar); the default does nothing."""

    def stage(self, name: str) -> None:
        """A new stage starts: "fetch", "load"."""

    def document(self, name: str, size: int) -> None:
        """A snapshot document was fetched and stored."""

    def records(self, count: int) -> None:
        """`count` more records were handed to the loader."""


# --- the lock -------------------------------------------------------------------------------------


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:255]


def acquire_lock(source: str, run: ImportRun | None = None) -> ImportLock:
    """Take the source's lock or raise ImportLocked naming the run holding it. An expired lock (its worker
    stopped renewing it) is taken over and the run that held it is marked failed."""
    now = timezone.now()
    expires = now + timedelta(seconds=settings.IMPORT_LOCK_TIMEOUT)
    try:
        with transaction.atomic():
            return ImportLock.objects.create(
                source=source, run=run, owner=_owner(), acquired_at=now, expires_at=expires
            )
    except IntegrityError:
        pass
    stale = ImportLock.objects.filter(source=source).first()
    taken = ImportLock.objects.filter(source=source, expires_at__lte=now).update(
        run=run, owner=_owner(), acquired_at=now, expires_at=expires
    )
    if not taken:
        holder = ImportLock.objects.filter(source=source).select_related("run").first()
        held_by = f"run #{holder.run_id}" if holder and holder.run_id else "another run"
        until = f" (lock expires {holder.expires_at:%Y-%m-%d %H:%M:%S} UTC)" if holder else ""
        raise ImportLocked(f"{source} is already being imported by {held_by}{until}; try again later")
    if stale is not None and stale.run_id and stale.run_id != (run.pk if run else None):
        ImportRun.objects.filter(pk=stale.run_id, status=ImportRun.Status.RUNNING).update(
            status=ImportRun.Status.FAILED,
            finished_at=now,
            message=f"the worker running this import ({stale.owner or 'unknown'}) stopped before it finished; "
            "its lock expired and a later run took over",
        )
    return ImportLock.objects.get(source=source)


def renew_lock(lock: ImportLock) -> None:
    lock.expires_at = timezone.now() + timedelta(seconds=settings.IMPORT_LOCK_TIMEOUT)
    ImportLock.objects.filter(pk=lock.pk, run=lock.run_id).update(expires_at=lock.expires_at)


def release_lock(lock: ImportLock) -> None:
    ImportLock.objects.filter(pk=lock.pk, run=lock.run_id).delete()


# --- the run --------------------------------------------------------------------------------------


def configured_source(name: str) -> tuple[Source, SourceSettings | None]:
    """The registered source configured from settings with the admin's overrides (SourceSettings)."""
    cls = get_source_class(name)
    overrides = SourceSettings.objects.filter(source=name).first()
    return cls(overrides.config if overrides and overrides.config else None), overrides


def run_import(
    source_name: str,
    *,
    trigger: str = ImportRun.Trigger.MANUAL,
    dry_run: bool = False,
    force: bool = False,
    snapshot_id: int | None = None,
    replay: bool = False,
    file: str | None = None,
    url: str | None = None,
    content: bytes | None = None,
    document_name: str = "",
    content_type: str = "",
    user_id: int | None = None,
    replay_of: int | None = None,
    task_id: str = "",
    progress: Progress | None = None,
) -> ImportRun:
    """Import one source and return its ImportRun (never raises for a failed import; the run says why).

    The snapshot comes from, in order: a stored snapshot (`snapshot_id`; with `replay` it is loaded even when
    unchanged), a local `file` or directory, a `url`, raw `content`, or the source's own `extract()`. A
    snapshot equal to the last settled run's is skipped unless `force`, `replay` or `dry_run`."""
    progress = progress or Progress()
    source, overrides = configured_source(source_name)  # SourceNotFound for an unknown source
    run = ImportRun.objects.create(
        source=source_name,
        trigger=trigger,
        dry_run=dry_run,
        force=force,
        requested_by_id=user_id,
        replay_of_id=replay_of,
        task_id=task_id or "",
    )
    if overrides is not None and not overrides.enabled and trigger in (ImportRun.Trigger.SCHEDULE, "webhook"):
        return _finish(run, ImportRun.Status.SKIPPED, f"{source_name} is switched off in the admin (source settings)")
    try:
        lock = acquire_lock(source_name, run)
    except ImportLocked as exc:
        return _finish(run, ImportRun.Status.SKIPPED, str(exc))

    started = time.monotonic()
    store = SnapshotStore()
    try:
        progress.stage("fetch")
        stored = _obtain_snapshot(
            source,
            store,
            snapshot_id=snapshot_id,
            file=file,
            url=url,
            content=content,
            document_name=document_name,
            content_type=content_type,
            progress=progress,
        )
        run.snapshot = stored
        run.snapshot_sha256 = stored.sha256
        run.timings = {"fetch": round(time.monotonic() - started, 3)}
        run.save(update_fields=["snapshot", "snapshot_sha256", "timings"])
        renew_lock(lock)

        if not (force or replay or dry_run):
            settled = (
                ImportRun.objects.filter(source=source_name, dry_run=False, status__in=SETTLED_STATUSES)
                .exclude(pk=run.pk)
                .order_by("-started_at", "-pk")
                .first()
            )
            if settled is not None and settled.snapshot_sha256 == stored.sha256:
                why = {
                    ImportRun.Status.SUCCEEDED: "imported",
                    ImportRun.Status.NEEDS_REVIEW: "awaiting review",
                    ImportRun.Status.REJECTED: "rejected",
                }[settled.status]
                return _finish(
                    run,
                    ImportRun.Status.SKIPPED,
                    f"unchanged: the snapshot ({stored.sha256[:12]}) equals the one {why} in run #{settled.pk}",
                )

        progress.stage("load")
        load_started = time.monotonic()
        snapshot = store.load(stored)
        counter = _Counter(progress)
        loader = import_string(source.loader)
        with transaction.atomic():
            result = loader(
                source_name,
                counter.wrap(source.transform(snapshot)),
                full_snapshot=source.full_snapshot,
                force=force,
                dry_run=dry_run,
            )
            if dry_run:
                transaction.set_rollback(True)  # belt and braces: a dry run writes nothing
        run.timings["load"] = round(time.monotonic() - load_started, 3)
        run.records = counter.count
        _apply_result(run, result)
        run.set_warnings([*source.warnings, *(_value(result, "warnings", None) or [])])
        if _value(result, "needs_review", False) and not dry_run:
            status = ImportRun.Status.NEEDS_REVIEW
            run.message = str(_value(result, "review_reason", "") or "the unpublish guard tripped")
        else:
            status = ImportRun.Status.SUCCEEDED
        run.timings["total"] = round(time.monotonic() - started, 3)
        _finish(run, status)
        if not dry_run:
            store.prune(source_name)
        return run
    except Exception as exc:
        logger.warning("import of %s failed (run #%s): %s", source_name, run.pk, exc, exc_info=True)
        run.set_warnings(source.warnings)
        run.timings = {**(run.timings or {}), "total": round(time.monotonic() - started, 3)}
        if isinstance(exc, ImporterError):
            message = str(exc)
        elif isinstance(exc, KeyError) and exc.args and isinstance(exc.args[0], str) and " " in exc.args[0]:
            message = exc.args[0]  # Snapshot.document(): "snapshot of 'x' has no document 'y' (...)"
        else:
            message = f"{type(exc).__name__}: {exc}"
        run.diff = {**(run.diff or {}), "traceback": traceback.format_exc(limit=8)[-4000:]}
        return _finish(run, ImportRun.Status.FAILED, message or type(exc).__name__)
    finally:
        release_lock(lock)


def _obtain_snapshot(
    source: Source,
    store: SnapshotStore,
    *,
    snapshot_id,
    file,
    url,
    content,
    document_name,
    content_type,
    progress: Progress,
) -> StoredSnapshot:
    def notify(document):
        progress.document(document.name, len(document.content))

    if snapshot_id is not None:
        stored = StoredSnapshot.objects.filter(pk=snapshot_id).first()
        if stored is None:
            raise SnapshotError(f"snapshot #{snapshot_id} does not exist (it may have been pruned by retention)")
        if stored.source != source.name:
            raise SnapshotError(f"snapshot #{snapshot_id} belongs to {stored.source!r}, not {source.name!r}")
        return stored
    if file:
        documents = source.documents_from_path(file)
        origin = StoredSnapshot.Origin.FILE
    elif url:
        with HttpClient() as http:
            response = http.get(url)
        name = document_name or PurePosixPath(urlsplit(url).path).name or ""
        documents = source.documents_from_bytes(
            response.content,
            name=name if name and "." in name else "",
            content_type=content_type or response.headers.get("content-type", "").split(";")[0],
            metadata={"url": url, "fetched_at": timezone.now().isoformat()},
        )
        origin = StoredSnapshot.Origin.URL
    elif content is not None:
        documents = source.documents_from_bytes(content, name=document_name, content_type=content_type)
        origin = StoredSnapshot.Origin.UPLOAD
    else:
        http = HttpClient(previous=store.previous_documents(source.name))
        with http:
            stored, _ = store.store(source.name, source.extract(http), on_document=notify)
        return stored
    stored, _ = store.store(source.name, documents, origin=origin, on_document=notify)
    return stored


class _Counter:
    def __init__(self, progress: Progress):
        self.count = 0
        self.progress = progress

    def wrap(self, records: Iterable[Any]) -> Iterator[Any]:
        pending = 0
        for record in records:
            self.count += 1
            pending += 1
            if pending == 500:
                self.progress.records(pending)
                pending = 0
            yield record
        if pending:
            self.progress.records(pending)


def _value(result: Any, name: str, default: Any = None) -> Any:
    if isinstance(result, dict):
        if name in result:
            return result[name]
        return (result.get("counts") or {}).get(name, default)
    if hasattr(result, name):
        return getattr(result, name)
    counts = getattr(result, "counts", None)
    if isinstance(counts, dict):
        return counts.get(name, default)
    return default


def _plain(value: Any) -> Any:
    if hasattr(value, "as_dict"):
        return _plain(value.as_dict())
    if hasattr(value, "model_dump"):
        return _plain(value.model_dump(mode="json"))
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _apply_result(run: ImportRun, result: Any) -> None:
    for name in ("created", "updated", "unchanged", "unpublished", "failed"):
        setattr(run, name, int(_value(result, name, 0) or 0))
    errors = []
    for error in _value(result, "errors", []) or []:
        plain = _plain(error)
        errors.append(plain if isinstance(plain, dict) else {"message": str(plain)})
    run.set_errors(errors)
    diff = {}
    for name in ("would_create", "would_update", "would_unpublish"):
        examples = _value(result, name, None)
        if examples:
            examples = list(examples)
            diff[name] = _plain(examples[:MAX_DIFF_EXAMPLES])
            diff[f"{name}_count"] = len(examples)
    if _value(result, "needs_review", False):
        diff["review_reason"] = str(_value(result, "review_reason", ""))
    run.diff = diff


def _finish(run: ImportRun, status: str, message: str = "") -> ImportRun:
    run.status = status
    if message:
        run.message = message[:10000]
    run.finished_at = timezone.now()
    run.save()
    for receiver, response in run_finished.send_robust(sender=ImportRun, run=run):
        if isinstance(response, Exception):
            logger.error("run_finished receiver %r failed for run #%s: %s", receiver, run.pk, response)
    return run


# --- review ---------------------------------------------------------------------------------------


def approve_run(run: ImportRun, user=None, *, enqueue: bool = True) -> ImportRun | str:
    """Approve a needs-review run: re-run its snapshot with force (the guard is bypassed). Returns the task
    id (queued) or the new run (inline)."""
    if run.status != ImportRun.Status.NEEDS_REVIEW or run.reviewed_at:
        raise ImporterError(f"run #{run.pk} is not awaiting review")
    if run.snapshot_id is None:
        raise SnapshotError(f"run #{run.pk} has no stored snapshot to re-run (pruned?)")
    run.reviewed_by = user if user and user.is_authenticated else None
    run.reviewed_at = timezone.now()
    run.save(update_fields=["reviewed_by", "reviewed_at"])
    kwargs = {
        "trigger": ImportRun.Trigger.MANUAL,
        "force": True,
        "snapshot_id": run.snapshot_id,
        "replay": True,
        "replay_of": run.pk,
        "user_id": getattr(run.reviewed_by, "pk", None),
    }
    if enqueue:
        from .tasks import enqueue_import

        return enqueue_import(run.source, **kwargs)
    return run_import(run.source, **kwargs)


def reject_run(run: ImportRun, user=None, note: str = "") -> ImportRun:
    """Reject a needs-review run: nothing more is done with its snapshot, and the same snapshot is skipped
    by later runs until the source changes."""
    if run.status != ImportRun.Status.NEEDS_REVIEW or run.reviewed_at:
        raise ImporterError(f"run #{run.pk} is not awaiting review")
    run.status = ImportRun.Status.REJECTED
    run.reviewed_by = user if user and user.is_authenticated else None
    run.reviewed_at = timezone.now()
    if note:
        run.message = f"{run.message}\nRejected: {note}".strip()
    run.save(update_fields=["status", "reviewed_by", "reviewed_at", "message"])
    return run
