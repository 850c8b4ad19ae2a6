"""Bad input stops at the door (issue 12): control characters, over-long fields, out-of-range dates, records a
source rejects, and the true counts and guard verdict of dry runs and guarded loads."""

import pytest

from catalog.loader import load_resources
from catalog.loader.result import MAX_EXAMPLES
from catalog.models import LearningResource
from catalog.schemas import RejectedRecord, strip_control_chars, validate_record

pytestmark = pytest.mark.django_db


def record(n, **fields):
    return {"resource_type": "course", "source_id": f"c{n}", "title": f"Course {n}", **fields}


def errors_by_record(result):
    return {(error.source_id, error.field): error.message for error in result.errors}


def test_control_characters_are_removed_from_every_text_field_and_tab_newline_kept():
    dirty = record(
        1,
        title="Nul\x00 and bell\x07 title",
        description="<p>line one\nline\ttwo\r\x0b\x0c\x1f</p>",
        instructors=["Ada\x00 Lovelace"],
        topics=["Mathe\x01matics"],
        runs=[{"run_id": "r\x001", "title": "Fall\x1b 2026"}],
        extra={"no\x00te": "ke\x02pt"},
    )
    result = load_resources("bad", [dirty, record(2)])
    assert (result.created, result.failed) == (2, 0)
    row = LearningResource.objects.get(source_id="c1")
    assert row.title == "Nul and bell title"
    assert "line one\nline\ttwo" in row.description and "\x0b" not in row.description
    assert list(row.instructors.values_list("full_name", flat=True)) == ["Ada Lovelace"]
    assert list(row.topics.values_list("name", flat=True)) == ["Mathematics"]
    assert list(row.runs.values_list("run_id", "title")) == [("r1", "Fall 2026")]
    assert validate_record(dirty)[0].extra == {"note": "kept"}  # extra (not stored as a column) is cleaned too
    # The hash is taken after cleaning: the same dirty record again is unchanged, and so is its clean twin.
    assert load_resources("bad", [dirty, record(2)]).unchanged == 2
    clean = strip_control_chars(dirty)
    assert clean["title"] == "Nul and bell title" and strip_control_chars(clean) is clean


def test_over_long_fields_are_the_record_s_error_and_its_neighbours_load(settings):
    settings.IMPORT_MAX_DESCRIPTION_CHARS = 1_000
    settings.IMPORT_MAX_TITLE_CHARS = 100
    records = [
        record(1),
        record(2, description="x" * 1_001),
        record(3, full_description="<p>" + "y" * 2_000 + "</p>"),
        record(4, title="t" * 101),
        record(5),
    ]
    result = load_resources("bad", records)
    assert (result.created, result.failed) == (2, 3)
    errors = errors_by_record(result)
    assert errors[("c2", "description")] == (
        "is 1,001 characters long, over the limit of 1,000 (IMPORT_MAX_DESCRIPTION_CHARS)"
    )
    assert "IMPORT_MAX_DESCRIPTION_CHARS" in errors[("c3", "full_description")]
    assert "over the limit of 100 (IMPORT_MAX_TITLE_CHARS)" in errors[("c4", "title")]
    assert set(LearningResource.objects.values_list("source_id", flat=True)) == {"c1", "c5"}


def test_a_20_million_character_description_is_refused_with_the_default_limit():
    result = load_resources("bad", [record(1, description="z" * 20_000_007), record(2)])
    assert result.created == 1 and result.failed == 1
    assert errors_by_record(result)[("c1", "description")].startswith("is 20,000,007 characters long")
    assert not LearningResource.objects.filter(source_id="c1").exists()


def test_extra_is_bounded_too(settings):
    settings.IMPORT_MAX_OTHER_TEXT_CHARS = 50
    record_, errors = validate_record(record(1, extra={"notes": "n" * 60}))
    assert record_ is None and errors[0].field == "extra" and "IMPORT_MAX_OTHER_TEXT_CHARS" in errors[0].message


