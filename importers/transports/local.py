"""Local file-system transport: a file or a directory read as snapshot documents."""

from __future__ import annotations

import mimetypes
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings

from ..errors import ImportFetchError
from ..sources.base import SnapshotDocument


def guess_content_type(name: str) -> str:
    if name.endswith(".json"):
        return "application/json"
    if name.endswith(".csv"):
        return "text/csv"
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def read_document(path: str | Path, name: str | None = None) -> SnapshotDocument:
    """One file as a document named `name` (default: the file name)."""
    path = Path(path)
    if not path.is_file():
        raise ImportFetchError(f"no such file: {path}")
    size = path.stat().st_size
    limit = settings.IMPORTER_MAX_DOCUMENT_BYTES
    if size > limit:
        raise ImportFetchError(f"file {path} is {size:,} bytes, over the limit of {limit:,} bytes")
    stat = path.stat()
    return SnapshotDocument(
        name=name or path.name,
        content=path.read_bytes(),
        content_type=guess_content_type(path.name),
        metadata={
            "path": str(path),
            "modified_at": datetime.fromtimestamp(stat.st_mtime, tz=UTC).isoformat(),
        },
    )


def read_documents(
    path: str | Path, *, pattern: str = "**/*", include_hidden: bool = False
) -> Iterator[SnapshotDocument]:
    """A file → one document named by its file name; a directory → one document per file matching
    `pattern`, named by its POSIX path relative to the directory, in sorted order."""
    path = Path(path)
    if path.is_file():
        yield read_document(path)
        return
    if not path.is_dir():
        raise ImportFetchError(f"no such file or directory: {path}")
    found = False
    for file in sorted(p for p in path.glob(pattern) if p.is_file()):
        relative = file.relative_to(path).as_posix()
        if not include_hidden and any(part.startswith(".") for part in relative.split("/")):
            continue
        found = True
        yield read_document(file, name=relative)
    if not found:
        raise ImportFetchError(f"directory {path} has no files matching {pattern!r}")
