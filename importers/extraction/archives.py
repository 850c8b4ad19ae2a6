"""Safe unpacking of course archives (OLX .tar.gz, Common Cartridge .imscc/.zip).

Archives come from outside; unpacking one must never write outside its work directory nor fill the disk. Refused,
with an `ArchiveError` saying which entry and why: absolute paths, `..` components, links and device files,
encrypted entries, more files or bytes than the limits (checked on the bytes actually written, not on what the
headers claim), a suspicious compression ratio, and corrupt or unrecognised archives.
"""

from __future__ import annotations

import os
import stat
import tarfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

CHUNK = 1024 * 1024


class ArchiveError(Exception):
    """The archive is unsafe or unreadable; nothing outside the work directory was written."""


@dataclass(frozen=True)
class ArchiveLimits:
    max_files: int = 20_000
    max_file_bytes: int = 200 * 1024 * 1024
    max_total_bytes: int = 2 * 1024 * 1024 * 1024
    max_ratio: int = 200  # uncompressed / compressed, for the whole archive


def _safe_relative(name: str) -> PurePosixPath:
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        raise ArchiveError(f"entry {name!r} has an absolute path")
    if ".." in path.parts:
        raise ArchiveError(f"entry {name!r} climbs out of the archive with '..'")
    parts = [part for part in path.parts if part not in ("", ".")]
    if not parts:
        raise ArchiveError(f"entry {name!r} has an empty path")
    return PurePosixPath(*parts)


class _Budget:
    def __init__(self, limits: ArchiveLimits, compressed_size: int):
        self.limits = limits
        self.compressed_size = max(compressed_size, 1)
        self.files = 0
        self.total = 0

    def add_file(self, name: str) -> None:
        self.files += 1
        if self.files > self.limits.max_files:
            raise ArchiveError(f"more than {self.limits.max_files} files (at {name!r}): refused as an archive bomb")

    def add_bytes(self, name: str, written: int, count: int) -> None:
        self.total += count
        if written > self.limits.max_file_bytes:
            raise ArchiveError(f"entry {name!r} is larger than {self.limits.max_file_bytes} bytes")
        if self.total > self.limits.max_total_bytes:
            raise ArchiveError(f"archive unpacks to more than {self.limits.max_total_bytes} bytes (at {name!r})")
        if self.total > 10 * 1024 * 1024 and self.total / self.compressed_size > self.limits.max_ratio:
            raise ArchiveError(
                f"compression ratio over {self.limits.max_ratio}:1 (at {name!r}): refused as an archive bomb"
            )


def _copy(source, target: Path, name: str, budget: _Budget) -> None:
    written = 0
    with open(target, "wb") as out:
        while chunk := source.read(CHUNK):
            written += len(chunk)
            budget.add_bytes(name, written, len(chunk))
            out.write(chunk)


def _target(dest: Path, relative: PurePosixPath) -> Path:
    target = (dest / relative).resolve()
    if not target.is_relative_to(dest):
        raise ArchiveError(f"entry {relative} would be written outside the work directory")
    return target


def _extract_tar(archive: Path, dest: Path, budget: _Budget) -> list[Path]:
    written: list[Path] = []
    with tarfile.open(archive, mode="r:*") as tar:
        for member in tar:
            relative = _safe_relative(member.name)
            if member.issym() or member.islnk():
                raise ArchiveError(f"entry {member.name!r} is a link: refused")
            if member.isdir():
                _target(dest, relative).mkdir(parents=True, exist_ok=True)
                continue
            if not member.isfile():
                raise ArchiveError(f"entry {member.name!r} is a device, FIFO or other special file: refused")
            budget.add_file(member.name)
            target = _target(dest, relative)
            target.parent.mkdir(parents=True, exist_ok=True)
            source = tar.extractfile(member)
            if source is None:
                raise ArchiveError(f"entry {member.name!r} cannot be read")
            with source:
                _copy(source, target, member.name, budget)
            written.append(target)
    return written


def _extract_zip(archive: Path, dest: Path, budget: _Budget) -> list[Path]:
    written: list[Path] = []
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            relative = _safe_relative(info.filename)
            if info.flag_bits & 0x1:
                raise ArchiveError(f"entry {info.filename!r} is encrypted: refused")
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                raise ArchiveError(f"entry {info.filename!r} is a link: refused")
            if info.is_dir():
                _target(dest, relative).mkdir(parents=True, exist_ok=True)
                continue
            budget.add_file(info.filename)
            target = _target(dest, relative)
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as source:
                _copy(source, target, info.filename, budget)
            written.append(target)
    return written


def safe_extract(archive: Path | str, dest: Path | str, limits: ArchiveLimits | None = None) -> list[Path]:
    """Unpack `archive` (tar, tar.gz/bz2/xz or zip) into `dest`; return the files written.

    On any refusal the partly written files are removed and `ArchiveError` says which entry and why.
    """
    archive, dest = Path(archive), Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    dest = dest.resolve()
    budget = _Budget(limits or ArchiveLimits(), archive.stat().st_size)
    try:
        if zipfile.is_zipfile(archive):
            return _extract_zip(archive, dest, budget)
        if tarfile.is_tarfile(archive):
            return _extract_tar(archive, dest, budget)
        raise ArchiveError(f"{archive.name} is not a tar or zip archive")
    except ArchiveError:
        _empty(dest)
        raise
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, zlib.error, OSError, RuntimeError, ValueError) as exc:
        _empty(dest)
        raise ArchiveError(f"{archive.name} is corrupt or truncated: {exc}") from exc


def _empty(dest: Path) -> None:
    for root, dirs, files in os.walk(dest, topdown=False):
        for name in files:
            (Path(root) / name).unlink(missing_ok=True)
        for name in dirs:
            (Path(root) / name).rmdir()