def test_a_date_out_of_range_in_utc_is_a_field_error_not_a_crash():
    records = [record(1), record(2, published_at="9999-12-31T23:00:00-05:00"), record(3)]
    result = load_resources("bad", records)
    assert (result.created, result.failed) == (2, 1)
    assert "out of range" in errors_by_record(result)[("c2", "published_at")]


def test_a_rejected_record_is_reported_and_its_row_is_never_unpublished():
    load_resources("bad", [record(1), record(2), record(3)])
    rejected = RejectedRecord.of("c2", "row", "catalog.csv line 3: 5 cells where the header has 4 columns", "course")
    result = load_resources("bad", [record(1), rejected, record(3)])
    assert errors_by_record(result)[("c2", "row")].endswith("5 cells where the header has 4 columns")
    assert result.failed == 1 and result.unpublished == 0
    assert LearningResource.objects.get(source_id="c2").published


@pytest.fixture
def thirty_of_a_hundred_missing():
    load_resources("guarded", [record(n) for n in range(100)])
    return [record(n) for n in range(30, 100)]


def test_dry_run_reports_true_totals_and_the_guard_verdict(thirty_of_a_hundred_missing):
    records = [*thirty_of_a_hundred_missing, *(record(n) for n in range(1000, 1025))]
    result = load_resources("guarded", records, dry_run=True, unpublish_guard=0.1)
    assert result.would_unpublish_count == 30 and len(result.would_unpublish) == MAX_EXAMPLES
    assert result.would_create_count == 25 and len(result.would_create) == MAX_EXAMPLES
    assert result.guard_verdict == {
        "missing": 30,
        "published_before": 100,
        "share": 0.3,
        "limit": 0.1,
        "tripped": True,
        "forced": False,
    }
    assert result.needs_review and result.unpublished == 0
    summary = result.as_dict()
    assert summary["would_unpublish_count"] == 30 and summary["guard_verdict"]["tripped"] is True
    assert LearningResource.objects.filter(source="guarded").count() == 100  # a dry run writes nothing
    assert LearningResource.objects.filter(source="guarded", published=True).count() == 100


def test_a_tripped_guard_unpublishes_nothing_and_force_unpublishes_all(thirty_of_a_hundred_missing):
    result = load_resources("guarded", thirty_of_a_hundred_missing, unpublish_guard=0.1)
    assert result.needs_review and result.unpublished == 0 and result.would_unpublish_count == 30
    assert LearningResource.objects.filter(source="guarded", published=True).count() == 100

    forced = load_resources("guarded", thirty_of_a_hundred_missing, unpublish_guard=0.1, force=True)
    assert forced.unpublished == 30 and forced.would_unpublish_count == 30
    assert forced.guard_verdict["tripped"] is True and forced.guard_verdict["forced"] is True
    assert LearningResource.objects.filter(source="guarded", published=True).count() == 70


def test_within_the_guard_the_verdict_says_so_and_a_clean_load_has_none(thirty_of_a_hundred_missing):
    result = load_resources("guarded", thirty_of_a_hundred_missing, unpublish_guard=0.5)
    assert result.unpublished == 30 and not result.needs_review
    assert result.guard_verdict["tripped"] is False and result.guard_verdict["share"] == 0.3
    again = load_resources("guarded", thirty_of_a_hundred_missing)
    assert again.guard_verdict is None and again.would_unpublish_count == 0


def test_content_file_text_loses_its_control_characters_on_both_databases():
    from catalog.content_files import load_content_files
    from catalog.factories import CourseFactory
    from catalog.models import ContentFile
    from importers.content.records import ContentFileRecord

    course = CourseFactory()
    records = [ContentFileRecord(key="a.pdf", title="Notes\x00", content_type="file", source_path="a.pdf", data=b"%")]
    result = load_content_files(course, records, extract=lambda data, name: "Page\x00 one\x0c\nPage two")
    assert result.created == 1 and result.failed == 0
    row = ContentFile.objects.get()
    assert (row.title, row.content) == ("Notes", "Page one\nPage two")
