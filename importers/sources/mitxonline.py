"""MITx Online: courses and programs from the v2 API.

extract: every page of /api/v2/courses/ and /api/v2/programs/ (paginated with "next" links) as documents
`courses-0001.json`, ... and `programs-0001.json`, ...
transform: courses with their runs (course runs), prices (active products, plus a free audit track), departments,
instructors; programs with their requirements as ordered children (the requirement tree, depth first; a required
program appears as a program child, or as a course when MITx Online displays it as one).

Documents with other names (e.g. a file given to `manage.py import mitxonline --file`) are read by shape: a
list, a paginated page ({"results": [...]}) or {"courses": [...], "programs": [...]}.
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
    compact,
    course_number_key,
    departments,
    html_description,
    json_items,
    map_certification_type,
    parse_datetime,
    plain,
    price,
    require_records,
    semester_of,
    unique,
    weekly_hours,
    year_of,
)

OFFERED_BY = {"code": "mitx", "name": "MITx"}
PLATFORM = {"code": "mitxonline", "name": "MITx Online"}
PAID_MODES = {"verified", "professional", "no-id-professional", "credit"}


def _is_program(item: dict) -> bool:
    return "req_tree" in item or "display_mode" in item or str(item.get("readable_id", "")).startswith("program-v1:")


def read_items(snapshot: Snapshot) -> tuple[list[dict], list[dict]]:
    """(courses, programs) from every document of a snapshot: by document name when it says, else by shape."""
    courses: list[dict] = []
    programs: list[dict] = []
    for document in snapshot.documents:
        name = document.name.rsplit("/", 1)[-1]
        data = document.json()
        if isinstance(data, dict) and ("courses" in data or "programs" in data) and "results" not in data:
            courses.extend(_checked(data.get("courses") or [], document))
            programs.extend(_checked(data.get("programs") or [], document))
            continue
        items = json_items(document, "results")
        if name.startswith("courses"):
            courses.extend(_checked(items, document))
        elif name.startswith("programs"):
            programs.extend(_checked(items, document))
        else:
            for item in _checked(items, document):
                (programs if _is_program(item) else courses).append(item)
    return courses, programs


def _checked(items: list, document: SnapshotDocument) -> list[dict]:
    for index, item in enumerate(items):
        if not isinstance(item, dict) or "id" not in item or "title" not in item:
            raise TransformError(
                "wrong schema: MITx Online items have an 'id' and a 'title'",
                document=document.name,
                location=f"item {index}",
            )
    return items


@register
class MITxOnlineSource(Source):
    name = "mitxonline"
    title = "MITx Online"
    kind = "catalogue"
    description = "Courses and programs from the MITx Online v2 API."
    default_schedule = {"cron": "0 5 * * *"}

    @classmethod
    def default_config(cls) -> dict:
        return {
            "courses_url": settings.MITXONLINE_COURSES_API_URL,
            "programs_url": settings.MITXONLINE_PROGRAMS_API_URL,
            "base_url": settings.MITXONLINE_BASE_URL,
        }

    def extract(self, http) -> Iterator[SnapshotDocument]:
        for kind in ("courses", "programs"):
            url = self.config[f"{kind}_url"]
            for number, (page_url, response) in enumerate(http.paginate_next(url), start=1):
                yield http.to_document(f"{kind}-{number:04d}.json", response, url=page_url)

    def transform(self, snapshot: Snapshot) -> Iterator[dict]:
        return require_records(self._records(snapshot), snapshot)

    def _records(self, snapshot: Snapshot) -> Iterator[dict]:
        courses, programs = read_items(snapshot)
        course_ids = {item["id"]: item.get("readable_id") for item in courses}
        program_refs = {
            item["id"]: child_ref(
                "course" if item.get("display_mode") == "course" else "program", item.get("readable_id") or ""
            )
            for item in programs
        }
        seen: set[tuple[str, str]] = set()
        for item in courses:
            record = self.course_record(item)
            seen.add((record["resource_type"], record["source_id"]))
            yield record
        for item in programs:
            record = self.program_record(item, course_ids, program_refs)
            key = (record["resource_type"], record["source_id"])
            if key in seen:
                self.warn(f"{record['resource_type']} {record['source_id']} appears twice; the later one is skipped")
                continue
            seen.add(key)
            yield record

    # --- courses ----------------------------------------------------------------------------------------

    def course_record(self, item: dict) -> dict:
        base = self.config["base_url"]
        page = item.get("page") or {}
        runs = [self.run_record(run) for run in item.get("courseruns") or []]
        modes = {
            mode.get("mode_slug") for run in item.get("courseruns") or [] for mode in run.get("enrollment_modes") or []
        }
        modes |= {mode.get("mode_slug") for mode in item.get("enrollment_modes") or []}
        free = "audit" in modes if modes else None
        paid = unique(p for run in runs for p in run.get("prices", []))
        prices = ([price(0, label="Audit")] if free else []) + paid
        low, high = weekly_hours(item.get("time_commitment") or page.get("effort"))
        certificate = item.get("certificate_type")
        instructors = [plain(person.get("name")) for person in page.get("instructors") or []]
        course_numbers = unique([run.get("course_number") for run in item.get("courseruns") or []])
        course_numbers = course_numbers or unique([course_number_key(item.get("readable_id", ""))])
        return compact(
            {
                "resource_type": "course",
                "source_id": item.get("readable_id"),
                "title": plain(item.get("title")),
                "description": html_description(page.get("description"), base),
                "url": absolute_url(base, page.get("page_url")),
                "image_url": absolute_url(base, page.get("feature_image_src")),
                "languages": ["en"],
                "course_numbers": course_numbers,
                "topics": unique(plain(topic.get("name")) for topic in item.get("topics") or []),
                "departments": departments(dept.get("name") for dept in item.get("departments") or []),
                "offered_by": OFFERED_BY,
                "platform": PLATFORM,
                "instructors": unique(instructors),
                "certification": bool(certificate) or bool(modes & PAID_MODES),
                "certification_type": map_certification_type(certificate)
                or ("completion" if modes & PAID_MODES else ""),
                "free": free,
                "prices": prices,
                "delivery": "online",
                "pace": self._pace(runs),
                "availability": "anytime" if item.get("availability") == "anytime" else None,
                "duration": plain(item.get("duration") or page.get("length")),
                "time_commitment": plain(item.get("time_commitment") or page.get("effort")),
                "min_weekly_hours": low,
                "max_weekly_hours": high,
                "published": bool(item.get("include_in_learn_catalog", True))
                and bool(page.get("live", True))
                and (not runs or any(run.get("published") for run in runs)),
                "runs": runs,
                "extra": compact({"mitxonline_id": item.get("id"), "next_run_id": item.get("next_run_id")}),
            }
        )

    def run_record(self, run: dict) -> dict:
        products = [p for p in run.get("products") or [] if p.get("is_active", True)]
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
                "pace": "self_paced" if run.get("is_self_paced") else "instructor_paced",
                "delivery": "online",
                "prices": unique(price(p.get("price"), label="Certificate") for p in products),
                "enrollment_url": clean_url(run.get("courseware_url")),
                "published": bool(run.get("live", True)),
            }
        )

    @staticmethod
    def _pace(runs: list[dict]) -> str:
        paces = [run.get("pace") for run in runs if run.get("published")] or [run.get("pace") for run in runs]
        if "self_paced" in paces:
            return "self_paced"
        return "instructor_paced" if paces else ""

    # --- programs ---------------------------------------------------------------------------------------

    def program_record(self, item: dict, course_ids: dict, program_refs: dict) -> dict:
        base = self.config["base_url"]
        page = item.get("page") or {}
        children = self.children(item, course_ids, program_refs)
        low, high = weekly_hours(item.get("time_commitment") or page.get("effort"))
        if item.get("min_weekly_hours") not in (None, ""):
            low, high = (
                int(float(item["min_weekly_hours"])),
                int(float(item.get("max_weekly_hours") or item["min_weekly_hours"])),
            )
        modes = {mode.get("mode_slug") for mode in item.get("enrollment_modes") or []}
        certificate = item.get("certificate_type") or item.get("program_type")
        program_price = price(page.get("price"), label="Program")
        resource_type = "course" if item.get("display_mode") == "course" else "program"
        run = compact(
            {
                "run_id": item.get("readable_id"),
                "title": plain(item.get("title")),
                "start_date": parse_datetime(item.get("start_date")),
                "end_date": parse_datetime(item.get("end_date")),
                "enrollment_start": parse_datetime(item.get("enrollment_start")),
                "enrollment_end": parse_datetime(item.get("enrollment_end")),
                "semester": semester_of(item.get("start_date")),
                "year": year_of(item.get("start_date")),
                "prices": [program_price] if program_price else [],
            }
        )
        return compact(
            {
                "resource_type": resource_type,
                "source_id": item.get("readable_id"),
                "title": plain(item.get("title")),
                "description": html_description(page.get("description"), base),
                "url": absolute_url(base, page.get("page_url")),
                "image_url": absolute_url(base, page.get("feature_image_src")),
                "languages": ["en"],
                "topics": unique(plain(topic.get("name")) for topic in item.get("topics") or []),
                "departments": departments(dept.get("name") for dept in item.get("departments") or []),
                "offered_by": OFFERED_BY,
                "platform": PLATFORM,
                "certification": bool(certificate) or bool(modes & PAID_MODES),
                "certification_type": map_certification_type(certificate),
                "free": ("audit" in modes) if modes else None,
                "prices": ([price(0, label="Audit")] if "audit" in modes else [])
                + ([program_price] if program_price else []),
                "delivery": "online",
                "availability": "anytime" if item.get("availability") == "anytime" else None,
                "duration": plain(item.get("duration") or page.get("length")),
                "time_commitment": plain(item.get("time_commitment") or page.get("effort")),
                "min_weekly_hours": low,
                "max_weekly_hours": high,
                "published": bool(item.get("live", True))
                and bool(page.get("live", True))
                and bool(page.get("include_in_learn_catalog", item.get("include_in_learn_catalog", True))),
                "runs": [run] if run.get("start_date") or run.get("prices") else [],
                # A program shown as a course keeps no children: courses cannot have any.
                "children": children if resource_type == "program" else [],
                "extra": compact({"mitxonline_id": item.get("id"), "program_type": item.get("program_type")}),
            }
        )

    def children(self, item: dict, course_ids: dict, program_refs: dict) -> list[dict]:
        """The program's requirements in order: the requirement tree depth first, else its course list."""
        nodes: list[dict] = []

        def walk(tree: list) -> None:
            for node in tree or []:
                data = node.get("data") or {}
                if data.get("node_type") == "course" and data.get("course") is not None:
                    nodes.append({"course": data["course"]})
                elif data.get("node_type") == "program" and data.get("required_program") is not None:
                    nodes.append({"program": data["required_program"]})
                walk(node.get("children") or [])

        walk(item.get("req_tree") or [])
        if not nodes:
            nodes = [
                {"course": course_id} for course_id in item.get("courses") or [] if not isinstance(course_id, dict)
            ]
            nodes += [{"course": c.get("id")} for c in item.get("courses") or [] if isinstance(c, dict)]
        refs = []
        for node in nodes:
            if "course" in node:
                readable_id = course_ids.get(node["course"])
                ref = child_ref("course", readable_id) if readable_id else None
            else:
                ref = program_refs.get(node["program"])
            if ref and ref["source_id"]:
                refs.append(ref)
            else:
                kind, number = next(iter(node.items()))
                self.warn(
                    f"program {item.get('readable_id')}: required {kind} {number} is not in the snapshot; skipped"
                )
        return unique(refs)
