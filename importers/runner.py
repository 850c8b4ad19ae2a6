"""The runner: one import request, end to end, recorded as an ImportRun.

    run_import(request) -> ImportRun        (never raises for a failed import: the run says why)

Stages, each on the run's row as it happens:
1. the snapshot given with the request (stored snapshot, file, URL or uploaded bytes) is stored first, so a run
   that has to wait for its source keeps what it was sent;
2. the source's lock is taken (`importers.locks`); a busy source makes a scheduled, webhook or admin run wait
   behind the running one (status "waiting", resumed by `importers.tasks.resume_import`), and refuses a CLI run
   with who holds it; while the run works a `LockKeeper` thread renews the lock and the run's heartbeat;
3. fetch (the source's `extract()`, when nothing was given) → `SnapshotStore`; an unchanged snapshot is skipped;
4. transform: the whole snapshot becomes records, spooled to a temporary file (`importers.spool`): a document
   that cannot be read fails the run before anything is written;
5. load: the source's loader writes, owning its transactions (one per batch), so other writers — the web
   process, the task broker, heartbeats — wait at most one batch, and index updates go out per committed batch.
   The runner never wraps a load in a transaction. A run that dies mid-load keeps the batches it committed
   (each a consistent set of the source's newer values) and unpublishes nothing; its retry completes it;
6. the result (counts, errors, diff, guard verdict) is recorded; older runs still waiting for review become
   superseded; the run's lock is released and the next waiting run of the source is queued.

SIGTERM and Ctrl-C mark the run failed with the signal's name, free the source and queue a retry of scheduled,
webhook and admin runs before the process stops (`importers.interrupts`). A run whose process was killed outright
is found by the sweeper (`importers.recovery`).
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Iterable, Iterator
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection
from django.utils import timezone
from django.utils.module_loading import import_string

from .errors import ImporterError, ImportLocked, SnapshotError
from .interrupts import ImportInterrupted, interruptible
from .locks import LockKeeper, LockLost, acquire_lock, process_owner, release_lock
from .models import ImportLock, ImportRun, SourceSettings, StoredSnapshot
from .queue import enqueue_import, enqueue_resume
from .registry import get_source_class
from .requests import ImportRequest
from .results import record_result, value
from .review import check_still_newest, supersede_older_reviews
from .signals import run_finished
from .snapshots import SnapshotStore
from .sources.base import Source
from .spool import RecordSpool
from .transports.http import HttpClient

logger = logging.getLogger(__name__)

S = ImportRun.Status
SETTLED_STATUSES = (S.SUCCEEDED, S.NEEDS_REVIEW, S.REJECTED)
# The lock is checked (and renewed inline, see LockKeeper) every this many records.
CHECK_EVERY = 200
# A run's outcome is saved even if the database is away for up to this long.
SAVE_RETRY_SECONDS = 60


class Progress:
    """Callbacks for a run's progress (the CLI draws a bar); the default does nothing."""

    def stage(self, name: str) -> None:
        """A new stage starts: "fetch", "transform", "load"."""

    def document(self, name: str, size: int) -> None:
        """A snapshot document was fetched and stored."""

    def records(self, count: int) -> None:
        """`count` more records were handed to the loader."""


def configured_source(name: str) -> tuple[Source, SourceSettings | None]:
    """The registered source configured from settings with the admin's overrides (SourceSettings)."""
    cls = get_source_class(name)
    overrides = SourceSettings.objects.filter(source=name).first()
    return cls(overrides.config if overrides and overrides.config else None), overrides


def run_import(request: ImportRequest | str, *, progress: Progress | None = None, **options: Any) -> ImportRun:
    """Run `request` (or `run_import("source", file=..., dry_run=True, ...)` with ImportRequest's fields as
    options) and return its ImportRun. Raises SourceNotFound for an unknown source and ImportInterrupted /
    KeyboardInterrupt after recording a run stopped by a signal; every other failure is on the run."""
    if not isinstance(request, ImportRequest):
        request = ImportRequest.build(request, **options)
    return _Job(request, progress or Progress()).run()


def resume_import(run: ImportRun, progress: Progress | None = None) -> ImportRun:
    """Continue a run that waited for its source (it waits again if the source is still busy)."""
    if run.status != S.WAITING:
        return run
    return _Job(ImportRequest.from_json(run.request), progress or Progress(), run=run).run()


