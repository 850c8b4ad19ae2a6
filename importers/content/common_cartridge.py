"""IMS Common Cartridge (.imscc, e.g. Canvas exports): the manifest's title, organisation and resources.

Web content, wiki pages and assignments become content files (their HTML passed on for Tika); the course title and
description come from the manifest's LOM metadata (Canvas also writes course_settings/course_settings.xml).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from xml.etree.ElementTree import Element

from defusedxml import ElementTree

from .records import ContentFileRecord, CourseArchive, FileTooLarge, read_limited

TEXT_EXTENSIONS = {".html", ".htm", ".xml", ".txt", ".pdf", ".docx", ".pptx", ".md"}


class CartridgeError(Exception):
    """Not a Common Cartridge (no imsmanifest.xml) or a broken manifest."""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(element: Element, name: str) -> list[Element]:
    return [child for child in element if _local(child.tag) == name]


def _first_text(element: Element, *path: str) -> str:
    nodes = [element]
    for name in path:
        nodes = [child for node in nodes for child in node if _local(child.tag) == name]
    return next((n.text.strip() for n in nodes if n.text and n.text.strip()), "")


def _kind(resource_type: str, href: str, folder: Path) -> str:
    resource_type = resource_type.lower()
    # Canvas keeps an assignment's settings beside its HTML.
    if (folder / PurePosixPath(href).parent / "assignment_settings.xml").is_file() and href.endswith(".html"):
        return "assignment"
    if "assignment" in resource_type or "assessment" in resource_type:
        return "assignment"
    if "discussion" in resource_type or "topic" in resource_type:
        return "discussion"
    if href.startswith("wiki_content/"):
        return "page"
    return "file" if resource_type.startswith("webcontent") else "page"


def parse_cartridge(folder: Path, *, source_id: str = "", skipped: Mapping[Path, str] | None = None) -> CourseArchive:
    """Parse an unpacked cartridge; `source_id` defaults to the manifest identifier. `skipped` are the files the
    unpacker left out for a per-file limit (resolved path → reason): recorded as those files' failures.
    CartridgeError when the manifest is missing or broken, or names no identifier or title."""
    skipped = skipped or {}
    folder = Path(folder)
    manifest_path = folder / "imsmanifest.xml"
    if not manifest_path.is_file():
        raise CartridgeError("no imsmanifest.xml: not an IMS Common Cartridge")
    try:
        manifest = ElementTree.parse(manifest_path).getroot()
    except Exception as exc:
        raise CartridgeError(f"imsmanifest.xml: invalid XML ({exc})") from exc

    metadata = next(iter(_children(manifest, "metadata")), manifest)
    title = _first_text(metadata, "lom", "general", "title", "string")
    description = _first_text(metadata, "lom", "general", "description", "string")
    settings_path = folder / "course_settings" / "course_settings.xml"
    if settings_path.is_file():
        try:
            settings = ElementTree.parse(settings_path).getroot()
            title = title or _first_text(settings, "title")
        except Exception as exc:  # a broken Canvas settings file does not stop the import
            description = description or ""
            settings_warning = f"course_settings.xml unreadable: {exc}"
        else:
            settings_warning = ""
    else:
        settings_warning = ""

    # Titles from the organisation tree, keyed by the resource they point at.
    item_titles: dict[str, str] = {}
    for item in manifest.iter():
        if _local(item.tag) == "item" and item.get("identifierref"):
            item_titles[item.get("identifierref")] = _first_text(item, "title")

    # Never a name made up from the work folder (a temporary path): a cartridge that does not say which course it
    # is, or what it is called, is refused rather than imported as a course called "tmpk3x9_q".
    source_id = (source_id or manifest.get("identifier", "")).strip()
    if not source_id:
        raise CartridgeError("imsmanifest.xml has no identifier: cannot tell which course the cartridge holds")
    if not title:
        raise CartridgeError(
            "no course title: neither imsmanifest.xml (lom/general/title) nor course_settings/course_settings.xml "
            "names the course"
        )
    archive = CourseArchive(
        source_id=source_id,
        title=title,
        description=description,
        warnings=[settings_warning] if settings_warning else [],
    )
    seen: set[str] = set()
    for resources in _children(manifest, "resources"):
        for resource in _children(resources, "resource"):
            identifier = resource.get("identifier", "")
            href = resource.get("href", "") or next(
                (f.get("href", "") for f in _children(resource, "file") if f.get("href")), ""
            )
            if not href or href.startswith("course_settings/") or href in seen:
                continue
            relative = PurePosixPath(href)
            if relative.is_absolute() or ".." in relative.parts:
                archive.warnings.append(f"resource {identifier}: unsafe href {href!r} skipped")
                continue
            path = folder / relative
            error = skipped.get(path.resolve(), "")
            if relative.suffix.lower() not in TEXT_EXTENSIONS or not (error or path.is_file()):
                continue
            seen.add(href)
            data = b""
            try:
                data = b"" if error else read_limited(path)
            except FileTooLarge as exc:
                error = str(exc)
            archive.files.append(
                ContentFileRecord(
                    key=href,
                    title=item_titles.get(identifier) or relative.stem.replace("-", " "),
                    content_type=_kind(resource.get("type", ""), href, folder),
                    source_path=href,
                    data=data,
                    error=error,
                    file_extension=relative.suffix.lower(),
                )
            )
    return archive
