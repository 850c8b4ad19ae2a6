"""MIT Open Learning events: Drupal JSON:API (`data` of `node--event`, paged by `links.next.href`)."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

from catalog.schemas import RejectedRecord

from ..errors import TransformError
from ..registry import register
from .base import Snapshot, SnapshotDocument
from .feeds import NewsSource, plain_text

ONLINE_HOSTS = ("zoom.us", "teams.microsoft.com", "meet.google.com", "webex.com", "youtube.com")


def _text(value) -> str:
    if isinstance(value, dict):
        parts = [value.get(k) for k in ("address_line1", "locality", "administrative_area", "country_code")]
        if any(parts):
            return ", ".join(str(p) for p in parts if p)
        return str(value.get("value") or value.get("processed") or "")
    return str(value or "")


@register
class OpenLearningEvents(NewsSource):
    name = "ol_events"
    title = "MIT Open Learning events"
    description = "Events on openlearning.mit.edu (Drupal JSON:API)."
    url_setting = "OL_EVENTS_URL"
    document_name = "page-0001.json"

    def extract(self, http) -> Iterator[SnapshotDocument]:
        pages = http.paginate_next(self.feed_url(), next_key="links.next.href", results_key="data", max_pages=50)
        for number, (url, response) in enumerate(pages, start=1):
            yield http.to_document(
                f"page-{number:04d}.json", response, content_type="application/vnd.api+json", url=url
            )

    def transform(self, snapshot: Snapshot) -> Iterator[dict]:
        for document in snapshot.matching(suffix=".json") or snapshot.documents:
            body = document.json()
            if not isinstance(body, dict) or not isinstance(body.get("data"), list):
                raise TransformError("expected a JSON:API document with a `data` list", document=document.name)
            self_url = (body.get("links") or {}).get("self", {}).get("href") or document.metadata.get("url") or ""
            parts = urlsplit(self_url or self.config.get("url") or "")
            site = f"{parts.scheme}://{parts.netloc}" if parts.netloc else ""
            for index, node in enumerate(body["data"]):
                item = self.node_item(node, site, document, index)
                if isinstance(item, RejectedRecord):
                    yield item
                elif item:
                    yield self.with_defaults(item)

    def node_item(self, node: dict, site: str, document: SnapshotDocument, index: int) -> dict | RejectedRecord | None:
        where = f"{document.name} data[{index}]"
        ident = str(node.get("id") or where) if isinstance(node, dict) else where
        if not isinstance(node, dict) or not isinstance(node.get("attributes"), dict):
            return RejectedRecord.of(ident, "attributes", f"{where}: the entry has no attributes", "feed_item")
        attributes = node["attributes"]
        if attributes.get("status") is False:
            return None  # unpublished in Drupal
        when = attributes.get("field_event_date") or {}
        if not isinstance(when, dict) or not when.get("value"):
            return RejectedRecord.of(ident, "field_event_date", f"{where}: the event has no date", "feed_item")
        alias = (attributes.get("path") or {}).get("alias") or ""
        link = f"{site}{alias}" if alias and site else ""
        body = attributes.get("body") or {}
        where = attributes.get("field_event_location") or {}
        join_url = where.get("uri") if isinstance(where, dict) else ""
        if join_url and not str(join_url).startswith(("http://", "https://")):
            join_url = ""
        address = plain_text(_text(attributes.get("field_location_address")))
        online = bool(join_url) and any(host in join_url for host in ONLINE_HOSTS)
        return {
            "guid": str(node.get("id") or link),
            "item_type": "event",
            "title": plain_text(attributes.get("title")),
            "link": link,
            "summary": body.get("summary") or "",
            "content": body.get("processed") or body.get("value") or "",
            "published_at": attributes.get("created") or when["value"],
            "starts_at": when["value"],
            "ends_at": when.get("end_value") or None,
            "location": address[:255] if address else ("Online" if online else ""),
            "online": online,
            "registration_url": join_url or "",
        }
