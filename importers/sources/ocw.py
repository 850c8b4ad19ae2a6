"""MIT OpenCourseWare: course sites published as JSON (each site's data.json and its resources' data.json).

extract: from an S3 bucket and prefix (settings OCW_S3_BUCKET / OCW_S3_PREFIX, the site JSON OCW's publishing
pipeline writes) or from a local directory of course sites (OCW_COURSES_DIR). Documents are named by their path
below the prefix: `<site>/data.json` and `<site>/resources/<resource>/data.json`.
transform: one course per site: course numbers, departments, topics (two levels; deeper levels become
keywords), instructors, the term and year as its run, image, level, license and URL; the site's resources are
summarised in `extra["resources"]` (title, type, file URL, YouTube id).

Documents named otherwise (e.g. single files given to `manage.py import ocw --file`) are recognised by shape and
tied to their site through the site name in their image or file paths.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings

from ..errors import ImportFetchError, TransformError
from ..registry import register
from .base import Snapshot, SnapshotDocument, Source
from .common import (
    absolute_url,
    compact,
    departments,
    html_description,
    license_name,
    map_level,
    plain,
    require_records,
    split_values,
    topic_path,
    unique,
)

OFFERED_BY = {"code": "ocw", "name": "MIT OpenCourseWare"}
PLATFORM = {"code": "ocw", "name": "MIT OpenCourseWare"}
DEFAULT_LICENSE = "https://creativecommons.org/licenses/by-nc-sa/4.0/"
MAX_RESOURCES = 500  # per course in `extra`; content files are a separate import
_SITE_IN_PATH = re.compile(r"(?:^|/)(?:courses|gdrive_uploads)/([a-z0-9][a-z0-9-]+)/")


def _wanted(name: str) -> bool:
    """A course site's data.json or one of its resources' (pages and other files are not needed)."""
    parts = name.split("/")
    return parts[-1] == "data.json" and (len(parts) == 2 or (len(parts) == 4 and parts[1] == "resources"))


def _site_from_paths(data: dict) -> str:
    candidates = [
        data.get("image_src"),
        (data.get("course_image_metadata") or {}).get("file"),
        data.get("file"),
        *((data.get("video_files") or {}).get(key) for key in ("video_captions_file", "video_transcript_file")),
    ]
    for candidate in candidates:
        if isinstance(candidate, str):
            match = _SITE_IN_PATH.search(candidate if candidate.startswith("/") else "/" + candidate)
            if match:
                return match.group(1)
    return ""


@register
class OCWSource(Source):
    name = "ocw"
    title = "MIT OpenCourseWare"
    kind = "catalogue"
    description = "Course sites of MIT OpenCourseWare (data.json and resources), from S3 or a directory."
    default_schedule = {"cron": "0 6 * * *"}

    @classmethod
    def default_config(cls) -> dict:
        return {
            "base_url": settings.OCW_BASE_URL,
            "bucket": settings.OCW_S3_BUCKET,
            "prefix": settings.OCW_S3_PREFIX,
            "directory": settings.OCW_COURSES_DIR,
        }

    # --- extract ----------------------------------------------------------------------------------------

    def not_configured(self) -> str:
        if self.config.get("directory") or self.config.get("bucket"):
            return ""
        return "set OCW_S3_BUCKET (and OCW_S3_PREFIX) or OCW_COURSES_DIR"

    def extract(self, http) -> Iterator[SnapshotDocument]:
        if self.config.get("directory"):
            yield from self.documents_from_path(self.config["directory"])
        elif self.config.get("bucket"):
            yield from self._from_s3(self.config["bucket"], self.config.get("prefix") or "")
        else:
            raise ImportFetchError("OCW has no location: set OCW_S3_BUCKET (and OCW_S3_PREFIX) or OCW_COURSES_DIR")

    def documents_from_path(self, path) -> Iterator[SnapshotDocument]:
        """A directory of course sites (`<site>/data.json`, `<site>/resources/*/data.json`); a directory of
        loose JSON files or a single file is read as it is (documents recognised by shape)."""
        from ..transports.local import read_document, read_documents

        path = Path(path)
        if path.is_file():
            yield read_document(path)
            return
        if not path.is_dir():
            raise ImportFetchError(f"no such file or directory: {path}")
        sites = [f for f in sorted(path.glob("**/data.json")) if _wanted(f.relative_to(path).as_posix())]
        if not sites:
            yield from read_documents(path, pattern="**/*.json")
            return
        for file in sites:
            yield read_document(file, name=file.relative_to(path).as_posix())

    def _from_s3(self, bucket: str, prefix: str) -> Iterator[SnapshotDocument]:
        from ..transports.s3 import S3Reader

        reader = S3Reader(bucket, endpoint_url=self.config.get("endpoint_url") or None)
        found = False
        for item in reader.list(prefix, suffix="data.json"):
            name = item["Key"][len(prefix) :].lstrip("/")
            if _wanted(name):
                found = True
                yield reader.read(item["Key"], name=name)
        if not found:
            raise ImportFetchError(f"s3://{bucket}/{prefix} holds no course sites (<site>/data.json)")

    # --- transform --------------------------------------------------------------------------------------

    def transform(self, snapshot: Snapshot) -> Iterator[dict]:
        return require_records(self._records(snapshot), snapshot)

    def _records(self, snapshot: Snapshot) -> Iterator[dict]:
        courses: dict[str, dict] = {}
        resources: dict[str, list[dict]] = defaultdict(list)
        orphans: list[dict] = []
        for document in snapshot.documents:
            data = document.json()
            if not isinstance(data, dict):
                raise TransformError(
                    f"wrong schema: an OCW data.json is an object, found {type(data).__name__}", document=document.name
                )
            parts = document.name.split("/")
            site = parts[0] if len(parts) > 1 else _site_from_paths(data)
            if "course_title" in data:
                site = site or str(data.get("site_uid") or "")
                if not site:
                    raise TransformError("cannot tell which course site this is", document=document.name)
                courses[site] = data
            elif data.get("content_type") == "resource":
                (resources[site] if site else orphans).append(data)
            elif data.get("content_type") == "page":
                continue
            else:
                self.warn(f"{document.name}: not an OCW course or resource data.json; skipped")
        if not courses:
            raise TransformError(
                "no OCW course data.json (an object with 'course_title') in the snapshot",
                document=", ".join(d.name for d in snapshot.documents[:5]),
            )
        if orphans:
            if len(courses) == 1:
                resources[next(iter(courses))].extend(orphans)
            else:
                self.warn(f"{len(orphans)} resources could not be tied to a course site; skipped")
        for site, data in courses.items():
            yield self.course_record(site, data, resources.get(site, []))

    def course_record(self, site: str, data: dict, site_resources: list[dict]) -> dict:
        base = self.config["base_url"]
        image = data.get("course_image_metadata") or {}
        topic_lists = [t for t in data.get("topics") or data.get("mit_learn_topics") or [] if isinstance(t, list)]
        instructors = [
            plain(" ".join(filter(None, [p.get("first_name"), p.get("middle_initial"), p.get("last_name")])))
            or plain(p.get("title"))
            for p in data.get("instructors") or []
            if isinstance(p, dict)
        ]
        term, year = plain(data.get("term")), str(data.get("year") or "").strip()
        run = compact(
            {
                "run_id": str(data.get("site_uid") or data.get("legacy_uid") or site),
                "title": plain(data.get("course_title")),
                "semester": term,
                "year": int(year) if year.isdigit() else None,
                "instructors": unique(instructors),
                "pace": "self_paced",
                "delivery": "online",
            }
        )
        primary = plain(data.get("primary_course_number"))
        return compact(
            {
                "resource_type": "course",
                "source_id": site,
                "title": plain(data.get("course_title")),
                "description": html_description(
                    data.get("course_description_html") or data.get("course_description"), f"{base}/courses/{site}/"
                ),
                "url": absolute_url(base, f"/courses/{site}/"),
                "image_url": absolute_url(base, data.get("image_src") or image.get("file")),
                "image_alt": plain((image.get("image_metadata") or {}).get("image-alt") or image.get("description")),
                "languages": ["en"],
                "course_numbers": unique([primary, *split_values(data.get("extra_course_numbers"), ",")]),
                "keywords": unique(
                    [plain(word) for word in data.get("learning_resource_types") or []]
                    + [plain(part) for path in topic_lists for part in path[2:]]
                ),
                "topics": unique(topic_path(*path[:2]) for path in topic_lists),
                "departments": departments(data.get("department_numbers") or []),
                "offered_by": OFFERED_BY,
                "platform": PLATFORM,
                "instructors": unique(instructors),
                "certification": False,
                "free": True,
                "delivery": "online",
                "format": "asynchronous",
                "pace": "self_paced",
                "level": map_level(data.get("level") or []),
                "availability": "anytime",
                "license": license_name(image.get("license") or DEFAULT_LICENSE),
                "published": not data.get("draft", False),
                "runs": [run],
                "extra": compact(
                    {
                        "site_uid": data.get("site_uid"),
                        "term": " ".join(filter(None, [term, year])),
                        "levels": data.get("level"),
                        "resources": [self.resource_summary(site, r) for r in site_resources[:MAX_RESOURCES]],
                        "resource_count": len(site_resources),
                    }
                ),
            }
        )

    def resource_summary(self, site: str, data: dict) -> dict:
        base = self.config["base_url"]
        video = data.get("video_metadata") or {}
        file_url = data.get("file") or ""
        return compact(
            {
                "uid": data.get("uid"),
                "title": plain(data.get("title")),
                "type": plain(data.get("resourcetype")),
                "file_type": data.get("file_type"),
                "url": absolute_url(base, file_url),
                "youtube_id": video.get("youtube_id"),
                "learning_resource_types": data.get("learning_resource_types") or None,
            }
        )
