"""The loader of content files: the only writer of ContentFile rows.

Callers (the content-file importers) hand over a course's files in order — objects with `key`, `title`,
`content_type`, `source_path`, `data` (bytes) or `text`, `file_extension`, `url` and `checksum` — and a function
that turns bytes into text (Tika). catalog stays independent of the importers: it only calls what it is given.

Unchanged files (same checksum, extracted without error before) are skipped without extracting again; a file that
fails extraction, or has neither bytes nor text (an empty file), is stored with its reason and the others carry on;
files missing from a full listing are unpublished. Extraction happens before the single write transaction, so a
failure leaves the rows as they were.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from catalog.models import ContentFile, LearningResource, Run
from catalog.schemas import strip_control_chars
from catalog.signals import send_resources_changed

# Sent after the commit that changed a resource's content files: resource_ids, changed_ids (content files created
# or whose text/title/run/publication changed: their updated_at moved) and removed_ids (unpublished files).
content_files_changed = Signal()


class FileRecord(Protocol):
    key: str
    title: str
    content_type: str
    source_path: str
    data: bytes
    text: str
    file_extension: str
    url: str

    @property
    def checksum(self) -> str: ...


@dataclass
class ContentLoadResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    unpublished: int = 0
    failed: int = 0
    errors: list[dict[str, str]] = field(default_factory=list)
    changed_ids: list[int] = field(default_factory=list)
    removed_ids: list[int] = field(default_factory=list)
    changed_resource_ids: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "unpublished": self.unpublished,
            "failed": self.failed,
            "errors": self.errors,
        }


FIELDS = [
    "run",
    "title",
    "content_type",
    "mime_type",
    "file_extension",
    "source_path",
    "url",
    "content",
    "file_size",
    "checksum",
    "extraction_error",
    "published",
    "updated_at",
]


def load_content_files(
    resource: LearningResource,
    records: Iterable[FileRecord],
    *,
    extract: Callable[[bytes, str], str],
    run: Run | None = None,
    full: bool = True,
    force: bool = False,
) -> ContentLoadResult:
    """Upsert `resource`'s content files from `records`; `extract(data, filename)` returns text or raises.
    `force` reads and extracts every file again, even one whose checksum is unchanged."""
    result = ContentLoadResult()
    existing = {cf.key: cf for cf in ContentFile.objects.filter(resource=resource)}
    to_create: list[ContentFile] = []
    to_update: list[ContentFile] = []
    seen: set[str] = set()
    now = timezone.now()
    changed_resource = False

    for record in records:
        if record.key in seen:
            continue
        seen.add(record.key)
        checksum = record.checksum
        current = existing.get(record.key)
        if (
            not force
            and current
            and current.checksum == checksum
            and not current.extraction_error
            and current.published
            and current.run_id == (run.pk if run else None)
        ):
            result.unchanged += 1
            continue
        text, error, data, given = "", getattr(record, "error", "") or "", b"", ""
        if not error:
            try:  # a record may read its bytes or text lazily: a failed read is this file's failure too
                given = record.text
                data = b"" if given else record.data
                if not given and not data:
                    # Nothing to extract is this file's failure too: searched, it would silently find nothing.
                    error = f"{record.source_path or record.key}: empty file"
                text = extract(data, record.source_path or record.key) if data else given
            except Exception as exc:  # every extraction failure is recorded on the file, the rest carry on
                error = str(exc) or exc.__class__.__name__
                text = ""
        if error:
            result.failed += 1
            result.errors.append({"key": record.key, "error": error})
        text = strip_control_chars(text)  # extracted PDF text often holds NUL, which PostgreSQL refuses
        row = current or ContentFile(resource=resource, key=record.key[:1024])
        before = _embedded_state(current) if current else None
        row.run = run
        row.title = strip_control_chars(record.title or record.key)[:512]
        row.content_type = record.content_type[:32]
        row.file_extension = record.file_extension[:16]
        row.source_path = record.source_path[:1024]
        row.url = record.url[:2048]
        row.content = text
        row.file_size = len(data) if data else len(given.encode()) if given else None
        row.checksum = checksum
        row.extraction_error = error
        row.published = True
        if before is None or before != _embedded_state(row):
            # updated_at moves only when what is searched and embedded changed (text, title, run, publication),
            # so the embedding job re-embeds exactly those files; a new checksum with the same text does not.
            row.updated_at = now
            changed_resource = True
        (to_update if current else to_create).append(row)

    gone = [cf for key, cf in existing.items() if key not in seen and cf.published] if full and seen else []
    with transaction.atomic():
        if to_create:
            ContentFile.objects.bulk_create(to_create, batch_size=500)
        if to_update:
            ContentFile.objects.bulk_update(to_update, FIELDS, batch_size=500)
        if gone:
            ContentFile.objects.filter(pk__in=[cf.pk for cf in gone]).update(published=False, updated_at=now)
    created_ids = [cf.pk for cf in to_create if cf.pk] or list(
        ContentFile.objects.filter(resource=resource, key__in=[cf.key for cf in to_create]).values_list("pk", flat=True)
    )
    result.created = len(to_create)
    result.updated = len(to_update)
    result.unpublished = len(gone)
    result.changed_ids = sorted({*created_ids, *(cf.pk for cf in to_update if cf.updated_at == now)})
    result.removed_ids = [cf.pk for cf in gone]
    if changed_resource or gone:
        result.changed_resource_ids = [resource.pk]
        _announce(resource.pk, result)
    return result


def _embedded_state(row: ContentFile) -> tuple:
    return (row.content, row.title, row.run_id, row.published, row.extraction_error)


def _announce(resource_id: int, result: ContentLoadResult) -> None:
    """After commit: `content_files_changed` for the vector jobs and `resources_changed` for the resource (its
    search document includes its files' text)."""
    changed, removed = list(result.changed_ids), list(result.removed_ids)
    transaction.on_commit(
        lambda: content_files_changed.send(
            sender="catalog", resource_ids=[resource_id], changed_ids=changed, removed_ids=removed
        )
    )
    send_resources_changed(changed_ids=[resource_id], sender="catalog.content_files")
