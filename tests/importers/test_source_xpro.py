"""MIT xPRO: courses with runs and prices, programs with ordered courses."""

import pytest

from catalog.models import LearningResource, ResourceRelationship
from importers.errors import ImportFetchError, TransformError
from importers.registry import get_source
from importers.runner import run_import
from importers.sources.base import SnapshotDocument
from importers.transports.http import HttpClient

from .fixtures import FIXTURES, by_id, snapshot_of, snapshot_with, transform

SOURCE = "xpro"


def test_transform_fixture():
    records, _ = transform(SOURCE, snapshot_of(SOURCE, FIXTURES / "xpro"))
    items = by_id(records)
    # Courses from courses.json, then the program's course that courses.json lacks, then the program.
    assert [r["source_id"] for r in records] == [
        "course-v1:xPRO+SysEngx1",
        "course-v1:xPRO+EXT1",
        "course-v1:xPRO+SysEngx2",
        "program-v1:xPRO+SysEng",
    ]
    course = items["course-v1:xPRO+SysEngx1"]
    assert course["topics"] == ["Engineering > Systems Engineering"]
    assert course["instructors"] == ["Bryan Moser", "Olivier de Weck"]
    assert course["prices"] == [
        {"amount": "1099.00", "currency": "USD", "label": ""},
        {"amount": "1199.00", "currency": "USD", "label": ""},
    ]
    assert course["free"] is False and course["certification_type"] == "professional"
    assert course["course_numbers"] == ["SysEngx1"]
    assert (course["min_weekly_hours"], course["max_weekly_hours"]) == (5, 6)
    assert course["runs"][1]["run_id"] == "course-v1:xPRO+SysEngx1+R6"
    assert course["runs"][1]["start_date"] == "2025-09-08T05:00:00+00:00"
    assert (
        course["runs"][1]["enrollment_url"] == "https://courses.xpro.mit.edu/courses/course-v1:xPRO+SysEngx1+R6/course/"
    )

    external = items["course-v1:xPRO+EXT1"]
    assert external["platform"] == {"name": "Emeritus"}
    assert external["url"] == "https://partner.example/digital-transformation"

    program = items["program-v1:xPRO+SysEng"]
    # The program's own order, not the courses list's.
    assert [c["source_id"] for c in program["children"]] == ["course-v1:xPRO+SysEngx2", "course-v1:xPRO+SysEngx1"]
    assert program["prices"] == [{"amount": "3999.00", "currency": "USD", "label": ""}]
    assert program["instructors"] == ["Edward Crawley", "Bryan Moser"]


def test_transform_realdata(realdata):
    records, _ = transform(SOURCE, snapshot_of(SOURCE, realdata / "xpro_api"))
    items = by_id(records)
    course = items["course-v1:xPRO+LASERx4"]
    assert course["title"] == "Discovering and Implementing Your Leadership Strengths"
    assert [run["run_id"] for run in course["runs"]] == [
        "course-v1:xPRO+LASERx4+R16",
        "course-v1:xPRO+LASERx4+R17",
        "course-v1:xPRO+LASERx4+R18",
    ]
    assert course["runs"][0]["start_date"] == "2025-02-10T05:00:00+00:00"
    assert course["prices"] == [{"amount": "999.00", "currency": "USD", "label": ""}]
    assert course["instructors"] == ["David Niño"]
    assert course["topics"] == ["Business > Leadership & Organizations", "Organization & Leadership"]
    program = items["program-v1:xPRO+QCR"]
    assert [c["source_id"] for c in program["children"]] == ["course-v1:xPRO+QCRx1", "course-v1:xPRO+QCRx2"]
    assert program["prices"] == [{"amount": "2419.00", "currency": "USD", "label": ""}]
    laser = items["program-v1:xPRO+LASERx"]
    assert [c["source_id"][-1] for c in laser["children"]] == ["1", "2", "3", "4"]


@pytest.mark.parametrize(
    "content, message",
    [
        (b"[{", "invalid JSON"),
        (b"<html><head><title>Error</title></head></html>", "HTML page"),
        (b'[{"name": "x"}]', "wrong schema"),
        (b"[]", "empty result"),
        (b"\xff\xfe[]", "not valid utf-8"),
    ],
)
def test_bad_documents(content, message):
    with pytest.raises(TransformError) as error:
        list(get_source(SOURCE).transform(snapshot_with(SOURCE, ("courses.json", content))))
    assert message.lower() in str(error.value).lower() and "courses.json" in str(error.value)


def test_extract_fetches_both_lists(httpserver, allow_local_http):
    httpserver.expect_request("/api/courses/").respond_with_json([{"readable_id": "c", "title": "C"}])
    httpserver.expect_request("/api/programs/").respond_with_json([])
    source = get_source(
        SOURCE,
        {"courses_url": httpserver.url_for("/api/courses/"), "programs_url": httpserver.url_for("/api/programs/")},
    )
    with HttpClient() as http:
        documents = list(source.extract(http))
    assert [d.name for d in documents] == ["courses.json", "programs.json"]
    assert documents[0].metadata["url"] == httpserver.url_for("/api/courses/")


def test_extract_http_error_names_the_url(httpserver, allow_local_http):
    httpserver.expect_request("/api/courses/").respond_with_data("nope", status=404)
    source = get_source(SOURCE, {"courses_url": httpserver.url_for("/api/courses/")})
    with HttpClient(retries=0) as http, pytest.raises(ImportFetchError) as error:
        list(source.extract(http))
    assert "404" in str(error.value) and "/api/courses/" in str(error.value)


@pytest.mark.django_db
def test_realdata_loads_end_to_end(realdata):
    run = run_import(SOURCE, file=str(realdata / "xpro_api"))
    assert run.status == "succeeded", run.message
    assert run.created == 8
    program = LearningResource.objects.get(source=SOURCE, source_id="program-v1:xPRO+QCR")
    children = ResourceRelationship.objects.filter(parent=program).order_by("position")
    assert [link.child.source_id for link in children] == ["course-v1:xPRO+QCRx1", "course-v1:xPRO+QCRx2"]
    course = LearningResource.objects.get(source=SOURCE, source_id="course-v1:xPRO+LASERx4")
    assert course.runs.count() == 3 and course.offered_by.code == "xpro"
    assert course.topics.filter(name="Leadership & Organizations", parent__name="Business").exists()


def test_extract_reuses_unchanged_documents_with_etags(httpserver, allow_local_http):
    courses_url, programs_url = httpserver.url_for("/api/courses/"), httpserver.url_for("/api/programs/")
    httpserver.expect_request("/api/courses/", headers={"If-None-Match": '"v1"'}).respond_with_data("", status=304)
    httpserver.expect_request("/api/programs/").respond_with_json([], headers={"ETag": '"p2"'})
    previous = {courses_url: SnapshotDocument("courses.json", b'[{"readable_id": "c"}]', metadata={"etag": '"v1"'})}
    source = get_source(SOURCE, {"courses_url": courses_url, "programs_url": programs_url})
    with HttpClient(previous=previous) as http:
        courses, programs = list(source.extract(http))
    assert courses.content == b'[{"readable_id": "c"}]' and courses.metadata["not_modified"] is True
    assert programs.metadata["etag"] == '"p2"'
