"""Content-file sources of course archives, as MIT Learn's: OLX exports of edX, MITx Online and xPRO course runs,
and IMS Common Cartridges exported from Canvas.

extract: lists the archives at the source's location — a local folder (default var/content/<platform>) or
`s3://bucket/prefix` — and yields one `listing.json` document: each archive's key, size, modification time and S3
ETag, and the time of listing (so every run reaches the loader, whose per-archive checksums skip unchanged work and
retry an archive whose course was not in the catalogue yet). The archives themselves are read by the loader, not
copied into the snapshot; an archive given as bytes (webhook, --url) travels in the snapshot instead.
transform: one record per archive for importers.content.loader.load_content_archives.

A source whose folder does not exist lists nothing and says so in the run's warnings: it is harmless until
configured.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from ..content.locations import LocalArchives, open_location
from ..errors import TransformError
from ..registry import register
from .base import Snapshot, SnapshotDocument, Source

LISTING = "listing.json"
OLX_SUFFIXES = (".tar.gz", ".tgz")
CARTRIDGE_SUFFIXES = (".imscc", ".zip")


class ContentArchiveSource(Source):
    kind = "content"
    loader = "importers.content.loader.load_content_archives"
    default_schedule = {"cron": "30 7 * * *"}  # after the catalogue imports of the night
    suffixes: tuple[str, ...] = OLX_SUFFIXES
    catalog_source: str = ""  # the catalogue source whose courses the archives belong to
    location_setting: str = ""

    configured_defaults: dict = {}  # an ad-hoc source's options (see `archive_files_source`)

    @classmethod
    def default_config(cls) -> dict:
        return {
            "location": getattr(settings, cls.location_setting, "") if cls.location_setting else "",
            "endpoint_url": settings.AWS_S3_ENDPOINT_URL or "",
            "catalog_source": cls.catalog_source,
            "cartridge_source": "",
            "resource": "",
            **cls.configured_defaults,
        }

    def default_document_name(self) -> str:
        return f"{self.name}{self.suffixes[0]}"

    # --- extract ----------------------------------------------------------------------------------------

    def extract(self, http) -> Iterator[SnapshotDocument]:
        yield self._listing(open_location(self.config.get("location") or "", endpoint_url=self._endpoint()))

    def documents_from_path(self, path) -> Iterator[SnapshotDocument]:
        """`manage.py import <source> --file PATH`: the archives in a folder (or one archive), read in place."""
        yield self._listing(LocalArchives(Path(path).expanduser().resolve()))

    def _endpoint(self) -> str | None:
        return self.config.get("endpoint_url") or None

    def idle_reason(self, location=None) -> str:
        """Why runs of this source do nothing (no location, or a missing folder), or "" when configured."""
        if location is None:
            location = open_location(self.config.get("location") or "", endpoint_url=self._endpoint())
        if location is None:
            return f"no archive location configured: set {self.location_setting} (a folder or s3://bucket/prefix)"
        if not location.exists:
            return f"archive folder {location} does not exist: nothing to import"
        return ""

    def _listing(self, location) -> SnapshotDocument:
        archives, problem = [], self.idle_reason(location)
        if not problem:
            archives = [entry.as_dict() for entry in location.list(self.suffixes)]
        listing = {
            "location": str(location or ""),
            "listed_at": timezone.now().isoformat(),
            "archives": archives,
            "problem": problem,
        }
        return SnapshotDocument(name=LISTING, content=json.dumps(listing, indent=1).encode())

    # --- transform --------------------------------------------------------------------------------------

    def transform(self, snapshot: Snapshot) -> Iterator[dict]:
        common = {
            "catalog_source": self.config.get("catalog_source") or "",
            "cartridge_source": self.config.get("cartridge_source") or "",
            "resource": str(self.config.get("resource") or ""),
            "endpoint_url": self._endpoint() or "",
        }
        for document in snapshot.documents:
            if document.name == LISTING:
                listing = document.json()
                if not isinstance(listing, dict) or not isinstance(listing.get("archives"), list):
                    raise TransformError("wrong schema: expected an object with an 'archives' list", document=LISTING)
                if listing.get("problem"):
                    self.warn(listing["problem"])
                elif not listing["archives"]:
                    self.warn(f"no archives ({', '.join(self.suffixes)}) in {listing.get('location')}")
                for entry in listing["archives"]:
                    if not isinstance(entry, dict) or not entry.get("key"):
                        raise TransformError(f"archive entry without a key: {entry!r}", document=LISTING)
                    yield {**entry, **common, "location": listing.get("location") or ""}
            elif document.name.lower().endswith(self.suffixes):
                yield {
                    "key": document.name,
                    "content": document.content,
                    **common,
                    "size": document.size,
                    "modified": str(document.metadata.get("fetched_at") or ""),
                }
            else:
                self.warn(f"{document.name}: neither {LISTING} nor an archive ({', '.join(self.suffixes)}); skipped")


@register
class EdxContentSource(ContentArchiveSource):
    name = "edx_content"
    title = "edX course files"
    description = "OLX exports (.tar.gz) of edX course runs: their pages, problems, transcripts and documents."
    catalog_source = "edx"
    location_setting = "EDX_CONTENT_ARCHIVES"


@register
class MITxOnlineContentSource(ContentArchiveSource):
    name = "mitxonline_content"
    title = "MITx Online course files"
    description = "OLX exports (.tar.gz) of MITx Online course runs."
    catalog_source = "mitxonline"
    location_setting = "MITXONLINE_CONTENT_ARCHIVES"


@register
class XProContentSource(ContentArchiveSource):
    name = "xpro_content"
    title = "xPRO course files"
    description = "OLX exports (.tar.gz) of MIT xPRO course runs."
    catalog_source = "xpro"
    location_setting = "XPRO_CONTENT_ARCHIVES"


@register
class CanvasContentSource(ContentArchiveSource):
    name = "canvas_content"
    title = "Canvas course files"
    description = (
        "IMS Common Cartridge exports (.imscc) of Canvas courses; a course missing from the catalogue is created."
    )
    catalog_source = "canvas"
    location_setting = "CANVAS_CONTENT_ARCHIVES"
    suffixes = CARTRIDGE_SUFFIXES


# The source `manage.py import_content` runs: archives given on the command line go through the runner (run history,
# the per-source lock, per-archive checksums) like any other import. It is registered by the command only, with the
# command's options, so it has no schedule.
ARCHIVE_FILES_SOURCE = "import_content"


def archive_files_source(*, cartridge_source: str = "canvas", resource: str = "") -> type[ContentArchiveSource]:
    """The source class of `manage.py import_content`, ready to `register`: OLX exports are matched among the
    courses of every catalogue source, a cartridge's course is found or created in `cartridge_source`; with
    `resource` (an id or SOURCE:SOURCE_ID) every archive's files are attached to that resource instead."""
    return type(
        "ArchiveFilesSource",
        (ContentArchiveSource,),
        {
            "name": ARCHIVE_FILES_SOURCE,
            "title": "Course archives given by hand",
            "description": "OLX exports and Common Cartridges imported with manage.py import_content.",
            "suffixes": OLX_SUFFIXES + CARTRIDGE_SUFFIXES,
            "configured_defaults": {"cartridge_source": cartridge_source, "resource": str(resource or "")},
            "__module__": __name__,
        },
    )
