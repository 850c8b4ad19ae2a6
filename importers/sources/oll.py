"""MIT Open Learning Library: its course metadata CSV (one row per course).

extract: the CSV (OLL_CSV_URL) as `oll_metadata.csv`.
transform: each published row becomes a self-paced, free course on the Open Learning Library, with its run
(the row's readable id), MITx Online topics ("Parent > Child", plus the adopted secondary topic), instructors
(up to six columns), level, offeror (MITx or OCW), language, license, duration (weeks) and effort (hours/week).
"""

from __future__ import annotations

from collections.abc import Iterator

from django.conf import settings

from catalog.schemas import RejectedRecord

from ..errors import TransformError
from ..registry import register
from .base import OversizedRow, Snapshot, SnapshotDocument, Source
from .common import (
    clean_url,
    compact,
    course_number_key,
    html_description,
    language_code,
    map_level,
    plain,
    ragged_row,
    require_records,
    topic_path,
    unique,
)

PLATFORM = {"code": "oll", "name": "Open Learning Library"}
OFFERORS = {"mitx": {"code": "mitx", "name": "MITx"}, "ocw": {"code": "ocw", "name": "MIT OpenCourseWare"}}
REQUIRED_COLUMNS = ("readable_id", "title", "url")
LICENSE = "CC BY-NC-SA 4.0"


def _row_value(row: dict, name: str) -> str:
    # Header cells sometimes carry stray spaces ("MITxO Adopted Secondary Child ").
    value = row.get(name)
    if value is None:
        value = next((v for k, v in row.items() if k and k.strip() == name), "")
    return plain(value)


@register
class OLLSource(Source):
    name = "oll"
    title = "MIT Open Learning Library"
    kind = "catalogue"
    description = "Courses of the MIT Open Learning Library from its course metadata CSV."
    default_schedule = {"cron": "30 7 * * *"}
    document_name = "oll_metadata.csv"

    @classmethod
    def default_config(cls) -> dict:
        return {"url": settings.OLL_CSV_URL}

    def extract(self, http) -> Iterator[SnapshotDocument]:
        yield http.fetch_document(self.config["url"], self.document_name, content_type="text/csv")

    def transform(self, snapshot: Snapshot) -> Iterator[dict]:
        return require_records(self._records(snapshot), snapshot, "courses")

    def _records(self, snapshot: Snapshot) -> Iterator[dict]:
        seen: set[str] = set()
        for document in snapshot.documents:
            for line, row in enumerate(document.csv_rows(), start=2):
                if isinstance(row, OversizedRow):
                    where = f"{document.name} line {line}"
                    yield RejectedRecord.of(where, "row", f"{where}: {row.problem}", "course")
                    continue
                if line == 2:
                    missing = [c for c in REQUIRED_COLUMNS if c not in row]
                    if missing:
                        raise TransformError(
                            f"wrong schema: the OLL CSV needs the columns {', '.join(REQUIRED_COLUMNS)}; "
                            f"missing {', '.join(missing)}",
                            document=document.name,
                            location="line 1",
                        )
                problem = ragged_row(row)
                if problem:  # its cells cannot be trusted to be in their columns
                    parts = _row_value(row, "readable_id").split("+")
                    course_id = "+".join(parts[:2]) if len(parts) >= 3 else "+".join(parts)
                    where = f"{document.name} line {line}"
                    yield RejectedRecord.of(course_id or where, "row", f"{where}: {problem}", "course")
                    continue
                record = self.course_record(row)
                if not record.get("source_id"):
                    self.warn(f"{document.name} line {line}: no readable_id; skipped")
                    continue
                if record["source_id"] in seen:
                    self.warn(f"{document.name} line {line}: {record['source_id']} repeats an earlier row; skipped")
                    continue
                seen.add(record["source_id"])
                yield record

    def course_record(self, row: dict) -> dict:
        readable_id = _row_value(row, "readable_id")
        # "MITx+0.501x+2T2019": the course is MITx+0.501x, the row's run is the whole id.
        parts = readable_id.split("+")
        course_id = "+".join(parts[:2]) if len(parts) >= 3 else readable_id
        parent, child = _row_value(row, "MITxO Primary Parent"), _row_value(row, "MITxO Primary Child")
        secondary = _row_value(row, "MITxO Adopted Secondary Child")
        topics = [topic_path(parent, child) if child else parent]
        if secondary:
            topics.append(topic_path(parent, secondary) if parent else secondary)
        instructors = [_row_value(row, f"Instructor {n}") for n in range(1, 7)]
        weeks, effort = _row_value(row, "Duration"), _row_value(row, "Student Effort")
        hours = int(float(effort)) if effort.replace(".", "", 1).isdigit() else None
        offeror = OFFERORS.get(_row_value(row, "Offered by").lower())
        image = _row_value(row, "Course Image URL") or _row_value(row, "Course Image URL Flat")
        title = _row_value(row, "title")
        return compact(
            {
                "resource_type": "course",
                "source_id": course_id,
                "title": title,
                "description": html_description(row.get("description")),
                "url": clean_url(_row_value(row, "url")),
                "image_url": clean_url(image),
                "image_alt": title,
                "languages": [language_code(_row_value(row, "Language")) or "en"],
                "course_numbers": unique([_row_value(row, "OLL Course") or course_number_key(course_id)]),
                "topics": unique(topics),
                "offered_by": offeror,
                "platform": PLATFORM,
                "instructors": unique(instructors),
                "certification": False,
                "free": True,
                "prices": [{"amount": "0.00", "currency": "USD", "label": "Free"}],
                "delivery": "online",
                "format": "asynchronous",
                "pace": "self_paced",
                "level": map_level(_row_value(row, "Level")),
                "availability": "anytime",
                "duration": f"{weeks} weeks" if weeks.isdigit() else weeks,
                "time_commitment": f"{hours} hours/week" if hours is not None else None,
                "min_weekly_hours": hours,
                "max_weekly_hours": hours,
                "license": LICENSE if _row_value(row, "License CC").upper() == "YES" else None,
                "published": _row_value(row, "published").upper() in ("YES", "TRUE", "1", ""),
                "runs": [
                    compact(
                        {
                            "run_id": readable_id,
                            "title": title,
                            "pace": "self_paced",
                            "delivery": "online",
                            "instructors": unique(instructors),
                            "enrollment_url": clean_url(_row_value(row, "url")),
                        }
                    )
                ],
                "extra": compact({"edx_subjects": unique(_row_value(row, f"edX Subject {n}") for n in (1, 2, 3))}),
            }
        )
