"""A generic course catalogue from a CSV or JSON export, with a field mapping.

Any institution's export imports once its columns are mapped onto record fields. The mapping is a dict of
record field → column name, or a list of candidate column names (the first present, non-empty one wins);
column names match case-insensitively, ignoring spaces, hyphens and underscores; JSON keys may be dotted paths
("owner.name"). The built-in DEFAULT_MAPPING reads edX-, Coursera- and Udemy-style exports as they come;
settings.CSV_CATALOG_FIELD_MAPPING (or the source's `mapping` config) replaces the candidates of the fields it
names, and mapping a field to null or "" switches it off.

Fields: source_id, title, description, full_description, url, image_url, topics, keywords, level, price,
currency, paid, instructors, languages, offered_by, platform, duration, time_commitment, course_numbers,
certification, pace, delivery, format, start_date, end_date, published, published_at, resource_type.
Multi-valued fields (topics, keywords, instructors, languages, course_numbers) split on the configured
separators (CSV_CATALOG_LIST_SEPARATORS, default "|;"); JSON lists are taken as they are.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.text import slugify

from catalog.schemas import RejectedRecord

from ..errors import ImportFetchError, TransformError
from ..registry import register
from .base import OversizedRow, Snapshot, SnapshotDocument, Source
from .common import (
    clean_url,
    compact,
    html_description,
    json_items,
    language_code,
    map_certification_type,
    map_delivery,
    map_format,
    map_level,
    map_pace,
    parse_amount,
    parse_datetime,
    plain,
    ragged_row,
    require_records,
    semester_of,
    unique,
    weekly_hours,
    year_of,
)

DEFAULT_MAPPING: dict[str, list[str]] = {
    "source_id": ["id", "course_id", "uuid", "key", "course_key", "slug", "sku"],
    "title": ["title", "course_title", "name", "course_name"],
    "description": ["description", "summary", "short_description", "headline", "subtitle", "about"],
    "full_description": ["full_description", "course_description", "long_description", "overview"],
    "url": ["url", "course_url", "link", "course_link", "marketing_url"],
    "image_url": ["image_url", "image", "thumbnail", "thumbnail_url", "card_image_url", "image_480x270"],
    "topics": ["topics", "topic", "subject", "subjects", "category", "categories", "primary_category"],
    "keywords": ["keywords", "tags", "skills"],
    "level": ["level", "difficulty", "course_difficulty", "instructional_level"],
    "price": ["price", "cost", "fee", "price_usd", "tuition"],
    "currency": ["currency", "price_currency"],
    "paid": ["is_paid", "paid"],
    "instructors": ["instructors", "instructor", "visible_instructors", "teachers", "staff", "author", "authors"],
    "languages": ["languages", "language", "course_language"],
    "offered_by": [
        "institution",
        "university",
        "organization",
        "course_organization",
        "partner",
        "school",
        "provider",
        "offered_by",
        "owner",
    ],
    "platform": ["platform"],
    "duration": ["duration", "course_length", "length", "content_duration", "weeks"],
    "time_commitment": ["time_commitment", "course_effort", "effort", "hours_per_week"],
    "course_numbers": ["course_number", "course_numbers", "number", "course_code"],
    "certification": ["certification", "certificate", "certificate_type", "course_certificate_type"],
    "pace": ["pace", "pacing", "pacing_type", "course_type"],
    "delivery": ["delivery", "delivery_mode", "modality", "mode"],
    "format": ["format"],
    "start_date": ["start_date", "start", "starts", "next_start"],
    "end_date": ["end_date", "end"],
    "published": ["published", "is_published", "active", "is_active"],
    "published_at": ["published_timestamp", "published_at", "created", "release_date"],
    "resource_type": ["resource_type", "type"],
}
LIST_FIELDS = ("topics", "keywords", "instructors", "languages", "course_numbers")
CURRENCY_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR"}


def _norm(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", str(name or "").strip().lower())


RESOURCE_TYPES = {
    **{_t: _t for _t in ("course", "program", "video", "podcast", "article", "document")},
    "learningpath": "learning_path",
    "specialization": "program",
    "professionalcertificate": "program",
    "series": "program",
    "xseries": "program",
    "micromasters": "program",
    "degree": "program",
    "podcastepisode": "podcast_episode",
    "episode": "podcast_episode",
    "playlist": "video_playlist",
    "videoplaylist": "video_playlist",
}
NO_WORDS = {"", "no", "false", "0", "none", "n", "off", "no certificate"}


def build_mapping(overrides: dict | None) -> dict[str, list[str]]:
    """DEFAULT_MAPPING with `overrides` applied: a field's candidates replaced; null/"" switches it off."""
    mapping = {field: list(columns) for field, columns in DEFAULT_MAPPING.items()}
    for field, columns in (overrides or {}).items():
        if field not in DEFAULT_MAPPING:
            raise ValueError(
                f"unknown field {field!r} in the CSV catalogue mapping; fields: {', '.join(DEFAULT_MAPPING)}"
            )
        if columns in (None, "", []):
            mapping[field] = []
        else:
            mapping[field] = [columns] if isinstance(columns, str) else [str(c) for c in columns]
    return mapping


