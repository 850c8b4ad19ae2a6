"""Open edX course-discovery API: courses (with nested runs, seats and prices, owners, subjects) and programs.

Usable for any Open edX institution: the API URLs, the OAuth2 client credentials, the platform name and the
owner filter (e.g. only courses owned by "MITx") come from settings or the source's config.

extract: every page of the courses and programs endpoints (paginated with "next") as `courses-0001.json`, ...
and `programs-0001.json`, ..., with an OAuth2 client-credentials token.
transform: courses whose owners pass the filter, each with its runs (seats → prices, staff → instructors);
programs whose authoring organisations pass the filter, with their courses as ordered children (a program's
course that the courses pages lack is imported from the program's nested copy).
"""

from __future__ import annotations

from collections.abc import Iterator

from django.conf import settings

from ..errors import TransformError
from ..registry import register
from .base import Snapshot, SnapshotDocument, Source
from .common import (
    child_ref,
    clean_url,
    compact,
    course_number_key,
    html_description,
    json_items,
    language_codes,
    map_certification_type,
    map_level,
    map_pace,
    parse_datetime,
    plain,
    price,
    require_records,
    semester_of,
    unique,
    year_of,
)

PAID_SEATS = {"verified", "professional", "no-id-professional", "credit", "masters", "executive-education"}
FREE_SEATS = {"audit", "honor"}
KNOWN_OFFERORS = {"mitx": "MITx", "ocw": "MIT OpenCourseWare", "mitxt": "MITx"}


def _image(value) -> str:
    if isinstance(value, dict):
        return value.get("src") or value.get("url") or ""
    return value or ""


def _absolute(url: str) -> str:
    return clean_url(url)


