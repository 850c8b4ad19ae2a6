"""News feeds: the base of every news source, and RSS 2.0 / Atom feeds read with feedparser.

Feed sources yield dicts in the shape of news.schemas.FeedItemRecord for news.loader.load_feed_items. Feeds an
editor configures in the admin (news.models.FeedSource) become sources through `feed_source_class`.
"""

from __future__ import annotations

import calendar
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from html import unescape
from typing import Any, ClassVar
from urllib.parse import urljoin

from django.conf import settings
from django.utils import timezone

import feedparser

from ..errors import ImportFetchError, TransformError
from ..registry import register
from .base import Snapshot, SnapshotDocument, Source, looks_like_html

logger = logging.getLogger(__name__)
# feedparser flags these but reads the feed fine.
BENIGN_BOZO = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)
_IMG = re.compile(r"<img[^>]+src=[\"']([^\"']+)[\"']", re.IGNORECASE)


def plain_text(value: Any) -> str:
    """Entities decoded (twice: feeds double-encode), tags dropped, whitespace collapsed."""
    if not value:
        return ""
    text = unescape(unescape(str(value)))
    text = re.sub(r"<[^>]+>", " ", text)
    return " ".join(text.split())


def fetched_at(document: SnapshotDocument) -> str:
    """When the document was fetched (ISO 8601), for items whose own date cannot be read."""
    return document.metadata.get("fetched_at") or document.metadata.get("modified_at") or timezone.now().isoformat()


def struct_to_iso(value) -> str | None:
    """feedparser's parsed dates are UTC struct_times."""
    if not value:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC).isoformat()
    except (OverflowError, ValueError, TypeError):
        return None


_ROOT_TAG = re.compile(rb"<([A-Za-z_][\w:.-]*)")


def describe_document(content: bytes) -> str:
    """What a document that should have been a feed looks like, for the error: "an HTML page", "JSON", ..."""
    head = content[:2048].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head:
        return "an empty document"
    if re.search(rb"[\x00-\x08]", head):
        return "binary data"
    text = head.decode("utf-8", errors="replace")
    if looks_like_html(text) or re.search(r"<html[\s>]", text[:1024], re.IGNORECASE):
        return "an HTML page"
    if head[:1] in (b"{", b"["):
        return "JSON"
    if head[:1] == b"<":
        body = re.sub(rb"<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*>", b"", head, flags=re.DOTALL).lstrip()
        match = _ROOT_TAG.match(body)
        return f"an XML document whose root is <{match.group(1).decode()}>" if match else "unreadable XML"
    return "plain text"


def parse_feed_document(document: SnapshotDocument) -> feedparser.FeedParserDict:
    """The document parsed by feedparser; TransformError naming what it is when it is not RSS or Atom at all (an
    HTML error page, JSON, another XML format), so that such a run fails instead of "succeeding" with no items."""
    # Some feeds (Medium's) start with a blank line before the XML declaration, which is not well-formed.
    content = document.content.lstrip()
    # No content-location: relative URLs in an item resolve against the item's own link (by the loader).
    parsed = feedparser.parse(content, response_headers={"content-type": "application/xml"})
    if not parsed.get("version"):
        raise TransformError(f"expected RSS/Atom, got {describe_document(content)}", document=document.name)
    return parsed


def admin_config(name: str) -> dict:
    """The admin's configuration of feed `name` (news.models.FeedSource: url, topics), {} when there is none.

    Read each time a source is made, so an edit applies in every process without a restart."""
    try:
        from news.feed_sources import row_config

        return row_config(name)
    except Exception:  # no database at hand (a transform-only test, before migrations): settings only
        logger.debug("no admin configuration read for %s", name, exc_info=True)
        return {}


class NewsSource(Source):
    """Base of news and events sources: one feed URL, items for the news loader."""

    kind: ClassVar[str] = "news"
    loader: ClassVar[str] = "news.loader.load_feed_items"
    default_schedule: ClassVar[dict] = {"minutes": 60}
    full_snapshot: ClassVar[bool] = True
    document_name: ClassVar[str] = "feed.xml"
    url_setting: ClassVar[str] = ""
    configured_defaults: ClassVar[dict] = {}  # a configured feed's values when it was registered

    @classmethod
    def default_config(cls) -> dict:
        config = {"url": getattr(settings, cls.url_setting, "") if cls.url_setting else "", "topics": []}
        return {**config, **cls.configured_defaults, **admin_config(getattr(cls, "name", ""))}

    def feed_url(self) -> str:
        url = self.config.get("url") or ""
        if not url:
            raise ImportFetchError(f"no feed URL configured for source {self.name!r}; set it in the admin or settings")
        return url

    def extract(self, http) -> Iterator[SnapshotDocument]:
        yield http.fetch_document(self.feed_url(), self.document_name)

    def with_defaults(self, item: dict) -> dict:
        topics = list(self.config.get("topics") or [])
        if topics:
            item["topics"] = [*item.get("topics", []), *topics]
        return item