class RowReader:
    """Reads mapped fields from one row (a CSV dict or a JSON object)."""

    def __init__(self, row: dict, mapping: dict[str, list[str]]):
        self.row = row
        self.mapping = mapping
        self.keys = {_norm(key): key for key in row if key is not None}

    def raw(self, field: str) -> Any:
        for column in self.mapping.get(field, []):
            value = self._lookup(column)
            if value not in (None, "", []):
                return value
        return None

    def _lookup(self, column: str) -> Any:
        if column in self.row:
            return self.row[column]
        if "." in column:  # dotted path into nested JSON
            value: Any = self.row
            for part in column.split("."):
                if not isinstance(value, dict):
                    return None
                value = value.get(part)
            return value
        key = self.keys.get(_norm(column))
        return self.row.get(key) if key is not None else None

    def text(self, field: str) -> str:
        value = self.raw(field)
        if isinstance(value, list):
            return ", ".join(_name_of(item) for item in value)
        return plain(_name_of(value)) if value is not None else ""

    def values(self, field: str, separators: str) -> list[str]:
        value = self.raw(field)
        if value is None:
            return []
        if isinstance(value, list):
            return [name for name in (plain(_name_of(item)) for item in value) if name]
        text = str(value)
        if separators:
            pattern = "|".join(re.escape(sep) for sep in separators)
            return [item for item in (plain(part) for part in re.split(pattern, text)) if item]
        return [plain(text)] if plain(text) else []

    def used_columns(self) -> set[str]:
        used = set()
        for columns in self.mapping.values():
            for column in columns:
                key = column if column in self.row else self.keys.get(_norm(column))
                if key is not None:
                    used.add(key)
        return used


def _name_of(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("name") or value.get("display_name") or value.get("title") or value.get("full_name") or "")
    return "" if value is None else str(value)


def _topic(value: str) -> str:
    parts = [part.strip() for part in re.split(r"\s*[>›]\s*", value) if part.strip()]
    return " > ".join(parts[:2])


def _flag(value: str) -> bool | None:
    word = value.strip().lower()
    if not word:
        return None
    return word not in NO_WORDS


