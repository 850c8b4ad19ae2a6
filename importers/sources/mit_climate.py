"""MIT Climate Portal articles: the portal's JSON feeds (explainers and "Ask MIT Climate" answers) → articles.

Each feed is a JSON list of {uuid, title, url (site-relative), summary, footnotes, byline, created, topics}; `topics`
is one string of URL-encoded names separated by "|". `created` carries no zone: it is the portal's local time
(America/New_York). extract: each of MIT_CLIMATE_FEED_URLS as `feed-N.json`.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterator
from datetime import datetime
from urllib.parse import unquote, urljoin

from django.conf import settings

from catalog.schemas import RejectedRecord

from ..errors import ImportFetchError
from ..registry import register
from .base import Snapshot, SnapshotDocument, Source
from .common import checked_items, compact, html_description, json_items, plain, require_records, unique

OFFERED_BY = {"code": "climate", "name": "MIT Climate Portal"}
PLATFORM = {"code": "climate", "name": "MIT Climate Portal"}
PORTAL_ZONE = zoneinfo.ZoneInfo("America/New_York")
# The portal's topics sit under one parent so that they do not crowd the catalogue's top-level topics.
TOPIC_PARENT = "Climate"


def published_at(value) -> str | None:
    """ISO 8601 in UTC; a time without a zone is the portal's (Eastern) local time. None when unreadable."""
    text = str(value or "").strip()
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=PORTAL_ZONE)
    return when.astimezone(zoneinfo.ZoneInfo("UTC")).isoformat()


def topics(value) -> list[str]:
    names = value.split("|") if isinstance(value, str) else value if isinstance(value, list) else []
    return unique(f"{TOPIC_PARENT} > {name}" for name in (plain(unquote(str(n))) for n in names) if name)


@register
class MitClimateArticles(Source):
    name = "mit_climate"
    title = "MIT Climate Portal articles"
    kind = "catalogue"
    description = "Explainers and Ask MIT Climate answers from the MIT Climate Portal's JSON feeds."
    default_schedule = {"cron": "30 5 * * *"}  # daily, as MIT Learn does (05:30 UTC)
    document_name = "feed-1.json"

    @classmethod
    def default_config(cls) -> dict:
        return {"base_url": settings.MIT_CLIMATE_BASE_URL, "feed_urls": list(settings.MIT_CLIMATE_FEED_URLS)}

    def not_configured(self) -> str:
        return "" if [url for url in self.config.get("feed_urls") or [] if url] else "set MIT_CLIMATE_FEED_URLS"

    def extract(self, http) -> Iterator[SnapshotDocument]:
        urls = [url for url in self.config.get("feed_urls") or [] if url]
        if not urls:
            raise ImportFetchError("no MIT Climate feed configured: set MIT_CLIMATE_FEED_URLS")
        for number, url in enumerate(urls, start=1):
            yield http.fetch_document(url, f"feed-{number}.json", headers={"Accept": "application/json"})

    def transform(self, snapshot: Snapshot) -> Iterator[dict | RejectedRecord]:
        return require_records(self._records(snapshot), snapshot, what="articles")

    def _records(self, snapshot: Snapshot) -> Iterator[dict | RejectedRecord]:
        seen: set[str] = set()
        for document in snapshot.matching(suffix=".json") or snapshot.documents:
            items = json_items(document, "results", "items", "data")
            for index, item in checked_items(document, items, ("uuid", "title"), resource_type="article"):
                if isinstance(item, RejectedRecord):
                    yield item
                    continue
                uuid = str(item["uuid"]).strip()
                if uuid in seen:  # an answer listed in both feeds
                    continue
                seen.add(uuid)
                record = self.article(item)
                if not record.get("url"):
                    where = f"{document.name} item {index}"
                    yield RejectedRecord.of(uuid, "url", f"{where}: the article has no URL", "article")
                    continue
                yield record

    def article(self, item: dict) -> dict:
        base = (self.config.get("base_url") or "").rstrip("/") + "/"
        path = str(item.get("url") or "").strip()
        url = urljoin(base, path) if path else ""
        summary = item.get("summary") or ""
        body = "".join(
            html_description(part, base_url=url or None)
            for part in (summary, item.get("footnotes"), item.get("byline"))
        )
        return compact(
            {
                "resource_type": "article",
                "source_id": str(item["uuid"]).strip(),
                "title": plain(item.get("title")),
                "description": html_description(summary, base_url=url or None),
                "full_description": body,
                "url": url if url.startswith(("http://", "https://")) else "",
                "languages": ["en"],
                "topics": topics(item.get("topics")),
                "offered_by": OFFERED_BY,
                "platform": PLATFORM,
                "free": True,
                "certification": False,
                "delivery": "online",
                "pace": "self_paced",
                "published_at": published_at(item.get("created")),
                "published": True,
                "extra": compact({"byline": plain(item.get("byline"))}),
            }
        )
