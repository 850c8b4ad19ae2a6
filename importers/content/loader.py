"""Loaders of the content-file sources (the runner calls them as it calls catalog.loader.load_resources).

`load_content_archives` receives one record per listed course archive (see importers/sources/content_archives.py)
and, archive by archive: skips it when a newer archive of the same course run was seen (newest first) or when its
checksum was ingested before; fetches it, unpacks it safely, parses it (OLX or Common Cartridge), matches it to its
catalogue course (OLX) or creates the course through the catalogue loader (cartridges), extracts the files' text
with Tika and writes them through catalog.content_files. Each archive is written in its own savepoint: a corrupt,
unsafe or unmatched archive is recorded (ContentArchive, the run's errors or warnings) and the catalogue is
unchanged for it; the others carry on. Per-file failures are stored on the file by the content-file loader.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from catalog.content_files import ContentLoadResult, load_content_files
from catalog.models import Run
from importers.errors import ImporterError
from importers.extraction.archives import ArchiveError
from importers.models import ContentArchive
from importers.tempfiles import work_dir

from .common_cartridge import CartridgeError
from .ingest import IngestError, course_for_cartridge, match_olx, resource_named, text_extractor, unpack_and_parse
from .locations import ArchiveEntry, file_sha256, open_location
from .olx import OlxError

logger = logging.getLogger(__name__)

# course-v1:ORG+NUMBER+RUN in an archive's file name (MIT Learn's exports are named so, maybe URL-encoded).
COURSE_KEY_IN_NAME = re.compile(r"(course-v1:[\w.\-~]+\+[\w.\-~]+\+[\w.\-~]+?)(?:\.tar\.gz|\.tgz|\.imscc|\.zip)?$")
ARCHIVE_FAILURES = (ArchiveError, OlxError, CartridgeError, IngestError, ImporterError, OSError)
# Failures that the same bytes will always meet: not retried until the archive changes (or --force).
PERMANENT_FAILURES = (ArchiveError, OlxError, CartridgeError)


@dataclass
class ContentImportResult:
    """What the runner records on the ImportRun: content-file counts summed over the archives (an archive that
    failed as a whole counts as one failure), errors, warnings and, for dry runs, the archives it would ingest."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    unpublished: int = 0
    failed: int = 0
    errors: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    would_create: list[dict] = field(default_factory=list)
    archives: dict[str, int] = field(default_factory=dict)
    changed_resource_ids: set[int] = field(default_factory=set)
    # The names LoadResult has, so the runner treats every loader alike: content sources have no unpublish guard.
    needs_review: bool = False
    review_reason: str = ""
    guard_verdict: dict | None = None

    @property
    def would_create_count(self) -> int:
        return len(self.would_create)

    def count(self, outcome: str) -> None:
        self.archives[outcome] = self.archives.get(outcome, 0) + 1

    def add_files(self, key: str, files: ContentLoadResult) -> None:
        self.created += files.created
        self.updated += files.updated
        self.unchanged += files.unchanged
        self.unpublished += files.unpublished
        self.failed += files.failed
        self.changed_resource_ids.update(files.changed_resource_ids)
        for error in files.errors:
            self.errors.append({"source_id": key, "field": error["key"], "message": error["error"]})

    def archive_failed(self, key: str, message: str) -> None:
        self.failed += 1
        self.count("failed")
        self.errors.append({"source_id": key, "field": "archive", "message": message})

    def summary(self) -> str:
        order = ("ingested", "unchanged", "superseded", "unmatched", "failed", "failed_before", "would_ingest")
        parts = [f"{self.archives[name]} {name.replace('_', ' ')}" for name in order if self.archives.get(name)]
        return "archives: " + (", ".join(parts) if parts else "none listed")


def course_key_from_name(key: str) -> str:
    """The course run key in an archive's file name (`.../course-v1:MITx+6.00x+1T2026.tar.gz`), or ""."""
    match = COURSE_KEY_IN_NAME.search(unquote(key.rsplit("/", 1)[-1]))
    return match.group(1) if match else ""


def _already_ingested(source: str, checksum: str) -> ContentArchive | None:
    if not checksum:
        return None
    return (
        ContentArchive.objects.filter(
            source=source, checksum=checksum, status=ContentArchive.Status.INGESTED, resource__isnull=False
        )
        .order_by("-ingested_at", "-pk")
        .first()
    )


