"""Mappings of the generic catalogue importer (`csv_catalog`): how one export's columns become record fields.

A mapping is written once per catalogue, as a YAML or JSON file (`manage.py import csv_catalog --file X
--mapping M`) or as the `mapping` of the source's admin config. Its format (docs/operations.md, "Imports"):

    null_values: ["", "NA", "N/A", "-"]      # cells read as empty (case-insensitive); the default
    date_formats: ["%d/%m/%Y"]               # strptime formats tried before ISO 8601
    separators: "|;"                         # list separators of columns without their own `split`
    resource_type: course                    # defaults for every row (also offered_by, platform, currency)
    fields:
      title: course_title                    # a column
      url: [course_url, link]                # candidates: the first present, non-empty one
      keywords: null                         # switched off
      instructors: {column: instructors, split: ","}       # this column's own list separator(s)
      full_description: {template: "{what_you_learn}\n\n{syllabus}"}
      topics: {column: topics, item_template: "{subCat} > {speciality}"}   # a JSON list of objects
      certification: {column: price, true_if_matches: "(?i)certificate"}   # a derived boolean
      course_numbers: {column: mcn, null_values: [Supplemental]}
      start_date: {column: start, formats: ["%B %d, %Y"]}
    extra:                                   # values kept in the record's `extra`
      enrolments: {column: students_enrolled, type: number}    # "5.3k" → 5300, "1,234" → 1234

Fields a mapping does not name keep the built-in candidates (`csv_catalog.DEFAULT_MAPPING`). Every column a
mapping names must exist in the document: a misspelt column is an error naming it and the mapping, not a
silently empty field. Cell problems (a date no format reads, a language no one knows) are warnings naming the
row and field; the field is left empty and the record loads.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import langcodes
import yaml

from .common import parse_datetime

DEFAULT_NULL_VALUES = ("", "NA", "N/A", "-")
VALUE_TYPES = ("text", "number", "boolean", "date", "list")
RULE_KEYS = {
    "column",
    "columns",
    "template",
    "value",
    "split",
    "item_template",
    "null_values",
    "true_values",
    "false_values",
    "true_if_matches",
    "formats",
    "type",
}
OPTION_KEYS = ("resource_type", "offered_by", "platform", "currency", "delimiter")
PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


class MappingError(ValueError):
    """A mapping that cannot be used: its message names the mapping and what is wrong in it."""


@dataclass
class Rule:
    """How one field (or one `extra` value) is read from a row."""

    name: str
    columns: list[str] = field(default_factory=list)
    template: str = ""
    value: Any = None
    split: list[str] | None = None  # None: the mapping's separators
    item_template: str = ""
    null_values: set[str] = field(default_factory=set)  # casefolded, on top of the mapping's
    true_values: set[str] | None = None
    false_values: set[str] | None = None
    true_if_matches: re.Pattern | None = None
    formats: list[str] = field(default_factory=list)
    type: str = "text"
    explicit: bool = False  # named by a mapping: its columns must exist

    def named_columns(self) -> list[str]:
        """The columns this rule reads (a template's placeholders included)."""
        return [*self.columns, *placeholders(self.template)]


@dataclass
class Mapping:
    rules: dict[str, Rule]
    extra: dict[str, Rule]
    origin: str  # "mapping file x.yaml", "the source's config", "the built-in mapping"
    null_values: set[str] = field(default_factory=lambda: {v.casefold() for v in DEFAULT_NULL_VALUES})
    date_formats: list[str] = field(default_factory=list)
    separators: str = "|;"
    options: dict[str, Any] = field(default_factory=dict)

    def is_null(self, value: Any, rule: Rule | None = None) -> bool:
        if value is None or value == [] or value == {}:
            return True
        if not isinstance(value, str):
            return False
        word = value.strip().casefold()
        return word in self.null_values or (rule is not None and word in rule.null_values)

    def explicit_columns(self) -> list[tuple[str, Rule, list[str]]]:
        """(what, rule, columns) for each rule a mapping named; `columns` are alternatives when a list was given."""
        found = []
        for what, rules in (("field", self.rules), ("extra", self.extra)):
            for rule in rules.values():
                if not rule.explicit:
                    continue
                if rule.columns:
                    found.append((f"{what} {rule.name!r}", rule, rule.columns))
                for column in placeholders(rule.template):
                    found.append((f"{what} {rule.name!r} (template)", rule, [column]))
        return found


def placeholders(template: str) -> list[str]:
    return [name.strip() for name in PLACEHOLDER.findall(template or "")]


def read_mapping_file(path: str | Path) -> dict:
    """The mapping in a YAML or JSON file, as data; MappingError naming the file when it cannot be read."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise MappingError(f"no such mapping file: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise MappingError(f"mapping file {path} cannot be read: {exc}") from None
    return parse_mapping_text(text, str(path))


def parse_mapping_text(text: str, name: str) -> dict:
    try:
        data = json.loads(text) if name.lower().endswith(".json") else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise MappingError(f"mapping file {name} is not valid {'JSON' if name.endswith('.json') else 'YAML'}: {exc}")
    if not isinstance(data, dict):
        raise MappingError(f"mapping file {name}: expected a mapping with `fields`, found {type(data).__name__}")
    return data


def is_mapping_document(data: Any) -> bool:
    """A mapping in this module's format (with `fields` or `extra`), as opposed to the older field → columns dict."""
    return isinstance(data, dict) and ("fields" in data or "extra" in data)


def build(data: dict, *, defaults: dict[str, list[str]], origin: str, separators: str = "|;") -> Mapping:
    """A Mapping from a mapping document (`fields`, `extra`, `null_values`, ...) over the built-in candidates."""
    allowed = {"fields", "extra", "null_values", "date_formats", "separators", *OPTION_KEYS}
    unknown = sorted(key for key in set(data) - allowed if not str(key).startswith("_"))  # "_comment": JSON notes
    if unknown:
        raise MappingError(f"{origin}: unknown key(s) {', '.join(unknown)}")
    mapping = Mapping(
        rules={name: Rule(name, list(columns)) for name, columns in defaults.items()},
        extra={},
        origin=origin,
        separators=str(data.get("separators", separators) or ""),
        options={key: data[key] for key in OPTION_KEYS if key in data},
    )
    if "null_values" in data:
        mapping.null_values = {str(v).strip().casefold() for v in _as_list(data["null_values"], origin, "null_values")}
    mapping.date_formats = [str(f) for f in _as_list(data.get("date_formats") or [], origin, "date_formats")]
    fields = data.get("fields") or {}
    if not isinstance(fields, dict):
        raise MappingError(f"{origin}: `fields` must map record fields to columns")
    for name, spec in fields.items():
        if name not in defaults:
            raise MappingError(f"{origin}: unknown field {name!r}; fields: {', '.join(defaults)}")
        mapping.rules[name] = parse_rule(name, spec, origin)
    extra = data.get("extra") or {}
    if not isinstance(extra, dict):
        raise MappingError(f"{origin}: `extra` must map names to columns")
    for name, spec in extra.items():
        mapping.extra[str(name)] = parse_rule(str(name), spec, origin)
    return mapping


def legacy(overrides: dict | None, *, defaults: dict[str, list[str]], origin: str, separators: str) -> Mapping:
    """A Mapping from the older `{field: column or [columns] or null}` dict (CSV_CATALOG_FIELD_MAPPING)."""
    mapping = Mapping(
        rules={name: Rule(name, list(columns)) for name, columns in defaults.items()},
        extra={},
        origin=origin,
        separators=separators,
    )
    for name, columns in (overrides or {}).items():
        if name not in defaults:
            raise MappingError(f"unknown field {name!r} in {origin}; fields: {', '.join(defaults)}")
        if columns in (None, "", []):
            mapping.rules[name] = Rule(name)
        else:
            mapping.rules[name] = Rule(name, [columns] if isinstance(columns, str) else [str(c) for c in columns])
    return mapping


def parse_rule(name: str, spec: Any, origin: str) -> Rule:
    where = f"{origin}: {name}"
    if spec is None:
        return Rule(name)  # switched off
    if isinstance(spec, str):
        return Rule(name, [spec], explicit=True)
    if isinstance(spec, list):
        return Rule(name, [str(c) for c in spec], explicit=True)
    if not isinstance(spec, dict):
        raise MappingError(f"{where}: expected a column, a list of columns or a rule, found {spec!r}")
    unknown = sorted(set(spec) - RULE_KEYS)
    if unknown:
        raise MappingError(
            f"{where}: unknown key(s) {', '.join(unknown)}; a rule may have {', '.join(sorted(RULE_KEYS))}"
        )
    sources = [key for key in ("column", "columns", "template", "value") if key in spec]
    if len(sources) != 1:
        raise MappingError(f"{where}: give exactly one of column, columns, template or value")
    rule = Rule(name, explicit=True)
    if "column" in spec:
        rule.columns = [str(spec["column"] if spec["column"] is not None else "")]
    elif "columns" in spec:
        rule.columns = [str(c) for c in _as_list(spec["columns"], origin, f"{name}.columns")]
    elif "template" in spec:
        rule.template = str(spec["template"])
        if not placeholders(rule.template):
            raise MappingError(f"{where}: the template names no column ({{column}})")
    else:
        rule.value = spec["value"]
    if "split" in spec:
        rule.split = [str(s) for s in _as_list(spec["split"], origin, f"{name}.split") if str(s)]
    rule.item_template = str(spec.get("item_template") or "")
    rule.null_values = {str(v).strip().casefold() for v in _as_list(spec.get("null_values") or [], origin, name)}
    if "true_values" in spec:
        rule.true_values = {str(v).strip().casefold() for v in _as_list(spec["true_values"], origin, name)}
    if "false_values" in spec:
        rule.false_values = {str(v).strip().casefold() for v in _as_list(spec["false_values"], origin, name)}
    if spec.get("true_if_matches"):
        try:
            rule.true_if_matches = re.compile(str(spec["true_if_matches"]))
        except re.error as exc:
            raise MappingError(f"{where}: true_if_matches is not a regular expression: {exc}") from None
    rule.formats = [str(f) for f in _as_list(spec.get("formats") or [], origin, f"{name}.formats")]
    rule.type = str(spec.get("type") or "text")
    if rule.type not in VALUE_TYPES:
        raise MappingError(f"{where}: type {rule.type!r} is not one of {', '.join(VALUE_TYPES)}")
    return rule


def _as_list(value: Any, origin: str, what: str) -> list:
    if isinstance(value, str | int | float):
        return [value]
    if isinstance(value, list):
        return value
    raise MappingError(f"{origin}: {what} must be a value or a list of values")


# --- cell values ---------------------------------------------------------------------------------------------

_COUNT = re.compile(r"^([+-]?\d[\d,\s]*(?:\.\d+)?)\s*([kKmMbB]?)\+?$")
_MULTIPLIERS = {"": 1, "k": 1_000, "m": 1_000_000, "b": 1_000_000_000}


def parse_number(value: Any) -> int | float | None:
    """A number from 42, "1,234", "5.3k", "1.2M", "4.7"; None when the text is no number. Whole results are
    ints ("5.3k" → 5300)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    match = _COUNT.match(str(value or "").strip())
    if not match:
        return None
    digits = re.sub(r"[,\s]", "", match.group(1))
    try:
        number = float(digits) * _MULTIPLIERS[match.group(2).lower()]
    except ValueError:
        return None
    return int(round(number)) if abs(number - round(number)) < 1e-9 else number


def parse_date(value: Any, formats: list[str]) -> str | None:
    """An ISO 8601 UTC datetime from one of `formats` (strptime) or ISO 8601; None when none reads it."""
    text = str(value).strip()
    for fmt in formats:
        try:
            parsed = datetime.strptime(text, fmt)
        except ValueError:
            continue
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC).isoformat()
    return parse_datetime(value)


def parse_flag(value: Any, rule: Rule) -> bool | None:
    """A derived boolean: `true_if_matches` (a regular expression searched in the text), `true_values` /
    `false_values`, else the usual yes/no words; None for an empty cell."""
    if isinstance(value, bool):
        return value
    text = str(value).strip()
    if rule.true_if_matches is not None:
        return bool(rule.true_if_matches.search(text))
    word = text.casefold()
    if rule.true_values is not None and word in rule.true_values:
        return True
    if rule.false_values is not None and word in rule.false_values:
        return False
    if rule.true_values is not None and rule.false_values is None:
        return False  # only the true values were listed: anything else is false
    if rule.false_values is not None and rule.true_values is None:
        return True
    if word in {"yes", "true", "1", "y", "on"}:
        return True
    if word in {"no", "false", "0", "n", "off", "none"}:
        return False
    return None


_TAG = re.compile(r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$")


def language_tag(value: Any) -> str:
    """An ISO 639 code (BCP 47 tag) for a language code or name in any script: "en", "pt_BR", "English",
    "Italiano", "日本語", "中文"; "" when langcodes knows no such language."""
    text = " ".join(str(value or "").split())
    if not text:
        return ""
    if _TAG.match(text) and langcodes.tag_is_valid(text.replace("_", "-")):
        tag = langcodes.standardize_tag(text.replace("_", "-"), macro=True)
    else:
        try:
            tag = langcodes.find(text).to_tag()
        except LookupError:
            return ""
        tag = langcodes.standardize_tag(tag, macro=True)
    return tag if _TAG.match(tag) and len(tag) <= 16 else ""


def shown(value: Any, limit: int = 70) -> str:
    """A cell or value as a preview shows it: JSON for structures, one line, at most `limit` characters."""
    text = "" if value is None else value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
