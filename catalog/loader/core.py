"""The catalogue loader: the only writer of learning-resource rows.

`load_resources(source, records)` streams records in batches. Each batch is validated, compared with the stored
rows by content hash and written in one transaction with bulk statements: resources, their runs, topics,
departments, instructors and (when the children are already there) relations. A batch that fails is rolled back
and retried record by record so one bad row cannot take its neighbours down, and none is ever half written.
After the last batch, relations whose children came later are resolved and, for a full snapshot, the source's
rows missing from it are unpublished — unless that would remove more than the guard's share.

An unchanged record of a full snapshot costs no write at all: its row is found in one read of the source's rows
(`_StoredRow`) and recognised by the hash of the record as the source gave it, before any validation. That the
source still listed it is recorded once per load on the source's `SourceSnapshot` (see
`LearningResource.last_seen_in_source`), not on every row.
"""

import datetime as dt
import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import NamedTuple

from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import DateTimeField, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from catalog.browse_counts import catalogue_changed
from catalog.models import LearningResource, SourceSnapshot
from catalog.schemas import (
    RecordError,
    RejectedRecord,
    ResourceRecord,
    record_key,
    strip_control_chars,
    validate_record,
)
from catalog.signals import send_resources_changed

from .lookups import LookupCache
from .relations import RelationWriter
from .result import MAX_EXAMPLES, LoadResult
from .rows import EXISTING_FIELDS, RowWriter

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
# Records are read (hashed, compared) this many batches at a time; changes are written per batch.
READ_BATCHES = 4
# Bump when the way records become rows changes, so that the next load rewrites every row once.
HASH_VERSION = "2"  # 2: `extra` is stored (issue 18)
# A partial load (full_snapshot=False) records last_seen on each unchanged row, to this resolution: a row seen
# again sooner is not rewritten. Full snapshots record it once per source (SourceSnapshot) instead.
LAST_SEEN_RESOLUTION = dt.timedelta(hours=1)
_HASH_PREFIX = f"{HASH_VERSION}:".encode()
# One encoder for every record: json.dumps would build a new one per call. Its output is json.dumps(sort_keys=True,
# separators=(",", ":"), default=str), so stored hashes stay valid.
_CANONICAL_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=str, check_circular=False)


def content_hash(data: ResourceRecord | dict) -> str | None:
    """sha256 of a record's canonical JSON: every imported field, runs and children.

    A dict is hashed as the source gave it (keys sorted), so an unchanged record is recognised before it is even
    validated; None when the dict cannot be written as JSON (it is then hashed after validation). A model is hashed
    as pydantic writes it (fields in schema order).
    """
    if isinstance(data, ResourceRecord):
        return hashlib.sha256(_HASH_PREFIX + data.model_dump_json().encode()).hexdigest()
    try:
        text = _CANONICAL_JSON.encode(data)
    except (TypeError, ValueError, RecursionError):
        return None
    return hashlib.sha256(_HASH_PREFIX + text.encode()).hexdigest()


class _StoredRow(NamedTuple):
    """What deciding about a record needs from its row: is it unchanged, is it in the latest snapshot."""

    pk: int
    content_hash: str
    published: bool
    source_published: bool
    hidden: bool
    in_source_snapshot: bool


_STORED_FIELDS = ("resource_type", "source_id", *_StoredRow._fields)


def _chunks(iterable: Iterable, size: int) -> Iterator[list]:
    iterator = iter(iterable)
    while chunk := list(islice(iterator, size)):
        yield chunk


class _Batch:
    """What one batch did; merged into the result only when its transaction commits."""

    def __init__(self):
        self.created: list[tuple[int, ResourceRecord]] = []
        self.updated: list[tuple[int, ResourceRecord]] = []
        self.changed_ids: list[int] = []
        self.removed_ids: list[int] = []
        self.deferred: dict[int, tuple[str, list]] = {}


