"""Embedding jobs (queue "embeddings"): keep the vector store in step with the public catalogue.

A job embeds the public resources and content files changed since the last successful job started, and removes
the ones that stopped being public; `--all` recreates the collections and embeds everything. A changed resource
passes its facets on to its files' chunks (a payload update), and its published files are embedded when the store
holds none of their chunks (a resource public again after its chunks were removed). Each job is an
`EmbeddingRun`. A job that fails (encoder or vector store down) is recorded as failed with its error, and the next
one starts from the same point, so nothing is missed; lexical search never depends on it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import timedelta

from django.conf import settings
from django.db.models import Prefetch, Q
from django.utils import timezone

from catalog.models import ContentFile, LearningResource
from cms.processes import owner_is_dead, process_owner

from ..models import EmbeddingRun
from .encoders import get_encoder
from .index import (
    CHUNKS,
    RESOURCES,
    embed_content_files,
    embed_resources,
    ensure_collections,
    public_resources,
    refresh_chunk_payloads,
    remove_content_files,
    remove_resources,
)
from .stores import get_vector_store

logger = logging.getLogger(__name__)

# A run still marked running after this long was cut off (worker killed): it no longer blocks new runs.
ABANDONED_AFTER = timedelta(hours=6)
# A running job writes its heartbeat after every batch; one silent for this long has died (another host's process).
STALE_AFTER = timedelta(minutes=15)


class EmbeddingJobBusy(RuntimeError):
    """Another embedding job is running."""


def last_successful_run() -> EmbeddingRun | None:
    return EmbeddingRun.objects.filter(status=EmbeddingRun.Status.SUCCEEDED).order_by("-started_at", "-pk").first()


def _batches(queryset, size: int) -> Iterator[list]:
    """Model instances of `queryset` in primary-key order, `size` at a time, without a long-lived cursor."""
    last = 0
    while True:
        batch = list(queryset.filter(pk__gt=last).order_by("pk")[:size])
        if not batch:
            return
        yield batch
        last = batch[-1].pk


def _public_files(queryset):
    public = LearningResource.objects.public()
    return (
        queryset.filter(published=True, resource__in=public)
        .select_related("resource__offered_by", "resource__platform")
        .prefetch_related("resource__topics__parent", "resource__departments", Prefetch("resource__instructors"))
    )


def fail_abandoned_runs() -> list[int]:
    """Mark failed the running jobs whose process is gone (same host), that stopped beating for STALE_AFTER, or
    that ran past ABANDONED_AFTER; returns their ids. A killed worker's job then never blocks the next one."""
    now = timezone.now()
    abandoned = []
    for run in EmbeddingRun.objects.filter(status=EmbeddingRun.Status.RUNNING):
        last = run.heartbeat_at or run.started_at
        if run.owner and owner_is_dead(run.owner):
            why = f"abandoned: its process ({run.owner}) is gone"
        elif now - last > STALE_AFTER:
            why = f"abandoned: no sign of life since {last:%Y-%m-%d %H:%M:%S} UTC"
        elif now - run.started_at > ABANDONED_AFTER:
            why = "abandoned: still running after 6 hours"
        else:
            continue
        if EmbeddingRun.objects.filter(pk=run.pk, status=EmbeddingRun.Status.RUNNING).update(
            status=EmbeddingRun.Status.FAILED, finished_at=now, error=why
        ):
            abandoned.append(run.pk)
    return abandoned


def _claim(mode: str, trigger: str) -> EmbeddingRun:
    fail_abandoned_runs()
    running = EmbeddingRun.objects.filter(status=EmbeddingRun.Status.RUNNING).first()
    if running:
        raise EmbeddingJobBusy(f"embedding run {running.pk} has been running since {running.started_at:%Y-%m-%d %H:%M}")
    previous = last_successful_run()
    return EmbeddingRun.objects.create(
        mode=mode,
        trigger=trigger,
        since=previous.started_at if previous and mode == "changed" else None,
        owner=process_owner(),
        heartbeat_at=timezone.now(),
    )


