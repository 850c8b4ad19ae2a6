"""View counts: the only writer of `LearningResource.view_count`.

`load_view_counts(counts)` writes the numbers; `load_view_records(source, records, ...)` is the runner's loader for
analytics sources (importers/sources/posthog.py): it matches each record to a resource and then writes.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from itertools import islice
from urllib.parse import urlsplit

from django.db import transaction

from catalog.models import LearningResource
from catalog.schemas import RecordError, RejectedRecord
from catalog.signals import send_resources_changed

from .result import MAX_EXAMPLES, LoadResult

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
MAX_UNMATCHED_EXAMPLES = 5


def _chunks(values: Iterable, size: int = BATCH_SIZE) -> Iterator[list]:
    iterator = iter(values)
    while chunk := list(islice(iterator, size)):
        yield chunk


def load_view_counts(
    counts: Mapping[int, int],
    *,
    reset_missing: bool = True,
    dry_run: bool = False,
    result: LoadResult | None = None,
) -> LoadResult:
    """Set `view_count` of the resources in `counts` (resource id → views) and return what changed.

    - One UPDATE per batch of BATCH_SIZE changed rows (`bulk_update`), each batch in its own transaction, after
      which `resources_changed` is sent for its ids so the search index picks up the new popularity.
    - Rows whose count is already right are not written (`unchanged`); ids that are not in the catalogue are
      ignored (the caller matched them; a resource deleted since is no error).
    - `reset_missing`: every other resource with views is set to 0 (its views left the window).
    - `dry_run` counts the same and writes nothing.
    `updated` counts written rows (resets included), `unchanged` rows already right; `changed_ids` lists them.
    """
    result = result or LoadResult(source="view_counts", dry_run=dry_run)
    wanted = {int(pk): max(int(views), 0) for pk, views in counts.items()}
    changed: list[tuple[int, int]] = []
    for chunk in _chunks(sorted(wanted)):
        for pk, current in LearningResource.objects.filter(pk__in=chunk).values_list("pk", "view_count"):
            if current == wanted[pk]:
                result.unchanged += 1
            else:
                changed.append((pk, wanted[pk]))
    if reset_missing:
        # Subtracted here, not with NOT IN: `wanted` may hold more ids than a query can take parameters.
        with_views = LearningResource.objects.filter(view_count__gt=0).order_by("pk").values_list("pk", flat=True)
        changed.extend((pk, 0) for pk in with_views.iterator() if pk not in wanted)
    result.would_update_count += len(changed)
    for pk, views in changed[:MAX_EXAMPLES]:
        result.example("update", {"source_id": str(pk), "view_count": views})
    if dry_run:
        return result
    for chunk in _chunks(changed):
        rows = [LearningResource(pk=pk, view_count=views) for pk, views in chunk]
        with transaction.atomic():
            LearningResource.objects.bulk_update(rows, ["view_count"], batch_size=BATCH_SIZE)
            send_resources_changed(changed_ids=[pk for pk, _ in chunk], sender=LearningResource)
        result.updated += len(chunk)
        result.changed_ids.extend(pk for pk, _ in chunk)
    return result


# --- matching records to resources ----------------------------------------------------------------------------


def url_key(url: str) -> str:
    """A URL compared loosely: host (without www.) and path (without a trailing slash), lower-cased; no scheme,
    query or fragment."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower().removeprefix("www.")
    return f"{host}{parts.path.rstrip('/')}".lower()


def _positive_int(value) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


