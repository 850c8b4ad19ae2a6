"""What an archive parser produces: the course it describes and its files, before text extraction."""

import hashlib
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class ContentFileRecord:
    """One file of a course. `data` holds the bytes to extract text from; `text` is set when already text."""

    key: str
    title: str
    content_type: str  # page, problem, video, assignment, file, ...
    source_path: str
    data: bytes = b""
    text: str = ""
    file_extension: str = ""
    url: str = ""
    error: str = ""  # set when the file could not be read (too large): recorded as the file's failure

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.data or self.text.encode() or self.error.encode()).hexdigest()


@dataclass
class CourseArchive:
    """A parsed course archive: identity and metadata of the course, and its content files in order."""

    source_id: str
    title: str
    run_id: str = ""
    description: str = ""
    language: str = ""
    start: str = ""
    end: str = ""
    self_paced: bool | None = None
    files: list[ContentFileRecord] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class FileTooLarge(ValueError):
    """A file of the archive is over CONTENT_FILE_MAX_BYTES: recorded as that file's failure."""


def read_limited(path: Path, limit: int | None = None) -> bytes:
    if limit is None:
        from django.conf import settings

        limit = settings.CONTENT_FILE_MAX_BYTES
    size = path.stat().st_size
    if size > limit:
        raise FileTooLarge(
            f"{path.name}: {size:,} bytes is over the {limit:,} byte extraction limit (CONTENT_FILE_MAX_BYTES)"
        )
    return path.read_bytes()


def is_junk(path: Path) -> bool:
    """macOS resource forks and folders that ride along in archives made on a Mac."""
    return path.name.startswith("._") or "__MACOSX" in path.parts or path.name == ".DS_Store"
