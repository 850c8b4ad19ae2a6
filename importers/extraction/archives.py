"""Safe unpacking of course archives (OLX .tar.gz, Common Cartridge .imscc/.zip).

Archives come from outside; unpacking one must never write outside its work directory nor fill the disk. The whole
archive is refused, with an `ArchiveError` saying which entry and why, for absolute paths, `..` components, links and
device files, encrypted entries, more files or bytes in all than the limits, and corrupt or unrecognised archives.
A single file over the per-file size limit or compressed suspiciously well (over the ratio limit) is not written and
is listed in `UnpackedArchive.skipped` with the reason, so the caller records it as that file's failure and the
other files load. Sizes are checked on the bytes actually read, not on what the headers claim.
"""

from __future__ import annotations

import os
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

CHUNK = 1024 * 1024
# A member is judged on its compression ratio only past this size: small XML and HTML files compress very well.
RATIO_FLOOR = 10 * 1024 * 1024
# A compressed tar is read through a decompressor that reads ahead; this much is allowed for when measuring how many
# compressed bytes one member took, so read-ahead never makes a member look more compressed than it is.
READ_AHEAD = 128 * 1024


class ArchiveError(Exception):
    """The archive is unsafe or unreadable; nothing outside the work directory was written."""


class _SkipMember(Exception):
    """This member breaks a per-file limit: it is not written, the rest of the archive is."""


@dataclass(frozen=True)
class ArchiveLimits:
    max_files: int = 20_000
    max_file_bytes: int = 200 * 1024 * 1024  # per file: a larger file is skipped with its reason
    max_total_bytes: int = 2 * 1024 * 1024 * 1024  # all files, skipped ones included (they are decompressed too)
    max_ratio: int = 200  # uncompressed / compressed, per file: a file over it is skipped as a likely bomb

    @classmethod
    def from_settings(cls) -> ArchiveLimits:
        """The limits set by CONTENT_ARCHIVE_MAX_FILES, _MAX_FILE_BYTES, _MAX_UNPACKED_BYTES and _MAX_RATIO."""
        from django.conf import settings

        defaults = cls()
        return cls(
            max_files=getattr(settings, "CONTENT_ARCHIVE_MAX_FILES", defaults.max_files),
            max_file_bytes=getattr(settings, "CONTENT_ARCHIVE_MAX_FILE_BYTES", defaults.max_file_bytes),
            max_total_bytes=getattr(settings, "CONTENT_ARCHIVE_MAX_UNPACKED_BYTES", defaults.max_total_bytes),
            max_ratio=getattr(settings, "CONTENT_ARCHIVE_MAX_RATIO", defaults.max_ratio),
        )


@dataclass
class UnpackedArchive:
    """What `safe_extract` wrote, and the files it skipped (their would-be path → why)."""

    files: list[Path] = field(default_factory=list)
    skipped: dict[Path, str] = field(default_factory=dict)


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
    def __init__(self, limits: ArchiveLimits):
        self.limits = limits
        self.files = 0
        self.total = 0

    def add_file(self, name: str) -> None:
        self.files += 1
        if self.files > self.limits.max_files:
            raise ArchiveError(f"more than {self.limits.max_files} files (at {name!r}): refused as an archive bomb")

    def add_total(self, name: str, count: int) -> None:
        self.total += count
        if self.total > self.limits.max_total_bytes:
            raise ArchiveError(f"archive unpacks to more than {self.limits.max_total_bytes} bytes (at {name!r})")

    def check_size(self, name: str, size: int) -> None:
        if size > self.limits.max_file_bytes:
            raise _SkipMember(
                f"{name}: larger than {self.limits.max_file_bytes:,} bytes, the limit for one file of a course archive "
                "(CONTENT_ARCHIVE_MAX_FILE_BYTES): not unpacked"
            )

    def check_ratio(self, name: str, written: int, compressed: int) -> None:
        if written > RATIO_FLOOR and written / max(compressed, 1) > self.limits.max_ratio:
            raise _SkipMember(
                f"{name}: compressed more than {self.limits.max_ratio}:1 (CONTENT_ARCHIVE_MAX_RATIO): not unpacked, "
                "as a likely archive bomb"
            )


