"""MIT xPRO: professional courses and programs from the xPRO catalogue API.

extract: /api/courses/ and /api/programs/ (plain lists) as `courses.json` and `programs.json`.
transform: courses with their runs (current price, instructors, courseware URL) and programs with their courses
as ordered children. Courses nested in a program that the courses list lacks are imported from the program.
Topics "Business:Leadership & Organizations" become nested topics "Business > Leadership & Organizations".
"""

from __future__ import annotations

from collections.abc import Iterator

from django.conf import settings

from ..errors import TransformError
from ..registry import register
from .base import Snapshot, SnapshotDocument, Source
from .common import (
    absolute_url,
    child_ref,
    clean_url,
    colon_topic,
    compact,
    course_number_key,
    html_description,
    json_items,
    parse_datetime,
    plain,
    price,
    require_records,
    semester_of,
    unique,
    weekly_hours,
    year_of,
)

OFFERED_BY = {"code": "xpro", "name": "MIT xPRO"}
XPRO_PLATFORM = {"code": "xpro", "name": "MIT xPRO"}


def read_items(snapshot: Snapshot) -> tuple[list[dict], list[dict]]:
    """(courses, programs) from the snapshot's documents, by name ("courses*", "programs*") or by shape."""
    courses: list[dict] = []
    programs: list[dict] = []
    for document in snapshot.documents:
        items = json_items(document, "results")
        _check(items, document)
        name = document.name.rsplit("/", 1)[-1]
        if "program" in name:
            programs.extend(items)
        elif "course" in name:
            courses.extend(items)
        else:
            for item in items:
                is_program = "courses" in item or str(item.get("readable_id", "")).startswith("program-v1:")
                (programs if is_program else courses).append(item)
    return courses, programs


def _check(items: list[dict], document: SnapshotDocument) -> None:
    for index, item in enumerate(items):
        if "readable_id" not in item or "title" not in item:
            raise TransformError(
                "wrong schema: xPRO items have a 'readable_id' and a 'title'",
                document=document.name,
                location=f"item {index}",
            )


@register
class XProSource(Source):
    name = "xpro"
    title = "MIT xPRO"
    kind = "catalogue"
    description = "Professional courses and programs from the MIT xPRO catalogue API."
    default_schedule = {"cron": "15 5 * * *"}

    @classmethod
    def default_config(cls) -> dict:
        return {
            "courses_url": settings.XPRO_COURSES_API_URL,
            "programs_url": settings.XPRO_PROGRAMS_API_URL,
            "base_url": settings.XPRO_BASE_URL,
        }

    def extract(self, http) -> Iterator[SnapshotDocument]:
        for kind in ("courses", "programs"):
            yield http.fetch_document(
                self.config[f"{kind}_url"], f"{kind}.json", headers={"Accept": "application/json"}
            )

    def transform(self, snapshot: Snapshot) -> Iterator[dict]:
        return require_records(self._records(snapshot), snapshot)

    def _records(self, snapshot: Snapshot) -> Iterator[dict]:
        courses, programs = read_items(snapshot)
        seen: set[str] = set()
        for item in courses:
            if item["readable_id"] in seen:
                continue
            seen.add(item["readable_id"])
            yield self.course_record(item)
        for program in programs:
            for item in program.get("courses") or []:
                if isinstance(item, dict) and item.get("readable_id") and item["readable_id"] not in seen:
                    seen.add(item["readable_id"])
                    yield self.course_record(item)
            yield self.program_record(program)

    def _common(self, item: dict) -> dict:
        base = self.config["base_url"]
        low, high = weekly_hours(item.get("time_commitment"))
        platform_name = plain(item.get("platform")) or "xPRO"
        external = bool(item.get("is_external")) or platform_name.lower() not in ("xpro", "mit xpro")
        platform = XPRO_PLATFORM if not external else {"name": platform_name}
        return {
            "title": plain(item.get("title")),
            "description": html_description(item.get("description"), base),
            "url": (item.get("external_marketing_url") if external else None) or absolute_url(base, item.get("url")),
            "image_url": absolute_url(base, item.get("thumbnail_url")),
            "languages": ["en"],
            "topics": unique(colon_topic(topic.get("name")) for topic in item.get("topics") or []),
            "offered_by": OFFERED_BY,
            "platform": platform,
            "certification": True,
            "certification_type": "professional",
            "free": False,
            "delivery": "online" if str(item.get("format") or "online").lower() == "online" else None,
            "pace": "instructor_paced",
            "availability": "anytime" if item.get("availability") == "anytime" else None,
            "duration": plain(item.get("duration")),
            "time_commitment": plain(item.get("time_commitment")),
            "min_weekly_hours": low,
            "max_weekly_hours": high,
            "extra": compact(
                {"xpro_id": item.get("id"), "credits": item.get("credits"), "video_url": item.get("video_url")}
            ),
        }

    def course_record(self, item: dict) -> dict:
        runs = [self.run_record(run) for run in item.get("courseruns") or []]
        instructors = [name for run in runs for name in run.get("instructors", [])]
        return compact(
            {
                "resource_type": "course",
                "source_id": item.get("readable_id"),
                **self._common(item),
                "course_numbers": unique([course_number_key(item.get("readable_id"))]),
                "instructors": unique(instructors),
                "prices": unique(p for run in runs for p in run.get("prices", [])),
                "runs": runs,
            }
        )

    def run_record(self, run: dict) -> dict:
        run_price = price(run.get("current_price"))
        return compact(
            {
                "run_id": run.get("courseware_id") or str(run.get("id", "")),
                "title": plain(run.get("title")),
                "start_date": parse_datetime(run.get("start_date")),
                "end_date": parse_datetime(run.get("end_date")),
                "enrollment_start": parse_datetime(run.get("enrollment_start")),
                "enrollment_end": parse_datetime(run.get("enrollment_end")),
                "semester": semester_of(run.get("start_date")),
                "year": year_of(run.get("start_date")),
                "pace": "instructor_paced",
                "delivery": "online",
                "prices": [run_price] if run_price else [],
                "instructors": unique(plain(person.get("name")) for person in run.get("instructors") or []),
                "enrollment_url": clean_url(run.get("courseware_url")),
            }
        )

    def program_record(self, item: dict) -> dict:
        program_price = price(item.get("current_price"))
        children = [
            child_ref("course", course["readable_id"])
            for course in item.get("courses") or []
            if isinstance(course, dict) and course.get("readable_id")
        ]
        run = compact(
            {
                "run_id": item.get("readable_id"),
                "title": plain(item.get("title")),
                "start_date": parse_datetime(item.get("start_date")),
                "end_date": parse_datetime(item.get("end_date")),
                "enrollment_start": parse_datetime(item.get("enrollment_start")),
                "semester": semester_of(item.get("start_date")),
                "year": year_of(item.get("start_date")),
                "prices": [program_price] if program_price else [],
                "instructors": unique(plain(person.get("name")) for person in item.get("instructors") or []),
            }
        )
        return compact(
            {
                "resource_type": "program",
                "source_id": item.get("readable_id"),
                **self._common(item),
                "instructors": unique(plain(person.get("name")) for person in item.get("instructors") or []),
                "prices": [program_price] if program_price else [],
                "runs": [run] if run.get("start_date") else [],
                "children": unique(children),
            }
        )
