"""Helpers shared by the media sources (podcasts, YouTube, ODL Video Service)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

from django.utils.text import slugify

import yaml

from ..errors import ImportFetchError, TransformError
from ..transports.local import read_documents
from .base import SnapshotDocument

_ISO_DURATION = re.compile(
    r"^P(?:(?P<days>\d+)D)?(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)


def iso_duration_seconds(value: str | None) -> int | None:
    """ISO 8601 duration ("PT1H2M3S", "P1DT2H") → seconds; None when empty or unreadable."""
    match = _ISO_DURATION.match((value or "").strip())
    if not match or not any(match.groupdict().values()):
        return None
    parts = {key: float(val or 0) for key, val in match.groupdict().items()}
    return int(parts["days"] * 86400 + parts["hours"] * 3600 + parts["minutes"] * 60 + parts["seconds"])


def clock_seconds(value: str | int | float | None) -> int | None:
    """ "1:02:03", "17:16", "1036" or 1036.0 → seconds (iTunes durations); None when unreadable."""
    if value in (None, ""):
        return None
    if isinstance(value, int | float):
        return int(value) if value >= 0 else None
    text = str(value).strip()
    if text.startswith("P"):
        return iso_duration_seconds(text)
    try:
        parts = [float(part) for part in text.split(":")]
    except ValueError:
        return None
    if not parts or len(parts) > 3 or any(p < 0 for p in parts):
        return None
    seconds = 0.0
    for part in parts:
        seconds = seconds * 60 + part
    return int(seconds)


def human_duration(seconds: int | None) -> str:
    """1036 → "17 min"; 3725 → "1 h 2 min"; "" for None/0."""
    if not seconds:
        return ""
    hours, rest = divmod(int(seconds), 3600)
    minutes = round(rest / 60)
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{max(minutes, 1)} min"


def short_id(value: str, limit: int = 255) -> str:
    """`value` when it fits a source_id, else a stable digest of it."""
    value = str(value)
    return value if len(value) <= limit else hashlib.sha256(value.encode()).hexdigest()


def lookup(name: str | None) -> dict | None:
    """A {code, name} reference for an offeror/platform given by name (or code)."""
    name = " ".join(str(name or "").split())
    if not name:
        return None
    return {"code": slugify(name)[:64] or name[:64].lower(), "name": name[:200]}


def config_documents(path: str, prefix: str) -> Iterator[SnapshotDocument]:
    """The YAML files at `path` (a file or a directory) as documents named `<prefix>/<file name>`."""
    if not path:
        return
    if not Path(path).exists():
        raise ImportFetchError(f"configuration path {path} does not exist")
    for document in read_documents(path):
        if document.name.endswith((".yaml", ".yml")):
            document.name = f"{prefix}/{document.name}"
            document.content_type = "application/yaml"
            yield document


def yaml_documents(document: SnapshotDocument) -> list:
    """Every YAML document in a file (files may start with `---` or hold several); TransformError if invalid."""
    try:
        return [data for data in yaml.safe_load_all(document.text()) if data is not None]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1} column {mark.column + 1}" if mark else None
        raise TransformError(f"invalid YAML: {getattr(exc, 'problem', exc)}", document=document.name, location=where)