@register
class EdxSource(Source):
    name = "edx"
    title = "edX course discovery"
    kind = "catalogue"
    description = "Courses and programs from an Open edX course-discovery API, filtered by owner."
    default_schedule = {"cron": "30 5 * * *"}

    @classmethod
    def default_config(cls) -> dict:
        return {
            "courses_url": settings.EDX_API_COURSES_URL,
            "programs_url": settings.EDX_API_PROGRAMS_URL,
            "token_url": settings.EDX_API_ACCESS_TOKEN_URL,
            "client_id": settings.EDX_API_CLIENT_ID,
            "client_secret": settings.EDX_API_CLIENT_SECRET,
            "auth_scheme": settings.EDX_API_AUTH_SCHEME,
            "owners": list(settings.EDX_OWNER_FILTER),
            "platform": {"code": settings.EDX_PLATFORM_CODE, "name": settings.EDX_PLATFORM_NAME},
        }

    # --- extract ----------------------------------------------------------------------------------------

    def extract(self, http) -> Iterator[SnapshotDocument]:
        headers = {"Accept": "application/json"}
        if self.config.get("client_id") or self.config.get("client_secret"):
            token = http.oauth2_token(self.config["token_url"], self.config["client_id"], self.config["client_secret"])
            headers["Authorization"] = f"{self.config.get('auth_scheme') or 'Bearer'} {token}"
        for kind in ("courses", "programs"):
            url = self.config.get(f"{kind}_url")
            if not url:
                continue
            for number, (page_url, response) in enumerate(http.paginate_next(url, headers=headers), start=1):
                yield http.to_document(f"{kind}-{number:04d}.json", response, url=page_url)

    # --- transform --------------------------------------------------------------------------------------

    def owner_allowed(self, organisations: list[dict]) -> bool:
        wanted = {str(owner).strip().lower() for owner in self.config.get("owners") or [] if str(owner).strip()}
        if not wanted:
            return True
        return any(str(org.get("key", "")).lower() in wanted for org in organisations or [])

    def transform(self, snapshot: Snapshot) -> Iterator[dict]:
        return require_records(self._records(snapshot), snapshot)

    def _records(self, snapshot: Snapshot) -> Iterator[dict]:
        courses: list[dict] = []
        programs: list[dict] = []
        for document in snapshot.documents:
            items = json_items(document, "results")
            for index, item in enumerate(items):
                if "title" not in item or not ("key" in item or "uuid" in item):
                    raise TransformError(
                        "wrong schema: course-discovery items have a 'key' or 'uuid' and a 'title'",
                        document=document.name,
                        location=f"item {index}",
                    )
                is_program = "authoring_organizations" in item or (
                    "course_runs" not in item and isinstance(item.get("courses"), list)
                )
                (programs if is_program else courses).append(item)

        seen: set[str] = set()
        skipped = 0
        for item in courses:
            if not self.owner_allowed(item.get("owners")):
                skipped += 1
                continue
            if item.get("key") in seen:
                continue
            seen.add(item.get("key"))
            yield self.course_record(item)
        for program in programs:
            if not self.owner_allowed(program.get("authoring_organizations")):
                skipped += 1
                continue
            for item in program.get("courses") or []:
                if item.get("key") and item["key"] not in seen and self.owner_allowed(item.get("owners") or []):
                    seen.add(item["key"])
                    yield self.course_record(item)
            yield self.program_record(program)
        if skipped:
            self.warn(f"{skipped} courses or programs skipped: their owners are not in {self.config.get('owners')}")

    def course_record(self, item: dict) -> dict:
        runs = [self.run_record(run) for run in item.get("course_runs") or []]
        published_runs = [run for run in runs if run.get("published")]
        raw_runs = item.get("course_runs") or []
        seats = {seat.get("type") for run in raw_runs for seat in run.get("seats") or []}
        latest = max(raw_runs, key=lambda run: run.get("start") or "", default={})
        owner = (item.get("owners") or [{}])[0]
        certification = bool(seats & PAID_SEATS)
        level = map_level(item.get("level_type") or latest.get("level_type"))
        free_seats = bool(seats & FREE_SEATS) or any(
            p["amount"] == "0.00" for run in runs for p in run.get("prices", [])
        )
        url = _absolute(item.get("marketing_url") or "")
        if not url or "localhost" in url:
            url = _absolute(latest.get("marketing_url") or "")
        languages = language_codes(run.get("content_language") for run in raw_runs)
        weeks = latest.get("weeks_to_complete")
        low, high = latest.get("min_effort"), latest.get("max_effort")
        if isinstance(low, int) and not isinstance(high, int):
            high = low
        if isinstance(low, int):
            low, high = sorted((low, high))  # some runs give them the wrong way round
        effort = (f"{low} hours/week" if low == high else f"{low}-{high} hours/week") if isinstance(low, int) else None
        return compact(
            {
                "resource_type": "course",
                "source_id": item.get("key") or item.get("uuid"),
                "title": plain(item.get("title")),
                "description": html_description(item.get("short_description") or latest.get("short_description")),
                "full_description": html_description(item.get("full_description") or latest.get("full_description")),
                "url": url,
                "image_url": _absolute(
                    _image(item.get("image")) or item.get("card_image_url") or _image(latest.get("image"))
                ),
                "image_alt": plain((item.get("image") or {}).get("description")),
                "languages": languages or ["en"],
                "course_numbers": unique([course_number_key(item.get("key"))]),
                "topics": unique(plain(subject.get("name")) for subject in item.get("subjects") or []),
                "offered_by": self._offeror(owner),
                "platform": self.config["platform"],
                "instructors": unique(name for run in runs for name in run.get("instructors", [])),
                "certification": certification,
                "certification_type": (
                    "professional" if seats & {"professional", "no-id-professional"} else "completion"
                )
                if certification
                else None,
                "free": free_seats if seats else None,
                "prices": unique(p for run in published_runs or runs for p in run.get("prices", [])),
                "delivery": "online",
                "pace": map_pace(latest.get("pacing_type")),
                "level": level,
                "duration": f"{weeks} weeks" if isinstance(weeks, int) and weeks > 0 else None,
                "time_commitment": effort,
                "min_weekly_hours": low if isinstance(low, int) else None,
                "max_weekly_hours": high if isinstance(low, int) else None,
                "license": plain(latest.get("license")),
                "published": bool(published_runs),
                "runs": runs,
                "extra": compact({"uuid": item.get("uuid"), "key": item.get("key")}),
            }
        )

    def run_record(self, run: dict) -> dict:
        prices = [
            price(seat.get("price"), seat.get("currency"), label=plain(seat.get("type")).replace("-", " ").title())
            for seat in run.get("seats") or []
        ]
        return compact(
            {
                "run_id": run.get("key"),
                "title": plain(run.get("title")),
                "start_date": parse_datetime(run.get("start")),
                "end_date": parse_datetime(run.get("end")),
                "enrollment_start": parse_datetime(run.get("enrollment_start")),
                "enrollment_end": parse_datetime(run.get("enrollment_end")),
                "semester": semester_of(run.get("start")),
                "year": year_of(run.get("start")),
                "pace": map_pace(run.get("pacing_type")),
                "delivery": "online",
                "prices": unique(p for p in prices if p),
                "instructors": unique(
                    plain(f"{person.get('given_name') or ''} {person.get('family_name') or ''}")
                    for person in (run.get("staff") or []) + (run.get("instructors") or [])
                    if isinstance(person, dict)
                ),
                "enrollment_url": _absolute(run.get("marketing_url") or ""),
                "published": run.get("status", "published") == "published" and not run.get("hidden"),
            }
        )

    def program_record(self, item: dict) -> dict:
        owner = (item.get("authoring_organizations") or [{}])[0]
        banner = item.get("banner_image") or {}
        image = (banner.get("large") or {}).get("url") or item.get("card_image_url") or ""
        children = [child_ref("course", course["key"]) for course in item.get("courses") or [] if course.get("key")]
        program_type = plain(item.get("type"))
        prices = [price(p.get("total"), p.get("currency"), label="Program") for p in item.get("price_ranges") or []]
        return compact(
            {
                "resource_type": "program",
                "source_id": item.get("uuid"),
                "title": plain(item.get("title")),
                "description": html_description(item.get("subtitle") or item.get("marketing_hook")),
                "full_description": html_description(item.get("overview")),
                "url": _absolute(item.get("marketing_url") or ""),
                "image_url": _absolute(image),
                "languages": ["en"],
                "offered_by": self._offeror(owner),
                "platform": self.config["platform"],
                "certification": True,
                "certification_type": map_certification_type(program_type) or "completion",
                "prices": unique(p for p in prices if p),
                "delivery": "online",
                "published": item.get("status", "active") == "active" and not item.get("hidden"),
                "children": unique(children),
                "extra": compact({"program_type": program_type, "marketing_slug": item.get("marketing_slug")}),
            }
        )

    @staticmethod
    def _offeror(owner: dict) -> dict | None:
        key = plain(owner.get("key"))
        if not key:
            return None
        # Known MIT offerors keep the names the other MIT sources give them.
        name = KNOWN_OFFERORS.get(key.lower()) or plain(owner.get("name")) or key
        return {"code": key.lower(), "name": name}
