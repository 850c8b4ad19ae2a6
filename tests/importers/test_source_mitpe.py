"""MIT Professional Education: the Drupal feed, paginated until an empty page."""

import json

import pytest

from catalog.models import LearningResource, ResourceRelationship
from importers.errors import TransformError
from importers.registry import get_source
from importers.runner import run_import
from importers.transports.http import HttpClient

from .fixtures import FIXTURES, by_id, snapshot_of, snapshot_with, transform

SOURCE = "mitpe"


def test_transform_fixture():
    records, source = transform(SOURCE, snapshot_of(SOURCE, FIXTURES / "mitpe"))
    items = by_id(records)
    program = items["pe-prog-1"]
    assert program["resource_type"] == "program"
    assert program["children"] == [{"resource_type": "course", "source_id": "pe-course-1"}]
    assert "program pe-prog-1: course 'A Course That Does Not Exist' is not in the feed; skipped" in source.warnings
    assert program["topics"] == ["Machine Learning", "Data & Analytics"]
    assert program["image_alt"] == "ML & AI"
    assert program["url"] == "https://professional.mit.edu/course-catalog/pc-ml"
    assert program["prices"] == [{"amount": "3600.00", "currency": "USD", "label": ""}]

    course = items["pe-course-1"]
    assert course["resource_type"] == "course"
    assert course["instructors"] == ["Tommi Jaakkola", "Regina Barzilay"]
    assert course["delivery"] == "in_person"
    assert course["certification_type"] == "professional"
    # Two runs packed into "|"-separated dates.
    assert [(r["run_id"], r["start_date"], r["end_date"]) for r in course["runs"]] == [
        ("9012025071420250718", "2025-07-14T00:00:00+00:00", "2025-07-18T00:00:00+00:00"),
        ("9012025100620251010", "2025-10-06T00:00:00+00:00", "2025-10-10T00:00:00+00:00"),
    ]
    assert course["runs"][1]["enrollment_end"] == "2025-09-06T00:00:00+00:00"
    assert course["runs"][0]["location"] == "Cambridge, MA"
    assert course["prices"] == [{"amount": "4500.00", "currency": "USD", "label": ""}]

    spanish = items["pe-course-2"]
    assert spanish["languages"] == ["es"] and "runs" not in spanish and spanish["delivery"] == "hybrid"


def test_transform_realdata(realdata):
    records, _ = transform(SOURCE, snapshot_of(SOURCE, realdata / "mitpe"))
    items = by_id(records)
    program = items["790a82a4-8967-4b77-9342-4f6be5809abd"]
    assert program["title"] == "Manufatura Inteligente: Produção na Indústria 4.0 (Portuguese)"
    assert program["resource_type"] == "program"
    assert program["children"] == [
        {"resource_type": "course", "source_id": "a44c8b47-552c-45f9-b91b-854172201889"},
        {"resource_type": "course", "source_id": "e3be75f6-f7c9-432b-9c24-70c7132e1583"},
    ]
    assert program["prices"] == [{"amount": "1870.00", "currency": "USD", "label": ""}]
    assert program["runs"][0]["run_id"] == "7192123070621230914"
    assert program["languages"] == ["pt"]
    design = items["e3be75f6-f7c9-432b-9c24-70c7132e1583"]
    assert [r["start_date"][:10] for r in design["runs"]] == ["2123-07-17", "2025-09-01"]
    assert design["instructors"] == ["Blade Kotelly", "Reza Rahaman"]
    assert design["topics"] == ["Digital Business & IT"]
    assert design["delivery"] == "in_person"
    comm = items["a44c8b47-552c-45f9-b91b-854172201889"]
    assert comm["topics"] == ["Organizations & Leadership", "Product Innovation"]
    assert comm["extra"]["certificates"][0] == "Chief Digital Officer"


@pytest.mark.parametrize(
    "content, message",
    [
        (b'[{"uuid": "x", ', "invalid JSON"),
        (b"<!DOCTYPE html><html><body>Page not found</body></html>", "HTML page"),
        (b'[{"title": "no uuid or url"}]', "wrong schema"),
        (b"[]", "empty result"),
        (b'{"message": "error"}', "unexpected JSON shape"),
    ],
)
def test_bad_documents(content, message):
    with pytest.raises(TransformError) as error:
        list(get_source(SOURCE).transform(snapshot_with(SOURCE, ("page-0000.json", content))))
    assert message.lower() in str(error.value).lower() and "page-0000.json" in str(error.value)