class RssFeedSource(NewsSource):
    """Any RSS 2.0 or Atom feed. Malformed XML keeps what feedparser recovers (with a warning)."""

    def not_configured(self) -> str:
        return "" if self.config.get("url") else f"set the feed URL of {self.name!r} in the admin or settings"

    def transform(self, snapshot: Snapshot) -> Iterator[dict]:
        for document in snapshot.documents:
            yield from self.parse_feed(document)

    def parse_feed(self, document: SnapshotDocument) -> Iterator[dict]:
        base = document.metadata.get("url") or self.config.get("url") or ""
        parsed = parse_feed_document(document)
        entries = parsed.get("entries") or []
        if parsed.get("bozo") and not isinstance(parsed.get("bozo_exception"), BENIGN_BOZO):
            problem = str(parsed.get("bozo_exception") or "unreadable XML")
            if not entries and not parsed.get("feed"):
                raise TransformError(f"not an RSS or Atom feed ({problem})", document=document.name)
            self.warn(
                f"{document.name}: the feed is malformed ({problem}); "
                f"kept the {len(entries)} item(s) that could be read"
            )
        site = parsed.get("feed", {}).get("link") or base
        for index, entry in enumerate(entries):
            item = self.entry_item(entry, document, site)
            if item is None:
                self.warn(f"{document.name}: item {index} has neither a title nor a link; skipped")
                continue
            yield self.with_defaults(item)

    def entry_item(self, entry, document: SnapshotDocument, site: str) -> dict | None:
        link = entry.get("link") or ""
        if link and site:
            link = urljoin(site, link)
        title = plain_text(entry.get("title"))
        if not title and not link:
            return None
        guid = entry.get("id") or link
        published = struct_to_iso(entry.get("published_parsed") or entry.get("updated_parsed"))
        estimated = published is None
        if estimated:
            raw = entry.get("published") or entry.get("updated") or ""
            what = f"unreadable date {raw!r}" if raw else "no date"
            self.warn(f"{document.name}: item {guid!r} has {what}; using the time of the import")
            published = fetched_at(document)
        content = ""
        for part in entry.get("content") or []:
            if "html" in (part.get("type") or "html"):
                content = part.get("value") or ""
                break
        summary = entry.get("summary") or ""
        if summary and summary == content:
            summary = ""
        return {
            "guid": guid,
            "title": title or link,
            "link": link,
            "summary": summary,
            "content": content,
            "author": plain_text(entry.get("author"))[:255],
            "published_at": published,
            "date_estimated": estimated,
            "image_url": self.entry_image(entry, content or summary, link),
            "categories": [tag.get("term") for tag in entry.get("tags") or [] if tag.get("term")],
        }

    @staticmethod
    def entry_image(entry, html: str, base: str) -> str:
        for key in ("media_thumbnail", "media_content"):
            for media in entry.get(key) or []:
                url = media.get("url")
                if url and (key == "media_thumbnail" or (media.get("medium") or "image") == "image"):
                    return urljoin(base, url)
        for enclosure in entry.get("enclosures") or []:
            if (enclosure.get("type") or "").startswith("image/") and enclosure.get("href"):
                return urljoin(base, enclosure["href"])
        match = _IMG.search(html or "")
        if match:
            url = urljoin(base, unescape(match.group(1)))
            if url.startswith(("http://", "https://")):
                return url
        return ""


@register
class OpenLearningNews(RssFeedSource):
    name = "ol_news"
    title = "MIT Open Learning news (Medium)"
    description = "The MIT Open Learning publication on Medium (RSS)."
    url_setting = "OL_NEWS_FEED_URL"


def feed_source_class(*, source_name: str, title: str, feed_type: str, url: str, topics: list[str], minutes: int):
    """A source class for a feed configured in the admin (news.models.FeedSource), ready to `register`."""
    from .mitpe_news import MitpeEvents, MitpeNews
    from .ol_events import OpenLearningEvents

    bases = {
        "rss": RssFeedSource,
        "mitpe_news": MitpeNews,
        "mitpe_events": MitpeEvents,
        "ol_events": OpenLearningEvents,
    }
    if feed_type not in bases:
        raise ValueError(f"unknown feed type {feed_type!r}; expected one of {', '.join(bases)}")
    base = bases[feed_type]
    return type(
        f"ConfiguredFeed_{source_name}",
        (base,),
        {
            "name": source_name,
            "title": title,
            "description": f"Configured in the admin ({feed_type}): {url}",
            "default_schedule": {"minutes": minutes},
            "configured_defaults": {"url": url, "topics": list(topics)},
            "configured": True,
            "__module__": __name__,
        },
    )


def _register_configured_feeds() -> None:
    """Register the feeds configured in the admin (when the registry loads at run time, not at start-up)."""
    from django.apps import apps

    if not apps.ready:
        return
    try:
        from news.feed_sources import register_feed_sources

        register_feed_sources()
    except Exception:  # no database at hand: configured feeds register when saved or scheduled
        logger.debug("configured feeds not registered", exc_info=True)


_register_configured_feeds()
