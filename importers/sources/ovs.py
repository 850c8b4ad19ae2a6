"""ODL Video Service (OVS): public, transcoded videos and their collections from its paginated JSON API."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

from django.conf import settings

from ..errors import TransformError
from ..registry import register
from .base import Snapshot, SnapshotDocument, Source
from .common import html_description
from .media_common import human_duration

PLATFORM = {"code": "ovs", "name": "ODL Video Service"}


@register
class OdlVideoService(Source):
    name = "ovs"
    title = "ODL Video Service"
    kind = "media"
    description = "Videos published on the ODL Video Service (settings.OVS_API_URL)."
    default_schedule = {"cron": "15 5 * * *"}

    @classmethod
    def default_config(cls) -> dict:
        return {"url": settings.OVS_API_URL}

    def extract(self, http) -> Iterator[SnapshotDocument]:
        for number, (url, response) in enumerate(http.paginate_next(self.config["url"]), start=1):
            yield http.to_document(f"page-{number:04d}.json", response, content_type="application/json", url=url)

    def default_document_name(self) -> str:
        return "page-0001.json"

    def transform(self, snapshot: Snapshot) -> Iterator[dict]:
        parts = urlsplit(self.config.get("url") or "")
        site = f"{parts.scheme}://{parts.netloc}" if parts.netloc else "https://video.odl.mit.edu"
        collections: dict[str, dict] = {}
        for document in snapshot.matching(suffix=".json") or snapshot.documents:
            body = document.json()
            results = body.get("results") if isinstance(body, dict) else body
            if not isinstance(results, list):
                raise TransformError("expected a paginated response with `results`", document=document.name)
            for index, video in enumerate(results):
                if not isinstance(video, dict) or not video.get("key"):
                    raise TransformError("a video has no key", document=document.name, location=f"results[{index}]")
                if not video.get("is_public", True) or video.get("status", "Complete") != "Complete":
                    continue
                record = self.video_record(video, site)
                collection = video.get("collection") or {}
                if collection.get("key") and collection.get("is_public", True):
                    entry = collections.setdefault(collection["key"], {"collection": collection, "videos": []})
                    entry["videos"].append(record["source_id"])
                yield record
        for key, entry in collections.items():
            collection = entry["collection"]
            yield {
                "resource_type": "video_playlist",
                "source_id": f"collection-{key}",
                "title": collection.get("title") or key,
                "description": html_description(collection.get("description")),
                "url": f"{site}/collections/{key}/",
                "platform": PLATFORM,
                "children": [{"resource_type": "video", "source_id": vid} for vid in entry["videos"]],
            }

    @staticmethod
    def video_record(video: dict, site: str) -> dict:
        seconds = int(video["duration"]) if video.get("duration") else None
        sources = video.get("sources") or []
        thumbnails = video.get("videothumbnail_set") or []
        subtitles = video.get("videosubtitle_set") or []
        youtube_id = video.get("youtube_id")
        return {
            "resource_type": "video",
            "source_id": video["key"],
            "title": video.get("title") or video["key"],
            "description": html_description(video.get("description")),
            "url": f"{site}/videos/{video['key']}/",
            "media_url": (sources[0].get("src") if sources else "")
            or (f"https://www.youtube.com/embed/{youtube_id}" if youtube_id else ""),
            "image_url": thumbnails[0].get("cloudfront_url", "") if thumbnails else "",
            "duration_seconds": seconds or None,
            "duration": human_duration(seconds),
            "languages": list(dict.fromkeys(s["language"][:2] for s in subtitles if s.get("language"))),
            "published_at": video.get("created_at"),
            "platform": PLATFORM,
            "extra": {
                "youtube_id": youtube_id,
                "collection": (video.get("collection") or {}).get("key"),
                "subtitles": [s.get("s3_object_key") for s in subtitles if s.get("s3_object_key")],
            },
        }
