"""The loader of content files: the only writer of ContentFile rows.

Callers (the content-file importers) hand over a course's files in order — objects with `key`, `title`,
`content_type`, `source_path`, `data` (bytes) or `text`, `file_extension`, `url` and `checksum` — and a function
that turns bytes into text (Tika). catalog stays independent of the importers: it only calls what it is given.

Unchanged files (same checksum, extracted without error before) are skipped without extracting again; a file that
fails extraction is stored with its reason and the others carry on; files missing from a full listing are
unpublished. Extraction happens before the single write transaction, so a failure leaves the rows as they were.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.db import transaction
from django.utils import timezone

from catalog.models import ContentFile, LearningResource, Run


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
) -> ContentLoadResult:
    """Upsert `resource`'s content files from `records`; `extract(data, filename)` returns text or raises."""
    result = ContentLoadResult()
    existing = {cf.key: cf for cf in ContentFile.objects.filter(resource=resource)}
    to_create: list[ContentFile] = []
    to_update: list[ContentFile] = []
    seen: set[str] = set()
    now = timezone.now()

    for record in records:
        if record.key in seen:
            continue
        seen.add(record.key)
        checksum = record.checksum
        current = existing.get(record.key)
        if (
            current
            and current.checksum == checksum
            and not current.extraction_error
            and current.published
            and current.run_id == (run.pk if run else None)
        ):
            result.unchanged += 1
            continue
        text, error = record.text, ""
        if record.data and not text:
            try:
                text = extract(record.data, record.source_path or record.key)
            except Exception as exc:  # every extraction failure is recorded on the file, the rest carry on
                error = str(exc) or exc.__class__.__name__
        if error:
            result.failed += 1
            result.errors.append({"key": record.key, "error": error})
        row = current or ContentFile(resource=resource, key=record.key[:1024])
        row.run = run
        row.title = (record.title or record.key)[:512]
        row.content_type = record.content_type[:32]
        row.file_extension = record.file_extension[:16]
        row.source_path = record.source_path[:1024]
        row.url = record.url[:2048]
        row.content = text
        row.file_size = len(record.data) if record.data else len(record.text.encode())
        row.checksum = checksum
        row.extraction_error = error
        row.published = True
        row.updated_at = now
        (to_update if current else to_create).append(row)

    gone = [cf for key, cf in existing.items() if key not in seen and cf.published] if full and seen else []
    with transaction.atomic():
        if to_create:
            ContentFile.objects.bulk_create(to_create, batch_size=500)
        if to_update:
            ContentFile.objects.bulk_update(to_update, FIELDS, batch_size=500)
        if gone:
            ContentFile.objects.filter(pk__in=[cf.pk for cf in gone]).update(published=False, updated_at=now)
    created_ids = [cf.pk for cf in to_create] or list(
        ContentFile.objects.filter(resource=resource, key__in=[cf.key for cf in to_create]).values_list("pk", flat=True)
    )
    result.created = len(to_create)
    result.updated = len(to_update)
    result.unpublished = len(gone)
    result.changed_ids = sorted({*created_ids, *(cf.pk for cf in to_update)})
    result.removed_ids = [cf.pk for cf in gone]
    return result
