"""The helpers the catalogue sources share: dates, prices, HTML, the catalogue's words."""

import pytest

from importers.errors import TransformError
from importers.sources import common
from importers.sources.base import Snapshot, SnapshotDocument


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2024-09-04T15:00:00Z", "2024-09-04T15:00:00+00:00"),
        ("2016-08-15T00:00:00+02:00", "2016-08-14T22:00:00+00:00"),
        ("2123-07-06", "2123-07-06T00:00:00+00:00"),
        ([1670932800], "2022-12-13T12:00:00+00:00"),
        ("2024-13-45", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_datetime(value, expected):
    assert common.parse_datetime(value) == expected


@pytest.mark.parametrize(
    "value, expected",
    [
        ("$1,870", "1870.00"),
        (999.0, "999.00"),
        ("100.00", "100.00"),
        ("Free", "0.00"),
        ("USD 49.99", "49.99"),
        ("", None),
        ("call us", None),
        (-5, None),
    ],
)
def test_price(value, expected):
    result = common.price(value, "usd", label="X")
    assert (result["amount"] if result else None) == expected
    if result:
        assert result["currency"] == "USD" and result["label"] == "X"


@pytest.mark.parametrize(
    "value, expected",
    [
        ("5-8 hrs/wk", (5, 8)),
        ("7 hours per week", (7, 7)),
        ("4 to 6", (4, 6)),
        ("3–5 hours per week", (3, 5)),
        ("8 hours/day", (None, None)),
        ("", (None, None)),
    ],
)
def test_weekly_hours(value, expected):
    assert common.weekly_hours(value) == expected


def test_words_map_onto_catalogue_choices():
    assert common.map_level(["Undergraduate", "High School"]) == "undergraduate"
    assert common.map_level("Beginner Level") == "introductory"
    assert common.map_level("All Levels") == ""
    assert common.map_delivery("On Campus") == "in_person"
    assert common.map_delivery("Online|Blended") == "hybrid"
    assert common.combined_delivery(["online", "in_person"]) == "hybrid"
    assert common.map_pace("Asynchronous (On-Demand)") == "self_paced"
    assert common.map_format("Asynchronous (Date based)") == "asynchronous"
    assert common.map_certification_type("MicroMasters Credential") == "micromasters"
    assert common.map_certification_type("XSeries") == "professional"
    assert common.language_code("en-us") == "en"
    assert common.language_code("Português") == "pt"
    assert common.language_code("Klingon") == ""
    assert common.license_name("https://creativecommons.org/licenses/by-nc-sa/4.0/") == "CC BY-NC-SA 4.0"
    assert common.department("Mathematics") == {"code": "18", "name": "Mathematics"}
    assert common.department("21a") == {"code": "21A", "name": "Anthropology"}
    assert common.department("Sloan Fellows") == {"code": "Sloan Fellows", "name": "Sloan Fellows"}
    assert common.colon_topic("Business: Digital Business/IT") == "Business > Digital Business/IT"
    assert common.course_number_key("course-v1:MITxT+18.03.1x+2T2024") == "18.03.1x"


def test_html_and_urls():
    assert common.html_description("A & B\n\nC") == "<p>A &amp; B</p><p>C</p>"
    cleaned = common.html_description('<p onclick="x()">Hi <a href="/about">there</a></p>', "https://ocw.mit.edu/c/")
    assert cleaned == '<p>Hi <a href="https://ocw.mit.edu/about" rel="noopener noreferrer">there</a></p>'
    assert common.plain("Organizations &amp;amp; Leadership") == "Organizations & Leadership"
    assert common.absolute_url("https://x.org", "/a b.jpg") == "https://x.org/a%20b.jpg"
    assert common.clean_url("javascript:alert(1)") == ""
    assert common.clean_url("//cdn.example/x.png") == "https://cdn.example/x.png"


def test_json_items_says_what_it_found():
    document = SnapshotDocument("page.json", b'{"detail": "Not found", "code": 404}')
    with pytest.raises(TransformError) as error:
        common.json_items(document, "results")
    assert "expected a list or an object with 'results'; found keys code, detail" in str(error.value)
    with pytest.raises(TransformError) as error:
        common.json_items(SnapshotDocument("page.json", b'{"results": [1]}'), "results")
    assert "item 0" in str(error.value)


def test_require_records_fails_an_empty_result():
    snapshot = Snapshot("x", [SnapshotDocument("a.json", b"[]")])
    assert list(common.require_records(iter([{"a": 1}]), snapshot)) == [{"a": 1}]
    with pytest.raises(TransformError) as error:
        list(common.require_records(iter([]), snapshot))
    assert "empty result" in str(error.value) and "a.json" in str(error.value)


CATALOGUE_SOURCES = ["csv_catalog", "edx", "micromasters", "mitpe", "mitxonline", "ocw", "oll", "sloan", "xpro"]


def test_every_catalogue_source_is_registered():
    from importers.registry import all_sources

    registered = {cls.name: cls for cls in all_sources()}
    for name in CATALOGUE_SOURCES:
        cls = registered[name]
        assert cls.kind == "catalogue" and cls.title
        assert cls.loader == "catalog.loader.load_resources"
        assert "cron" in cls.schedule()


def test_configuration_comes_from_settings_and_overrides(settings):
    from importers.registry import get_source

    settings.EDX_OWNER_FILTER = ["HarvardX"]
    settings.SLOAN_API_URL = "https://sloan.example/api/"
    assert get_source("edx").config["owners"] == ["HarvardX"]
    assert get_source("edx", {"owners": []}).config["owners"] == []
    assert get_source("sloan").config["runs_url"] == "https://sloan.example/api/course-offerings"
    assert get_source("mitpe").config["url"].endswith("/feeds/courses/")