@register
class CSVCatalogSource(Source):
    name = "csv_catalog"
    title = "CSV/JSON catalogue"
    kind = "catalogue"
    description = "Any institution's catalogue export (CSV or JSON) with a field mapping set in settings."
    default_schedule = {"cron": "0 8 * * *"}
    document_name = "catalog.csv"

    @classmethod
    def default_config(cls) -> dict:
        return {
            "url": settings.CSV_CATALOG_URL,
            "path": settings.CSV_CATALOG_PATH,
            "mapping": dict(settings.CSV_CATALOG_FIELD_MAPPING),
            "separators": settings.CSV_CATALOG_LIST_SEPARATORS,
            "offered_by": settings.CSV_CATALOG_OFFERED_BY,
            "platform": settings.CSV_CATALOG_PLATFORM,
            "resource_type": "course",
            "currency": "USD",
            "delimiter": "",
        }

    def extract(self, http) -> Iterator[SnapshotDocument]:
        url, path = self.config.get("url"), self.config.get("path")
        if url:
            suffix = Path(url.split("?", 1)[0]).suffix.lower()
            name = "catalog.json" if suffix == ".json" else "catalog.csv"
            yield http.fetch_document(url, name)
        elif path:
            yield from self.documents_from_path(path)
        else:
            raise ImportFetchError("the CSV catalogue has no location: set CSV_CATALOG_URL or CSV_CATALOG_PATH")

    # --- transform --------------------------------------------------------------------------------------

    def transform(self, snapshot: Snapshot) -> Iterator[dict]:
        return require_records(self._records(snapshot), snapshot, "catalogue rows")

    def _records(self, snapshot: Snapshot) -> Iterator[dict]:
        try:
            mapping = build_mapping(self.config.get("mapping"))
        except ValueError as exc:
            raise TransformError(str(exc), document="(settings) CSV_CATALOG_FIELD_MAPPING") from None
        seen: set[str] = set()
        for document in snapshot.documents:
            for location, row, problem in self.rows(document):
                reader = RowReader(row, mapping)
                if problem:  # a ragged row: its cells cannot be trusted to be in their columns
                    source_id = reader.text("source_id")[:255] or f"{document.name} {location}"
                    resource_type = self.resource_type(reader.text("resource_type"))
                    yield RejectedRecord.of(source_id, "row", f"{document.name} {location}: {problem}", resource_type)
                    continue
                if location in ("line 2", "item 0") and not reader.raw("title"):
                    columns = ", ".join(str(k) for k in list(row)[:12])
                    raise TransformError(
                        f"no title column: the mapping looks for {', '.join(mapping['title']) or 'nothing'}, "
                        f"the document has {columns}; set CSV_CATALOG_FIELD_MAPPING",
                        document=document.name,
                        location=location,
                    )
                record = self.record(reader, document.name, location)
                if record is None:
                    continue
                if record["source_id"] in seen:
                    self.warn(f"{document.name} {location}: id {record['source_id']} repeats an earlier row; skipped")
                    continue
                seen.add(record["source_id"])
                yield record

    def rows(self, document: SnapshotDocument) -> Iterator[tuple[str, dict, str]]:
        """(location, row, problem) for each row; `problem` says why a CSV row is ragged (too many or too few
        cells), "" for a sound one."""
        name = document.name.lower()
        head = document.content[:64].lstrip()
        if name.endswith((".csv", ".tsv", ".txt")):
            is_json = False
        elif name.endswith(".json"):
            is_json = True
        else:
            is_json = "json" in document.content_type or head[:1] in (b"[", b"{")
        if is_json:
            for index, item in enumerate(json_items(document, "results", "courses", "items", "data")):
                yield f"item {index}", item, ""
            return
        options = {"delimiter": self.config["delimiter"]} if self.config.get("delimiter") else {}
        for line, row in enumerate(document.csv_rows(**options), start=2):
            if isinstance(row, OversizedRow):
                yield f"line {line}", {}, row.problem
                continue
            yield f"line {line}", row, ragged_row(row)

    def record(self, reader: RowReader, document: str, location: str) -> dict | None:
        separators = self.config.get("separators") or ""
        title = reader.text("title")
        if not title:
            self.warn(f"{document} {location}: no title; skipped")
            return None
        url = reader.text("url")
        source_id = reader.text("source_id") or url or slugify(title)
        if not source_id:
            self.warn(f"{document} {location}: no id, URL or title to identify the row; skipped")
            return None
        if len(source_id) > 255:
            source_id = hashlib.sha256(source_id.encode()).hexdigest()
        prices, free = self.prices(reader)
        certificate = reader.text("certification")
        has_certificate = _flag(certificate)
        offered_by = reader.text("offered_by") or self.config.get("offered_by")
        platform = reader.text("platform") or self.config.get("platform")
        low, high = weekly_hours(reader.text("time_commitment"))
        pace_word = reader.text("pace")
        start = reader.text("start_date")
        published = _flag(reader.text("published"))
        run = (
            compact(
                {
                    "run_id": f"{source_id}-{start}"[:255],
                    "title": title,
                    "start_date": parse_datetime(start),
                    "end_date": parse_datetime(reader.text("end_date")),
                    "semester": semester_of(start),
                    "year": year_of(start),
                    "prices": prices,
                }
            )
            if parse_datetime(start)
            else None
        )
        known = reader.used_columns()
        extra = {
            str(key): value
            for key, value in reader.row.items()
            if key not in known and isinstance(value, str | int | float) and value != "" and len(str(value)) <= 200
        }
        return compact(
            {
                "resource_type": self.resource_type(reader.text("resource_type")),
                "source_id": source_id,
                "title": title[:512],
                "description": html_description(reader.raw("description")),
                "full_description": html_description(reader.raw("full_description")),
                "url": clean_url(url),
                "image_url": clean_url(reader.text("image_url")),
                "languages": unique(language_code(v) for v in reader.values("languages", separators + ",")),
                "course_numbers": unique(reader.values("course_numbers", separators)),
                "keywords": unique(v[:128] for v in reader.values("keywords", separators)),
                "topics": unique(_topic(v) for v in reader.values("topics", separators)),
                "offered_by": {"name": offered_by} if offered_by else None,
                "platform": {"name": platform} if platform else None,
                "instructors": unique(v[:255] for v in reader.values("instructors", separators)),
                "certification": bool(has_certificate),
                "certification_type": self.certification_type(certificate) if has_certificate else None,
                "free": free,
                "prices": prices,
                "delivery": map_delivery(reader.text("delivery")) or None,
                "format": map_format(reader.text("format")) or None,
                "pace": map_pace(pace_word) or None,
                "level": map_level(reader.text("level")),
                "duration": self.duration(reader.text("duration")),
                "time_commitment": reader.text("time_commitment")[:128],
                "min_weekly_hours": low,
                "max_weekly_hours": high,
                "published_at": parse_datetime(reader.text("published_at")),
                "published": published if published is not None else True,
                "runs": [run] if run else [],
                "extra": dict(list(extra.items())[:20]),
            }
        )

    def prices(self, reader: RowReader) -> tuple[list[dict], bool | None]:
        """Prices and `free` from the price column ("Free", "$49.99", "FREE-Add a Verified Certificate for $99")
        and the paid flag (Udemy's is_paid)."""
        text = reader.text("price")
        currency = reader.text("currency").upper() or self.config.get("currency") or "USD"
        for symbol, code in CURRENCY_SYMBOLS.items():
            if symbol in text and not reader.text("currency"):
                currency = code
        paid = _flag(reader.text("paid"))
        prices: list[dict] = []
        if text.lower().startswith("free"):
            prices.append({"amount": "0.00", "currency": currency, "label": "Free"})
            amount = parse_amount(text[4:])
            if amount:
                prices.append({"amount": f"{amount:.2f}", "currency": currency, "label": "Certificate"})
        else:
            amount = parse_amount(text)
            if amount is not None:
                prices.append({"amount": f"{amount:.2f}", "currency": currency, "label": ""})
        if paid is False and not prices:
            prices.append({"amount": "0.00", "currency": currency, "label": "Free"})
        if prices:
            return prices, any(p["amount"] == "0.00" for p in prices)
        return prices, (not paid) if paid is not None else None

    @staticmethod
    def certification_type(value: str) -> str:
        """ "Professional Certificate", "SPECIALIZATION", ... → our type; a bare yes/true is a completion one."""
        if value.strip().lower() in ("yes", "true", "1", "y"):
            return "completion"
        return map_certification_type(value)

    def resource_type(self, value: str) -> str:
        word = _norm(value)
        if word in RESOURCE_TYPES:
            return RESOURCE_TYPES[word]
        return self.config.get("resource_type") or "course"

    @staticmethod
    def duration(value: str) -> str:
        """As a learner reads it; a bare number is taken as hours (Udemy's content_duration)."""
        if re.fullmatch(r"\d+(\.\d+)?", value):
            hours = float(value)
            return f"{hours:g} hours" if hours != 1 else "1 hour"
        return value[:128]
