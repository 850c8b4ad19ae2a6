"""MIT OpenCourseWare course files: pages, documents and video transcripts of each course site.

extract: the site JSON from the same place as the `ocw` catalogue source (OCW_COURSES_DIR, or OCW_S3_BUCKET and
OCW_S3_PREFIX): `<site>/data.json`, `<site>/resources/<name>/data.json` and `<site>/pages/<name>/data.json`, plus a
`listing.json` stamped with the time (every run reaches the loader; per-file checksums skip unchanged work). The
course files themselves (PDFs, captions) are read by the loader, importers.content.ocw.load_ocw_content.
transform: one record per site — its course JSON, resources and pages.

Documents named otherwise (loose data.json files given to `--file`) are recognised by shape, as the ocw source does.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from ..errors import TransformError
from ..registry import register
from .base import Snapshot, SnapshotDocument, Source
from .ocw import _site_from_paths

LISTING = "listing.json"


def _wanted(name: str) -> bool:
    """A site's data.json, or one of its resources' or pages'."""
    parts = name.split("/")
    return parts[-1] == "data.json" and (len(parts) == 2 or (len(parts) == 4 and parts[1] in ("resources", "pages")))


@register
class OCWContentSource(Source):
    name = "ocw_content"
    title = "OpenCourseWare course files"
    kind = "content"
    description = "Pages, documents (text through Tika) and video transcripts of the OCW course sites."
    default_schedule = {"cron": "0 8 * * *"}  # after the ocw catalogue import
    loader = "importers.content.ocw.load_ocw_content"

    @classmethod
    def default_config(cls) -> dict:
        return {
            "base_url": settings.OCW_BASE_URL,
            "bucket": settings.OCW_S3_BUCKET,
            "prefix": settings.OCW_S3_PREFIX,
            "directory": settings.OCW_COURSES_DIR,
            "fetch_files": settings.OCW_CONTENT_FETCH_FILES,
            "endpoint_url": settings.AWS_S3_ENDPOINT_URL or "",
        }

    # --- extract ----------------------------------------------------------------------------------------

    def idle_reason(self) -> str:
        """Why runs of this source do nothing, or "" when a location is configured."""
        if self.config.get("directory") or self.config.get("bucket"):
            return ""
        return "no OCW location configured: set OCW_COURSES_DIR or OCW_S3_BUCKET (and OCW_S3_PREFIX)"

    def _listing(self, problem: str = "") -> SnapshotDocument:
        listing = {"listed_at": timezone.now().isoformat(), "problem": problem}
        return SnapshotDocument(name=LISTING, content=json.dumps(listing).encode())

    def extract(self, http) -> Iterator[SnapshotDocument]:
        if self.config.get("directory"):
            yield from self.documents_from_path(self.config["directory"])
        elif self.config.get("bucket"):
            yield from self._from_s3(self.config["bucket"], self.config.get("prefix") or "")
        else:
            yield self._listing(self.idle_reason())

    def documents_from_path(self, path) -> Iterator[SnapshotDocument]:
        from ..transports.local import read_document, read_documents

        path = Path(path)
        yield self._listing()
        if path.is_file():
            yield read_document(path)
            return
        if not path.is_dir():
            self.warn(f"OCW folder {path} does not exist: nothing to import")
            return
        files = [f for f in sorted(path.glob("**/data.json")) if _wanted(f.relative_to(path).as_posix())]
        if not files:
            yield from read_documents(path, pattern="**/*.json")
            return
        for file in files:
            yield read_document(file, name=file.relative_to(path).as_posix())

    def _from_s3(self, bucket: str, prefix: str) -> Iterator[SnapshotDocument]:
        from ..transports.s3 import S3Reader

        reader = S3Reader(bucket, endpoint_url=self.config.get("endpoint_url") or None)
        yield self._listing()
        for item in reader.list(prefix, suffix="data.json"):
            name = item["Key"][len(prefix) :].lstrip("/")
            if _wanted(name):
                yield reader.read(item["Key"], name=name)

    # --- transform --------------------------------------------------------------------------------------

    def transform(self, snapshot: Snapshot) -> Iterator[dict]:
        courses: dict[str, dict] = {}
        items: dict[str, dict[str, list[dict]]] = defaultdict(lambda: {"resources": [], "pages": []})
        orphans: dict[str, list[dict]] = {"resources": [], "pages": []}
        for document in snapshot.documents:
            data = document.json()
            if document.name == LISTING:
                if data.get("problem"):
                    self.warn(data["problem"])
                continue
            if not isinstance(data, dict):
                raise TransformError("wrong schema: an OCW data.json is an object", document=document.name)
            parts = document.name.split("/")
            site = parts[0] if len(parts) > 1 else _site_from_paths(data)
            if "course_title" in data:
                site = site or str(data.get("site_uid") or "")
                if not site:
                    raise TransformError("cannot tell which course site this is", document=document.name)
                courses[site] = data
                continue
            kind = {"resource": "resources", "page": "pages"}.get(data.get("content_type"))
            if kind is None:
                self.warn(f"{document.name}: not an OCW course, resource or page data.json; skipped")
                continue
            if len(parts) == 4:
                data = {**data, "_dir": parts[2]}
            (items[site][kind] if site else orphans[kind]).append(data)
        if any(orphans.values()):
            if len(courses) == 1:
                only = next(iter(courses))
                for kind, found in orphans.items():
                    items[only][kind].extend(found)
            else:
                count = sum(len(found) for found in orphans.values())
                self.warn(f"{count} resources or pages could not be tied to a course site; skipped")
        config = {name: self.config.get(name) for name in self.default_config()}
        for site, course in courses.items():
            yield {"site": site, "course": course, **items[site], "config": config}
        for site in sorted(set(items) - set(courses)):
            self.warn(f"{site}: resources or pages without the site's data.json; skipped")
