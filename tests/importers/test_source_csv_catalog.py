"""The generic CSV/JSON catalogue: the default mapping on edX-, Udemy- and Coursera-style exports, overrides."""

import csv
import io
import json
import random

import pytest

from catalog.models import LearningResource
from importers.errors import ImportFetchError, TransformError
from importers.registry import get_source
from importers.runner import run_import
from importers.transports.http import HttpClient

from .fixtures import FIXTURES, by_id, snapshot_of, snapshot_with, transform

SOURCE = "csv_catalog"
EDX_STYLE = FIXTURES / "csv_catalog" / "edx_style_courses.csv"


def udemy_style_csv(rows: int) -> bytes:
    """A generated export with the columns of the well-known Udemy courses dataset."""
    rng = random.Random(42)
    levels = ["All Levels", "Beginner Level", "Intermediate Level", "Expert Level"]
    subjects = ["Business Finance", "Graphic Design", "Musical Instruments", "Web Development"]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "course_id",
            "course_title",
            "url",
            "is_paid",
            "price",
            "num_subscribers",
            "num_reviews",
            "num_lectures",
            "level",
            "content_duration",
            "published_timestamp",
            "subject",
        ]
    )
    for n in range(rows):
        paid = n % 4 != 0
        writer.writerow(
            [
                1_000_000 + n,
                f"Course number {n}: {subjects[n % 4]} from scratch",
                f"https://www.udemy.com/course-{n}/",
                "True" if paid else "False",
                rng.choice([20, 50, 95, 200]) if paid else "Free",
                rng.randint(0, 100_000),
                rng.randint(0, 5000),
                rng.randint(5, 300),
                levels[n % 4],
                ["1.5", "3", "0.5", "12"][n % 4],
                f"2017-0{1 + n % 9}-1{n % 10}T18:0{n % 10}:00Z",
                subjects[n % 4],
            ]
        )
    return out.getvalue().encode()


def test_default_mapping_reads_an_edx_style_export():
    records, source = transform(SOURCE, snapshot_of(SOURCE, EDX_STYLE))
    assert len(records) == 48
    assert source.warnings == [
        "edx_style_courses.csv line 12: no title; skipped",
        "edx_style_courses.csv line 22: id https://www.edx.org/course/philosophy-fundamentals-20 repeats an earlier "
        "row; skipped",
    ]
    first = records[0]
    assert first["source_id"] == first["url"] == "https://www.edx.org/course/statistics-in-practice-1"
    assert first["title"] == "Statistics in Practice 1"
    assert first["description"] == "<p>A course about statistics &amp; data analysis &amp; statistics.</p>"
    assert first["full_description"] == "<p>Statistics in Practice 1 covers Statistics.</p><p>Week by week.</p>"
    assert first["offered_by"] == {"name": "HarvardX"}
    assert first["topics"] == ["Data Analysis & Statistics"]
    assert first["level"] == "intermediate"
    assert first["languages"] == ["en"]
    assert first["pace"] == "self_paced"
    assert first["duration"] == "5 Weeks"
    assert (first["min_weekly_hours"], first["max_weekly_hours"]) == (3, 6)
    assert first["free"] is True
    assert first["prices"] == [
        {"amount": "0.00", "currency": "USD", "label": "Free"},
        {"amount": "99.00", "currency": "USD", "label": "Certificate"},
    ]
    assert first["extra"]["n_enrolled"] == "1000"
    second = records[1]
    assert second["pace"] == "instructor_paced"
    assert second["instructors"] == ["Walter Lewin", "Ana Bell", "Eric Grimson"]
    paid = next(r for r in records if r["title"] == "Circuits Advanced Topics 3")
    assert paid["free"] is False and paid["prices"] == [{"amount": "202.00", "currency": "USD", "label": ""}]
    scripted = by_id(records)["https://www.edx.org/course/quantum-mechanics-in-practice-31"]
    assert scripted["description"] == "Has  in it."  # the script and its content are gone
    assert by_id(records)["https://www.edx.org/course/philosophy-essentials-4"]["languages"] == ["fr"]


def test_a_thousand_row_udemy_style_export():
    snapshot = snapshot_with(SOURCE, ("udemy.csv", udemy_style_csv(1000)))
    records, source = transform(SOURCE, snapshot)
    assert len(records) == 1000 and not source.warnings
    items = by_id(records)
    free = items["1000000"]
    assert free["title"] == "Course number 0: Business Finance from scratch"
    assert free["free"] is True and free["prices"] == [{"amount": "0.00", "currency": "USD", "label": "Free"}]
    assert "level" not in free  # "All Levels"
    assert free["duration"] == "1.5 hours"
    assert free["published_at"] == "2017-01-10T18:00:00+00:00"
    assert free["topics"] == ["Business Finance"]
    assert free["extra"] == {
        "num_subscribers": free["extra"]["num_subscribers"],
        "num_reviews": free["extra"]["num_reviews"],
        "num_lectures": free["extra"]["num_lectures"],
    }
    assert items["1000001"]["level"] == "introductory" and items["1000001"]["free"] is False
    assert items["1000003"]["level"] == "advanced" and items["1000003"]["duration"] == "12 hours"
    assert sum(1 for r in records if r["free"]) == 250


