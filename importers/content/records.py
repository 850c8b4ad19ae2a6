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

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.data or self.text.encode()).hexdigest()


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


def read_limited(path: Path, limit: int = 50 * 1024 * 1024) -> bytes:
    if path.stat().st_size > limit:
        raise ValueError(f"{path.name} is larger than {limit} bytes")
    return path.read_bytes()


def is_junk(path: Path) -> bool:
    """macOS resource forks and folders that ride along in archives made on a Mac."""
    return path.name.startswith("._") or "__MACOSX" in path.parts or path.name == ".DS_Store"
