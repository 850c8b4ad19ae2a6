"""A fake JSON catalogue source for the framework's tests (registered by the `fake_source` fixture)."""

from __future__ import annotations

import json

from importers.errors import TransformError
from importers.sources.base import Snapshot, SnapshotDocument, Source

FAKE = "fakecourses"


def course(n: int, **fields) -> dict:
    return {"id": f"C{n:05d}", "title": f"Course {n}", "url": f"https://courses.example.org/c/{n}", **fields}


def courses_json(courses: list[dict]) -> bytes:
    return json.dumps({"results": courses}).encode()


class FakeCourses(Source):
    """Courses from one JSON document {"results": [{"id", "title", "url", ...}]}.

    Test hooks in config: "courses" (what extract serves), "fail_extract" (raise while fetching),
    "explode_after" (raise after yielding that many records, i.e. mid-load)."""

    name = FAKE
    title = "Fake courses"
    kind = "catalogue"
    default_schedule = {"minutes": 60}
    document_name = "courses.json"

    @classmethod
    def default_config(cls) -> dict:
        return {"courses": [], "fail_extract": False, "explode_after": None}

    def extract(self, http):
        if self.config["fail_extract"]:
            raise ConnectionError("source is down")
        yield SnapshotDocument("courses.json", courses_json(self.config["courses"]), metadata={"url": "fake://"})

    def transform(self, snapshot: Snapshot):
        document = snapshot.document("courses.json")
        data = document.json()
        if not isinstance(data, dict) or not isinstance(data.get("results"), list):
            raise TransformError("expected an object with a 'results' list", document=document.name)
        for index, item in enumerate(data["results"]):
            if self.config["explode_after"] is not None and index >= self.config["explode_after"]:
                raise RuntimeError(f"boom after {index} records")
            if not isinstance(item, dict):
                self.warn(f"item {index} is not an object; skipped")
                continue
            yield {
                "resource_type": "course",
                "source_id": item.get("id"),
                "title": item.get("title"),
                "url": item.get("url", ""),
                "description": item.get("description", ""),
            }
