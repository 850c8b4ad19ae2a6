"""SnapshotStore: every snapshot a source produced, stored with its checksum, size, source and time.

Documents are written to the "snapshots" storage (settings.STORAGES: local files under SNAPSHOT_ROOT, or S3
under the "snapshots/" prefix) as they arrive from `extract()`, so a run never holds two copies. The
snapshot's sha256 covers the documents' names and bytes (not their fetch metadata), so fetching an
unchanged source twice gives the same checksum. A snapshot equal to one already stored for the source is
not stored twice.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.utils import timezone

from .errors import SnapshotError
from .models import ImportRun, StoredSnapshot
from .sources.base import Snapshot, SnapshotDocument

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def document_file_name(index: int, name: str) -> str:
    safe = _UNSAFE.sub("_", name.replace("/", "__")).strip("._") or "document"
    return f"{index:05d}-{safe[:120]}"


def combine_checksums(entries: Iterable[tuple[str, str]]) -> str:
    """The snapshot checksum from (document name, document sha256) pairs, independent of their order."""
    digest = hashlib.sha256()
    for name, sha in sorted(entries):
        digest.update(name.encode("utf-8"))
        digest.update(b"\0")
        digest.update(sha.encode("ascii"))
        digest.update(b"\n")
    return digest.hexdigest()


def snapshot_checksum(documents: Iterable[SnapshotDocument]) -> str:
    return combine_checksums((d.name, hashlib.sha256(d.content).hexdigest()) for d in documents)


class SnapshotStore:
    """Store, find, load and prune snapshots."""

    def __init__(self, storage: Storage | None = None, retention: int | None = None):
        self.storage = storage or storages["snapshots"]
        self.retention = settings.SNAPSHOT_RETENTION if retention is None else retention

    # --- writing ----------------------------------------------------------------------------------

    def store(
        self,
        source: str,
        documents: Iterable[SnapshotDocument],
        *,
        origin: str = StoredSnapshot.Origin.EXTRACT,
        on_document=None,
    ) -> tuple[StoredSnapshot, bool]:
        """Write `documents` (consumed one at a time) and return (snapshot, created). When the source already
        has a snapshot with the same checksum, the new files are removed and the existing one is returned."""
        now = timezone.now()
        folder = f"{_UNSAFE.sub('_', source)}/{now:%Y%m%dT%H%M%S%f}"
        entries: list[dict] = []
        written: list[str] = []
        names: set[str] = set()
        try:
            for index, document in enumerate(documents):
                if not isinstance(document, SnapshotDocument):
                    raise SnapshotError(
                        f"{source}: extract() yielded {type(document).__name__}, expected SnapshotDocument"
                    )
                if document.name in names:
                    raise SnapshotError(f"{source}: two documents are named {document.name!r}")
                names.add(document.name)
                content = document.content
                if isinstance(content, str):
                    content = content.encode("utf-8")
                file_name = self.storage.save(
                    f"{folder}/{document_file_name(index, document.name)}", ContentFile(content)
                )
                written.append(file_name)
                entries.append(
                    {
                        "name": document.name,
                        "file": file_name,
                        "size": len(content),
                        "sha256": hashlib.sha256(content).hexdigest(),
                        "content_type": document.content_type,
                        "metadata": _json_safe(document.metadata),
                    }
                )
                if on_document:
                    on_document(document)
        except BaseException:
            self._delete_files(written)
            self._remove_empty_folder(folder)
            raise
        sha = combine_checksums((e["name"], e["sha256"]) for e in entries)
        existing = StoredSnapshot.objects.filter(source=source, sha256=sha).first()
        if existing is not None:
            self._delete_files(written)
            self._remove_empty_folder(folder)
            existing.last_seen_at = now
            # Fresh fetch metadata (ETags, times) for the next conditional request.
            fresh = {e["name"]: e["metadata"] for e in entries}
            existing.documents = [
                {**old, "metadata": fresh.get(old["name"], old.get("metadata"))} for old in existing.documents
            ]
            existing.save(update_fields=["last_seen_at", "documents"])
            return existing, False
        snapshot = StoredSnapshot.objects.create(
            source=source,
            sha256=sha,
            size=sum(e["size"] for e in entries),
            document_count=len(entries),
            documents=entries,
            path=folder,
            origin=origin,
            created_at=now,
            last_seen_at=now,
        )
        return snapshot, True

    # --- reading ----------------------------------------------------------------------------------

    def load(self, snapshot: StoredSnapshot, *, verify: bool = True) -> Snapshot:
        """The stored snapshot with its documents' bytes; SnapshotError when a file is missing or corrupt."""
        documents = []
        for entry in snapshot.documents:
            try:
                with self.storage.open(entry["file"], "rb") as handle:
                    content = handle.read()
            except (FileNotFoundError, OSError) as exc:
                raise SnapshotError(
                    f"snapshot #{snapshot.pk} of {snapshot.source}: document {entry['name']!r} is missing from "
                    f"storage ({entry['file']}): {exc}"
                ) from None
            if verify and hashlib.sha256(content).hexdigest() != entry["sha256"]:
                raise SnapshotError(
                    f"snapshot #{snapshot.pk} of {snapshot.source}: document {entry['name']!r} does not match "
                    "its checksum (the stored file was changed or truncated)"
                )
            documents.append(
                SnapshotDocument(
                    name=entry["name"],
                    content=content,
                    content_type=entry.get("content_type") or "application/octet-stream",
                    metadata=dict(entry.get("metadata") or {}),
                )
            )
        return Snapshot(source=snapshot.source, documents=documents, sha256=snapshot.sha256)

    def previous_documents(self, source: str) -> dict[str, SnapshotDocument]:
        """URL → document of the source's latest snapshot, for conditional HTTP requests (lazy: the bytes
        are only read for documents that carry an ETag or Last-Modified)."""
        latest = StoredSnapshot.objects.filter(source=source).order_by("-last_seen_at", "-pk").first()
        if latest is None:
            return {}
        result = {}
        for entry in latest.documents:
            metadata = entry.get("metadata") or {}
            url = metadata.get("url")
            if not url or not (metadata.get("etag") or metadata.get("last_modified")):
                continue
            try:
                with self.storage.open(entry["file"], "rb") as handle:
                    content = handle.read()
            except OSError:
                continue
            if hashlib.sha256(content).hexdigest() != entry["sha256"]:
                continue
            result[url] = SnapshotDocument(
                name=entry["name"], content=content, content_type=entry.get("content_type", ""), metadata=metadata
            )
        return result

    def last_successful(self, source: str) -> StoredSnapshot | None:
        run = (
            ImportRun.objects.filter(source=source, status=ImportRun.Status.SUCCEEDED, dry_run=False)
            .exclude(snapshot_sha256="")
            .order_by("-started_at", "-pk")
            .first()
        )
        if run is None:
            return None
        return run.snapshot or StoredSnapshot.objects.filter(source=source, sha256=run.snapshot_sha256).first()

    # --- retention --------------------------------------------------------------------------------

    def prune(self, source: str, keep: int | None = None) -> int:
        """Delete all but the newest `keep` snapshots of `source` (SNAPSHOT_RETENTION); the snapshots of the last
        successful run and of runs awaiting review, waiting for the source or running are always kept. Returns
        how many were deleted."""
        keep = self.retention if keep is None else keep
        if keep <= 0:
            return 0
        snapshots = list(StoredSnapshot.objects.filter(source=source).order_by("-last_seen_at", "-pk"))
        pending = (ImportRun.Status.NEEDS_REVIEW, ImportRun.Status.WAITING, ImportRun.Status.RUNNING)
        protected = set(
            ImportRun.objects.filter(source=source, status__in=pending)
            .exclude(snapshot=None)
            .values_list("snapshot_id", flat=True)
        )
        last = self.last_successful(source)
        if last is not None:
            protected.add(last.pk)
        deleted = 0
        for snapshot in snapshots[keep:]:
            if snapshot.pk in protected:
                continue
            self.delete(snapshot)
            deleted += 1
        return deleted

    def delete(self, snapshot: StoredSnapshot) -> None:
        self._delete_files(entry["file"] for entry in snapshot.documents)
        self._remove_empty_folder(snapshot.path)
        snapshot.delete()

    def _remove_empty_folder(self, folder: str) -> None:
        """Local storage keeps empty folders; remove the snapshot's (object stores have none)."""
        try:
            path = Path(self.storage.path(folder))
        except NotImplementedError:
            return
        for directory in sorted((p for p in path.rglob("*") if p.is_dir()), reverse=True):
            with contextlib.suppress(OSError):
                directory.rmdir()
        with contextlib.suppress(OSError):
            path.rmdir()

    def _delete_files(self, names: Iterable[str]) -> None:
        for name in names:
            with contextlib.suppress(OSError):  # already gone: nothing to do
                self.storage.delete(name)


def _json_safe(value):
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