class ResourceLoader(RowWriter, RelationWriter):
    """One load of one source. Use `load_resources`; this class holds the per-load state."""

    def __init__(self, source: str, *, full_snapshot=True, force=False, dry_run=False, guard=None, batch_size=None):
        self.source = source
        self.full_snapshot = full_snapshot
        self.force = force
        self.dry_run = dry_run
        self.guard = settings.CATALOG_UNPUBLISH_GUARD if guard is None else guard
        self.batch_size = batch_size or BATCH_SIZE
        self.result = LoadResult(source=source, dry_run=dry_run, full_snapshot=full_snapshot)
        self.seen_keys: set[tuple[str, str]] = set()
        self.protected_keys: set[tuple[str, str]] = set()  # invalid or failed records: never pruned
        self.deferred_relations: dict[int, tuple[str, list]] = {}
        self.write_failures = 0
        self.lookups: LookupCache | None = None
        # A full snapshot reads all the source's rows once (it needs them all to prune); a partial load per chunk.
        self.stored: dict[tuple[str, str], _StoredRow] | None = None
        self.started_at = timezone.now()

    # --- the load -----------------------------------------------------------------------------------------------

    def run(self, records: Iterable, progress: Callable[[int], None] | None = None) -> LoadResult:
        started = time.monotonic()
        self.started_at = timezone.now()
        if self.full_snapshot:
            self.stored = self._stored_rows(LearningResource.objects.filter(source=self.source))
        for chunk in _chunks(records, self.batch_size * READ_BATCHES):
            self._load_chunk(chunk)
            if progress:
                progress(len(chunk))
        self._resolve_deferred_relations()
        if self.full_snapshot:
            self._finish_snapshot()
        self.result.would_create_count = self.result.created
        self.result.would_update_count = self.result.updated
        self.result.duration_seconds = time.monotonic() - started
        logger.info("catalogue load %s", self.result.summary())
        return self.result

    def _load_chunk(self, chunk: list) -> None:
        """Skip unchanged records (by hash, before validating them), validate the rest and write them."""
        pending = []  # (data, key, digest)
        for data in chunk:
            # Control characters go before anything else, so that the hash and the row hold the same text.
            if isinstance(data, RejectedRecord):  # the source already knows what is wrong with it
                self._reject(data, list(data.errors))
                continue
            data = strip_control_chars(data)
            key = record_key(data)
            if key is None:  # cannot even be identified: validation says why
                self._reject(data, validate_record(data)[1])
                continue
            if key in self.seen_keys:
                self._reject(
                    data,
                    [
                        RecordError(
                            key[1], "source_id", "appears more than once in the snapshot; the first was loaded", key[0]
                        )
                    ],
                    protect=False,
                )
                continue
            self.seen_keys.add(key)
            pending.append((data, key, content_hash(data)))
        if not pending:
            return
        if self.stored is not None:
            rows = self.stored
        else:
            rows = self._stored_rows(
                LearningResource.objects.filter(source=self.source, source_id__in={key[1] for _, key, _ in pending})
            )
        unchanged, to_write = [], []
        for data, key, digest in pending:
            row = rows.get(key)
            published = data.published if isinstance(data, ResourceRecord) else data.get("published", True)
            if (
                row is not None
                and digest is not None
                and row.content_hash == digest
                and isinstance(published, bool)
                and row.source_published == published
                and row.published == (published and not row.hidden)
            ):
                unchanged.append(row.pk)
                continue
            record, errors = validate_record(data)
            if errors:
                self._reject(data, errors)
                continue
            to_write.append((record, digest or content_hash(record)))
        if unchanged:
            self.result.unchanged += len(unchanged)
            if not self.full_snapshot:  # a full snapshot records last_seen once, in _finish_snapshot
                now = timezone.now()
                LearningResource.objects.filter(pk__in=unchanged, last_seen__lt=now - LAST_SEEN_RESOLUTION).update(
                    last_seen=now
                )
        if to_write and self.lookups is None:
            self.lookups = LookupCache()
        for start in range(0, len(to_write), self.batch_size):
            self._write_batch(to_write[start : start + self.batch_size])

    @staticmethod
    def _stored_rows(queryset) -> dict[tuple[str, str], _StoredRow]:
        rows = queryset.order_by().values_list(*_STORED_FIELDS)
        return {(row[0], row[1]): _StoredRow(*row[2:]) for row in rows.iterator(chunk_size=5000)}

    def _reject(self, data, errors: list[RecordError], protect: bool = True) -> None:
        """Report an invalid record; its existing row (if any) is kept as it is and never pruned."""
        key = data.key if isinstance(data, RejectedRecord) else record_key(data)
        if protect and key:
            self.protected_keys.add(key)
        self.result.add_errors(errors)

    def _write_batch(self, items: list[tuple[ResourceRecord, str]]) -> None:
        if not items:
            return
        batch = _Batch()
        try:
            with transaction.atomic():
                self._write(items, batch)
                catalogue_changed()  # the browse page's precomputed counts (catalog.browse_counts)
                send_resources_changed(changed_ids=batch.changed_ids, removed_ids=batch.removed_ids, sender="catalog")
        except (OperationalError, InterfaceError):
            # The database itself is away or locked, not this batch's records: retrying them one by one would
            # only report every record as bad. The load stops; committed batches stay; a retry completes it.
            self.lookups.rollback()
            raise
        except Exception as exc:
            self.lookups.rollback()
            if len(items) > 1:
                logger.warning(
                    "catalogue load %s: a batch failed (%s); retrying its records one by one", self.source, exc
                )
                for item in items:
                    self._write_batch([item])
                return
            record = items[0][0]
            logger.exception("catalogue load %s: record %s could not be written", self.source, record.source_id)
            self.write_failures += 1
            self.protected_keys.add(record.key)
            self.result.add_errors(
                [RecordError(record.source_id, "", f"could not be written: {exc}", record.resource_type)]
            )
            return
        self.lookups.commit()
        self._merge(batch)

    def _merge(self, batch: _Batch) -> None:
        result = self.result
        result.created += len(batch.created)
        result.updated += len(batch.updated)
        result.changed_ids.extend(batch.changed_ids)
        result.removed_ids.extend(batch.removed_ids)
        self.deferred_relations.update(batch.deferred)
        for kind, rows in (("create", batch.created), ("update", batch.updated)):
            for pk, record in rows[:MAX_EXAMPLES]:
                result.example(
                    kind,
                    {
                        "id": pk,
                        "resource_type": record.resource_type,
                        "source_id": record.source_id,
                        "title": record.title,
                    },
                )

    # --- one batch ----------------------------------------------------------------------------------------------

    def _write(self, items: list[tuple[ResourceRecord, str]], batch: _Batch) -> None:
        """Create or update the resources of `items` with everything they own, in the caller's transaction."""
        now = timezone.now()
        existing = {
            (row.resource_type, row.source_id): row
            for row in LearningResource.objects.filter(
                source=self.source, source_id__in={record.source_id for record, _ in items}
            ).only(*EXISTING_FIELDS)
        }
        to_create, to_update, was_public = [], [], {}
        for record, digest in items:
            row = existing.get(record.key)
            if row is None:
                to_create.append((record, digest))
            else:
                was_public[row.pk] = row.published and not row.hidden
                to_update.append((row, record, digest))

        self.lookups.ensure([record for record, _ in items])
        created_rows = self._create_rows(to_create, now)
        updated_rows = self._update_rows(to_update, now)
        written = [(row, record, False) for row, record in created_rows] + [
            (row, record, True) for row, record in updated_rows
        ]
        self._write_m2m(written)
        self._write_runs(written)
        self._write_relations(written, batch)

        for row, record in created_rows:
            batch.created.append((row.pk, record))
            if row.published:
                batch.changed_ids.append(row.pk)
        for row, record in updated_rows:
            batch.updated.append((row.pk, record))
            if row.published and not row.hidden:
                batch.changed_ids.append(row.pk)
            elif was_public[row.pk]:
                batch.removed_ids.append(row.pk)

    # --- after a full snapshot -------------------------------------------------------------------------------------

    def _finish_snapshot(self) -> None:
        """Record what the snapshot listed, then unpublish the source's published rows missing from it (guarded).

        `self.stored` holds the source's rows as they were before the load: rows missing from the snapshot were
        not written since, and rows created by it are in the snapshot. "Published" here is the source's own value
        (`source_published`): a hidden row the source drops is unpublished too and stays so when un-hidden.
        """
        result = self.result
        stored = self.stored
        published_before = sum(1 for row in stored.values() if row.source_published)
        if not self.seen_keys:
            if published_before:
                # An empty snapshot never unpublishes, forced or not.
                result.judge_unpublish(published_before, published_before, self.guard, self.force)
                result.guard_verdict["tripped"] = True
                result.needs_review = True
                result.review_reason = (
                    f"The snapshot has no valid records; the {published_before} published resources of "
                    f"{self.source!r} were left as they are."
                )
            return
        self._record_snapshot()
        missing_rows = [
            row
            for key, row in stored.items()
            if row.source_published and key not in self.seen_keys and key not in self.protected_keys
        ]
        missing = sorted(row.pk for row in missing_rows)
        if not missing:
            return
        stopped = result.judge_unpublish(len(missing), published_before, self.guard, self.force)
        examples = LearningResource.objects.filter(pk__in=missing[:MAX_EXAMPLES]).order_by("pk")
        for pk, resource_type, source_id, title in examples.values_list("pk", "resource_type", "source_id", "title"):
            result.example(
                "unpublish", {"id": pk, "resource_type": resource_type, "source_id": source_id, "title": title}
            )
        if self.write_failures:
            result.needs_review = True
            result.review_reason = (
                f"{self.write_failures} records could not be written; nothing was unpublished. "
                "Fix the errors and load again."
            )
            return
        if stopped:
            share = result.guard_verdict["share"]
            result.needs_review = True
            result.review_reason = (
                f"{len(missing)} of {published_before} published resources ({share:.0%}) are missing from the "
                f"snapshot, more than the {self.guard:.0%} guard allows; nothing was unpublished. "
                "Check the source, then load again with force to unpublish them."
            )
            return
        now = timezone.now()
        removed = sorted(row.pk for row in missing_rows if row.published and not row.hidden)
        with transaction.atomic():
            for start in range(0, len(missing), self.batch_size):
                ids = missing[start : start + self.batch_size]
                LearningResource.objects.filter(pk__in=ids).update(
                    published=False, source_published=False, updated_at=now
                )
            for start in range(0, len(removed), self.batch_size):
                send_resources_changed(removed_ids=removed[start : start + self.batch_size], sender="catalog")
        result.unpublished = len(missing)
        result.removed_ids.extend(removed)

    def _record_snapshot(self) -> None:
        """Record that the source listed `seen_keys` at `started_at`, writing only the rows whose membership changed.

        A row listed by the previous snapshot but not by this one keeps that snapshot's time as its own last_seen;
        a row listed again (or for the first time without being written) joins. Rows written by this load joined
        when they were written.
        """
        previous = SourceSnapshot.objects.filter(source=self.source).values_list("loaded_at", flat=True).first()
        left, joined = [], []
        for key, row in self.stored.items():
            if key in self.seen_keys:
                if not row.in_source_snapshot:
                    joined.append(row.pk)
            elif row.in_source_snapshot:
                left.append(row.pk)
        rows = LearningResource.objects.filter(source=self.source)
        with transaction.atomic():
            changes = {"in_source_snapshot": False}
            if previous:
                changes["last_seen"] = Greatest("last_seen", Value(previous, output_field=DateTimeField()))
            for start in range(0, len(left), self.batch_size):
                rows.filter(pk__in=left[start : start + self.batch_size]).update(**changes)
            for start in range(0, len(joined), self.batch_size):
                ids = joined[start : start + self.batch_size]
                rows.filter(pk__in=ids, in_source_snapshot=False).update(in_source_snapshot=True)
            SourceSnapshot.objects.update_or_create(
                source=self.source, defaults={"loaded_at": self.started_at, "records": len(self.seen_keys)}
            )


