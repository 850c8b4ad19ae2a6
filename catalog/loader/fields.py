"""Partial updates: given fields of existing resources, supplied by a source that does not own the rows.

    update_resource_fields(supplier, updates, *, dry_run=False) -> LoadResult

The marketing pages (importers/sources/marketing_pages.py) supply `full_description` of resources that a catalogue
source (xpro, mitpe, sloan, ...) created. An update names its resource by the owning catalogue source, type and id:

    {"resource_source": "mitpe", "resource_type": "course", "source_id": "…", "full_description": "<p>…</p>"}

- Only the fields in UPDATABLE_FIELDS may be given (HTML, sanitised here like the loader does); another field, a
  value over IMPORT_MAX_DESCRIPTION_CHARS or a resource that is not in the catalogue is that update's error (or
  warning, for a missing resource), and the others load.
- Lock-aware: a field an editor locked keeps the editor's value; `source_values[field]` gets the supplied value all
  the same, as the catalogue loader does.
- The row remembers who supplied the field (`source_values["_supplied"][field] = supplier`): the owning source's
  next load then leaves that field as the supplier wrote it (see `RowWriter._update_rows`), so the two sources do
  not overwrite each other's value on alternate runs.
- Rows are read and written per batch (one bulk_update each, in its own transaction); only rows whose values
  change are written, and `resources_changed` is sent for the public ones after each batch commits.

`load_field_records(...)` is the runner's loader (the signature of `load_resources`) for such sources.
`resource_pages(...)` lists the resources whose pages a supplier fetches (a read of the catalogue for sources, which
never use the ORM themselves).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from itertools import islice

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from catalog.browse_counts import catalogue_changed
from catalog.models import LearningResource
from catalog.models.resources import FACET_FIELDS
from catalog.sanitize import clean_html
from catalog.schemas import RecordError, RejectedRecord, strip_control_chars
from catalog.signals import send_resources_changed

from .result import LoadResult

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
# source_values key naming, per field, the source that supplied it (not the row's own source).
SUPPLIED_KEY = "_supplied"
# Fields a partial update may set: HTML, sanitised against the resource's URL, bounded like the loader's.
UPDATABLE_FIELDS = {"full_description": "IMPORT_MAX_DESCRIPTION_CHARS", "description": "IMPORT_MAX_DESCRIPTION_CHARS"}
KEY_FIELDS = ("resource_source", "resource_type", "source_id")
MAX_MISSING_EXAMPLES = 5


def _chunks(values: Iterable, size: int) -> Iterator[list]:
    iterator = iter(values)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _checked(update, result: LoadResult) -> dict | None:
    """The update as {key fields..., "values": {field: raw value}}; None (and its errors recorded) when it is bad."""
    if isinstance(update, RejectedRecord):
        result.add_errors(list(update.errors))
        return None
    if not isinstance(update, dict):
        result.add_errors([RecordError("", "", f"an update must be a mapping, not {type(update).__name__}")])
        return None
    update = strip_control_chars(update)
    source_id = str(update.get("source_id") or "")[:255]
    resource_type = str(update.get("resource_type") or "")
    missing = [name for name in KEY_FIELDS if not str(update.get(name) or "").strip()]
    if missing:
        message = f"an update needs {', '.join(missing)} to name its resource"
        result.add_errors([RecordError(source_id, missing[0], message, resource_type)])
        return None
    values, errors = {}, []
    for name, value in update.items():
        if name in KEY_FIELDS:
            continue
        if name not in UPDATABLE_FIELDS:
            message = f"partial updates write only {', '.join(sorted(UPDATABLE_FIELDS))}, not this field"
            errors.append(RecordError(source_id, name, message, ""))
            continue
        if value is None:
            value = ""
        if not isinstance(value, str):
            errors.append(RecordError(source_id, name, f"expected text, got {type(value).__name__}", ""))
            continue
        limit = getattr(settings, UPDATABLE_FIELDS[name], 100_000)
        if len(value) > limit:
            message = f"{len(value):,} characters, over the limit of {limit:,} ({UPDATABLE_FIELDS[name]})"
            errors.append(RecordError(source_id, name, message, ""))
            continue
        values[name] = value
    if errors:
        result.add_errors([RecordError(e.source_id, e.field, e.message, resource_type) for e in errors])
        return None
    if not values:
        result.add_errors([RecordError(source_id, "", "the update sets no field", resource_type)])
        return None
    return {
        "key": (str(update["resource_source"]).strip(), resource_type.strip(), source_id.strip()),
        "values": values,
    }


def update_resource_fields(
    supplier: str,
    updates: Iterable[dict | RejectedRecord],
    *,
    dry_run: bool = False,
    batch_size: int = BATCH_SIZE,
) -> LoadResult:
    """Set the given fields of existing resources (see the module's docstring). `updated` counts rows whose stored
    values changed (a locked field's `source_values` included), `unchanged` rows already so; a resource that is not
    in the catalogue is a warning (a page of a resource deleted since is no error)."""
    started = time.monotonic()
    result = LoadResult(source=supplier, dry_run=dry_run, full_snapshot=False)
    missing: list[tuple[str, str, str]] = []
    locked_kept = 0
    seen: set[tuple[str, str, str]] = set()

    def checked_updates() -> Iterator[dict]:
        for update in updates:
            item = _checked(update, result)
            if item is None:
                continue
            if item["key"] in seen:
                source_id = item["key"][2]
                result.add_errors(
                    [RecordError(source_id, "source_id", "updated more than once; the first was kept", item["key"][1])]
                )
                continue
            seen.add(item["key"])
            yield item

    for chunk in _chunks(checked_updates(), batch_size):
        rows = _rows_for(chunk)
        now = timezone.now()
        to_write: list[tuple[LearningResource, set[str]]] = []
        for item in chunk:
            row = rows.get(item["key"])
            if row is None:
                missing.append(item["key"])
                continue
            locked = set(row.locked_fields or [])
            source_values = dict(row.source_values or {})
            supplied = dict(source_values.get(SUPPLIED_KEY) or {})
            changed: set[str] = set()
            for name, raw in item["values"].items():
                value = clean_html(raw, row.url or None)
                supplied[name] = supplier
                source_values[name] = value
                if name in locked:
                    locked_kept += 1
                elif getattr(row, name) != value:
                    setattr(row, name, value)
                    changed.add(name)
            source_values[SUPPLIED_KEY] = supplied
            if source_values != (row.source_values or {}):
                row.source_values = source_values
                changed.add("source_values")
            if not changed:
                result.unchanged += 1
                continue
            row.updated_at = now
            to_write.append((row, changed))
        result.would_update_count += len(to_write)
        for row, changed in to_write:
            result.example(
                "update",
                {
                    "id": row.pk,
                    "resource_type": row.resource_type,
                    "source_id": row.source_id,
                    "title": row.title,
                    "fields": sorted(changed - {"source_values"}),
                },
            )
        if dry_run or not to_write:
            continue
        _write(to_write)
        result.updated += len(to_write)
        result.changed_ids.extend(row.pk for row, _ in to_write)

    if missing:
        examples = "; ".join(":".join(key) for key in missing[:MAX_MISSING_EXAMPLES])
        result.warnings.append(f"{len(missing)} update(s) name no resource in the catalogue (e.g. {examples})")
    if locked_kept:
        result.warnings.append(f"{locked_kept} locked field(s) kept the editor's value (source_values has the new one)")
    result.duration_seconds = time.monotonic() - started
    logger.info("partial update %s", result.summary())
    return result


def _rows_for(chunk: list[dict]) -> dict[tuple[str, str, str], LearningResource]:
    by_source: dict[str, set[str]] = {}
    for item in chunk:
        by_source.setdefault(item["key"][0], set()).add(item["key"][2])
    rows = {}
    for source, source_ids in by_source.items():
        queryset = LearningResource.objects.filter(source=source, source_id__in=source_ids).only(
            "id", "source", "resource_type", "source_id", "title", "url", "locked_fields", "source_values",
            "published", "hidden", *UPDATABLE_FIELDS,
        )  # fmt: skip
        rows.update({(row.source, row.resource_type, row.source_id): row for row in queryset})
    return rows


def _write(to_write: list[tuple[LearningResource, set[str]]]) -> None:
    """One transaction: the rows, grouped by the fields that changed; `resources_changed` for the public ones."""
    groups: dict[tuple[str, ...], list[LearningResource]] = {}
    for row, changed in to_write:
        groups.setdefault(tuple(sorted(changed)) + ("updated_at",), []).append(row)
    public = [row.pk for row, changed in to_write if row.published and not row.hidden and changed - {"source_values"}]
    with transaction.atomic():
        for fields, rows in groups.items():
            LearningResource.objects.bulk_update(rows, list(fields), batch_size=250)
        if any(FACET_FIELDS.intersection(fields) for fields in groups):
            catalogue_changed()  # the browse page's precomputed counts (catalog.browse_counts)
        send_resources_changed(changed_ids=public, sender="catalog")


def load_field_records(
    source: str,
    records: Iterable[dict | RejectedRecord],
    *,
    full_snapshot: bool = False,
    force: bool = False,
    dry_run: bool = False,
    unpublish_guard: float | None = None,
) -> LoadResult:
    """The runner's loader for sources that supply fields of other sources' resources (`update_resource_fields`).
    Nothing is ever unpublished: `full_snapshot`, `force` and `unpublish_guard` are accepted for the runner's sake."""
    return update_resource_fields(source, records, dry_run=dry_run)


def resource_pages(sources: Iterable[str], resource_types: Iterable[str], *, limit: int) -> list[dict]:
    """The published resources of `sources` (of `resource_types`) that have a URL, oldest first, at most `limit`:
    [{"resource_source", "resource_type", "source_id", "url"}]."""
    queryset = (
        LearningResource.objects.filter(
            source__in=list(sources), resource_type__in=list(resource_types), published=True
        )
        .exclude(url="")
        .order_by("pk")
        .values_list("source", "resource_type", "source_id", "url")[:limit]
    )
    return [
        {"resource_source": source, "resource_type": resource_type, "source_id": source_id, "url": url}
        for source, resource_type, source_id, url in queryset
    ]
