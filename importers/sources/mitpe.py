"""MIT Professional Education: courses and programs from its Drupal JSON feed.

extract: the feed's pages ?page=0, 1, 2, ... until an empty page, as `page-0000.json`, `page-0001.json`, ...
transform: each item becomes a course or program (Drupal's `resource_type`), with one run per date range (the
feed packs several runs into "|"-separated `start_date` / `end_date` / `enrollment_end_date`), the price,
instructors, location and learning format; a program's `courses` (course titles) become its ordered children.

The Prolearn search API's response ({"data": {"searchAPISearch": {"documents": [...]}}}, MIT PE and other MIT
departments such as CSAIL) is read too: runs from Unix start/end times, related nodes as a program's children,
undated placeholders imported unpublished.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import zip_longest
from typing import Any
from urllib.parse import urljoin

from django.conf import settings

from catalog.schemas import RejectedRecord

from ..errors import TransformError
from ..registry import register
from .base import Snapshot, SnapshotDocument, Source
from .common import (
    absolute_url,
    checked_items,
    child_ref,
    clean_url,
    combined_delivery,
    compact,
    html_description,
    json_items,
    language_code,
    map_delivery,
    parse_datetime,
    plain,
    price,
    require_records,
    semester_of,
    split_values,
    unique,
    year_of,
)

OFFERED_BY = {"code": "mitpe", "name": "MIT Professional Education"}
PLATFORM = {"code": "mitpe", "name": "MIT Professional Education"}
REQUIRED_KEYS = ("uuid", "title", "url")


@register
class MITPESource(Source):
    name = "mitpe"
    title = "MIT Professional Education"
    kind = "catalogue"
    description = "Courses and programs from MIT Professional Education's Drupal JSON feed."
    default_schedule = {"cron": "0 7 * * *"}
    document_name = "page-0000.json"

    @classmethod
    def default_config(cls) -> dict:
        api = settings.MITPE_API_URL.rstrip("/") + "/"
        return {"url": urljoin(api, settings.MITPE_COURSES_PATH.lstrip("/")), "base_url": settings.MITPE_SITE_URL}

    def extract(self, http) -> Iterator[SnapshotDocument]:
        pages = http.paginate_pages(self.config["url"], page_param="page", stop_on_empty=True, start=0)
        for number, (page_url, response) in enumerate(pages):
            yield http.to_document(f"page-{number:04d}.json", response, url=page_url)

    def transform(self, snapshot: Snapshot) -> Iterator[dict]:
        return require_records(self._records(snapshot), snapshot)

    def _records(self, snapshot: Snapshot) -> Iterator[dict]:
        items: list[dict] = []
        prolearn: list[dict] = []
        for document in snapshot.documents:
            data = document.json()
            search = data.get("data") if isinstance(data, dict) else None
            if isinstance(search, dict) and "searchAPISearch" in search:
                prolearn.extend(self._prolearn_documents(search["searchAPISearch"], document))
                continue
            for _index, item in checked_items(document, json_items(document, "results", "data"), REQUIRED_KEYS):
                if isinstance(item, RejectedRecord):
                    yield item
                    continue
                items.append(item)
        by_title = {plain(item.get("title")).lower(): item for item in items if not self._is_program(item)}
        seen: set[str] = set()
        for item in items:
            if item["uuid"] in seen:
                continue
            seen.add(item["uuid"])
            yield self.record(item, by_title)
        yield from self._prolearn_records(prolearn)

    # --- the Prolearn search API's shape (MIT PE and other MIT departments, e.g. CSAIL) ---------------------

    @staticmethod
    def _prolearn_documents(search: Any, document: SnapshotDocument) -> list[dict]:
        documents = search.get("documents") if isinstance(search, dict) else None
        if not isinstance(documents, list):
            raise TransformError("wrong schema: searchAPISearch has no 'documents' list", document=document.name)
        for index, item in enumerate(documents):
            if not isinstance(item, dict) or "nid" not in item or "title" not in item:
                raise TransformError(
                    "wrong schema: Prolearn documents have a 'nid' and a 'title'",
                    document=document.name,
                    location=f"documents {index}",
                )
        return documents

    def _prolearn_records(self, items: list[dict]) -> Iterator[dict]:
        # An archived copy shares its node id with the current one; the current one wins.
        ordered = sorted(items, key=lambda item: plain(item.get("title")).lower().endswith("archived"))
        by_nid: dict[str, dict] = {}
        for item in ordered:
            nid = str(item["nid"])
            if nid in by_nid:
                self.warn(f"Prolearn node {nid} appears twice; {plain(item.get('title'))!r} is skipped")
                continue
            by_nid[nid] = item
        for item in by_nid.values():
            yield self.prolearn_record(item, by_nid)

    def prolearn_record(self, item: dict, by_nid: dict[str, dict]) -> dict:
        site = item.get("department_url") or self.config["base_url"]
        department = plain(item.get("department"))
        is_mitpe = not department or "professional education" in department.lower()
        is_program = str(item.get("field_course_or_program") or "").lower() == "program"
        item_price = price(item.get("field_price"))
        delivery = map_delivery(item.get("format_name"))
        runs = []
        for start, end in zip_longest(item.get("start_value") or [], item.get("end_value") or []):
            if start:
                runs.append(
                    compact(
                        {
                            "run_id": f"{item['nid']}-{start}",
                            "title": plain(item.get("title")),
                            "start_date": parse_datetime(start),
                            "end_date": parse_datetime(end),
                            "semester": semester_of(start),
                            "year": year_of(start),
                            "delivery": delivery,
                            "prices": [item_price] if item_price else [],
                            "enrollment_url": clean_url(item.get("course_application_url")),
                        }
                    )
                )
        children = []
        for nid, title in zip_longest(
            item.get("field_related_courses_programs") or [], item.get("related_courses_programs_title") or []
        ):
            child = by_nid.get(str(nid))
            if is_program and child:
                kind = "program" if str(child.get("field_course_or_program")).lower() == "program" else "course"
                children.append(child_ref(kind, f"prolearn-{child['nid']}"))
            elif is_program:
                self.warn(
                    f"Prolearn program {item['nid']}: related node {nid} ({title}) is not in the snapshot; skipped"
                )
        return compact(
            {
                "resource_type": "program" if is_program else "course",
                "source_id": f"prolearn-{item['nid']}",
                "title": plain(item.get("title")),
                "description": html_description(item.get("body_override") or item.get("body"), site),
                "url": absolute_url(site, item.get("url")),
                "image_url": absolute_url(site, item.get("image_override_url") or item.get("featured_image_url")),
                "languages": ["es" if "(spanish)" in item["title"].lower() else "en"],
                "topics": unique([plain(item.get("ucc_name"))]),
                "offered_by": OFFERED_BY if is_mitpe else {"name": department},
                "platform": PLATFORM if is_mitpe else {"name": department},
                "certification": bool(item.get("certificate_name")),
                "certification_type": "professional" if item.get("certificate_name") else None,
                "free": False if item_price and item_price["amount"] != "0.00" else None,
                "prices": [item_price] if item_price else [],
                "delivery": delivery,
                "duration": plain(item.get("field_duration")),
                "time_commitment": plain(item.get("field_time_commitment")),
                # A course without dates is a placeholder ("Dateless Course, ignore me").
                "published": bool(runs),
                "runs": runs,
                "children": children,
                "extra": compact(
                    {
                        "nid": item.get("nid"),
                        "certificate": plain(item.get("certificate_name")),
                        "continuing_ed_credits": plain(item.get("field_non_degree_credits")),
                    }
                ),
            }
        )

    @staticmethod
    def _is_program(item: dict) -> bool:
        return str(item.get("resource_type") or "").strip().lower() == "program"

    def record(self, item: dict, courses_by_title: dict[str, dict]) -> dict:
        base = self.config["base_url"]
        is_program = self._is_program(item)
        item_price = price(item.get("price"))
        instructors = unique(split_values(item.get("lead_instructors")) + split_values(item.get("instructors")))
        delivery = map_delivery(item.get("learning_format") or item.get("location"))
        runs = self.runs(item, item_price, instructors, delivery)
        children = []
        if is_program:
            for title in split_values(item.get("courses")):
                course = courses_by_title.get(title.lower())
                if course:
                    children.append(child_ref("course", course["uuid"]))
                else:
                    self.warn(f"program {item['uuid']}: course {title!r} is not in the feed; skipped")
        certificates = split_values(item.get("course_certificate"))
        language = language_code(item.get("language")) or ("pt" if "(portuguese)" in item["title"].lower() else "en")
        return compact(
            {
                "resource_type": "program" if is_program else "course",
                "source_id": item["uuid"],
                "title": plain(item.get("title")),
                "description": html_description(item.get("description"), base),
                "url": absolute_url(base, item.get("url")),
                "image_url": absolute_url(base, item.get("image__src")),
                "image_alt": plain(item.get("image__alt")),
                "languages": [language],
                "topics": unique(split_values(item.get("topics"))),
                "offered_by": OFFERED_BY,
                "platform": PLATFORM,
                "instructors": instructors,
                "certification": bool(certificates) or is_program,
                "certification_type": "professional" if certificates or is_program else None,
                "free": False if item_price and item_price["amount"] != "0.00" else None,
                "prices": [item_price] if item_price else [],
                "delivery": combined_delivery(run.get("delivery", "") for run in runs) or delivery,
                "pace": "instructor_paced",
                "duration": plain(item.get("duration")),
                "runs": runs,
                "children": children,
                "extra": compact(
                    {
                        "node_id": item.get("node_id"),
                        "continuing_ed_credits": plain(item.get("continuing_ed_credits")),
                        "certificates": certificates,
                    }
                ),
            }
        )

    def runs(self, item: dict, item_price: dict | None, instructors: list[str], delivery: str) -> list[dict]:
        starts = split_values(item.get("start_date"))
        ends = split_values(item.get("end_date"))
        enrollment_ends = split_values(item.get("enrollment_end_date"))
        runs, seen = [], set()
        for start, end, enrollment_end in zip_longest(starts, ends, enrollment_ends, fillvalue=""):
            if not start:
                continue
            run_id = f"{item.get('node_id') or item['uuid']}{start.replace('-', '')}{end.replace('-', '')}"
            if run_id in seen:
                continue
            seen.add(run_id)
            runs.append(
                compact(
                    {
                        "run_id": run_id,
                        "title": plain(item.get("title")),
                        "start_date": parse_datetime(start),
                        "end_date": parse_datetime(end),
                        "enrollment_end": parse_datetime(enrollment_end),
                        "semester": semester_of(start),
                        "year": year_of(start),
                        "delivery": delivery,
                        "location": plain(item.get("location")),
                        "prices": [item_price] if item_price else [],
                        "instructors": instructors,
                        "enrollment_url": absolute_url(self.config["base_url"], item.get("url")),
                    }
                )
            )
        return runs