def load_resources(
    source: str,
    records: Iterable[ResourceRecord | dict],
    *,
    full_snapshot: bool = True,
    force: bool = False,
    dry_run: bool = False,
    unpublish_guard: float | None = None,
    batch_size: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> LoadResult:
    """Load `records` of `source` into the catalogue and return what happened.

    - records: ResourceRecord models or dicts in that shape; any iterable, read once in batches (a generator of
      100k records is fine). Invalid records are reported in `errors` (source id, field, message) and skipped.
    - full_snapshot: the records are everything the source has; its published rows not among them are
      unpublished, unless more than `unpublish_guard` (default settings.CATALOG_UNPUBLISH_GUARD) of them would
      go: then nothing is unpublished and the result has `needs_review`. `force` unpublishes anyway. An empty
      snapshot never unpublishes.
    - dry_run: compute the same counts and examples, write nothing (everything is rolled back).
    - progress: called with the number of records read after each batch.
    `resources_changed` is sent after each batch commits (never for a dry run).
    """
    loader = ResourceLoader(
        source,
        full_snapshot=full_snapshot,
        force=force,
        dry_run=dry_run,
        guard=unpublish_guard,
        batch_size=batch_size,
    )
    if not dry_run:
        return loader.run(records, progress)
    with transaction.atomic():
        result = loader.run(records, progress)
        transaction.set_rollback(True)
    return result