def run_embedding_job(
    mode: str = "changed",
    *,
    trigger: str = "schedule",
    store=None,
    encoder=None,
    batch_size: int | None = None,
    progress: Callable[[str, int], Callable[[int], None]] | None = None,
) -> EmbeddingRun:
    """Run one job and return its `EmbeddingRun`; raises (after recording) when the encoder or store fails.

    `progress(label, total)` may return a callback taking a number of items done (the command's progress bars).
    """
    if mode not in EmbeddingRun.Mode.values:
        raise ValueError(f"unknown embedding mode {mode!r}; expected one of {', '.join(EmbeddingRun.Mode.values)}")
    batch_size = batch_size or settings.EMBEDDING_BATCH_SIZE
    run = _claim(mode, trigger)
    try:
        store = store or get_vector_store()
        encoder = encoder or get_encoder()
        run.encoder = f"{encoder.name} ({encoder.dimensions}d)"
        run.store = type(store).__name__
        run.save(update_fields=["encoder", "store"])
        if mode == "all":
            store.drop(RESOURCES)
            store.drop(CHUNKS)
        if ensure_collections(store, encoder) and run.since is not None:
            run.since = None  # the collections were (re)created, e.g. for a new encoder: everything is new
            run.save(update_fields=["since"])
        changed = Q(updated_at__gte=run.since) if run.since else Q()
        refreshed = _embed(run, store, encoder, changed, batch_size, progress)
    except Exception as exc:
        run.status = EmbeddingRun.Status.FAILED
        run.error = f"{type(exc).__name__}: {exc}"[:4000]
        run.finished_at = timezone.now()
        run.save()
        logger.exception("embedding run %s failed", run.pk)
        raise
    run.status = EmbeddingRun.Status.SUCCEEDED
    run.finished_at = timezone.now()
    run.save()
    logger.info(
        "embedding run %s: %d resources, %d files (%d chunks) embedded; chunk facets of %d resources refreshed; "
        "%d resources, %d files removed",
        run.pk,
        run.resources_embedded,
        run.files_embedded,
        run.chunks_embedded,
        refreshed,
        run.resources_removed,
        run.files_removed,
    )
    return run


def _embed(run, store, encoder, changed: Q, batch_size: int, progress) -> int:
    """Embed and remove what changed, counting on `run`; returns how many resources had their chunk facets refreshed."""

    def tracker(label, queryset):
        return progress(label, queryset.count()) if progress else (lambda n: None)

    resources = public_resources().filter(changed)
    advance = tracker("resources", resources)
    # Resources whose files have no chunks: their files are embedded below whether or not they changed.
    restored: list[int] = []
    refreshed = 0
    for batch in _batches(resources, batch_size):
        run.resources_embedded += embed_resources(batch, store=store, encoder=encoder)
        if run.since is not None:  # after a (re)creation every file is embedded anyway
            count, missing = refresh_chunk_payloads(batch, store=store)
            refreshed += count
            restored += missing
        advance(len(batch))
        run.heartbeat_at = timezone.now()
        run.save(update_fields=["resources_embedded", "heartbeat_at"])

    if run.since is not None:  # after a (re)creation there is nothing to remove
        public_ids = LearningResource.objects.public().values("pk")
        gone = list(LearningResource.objects.filter(changed).exclude(pk__in=public_ids).values_list("pk", flat=True))
        for start in range(0, len(gone), 1000):
            remove_resources(gone[start : start + 1000], store=store)
        run.resources_removed = len(gone)

    files = _public_files(ContentFile.objects.filter(changed | Q(resource_id__in=restored) if restored else changed))
    advance = tracker("content files", files)
    for batch in _batches(files, max(1, batch_size // 4)):
        run.chunks_embedded += embed_content_files(batch, store=store, encoder=encoder)
        run.files_embedded += len(batch)
        advance(len(batch))
        run.heartbeat_at = timezone.now()
        run.save(update_fields=["chunks_embedded", "files_embedded", "heartbeat_at"])

    if run.since is not None:
        public_files = _public_files(ContentFile.objects.all()).values("pk")
        gone_files = list(ContentFile.objects.filter(changed).exclude(pk__in=public_files).values_list("pk", flat=True))
        for start in range(0, len(gone_files), 1000):
            remove_content_files(gone_files[start : start + 1000], store=store)
        run.files_removed = len(gone_files)
    return refreshed


def scheduled_embedding_job() -> dict:
    """The task behind the `embeddings` schedule (every EMBEDDING_SCHEDULE_MINUTES on the embeddings queue)."""
    try:
        run = run_embedding_job("changed", trigger="schedule")
    except EmbeddingJobBusy as busy:
        logger.info("embedding job skipped: %s", busy)
        return {"skipped": str(busy)}
    return {"run": run.pk, "resources": run.resources_embedded, "files": run.files_embedded}


def remove_deleted_resources(ids) -> None:
    """Task: drop the points of resources deleted from the database (the job cannot see deleted rows)."""
    remove_resources(ids)
