"""MIT OpenCourseWare course sites → content files (the `ocw_content` source's loader).

Per site (`<site>/data.json` with its `resources/*/data.json` and `pages/*/data.json`), matched to the catalogue
course the `ocw` source made (source "ocw", source_id = the site name):
- pages → their text (Hugo shortcodes and markup removed);
- documents (PDF, Office, HTML, text) → the file's text through Tika;
- videos → the transcript: the WebVTT captions, else the transcript PDF through Tika.
A file is read beside the site JSON when it is there (OCW_COURSES_DIR, or the OCW bucket), else fetched over HTTP
from its URL (OCW_BASE_URL for relative paths) through the importers' HTTP client and its private-address guard,
when OCW_CONTENT_FETCH_FILES is on. A resource's checksum is that of its data.json: an unchanged resource is not
fetched again, and OCW publishes a changed file under a new name, which changes its data.json.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urljoin, urlsplit

from django.conf import settings

from catalog.content_files import load_content_files
from catalog.models import LearningResource, ResourceType, Run
from catalog.sanitize import html_to_text
from importers.errors import ImportFetchError
from importers.extraction.text import ExtractionError, get_extractor

from .ingest import text_extractor
from .loader import ContentImportResult

logger = logging.getLogger(__name__)

SHORTCODE = re.compile(r"{{[<%].*?[>%]}}", re.S)
VTT_SKIP = re.compile(r"^(WEBVTT|NOTE\b|\d+$|[\d:.]+\s*-->)")
DOCUMENT_EXTENSIONS = {".pdf", ".docx", ".doc", ".pptx", ".ppt", ".xlsx", ".xls", ".html", ".htm", ".txt", ".rtf"}
DOCUMENT_TYPES = ("pdf", "word", "officedocument", "powerpoint", "excel", "text/", "rtf", "opendocument")


def vtt_to_text(raw: str) -> str:
    """The words of a WebVTT (or SRT) caption file, without headers, cue numbers, timings and tags."""
    lines = []
    for line in raw.splitlines():
        line = line.strip()
        if not line or VTT_SKIP.match(line):
            continue
        lines.append(re.sub(r"<[^>]+>", "", line))
    return " ".join(" ".join(lines).split())


def page_text(content: str) -> str:
    return html_to_text(SHORTCODE.sub(" ", content or ""))


class OcwFiles:
    """Reads a course file by its OCW path or URL: beside the site JSON (folder or bucket), else over HTTP."""

    def __init__(self, config: dict, http=None, s3_reader=None):
        self.directory = Path(config["directory"]) if config.get("directory") else None
        self.bucket = config.get("bucket") or ""
        self.base_url = (config.get("base_url") or "").rstrip("/")
        self.fetch = bool(config.get("fetch_files"))
        self.endpoint_url = config.get("endpoint_url") or None
        self.max_bytes = settings.CONTENT_FILE_MAX_BYTES
        self._http = http
        self._s3 = s3_reader

    def close(self) -> None:
        if self._http is not None:
            self._http.close()

    @staticmethod
    def site_path(value: str) -> str:
        """`https://host/courses/<site>/x.pdf` or `/courses/<site>/x.pdf` → `courses/<site>/x.pdf`."""
        path = urlsplit(value).path if "://" in value else value
        return unquote(path).lstrip("/")

    def read(self, value: str) -> bytes:
        path = self.site_path(value)
        if not path or ".." in PurePosixPath(path).parts:
            raise ExtractionError(f"unusable file path {value!r}")
        if self.directory is not None:
            # The courses folder holds the sites: courses/<site>/x.pdf → <folder>/<site>/x.pdf.
            relative = path.split("/", 1)[1] if path.startswith("courses/") else path
            local = (self.directory / relative).resolve()
            if local.is_relative_to(self.directory.resolve()) and local.is_file():
                if local.stat().st_size > self.max_bytes:
                    raise ExtractionError(f"{local.name}: over the CONTENT_FILE_MAX_BYTES limit")
                return local.read_bytes()
        if self.bucket:
            data = self._read_s3(path)
            if data is not None:
                return data
        if not self.fetch:
            raise ExtractionError(
                f"{path}: not found beside the site JSON and fetching is off (OCW_CONTENT_FETCH_FILES)"
            )
        url = value if value.startswith(("http://", "https://")) else urljoin(self.base_url + "/", path)
        try:
            return self._client().get(url).content
        except ImportFetchError as exc:
            raise ExtractionError(f"{path}: cannot fetch ({exc})") from None

    def _read_s3(self, key: str) -> bytes | None:
        if self._s3 is None:
            from importers.transports.s3 import S3Reader

            self._s3 = S3Reader(self.bucket, endpoint_url=self.endpoint_url)
        try:
            return self._s3.read(key).content
        except ImportFetchError as exc:
            if "NoSuchKey" in str(exc) or "404" in str(exc):
                return None
            raise ExtractionError(f"{key}: {exc}") from None

    def _client(self):
        if self._http is None:
            from importers.transports.http import HttpClient

            self._http = HttpClient(max_bytes=self.max_bytes)
        return self._http


@dataclass
class OcwFileRecord:
    """A content file whose bytes or text are read only when its checksum changed (see catalog.content_files)."""

    key: str
    title: str
    content_type: str
    source_path: str
    checksum: str
    file_extension: str = ""
    url: str = ""
    load_text: Callable[[], str] | None = None
    load_data: Callable[[], bytes] | None = None
    fixed_text: str = field(default="", repr=False)

    @cached_property
    def text(self) -> str:
        return self.fixed_text or (self.load_text() if self.load_text else "")

    @cached_property
    def data(self) -> bytes:
        return self.load_data() if self.load_data else b""


def _checksum(data: dict) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def _extension(value: str) -> str:
    suffix = PurePosixPath(OcwFiles.site_path(value or "")).suffix.lower()
    return suffix if len(suffix) <= 16 else ""


def is_document(resource: dict) -> bool:
    file_type = str(resource.get("file_type") or "").lower()
    return _extension(resource.get("file") or "") in DOCUMENT_EXTENSIONS or any(t in file_type for t in DOCUMENT_TYPES)


def site_file_records(
    site: str, course: dict, resources: list[dict], pages: list[dict], files: OcwFiles, base_url: str
) -> list[OcwFileRecord]:
    """The content files of one OCW site: its pages, then its videos and documents, in snapshot order."""
    extractor = get_extractor()
    records: list[OcwFileRecord] = []
    for index, page in enumerate(pages):
        text = page_text(page.get("content") or "")
        if not text:
            continue
        ident = page.get("uid") or page.get("_dir") or str(index)
        records.append(
            OcwFileRecord(
                key=f"pages/{ident}",
                title=str(page.get("title") or "Page"),
                content_type="page",
                source_path=f"{site}/pages/{page.get('_dir') or ident}/data.json",
                checksum=_checksum(page),
                file_extension=".html",
                url=urljoin(base_url + "/", f"courses/{site}/pages/{page['_dir']}/") if page.get("_dir") else "",
                fixed_text=text,
            )
        )
    for index, resource in enumerate(resources):
        ident = resource.get("_dir") or resource.get("uid") or str(index)
        title = str(resource.get("title") or resource.get("_dir") or "Resource")
        kind = str(resource.get("resourcetype") or "").lower()
        file_value = str(resource.get("file") or "")
        common = {
            "key": f"resources/{ident}",
            "title": title,
            "source_path": f"{site}/resources/{ident}/data.json",
            "checksum": _checksum(resource),
            "url": file_value
            if file_value.startswith("http")
            else (urljoin(base_url + "/", file_value) if file_value else ""),
        }
        if kind == "video":
            video = resource.get("video_files") or {}
            youtube = (resource.get("video_metadata") or {}).get("youtube_id") or ""
            if youtube:
                common["url"] = f"https://www.youtube.com/watch?v={youtube}"
            records.append(
                OcwFileRecord(**common, content_type="video", load_text=_transcript(video, files, extractor))
            )
        elif file_value and is_document(resource):
            name = PurePosixPath(OcwFiles.site_path(file_value)).name
            records.append(
                OcwFileRecord(
                    **common,
                    content_type="file",
                    file_extension=_extension(file_value),
                    load_data=lambda value=file_value: files.read(value),
                    load_text=None,
                )
            )
            records[-1].source_path = name or records[-1].source_path
    return records


def _transcript(video: dict, files: OcwFiles, extractor) -> Callable[[], str]:
    def load() -> str:
        reasons = []
        captions, transcript = video.get("video_captions_file"), video.get("video_transcript_file")
        if captions:
            try:
                text = vtt_to_text(files.read(captions).decode("utf-8", errors="replace"))
                if text:
                    return text
                reasons.append("the captions file has no text")
            except ExtractionError as exc:
                reasons.append(str(exc))
        if transcript:
            try:
                return extractor.extract(
                    files.read(transcript), PurePosixPath(transcript).name or "transcript.pdf"
                ).text
            except ExtractionError as exc:
                reasons.append(str(exc))
        raise ExtractionError("no transcript: " + ("; ".join(reasons) or "the video has no captions or transcript"))

    return load


def load_ocw_content(
    source_name: str, records: Iterable[dict], *, full_snapshot: bool = True, force: bool = False, dry_run: bool = False
) -> ContentImportResult:
    """Load the content files of each OCW site record ({site, course, resources, pages, config})."""
    result = ContentImportResult()
    extractor = get_extractor()
    files = None
    try:
        for record in records:
            site, config = record["site"], record["config"]
            if files is None:
                files = OcwFiles(config)
            resource = LearningResource.objects.filter(
                source="ocw", source_id=site, resource_type=ResourceType.COURSE
            ).first()
            if resource is None:
                result.count("unmatched")
                result.warnings.append(f"{site}: no OCW course in the catalogue; import the ocw source first")
                continue
            run_id = str(record["course"].get("site_uid") or record["course"].get("legacy_uid") or site)
            run = Run.objects.filter(resource=resource, run_id=run_id).first()
            file_records = site_file_records(
                site, record["course"], record["resources"], record["pages"], files, config.get("base_url") or ""
            )
            if dry_run:
                result.count("would_ingest")
                result.would_create.append({"site": site, "files": len(file_records)})
                continue
            try:
                # Each site is written in one transaction of its own (load_content_files', after the text is
                # extracted); a site that fails is recorded and the others carry on.
                loaded = load_content_files(
                    resource,
                    file_records,
                    run=run,
                    extract=text_extractor(extractor),
                    force=force,
                )
            except Exception as exc:
                logger.exception("OCW content of %s failed", site)
                result.archive_failed(site, f"{type(exc).__name__}: {exc}")
                continue
            result.add_files(site, loaded)
            result.count("ingested")
    finally:
        if files is not None:
            files.close()
    result.warnings.append(result.summary().replace("archives:", "sites:"))
    return result