def test_extract_pages_until_an_empty_page(httpserver, allow_local_http):
    item = {"uuid": "u", "title": "T", "url": "/c"}
    httpserver.expect_request("/feeds/courses/", query_string="page=0").respond_with_json([item])
    httpserver.expect_request("/feeds/courses/", query_string="page=1").respond_with_json([dict(item, uuid="v")])
    httpserver.expect_request("/feeds/courses/", query_string="page=2").respond_with_json([])
    source = get_source(SOURCE, {"url": httpserver.url_for("/feeds/courses/")})
    with HttpClient() as http:
        documents = list(source.extract(http))
    assert [d.name for d in documents] == ["page-0000.json", "page-0001.json"]
    assert len(httpserver.log) == 3  # the empty page ended the walk


@pytest.mark.django_db
def test_realdata_loads_end_to_end(realdata):
    run = run_import(SOURCE, file=str(realdata / "mitpe"))
    assert run.status == "succeeded", run.message
    assert run.created == 3
    program = LearningResource.objects.get(source=SOURCE, source_id="790a82a4-8967-4b77-9342-4f6be5809abd")
    links = ResourceRelationship.objects.filter(parent=program).order_by("position")
    assert [link.child.title for link in links] == [
        "Comunicação Persuasiva: Pensamento Crítico para Aprimorar a Mensagem (Portuguese)",
        "Design-Thinking and Innovation for Technical Leaders",
    ]
    assert program.offered_by.code == "mitpe"


def prolearn(*documents) -> bytes:
    return json.dumps(
        {"data": {"searchAPISearch": {"result_count": len(documents), "documents": list(documents)}}}
    ).encode()


def test_transform_prolearn_search_shape():
    course = {
        "nid": "545",
        "title": "Machine Learning, Modeling, and Simulation Principles",
        "url": "/ml-principles",
        "field_course_or_program": "course",
        "start_value": [1735689600, 1751328000],
        "end_value": [1738368000, 1754006400],
        "department": "MIT CSAIL",
        "department_url": "https://csail.mit.edu",
        "body": "<p>Principles.</p>",
        "field_price": "$2,500",
        "ucc_name": "AI/Machine Learning",
        "format_name": "Online",
        "certificate_name": "Professional Certificate",
        "course_application_url": "https://csail.mit.edu/checkout/?product=1",
    }
    program = dict(
        course,
        nid="547",
        title="Machine Learning for Business",
        url="/ml-business",
        field_course_or_program="program",
        field_related_courses_programs=[545, 999],
        related_courses_programs_title=["Machine Learning, Modeling, and Simulation Principles", "Gone"],
    )
    placeholder = dict(course, nid="1548", title="Dateless Course, ignore me", start_value=[], end_value=[])
    snapshot = snapshot_with(SOURCE, ("prolearn.json", prolearn(course, program, placeholder)))
    records, source = transform(SOURCE, snapshot)
    items = by_id(records)
    ml = items["prolearn-545"]
    assert ml["offered_by"] == {"name": "MIT CSAIL"} and ml["url"] == "https://csail.mit.edu/ml-principles"
    assert [(r["start_date"], r["end_date"]) for r in ml["runs"]] == [
        ("2025-01-01T00:00:00+00:00", "2025-02-01T00:00:00+00:00"),
        ("2025-07-01T00:00:00+00:00", "2025-08-01T00:00:00+00:00"),
    ]
    assert ml["prices"] == [{"amount": "2500.00", "currency": "USD", "label": ""}]
    assert items["prolearn-547"]["children"] == [{"resource_type": "course", "source_id": "prolearn-545"}]
    assert "Prolearn program 547: related node 999 (Gone) is not in the snapshot; skipped" in source.warnings
    assert items["prolearn-1548"]["published"] is False


def test_transform_prolearn_realdata(realdata):
    records, source = transform(SOURCE, snapshot_of(SOURCE, realdata / "prolearn_graphql"))
    items = by_id(records)
    assert items["prolearn-548"]["title"] == "Enabling Innovation: Designing Research Facilities"
    assert items["prolearn-548"]["offered_by"] == {"code": "mitpe", "name": "MIT Professional Education"}
    assert items["prolearn-548"]["runs"][0]["start_date"] == "2022-12-13T12:00:00+00:00"
    assert items["prolearn-548"]["prices"] == [{"amount": "3500.00", "currency": "USD", "label": ""}]
    # Node 547 comes twice (an archived copy); the current one is kept.
    assert items["prolearn-547"]["title"] == "Machine Learning for Business, Engineering, and Science"
    assert items["prolearn-503"]["resource_type"] == "program"
    assert items["prolearn-1548"]["published"] is False
    assert items["prolearn-507"]["languages"] == ["es"]