def _copy(source, target: Path, name: str, budget: _Budget, compressed: Callable[[], int]) -> int:
    """Copy one member; `compressed()` is how many compressed bytes it took so far. Returns the bytes written;
    on a per-file limit the partial file is removed and `_SkipMember` raised."""
    written = 0
    try:
        with open(target, "wb") as out:
            while chunk := source.read(CHUNK):
                written += len(chunk)
                budget.add_total(name, len(chunk))
                budget.check_size(name, written)
                budget.check_ratio(name, written, compressed())
                out.write(chunk)
    except _SkipMember:
        target.unlink(missing_ok=True)
        raise
    return written


def _target(dest: Path, relative: PurePosixPath) -> Path:
    target = (dest / relative).resolve()
    if not target.is_relative_to(dest):
        raise ArchiveError(f"entry {relative} would be written outside the work directory")
    return target


def _extract_tar(archive: Path, dest: Path, budget: _Budget, result: UnpackedArchive) -> None:
    with open(archive, "rb") as raw, tarfile.open(fileobj=raw, mode="r:*") as tar:
        is_compressed = tar.fileobj is not raw
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
            start, written = raw.tell(), 0
            try:
                # A tar header's size is what the reader goes through to reach the next member: trusted.
                budget.check_size(member.name, member.size)
                target.parent.mkdir(parents=True, exist_ok=True)
                source = tar.extractfile(member)
                if source is None:
                    raise ArchiveError(f"entry {member.name!r} cannot be read")
                with source:
                    written = _copy(
                        source,
                        target,
                        member.name,
                        budget,
                        (lambda start=start: raw.tell() - start + READ_AHEAD)
                        if is_compressed
                        else (lambda size=member.size: size),
                    )
            except _SkipMember as skip:
                # The rest of the member is still decompressed on the way to the next one: it counts in the total.
                budget.add_total(member.name, max(member.size - written, 0))
                result.skipped[target] = str(skip)
                continue
            result.files.append(target)


def _extract_zip(archive: Path, dest: Path, budget: _Budget, result: UnpackedArchive) -> None:
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
            try:
                budget.check_size(info.filename, info.file_size)
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as source:
                    # A zip member is read from exactly its compressed bytes: its ratio is known.
                    _copy(source, target, info.filename, budget, lambda info=info: info.compress_size)
            except _SkipMember as skip:
                result.skipped[target] = str(skip)
                continue
            result.files.append(target)


def safe_extract(archive: Path | str, dest: Path | str, limits: ArchiveLimits | None = None) -> UnpackedArchive:
    """Unpack `archive` (tar, tar.gz/bz2/xz or zip) into `dest`: the files written, and those skipped for a per-file
    limit with the reason.

    On any refusal of the whole archive the partly written files are removed and `ArchiveError` says which entry
    and why. A path that is not a file raises FileNotFoundError ("no such file: PATH").
    """
    archive, dest = Path(archive), Path(dest)
    if not archive.is_file():
        # Missing is not corrupt: an OSError, so a content run retries it instead of remembering it as failed.
        raise FileNotFoundError(f"no such file: {archive}")
    dest.mkdir(parents=True, exist_ok=True)
    dest = dest.resolve()
    budget = _Budget(limits or ArchiveLimits())
    result = UnpackedArchive()
    try:
        if zipfile.is_zipfile(archive):
            _extract_zip(archive, dest, budget, result)
        elif tarfile.is_tarfile(archive):
            _extract_tar(archive, dest, budget, result)
        else:
            raise ArchiveError(f"{archive.name} is not a tar or zip archive")
    except ArchiveError:
        _empty(dest)
        raise
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, zlib.error, OSError, RuntimeError, ValueError) as exc:
        _empty(dest)
        raise ArchiveError(f"{archive.name} is corrupt or truncated: {exc}") from exc
    return result


def _empty(dest: Path) -> None:
    for root, dirs, files in os.walk(dest, topdown=False):
        for name in files:
            (Path(root) / name).unlink(missing_ok=True)
        for name in dirs:
            (Path(root) / name).rmdir()
