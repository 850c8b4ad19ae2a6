"""Where a content-file source finds its course archives: a local folder or an S3 bucket and prefix.

A location is one string: a folder path (the default, e.g. var/content/edx) or `s3://bucket/prefix`. Listing
returns `ArchiveEntry`s (key below the location, size, modification time, S3 ETag); `fetch()` copies one archive to
a local file so that it can be unpacked safely, refusing one larger than the limit.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings

from ..errors import ImportFetchError

CHUNK = 1024 * 1024


@dataclass(frozen=True)
class ArchiveEntry:
    key: str  # path below the location, POSIX separators
    size: int
    modified: str  # ISO 8601, UTC
    etag: str = ""  # S3 only

    def as_dict(self) -> dict:
        return {"key": self.key, "size": self.size, "modified": self.modified, "etag": self.etag}


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _too_big(where: str, size: int, limit: int) -> ImportFetchError:
    return ImportFetchError(
        f"{where} is {size:,} bytes, over the archive limit of {limit:,} bytes (CONTENT_ARCHIVE_MAX_BYTES)"
    )


class LocalArchives:
    kind = "folder"

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)

    def __str__(self) -> str:
        return str(self.folder)

    @property
    def exists(self) -> bool:
        return self.folder.is_dir() or self.folder.is_file()  # a single archive given by hand lists itself

    def list(self, suffixes: tuple[str, ...]) -> Iterator[ArchiveEntry]:
        if self.folder.is_file():  # a single archive given by hand
            files = [self.folder] if self.folder.name.lower().endswith(suffixes) else []
            root = self.folder.parent
        elif self.folder.is_dir():
            files = sorted(p for p in self.folder.rglob("*") if p.is_file() and p.name.lower().endswith(suffixes))
            root = self.folder
        else:
            return
        for path in files:
            relative = path.relative_to(root)
            if any(part.startswith(".") for part in relative.parts):
                continue
            stat = path.stat()
            yield ArchiveEntry(
                key=relative.as_posix(),
                size=stat.st_size,
                modified=datetime.fromtimestamp(stat.st_mtime, tz=UTC).isoformat(),
            )

    def path_of(self, key: str) -> Path:
        root = self.folder.parent if self.folder.is_file() else self.folder
        path = (root / key).resolve()
        if not path.is_relative_to(root.resolve()):
            raise ImportFetchError(f"archive key {key!r} is outside {root}")
        return path

    def fetch(self, entry: ArchiveEntry, destination: Path, limit: int) -> Path:
        """A local archive is read where it is; nothing is copied."""
        path = self.path_of(entry.key)
        if not path.is_file():
            raise ImportFetchError(f"archive {path} is gone (listed earlier)")
        if path.stat().st_size > limit:
            raise _too_big(str(path), path.stat().st_size, limit)
        return path


class S3Archives:
    kind = "s3"

    def __init__(self, bucket: str, prefix: str = "", *, endpoint_url: str | None = None, client=None):
        from ..transports.s3 import S3Reader

        self.bucket = bucket
        self.prefix = prefix
        self.reader = S3Reader(bucket, endpoint_url=endpoint_url, client=client)

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    @property
    def exists(self) -> bool:
        return True

    def list(self, suffixes: tuple[str, ...]) -> Iterator[ArchiveEntry]:
        for item in self.reader.list(self.prefix):
            if not item["Key"].lower().endswith(suffixes):
                continue
            modified = item.get("LastModified")
            yield ArchiveEntry(
                key=item["Key"][len(self.prefix) :].lstrip("/"),
                size=int(item.get("Size") or 0),
                modified=modified.astimezone(UTC).isoformat() if modified else "",
                etag=str(item.get("ETag") or "").strip('"'),
            )

    def fetch(self, entry: ArchiveEntry, destination: Path, limit: int) -> Path:
        from botocore.exceptions import BotoCoreError, ClientError

        key = f"{self.prefix.rstrip('/')}/{entry.key}" if self.prefix else entry.key
        where = f"s3://{self.bucket}/{key}"
        if entry.size > limit:
            raise _too_big(where, entry.size, limit)
        written = 0
        try:
            body = self.reader.client.get_object(Bucket=self.bucket, Key=key)["Body"]
            with open(destination, "wb") as handle:
                while chunk := body.read(CHUNK):
                    written += len(chunk)
                    if written > limit:
                        raise _too_big(where, written, limit)
                    handle.write(chunk)
        except (BotoCoreError, ClientError) as exc:
            raise ImportFetchError(f"cannot read {where}: {exc}") from None
        return destination


def open_location(location: str, *, endpoint_url: str | None = None):
    """`s3://bucket/prefix` → S3Archives; anything else → a local folder (or a single archive file)."""
    location = (location or "").strip()
    if not location:
        return None
    if location.startswith("s3://"):
        bucket, _, prefix = location[len("s3://") :].partition("/")
        if not bucket:
            raise ImportFetchError(f"no bucket in {location!r}; write s3://bucket/prefix")
        return S3Archives(bucket, prefix, endpoint_url=endpoint_url or settings.AWS_S3_ENDPOINT_URL)
    return LocalArchives(Path(location).expanduser())
