"""MIT Sloan Executive Education: courses and their offerings (runs) from its API, with OAuth2 client credentials.

extract: `<SLOAN_API_URL>courses` and `<SLOAN_API_URL>course-offerings` as `courses.json` and `runs.json`.
transform: each course with its runs (dates, delivery, format, USD and local-currency prices, location,
faculty); the course's delivery is its runs' (hybrid when they mix), its pace self-paced only when every run is
on demand. Runs of a course the courses list lacks are skipped with a warning.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from django.conf import settings

from catalog.schemas import RejectedRecord

from ..errors import ImportFetchError, TransformError
from ..registry import register
from .base import Snapshot, SnapshotDocument, Source
from .common import (
    checked_items,
    clean_url,
    colon_topic,
    combined_delivery,
    compact,
    html_description,
    json_items,
    map_delivery,
    map_format,
    map_pace,
    parse_datetime,
    plain,
    price,
    require_records,
    semester_of,
    split_values,
    unique,
    weekly_hours,
    year_of,
)

OFFERED_BY = {"code": "see", "name": "MIT Sloan Executive Education"}
PLATFORM = {"code": "see", "name": "MIT Sloan Executive Education"}


@register
class SloanSource(Source):
    name = "sloan"
    title = "MIT Sloan Executive Education"
    kind = "catalogue"
    description = "Executive education courses and their offerings from the MIT Sloan API (OAuth2)."
    default_schedule = {"cron": "15 7 * * *"}
    document_name = "courses.json"

    @classmethod
    def default_config(cls) -> dict:
        base = settings.SLOAN_API_URL
        return {
            "courses_url": f"{base.rstrip('/')}/courses" if base else "",
            "runs_url": f"{base.rstrip('/')}/course-offerings" if base else "",
            "token_url": settings.SLOAN_API_ACCESS_TOKEN_URL,
            "client_id": settings.SLOAN_API_CLIENT_ID,
            "client_secret": settings.SLOAN_API_CLIENT_SECRET,
        }

    def not_configured(self) -> str:
        if not self.config.get("courses_url") or not self.config.get("runs_url"):
            return "set SLOAN_API_URL and its OAuth2 credentials"
        return ""

    def extract(self, http) -> Iterator[SnapshotDocument]:
        if self.not_configured():
            raise ImportFetchError("the Sloan API is not configured: set SLOAN_API_URL and its OAuth2 credentials")
        headers = {"Accept": "application/json"}
        if self.config.get("token_url"):
            token = http.oauth2_token(self.config["token_url"], self.config["client_id"], self.config["client_secret"])
            headers["Authorization"] = f"Bearer {token}"
        yield http.fetch_document(self.config["courses_url"], "courses.json", headers=headers)
        yield http.fetch_document(self.config["runs_url"], "runs.json", headers=headers)

    def transform(self, snapshot: Snapshot) -> Iterator[dict]:
        return require_records(self._records(snapshot), snapshot)

    def _records(self, snapshot: Snapshot) -> Iterator[dict]:
        courses: list[dict] = []
        runs_by_course: dict[str, list[dict]] = defaultdict(list)
        for document in snapshot.documents:
            items = json_items(document, "results", "data")
            if items and not any(isinstance(i, dict) and ({"Title", "Start_Date", "CO_Title"} & set(i)) for i in items):
                raise TransformError(
                    "wrong schema: a Sloan item is a course (with 'Title') or an offering (with 'Start_Date')",
                    document=document.name,
                )
            for index, item in checked_items(document, items, ("Course_Id",)):
                if isinstance(item, RejectedRecord):
                    yield item
                    continue
                if "Title" in item:
                    courses.append(item)
                elif "Start_Date" in item or "CO_Title" in item:
                    runs_by_course[item["Course_Id"]].append(item)
                else:
                    where = f"{document.name} item {index}"
                    yield RejectedRecord.of(
                        str(item["Course_Id"]),
                        "Title",
                        f"{where}: neither a course (with 'Title') nor an offering (with 'Start_Date')",
                        "course",
                    )
        known = {course["Course_Id"] for course in courses}
        orphans = sum(len(runs) for course_id, runs in runs_by_course.items() if course_id not in known)
        if orphans:
            self.warn(f"{orphans} offerings belong to courses that are not in the courses list; skipped")
        seen: set[str] = set()
        for course in courses:
            if course["Course_Id"] in seen:
                continue
            seen.add(course["Course_Id"])
            yield self.course_record(course, runs_by_course.get(course["Course_Id"], []))

    def course_record(self, course: dict, raw_runs: list[dict]) -> dict:
        runs = [self.run_record(run) for run in sorted(raw_runs, key=lambda r: r.get("Start_Date") or "")]
        # Describe the course by its latest offering (deterministic: the same snapshot gives the same record).
        reference = max(raw_runs, key=lambda run: run.get("Start_Date") or "", default={})
        low, high = weekly_hours(reference.get("Time_Commitment"))
        paces = {run.get("pace") for run in runs}
        formats = {map_format(run.get("Format")) for run in raw_runs} - {""}
        track = plain(course.get("Certification_Type"))
        return compact(
            {
                "resource_type": "course",
                "source_id": course["Course_Id"],
                "title": plain(course.get("Title")),
                "description": html_description(course.get("Description")),
                "url": clean_url(course.get("URL")),
                "image_url": clean_url(course.get("Image_Src")),
                "languages": ["en"],
                "topics": unique(colon_topic(topic) for topic in split_values(course.get("Topics"), "|;")),
                "offered_by": OFFERED_BY,
                "platform": PLATFORM,
                "instructors": unique(name for run in runs for name in run.get("instructors", [])),
                "certification": True,
                "certification_type": "professional",
                "free": False if any(run.get("prices") for run in runs) else None,
                "prices": unique(p for run in runs for p in run.get("prices", [])),
                "delivery": combined_delivery(run.get("delivery", "") for run in runs) or "online",
                "format": formats.pop() if len(formats) == 1 else None,
                "pace": "self_paced" if paces == {"self_paced"} else "instructor_paced",
                "duration": plain(reference.get("Duration")),
                "time_commitment": plain(reference.get("Time_Commitment")),
                "min_weekly_hours": low,
                "max_weekly_hours": high,
                "published": bool(runs),
                "runs": runs,
                "extra": compact(
                    {
                        "certificate_track": track,
                        "brochure_url": clean_url(course.get("BrochureLink")),
                        "source_modified": course.get("SourceLastModifiedDate"),
                    }
                ),
            }
        )

    @staticmethod
    def run_record(run: dict) -> dict:
        prices = [price(run.get("Price"), "USD", label="Tuition")]
        if run.get("Currency") and run.get("Tuition_Cost(non-USD)"):
            prices.append(price(run.get("Tuition_Cost(non-USD)"), run.get("Currency"), label="Tuition"))
        location = plain(run.get("Location"))
        run_id = plain(run.get("CO_Title")) or f"{run['Course_Id']}-{run.get('Start_Date')}"
        return compact(
            {
                "run_id": run_id,
                "title": plain(run.get("CO_Title")),
                "start_date": parse_datetime(run.get("Start_Date")),
                "end_date": parse_datetime(run.get("End_Date")),
                "semester": semester_of(run.get("Start_Date")),
                "year": year_of(run.get("Start_Date")),
                "pace": map_pace(run.get("Format")) or "instructor_paced",
                "delivery": map_delivery(run.get("Delivery")),
                "location": "" if location.upper() in ("N/A", "NA") else location,
                "prices": unique(p for p in prices if p),
                "instructors": split_values(run.get("Faculty_Name"), ","),
            }
        )