class _Job:
    """One request being run. Holds what the stages share; `run()` is the only entry point."""

    def __init__(self, request: ImportRequest, progress: Progress, run: ImportRun | None = None):
        self.request = request.keyed()
        self.progress = progress
        self.source, self.overrides = configured_source(request.source)  # SourceNotFound for an unknown source
        self.store = SnapshotStore()
        self.run_row = run
        self.started = time.monotonic()
        self.lock: ImportLock | None = None
        self.keeper: LockKeeper | None = None

    # --- the run ----------------------------------------------------------------------------------------------

    def run(self) -> ImportRun:
        run = self.run_row or self._create_run()
        self.run_row = run
        request = self.request
        if self.overrides is not None and not self.overrides.enabled and request.trigger in ("schedule", "webhook"):
            return self._finish(S.SKIPPED, f"{request.source} is switched off in the admin (source settings)")
        if request.trigger == ImportRun.Trigger.SCHEDULE and not request.given_snapshot:
            reason = self.source.not_configured()
            if reason:  # skipped (no alert), not failed: an unconfigured source is not an outage
                return self._finish(S.SKIPPED, f"not configured: {reason}")
        try:
            with interruptible():
                stored = self._given_snapshot()
                self._remember_request(stored)
                try:
                    self.lock = acquire_lock(request.source, run)
                except ImportLocked as exc:
                    return self._wait_or_skip(exc)
                run.status, run.owner, run.heartbeat_at = S.RUNNING, process_owner(), timezone.now()
                run.save(update_fields=["status", "owner", "heartbeat_at"])
                with LockKeeper(self.lock) as self.keeper:
                    return self._work(stored)
        except (ImportInterrupted, KeyboardInterrupt) as exc:
            self._interrupted(exc)
            raise
        except Exception as exc:
            return self._failed(exc)
        finally:
            self._release()

    def _create_run(self) -> ImportRun:
        request = self.request
        return ImportRun.objects.create(
            source=request.source,
            trigger=request.trigger,
            dry_run=request.dry_run,
            force=request.force,
            requested_by_id=request.user_id,
            replay_of_id=request.replay_of,
            task_id=request.task_id or "",
            request_key=request.request_key,
            attempt=request.attempt,
            owner=process_owner(),
            request=request.to_json(),
        )

    def _work(self, stored: StoredSnapshot | None) -> ImportRun:
        run, request = self.run_row, self.request
        self.progress.stage("fetch")
        if stored is None:
            stored = self._fetch()
        run.snapshot, run.snapshot_sha256 = stored, stored.sha256
        run.timings = {"fetch": round(time.monotonic() - self.started, 3)}
        run.save(update_fields=["snapshot", "snapshot_sha256", "timings"])
        self.keeper.check()

        if request.replay_of:
            reviewed = ImportRun.objects.get(pk=request.replay_of)
            try:
                check_still_newest(reviewed)
            except ImporterError as exc:
                return self._finish(S.SKIPPED, str(exc))
        unchanged = self._unchanged_since(stored)
        if unchanged:
            return self._finish(S.SKIPPED, unchanged)

        with RecordSpool() as spool:
            self.progress.stage("transform")
            transform_started = time.monotonic()
            snapshot = self.store.load(stored)
            spool.extend(self.source.transform(snapshot), on_record=self._on_transformed)
            run.timings["transform"] = round(time.monotonic() - transform_started, 3)
            run.records = spool.count

            self.progress.stage("load")
            load_started = time.monotonic()
            loader = import_string(self.source.loader)
            result = loader(
                request.source,
                self._loading(spool),
                full_snapshot=self.source.full_snapshot,
                force=request.force,
                dry_run=request.dry_run,
            )
            run.timings["load"] = round(time.monotonic() - load_started, 3)

        record_result(run, result)
        run.set_warnings([*self.source.warnings, *(value(result, "warnings", None) or [])])
        if value(result, "needs_review", False) and not request.dry_run:
            status, message = S.NEEDS_REVIEW, str(value(result, "review_reason", "") or "the unpublish guard tripped")
        else:
            status, message = S.SUCCEEDED, ""
        self._finish(status, message)
        if not request.dry_run:
            supersede_older_reviews(run)
            self.store.prune(request.source)
        return run

    # --- stages -----------------------------------------------------------------------------------------------

    def _given_snapshot(self) -> StoredSnapshot | None:
        """Store the snapshot given with the request (None when the source is to be fetched)."""
        request, source = self.request, self.source
        if request.snapshot_id is not None:
            stored = StoredSnapshot.objects.filter(pk=request.snapshot_id).first()
            if stored is None:
                raise SnapshotError(
                    f"snapshot #{request.snapshot_id} does not exist (it may have been pruned by retention)"
                )
            if stored.source != source.name:
                raise SnapshotError(
                    f"snapshot #{request.snapshot_id} belongs to {stored.source!r}, not {source.name!r}"
                )
            return stored
        if request.file:
            documents = source.documents_from_path(request.file)
            origin = StoredSnapshot.Origin.FILE
        elif request.url:
            with HttpClient() as http:
                response = http.get(request.url)
            name = request.document_name or PurePosixPath(urlsplit(request.url).path).name or ""
            documents = source.documents_from_bytes(
                response.content,
                name=name if name and "." in name else "",
                content_type=request.content_type or response.headers.get("content-type", "").split(";")[0],
                metadata={"url": request.url, "fetched_at": timezone.now().isoformat()},
            )
            origin = StoredSnapshot.Origin.URL
        elif request.content is not None:
            documents = source.documents_from_bytes(
                request.content, name=request.document_name, content_type=request.content_type
            )
            origin = StoredSnapshot.Origin.UPLOAD
        else:
            return None
        stored, _ = self.store.store(source.name, documents, origin=origin, on_document=self._on_document)
        return stored

    def _remember_request(self, stored: StoredSnapshot | None) -> None:
        """Store the request on the run, naming the stored snapshot instead of the file, URL or bytes it came from
        (a resumed or retried run reads the same snapshot; `replay` stays as asked, so the skip check holds)."""
        run = self.run_row
        if stored is not None:
            self.request = self.request.replace(snapshot_id=stored.pk, file=None, url=None, content=None)
            run.snapshot, run.snapshot_sha256 = stored, stored.sha256
        run.request = self.request.to_json()
        run.save(update_fields=["request", "snapshot", "snapshot_sha256"])

    def _fetch(self) -> StoredSnapshot:
        http = HttpClient(previous=self.store.previous_documents(self.source.name))
        with http:
            stored, _ = self.store.store(self.source.name, self.source.extract(http), on_document=self._on_document)
        return stored

    def _unchanged_since(self, stored: StoredSnapshot) -> str:
        """Why the snapshot need not be loaded ("" when it must be): it equals the last settled run's."""
        request = self.request
        if request.force or request.replay or request.dry_run:
            return ""
        settled = (
            ImportRun.objects.filter(source=request.source, dry_run=False, status__in=SETTLED_STATUSES)
            .exclude(pk=self.run_row.pk)
            .order_by("-started_at", "-pk")
            .first()
        )
        if settled is None or settled.snapshot_sha256 != stored.sha256:
            return ""
        why = {S.SUCCEEDED: "imported", S.NEEDS_REVIEW: "awaiting review", S.REJECTED: "rejected"}[settled.status]
        return f"unchanged: the snapshot ({stored.sha256[:12]}) equals the one {why} in run #{settled.pk}"

    def _on_document(self, document) -> None:
        self.progress.document(document.name, len(document.content))
        if self.keeper is not None:
            self.keeper.check()

    def _on_transformed(self, count: int) -> None:
        if count % CHECK_EVERY == 0:
            self.keeper.check()

    def _loading(self, records: Iterable[Any]) -> Iterator[Any]:
        pending = 0
        for record in records:
            pending += 1
            if pending == CHECK_EVERY:
                self.progress.records(pending)
                self.keeper.check()
                pending = 0
            yield record
        if pending:
            self.progress.records(pending)

    # --- endings ----------------------------------------------------------------------------------------------

    def _wait_or_skip(self, busy: ImportLocked) -> ImportRun:
        """The source is busy: wait behind the running run, or (CLI, or a scheduled run already waiting) skip."""
        run, request = self.run_row, self.request
        if not request.waits_when_busy:
            return self._finish(S.SKIPPED, str(busy))
        if request.trigger == ImportRun.Trigger.SCHEDULE and not request.snapshot_id:
            queued = ImportRun.objects.filter(source=request.source, status=S.WAITING, trigger=request.trigger)
            earlier = queued.exclude(pk=run.pk).filter(pk__lt=run.pk).first()
            if earlier is not None:  # it will fetch the source's newest state anyway
                return self._finish(
                    S.SKIPPED, f"a scheduled run of {request.source} is already waiting (#{earlier.pk})"
                )
        run.status = S.WAITING
        run.message = f"waiting: {busy}"[:10000]
        run.save(update_fields=["status", "message"])
        return run

    def _failed(self, exc: Exception) -> ImportRun:
        run = self.run_row
        logger.warning("import of %s failed (run #%s): %s", run.source, run.pk, exc, exc_info=True)
        run.set_warnings(self.source.warnings)
        run.timings = {**(run.timings or {}), "total": round(time.monotonic() - self.started, 3)}
        database_away = isinstance(exc, OperationalError | InterfaceError)
        if database_away:
            message = f"the database was unavailable during the import ({str(exc).strip() or type(exc).__name__})"
        elif isinstance(exc, ImporterError | LockLost):
            message = str(exc)
        elif isinstance(exc, KeyError) and exc.args and isinstance(exc.args[0], str) and " " in exc.args[0]:
            message = exc.args[0]  # Snapshot.document(): "snapshot of 'x' has no document 'y' (...)"
        else:
            message = f"{type(exc).__name__}: {exc}"
        if run.created or run.updated:
            message += f" ({run.created} created and {run.updated} updated before it stopped are kept)"
        run.diff = {**(run.diff or {}), "traceback": traceback.format_exc(limit=8)[-4000:]}
        retry = database_away and self.request.retried_when_dead and self.request.attempt < _max_attempts()
        if retry:
            message += f"; retried as attempt {self.request.attempt + 1}"
        self._finish(S.FAILED, message or type(exc).__name__)
        if retry:
            self._release()
            enqueue_import(self.request.replace(attempt=self.request.attempt + 1, task_id=""))
        return run

    def _interrupted(self, exc: BaseException) -> None:
        """Record a run stopped by a signal, free its source, and queue its retry (scheduled, webhook and admin
        runs) so that nothing it was asked to do is lost."""
        run, request = self.run_row, self.request
        name = exc.signal_name if isinstance(exc, ImportInterrupted) else "SIGINT (Ctrl-C)"
        if run.status == S.WAITING:  # it holds nothing yet; it stays queued and is resumed later
            return
        retry = request.retried_when_dead and request.attempt < _max_attempts()
        message = f"interrupted by {name} (the process was told to stop)"
        if not connection.in_atomic_block:
            # The signal may have landed inside a database call (psycopg cancels the query and leaves the
            # connection unusable): start the clean-up on a fresh connection.
            connection.close()
        if retry:
            message += f"; retried as attempt {request.attempt + 1}"
        self._release()
        self._finish(S.FAILED, message)
        if retry:
            try:
                enqueue_import(request.replace(attempt=request.attempt + 1, task_id=""))
            except Exception:  # the broker is going away too: the sweeper retries from the run's request
                logger.exception("could not queue the retry of interrupted run #%s", run.pk)

    def _finish(self, status: str, message: str = "") -> ImportRun:
        run = self.run_row
        run.status = status
        if message:
            run.message = message[:10000]
        run.finished_at = timezone.now()
        run.timings = {**(run.timings or {}), "total": round(time.monotonic() - self.started, 3)}
        _save_settled(run)
        for receiver, response in run_finished.send_robust(sender=ImportRun, run=run):
            if isinstance(response, Exception):
                logger.error("run_finished receiver %r failed for run #%s: %s", receiver, run.pk, response)
        return run

    def _release(self) -> None:
        """Free the source and hand it to the oldest run waiting for it."""
        if self.lock is None:
            return
        lock, self.lock = self.lock, None
        try:
            try:
                release_lock(lock)
            except (OperationalError, InterfaceError):
                if connection.in_atomic_block:
                    raise
                connection.close()  # one retry on a fresh connection
                release_lock(lock)
            following = (
                ImportRun.objects.filter(source=lock.source, status=S.WAITING)
                .exclude(pk=self.run_row.pk)
                .order_by("pk")
                .first()
            )
            if following is not None:
                enqueue_resume(following.pk, following.source)
        except Exception:  # the lock expires by itself; the sweeper resumes waiting runs within a minute
            logger.exception("could not release %s or hand it to the next waiting run", lock.source)


def _save_settled(run: ImportRun) -> None:
    """Save a settled run, waiting out a database that is briefly away (the run must not stay "running")."""
    deadline = time.monotonic() + SAVE_RETRY_SECONDS
    while True:
        try:
            run.save()
            return
        except (OperationalError, InterfaceError):
            if time.monotonic() > deadline or connection.in_atomic_block:
                raise
            logger.warning("could not record run #%s yet (database unavailable); retrying", run.pk)
            connection.close()
            time.sleep(1)


def _max_attempts() -> int:
    return settings.IMPORT_MAX_ATTEMPTS
