"""The only writer of FeedItem rows: validates, sanitises, de-duplicates and upserts a feed's items.

Same call shape and result shape as catalog.loader.load_resources, so the importers runner treats news sources
like any other.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Iterable, Iterator
from itertools import islice

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, transaction
from django.utils import timezone

from catalog.loader.result import MAX_EXAMPLES, LoadResult
from catalog.models import Topic
from catalog.schemas import RecordError, RejectedRecord

from .feed_html import is_tracker, tidy_feed_html
from .models import FeedItem
from .schemas import FeedItemRecord, validate_item
from .signals import feed_items_changed

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
# Fields copied from a record onto the row (topics are written separately).
ROW_FIELDS = (
    "item_type",
    "title",
    "summary",
    "content",
    "link",
    "author",
    "published_at",
    "date_estimated",
    "image_url",
    "image_alt",
    "categories",
    "starts_at",
    "ends_at",
    "location",
    "online",
    "registration_url",
)


def clean_html(html: str, base_url: str | None = None) -> str:
    from catalog.sanitize import clean_html as catalog_clean_html

    return catalog_clean_html(html, base_url=base_url)


def _example(record: FeedItemRecord) -> dict:
    return {"source_id": record.guid, "title": record.title}


class _TopicResolver:
    """Topic names → existing Topic ids (case-insensitive; "Parent > Child" matches the child). Feed topics
    never create catalogue topics: unknown names stay in the item's `categories`."""

    def __init__(self):
        self._by_name: dict[str, int] | None = None

    def ids(self, names: Iterable[str]) -> list[int]:
        if self._by_name is None:
            self._by_name = {}
            for pk, name in Topic.objects.values_list("pk", "name"):
                self._by_name.setdefault(name.strip().lower(), pk)
        found = []
        for name in names:
            key = name.split(">")[-1].strip().lower()
            pk = self._by_name.get(key)
            if pk and pk not in found:
                found.append(pk)
        return found


def _prepare(record: FeedItemRecord, now) -> dict:
    base = record.link or None
    values = {name: getattr(record, name) for name in ROW_FIELDS}
    values["item_type"] = str(record.item_type.value if hasattr(record.item_type, "value") else record.item_type)
    if values["image_url"] and is_tracker(values["image_url"]):
        values["image_url"] = ""  # a feed whose only picture is its tracking pixel has no image
    lead = values["image_url"]
    # Sanitised, then without tracking pixels and without the item's own image repeated at the top of the body.
    values["summary"] = tidy_feed_html(clean_html(record.summary, base_url=base), lead_image_url=lead)
    values["content"] = tidy_feed_html(clean_html(record.content, base_url=base), lead_image_url=lead)
    values["categories"] = list(dict.fromkeys(c.strip() for c in record.categories if c.strip()))
    if values["published_at"] is None:
        values["published_at"] = now
        values["date_estimated"] = True
    return values


def _hash(values: dict, topic_ids: list[int]) -> str:
    payload = {**values, "topics": sorted(topic_ids)}
    if payload.get("date_estimated"):
        # An estimated date is the time of the import: it must not make an unchanged item look changed.
        payload.pop("published_at", None)
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _batches(iterable: Iterable, size: int) -> Iterator[list]:
    iterator = iter(iterable)
    while batch := list(islice(iterator, size)):
        yield batch


