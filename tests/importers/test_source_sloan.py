"""MIT Sloan Executive Education: courses and offerings, OAuth2 client credentials."""

import pytest

from catalog.models import LearningResource
from importers.errors import ImportFetchError, TransformError
from importers.registry import get_source
from importers.runner import run_import
from importers.transports.http import HttpClient, clear_token_cache

from .fixtures import FIXTURES, by_id, snapshot_of, snapshot_with, transform

SOURCE = "sloan"


def test_transform_fixture():
    records, source = transform(SOURCE, snapshot_of(SOURCE, FIXTURES / "sloan"))
    assert source.warnings == ["1 offerings belong to courses that are not in the courses list; skipped"]
    items = by_id(records)
    ai = items["SL-AI"]
    assert ai["topics"] == ["Technology > AI/Machine Learning"]
    assert ai["instructors"] == ["Thomas Malone", "Daniela Rus"]
    assert ai["delivery"] == "online" and ai["format"] == "asynchronous" and ai["pace"] == "instructor_paced"
    assert [run["run_id"] for run in ai["runs"]] == ["AI 3-3-2025", "AI 9-8-2025"]
    assert "location" not in ai["runs"][1]  # "N/A"
    assert ai["prices"] == [
        {"amount": "3500.00", "currency": "USD", "label": "Tuition"},
        {"amount": "3700.00", "currency": "USD", "label": "Tuition"},
    ]
    assert (ai["min_weekly_hours"], ai["max_weekly_hours"]) == (6, 8)
    assert ai["extra"]["certificate_track"] == "Digital Business"
    change = items["SL-LC"]
    assert change["delivery"] == "hybrid"  # one in person, one online
    lausanne = change["runs"][0]
    assert lausanne["location"] == "Lausanne, Switzerland" and lausanne["delivery"] == "in_person"
    assert lausanne["prices"] == [
        {"amount": "5900.00", "currency": "USD", "label": "Tuition"},
        {"amount": "5400.00", "currency": "CHF", "label": "Tuition"},
    ]
    assert "min_weekly_hours" not in change  # "8 hours/day" is not a weekly effort
    assert change["topics"] == ["Business > Leadership & Organizations"]


def test_transform_realdata(realdata):
    records, source = transform(SOURCE, snapshot_of(SOURCE, realdata / "sloan"))
    assert len(records) == 99
    assert source.warnings == ["3 offerings belong to courses that are not in the courses list; skipped"]
    items = by_id(records)
    abt = items["a056g00000URaaQAAT"]
    assert abt["title"] == "Accelerating Digital Transformation with Algorithmic Business Thinking"
    run = next(r for r in abt["runs"] if r["run_id"] == "ABT 9-25-2024")
    assert run["start_date"] == "2024-09-25T00:00:00+00:00" and run["end_date"] == "2024-11-13T00:00:00+00:00"
    assert {"amount": "2900.00", "currency": "USD", "label": "Tuition"} in run["prices"]
    assert abt["topics"] == ["Business > Digital Business/IT"]
    dsi = items["a056g00000URaMqAAL"]
    assert {"amount": "11500.00", "currency": "CHF", "label": "Tuition"} in dsi["prices"]
    assert dsi["instructors"] == ["Charles Fine", "Duncan Simester", "William Fischer", "Howard Yu"]
    # A URL with spaces is made valid rather than rejected.
    assert items["a054v00000jjXkVAAU"]["image_url"].endswith("/Course%20Images/DTT.jpg")


@pytest.mark.parametrize(
    "content, message",
    [
        (b'[{"Course_Id": ', "invalid JSON"),
        (b"<html><body>401 Unauthorized</body></html>", "HTML page"),
        (b'[{"id": 1}]', "wrong schema"),
        (b'[{"Course_Id": "x", "Something": 1}]', "wrong schema"),
        (b"[]", "empty result"),
    ],
)
def test_bad_documents(content, message):
    with pytest.raises(TransformError) as error:
        list(get_source(SOURCE).transform(snapshot_with(SOURCE, ("courses.json", content))))
    assert message.lower() in str(error.value).lower() and "courses.json" in str(error.value)


def test_extract_with_oauth2(httpserver, allow_local_http):
    clear_token_cache()
    httpserver.expect_request("/oauth/token", method="POST").respond_with_json(
        {"access_token": "sloan-token", "expires_in": 600}
    )
    auth = {"Authorization": "Bearer sloan-token"}
    httpserver.expect_request("/api/courses", headers=auth).respond_with_json([{"Course_Id": "A", "Title": "A"}])
    httpserver.expect_request("/api/course-offerings", headers=auth).respond_with_json([])
    source = get_source(
        SOURCE,
        {
            "courses_url": httpserver.url_for("/api/courses"),
            "runs_url": httpserver.url_for("/api/course-offerings"),
            "token_url": httpserver.url_for("/oauth/token"),
            "client_id": "id",
            "client_secret": "secret",
        },
    )
    with HttpClient() as http:
        documents = list(source.extract(http))
    clear_token_cache()
    assert [d.name for d in documents] == ["courses.json", "runs.json"]
    token_request = httpserver.log[0][0]
    assert b"grant_type=client_credentials" in token_request.get_data()


def test_extract_unconfigured_says_what_to_set(settings):
    settings.SLOAN_API_URL = ""
    with HttpClient() as http, pytest.raises(ImportFetchError) as error:
        list(get_source(SOURCE).extract(http))
    assert "SLOAN_API_URL" in str(error.value)


@pytest.mark.django_db
def test_realdata_loads_end_to_end(realdata):
    run = run_import(SOURCE, file=str(realdata / "sloan"))
    assert run.status == "succeeded", run.message
    assert run.created == 99 and run.failed == 0
    course = LearningResource.objects.get(source=SOURCE, source_id="a056g00000URaMqAAL")
    assert course.runs.count() == 3
    assert course.offered_by.name == "MIT Sloan Executive Education"
