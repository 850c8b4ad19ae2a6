"""Reviews: a run the unpublish guard stopped waits for an operator to approve or reject it.

An approval re-runs the run's own snapshot with force, so it is only allowed while that snapshot is still the
newest the source has given: once a later run has loaded (or is loading, or waits for review itself), replaying
the older snapshot would undo it, so the older run is marked superseded instead.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from .errors import ImporterError, SnapshotError
from .models import ImportRun
from .requests import ImportRequest

S = ImportRun.Status


def later_run(run: ImportRun) -> ImportRun | None:
    """The newest later run of the same source that changed, or may change, the catalogue; None if there is none.

    A later run that was skipped (unchanged, busy, switched off), a dry run, or one that failed before writing
    anything leaves the catalogue as this run found it, so it does not supersede it. Approval replays of this
    very run do not count either."""
    return (
        ImportRun.objects.filter(source=run.source, dry_run=False, pk__gt=run.pk)
        .exclude(replay_of=run.pk)
        .filter(
            Q(status__in=[S.SUCCEEDED, S.NEEDS_REVIEW, S.RUNNING])
            | Q(status=S.FAILED, created__gt=0)
            | Q(status=S.FAILED, updated__gt=0)
            | Q(status=S.FAILED, unpublished__gt=0)
        )
        .order_by("-pk")
        .first()
    )


def supersede(run: ImportRun, by: ImportRun) -> ImportRun:
    run.status = S.SUPERSEDED
    run.finished_at = run.finished_at or timezone.now()
    run.message = (
        f"{run.message}\nSuperseded by run #{by.pk} (a newer snapshot of {run.source}); approving this run would "
        "replay an outdated snapshot. Review the newer run instead."
    ).strip()
    run.save(update_fields=["status", "finished_at", "message"])
    return run


def supersede_older_reviews(run: ImportRun) -> int:
    """After `run` loaded, earlier runs of its source still waiting for review can never be approved."""
    if run.dry_run:
        return 0
    waiting = ImportRun.objects.filter(
        source=run.source, status=S.NEEDS_REVIEW, reviewed_at=None, dry_run=False, pk__lt=run.pk
    ).exclude(pk=run.replay_of_id or 0)
    count = 0
    for older in waiting:
        supersede(older, run)
        count += 1
    return count


def check_still_newest(run: ImportRun) -> None:
    """Raise (and mark the run superseded) when a later run of the source has loaded since."""
    newer = later_run(run)
    if newer is not None:
        supersede(run, newer)
        raise ImporterError(
            f"run #{run.pk} was superseded by run #{newer.pk}: a newer snapshot of {run.source} has been loaded since, "
            "so approving it would replay an outdated snapshot"
        )


def approve(run: ImportRun, user=None) -> ImportRequest:
    """Approve a needs-review run, as long as its snapshot is still the newest of its source, and return the
    request that re-runs that snapshot with force (the guard is bypassed). `importers.tasks.approve_run` queues
    it; the replay checks again that nothing newer loaded in between."""
    if run.status != S.NEEDS_REVIEW or run.reviewed_at:
        raise ImporterError(f"run #{run.pk} is not awaiting review ({run.get_status_display().lower()})")
    if run.snapshot_id is None:
        raise SnapshotError(f"run #{run.pk} has no stored snapshot to re-run (pruned?)")
    check_still_newest(run)
    run.reviewed_by = user if user and user.is_authenticated else None
    run.reviewed_at = timezone.now()
    run.save(update_fields=["reviewed_by", "reviewed_at"])
    return ImportRequest(
        source=run.source,
        trigger=ImportRun.Trigger.MANUAL,
        force=True,
        snapshot_id=run.snapshot_id,
        replay=True,
        replay_of=run.pk,
        user_id=getattr(run.reviewed_by, "pk", None),
    )


def reject_run(run: ImportRun, user=None, note: str = "") -> ImportRun:
    """Reject a needs-review run: nothing more is done with its snapshot, and the same snapshot is skipped
    by later runs until the source changes."""
    if run.status != S.NEEDS_REVIEW or run.reviewed_at:
        raise ImporterError(f"run #{run.pk} is not awaiting review ({run.get_status_display().lower()})")
    run.status = S.REJECTED
    run.reviewed_by = user if user and user.is_authenticated else None
    run.reviewed_at = timezone.now()
    if note:
        run.message = f"{run.message}\nRejected: {note}".strip()
    run.save(update_fields=["status", "reviewed_by", "reviewed_at", "message"])
    return run