def load_content_archives(
    source_name: str, records: Iterable[dict], *, full_snapshot: bool = True, force: bool = False, dry_run: bool = False
) -> ContentImportResult:
    """Ingest the listed archives (records from a content-archive source's transform). `force` ingests archives
    whose checksum was ingested before; `dry_run` fetches nothing and reports what would be ingested."""
    result = ContentImportResult()
    records = sorted(records, key=lambda r: (r.get("modified") or "", r["key"]), reverse=True)  # newest first
    known = {row.key: row for row in ContentArchive.objects.filter(source=source_name)}
    handled: dict[str, str] = {}  # course key → the archive that stands for it in this run
    extractor = text_extractor()
    locations: dict[str, Any] = {}

    for record in records:
        key = record["key"]
        name_key = course_key_from_name(key)
        row = known.get(key) or ContentArchive(source=source_name, key=key[:1024])
        if name_key and name_key in handled:
            _supersede(row, record, name_key, handled[name_key], result, dry_run)
            continue
        checksum = _known_checksum(record, row)
        if not force and (earlier := _already_ingested(source_name, checksum)):
            if name_key:
                handled[name_key] = key
            result.count("unchanged")
            if not dry_run:
                _save(
                    row,
                    record,
                    checksum,
                    earlier.course_key,
                    status=ContentArchive.Status.INGESTED,
                    resource_id=earlier.resource_id,
                    catalog_run_id=earlier.catalog_run_id,
                    ingested_at=row.ingested_at or earlier.ingested_at,
                    message="",
                )
            continue
        if not force and checksum and row.pk and row.checksum == checksum and (row.counts or {}).get("permanent"):
            # The same bytes failed before for a reason that cannot change (corrupt, unsafe, not a course).
            result.count("failed_before")
            result.warnings.append(f"{key}: unchanged since it failed: {row.message}")
            continue
        if dry_run:
            result.count("would_ingest")
            result.would_create.append({"archive": key, "course_key": name_key or "(known once unpacked)"})
            continue
        try:
            location = locations.get(record.get("location", ""))
            if location is None and record.get("location"):
                location = locations[record["location"]] = open_location(
                    record["location"], endpoint_url=record.get("endpoint_url") or None
                )
            _ingest_one(source_name, record, row, checksum, location, extractor, handled, result, force)
        except ARCHIVE_FAILURES as exc:
            message = str(exc) or type(exc).__name__
            result.archive_failed(key, message)
            _save(
                row,
                record,
                row.checksum or checksum,
                row.course_key,
                status=ContentArchive.Status.FAILED,
                message=message,
                counts={"permanent": isinstance(exc, PERMANENT_FAILURES)},
            )
        except Exception as exc:  # a bug or a database error in one archive: recorded, the others carry on
            logger.exception("content archive %s of %s failed", key, source_name)
            message = f"{type(exc).__name__}: {exc}"
            result.archive_failed(key, message)
            _save(
                row,
                record,
                row.checksum or checksum,
                row.course_key,
                status=ContentArchive.Status.FAILED,
                message=message,
            )

    superseded = result.archives.get("superseded", 0)
    if superseded:
        result.warnings.append(f"{superseded} older archive(s) skipped: a newer archive of the same run exists")
    result.warnings.append(result.summary())
    return result


def _file_name(key: str) -> str:
    return key.rsplit("/", 1)[-1]


def _keep_apart(source_name: str, archive, key: str, checksum: str, handled: dict[str, str], result) -> None:
    """Give a cartridge its own course when its manifest identifier is already the course of a different archive
    (another file name and other bytes): two exports that share an identifier (a copied course, a template) must
    not replace each other's files. Its course id becomes IDENTIFIER:FILE-STEM, the same on every run."""
    identifier = archive.source_id
    other = handled.get(identifier)
    if other is None or _file_name(other) == _file_name(key):
        other = (
            ContentArchive.objects.filter(course_key=identifier, status=ContentArchive.Status.INGESTED)
            .exclude(source=source_name, key=key)
            .exclude(checksum=checksum)
            .values_list("key", flat=True)
            .order_by("pk")
            .first()
        )
    if other is None or _file_name(other) == _file_name(key):
        return  # the same archive again (or a newer export under the same name): it updates its course
    stem = re.sub(r"(\.tar\.gz|\.tgz|\.imscc|\.zip)$", "", _file_name(key), flags=re.IGNORECASE)
    archive.source_id = f"{identifier}:{slugify(stem) or hashlib.sha256(key.encode()).hexdigest()[:12]}"[:255]
    result.warnings.append(
        f"{key}: its manifest identifier {identifier} is already the course of {other}; imported as its own "
        f"course {archive.source_id} so that neither replaces the other's files"
    )


