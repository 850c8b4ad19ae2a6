"""Open edX OLX course exports: course → chapters → sequentials → verticals → components, plus static files.

Components become content files in course order: HTML pages, problems (their text, not their answers' code),
videos (the transcript from static/subs_<id>.srt.sjson or an .srt), and documents under static/ (PDF, Office,
HTML), which are passed on as bytes for Tika. XML is parsed with defusedxml.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from xml.etree.ElementTree import Element

from defusedxml import ElementTree

from .records import ContentFileRecord, CourseArchive, FileTooLarge, is_junk, read_limited

LEAF_TYPES = {"html", "problem", "video"}
CONTAINER_TYPES = ("chapter", "sequential", "vertical")
STATIC_EXTENSIONS = {".pdf", ".docx", ".doc", ".pptx", ".ppt", ".xlsx", ".html", ".htm", ".txt", ".md", ".odt", ".rtf"}
SRT_TIME = re.compile(r"^\d+\s*$|^\d\d:\d\d:\d\d[,.]\d+\s*-->")
NO_TRANSCRIPT = "no transcript in the export (a <transcript> .srt or static/subs_<id>.srt.sjson)"


class OlxError(Exception):
    """The archive is not an OLX course export (or is broken); the message says what is missing."""


def _parse(path: Path) -> Element:
    try:
        return ElementTree.parse(path).getroot()
    except Exception as exc:  # ParseError, defusedxml's EntitiesForbidden, ...
        raise OlxError(f"{path.name}: invalid XML ({exc})") from exc


def find_course_root(folder: Path) -> Path:
    """The folder holding course.xml (exports put it at the top or one level down)."""
    candidates = sorted(
        p.parent for p in folder.rglob("course.xml") if not is_junk(p) and len(p.parts) - len(folder.parts) <= 3
    )
    if not candidates:
        raise OlxError("no course.xml found: not an Open edX OLX export")
    return min(candidates, key=lambda p: len(p.parts))


def srt_to_text(raw: str) -> str:
    return " ".join(line.strip() for line in raw.splitlines() if line.strip() and not SRT_TIME.match(line.strip()))


class OlxCourse:
    def __init__(self, root: Path, skipped: Mapping[Path, str] | None = None):
        self.root = root
        self.skipped = skipped or {}  # files the unpacker did not write (per-file limits): path → why
        self.files: list[ContentFileRecord] = []
        self.warnings: list[str] = []
        self._seen: set[str] = set()

    def _skipped(self, path: Path) -> str:
        return self.skipped.get(path.resolve(), "") if self.skipped else ""

    def _definition(self, element: Element) -> Element:
        """A pointer tag (<chapter url_name="x"/>) refers to chapter/x.xml; an inline tag is its own definition."""
        url_name = element.get("url_name")
        if url_name and len(element) == 0 and len(element.attrib) <= 2:
            path = self.root / element.tag / f"{url_name}.xml"
            if path.is_file():
                definition = _parse(path)
                definition.set("url_name", url_name)
                return definition
        return element

    def walk(self, element: Element, trail: list[str]) -> None:
        element = self._definition(element)
        title = element.get("display_name", "")
        if element.tag in CONTAINER_TYPES or element.tag == "course":
            for child in element:
                self.walk(child, [*trail, title] if title else trail)
        elif element.tag in LEAF_TYPES:
            getattr(self, f"_{element.tag}")(element, trail)

    def _add(self, record: ContentFileRecord) -> None:
        if record.key in self._seen:
            return
        self._seen.add(record.key)
        self.files.append(record)

    def _title(self, element: Element, trail: list[str], fallback: str) -> str:
        own = element.get("display_name", "")
        return " › ".join([*trail[-2:], own] if own else trail[-2:]) or fallback

    def _html(self, element: Element, trail: list[str]) -> None:
        url_name = element.get("url_name", "")
        filename = element.get("filename") or url_name
        path = self.root / "html" / f"{filename}.html"
        error = self._skipped(path)
        if path.is_file():
            data = read_limited(path)
        else:
            data = ElementTree.tostring(element, encoding="utf-8") if len(element) or element.text else b""
        if not data.strip() and not error:
            return
        self._add(
            ContentFileRecord(
                key=f"html/{url_name or filename}",
                title=self._title(element, trail, url_name),
                content_type="page",
                source_path=f"html/{filename}.html",
                data=b"" if error else data,
                error=error,
                file_extension=".html",
            )
        )

    def _problem(self, element: Element, trail: list[str]) -> None:
        # Drop answer code and grader scripts; keep what a learner reads.
        for script in element.iter("script"):
            script.clear()
        text = " ".join(t.strip() for t in element.itertext() if t.strip())
        if not text:
            return
        url_name = element.get("url_name", "")
        self._add(
            ContentFileRecord(
                key=f"problem/{url_name}",
                title=self._title(element, trail, url_name),
                content_type="problem",
                source_path=f"problem/{url_name}.xml",
                text=text,
                file_extension=".xml",
            )
        )

    def _video(self, element: Element, trail: list[str]) -> None:
        url_name = element.get("url_name", "")
        sub = element.get("sub") or element.get("youtube_id_1_0") or ""
        text, source, skipped = "", "", []
        for transcript in element.iter("transcript"):
            candidate = self.root / "static" / transcript.get("src", "")
            if transcript.get("src") and candidate.is_file():
                text, source = srt_to_text(candidate.read_text(errors="replace")), f"static/{candidate.name}"
                break
            if transcript.get("src") and (reason := self._skipped(candidate)):
                skipped.append(reason)
        if not text and sub:
            sjson = self.root / "static" / f"subs_{sub}.srt.sjson"
            if reason := self._skipped(sjson):
                skipped.append(reason)
            if sjson.is_file():
                try:
                    text = " ".join(json.loads(sjson.read_text(errors="replace")).get("text", []))
                    source = f"static/{sjson.name}"
                except ValueError:
                    self.warnings.append(f"{sjson.name}: transcript is not valid JSON")
        youtube = element.get("youtube_id_1_0") or ""
        self._add(
            ContentFileRecord(
                key=f"video/{url_name}",
                title=self._title(element, trail, url_name),
                content_type="video",
                source_path=source or f"video/{url_name}.xml",
                text=text,
                url=f"https://www.youtube.com/watch?v={youtube}" if youtube else "",
                error="" if text else "; ".join(skipped) or NO_TRANSCRIPT,
            )
        )

    def about_pages(self) -> None:
        """The course's About pages (overview, description): what the catalogue page says about it."""
        for name in ("overview", "description", "short_description"):
            path = self.root / "about" / f"{name}.html"
            error = self._skipped(path)
            if error or (path.is_file() and path.stat().st_size > 0):
                self._add(
                    ContentFileRecord(
                        key=f"about/{name}",
                        title=name.replace("_", " ").capitalize(),
                        content_type="page",
                        source_path=f"about/{name}.html",
                        data=b"" if error else read_limited(path),
                        error=error,
                        file_extension=".html",
                    )
                )

    def static_files(self) -> None:
        static = self.root / "static"
        resolved_static = static.resolve()
        # Files skipped by the unpacker (too large, compressed like a bomb) are listed too, with their reason.
        skipped = {
            static / path.relative_to(resolved_static): reason
            for path, reason in self.skipped.items()
            if path.is_relative_to(resolved_static)
        }
        on_disk = [path for path in static.rglob("*") if path.is_file()] if static.is_dir() else []
        for path in sorted({*on_disk, *skipped}):
            if is_junk(path) or path.suffix.lower() not in STATIC_EXTENSIONS:
                continue
            relative = path.relative_to(self.root).as_posix()
            data, error = b"", skipped.get(path, "")
            try:
                data = b"" if error else read_limited(path)
            except FileTooLarge as exc:
                error = str(exc)
            self._add(
                ContentFileRecord(
                    key=relative,
                    title=path.name,
                    content_type="file",
                    source_path=relative,
                    data=data,
                    error=error,
                    file_extension=path.suffix.lower(),
                )
            )


def parse_olx(folder: Path, skipped: Mapping[Path, str] | None = None) -> CourseArchive:
    """Parse an unpacked OLX export (see importers.extraction.archives.safe_extract); `skipped` are the files the
    unpacker left out for a per-file limit (resolved path → reason): recorded as those files' failures."""
    root = find_course_root(Path(folder))
    pointer = _parse(root / "course.xml")
    org, number, run = pointer.get("org", ""), pointer.get("course", ""), pointer.get("url_name", "")
    if not number:
        raise OlxError("course.xml has no course number (the 'course' attribute)")
    run_file = root / "course" / f"{run}.xml"
    course = _parse(run_file) if run and run_file.is_file() else pointer
    parsed = OlxCourse(root, skipped)
    parsed.walk(course, [])
    parsed.about_pages()
    parsed.static_files()
    return CourseArchive(
        source_id=f"{org}+{number}" if org else number,
        run_id=f"course-v1:{org}+{number}+{run}" if org and run else run,
        title=course.get("display_name", "") or number,
        language=course.get("language", ""),
        start=course.get("start", ""),
        end=course.get("end", ""),
        self_paced=(course.get("self_paced") == "true") if course.get("self_paced") else None,
        files=parsed.files,
        warnings=parsed.warnings,
    )