class _Matcher:
    """Record keys → resource ids, looked up in bulk: ids, catalogue slugs and resource URLs."""

    def __init__(self, records: list[dict]):
        ids = {pk for r in records if (pk := _positive_int(r.get("resource_id")))}
        slugs = {r["slug"] for r in records if r.get("slug")}
        urls = {url_key(r["url"]) for r in records if r.get("url")}
        self.ids: set[int] = set()
        for chunk in _chunks(sorted(ids)):
            self.ids.update(LearningResource.objects.filter(pk__in=chunk).values_list("pk", flat=True))
        self.slugs: dict[str, int] = {}
        for chunk in _chunks(sorted(slugs)):
            self.slugs.update(LearningResource.objects.filter(slug__in=chunk).values_list("slug", "pk"))
        self.urls: dict[str, int] = {}
        if urls:
            # Resource URLs differ from the tracked ones in scheme, www. and trailing slashes: compare keys. One
            # pass over the URLs of the catalogue (a column read, no model instances).
            for pk, url in LearningResource.objects.exclude(url="").values_list("pk", "url").order_by("pk").iterator():
                key = url_key(url)
                if key in urls:
                    self.urls.setdefault(key, pk)

    def match(self, record: dict) -> int | None:
        pk = _positive_int(record.get("resource_id"))
        if pk and pk in self.ids:
            return pk
        if record.get("slug") and record["slug"] in self.slugs:
            return self.slugs[record["slug"]]
        if record.get("url"):
            return self.urls.get(url_key(record["url"]))
        return None


def _describe(record: dict) -> str:
    for key in ("resource_id", "slug", "url"):
        if record.get(key):
            return f"{key} {record[key]}"
    return "nothing"


def load_view_records(
    source: str,
    records: Iterable[dict | RejectedRecord],
    *,
    full_snapshot: bool = True,
    force: bool = False,
    dry_run: bool = False,
    unpublish_guard: float | None = None,
) -> LoadResult:
    """The runner's loader for view-count sources: records `{"views": n}` with `resource_id` (ours), `slug` (the
    resource page `/catalog/<slug>/`) or `url` (the resource's own URL), tried in that order.

    - Views of records that match one resource are summed and written by `load_view_counts`.
    - A record matching no resource is not an error (a deleted resource, a page that is not a resource): the
      warnings say how many views went unmatched, with examples. `RejectedRecord`s are reported as errors.
    - With `full_snapshot`, resources left out get 0 views (their views left the window). A snapshot with no views
      at all changes nothing (an export that stopped is no reason to forget popularity). There is no unpublish
      guard: counts are not publication, and the next run corrects a bad one; `force` and `unpublish_guard` are
      accepted for the runner's sake.
    """
    started = time.monotonic()
    result = LoadResult(source=source, dry_run=dry_run, full_snapshot=full_snapshot)
    valid: list[dict] = []
    for record in records:
        if isinstance(record, RejectedRecord):
            result.add_errors(list(record.errors))
            continue
        views = _positive_int(record.get("views")) if isinstance(record, dict) else None
        if views is None:
            ident = _describe(record) if isinstance(record, dict) else type(record).__name__
            result.add_errors([RecordError(ident[:255], "views", "expected a positive number of views", "")])
            continue
        valid.append({**record, "views": views})

    matcher = _Matcher(valid)
    counts: dict[int, int] = defaultdict(int)
    unmatched_views, unmatched = 0, []
    for record in valid:
        pk = matcher.match(record)
        if pk is None:
            unmatched_views += record["views"]
            unmatched.append(record)
        else:
            counts[pk] += record["views"]
    matched_views = sum(counts.values())
    result.warnings.append(
        f"{matched_views} view(s) matched {len(counts)} resource(s); {unmatched_views} view(s) of "
        f"{len(unmatched)} page(s) or id(s) matched no resource"
    )
    if unmatched:
        top = sorted(unmatched, key=lambda r: -r["views"])[:MAX_UNMATCHED_EXAMPLES]
        result.warnings.append(
            "unmatched, most viewed first: " + "; ".join(f"{_describe(r)} ({r['views']})" for r in top)
        )

    reset = full_snapshot
    if not valid:
        result.warnings.append("the snapshot holds no views; view counts were left as they were")
        reset = False
    load_view_counts(counts, reset_missing=reset, dry_run=dry_run, result=result)
    result.duration_seconds = time.monotonic() - started
    return result