def _known_checksum(record: dict, row: ContentArchive) -> str:
    if record.get("content") is not None:
        return hashlib.sha256(record["content"]).hexdigest()
    if record.get("etag"):
        return f"etag:{record['etag']}"
    if row.pk and row.checksum and row.size == record.get("size") and row.modified == record.get("modified"):
        return row.checksum  # a local file with the same size and time: not hashed again
    return ""


def _supersede(row, record, course_key, newer, result, dry_run) -> None:
    result.count("superseded")
    if not dry_run:
        _save(
            row,
            record,
            row.checksum,
            course_key,
            status=ContentArchive.Status.SUPERSEDED,
            message=f"a newer archive of {course_key} exists: {newer}",
        )


def _save(row: ContentArchive, record: dict, checksum: str, course_key: str, *, status: str, **values) -> None:
    row.checksum = checksum[:100]
    row.size = record.get("size") or (len(record["content"]) if record.get("content") is not None else 0)
    row.modified = (record.get("modified") or "")[:64]
    row.course_key = (course_key or "")[:255]
    row.status = status
    for name, value in values.items():
        setattr(row, name, value)
    row.save()


def _ingest_one(source_name, record, row, checksum, location, extractor, handled, result, force) -> None:
    key = record["key"]
    entry = ArchiveEntry(key=key, size=record.get("size") or 0, modified=record.get("modified") or "")
    limit = settings.CONTENT_ARCHIVE_MAX_BYTES
    with work_dir("learnhub-content") as work:
        work = Path(work)
        if record.get("content") is not None:
            path = work / Path(key).name
            path.write_bytes(record["content"])
        elif location is None:
            raise ImporterError(f"archive {key} has no location to be read from")
        else:
            path = location.fetch(entry, work / "archive", limit)
        if not checksum:
            checksum = file_sha256(path)
            if not force and (earlier := _already_ingested(source_name, checksum)):
                result.count("unchanged")
                _save(
                    row,
                    record,
                    checksum,
                    earlier.course_key,
                    status=ContentArchive.Status.INGESTED,
                    resource_id=earlier.resource_id,
                    catalog_run_id=earlier.catalog_run_id,
                    ingested_at=row.ingested_at or earlier.ingested_at,
                    message="",
                )
                return
        row.checksum = checksum
        kind, archive = unpack_and_parse(path, work / "unpacked")
        if kind == "cc":
            _keep_apart(source_name, archive, key, checksum, handled, result)
        course_key = archive.run_id or archive.source_id
        row.course_key = course_key[:255]
        if course_key in handled:
            _supersede(row, record, course_key, handled[course_key], result, False)
            return
        handled[course_key] = key
        for warning in archive.warnings:
            result.warnings.append(f"{key}: {warning}")
        catalog_source = record.get("catalog_source", "")
        with transaction.atomic():  # this archive's writes, all or nothing
            if record.get("resource"):  # named by hand (manage.py import_content --resource)
                resource = resource_named(record["resource"])
                run = Run.objects.filter(resource=resource, run_id=archive.run_id).first() if archive.run_id else None
            elif kind == "olx":
                try:
                    resource, run = match_olx(archive, catalog_source)
                except IngestError as exc:
                    result.count("unmatched")
                    result.warnings.append(f"{key}: {exc}")
                    _save(
                        row,
                        record,
                        checksum,
                        course_key,
                        status=ContentArchive.Status.UNMATCHED,
                        message=str(exc),
                        resource=None,
                        catalog_run=None,
                    )
                    return
            else:
                cartridge_source = record.get("cartridge_source") or catalog_source or "canvas"
                resource, run = course_for_cartridge(archive, cartridge_source), None
            files = load_content_files(
                resource,
                archive.files,
                run=run,
                extract=extractor,
                force=force,
            )
    result.add_files(key, files)
    result.count("ingested")
    _save(
        row,
        record,
        checksum,
        course_key,
        status=ContentArchive.Status.INGESTED,
        resource=resource,
        catalog_run=run,
        ingested_at=timezone.now(),
        counts=files.as_dict() | {"errors": len(files.errors)},
        message="",
    )