def load_feed_items(
    source: str,
    records: Iterable[FeedItemRecord | RejectedRecord | dict],
    *,
    full_snapshot: bool = True,
    force: bool = False,
    dry_run: bool = False,
    unpublish_guard: float | None = None,
) -> LoadResult:
    """Upsert `source`'s feed items from `records`; return counts, errors and the ids that changed.

    - Each record is validated on its own: a bad one (or a `RejectedRecord` from the source) is reported (guid,
      field, message), its existing row is kept, and the others load. A batch the database refuses is retried
      item by item.
    - Summary and content are sanitised (nh3); relative links and images resolve against the item's link; tracking
      pixels and a repeat of the item's image at the top of the body are removed (news.feed_html).
    - Duplicates within the snapshot (same guid, or same link and title) collapse to the first; a news item whose
      guid changed but whose link is known updates the existing row.
    - An item whose date could not be read keeps the time of the import and `date_estimated=True`; that time is
      not part of the change check, so a re-import leaves it alone.
    - With `full_snapshot`, items that vanished from the feed are removed, guarded as the catalogue is: when more
      than `unpublish_guard` (default settings.NEWS_UNPUBLISH_GUARD) of the feed's items would go, nothing is
      removed and the result `needs_review` (`force` removes anyway); `guard_verdict` and `would_unpublish_count`
      say what the guard saw. A feed that returned no valid item removes nothing, forced or not.
    - `dry_run` computes the same counts and examples and writes nothing.
    Each batch commits on its own (callers need no transaction); `feed_items_changed` is sent after each commit.
    """
    result = LoadResult(source=source, dry_run=dry_run, full_snapshot=full_snapshot)
    guard = settings.NEWS_UNPUBLISH_GUARD if unpublish_guard is None else unpublish_guard
    duplicates = 0
    started = time.monotonic()
    now = timezone.now()
    topics = _TopicResolver()
    seen_guids: set[str] = set()
    seen_links: set[tuple[str, str]] = set()
    kept_ids: set[int] = set()
    rejected_guids: set[str] = set()  # invalid items: their rows are kept as they are
    # The guard's share is of the items the feed had before this load.
    stored_before = FeedItem.objects.filter(source=source).count() if full_snapshot else 0

    def valid_records() -> Iterator[FeedItemRecord]:
        nonlocal duplicates
        for data in records:
            if isinstance(data, RejectedRecord):
                rejected_guids.update(error.source_id for error in data.errors if error.source_id)
                result.add_errors(list(data.errors))
                continue
            record, errors = validate_item(data)
            if errors:
                rejected_guids.update(e["source_id"] for e in errors if e["source_id"])
                result.add_errors([RecordError(e["source_id"], e["field"], e["message"], "feed_item") for e in errors])
                continue
            # The same guid, or the same link and title (a feed that lists an item twice under two ids). Items
            # that only share a link stay apart: two events of a series may point to one page.
            if record.guid in seen_guids or (record.link and (record.link, record.title) in seen_links):
                duplicates += 1
                continue
            seen_guids.add(record.guid)
            if record.link:
                seen_links.add((record.link, record.title))
            yield record

    for batch in _batches(valid_records(), BATCH_SIZE):
        _load_batch(source, batch, now, topics, result, kept_ids, dry_run)

    if duplicates:
        result.warnings.append(f"{duplicates} duplicate item(s) (same guid or link) collapsed into one")
    if full_snapshot:
        _remove_vanished(
            source, stored_before, kept_ids, rejected_guids, result, dry_run, guard, force, bool(seen_guids)
        )
    result.would_create_count = result.created
    result.would_update_count = result.updated
    result.duration_seconds = time.monotonic() - started
    return result


def _send_after_commit(changed: list[int], removed: list[int]) -> None:
    if changed or removed:
        transaction.on_commit(
            lambda: feed_items_changed.send(sender=FeedItem, changed_ids=changed, removed_ids=removed)
        )


class _Plan:
    """What one batch will write; counted on the result only once it is committed."""

    def __init__(self):
        self.to_create: list[FeedItem] = []
        self.to_update: list[FeedItem] = []
        self.topic_writes: list[tuple[FeedItem, list[int]]] = []
        self.unchanged_ids: list[int] = []
        self.kept_ids: list[int] = []
        self.examples: list[tuple[str, dict]] = []


def _load_batch(source, batch, now, topics, result: LoadResult, kept_ids: set[int], dry_run: bool) -> None:
    """Plan and write one batch in its own transaction; when the database refuses it, item by item."""
    plan = _plan_batch(source, batch, now, topics)
    if not dry_run:
        try:
            with transaction.atomic():
                _write_plan(source, plan, now)
                _send_after_commit([item.pk for item in [*plan.to_create, *plan.to_update]], [])
        except (OperationalError, InterfaceError):
            # The database itself is away or locked, not this batch's items: blaming them one by one would be
            # wrong. The load stops; committed batches stay; the next run completes it.
            raise
        except DatabaseError as exc:
            if len(batch) > 1:
                logger.warning("news load %s: a batch failed (%s); retrying its items one by one", source, exc)
                for record in batch:
                    _load_batch(source, [record], now, topics, result, kept_ids, dry_run)
                return
            logger.exception("news load %s: item %s could not be written", source, batch[0].guid)
            result.add_errors([RecordError(batch[0].guid, "", f"could not be written: {exc}", "feed_item")])
            kept_ids.update(plan.kept_ids)  # its stored row (if any) stays
            return
        kept_ids.update(item.pk for item in plan.to_create)
        result.changed_ids.extend(item.pk for item in [*plan.to_create, *plan.to_update])
    kept_ids.update(plan.kept_ids)
    result.created += len(plan.to_create)
    result.updated += len(plan.to_update)
    result.unchanged += len(plan.unchanged_ids)
    for kind, example in plan.examples:
        result.example(kind, example)


