"""Record schemas: normalisation, aliases and errors reported as (source id, field, message)."""

import datetime as dt
from decimal import Decimal

import pytest

from catalog.schemas import ResourceRecord, record_key, validate_record


def course(**fields):
    return {"resource_type": "course", "source_id": "c1", "title": "Circuits", **fields}


def errors_by_field(data):
    record, errors = validate_record(data)
    assert record is None
    return {error.field: error for error in errors}


def test_valid_record_is_normalised():
    record, errors = validate_record(
        course(
            resource_type="Course",
            source_id=6002,
            title="  Circuits and Electronics ",
            description=None,
            languages=["EN", "pt_BR", "en"],
            topics=["Engineering  >  Electrical Engineering", "Physics"],
            offered_by="MIT xPRO",
            departments=[{"code": "6", "name": "EECS"}],
            prices=[{"amount": "99.5", "currency": "usd"}],
            runs=[{"run_id": "r1", "start_date": "2030-02-01", "end_date": "2030-05-01T12:00:00"}],
            url="//example.org/c1",
            unknown_key="ignored",
        )
    )

    assert errors == []
    assert record.source_id == "6002"
    assert record.title == "Circuits and Electronics"
    assert record.description == ""
    assert record.languages == ["en", "pt-BR"]
    assert record.topics == ["Engineering > Electrical Engineering", "Physics"]
    assert (record.offered_by.code, record.offered_by.name) == ("mit-xpro", "MIT xPRO")
    assert record.prices[0].amount == Decimal("99.50") and record.prices[0].currency == "USD"
    assert record.runs[0].start_date == dt.datetime(2030, 2, 1, tzinfo=dt.UTC)
    assert record.runs[0].end_date.tzinfo is not None
    assert record.url == "https://example.org/c1"
    assert record.key == ("course", "6002")


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("resource_type", "Podcast Episode", "podcast_episode"),
        ("resource_type", "playlist", "video_playlist"),
        ("pace", "Self-paced", "self_paced"),
        ("delivery", "In person", "in_person"),
        ("level", "Beginner", "introductory"),
        ("certification_type", "Professional Certificate", "professional"),
        ("availability", None, ""),
    ],
)
def test_enum_aliases(field, value, expected):
    record, errors = validate_record(course(**{field: value}))
    assert errors == []
    assert getattr(record, field) == expected


def test_missing_required_fields_are_reported_with_the_source_id():
    errors = errors_by_field({"source_id": "x9", "description": "no type, no title"})

    assert set(errors) == {"resource_type", "title"}
    assert errors["title"].source_id == "x9"
    assert errors["title"].message == "is required"


def test_wrong_type():
    errors = errors_by_field(course(title=42, instructors="Ana Bell"))

    assert set(errors) == {"title", "instructors"}
    assert "valid string" in errors["title"].message
    assert "valid list" in errors["instructors"].message


def test_over_long_strings_are_errors_not_truncated():
    errors = errors_by_field(course(title="x" * 513, runs=[{"run_id": "r", "semester": "s" * 33}]))

    assert set(errors) == {"title", "runs.0.semester"}
    assert "over the limit of 512" in errors["title"].message


def test_invalid_dates():
    errors = errors_by_field(course(published_at="2024-13-45", runs=[{"run_id": "r", "start_date": "soon"}]))

    assert set(errors) == {"published_at", "runs.0.start_date"}


def test_invalid_currency_and_negative_price():
    errors = errors_by_field(course(prices=[{"amount": "10", "currency": "DOLLARS"}, {"amount": -1}]))

    assert set(errors) == {"prices.0.currency", "prices.1.amount"}
    assert "ISO 4217" in errors["prices.0.currency"].message


def test_unknown_enum_value_names_the_allowed_ones():
    errors = errors_by_field(course(level="expert"))

    assert "introductory" in errors["level"].message


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"url": "javascript:alert(1)"}, "url"),
        ({"image_url": "/relative.png"}, "image_url"),
        ({"languages": ["english!"]}, "languages"),
        ({"topics": ["A > B > C"]}, "topics"),
        ({"min_weekly_hours": 8, "max_weekly_hours": 2}, ""),
        ({"runs": [{"run_id": "a"}, {"run_id": "a"}]}, ""),
        ({"children": [{"source_id": "x"}]}, ""),
        ({"duration_seconds": -5}, "duration_seconds"),
    ],
)
def test_other_invalid_values(fields, field):
    record, errors = validate_record(course(**fields))

    assert record is None
    assert [error.field for error in errors] == [field]


def test_children_refs_are_deduplicated_in_order():
    record, errors = validate_record(
        {
            "resource_type": "program",
            "source_id": "p",
            "title": "P",
            "children": ["c2", {"source_id": "c1", "resource_type": "course"}, "c2"],
        }
    )

    assert errors == []
    assert [(child.resource_type, child.source_id) for child in record.children] == [(None, "c2"), ("course", "c1")]


def test_a_model_instance_passes_through():
    record = ResourceRecord(resource_type="video", source_id="v1", title="A video")
    assert validate_record(record) == (record, [])


def test_non_mapping_is_reported():
    record, errors = validate_record(["not", "a", "record"])
    assert record is None
    assert "mapping" in errors[0].message


def test_record_key_of_an_invalid_record():
    assert record_key({"resource_type": "Course", "source_id": 7, "title": None}) == ("course", "7")
    assert record_key({"source_id": "x"}) is None