def test_mapping_override_from_settings(settings):
    coursera = (
        b"Course Name,University,Difficulty Level,Course Rating,Course URL,Course Description,Skills\n"
        b"Machine Learning,Stanford University,Beginner,4.9,https://www.coursera.org/learn/machine-learning,"
        b'"Learn ML.","regression;  classification"\n'
    )
    snapshot = snapshot_with(SOURCE, ("coursera.csv", coursera))
    records, _ = transform(SOURCE, snapshot)
    assert "level" not in records[0]  # "Difficulty Level" is not a default column name
    assert records[0]["offered_by"] == {"name": "Stanford University"}
    assert records[0]["keywords"] == ["regression", "classification"]

    settings.CSV_CATALOG_FIELD_MAPPING = {"level": "Difficulty Level", "keywords": None}
    records, _ = transform(SOURCE, snapshot)
    assert records[0]["level"] == "introductory"
    assert "keywords" not in records[0]
    assert records[0]["url"] == "https://www.coursera.org/learn/machine-learning"


def test_json_export_with_dotted_paths_and_lists():
    data = {
        "courses": [
            {
                "slug": "intro-robotics",
                "name": "Introduction to Robotics",
                "org": {"name": "ETH Zurich"},
                "staff": [{"display_name": "Roland Siegwart"}, {"display_name": "Marco Hutter"}],
                "languages": ["de", "English"],
                "price": "€120",
                "start": "2025-10-01",
                "type": "Course",
            },
            {
                "slug": "spec",
                "name": "Robotics Specialization",
                "type": "Specialization",
                "org": {"name": "ETH Zurich"},
            },
        ]
    }
    snapshot = snapshot_with(SOURCE, ("export.json", json.dumps(data).encode()))
    records, _ = transform(
        SOURCE, snapshot, mapping={"source_id": "slug", "offered_by": "org.name", "instructors": "staff"}
    )
    robotics = by_id(records)["intro-robotics"]
    assert robotics["offered_by"] == {"name": "ETH Zurich"}
    assert robotics["instructors"] == ["Roland Siegwart", "Marco Hutter"]
    assert robotics["languages"] == ["de", "en"]
    assert robotics["prices"] == [{"amount": "120.00", "currency": "EUR", "label": ""}]
    assert robotics["runs"][0]["start_date"] == "2025-10-01T00:00:00+00:00"
    assert by_id(records)["spec"]["resource_type"] == "program"


def test_unknown_mapping_field_is_reported():
    with pytest.raises(TransformError) as error:
        list(get_source(SOURCE, {"mapping": {"titel": "x"}}).transform(snapshot_of(SOURCE, EDX_STYLE)))
    assert "unknown field 'titel'" in str(error.value) and "CSV_CATALOG_FIELD_MAPPING" in str(error.value)


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("catalog.csv", b"sku,cost\n1,2\n", "no title column"),
        ("catalog.csv", b"title,url\n", "empty result"),
        ("catalog.csv", b"", "document is empty"),
        ("catalog.csv", "title\nCaf\xe9\n".encode("latin-1"), "not valid utf-8"),
        ("catalog.json", b'{"courses": [{"title": "A"}', "invalid JSON"),
        ("catalog.json", b"<html><body>Forbidden</body></html>", "HTML page"),
        ("catalog.json", b'{"error": "quota"}', "unexpected JSON shape"),
    ],
)
def test_bad_documents(name, content, message):
    with pytest.raises(TransformError) as error:
        list(get_source(SOURCE).transform(snapshot_with(SOURCE, (name, content))))
    assert message.lower() in str(error.value).lower() and name in str(error.value)


def test_extract_from_url_and_path(httpserver, allow_local_http, tmp_path):
    httpserver.expect_request("/export.csv").respond_with_data(EDX_STYLE.read_bytes(), content_type="text/csv")
    with HttpClient() as http:
        documents = list(get_source(SOURCE, {"url": httpserver.url_for("/export.csv")}).extract(http))
    assert [d.name for d in documents] == ["catalog.csv"] and documents[0].content == EDX_STYLE.read_bytes()

    exported = tmp_path / "export.json"
    exported.write_text('[{"title": "A", "url": "https://a.example/"}]')
    with HttpClient() as http:
        documents = list(get_source(SOURCE, {"url": "", "path": str(exported)}).extract(http))
    assert [d.name for d in documents] == ["export.json"]
    with HttpClient() as http, pytest.raises(ImportFetchError) as error:
        list(get_source(SOURCE, {"url": "", "path": ""}).extract(http))
    assert "CSV_CATALOG_URL" in str(error.value)


@pytest.mark.django_db
def test_fixture_loads_end_to_end():
    run = run_import(SOURCE, file=str(EDX_STYLE))
    assert run.status == "succeeded", run.message
    assert run.created == 48 and run.failed == 0
    course = LearningResource.objects.get(
        source=SOURCE, source_id="https://www.edx.org/course/statistics-in-practice-1"
    )
    assert course.offered_by.name == "HarvardX" and course.free is True
    assert str(course.max_price) == "99.00"
    assert list(course.instructors.values_list("full_name", flat=True)) == ["Esther Duflo", "John Guttag"]


@pytest.mark.django_db
def test_a_thousand_rows_load_end_to_end(tmp_path):
    export = tmp_path / "udemy.csv"
    export.write_bytes(udemy_style_csv(1000))
    run = run_import(SOURCE, file=str(export))
    assert run.status == "succeeded", run.message
    assert run.created == 1000
    assert LearningResource.objects.filter(source=SOURCE, free=True).count() == 250
