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

from django.db import transaction
from django.utils import timezone

from catalog.loader.result import LoadResult
from catalog.models import Topic
from catalog.schemas import RecordError

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
    values["summary"] = clean_html(record.summary, base_url=base)
    values["content"] = clean_html(record.content, base_url=base)
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
    records: Iterable[FeedItemRecord | dict],
    *,
    full_snapshot: bool = True,
    force: bool = False,
    dry_run: bool = False,
    unpublish_guard=None,
) -> LoadResult:
    """Upsert `source`'s feed items from `records`; return counts, errors and the ids that changed.

    - Each record is validated on its own: a bad one is reported (guid, field, message) and the others load.
    - Summary and content are sanitised (nh3); relative links and images resolve against the item's link.
    - Duplicates within the snapshot (same guid, or same link and title) collapse to the first; a news item whose
      guid changed but whose link is known updates the existing row.
    - An item whose date could not be read keeps the time of the import and `date_estimated=True`; that time is
      not part of the change check, so a re-import leaves it alone.
    - With `full_snapshot`, items that vanished from the feed are removed — but only when the feed returned at
      least one valid item (an empty or unreadable feed deletes nothing).
    - `dry_run` computes the same counts and examples and writes nothing.
    `force` and `unpublish_guard` are accepted for the runner's sake: feeds roll over by design, so no guard applies.
    """
    result = LoadResult(source=source, dry_run=dry_run, full_snapshot=full_snapshot)
    duplicates = 0
    started = time.monotonic()
    now = timezone.now()
    topics = _TopicResolver()
    seen_guids: set[str] = set()
    seen_links: set[tuple[str, str]] = set()
    kept_ids: set[int] = set()

    def valid_records() -> Iterator[FeedItemRecord]:
        for data in records:
            record, errors = validate_item(data)
            if errors:
                result.add_errors([RecordError(e["source_id"], e["field"], e["message"], "feed_item") for e in errors])
                continue
            # The same guid, or the same link and title (a feed that lists an item twice under two ids). Items
            # that only share a link stay apart: two events of a series may point to one page.
            if record.guid in seen_guids or (record.link and (record.link, record.title) in seen_links):
                nonlocal duplicates
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
        if seen_guids:
            _remove_vanished(source, kept_ids, result, dry_run)
        else:
            result.warnings.append("the feed returned no valid items; existing items were kept")

    if not dry_run and (result.changed_ids or result.removed_ids):
        changed, removed = list(result.changed_ids), list(result.removed_ids)
        transaction.on_commit(
            lambda: feed_items_changed.send(sender=FeedItem, changed_ids=changed, removed_ids=removed)
        )
    result.duration_seconds = time.monotonic() - started
    return result


def _load_batch(source, batch, now, topics, result: LoadResult, kept_ids: set[int], dry_run: bool) -> None:
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
    to_create, to_update, topic_writes, unchanged_ids = [], [], [], []
    for record in batch:
        values = _prepare(record, now)
        topic_ids = topics.ids([*record.topics, *record.categories])
        digest = _hash(values, topic_ids)
        item = existing.get(record.guid) or (by_link.pop(record.link, None) if record.item_type == "news" else None)
        if item is None:
            item = FeedItem(source=source, guid=record.guid, content_hash=digest, last_seen=now, **values)
            to_create.append(item)
            topic_writes.append((item, topic_ids))
            result.example("create", _example(record))
            continue
        kept_ids.add(item.pk)
        if item.content_hash == digest and item.guid == record.guid:
            result.unchanged += 1
            unchanged_ids.append(item.pk)
            continue
        if values["date_estimated"] and item.published_at:
            values["published_at"] = item.published_at  # keep the first estimate
        for name, value in values.items():
            setattr(item, name, value)
        item.guid = record.guid
        item.content_hash = digest
        item.last_seen = now
        item.updated_at = now
        to_update.append(item)
        topic_writes.append((item, topic_ids))
        result.example("update", _example(record))

    result.created += len(to_create)
    result.updated += len(to_update)
    if dry_run:
        return
    with transaction.atomic():
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
        if unchanged_ids:
            FeedItem.objects.filter(pk__in=unchanged_ids, last_seen__lt=now).update(last_seen=now)
        through = FeedItem.topics.through
        through.objects.filter(feeditem_id__in=[item.pk for item in to_update]).delete()
        through.objects.bulk_create(
            [through(feeditem_id=item.pk, topic_id=topic_id) for item, ids in topic_writes for topic_id in ids],
            ignore_conflicts=True,
        )
    for item in to_create:
        kept_ids.add(item.pk)
    result.changed_ids.extend(item.pk for item in [*to_create, *to_update])


def _remove_vanished(source: str, kept_ids: set[int], result: LoadResult, dry_run: bool) -> None:
    vanished = FeedItem.objects.filter(source=source).exclude(pk__in=kept_ids)
    if dry_run:
        rows = list(vanished.values_list("guid", "title"))
        result.unpublished = len(rows)
        for guid, title in rows:
            result.example("unpublish", {"source_id": guid, "title": title})
        return
    ids = list(vanished.values_list("pk", flat=True))
    if ids:
        FeedItem.objects.filter(pk__in=ids).delete()
    result.unpublished = len(ids)
    result.removed_ids = ids
