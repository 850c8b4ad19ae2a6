"""MIT Professional Education news and events: Drupal JSON feeds paged by `?page=0,1,...`.

News items: {id, title, date, author, summary, image, url}. Events: {id, title, start_date, end_date, summary,
time_range, image, url}; `time_range` holds times ("9:00 AM - 5:00 PM"), "Available On Demand", or sometimes a
place ("Hotel Del Coronado"). Times carry no zone: they are read in settings.NEWS_EVENTS_TIME_ZONE.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Iterator
from datetime import date, datetime, time
from typing import ClassVar
from urllib.parse import urljoin

from django.conf import settings

from catalog.schemas import RejectedRecord

from ..errors import TransformError
from ..registry import register
from .base import Snapshot, SnapshotDocument
from .feeds import NewsSource, admin_config, fetched_at, plain_text

_TIME = re.compile(r"(\d{1,2})(?::(\d{2}))?\s*([AaPp]\.?[Mm]\.?)?")


def _items(document: SnapshotDocument, required: tuple[str, ...]) -> Iterator[tuple[int, dict | RejectedRecord]]:
    """(index, item) for each item of a page; an item lacking a `required` key comes as a RejectedRecord naming
    the key, so its neighbours still load. TransformError only when the document is not this feed at all (not a
    list, or no item has the required keys)."""
    data = document.json()
    if isinstance(data, dict):
        data = data.get("results", data.get("items"))
    if not isinstance(data, list):
        raise TransformError("expected a JSON list of items", document=document.name)
    if data and not any(isinstance(item, dict) and all(key in item for key in required) for item in data):
        raise TransformError(
            f"wrong schema: no item has {', '.join(required)}; is this the right feed?", document=document.name
        )
    for index, item in enumerate(data):
        where = f"{document.name} item {index}"
        if not isinstance(item, dict):
            yield index, RejectedRecord.of(where, "", f"{where}: expected an object, got {type(item).__name__}")
            continue
        missing = [key for key in required if item.get(key) in (None, "")]
        if missing:
            ident = str(item.get("id") or where)
            yield index, RejectedRecord.of(ident, missing[0], f"{where}: {missing[0]} is required", "feed_item")
            continue
        yield index, item


def _date(value) -> date | None:
    try:
        return date.fromisoformat(str(value or "").strip()[:10])
    except ValueError:
        return None


def parse_times(text: str) -> tuple[time | None, time | None]:
    """("9:00 AM - 5:00 PM") → (09:00, 17:00); a missing AM/PM on the start borrows the end's."""
    found = _TIME.findall(text or "")
    if not found or not any(m[1] or m[2] for m in found):
        return None, None
    times = []
    meridians = [m[2] for m in found[:2]]
    for index, (hour, minute, meridian) in enumerate(found[:2]):
        hour, minute = int(hour), int(minute or 0)
        meridian = (meridian or (meridians[1] if index == 0 and len(meridians) > 1 else "")).lower().replace(".", "")
        if meridian == "pm" and hour < 12:
            hour += 12
        elif meridian == "am" and hour == 12:
            hour = 0
        if hour > 23 or minute > 59:
            return None, None
        times.append(time(hour, minute))
    start = times[0]
    end = times[1] if len(times) > 1 else None
    if end and end < start and start.hour >= 12 and not found[0][2]:
        start = time(start.hour - 12, start.minute)  # "11- 1 PM": the start was in the morning
    return start, end


class MitpeSource(NewsSource):
    url_path: ClassVar[str] = ""
    document_name = "page-0000.json"

    @classmethod
    def default_config(cls) -> dict:
        return {
            "url": urljoin(settings.MITPE_API_URL.rstrip("/") + "/", cls.url_path.lstrip("/")),
            "site_url": settings.MITPE_SITE_URL,
            "time_zone": settings.NEWS_EVENTS_TIME_ZONE,
            "topics": [],
            **cls.configured_defaults,
            **admin_config(getattr(cls, "name", "")),
        }

    def extract(self, http) -> Iterator[SnapshotDocument]:
        for number, (url, response) in enumerate(http.paginate_pages(self.feed_url(), "page", start=0)):
            yield http.to_document(f"page-{number:04d}.json", response, content_type="application/json", url=url)

    def site(self, path: str) -> str:
        return urljoin(self.config["site_url"].rstrip("/") + "/", path) if path else ""

    def documents(self, snapshot: Snapshot) -> list[SnapshotDocument]:
        return snapshot.matching(suffix=".json") or snapshot.documents


@register
class MitpeNews(MitpeSource):
    name = "mitpe_news"
    title = "MIT Professional Education news"
    url_path = "/feeds/news/"

    def transform(self, snapshot: Snapshot) -> Iterator[dict]:
        zone = zoneinfo.ZoneInfo(self.config.get("time_zone") or "UTC")
        for document in self.documents(snapshot):
            for _index, item in _items(document, ("title", "url")):
                if isinstance(item, RejectedRecord):
                    yield item
                    continue
                link = self.site(item.get("url") or "")
                published = _date(item.get("date"))
                estimated = published is None
                if estimated:  # kept, dated by the import (date_estimated), as the RSS feeds do
                    self.warn(
                        f"{document.name}: item {item.get('id')!r}: date: unreadable {str(item.get('date'))[:80]!r}; "
                        "using the time of the import"
                    )
                yield self.with_defaults(
                    {
                        "guid": str(item.get("id") or link),
                        "title": plain_text(item.get("title")),
                        "link": link,
                        "summary": plain_text(item.get("summary")),
                        "author": plain_text(item.get("author"))[:255],
                        "published_at": (
                            datetime.combine(published, time(0, 0), zone).isoformat()
                            if published
                            else fetched_at(document)
                        ),
                        "date_estimated": estimated,
                        "image_url": self.site(item.get("image") or ""),
                    }
                )


@register
class MitpeEvents(MitpeSource):
    name = "mitpe_events"
    title = "MIT Professional Education events"
    url_path = "/feeds/events/"

    def transform(self, snapshot: Snapshot) -> Iterator[dict]:
        zone = zoneinfo.ZoneInfo(self.config.get("time_zone") or "UTC")
        for document in self.documents(snapshot):
            for index, item in _items(document, ("title", "start_date")):
                if isinstance(item, RejectedRecord):
                    yield item
                    continue
                start_day = _date(item.get("start_date"))
                end_day = _date(item.get("end_date")) or start_day
                if start_day is None:
                    where = f"{document.name} item {index}"
                    yield RejectedRecord.of(
                        str(item.get("id") or where),
                        "start_date",
                        f"{where}: unreadable start date {str(item.get('start_date'))[:80]!r}",
                        "feed_item",
                    )
                    continue
                text = plain_text(item.get("time_range"))
                start_time, end_time = parse_times(text)
                starts = datetime.combine(start_day, start_time or time(0, 0), zone)
                ends = datetime.combine(end_day, end_time or time(23, 59), zone)
                if ends < starts:
                    ends = starts
                on_demand = "demand" in text.lower()
                location = "" if (start_time or on_demand or not text or any(c.isdigit() for c in text)) else text
                link = self.site(item.get("url") or "")
                yield self.with_defaults(
                    {
                        "guid": str(item.get("id") or link),
                        "item_type": "event",
                        "title": plain_text(item.get("title")),
                        "link": link,
                        "summary": plain_text(item.get("summary")),
                        "published_at": starts.isoformat(),
                        "starts_at": starts.isoformat(),
                        "ends_at": ends.isoformat(),
                        "location": location[:255],
                        "online": on_demand,
                        "image_url": self.site(item.get("image") or ""),
                    }
                )
