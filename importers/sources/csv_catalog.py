"""A generic course catalogue from a CSV or JSON export, with a field mapping.

Any institution's export imports once its columns are mapped onto record fields. The mapping is a mapping
document (see `catalog_mapping`: per-column list separators, templates combining columns, null markers, derived
booleans, numbers, date formats, languages named in any script) given as a file with `manage.py import csv_catalog
--file X --mapping M` (stored with the snapshot) or as the source's `mapping` config; the older form, a dict of
record field → column name or list of candidate names, still works (settings.CSV_CATALOG_FIELD_MAPPING).
Column names match case-insensitively, ignoring spaces, hyphens and underscores; JSON keys may be dotted paths
("owner.name"). The built-in DEFAULT_MAPPING reads edX-, Coursera- and Udemy-style exports as they come; a mapping
replaces the candidates of the fields it names, and mapping a field to null switches it off.

Fields: source_id, title, description, full_description, url, image_url, topics, keywords, level, price,
currency, paid, instructors, languages, offered_by, platform, duration, time_commitment, course_numbers,
certification, pace, delivery, format, start_date, end_date, published, published_at, resource_type.
Multi-valued fields (topics, keywords, instructors, languages, course_numbers) split on the column's own `split`
separators, else on the mapping's (CSV_CATALOG_LIST_SEPARATORS, default "|;"); JSON lists are taken as they are.
`preview()` shows what the first rows become before anything is imported.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.text import slugify

from catalog.schemas import RejectedRecord

from ..errors import ImportFetchError, TransformError
from ..registry import register
from . import catalog_mapping
from .base import OversizedRow, Snapshot, SnapshotDocument, Source
from .catalog_mapping import Mapping, MappingError, Rule, is_mapping_document
from .common import (
    clean_url,
    compact,
    departments,
    html_description,
    json_items,
    language_code,
    map_certification_type,
    map_delivery,
    map_format,
    map_level,
    map_pace,
    parse_amount,
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
    # Read only when a mapping names their column (no built-in candidates: "department" means many things).
    "departments": [],
    "semester": [],
}
MAPPING_DOCUMENTS = ("_mapping.yaml", "_mapping.yml", "_mapping.json")  # a snapshot's own mapping (--mapping)
PREVIEW_FIELDS = {
    "price": "prices",
    "paid": "free",
    "currency": "prices",
    "time_commitment": "time_commitment",
    "semester": "runs",
}
FIELD_WARNINGS_SHOWN = 20  # per field; the rest are counted in one line
LIST_FIELDS = ("topics", "keywords", "instructors", "languages", "course_numbers", "departments")
CURRENCY_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR"}


_TERM = re.compile(r"^(?P<term>.*?)[\s,]*(?P<year>(?:18|19|20|21)\d\d)?$")


def term_of(text: str) -> tuple[str, int | None]:
    """("Fall", 2012) from "Fall 2012", ("January IAP", 2005) from "January IAP 2005"; ("", None) from ""."""
    match = _TERM.match(plain(text))
    if not match:
        return "", None
    year = int(match["year"]) if match["year"] else None
    return match["term"].strip()[:32], year


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


def build_mapping(overrides: dict | None, *, origin: str = "", separators: str = "|;") -> Mapping:
    """The mapping to read rows with: a mapping document (with `fields`/`extra`, see catalog_mapping) or the
    older `{field: column(s) or null}` dict, over DEFAULT_MAPPING. MappingError names `origin` and the problem."""
    if is_mapping_document(overrides):
        return catalog_mapping.build(
            overrides, defaults=DEFAULT_MAPPING, origin=origin or "the mapping", separators=separators
        )
    return catalog_mapping.legacy(
        overrides,
        defaults=DEFAULT_MAPPING,
        origin=origin or "the CSV catalogue mapping (CSV_CATALOG_FIELD_MAPPING)",
        separators=separators,
    )


class RowReader:
    """Reads mapped fields from one row (a CSV dict or a JSON object); null markers ("NA", "-", ...) read as
    empty."""

    def __init__(self, row: dict, mapping: Mapping):
        self.row = row
        self.mapping = mapping
        self.keys = {_norm(key): key for key in row if key is not None}
        self.sources: dict[str, str] = {}  # field → the column (or template) it was read from, for previews
        self.problems: list[str] = []  # this row's cell problems, for previews

    def rule(self, field: str) -> Rule:
        return self.mapping.rules.get(field) or self.mapping.extra.get(field) or Rule(field)

    def raw(self, field: str, rule: Rule | None = None) -> Any:
        rule = rule or self.rule(field)
        if rule.value is not None:
            self.sources[field] = "(value)"
            return rule.value
        if rule.template:
            self.sources[field] = rule.template
            return self._render(rule)
        for column in rule.columns:
            value = self._lookup(column)
            if isinstance(value, list):
                value = [item for item in value if not self.mapping.is_null(item, rule)]
            if not self.mapping.is_null(value, rule):
                self.sources[field] = column
                return value
        return None

    def _render(self, rule: Rule) -> str | None:
        filled = False

        def cell(match: re.Match) -> str:
            nonlocal filled
            value = self._lookup(match.group(1).strip())
            if self.mapping.is_null(value, rule):
                return ""
            filled = True
            return ", ".join(map(_name_of, value)) if isinstance(value, list) else _name_of(value).strip()

        text = catalog_mapping.PLACEHOLDER.sub(cell, rule.template).strip()
        return text if filled and text else None

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

    def has_column(self, column: str) -> bool:
        return column in self.row or _norm(column) in self.keys or ("." in column and column.split(".")[0] in self.row)

    def text(self, field: str) -> str:
        value = self.raw(field)
        if isinstance(value, list):
            return ", ".join(_name_of(item) for item in value)
        return plain(_name_of(value)) if value is not None else ""

    def values(self, field: str, separators: str | None = None) -> list[str]:
        """A list field's values: a JSON list as it is (objects through the rule's `item_template`), a text
        split on the rule's own `split` separators, else on `separators` (characters)."""
        rule = self.rule(field)
        value = self.raw(field, rule)
        if value is None:
            return []
        if isinstance(value, list):
            items = [self._item(item, rule) for item in value]
        else:
            text = str(value)
            if rule.split is not None:
                pattern = "|".join(re.escape(sep) for sep in rule.split)
            else:
                chars = self.mapping.separators if separators is None else separators
                pattern = "|".join(re.escape(sep) for sep in chars)
            items = [plain(part) for part in re.split(pattern, text)] if pattern else [plain(text)]
        return [item for item in items if item and not self.mapping.is_null(item, rule)]

    def _item(self, item: Any, rule: Rule) -> str:
        if rule.item_template and isinstance(item, dict):
            parts = {key: plain(_name_of(value)) for key, value in item.items()}
            filled = catalog_mapping.PLACEHOLDER.sub(lambda m: parts.get(m.group(1).strip(), ""), rule.item_template)
            return plain(filled)
        return plain(_name_of(item))

    def used_columns(self) -> set[str]:
        used = set()
        for rule in [*self.mapping.rules.values(), *self.mapping.extra.values()]:
            for column in rule.named_columns():
                key = column if column in self.row else self.keys.get(_norm(column.split(".")[0]))
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
    description = "Any institution's catalogue export (CSV or JSON), read through a mapping (a file or the config)."
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

    def not_configured(self) -> str:
        return "" if self.config.get("url") or self.config.get("path") else "set CSV_CATALOG_URL or CSV_CATALOG_PATH"

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

    def mapping_for(self, snapshot: Snapshot) -> Mapping:
        """The mapping of this snapshot: its own mapping document (`--mapping FILE`), else the source's config."""
        separators = self.config.get("separators") or ""
        given = [d for d in snapshot.documents if d.name in MAPPING_DOCUMENTS]
        try:
            if given:
                document = given[0]
                origin = f"mapping file {document.metadata.get('path') or document.name}"
                data = catalog_mapping.parse_mapping_text(document.text(), document.name)
                return build_mapping(data, origin=origin, separators=separators)
            config = self.config.get("mapping")
            origin = "the source's config (mapping)" if is_mapping_document(config) else ""
            return build_mapping(config, origin=origin, separators=separators)
        except MappingError as exc:
            where = given[0].name if given else "(settings) CSV_CATALOG_FIELD_MAPPING"
            raise TransformError(str(exc), document=where) from None

    def data_documents(self, snapshot: Snapshot) -> list[SnapshotDocument]:
        return [d for d in snapshot.documents if d.name not in MAPPING_DOCUMENTS]

    def _records(self, snapshot: Snapshot) -> Iterator[dict]:
        mapping = self.mapping_for(snapshot)
        seen: set[str] = set()
        self._problems: Counter = Counter()
        for document in self.data_documents(snapshot):
            for location, row, problem in self.rows(document):
                reader = RowReader(row, mapping)
                if problem:  # a ragged row: its cells cannot be trusted to be in their columns
                    source_id = reader.text("source_id")[:255] or f"{document.name} {location}"
                    resource_type = self.resource_type(reader.text("resource_type"))
                    yield RejectedRecord.of(source_id, "row", f"{document.name} {location}: {problem}", resource_type)
                    continue
                if location in ("line 2", "item 0"):
                    self.check_columns(mapping, document, reader)
                    if not reader.raw("title"):
                        columns = ", ".join(str(k) for k in list(row)[:12])
                        titles = ", ".join(mapping.rules["title"].named_columns()) or "nothing"
                        raise TransformError(
                            f"no title column: the mapping looks for {titles}, "
                            f"the document has {columns}; set CSV_CATALOG_FIELD_MAPPING or give a mapping file",
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
        for field, count in sorted(self._problems.items()):
            if count > FIELD_WARNINGS_SHOWN:
                self.warn(f"{field}: {count - FIELD_WARNINGS_SHOWN} more rows with a problem in this field")

    def check_columns(self, mapping: Mapping, document: SnapshotDocument, reader: RowReader) -> None:
        """TransformError when a mapping names a column the document does not have (JSON: no item has it)."""
        columns = self._json_keys if getattr(self, "_json_keys", None) is not None else set(reader.row)
        probe = RowReader(dict.fromkeys(columns, ""), mapping)
        for what, _rule, alternatives in mapping.explicit_columns():
            if not any(probe.has_column(column) for column in alternatives):
                named = " or ".join(repr(c) for c in alternatives)
                present = ", ".join(repr(str(c)) for c in list(columns)[:30])
                raise TransformError(
                    f"{mapping.origin}: {what} names column {named}, which {document.name} does not have "
                    f"(its columns: {present})",
                    document=document.name,
                )

    def field_problem(self, reader: RowReader, location: str, source_id: str, field: str, message: str) -> None:
        """A cell that could not be read: a warning naming the row and field (the first few per field)."""
        self._problems[field] += 1
        if self._problems[field] <= FIELD_WARNINGS_SHOWN:
            self.warn(f"{location} id {source_id}: {field}: {message}")
        reader.problems.append(f"{field}: {message}")

    # --- a mapping file, previews --------------------------------------------------------------------------

    def mapping_document(self, path: str | Path) -> SnapshotDocument:
        """The mapping file at `path` as a snapshot document, checked first (MappingError naming the file): the
        snapshot carries its mapping, so a replay reads it the same way and a changed mapping is a new snapshot."""
        data = catalog_mapping.read_mapping_file(path)
        build_mapping(data, origin=f"mapping file {path}")
        suffix = ".json" if str(path).lower().endswith(".json") else ".yaml"
        return SnapshotDocument(
            name=f"_mapping{suffix}",
            content=Path(path).read_bytes(),
            content_type="application/json" if suffix == ".json" else "application/yaml",
            metadata={"path": str(path)},
        )

    @classmethod
    def config_problem(cls, config: dict) -> str:
        """Why the admin's config cannot be used ("" when it can): its `mapping` is checked when it is saved."""
        try:
            mapping = config.get("mapping")
            build_mapping(mapping, origin="the mapping" if is_mapping_document(mapping) else "")
        except MappingError as exc:
            return str(exc)
        return ""

    def preview(self, snapshot: Snapshot, rows: int = 5) -> list[dict]:
        """What the first `rows` rows become, before any import: for each row its location, the record's id,
        each mapped field's column, cell and value, and the row's problems (or why it is rejected or skipped).
        TransformError as for an import (a column the mapping names that the document lacks)."""
        mapping = self.mapping_for(snapshot)
        self._problems = Counter()
        previews: list[dict] = []
        for document in self.data_documents(snapshot):
            for location, row, problem in self.rows(document):
                if len(previews) >= rows:
                    return previews
                reader = RowReader(row, mapping)
                if location in ("line 2", "item 0"):
                    self.check_columns(mapping, document, reader)
                where = f"{document.name} {location}"
                if problem:
                    previews.append({"location": where, "record": None, "fields": [], "problems": [problem]})
                    continue
                warned = len(self.warnings)
                record = self.record(reader, document.name, location)
                problems = reader.problems or self.warnings[warned:]
                previews.append(
                    {
                        "location": where,
                        "record": record,
                        "fields": self._preview_fields(reader, record or {}),
                        "problems": list(problems),
                    }
                )
        return previews

    @staticmethod
    def _preview_fields(reader: RowReader, record: dict) -> list[dict]:
        fields = []
        for name, column in reader.sources.items():
            rule = reader.rule(name)
            cell = reader.raw(name, rule)
            extra = record.get("extra", {})
            value = extra.get(name) if name in reader.mapping.extra else record.get(PREVIEW_FIELDS.get(name, name))
            if name in ("start_date", "end_date"):
                value = (record.get("runs") or [{}])[0].get(name)
            fields.append(
                {
                    "field": f"extra.{name}" if name in reader.mapping.extra else name,
                    "column": column if column != "" else "(the unnamed column)",
                    "cell": cell,
                    "value": value,
                }
            )
        return fields

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
        self._json_keys = None
        if is_json:
            items = json_items(document, "results", "courses", "items", "data")
            self._json_keys = {key for item in items for key in item}
            for index, item in enumerate(items):
                yield f"item {index}", item, ""
            return
        options = {"delimiter": self.config["delimiter"]} if self.config.get("delimiter") else {}
        for line, row in enumerate(document.csv_rows(**options), start=2):
            if isinstance(row, OversizedRow):
                yield f"line {line}", {}, row.problem
                continue
            yield f"line {line}", row, ragged_row(row)

    def record(self, reader: RowReader, document: str, location: str) -> dict | None:
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
        where = f"{document} {location}"

        def problem(field: str, message: str) -> None:
            self.field_problem(reader, where, source_id, field, message)

        def date(field: str) -> str | None:
            value = reader.raw(field)
            if value is None:
                return None
            formats = [*reader.rule(field).formats, *reader.mapping.date_formats]
            parsed = catalog_mapping.parse_date(plain(_name_of(value)), formats)
            if parsed is None:
                tried = ", ".join([*formats, "ISO 8601"])
                problem(field, f"{plain(_name_of(value))!r} is not a date ({tried}); left empty")
            return parsed

        options = {**self.config, **reader.mapping.options}
        prices, free = self.prices(reader, options)
        certificate = reader.text("certification")
        has_certificate = self.flag(reader, "certification")
        offered_by = reader.text("offered_by") or options.get("offered_by")
        platform = reader.text("platform") or options.get("platform")
        low, high = weekly_hours(reader.text("time_commitment"))
        pace_word = reader.text("pace")
        start_text = reader.text("start_date")
        start = date("start_date")
        published = self.flag(reader, "published")
        term, term_year = term_of(reader.text("semester"))
        run = (
            compact(
                {
                    "run_id": f"{source_id}-{start_text or slugify(reader.text('semester'))}"[:255],
                    "title": title,
                    "start_date": start,
                    "end_date": date("end_date"),
                    "semester": term or semester_of(start),
                    "year": term_year or year_of(start),
                    "prices": prices,
                }
            )
            if start or term or term_year
            else None
        )
        languages, unknown_languages = [], []
        for value in reader.values("languages", (reader.mapping.separators or "") + ","):
            code = catalog_mapping.language_tag(value) or language_code(value)
            if code:
                languages.append(code)
            else:
                unknown_languages.append(value[:64])
                problem("languages", f"{value[:64]!r} is not a language name or code langcodes knows; left out")
        known = reader.used_columns()
        extra = {
            str(key): value
            for key, value in reader.row.items()
            if key not in known
            and isinstance(value, str | int | float)
            and len(str(value)) <= 200
            and not reader.mapping.is_null(value)
        }
        extra = dict(list(extra.items())[:20])
        for name, rule in reader.mapping.extra.items():
            value = self.extra_value(reader, name, rule, problem)
            if value is not None:
                extra[name] = value
        if unknown_languages:
            extra["unmapped_languages"] = unknown_languages
        return compact(
            {
                "resource_type": self.resource_type(reader.text("resource_type"), options),
                "source_id": source_id,
                "title": title[:512],
                "description": html_description(reader.raw("description")),
                "full_description": html_description(reader.raw("full_description")),
                "url": clean_url(url),
                "image_url": clean_url(reader.text("image_url")),
                "languages": unique(languages),
                "course_numbers": unique(v[:64] for v in reader.values("course_numbers")),
                "departments": departments(v[:255] for v in reader.values("departments")),
                "keywords": unique(v[:128] for v in reader.values("keywords")),
                "topics": unique(_topic(v) for v in reader.values("topics")),
                "offered_by": {"name": offered_by} if offered_by else None,
                "platform": {"name": platform} if platform else None,
                "instructors": unique(v[:255] for v in reader.values("instructors")),
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
                "published_at": date("published_at"),
                "published": published if published is not None else True,
                "runs": [run] if run else [],
                "extra": extra,
            }
        )

    @staticmethod
    def flag(reader: RowReader, field: str) -> bool | None:
        """A yes/no field: the rule's derived boolean (true_values, true_if_matches) or the usual words."""
        rule = reader.rule(field)
        value = reader.raw(field, rule)
        if value is None:
            return None
        if rule.true_values is not None or rule.false_values is not None or rule.true_if_matches is not None:
            return catalog_mapping.parse_flag(_name_of(value) if not isinstance(value, bool) else value, rule)
        return _flag(plain(_name_of(value)))

    @staticmethod
    def extra_value(reader: RowReader, name: str, rule: Rule, problem) -> Any:
        """One `extra` value of the mapping, converted to its type; a cell that does not convert is a problem."""
        if rule.type == "list":
            return reader.values(name) or None
        value = reader.raw(name, rule)
        if value is None:
            return None
        text = plain(_name_of(value)) if not isinstance(value, bool | int | float) else value
        if rule.type == "number":
            number = catalog_mapping.parse_number(text)
            if number is None:
                problem(f"extra.{name}", f"{text!r} is not a number; left out")
            return number
        if rule.type == "boolean":
            return catalog_mapping.parse_flag(text, rule)
        if rule.type == "date":
            parsed = catalog_mapping.parse_date(text, [*rule.formats, *reader.mapping.date_formats])
            if parsed is None:
                problem(f"extra.{name}", f"{text!r} is not a date; left out")
            return parsed
        return str(text)[:1000]

    def prices(self, reader: RowReader, options: dict) -> tuple[list[dict], bool | None]:
        """Prices and `free` from the price column ("Free", "$49.99", "FREE-Add a Verified Certificate for $99")
        and the paid flag (Udemy's is_paid)."""
        text = reader.text("price")
        currency = reader.text("currency").upper() or options.get("currency") or "USD"
        for symbol, code in CURRENCY_SYMBOLS.items():
            if symbol in text and not reader.text("currency"):
                currency = code
        paid = self.flag(reader, "paid")
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

    def resource_type(self, value: str, options: dict | None = None) -> str:
        word = _norm(value)
        if word in RESOURCE_TYPES:
            return RESOURCE_TYPES[word]
        return (options or self.config).get("resource_type") or "course"

    @staticmethod
    def duration(value: str) -> str:
        """As a learner reads it; a bare number is taken as hours (Udemy's content_duration)."""
        if re.fullmatch(r"\d+(\.\d+)?", value):
            hours = float(value)
            return f"{hours:g} hours" if hours != 1 else "1 hour"
        return value[:128]
