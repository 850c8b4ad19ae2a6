"""The per-source lock: at most one run of a source at a time, and a dead run's lock freed within minutes.

A run takes its source's `ImportLock` row, renews it from a `LockKeeper` thread while it works (which also
writes the run's heartbeat), and deletes it when it settles. A lock whose holder stopped renewing it expires
after `IMPORT_LOCK_TIMEOUT` seconds; the next run or the sweeper (`importers.recovery`) takes it over and marks
the dead run failed. Operators release a lock by hand with `release_lock_by_operator` (admin and
`manage.py import_locks release`).
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from cms.processes import owner_is_dead, process_exists, process_owner

from .errors import ImportLocked
from .models import ImportLock, ImportRun

__all__ = ["LockKeeper", "acquire_lock", "owner_is_dead", "process_exists", "process_owner", "release_lock"]

logger = logging.getLogger(__name__)


def _expiry():
    return timezone.now() + timedelta(seconds=settings.IMPORT_LOCK_TIMEOUT)


def acquire_lock(source: str, run: ImportRun | None = None) -> ImportLock:
    """Take the source's lock or raise ImportLocked naming the run holding it.

    An expired lock (its holder stopped renewing it), or one held by a process of this host that no longer
    exists, is taken over, and the run that held it is marked failed with the reason."""
    now = timezone.now()
    try:
        with transaction.atomic():
            return ImportLock.objects.create(
                source=source, run=run, owner=process_owner(), acquired_at=now, expires_at=_expiry()
            )
    except IntegrityError:
        pass
    holder = ImportLock.objects.filter(source=source).select_related("run").first()
    if holder is not None and not holder.expired and not owner_is_dead(holder.owner):
        held_by = f"run #{holder.run_id}" if holder.run_id else "another run"
        raise ImportLocked(
            f"{source} is already being imported by {held_by} ({holder.owner or 'unknown process'}, lock renewed "
            f"until {holder.expires_at:%Y-%m-%d %H:%M:%S} UTC); try again later, or release the lock if that run "
            f"is dead: manage.py import_locks release {source}"
        )
    taken = ImportLock.objects.filter(
        source=source, pk=getattr(holder, "pk", None), expires_at=getattr(holder, "expires_at", None)
    ).update(run=run, owner=process_owner(), acquired_at=now, expires_at=_expiry())
    if not taken:  # someone else took it (or it was released) between our read and write: try once more
        return acquire_lock(source, run)
    if holder.run_id and holder.run_id != getattr(run, "pk", None):
        why = "its process is gone" if owner_is_dead(holder.owner) else "it stopped renewing its lock"
        mark_dead(holder.run_id, f"the process running this import ({holder.owner or 'unknown'}) stopped: {why}")
    return ImportLock.objects.get(source=source)


def mark_dead(run_id: int, message: str) -> bool:
    """Mark a running run failed because its process died; True if it was still marked running."""
    return bool(
        ImportRun.objects.filter(pk=run_id, status=ImportRun.Status.RUNNING).update(
            status=ImportRun.Status.FAILED, finished_at=timezone.now(), message=message[:10000]
        )
    )


def renew_lock(lock: ImportLock) -> bool:
    """Push the lock's expiry on and record the run's heartbeat. False when the lock is no longer this run's
    (an operator released it, or it expired and another run took it)."""
    now = timezone.now()
    lock.expires_at = _expiry()
    held = ImportLock.objects.filter(pk=lock.pk, run=lock.run_id, owner=lock.owner).update(expires_at=lock.expires_at)
    if lock.run_id:
        ImportRun.objects.filter(pk=lock.run_id, status=ImportRun.Status.RUNNING).update(heartbeat_at=now)
    return bool(held)


def release_lock(lock: ImportLock) -> None:
    ImportLock.objects.filter(pk=lock.pk, run=lock.run_id, owner=lock.owner).delete()


def release_lock_by_operator(source: str, who: str) -> ImportRun | None:
    """Free a source's lock by hand (its holder is believed dead): the lock is deleted and the run holding it,
    if still marked running, is marked failed saying who released it. A holder that is in fact alive notices at
    its next renewal and stops. Returns the run that held the lock, or None if there was no lock."""
    lock = ImportLock.objects.filter(source=source).first()
    if lock is None:
        return None
    ImportLock.objects.filter(pk=lock.pk).delete()
    if lock.run_id:
        mark_dead(lock.run_id, f"the lock was released by {who}; the run was stopped")
        return ImportRun.objects.filter(pk=lock.run_id).first()
    return None


class LockLost(Exception):
    """The run no longer holds its source's lock (released by an operator or taken over)."""


class LockKeeper:
    """Renews a run's lock every IMPORT_LOCK_RENEW_SECONDS while the run works.

    In a thread with its own database connection, so that a long fetch, transform or batch keeps the lock. When
    the caller is itself inside a transaction (tests wrap each test in one), another connection could not see the
    lock row, so renewal is done by `check()`, which the run calls between records and documents."""

    def __init__(self, lock: ImportLock):
        self.lock = lock
        self.interval = max(1, settings.IMPORT_LOCK_RENEW_SECONDS)
        self.lost = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._inline = connection.in_atomic_block
        self._last = timezone.now()

    def __enter__(self) -> LockKeeper:
        if not self._inline:
            self._thread = threading.Thread(target=self._loop, name=f"lock-keeper:{self.lock.source}", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def check(self) -> None:
        """Raise LockLost once the lock is gone; renew inline when there is no keeper thread."""
        if self._inline and (timezone.now() - self._last).total_seconds() >= self.interval:
            self._renew()
        if self.lost:
            raise LockLost(
                f"the lock on {self.lock.source} was released by an operator or taken over; the run was stopped"
            )

    def _renew(self) -> None:
        self._last = timezone.now()
        try:
            if not renew_lock(self.lock):
                self.lost = True
        except Exception:  # the database is briefly away: try again at the next beat
            logger.warning("could not renew the lock on %s", self.lock.source, exc_info=True)

    def _loop(self) -> None:
        try:
            while not self._stop.wait(self.interval) and not self.lost:
                self._renew()
        finally:
            connection.close()  # this thread's own connection
