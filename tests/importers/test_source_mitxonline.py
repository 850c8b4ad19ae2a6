"""MITx Online: courses, runs, prices, departments and ordered program requirements."""

import json

import pytest

from catalog.models import LearningResource, ResourceRelationship
from importers.errors import ImportFetchError, TransformError
from importers.registry import get_source
from importers.runner import run_import
from importers.sources.base import Snapshot
from importers.transports.http import HttpClient
from importers.transports.local import read_document

from .fixtures import FIXTURES, by_id, snapshot_of, snapshot_with, transform

SOURCE = "mitxonline"


def realdata_snapshot(realdata, *names):
    return Snapshot(SOURCE, [read_document(realdata / "mitxonline_api" / name) for name in names])


def test_transform_fixture_courses_runs_and_prices():
    records, source = transform(SOURCE, snapshot_of(SOURCE, FIXTURES / "mitxonline"))
    courses = by_id(r for r in records if r["resource_type"] == "course")
    assert set(courses) == {"course-v1:MITxT+6.00.1x", "course-v1:MITxT+6.00.2x", "course-v1:MITxT+6.86x"}

    python = courses["course-v1:MITxT+6.00.1x"]
    assert python["title"] == "Introduction to Computer Science and Programming Using Python"
    assert python["url"] == "https://mitxonline.mit.edu/courses/course-v1:MITxT+6.00.1x/"
    assert python["image_url"] == "https://mitxonline.mit.edu/media/original_images/101.jpg"
    # Plain text becomes escaped paragraphs.
    assert python["description"].startswith(
        "<p>Learn introduction to computer science and programming using python &amp; more.</p>"
    )
    assert python["departments"] == [{"code": "6", "name": "Electrical Engineering and Computer Science"}]
    assert python["instructors"] == ["Ana Bell", "Eric Grimson"]
    assert (python["min_weekly_hours"], python["max_weekly_hours"]) == (6, 9)
    assert python["free"] is True  # audit mode
    # Only active products count: 999.00 is inactive.
    assert python["prices"] == [
        {"amount": "0.00", "currency": "USD", "label": "Audit"},
        {"amount": "75.00", "currency": "USD", "label": "Certificate"},
    ]
    runs = {run["run_id"]: run for run in python["runs"]}
    assert runs["course-v1:MITxT+6.00.1x+1T2025"]["start_date"] == "2025-01-15T15:00:00+00:00"
    assert runs["course-v1:MITxT+6.00.1x+1T2025"]["semester"] == "Spring"
    assert runs["course-v1:MITxT+6.00.1x+3T2024"]["published"] is False
    assert python["published"] is True

    assert courses["course-v1:MITxT+6.00.2x"]["pace"] == "self_paced"
    ml = courses["course-v1:MITxT+6.86x"]
    assert ml["free"] is False  # verified only
    assert ml["certification"] is True and ml["certification_type"] == "completion"
    assert ml["departments"] == [{"code": "8", "name": "Physics"}]


def test_transform_fixture_program_children_follow_the_requirement_tree():
    records, source = transform(SOURCE, snapshot_of(SOURCE, FIXTURES / "mitxonline"))
    program = by_id(records)["program-v1:MITxT+CSF"]
    assert program["resource_type"] == "program"
    # Depth first through required then electives — not the "courses" list order; 555 is unknown.
    assert [child["source_id"] for child in program["children"]] == [
        "course-v1:MITxT+6.86x",
        "course-v1:MITxT+6.00.1x",
        "course-v1:MITxT+6.00.2x",
    ]
    assert "program program-v1:MITxT+CSF: required course 555 is not in the snapshot; skipped" in source.warnings
    assert program["certification_type"] == "micromasters"
    assert program["prices"] == [{"amount": "1250.00", "currency": "USD", "label": "Program"}]
    assert "<script>" not in program["description"] and "<strong>foundation</strong>" in program["description"]
    assert (program["min_weekly_hours"], program["max_weekly_hours"]) == (10, 12)
    assert program["availability"] == "anytime"


def test_transform_realdata(realdata):
    snapshot = realdata_snapshot(realdata, "mitxonline_courses.json", "mitxonline_programs.json")
    records, source = transform(SOURCE, snapshot)
    items = by_id(records)
    course = items["course-v1:MITxT+18.03.1x"]
    assert course["title"] == "Introduction to Differential Equations"
    assert [run["run_id"] for run in course["runs"]] == [
        "course-v1:MITxT+18.03.1x+2T2024",
        "course-v1:MITxT+18.03.1x+2T2023",
    ]
    assert course["runs"][0]["start_date"] == "2024-09-04T15:00:00+00:00"
    assert course["runs"][0]["end_date"] == "2024-12-18T16:00:00+00:00"
    assert course["departments"] == [{"code": "18", "name": "Mathematics"}]
    assert {"amount": "100.00", "currency": "USD", "label": "Certificate"} in course["prices"]
    assert items["course-v1:MITxT+18.03.3x"]["free"] is False  # verified mode only
    program = items["program-v1:MITxT+18.03x"]
    assert [c["source_id"] for c in program["children"]] == [
        "course-v1:MITxT+18.03.1x",
        "course-v1:MITxT+18.03.2x",
        "course-v1:MITxT+18.03.3x",
    ]
    assert program["prices"][-1] == {"amount": "175.00", "currency": "USD", "label": "Program"}
    # Not in the Learn catalogue: imported unpublished.
    assert items["program-v1:MITxT+8.02x"]["published"] is False


