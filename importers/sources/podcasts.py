"""Podcasts: one RSS feed per podcast, configured in open-podcast-data YAML (rss_url, topics, offered_by, website,
apple_podcasts_url, google_podcasts_url). The podcast and its episodes (audio, duration, date, image, transcript,
iTunes fields) go to the catalogue as `podcast` and `podcast_episode` resources, episodes in feed order.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import PurePosixPath
from urllib.parse import urljoin

from django.conf import settings
from django.utils.text import slugify

from ..errors import TransformError
from ..registry import register
from .base import Snapshot, SnapshotDocument, Source
from .feeds import BENIGN_BOZO, parse_feed_document, plain_text
from .media_common import clock_seconds, config_documents, human_duration, lookup, short_id, yaml_documents

PLATFORM = {"code": "podcast", "name": "Podcast"}


def _iso(parsed) -> str | None:
    if not parsed:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC).isoformat()
    except (OverflowError, ValueError, TypeError):
        return None


def _web(url: str | None, base: str = "") -> str:
    url = urljoin(base, url or "") if base else (url or "")
    return url if url.startswith(("http://", "https://")) else ""


def podcast_id(config_name: str, config: dict) -> str:
    """A podcast's id: its config file's name ("chalk-radio"), else a slug of its feed URL."""
    stem = PurePosixPath(config_name).stem
    return slugify(stem)[:200] or slugify(config.get("rss_url", ""))[:200]


@register
class Podcasts(Source):
    name = "podcasts"
    title = "Podcasts"
    kind = "media"
    description = "Podcast RSS feeds listed in open-podcast-data YAML (settings.PODCAST_CONFIG_PATH)."
    default_schedule = {"cron": "30 3 * * *"}

    @classmethod
    def default_config(cls) -> dict:
        return {"config_path": settings.PODCAST_CONFIG_PATH}

    def extract(self, http) -> Iterator[SnapshotDocument]:
        configs = list(config_documents(self.config.get("config_path") or "", "config"))
        yield from configs
        for document in configs:
            for config in yaml_documents(document):
                if isinstance(config, dict) and config.get("rss_url"):
                    ident = podcast_id(document.name, config)
                    yield http.fetch_document(
                        config["rss_url"], f"feeds/{ident}.xml", content_type="application/rss+xml"
                    )

    def transform(self, snapshot: Snapshot) -> Iterator[dict]:
        for document in snapshot.matching(prefix="config/"):
            for index, config in enumerate(yaml_documents(document)):
                if not isinstance(config, dict) or not config.get("rss_url"):
                    raise TransformError(
                        "a podcast entry needs an rss_url", document=document.name, location=f"entry {index}"
                    )
                ident = podcast_id(document.name, config)
                feed_name = f"feeds/{ident}.xml"
                if not snapshot.has(feed_name):
                    self.warn(f"{document.name}: no feed was fetched for {config['rss_url']}; podcast skipped")
                    continue
                yield from self.podcast_records(ident, config, snapshot.document(feed_name))

    def podcast_records(self, ident: str, config: dict, document: SnapshotDocument) -> Iterator[dict]:
        parsed = parse_feed_document(document)
        if parsed.get("bozo") and not isinstance(parsed.get("bozo_exception"), BENIGN_BOZO):
            if not parsed.get("entries") and not parsed.get("feed"):
                raise TransformError(f"not an RSS feed ({parsed.get('bozo_exception')})", document=document.name)
            self.warn(
                f"{document.name}: the feed is malformed ({parsed.get('bozo_exception')}); kept what could be read"
            )
        feed = parsed.get("feed", {})
        site = feed.get("link") or config.get("website") or ""
        podcast_image = _web((feed.get("image") or {}).get("href"), site)
        topics = [t.strip() for t in str(config.get("topics") or "").split(",") if t.strip()]
        offered_by = lookup(config.get("offered_by"))
        episodes = []
        for index, entry in enumerate(parsed.get("entries") or []):
            episode = self.episode_record(ident, entry, site, podcast_image, topics, offered_by)
            if episode is None:
                self.warn(f"{document.name}: episode {index} has no guid, link or title; skipped")
                continue
            episodes.append(episode)
        yield {
            "resource_type": "podcast",
            "source_id": ident,
            "title": plain_text(feed.get("title")) or ident,
            "description": feed.get("summary") or feed.get("subtitle") or "",
            "url": _web(config.get("website")) or _web(site),
            "image_url": podcast_image,
            "topics": topics,
            "offered_by": offered_by,
            "platform": PLATFORM,
            "languages": [feed["language"][:2].lower()] if feed.get("language") else [],
            "keywords": [tag.get("term") for tag in feed.get("tags") or [] if tag.get("term")][:20],
            "published_at": _iso(feed.get("published_parsed") or feed.get("updated_parsed")),
            "children": [{"resource_type": "podcast_episode", "source_id": e["source_id"]} for e in episodes],
            "extra": {
                "rss_url": config.get("rss_url"),
                "apple_podcasts_url": config.get("apple_podcasts_url") or "",
                "google_podcasts_url": config.get("google_podcasts_url") or "",
                "author": plain_text(feed.get("author")),
                "explicit": feed.get("itunes_explicit"),
            },
        }
        yield from episodes

    def episode_record(self, ident, entry, site, podcast_image, topics, offered_by) -> dict | None:
        guid = entry.get("id") or entry.get("link") or entry.get("title")
        if not guid:
            return None
        audio = ""
        for link in entry.get("links") or []:
            if link.get("rel") == "enclosure" and (link.get("type") or "audio").startswith(("audio", "video")):
                audio = _web(link.get("href"), site)
                break
        seconds = clock_seconds(entry.get("itunes_duration"))
        transcript = entry.get("podcast_transcript") or {}
        image = (entry.get("image") or {}).get("href") if isinstance(entry.get("image"), dict) else ""
        return {
            "resource_type": "podcast_episode",
            "source_id": short_id(f"{ident}:{guid}"),
            "title": plain_text(entry.get("title")) or str(guid)[:512],
            "description": entry.get("summary") or entry.get("subtitle") or "",
            "url": _web(entry.get("link"), site) if not entry.get("guidislink") else _web(entry.get("link")),
            "media_url": audio,
            "transcript_url": _web(transcript.get("url") if isinstance(transcript, dict) else "", site),
            "image_url": _web(image, site) or podcast_image,
            "duration_seconds": seconds,
            "duration": human_duration(seconds),
            "published_at": _iso(entry.get("published_parsed") or entry.get("updated_parsed")),
            "topics": topics,
            "offered_by": offered_by,
            "platform": PLATFORM,
            "extra": {
                "guid": str(guid),
                "podcast": ident,
                "author": plain_text(entry.get("author")),
                "explicit": entry.get("itunes_explicit"),
                "episode": entry.get("itunes_episode"),
                "season": entry.get("itunes_season"),
            },
        }
