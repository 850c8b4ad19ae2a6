"""YouTube: channels → playlists → videos through the YouTube Data API v3 (settings.YOUTUBE_API_KEY).

Channels are listed in open-video-data YAML (settings.YOUTUBE_CONFIG_PATH): `channel_id`, `offered_by`,
`create_videos` (also import the channel's uploads outside playlists) and `playlists` (`id: all` for every
playlist of the channel, or playlist ids). List calls are paginated by `nextPageToken`; videos are fetched 50 ids
at a time. Records: `video` (ISO 8601 duration, thumbnail, tags) and `video_playlist` with its videos in order.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.conf import settings

from ..errors import ImportFetchError, TransformError
from ..registry import register
from .base import Snapshot, SnapshotDocument, Source
from .common import html_description
from .media_common import config_documents, human_duration, iso_duration_seconds, lookup, yaml_documents

PLATFORM = {"code": "youtube", "name": "YouTube"}
THUMBNAIL_ORDER = ("maxres", "standard", "high", "medium", "default")
VIDEO_BATCH = 50
OFFERORS = {"ocw": "OCW", "mitx": "MITx", "xpro": "MIT xPRO", "mitpe": "MIT Professional Education"}


def best_thumbnail(snippet: dict) -> str:
    thumbnails = snippet.get("thumbnails") or {}
    for size in THUMBNAIL_ORDER:
        url = (thumbnails.get(size) or {}).get("url")
        if url:
            return url
    return ""


def channel_configs(documents: list[SnapshotDocument]) -> list[dict]:
    channels = []
    for document in documents:
        for data in yaml_documents(document):
            entries = data if isinstance(data, list) else [data]
            for index, entry in enumerate(entries):
                if not isinstance(entry, dict) or not entry.get("channel_id"):
                    raise TransformError(
                        "a channel entry needs a channel_id", document=document.name, location=f"entry {index}"
                    )
                channels.append(entry)
    return channels


def offeror(code: str | None) -> dict | None:
    if not code:
        return None
    code = str(code).strip()
    return {"code": code.lower(), "name": OFFERORS.get(code.lower(), code)} if code else lookup(code)


@register
class YouTube(Source):
    name = "youtube"
    title = "YouTube"
    kind = "media"
    description = "Channels, playlists and videos via the YouTube Data API v3 (settings.YOUTUBE_CONFIG_PATH)."
    default_schedule = {"cron": "0 5 * * *"}

    @classmethod
    def default_config(cls) -> dict:
        return {
            "api_key": settings.YOUTUBE_API_KEY,
            "api_url": settings.YOUTUBE_API_URL.rstrip("/"),
            "config_path": settings.YOUTUBE_CONFIG_PATH,
        }

    # --- extract ---------------------------------------------------------------------------------------------

    def _pages(self, http, endpoint: str, name: str, params: dict) -> Iterator[SnapshotDocument]:
        """Every page of a list call, following nextPageToken."""
        token, number, seen = None, 0, set()
        while True:
            query = {**params, "key": self.config["api_key"], "maxResults": 50}
            if token:
                query["pageToken"] = token
            number += 1
            response = http.get(f"{self.config['api_url']}/{endpoint}", params=query)
            document = http.to_document(f"{name}/{number:04d}.json", response, content_type="application/json")
            document.metadata["url"] = f"{self.config['api_url']}/{endpoint}"  # never store the API key
            yield document
            body = document.json()
            token = body.get("nextPageToken") if isinstance(body, dict) else None
            if not token or token in seen or number >= 1000:
                return
            seen.add(token)

    def not_configured(self) -> str:
        return "" if self.config.get("api_key") else "set YOUTUBE_API_KEY (the YouTube Data API needs a key)"

    def extract(self, http) -> Iterator[SnapshotDocument]:
        if not self.config.get("api_key"):
            raise ImportFetchError("YOUTUBE_API_KEY is not set; the YouTube Data API needs a key")
        configs = list(config_documents(self.config.get("config_path") or "", "config"))
        yield from configs
        video_ids: list[str] = []
        for channel in channel_configs(configs):
            cid = channel["channel_id"]
            channel_docs = list(
                self._pages(http, "channels", f"channels/{cid}", {"part": "snippet,contentDetails", "id": cid})
            )
            yield from channel_docs
            playlist_ids = []
            wanted = [str((p or {}).get("id")) for p in channel.get("playlists") or [] if (p or {}).get("id")]
            if "all" in wanted:
                for document in self._pages(
                    http, "playlists", f"playlists/{cid}", {"part": "snippet", "channelId": cid}
                ):
                    yield document
                    playlist_ids += [item["id"] for item in document.json().get("items", [])]
            explicit = [pid for pid in wanted if pid != "all"]
            if explicit:
                for document in self._pages(
                    http, "playlists", f"playlists/{cid}-listed", {"part": "snippet", "id": ",".join(explicit)}
                ):
                    yield document
                    playlist_ids += [item["id"] for item in document.json().get("items", [])]
            if channel.get("create_videos"):
                for document in channel_docs:
                    for item in document.json().get("items", []):
                        uploads = (item.get("contentDetails") or {}).get("relatedPlaylists", {}).get("uploads")
                        if uploads:
                            playlist_ids.append(uploads)
            for pid in dict.fromkeys(playlist_ids):
                for document in self._pages(
                    http, "playlistItems", f"playlistItems/{pid}", {"part": "contentDetails", "playlistId": pid}
                ):
                    yield document
                    video_ids += [
                        (item.get("contentDetails") or {}).get("videoId") for item in document.json().get("items", [])
                    ]
        unique_ids = [vid for vid in dict.fromkeys(video_ids) if vid]
        for start in range(0, len(unique_ids), VIDEO_BATCH):
            batch = unique_ids[start : start + VIDEO_BATCH]
            response = http.get(
                f"{self.config['api_url']}/videos",
                params={"part": "snippet,contentDetails", "id": ",".join(batch), "key": self.config["api_key"]},
            )
            document = http.to_document(f"videos/{start // VIDEO_BATCH + 1:04d}.json", response)
            document.metadata["url"] = f"{self.config['api_url']}/videos"
            yield document

    # --- transform -------------------------------------------------------------------------------------------

    @staticmethod
    def _items(document: SnapshotDocument, kind: str) -> list[dict]:
        body = document.json()
        if not isinstance(body, dict) or not isinstance(body.get("items", []), list):
            raise TransformError("expected a YouTube API response with an `items` list", document=document.name)
        if body.get("kind") and body["kind"] != f"youtube#{kind}ListResponse":
            raise TransformError(
                f"expected a youtube#{kind}ListResponse, found {body['kind']!r}", document=document.name
            )
        return body.get("items", [])

    def transform(self, snapshot: Snapshot) -> Iterator[dict]:
        offered_by = {}
        for channel in channel_configs(snapshot.matching(prefix="config/")):
            offered_by[channel["channel_id"]] = offeror(channel.get("offered_by"))
        videos: dict[str, dict] = {}
        for document in snapshot.matching(prefix="videos/"):
            for item in self._items(document, "video"):
                record = self.video_record(item, offered_by)
                if record:
                    videos[record["source_id"]] = record
        playlist_videos: dict[str, list[str]] = {}
        for document in snapshot.matching(prefix="playlistItems/"):
            pid = document.name.split("/")[1]
            for item in self._items(document, "playlistItem"):
                vid = (item.get("contentDetails") or {}).get("videoId") or (item.get("snippet") or {}).get(
                    "resourceId", {}
                ).get("videoId")
                if vid:
                    playlist_videos.setdefault(pid, []).append(vid)
        yield from videos.values()
        for document in snapshot.matching(prefix="playlists/"):
            for item in self._items(document, "playlist"):
                snippet = item.get("snippet") or {}
                children = [vid for vid in dict.fromkeys(playlist_videos.get(item.get("id"), [])) if vid in videos]
                missing = len(playlist_videos.get(item.get("id"), [])) - len(children)
                if missing > 0:
                    self.warn(f"playlist {item.get('id')}: {missing} video(s) are private, deleted or not fetched")
                yield {
                    "resource_type": "video_playlist",
                    "source_id": item.get("id"),
                    "title": snippet.get("title") or item.get("id"),
                    "description": html_description(snippet.get("description")),
                    "url": f"https://www.youtube.com/playlist?list={item.get('id')}",
                    "image_url": best_thumbnail(snippet),
                    "published_at": snippet.get("publishedAt"),
                    "offered_by": offered_by.get(snippet.get("channelId")),
                    "platform": PLATFORM,
                    "children": [{"resource_type": "video", "source_id": vid} for vid in children],
                    "extra": {"channel_id": snippet.get("channelId"), "channel_title": snippet.get("channelTitle")},
                }

    def video_record(self, item: dict, offered_by: dict[str, Any]) -> dict | None:
        snippet = item.get("snippet") or {}
        vid = item.get("id")
        if not vid or not snippet:
            self.warn(f"a video without id or snippet was skipped ({vid!r})")
            return None
        seconds = iso_duration_seconds((item.get("contentDetails") or {}).get("duration"))
        language = snippet.get("defaultAudioLanguage") or snippet.get("defaultLanguage") or ""
        return {
            "resource_type": "video",
            "source_id": vid,
            "title": snippet.get("title") or vid,
            "description": html_description(snippet.get("description")),
            "url": f"https://www.youtube.com/watch?v={vid}",
            "media_url": f"https://www.youtube.com/embed/{vid}",
            "image_url": best_thumbnail(snippet),
            "image_alt": (snippet.get("title") or "")[:512],
            "duration_seconds": seconds,
            "duration": human_duration(seconds),
            "keywords": [tag[:128] for tag in snippet.get("tags") or []][:30],
            "languages": [language[:2].lower()] if language else [],
            "published_at": snippet.get("publishedAt"),
            "offered_by": offered_by.get(snippet.get("channelId")),
            "platform": PLATFORM,
            "extra": {
                "channel_id": snippet.get("channelId"),
                "channel_title": snippet.get("channelTitle"),
                "category_id": snippet.get("categoryId"),
                "iso_duration": (item.get("contentDetails") or {}).get("duration"),
            },
        }
