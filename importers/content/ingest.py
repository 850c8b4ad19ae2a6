"""Course archive → content files: unpack safely, parse, match (or create) the catalogue course, extract text,
load through catalog.content_files.

OLX exports are matched to an existing catalogue course by run id (course-v1:ORG+NUMBER+RUN) or course id.
A Common Cartridge creates its course resource through the catalogue loader when it is not in the catalogue
yet (the Canvas source), so the catalogue loader stays the only writer of resources.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from django.db.models import Q

from catalog.content_files import ContentLoadResult, load_content_files
from catalog.loader import load_resources
from catalog.models import LearningResource, ResourceType, Run
from importers.extraction.archives import ArchiveLimits, safe_extract
from importers.extraction.text import get_extractor
from importers.tempfiles import work_dir

from .common_cartridge import CartridgeError, parse_cartridge
from .olx import parse_olx
from .records import CourseArchive

HTML_SUFFIXES = (".html", ".htm", ".xhtml")
SMALL_HTML = 2 * 1024 * 1024


def text_extractor(extractor=None):
    """`extract(data, name)` for catalog.content_files: HTML pages (course pages, wiki pages; most of an archive's
    files) are turned into text in process with nh3, ~100x faster than a Tika call; every other document (PDF,
    Office, plain text, large HTML) goes to Tika. Raises ExtractionError for an empty page."""
    from catalog.sanitize import html_to_text
    from importers.extraction.text import ExtractionError

    extractor = extractor or get_extractor()

    def extract(data: bytes, name: str) -> str:
        if name.lower().endswith(HTML_SUFFIXES) and 0 < len(data) <= SMALL_HTML:
            text = html_to_text(data.decode("utf-8", errors="replace"))
            if not text:
                raise ExtractionError(f"{name}: no text found")
            return text
        return extractor.extract(data, name).text

    return extract


class IngestError(Exception):
    """The archive cannot be attached to a catalogue course; the message says why."""


@dataclass
class IngestResult:
    archive: CourseArchive
    resource_id: int
    files: ContentLoadResult
    warnings: list[str] = field(default_factory=list)


def detect_kind(folder: Path) -> str:
    if (folder / "imsmanifest.xml").is_file():
        return "cc"
    if any(folder.rglob("course.xml")):
        return "olx"
    raise IngestError("neither an OLX export (course.xml) nor a Common Cartridge (imsmanifest.xml)")


def match_olx(archive: CourseArchive, catalog_source: str = "") -> tuple[LearningResource, Run | None]:
    """The catalogue course (and run) of an OLX export: by run id, else by course id; only among the resources
    of `catalog_source` when given. IngestError when there is none."""
    runs = (
        Run.objects.select_related("resource").filter(run_id=archive.run_id) if archive.run_id else Run.objects.none()
    )
    if catalog_source:
        runs = runs.filter(resource__source=catalog_source)
    run = runs.first()
    if run:
        return run.resource, run
    candidates = {archive.source_id, f"course-v1:{archive.source_id}", archive.source_id.replace("+", ".")}
    resources = LearningResource.objects.filter(resource_type=ResourceType.COURSE)
    if catalog_source:
        resources = resources.filter(source=catalog_source)
    resource = resources.filter(Q(source_id__in=candidates) | Q(runs__run_id=archive.run_id)).first()
    if resource is None:
        among = f" among the {catalog_source} courses" if catalog_source else ""
        raise IngestError(
            f"no catalogue course{among} matches OLX course {archive.source_id} (run {archive.run_id}); "
            "import the course catalogue first, or name the course: manage.py import_content ARCHIVE --resource "
            "ID, where ID is the course's id in the catalogue or SOURCE:SOURCE_ID (e.g. mitxonline:course-v1:"
            f"{archive.source_id})"
        )
    return resource, None


def resource_named(name: str | int) -> LearningResource:
    """The resource a person names: its id ("812") or SOURCE:SOURCE_ID ("canvas:cc-demo-1"). IngestError when
    there is none."""
    text = str(name).strip()
    if text.isdigit():
        resource = LearningResource.objects.filter(pk=int(text)).first()
    else:
        source, _, source_id = text.partition(":")
        matches = list(LearningResource.objects.filter(source=source, source_id=source_id)[:2])
        if len(matches) > 1:
            raise IngestError(f"{text} names more than one resource (of different types); give its id instead")
        resource = matches[0] if matches else None
    if resource is None:
        raise IngestError(f"no resource {text!r}: give a resource id or SOURCE:SOURCE_ID (e.g. canvas:cc-demo-1)")
    return resource


def course_for_cartridge(archive: CourseArchive, source: str) -> LearningResource:
    resource = LearningResource.objects.filter(
        source=source, source_id=archive.source_id, resource_type=ResourceType.COURSE
    ).first()
    if resource:
        return resource
    result = load_resources(
        source,
        [
            {
                "resource_type": "course",
                "source_id": archive.source_id,
                "title": archive.title[:512],
                "description": archive.description,
                "platform": {"code": "canvas", "name": "Canvas"},
            }
        ],
        full_snapshot=False,
    )
    if result.failed:
        raise IngestError(f"could not create the course for cartridge {archive.source_id}: {result.errors[0]}")
    return LearningResource.objects.get(source=source, source_id=archive.source_id, resource_type=ResourceType.COURSE)


def ingest_archive(
    path: Path | str,
    *,
    source: str = "canvas",
    resource: LearningResource | None = None,
    limits: ArchiveLimits | None = None,
) -> IngestResult:
    """Import one course archive's files with their text. Raises ArchiveError, OlxError, CartridgeError or
    IngestError with the reason; a failure before the final write leaves the catalogue unchanged."""
    extract = text_extractor()
    with work_dir("learnhub-archive") as work:
        kind, archive = unpack_and_parse(path, Path(work), limits)
        run = None
        if resource is None:
            resource, run = match_olx(archive) if kind == "olx" else (course_for_cartridge(archive, source), None)
        files = load_content_files(resource, archive.files, run=run, extract=extract)
    return IngestResult(archive=archive, resource_id=resource.pk, files=files, warnings=archive.warnings)


def unpack_and_parse(path: Path | str, folder: Path, limits: ArchiveLimits | None = None) -> tuple[str, CourseArchive]:
    """Unpack `path` safely into `folder` and parse it: ("olx" | "cc", the parsed archive). `limits` default to
    the CONTENT_ARCHIVE_* settings. A file skipped for a per-file limit becomes a content file with that reason when
    it is one the course would have had, else a warning; the other files load."""
    unpacked = safe_extract(path, folder, limits or ArchiveLimits.from_settings())
    kind = detect_kind(folder)
    skipped = unpacked.skipped
    archive = parse_cartridge(folder, skipped=skipped) if kind == "cc" else parse_olx(folder, skipped)
    recorded = [record.error for record in archive.files if record.error]
    archive.warnings.extend(reason for reason in skipped.values() if not any(reason in error for error in recorded))
    if kind == "cc" and not any(record.data and not record.error for record in archive.files):
        # Nothing of the course could be read (a bomb whose one file was skipped, an empty export): no course is
        # created for it, and an existing course keeps its files.
        reasons = "; ".join([*recorded, *archive.warnings][:3]) or "it lists no page, assignment or document"
        raise CartridgeError(f"the cartridge holds no readable course file ({reasons})")
    return kind, archive
