"""MIT MicroMasters programs: courses in program order (required, then electives) with their runs."""

import pytest

from catalog.models import LearningResource, ResourceRelationship
from importers.errors import TransformError
from importers.registry import get_source
from importers.runner import run_import
from importers.transports.http import HttpClient

from .fixtures import FIXTURES, by_id, snapshot_of, snapshot_with, transform

SOURCE = "micromasters"


def test_transform_catalogue_api_shape():
    records, _ = transform(SOURCE, snapshot_of(SOURCE, FIXTURES / "micromasters"))
    assert [r["source_id"] for r in records] == ["MITx+6.431x", "MITx+18.6501x", "MITx+14.310x", "micromasters-3"]
    program = by_id(records)["micromasters-3"]
    assert program["children"] == [
        {"resource_type": "course", "source_id": "MITx+6.431x"},
        {"resource_type": "course", "source_id": "MITx+18.6501x"},
        {"resource_type": "course", "source_id": "MITx+14.310x"},
    ]
    assert program["url"] == "https://micromasters.mit.edu/sds/"
    assert program["prices"] == [{"amount": "1500.00", "currency": "USD", "label": "Program"}]
    assert program["certification_type"] == "micromasters" and program["free"] is False
    assert program["instructors"] == ["John Tsitsiklis", "Philippe Rigollet"]
    assert program["extra"]["elective_sets"] == [{"title": "Electives", "required_number": 1}]
    probability = by_id(records)["MITx+6.431x"]
    assert [run["run_id"] for run in probability["runs"]] == [
        "course-v1:MITx+6.431x+1T2025",
        "course-v1:MITx+6.431x+3T2024",
    ]
    assert probability["runs"][0]["start_date"] == "2025-01-27T00:00:00+00:00"
    assert probability["course_numbers"] == ["6.431x"]


def test_transform_realdata_seed_shape(realdata):
    records, _ = transform(SOURCE, snapshot_of(SOURCE, realdata / "micromasters"))
    programs = [r for r in records if r["resource_type"] == "program"]
    assert [p["title"] for p in programs] == ["Digital Learning", "Analog Learning"]
    digital = programs[0]
    assert digital["prices"] == [{"amount": "1000.00", "currency": "USD", "label": "Program"}]
    assert [c["source_id"] for c in digital["children"]] == [
        "course-v1:MITx+Digital+Learning+100",
        "course-v1:MITx+Digital+Learning+200",
        "course-v1:MITx+Digital+Learning+300",
        "course-v1:MITx+Digital+Learning+400",
        "course-v1:MITx+Digital+Learning+500",
    ]
    course = by_id(records)["course-v1:MITx+Digital+Learning+100"]
    assert course["title"] == "Digital Learning 100"
    assert [run["run_id"] for run in course["runs"]][:2] == [
        "course-v1:MITx+Digital+Learning+100+Aug_2016",
        "course-v1:MITx+Digital+Learning+100+Jan_2016",
    ]
    assert course["runs"][0]["start_date"] == "2016-08-15T00:00:00+00:00"


@pytest.mark.parametrize(
    "content, message",
    [
        (b'[{"title": "x", ', "invalid JSON"),
        (b"<html><body>Server Error (500)</body></html>", "HTML page"),
        (b'[{"name": "x"}]', "wrong schema"),
        (b"[]", "empty result"),
    ],
)
def test_bad_documents(content, message):
    with pytest.raises(TransformError) as error:
        list(get_source(SOURCE).transform(snapshot_with(SOURCE, ("programs.json", content))))
    assert message.lower() in str(error.value).lower() and "programs.json" in str(error.value)


def test_extract(httpserver, allow_local_http):
    httpserver.expect_request("/api/v0/catalog/").respond_with_json([{"title": "P", "courses": []}])
    source = get_source(SOURCE, {"url": httpserver.url_for("/api/v0/catalog/")})
    with HttpClient() as http:
        documents = list(source.extract(http))
    assert [d.name for d in documents] == ["programs.json"]
    assert b'"title": "P"' in documents[0].content


@pytest.mark.django_db
def test_realdata_loads_end_to_end(realdata):
    run = run_import(SOURCE, file=str(realdata / "micromasters" / "micromasters_seed_programs.json"))
    assert run.status == "succeeded", run.message
    program = LearningResource.objects.get(source=SOURCE, resource_type="program", title="Digital Learning")
    links = ResourceRelationship.objects.filter(parent=program).order_by("position")
    assert [link.child.title for link in links][:3] == [
        "Digital Learning 100",
        "Digital Learning 200",
        "Digital Learning 300",
    ]
    assert program.certification_type == "micromasters"