def _plan_batch(source, batch, now, topics) -> _Plan:
    plan = _Plan()
    guids = [record.guid for record in batch]
    # An existing news item whose guid changed is found by its link (events of a series may share a link).
    links = [record.link for record in batch if record.link and record.item_type == "news"]
    existing = {item.guid: item for item in FeedItem.objects.filter(source=source, guid__in=guids)}
    by_link = {}
    if links:
        by_link = {
            item.link: item
            for item in FeedItem.objects.filter(source=source, item_type="news", link__in=links).exclude(guid__in=guids)
        }
    for record in batch:
        values = _prepare(record, now)
        topic_ids = topics.ids([*record.topics, *record.categories])
        digest = _hash(values, topic_ids)
        item = existing.get(record.guid) or (by_link.pop(record.link, None) if record.item_type == "news" else None)
        if item is None:
            item = FeedItem(source=source, guid=record.guid, content_hash=digest, last_seen=now, **values)
            plan.to_create.append(item)
            plan.topic_writes.append((item, topic_ids))
            plan.examples.append(("create", _example(record)))
            continue
        plan.kept_ids.append(item.pk)
        if item.content_hash == digest and item.guid == record.guid:
            plan.unchanged_ids.append(item.pk)
            continue
        if values["date_estimated"] and item.published_at:
            values["published_at"] = item.published_at  # keep the first estimate
        for name, value in values.items():
            setattr(item, name, value)
        item.guid = record.guid
        item.content_hash = digest
        item.last_seen = now
        item.updated_at = now
        plan.to_update.append(item)
        plan.topic_writes.append((item, topic_ids))
        plan.examples.append(("update", _example(record)))
    return plan


def _write_plan(source: str, plan: _Plan, now) -> None:
    to_create, to_update = plan.to_create, plan.to_update
    FeedItem.objects.bulk_create(to_create)
    if not all(item.pk for item in to_create):  # backends without RETURNING ids
        ids = dict(
            FeedItem.objects.filter(source=source, guid__in=[i.guid for i in to_create]).values_list("guid", "pk")
        )
        for item in to_create:
            item.pk = ids[item.guid]
    if to_update:
        FeedItem.objects.bulk_update(
            to_update, [*ROW_FIELDS, "guid", "content_hash", "last_seen", "updated_at"], batch_size=BATCH_SIZE
        )
    if plan.unchanged_ids:
        FeedItem.objects.filter(pk__in=plan.unchanged_ids, last_seen__lt=now).update(last_seen=now)
    through = FeedItem.topics.through
    through.objects.filter(feeditem_id__in=[item.pk for item in to_update]).delete()
    through.objects.bulk_create(
        [through(feeditem_id=item.pk, topic_id=topic_id) for item, ids in plan.topic_writes for topic_id in ids],
        ignore_conflicts=True,
    )


def _remove_vanished(
    source: str,
    total: int,
    kept_ids: set[int],
    rejected_guids: set[str],
    result: LoadResult,
    dry_run: bool,
    guard: float,
    force: bool,
    any_valid: bool,
) -> None:
    """Remove the feed's items missing from the snapshot, unless the guard stops it (then: needs review)."""
    vanished = FeedItem.objects.filter(source=source).exclude(pk__in=kept_ids).exclude(guid__in=rejected_guids)
    if not any_valid:
        # An empty feed removes nothing, forced or not; it is no reason for review (an events feed between
        # seasons is empty).
        result.warnings.append("the feed returned no valid items; existing items were kept")
        return
    rows = list(vanished.order_by("-published_at", "-pk").values_list("pk", "guid", "title"))
    if not rows:
        return
    stopped = result.judge_unpublish(len(rows), total, guard, force)
    for _pk, guid, title in rows[:MAX_EXAMPLES]:
        result.example("unpublish", {"source_id": guid, "title": title})
    if stopped:
        share = result.guard_verdict["share"]
        result.needs_review = True
        result.review_reason = (
            f"{len(rows)} of {total} items ({share:.0%}) are missing from the feed, more than the {guard:.0%} "
            "guard allows; nothing was removed. Check the feed, then load again with force to remove them."
        )
        return
    ids = [pk for pk, _guid, _title in rows]
    result.unpublished = len(ids)
    if dry_run:
        return
    with transaction.atomic():
        for start in range(0, len(ids), BATCH_SIZE):
            FeedItem.objects.filter(pk__in=ids[start : start + BATCH_SIZE]).delete()
        _send_after_commit([], ids)
    result.removed_ids = ids
