"""MIT MicroMasters programs: the programs, their courses in program order and the courses' runs.

extract: the MicroMasters catalogue API (/api/v0/catalog/, a list of programs) as `programs.json`.
transform: each program with its courses as ordered children (required courses, then electives, by
`position_in_program`), and each course with its edX runs. Reads both the catalogue API's shape (ids,
`edx_key`, `programpage_url`, `total_price`) and the MicroMasters seed-data shape (titles, `elective_sets`,
`price`). Courses and programs are taken on edX; MITx offers them.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.conf import settings
from django.utils.text import slugify

from ..errors import TransformError
from ..registry import register
from .base import Snapshot, SnapshotDocument, Source
from .common import (
    absolute_url,
    child_ref,
    clean_url,
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
    year_of,
)

OFFERED_BY = {"code": "mitx", "name": "MITx"}
PLATFORM = {"code": "edx", "name": "edX"}
BASE_URL = "https://micromasters.mit.edu"


def course_key(course: dict) -> str:
    """A course's id: its edX course key, else the key of its runs without the run part, else its title."""
    if course.get("edx_key"):
        return str(course["edx_key"])
    for run in course.get("course_runs") or []:
        key = str(run.get("edx_course_key") or "")
        if "+" in key:
            return key.rsplit("+", 1)[0]
    return slugify(course.get("title") or "")


def program_key(program: dict) -> str:
    if program.get("id") not in (None, ""):
        return f"micromasters-{program['id']}"
    return slugify(program.get("title") or "")


@register
class MicroMastersSource(Source):
    name = "micromasters"
    title = "MIT MicroMasters"
    kind = "catalogue"
    description = "MicroMasters programs and their courses from the MicroMasters catalogue API."
    default_schedule = {"cron": "45 5 * * *"}
    document_name = "programs.json"

    @classmethod
    def default_config(cls) -> dict:
        return {"url": settings.MICROMASTERS_CATALOG_API_URL}

    def extract(self, http) -> Iterator[SnapshotDocument]:
        yield http.fetch_document(self.config["url"], "programs.json", headers={"Accept": "application/json"})

    def transform(self, snapshot: Snapshot) -> Iterator[dict]:
        return require_records(self._records(snapshot), snapshot)

    def _records(self, snapshot: Snapshot) -> Iterator[dict]:
        seen: set[str] = set()
        for document in snapshot.documents:
            programs = json_items(document, "results", "programs")
            for index, program in enumerate(programs):
                if "title" not in program or "courses" not in program:
                    raise TransformError(
                        "wrong schema: MicroMasters programs have a 'title' and 'courses'",
                        document=document.name,
                        location=f"item {index}",
                    )
                courses = self.program_courses(program)
                for course in courses:
                    key = course_key(course)
                    if key and key not in seen:
                        seen.add(key)
                        yield self.course_record(course)
                yield self.program_record(program, courses)

    @staticmethod
    def program_courses(program: dict) -> list[dict]:
        """Required courses then electives, each group by position in the program."""
        required = sorted(program.get("courses") or [], key=lambda c: c.get("position_in_program") or 0)
        electives = [
            course
            for elective_set in program.get("elective_sets") or []
            for course in elective_set.get("courses") or []
        ]
        electives.sort(key=lambda c: c.get("position_in_program") or 0)
        return [course for course in required + electives if isinstance(course, dict)]

    def course_record(self, course: dict) -> dict:
        runs = [self.run_record(run) for run in course.get("course_runs") or []]
        return compact(
            {
                "resource_type": "course",
                "source_id": course_key(course),
                "title": plain(course.get("title")),
                "description": html_description(course.get("description")),
                "url": clean_url(course.get("enrollment_url")),
                "languages": ["en"],
                "course_numbers": unique([course_number_key(course_key(course))]),
                "offered_by": OFFERED_BY,
                "platform": PLATFORM,
                "certification": True,
                "certification_type": "completion",
                "delivery": "online",
                "pace": "instructor_paced",
                "runs": runs,
                "extra": compact({"micromasters_id": course.get("id")}),
            }
        )

    @staticmethod
    def run_record(run: dict) -> dict:
        key = run.get("edx_course_key") or run.get("course_id")
        return compact(
            {
                "run_id": key,
                "title": plain(run.get("title")),
                "start_date": parse_datetime(run.get("start_date")),
                "end_date": parse_datetime(run.get("end_date")),
                "enrollment_start": parse_datetime(run.get("enrollment_start")),
                "enrollment_end": parse_datetime(run.get("enrollment_end")),
                "semester": semester_of(run.get("start_date")),
                "year": year_of(run.get("start_date")),
                "pace": "instructor_paced",
                "delivery": "online",
                "enrollment_url": f"https://courses.edx.org/courses/{key}/about" if key else None,
            }
        )

    def program_record(self, program: dict, courses: list[dict]) -> dict:
        program_price = price(program.get("total_price") or program.get("price"), label="Program")
        instructors = [plain(p.get("name")) for p in program.get("instructors") or [] if isinstance(p, dict)]
        return compact(
            {
                "resource_type": "program",
                "source_id": program_key(program),
                "title": plain(program.get("title")),
                "description": html_description(program.get("description")),
                "url": absolute_url(BASE_URL, program.get("programpage_url")),
                "image_url": absolute_url(BASE_URL, program.get("thumbnail_url")),
                "languages": ["en"],
                "topics": unique(plain(t.get("name")) for t in program.get("topics") or [] if isinstance(t, dict)),
                "offered_by": OFFERED_BY,
                "platform": PLATFORM,
                "instructors": unique(instructors),
                "certification": True,
                "certification_type": "micromasters",
                "free": False if program_price and program_price["amount"] != "0.00" else None,
                "prices": [program_price] if program_price else [],
                "delivery": "online",
                "pace": "instructor_paced",
                "published": bool(program.get("live", True)),
                "children": unique(child_ref("course", course_key(course)) for course in courses if course_key(course)),
                "extra": compact(
                    {
                        "num_required_courses": program.get("num_required_courses"),
                        "elective_sets": [
                            {"title": s.get("title"), "required_number": s.get("required_number")}
                            for s in program.get("elective_sets") or []
                        ]
                        or None,
                    }
                ),
            }
        )
