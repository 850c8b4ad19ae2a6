"""PostHog views: PostHog's batch export of events to S3, Parquet files (`*.parquet.zst`: zstd inside) → views per
resource, for `catalog.loader.views.load_view_records`.

extract: the export files under POSTHOG_EVENT_S3_BUCKET / POSTHOG_EVENT_S3_PREFIX modified in the last
POSTHOG_VIEW_WINDOW_DAYS (+1) days, one document each.
transform: the events named in POSTHOG_VIEW_EVENTS (`lrd_view`, `lrd_open`, `$pageview`) whose time is within
POSTHOG_VIEW_WINDOW_DAYS of the newest event of the snapshot, counted per resource key: the resource id in the
event's properties (`resource.id`, `learning_resource_id`, `resourceId`), else the site's resource page
`/catalog/<slug>/` of its URL, else the resource URL it names (the loader compares it with resources' own URLs).
A page view counts only on a resource page; a resource event naming no resource is reported as a rejected record;
other events are ignored.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone

import pyarrow as pa
import pyarrow.parquet as pq

from catalog.schemas import RejectedRecord

from ..errors import ImportFetchError, TransformError
from ..registry import register
from .base import Snapshot, SnapshotDocument, Source

COLUMNS = ("uuid", "event", "timestamp", "properties")
REQUIRED = ("event", "timestamp", "properties")
ZSTD_FRAME = b"\x28\xb5\x2f\xfd"
READ_BATCH_ROWS = 10_000
MAX_REJECTED = 100  # rejected events reported one by one per snapshot; the rest are summed in a warning
_CATALOG_PATH = re.compile(r"^/catalog/(?P<slug>[-a-zA-Z0-9_]+)/?$")
# Paths under /catalog/ that are listings, not resources.
_NOT_RESOURCES = {"topics", "offerors"}


def parquet_file(document: SnapshotDocument) -> pq.ParquetFile:
    """The document as a Parquet file; a whole-file zstd frame is unwrapped first (pyarrow has the codec).
    TransformError naming the document when it is neither."""
    content = document.content
    try:
        if content[:4] == ZSTD_FRAME:
            content = pa.input_stream(pa.BufferReader(content), compression="zstd").read()
        return pq.ParquetFile(pa.BufferReader(content))
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise TransformError(f"not a readable Parquet file: {exc}", document=document.name) from None


def resource_id(properties: dict) -> int | None:
    """The resource id an event names (MIT Learn's `lrd_view`/`lrd_open` events carry one of these)."""
    resource = properties.get("resource")
    candidates = [resource.get("id") if isinstance(resource, dict) else None]
    candidates += [properties.get(key) for key in ("learning_resource_id", "resourceId", "resource_id")]
    for value in candidates:
        try:
            number = int(str(value).strip())
        except (TypeError, ValueError):
            continue
        if number > 0:
            return number
    return None


def page_key(properties: dict, *, pageview: bool) -> tuple[str, str] | None:
    """("slug", slug) for a view of our resource page `/catalog/<slug>/`; for a resource event (not a page view),
    ("url", url) of the resource's URL it names (or the page it happened on); else None."""
    url = str(properties.get("$current_url") or "").strip()
    path = str(properties.get("$pathname") or (urlsplit(url).path if url else "")).strip()
    match = _CATALOG_PATH.match(path)
    if match and match["slug"] not in _NOT_RESOURCES:
        return "slug", match["slug"]
    if pageview:
        return None  # a page of the site that is not a resource
    resource = properties.get("resource")
    for candidate in (
        resource.get("url") if isinstance(resource, dict) else None,
        properties.get("url"),
        properties.get("resource_url"),
        url,
    ):
        if isinstance(candidate, str) and candidate.strip().startswith(("http://", "https://")):
            return "url", candidate.strip()
    return None


@register
class PostHogViews(Source):
    name = "posthog_views"
    title = "PostHog views"
    kind = "catalogue"
    description = "Resource view counts from PostHog's Parquet export of events in S3 (popularity for search)."
    default_schedule = {"minutes": 180}  # MIT Learn's cadence: every 3 hours
    loader = "catalog.loader.views.load_view_records"
    document_name = "events.parquet.zst"

    @classmethod
    def default_config(cls) -> dict:
        return {
            "bucket": settings.POSTHOG_EVENT_S3_BUCKET,
            "prefix": settings.POSTHOG_EVENT_S3_PREFIX,
            "window_days": settings.POSTHOG_VIEW_WINDOW_DAYS,
            "events": list(settings.POSTHOG_VIEW_EVENTS),
        }

    def not_configured(self) -> str:
        return "" if self.config.get("bucket") else "set POSTHOG_EVENT_S3_BUCKET (and its prefix)"

    def extract(self, http) -> Iterator[SnapshotDocument]:
        from ..transports.s3 import S3Reader

        if self.not_configured():
            raise ImportFetchError(f"PostHog views are not configured: {self.not_configured()}")
        reader = S3Reader(self.config["bucket"])
        prefix = self.config.get("prefix") or ""
        since = timezone.now() - timedelta(days=int(self.config["window_days"]) + 1)
        found = False
        for item in sorted(reader.list(prefix), key=lambda item: item["Key"]):
            if not item["Key"].endswith((".parquet", ".parquet.zst", ".zst")):
                continue
            if item.get("LastModified") and item["LastModified"] < since:
                continue
            found = True
            yield reader.read(item["Key"], name=item["Key"][len(prefix) :].lstrip("/") or item["Key"])
        if not found:
            raise ImportFetchError(
                f"no PostHog export files under s3://{self.config['bucket']}/{prefix} since {since:%Y-%m-%d}"
            )

    def transform(self, snapshot: Snapshot) -> Iterator[dict | RejectedRecord]:
        wanted = set(self.config.get("events") or [])
        window = int(self.config.get("window_days") or 30)
        # (kind, value) → {day: views}; kept per day so the window can be cut once the newest event is known.
        per_day: dict[tuple[str, str | int], Counter] = defaultdict(Counter)
        newest: datetime | None = None
        rejected = other = 0
        for document in snapshot.documents:
            for index, row in self._rows(document):
                if row.get("event") not in wanted:
                    other += 1
                    continue
                where = f"{document.name} row {index}"
                ident = str(row.get("uuid") or where)
                when = row.get("timestamp")
                if isinstance(when, str):
                    try:
                        when = datetime.fromisoformat(when.strip().replace("Z", "+00:00"))
                    except ValueError:
                        when = None
                if not isinstance(when, datetime):
                    rejected += 1
                    if rejected <= MAX_REJECTED:
                        yield RejectedRecord.of(ident, "timestamp", f"{where}: the event has no time")
                    continue
                try:
                    properties = json.loads(row.get("properties") or "{}")
                except (TypeError, ValueError):
                    properties = None
                if not isinstance(properties, dict):
                    rejected += 1
                    if rejected <= MAX_REJECTED:
                        yield RejectedRecord.of(ident, "properties", f"{where}: properties are not a JSON object")
                    continue
                pageview = row["event"] == "$pageview"
                pk = None if pageview else resource_id(properties)
                key = ("resource_id", pk) if pk else page_key(properties, pageview=pageview)
                if key is None and pageview:
                    other += 1
                    continue
                if key is None:
                    rejected += 1
                    if rejected <= MAX_REJECTED:
                        yield RejectedRecord.of(
                            ident, "properties", f"{where}: a {row['event']} event with no resource id and no URL"
                        )
                    continue
                when = when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)  # days are UTC days
                newest = max(newest, when) if newest else when
                per_day[key][when.date()] += 1
        if rejected > MAX_REJECTED:
            self.warn(f"{rejected} view events could not be read; the first {MAX_REJECTED} are listed as errors")
        if newest is None:
            self.warn(f"no {', '.join(sorted(wanted))} events in the snapshot ({other} other events)")
            return
        first_day: date = (newest - timedelta(days=window)).date()
        counted = older = 0
        for (kind, value), days in sorted(per_day.items(), key=lambda item: (item[0][0], str(item[0][1]))):
            views = sum(n for day, n in days.items() if day > first_day)
            older += sum(n for day, n in days.items() if day <= first_day)
            if views:
                counted += views
                yield {kind: value, "views": views}
        self.warn(
            f"{counted} views counted in the {window} days to {newest:%Y-%m-%d %H:%M} UTC; {older} older views "
            f"and {other} other events ignored"
        )

    def _rows(self, document: SnapshotDocument) -> Iterator[tuple[int, dict]]:
        parquet = parquet_file(document)
        names = set(parquet.schema_arrow.names)
        missing = [column for column in REQUIRED if column not in names]
        if missing:
            raise TransformError(
                f"not a PostHog event export: no column {', '.join(repr(c) for c in missing)} "
                f"(columns: {', '.join(sorted(names)[:12])})",
                document=document.name,
            )
        index = 0
        try:
            for batch in parquet.iter_batches(batch_size=READ_BATCH_ROWS, columns=[c for c in COLUMNS if c in names]):
                for row in batch.to_pylist():
                    yield index, row
                    index += 1
        except (pa.ArrowException, OSError) as exc:
            raise TransformError(
                f"the Parquet file is damaged: {exc}", document=document.name, location=f"row {index}"
            ) from None
