"""Marketing pages: the long description of programs and courses, read from their own web pages.

MIT Learn's catalogue sources (xPRO, Professional Education, Sloan Executive Education, ...) carry a short summary;
the program's page on its own site carries the long description. This source supplies `full_description` of
resources other sources created, through the catalogue loader's partial update
(`catalog.loader.fields.update_resource_fields`): an editor's locked full description is kept, the page's is then in
`source_values`.

extract: the published resources of MARKETING_PAGE_SOURCES (types MARKETING_PAGE_RESOURCE_TYPES) that have a URL,
at most MARKETING_PAGE_MAX_PAGES, listed by `catalog.loader.fields.resource_pages`; each URL fetched as HTML through
the importers' HTTP client (SSRF guard, retries, size limit, conditional requests) as `page-NNNNN.html`, and last
`pages.json`, which names each page's resource (and, for a page that could not be fetched, why).
transform: each page's main content found by readability-lxml (navigation, headers, footers and boilerplate left
out), sanitised like every imported HTML → `{"resource_source", "resource_type", "source_id",
"full_description"}`. A page that could not be fetched (refused private address, 404, not HTML) or has no main
content is that resource's error; its full description is left as it was.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from django.conf import settings

import nh3
from readability import Document
from readability.readability import Unparseable

from catalog.loader.fields import resource_pages
from catalog.sanitize import clean_html
from catalog.schemas import RejectedRecord

from ..errors import ImportFetchError, TransformError
from ..registry import register
from .base import Snapshot, SnapshotDocument, Source, looks_like_html

INDEX = "pages.json"
# Fewer visible characters than this is no description (a cookie banner, an empty shell of a script-rendered page).
MIN_TEXT_CHARS = 40


def main_content(html: bytes | str, url: str = "") -> str:
    """The page's main content as sanitised HTML ("" when readability finds none worth keeping)."""
    try:
        summary = Document(html, url=url or None).summary(html_partial=True)
    except Unparseable:
        return ""
    cleaned = clean_html(summary, url or None)
    text = clean_html_text(cleaned)
    return cleaned if len(text) >= MIN_TEXT_CHARS else ""


def clean_html_text(html: str) -> str:
    """The visible text of sanitised HTML, whitespace collapsed."""
    return " ".join(nh3.clean(html, tags=set()).split())


def _is_html(document: SnapshotDocument) -> bool:
    if "html" in document.content_type:
        return True
    return looks_like_html(document.content[:512].decode("latin-1"))


@register
class MarketingPages(Source):
    name = "marketing_pages"
    title = "Marketing pages"
    kind = "catalogue"
    description = (
        "The long description of programs and courses from their own web pages (main content, sanitised), "
        "stored as the resources' full description unless an editor locked it."
    )
    # Daily, after the catalogue sources (03:30–08:00 UTC) have created the resources it describes.
    default_schedule = {"cron": "0 9 * * *"}
    full_snapshot = False  # it supplies a field; it never unpublishes anything
    loader = "catalog.loader.fields.load_field_records"
    document_name = INDEX

    @classmethod
    def default_config(cls) -> dict:
        return {
            "sources": list(settings.MARKETING_PAGE_SOURCES),
            "resource_types": list(settings.MARKETING_PAGE_RESOURCE_TYPES),
            "max_pages": settings.MARKETING_PAGE_MAX_PAGES,
        }

    def not_configured(self) -> str:
        if not [s for s in self.config.get("sources") or [] if s]:
            return "no catalogue source's pages are read: set MARKETING_PAGE_SOURCES"
        return ""

    def extract(self, http) -> Iterator[SnapshotDocument]:
        reason = self.not_configured()
        if reason:
            raise ImportFetchError(f"marketing pages are not configured: {reason}")
        targets = resource_pages(
            self.config["sources"],
            self.config.get("resource_types") or ["course", "program"],
            limit=int(self.config.get("max_pages") or 1000),
        )
        index = []
        for number, target in enumerate(targets, start=1):
            entry = dict(target)
            name = f"page-{number:05d}.html"
            try:
                document = http.fetch_document(target["url"], name, headers={"Accept": "text/html"})
            except ImportFetchError as exc:  # the SSRF guard's refusal included: this page only
                entry["problem"] = str(exc)
            else:
                if _is_html(document):
                    entry["document"] = name
                    yield document
                else:
                    entry["problem"] = f"the page is not HTML (content type {document.content_type or 'none'})"
            index.append(entry)
        content = json.dumps(index, indent=1, sort_keys=True).encode()
        yield SnapshotDocument(INDEX, content, "application/json", {"pages": len(index)})

    def transform(self, snapshot: Snapshot) -> Iterator[dict | RejectedRecord]:
        if not snapshot.has(INDEX):
            raise TransformError(f"the snapshot has no {INDEX} naming each page's resource", document=snapshot.source)
        index = snapshot.document(INDEX).json()
        if not isinstance(index, list):
            raise TransformError("expected a JSON list of pages", document=INDEX)
        for position, entry in enumerate(index, start=1):
            if not isinstance(entry, dict) or not all(
                entry.get(key) for key in ("resource_source", "resource_type", "source_id")
            ):
                raise TransformError(
                    "each page needs resource_source, resource_type and source_id", document=INDEX, location=position
                )
            source_id, resource_type = str(entry["source_id"]), str(entry["resource_type"])
            url = str(entry.get("url") or "")
            if entry.get("problem") or not entry.get("document"):
                problem = entry.get("problem") or "no page was stored"
                yield RejectedRecord.of(source_id, "full_description", f"{url}: {problem}", resource_type)
                continue
            if not snapshot.has(entry["document"]):
                raise TransformError(f"the page {entry['document']!r} it names is missing", document=INDEX)
            content = main_content(snapshot.document(entry["document"]).content, url)
            if not content:
                message = f"{url}: the page has no main content to read (a script-rendered page?)"
                yield RejectedRecord.of(source_id, "full_description", message, resource_type)
                continue
            yield {
                "resource_source": entry["resource_source"],
                "resource_type": resource_type,
                "source_id": source_id,
                "full_description": content,
            }