def test_transform_realdata_child_programs(realdata):
    records, _ = transform(SOURCE, realdata_snapshot(realdata, "mitxonline_program_children_loader.json"))
    items = {(r["resource_type"], r["source_id"]): r for r in records}
    parent = items[("program", "mitx-parent-program")]
    assert parent["children"] == [
        {"resource_type": "course", "source_id": "course-10"},
        {"resource_type": "program", "source_id": "mitx-child-program"},
        # A program displayed as a course is imported as a course.
        {"resource_type": "course", "source_id": "mitx-child-program-displayed-as-course"},
    ]
    assert ("course", "mitx-child-program-displayed-as-course") in items
    assert items[("program", "mitx-child-program")]["children"] == [
        {"resource_type": "course", "source_id": "course-70"}
    ]


@pytest.mark.parametrize(
    "content, message",
    [
        (b'{"count": 1, "results": [{"id": 1, "title"', "invalid JSON"),
        (b"<!DOCTYPE html><html><body>502 Bad Gateway</body></html>", "HTML page"),
        (b'{"detail": "Not found."}', "unexpected JSON shape"),
        (b'{"results": [{"name": "no id or title"}]}', "wrong schema"),
        ('{"results": [{"id": 1, "title": "Caf\xe9"}]}'.encode("latin-1"), "not valid utf-8"),
        (b'{"count": 0, "next": null, "results": []}', "empty result"),
    ],
)
def test_bad_documents_fail_with_what_and_where(content, message):
    source = get_source(SOURCE)
    with pytest.raises(TransformError) as error:
        list(source.transform(snapshot_with(SOURCE, ("courses-0001.json", content))))
    assert message.lower() in str(error.value).lower()
    assert "courses-0001.json" in str(error.value)


def test_extract_follows_next_links(httpserver, allow_local_http):
    page2 = {"count": 2, "next": None, "results": [{"id": 2, "title": "B", "readable_id": "b"}]}
    page1 = {"count": 2, "next": httpserver.url_for("/api/v2/courses/") + "?page=2", "results": []}
    httpserver.expect_request("/api/v2/courses/", query_string="page=2").respond_with_json(page2)
    httpserver.expect_request("/api/v2/courses/").respond_with_json(page1)
    httpserver.expect_request("/api/v2/programs/").respond_with_json({"count": 0, "next": None, "results": []})

    source = get_source(
        SOURCE,
        {
            "courses_url": httpserver.url_for("/api/v2/courses/"),
            "programs_url": httpserver.url_for("/api/v2/programs/"),
        },
    )
    with HttpClient() as http:
        documents = list(source.extract(http))
    assert [d.name for d in documents] == ["courses-0001.json", "courses-0002.json", "programs-0001.json"]
    assert json.loads(documents[1].content)["results"][0]["title"] == "B"
    assert documents[1].metadata["url"].endswith("page=2")


def test_extract_reports_an_html_error_page(httpserver, allow_local_http):
    httpserver.expect_request("/api/v2/courses/").respond_with_data(
        "<html><body>Maintenance</body></html>", content_type="text/html"
    )

    source = get_source(SOURCE, {"courses_url": httpserver.url_for("/api/v2/courses/")})
    with HttpClient(retries=0) as http, pytest.raises(ImportFetchError) as error:
        list(source.extract(http))
    assert "HTML" in str(error.value) and "/api/v2/courses/" in str(error.value)


@pytest.mark.django_db
def test_realdata_loads_end_to_end(realdata):
    run = run_import(SOURCE, file=str(realdata / "mitxonline_api"))
    assert run.status == "succeeded", run.message
    course = LearningResource.objects.get(source=SOURCE, source_id="course-v1:MITxT+18.03.1x")
    assert course.title == "Introduction to Differential Equations"
    assert course.runs.count() == 2
    assert course.free is True
    assert list(course.departments.values_list("code", flat=True)) == ["18"]
    program = LearningResource.objects.get(source=SOURCE, source_id="program-v1:MITxT+18.03x")
    children = ResourceRelationship.objects.filter(parent=program).order_by("position")
    assert [link.child.source_id for link in children] == [
        "course-v1:MITxT+18.03.1x",
        "course-v1:MITxT+18.03.2x",
        "course-v1:MITxT+18.03.3x",
    ]
    assert not LearningResource.objects.get(source=SOURCE, source_id="program-v1:MITxT+8.02x").published
