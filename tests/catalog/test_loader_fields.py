"""Partial updates (catalog.loader.fields): given fields of existing resources by source id, lock-aware, batched,
with resources_changed; the owning source's next load keeps a supplied field; `extra` values are stored."""

import pytest

from catalog.loader import load_resources
from catalog.loader.fields import SUPPLIED_KEY, resource_pages, update_resource_fields
from catalog.models import LearningResource
from catalog.schemas import RejectedRecord
from catalog.signals import resources_changed

pytestmark = pytest.mark.django_db


def course(source_id, **fields):
    return {
        "resource_type": "course",
        "source_id": source_id,
        "title": f"Course {source_id}",
        "url": f"https://example.org/courses/{source_id}/",
        **fields,
    }


def update(source_id, source="xpro", **fields):
    return {"resource_source": source, "resource_type": "course", "source_id": source_id, **fields}


@pytest.fixture
def changed(django_capture_on_commit_callbacks):
    received = []

    def receiver(sender, changed_ids, removed_ids, **kwargs):
        received.append(sorted(changed_ids))

    resources_changed.connect(receiver)
    yield received
    resources_changed.disconnect(receiver)


def test_updates_sanitise_and_write_only_the_given_field(changed, django_capture_on_commit_callbacks):
    load_resources("xpro", [course("a", description="<p>Short.</p>"), course("b")])
    with django_capture_on_commit_callbacks(execute=True):
        result = update_resource_fields(
            "marketing_pages",
            [update("a", full_description='<p onclick="x()">Long <a href="/more">more</a></p><script>bad()</script>')],
        )
    row = LearningResource.objects.get(source_id="a")
    assert (result.updated, result.unchanged, result.failed) == (1, 0, 0)
    assert row.full_description == '<p>Long <a href="https://example.org/more" rel="noopener noreferrer">more</a></p>'
    assert row.description == "<p>Short.</p>"  # not given: untouched
    assert row.source_values["full_description"] == row.full_description
    assert row.source_values[SUPPLIED_KEY] == {"full_description": "marketing_pages"}
    assert changed == [[row.pk]]
    assert LearningResource.objects.get(source_id="b").full_description == ""

    again = update_resource_fields("marketing_pages", [update("a", full_description=row.full_description)])
    assert (again.updated, again.unchanged) == (0, 1)


def test_a_locked_field_keeps_the_editors_value_and_source_values_gets_the_new_one(changed):
    load_resources("xpro", [course("a")])
    LearningResource.objects.filter(source_id="a").update(
        full_description="<p>Editor.</p>", locked_fields=["full_description"]
    )
    result = update_resource_fields("marketing_pages", [update("a", full_description="<p>Page.</p>")])
    row = LearningResource.objects.get(source_id="a")
    assert row.full_description == "<p>Editor.</p>"
    assert row.source_values["full_description"] == "<p>Page.</p>"
    assert result.updated == 1 and any("locked field(s) kept the editor's value" in w for w in result.warnings)
    assert changed == []  # nothing learners see changed


def test_bad_updates_are_errors_naming_the_record_and_field_and_the_others_load(settings):
    settings.IMPORT_MAX_DESCRIPTION_CHARS = 50
    load_resources("xpro", [course("a"), course("b"), course("c")])
    result = update_resource_fields(
        "marketing_pages",
        [
            update("a", title="Renamed"),
            update("b", full_description="x" * 51),
            {"resource_type": "course", "source_id": "c", "full_description": "<p>No source.</p>"},
            RejectedRecord.of("d", "full_description", "https://example.org/d: HTTP 404", "course"),
            update("gone", full_description="<p>Deleted since.</p>"),
            update("c", full_description="<p>Fine.</p>"),
            update("c", full_description="<p>Twice.</p>"),
        ],
    )
    errors = {(e.source_id, e.field): e.message for e in result.errors}
    assert "not this field" in errors[("a", "title")]
    assert "51 characters, over the limit of 50" in errors[("b", "full_description")]
    assert "resource_source" in errors[("c", "resource_source")]
    assert errors[("d", "full_description")] == "https://example.org/d: HTTP 404"
    assert "more than once" in errors[("c", "source_id")]
    assert result.failed == 5 and result.updated == 1
    assert any("1 update(s) name no resource" in w and "xpro:course:gone" in w for w in result.warnings)
    assert LearningResource.objects.get(source_id="a").title == "Course a"
    assert LearningResource.objects.get(source_id="c").full_description == "<p>Fine.</p>"


def test_batches_commit_separately_and_a_dry_run_writes_nothing(changed, django_capture_on_commit_callbacks):
    load_resources("xpro", [course(f"c{n}") for n in range(5)])
    updates = [update(f"c{n}", full_description=f"<p>Page {n}.</p>") for n in range(5)]
    dry = update_resource_fields("marketing_pages", updates, dry_run=True, batch_size=2)
    assert dry.would_update_count == 5 and dry.updated == 0 and len(dry.would_update) == 5
    assert dry.would_update[0]["fields"] == ["full_description"]
    assert not LearningResource.objects.exclude(full_description="").exists()
    with django_capture_on_commit_callbacks(execute=True):
        result = update_resource_fields("marketing_pages", updates, batch_size=2)
    assert result.updated == 5
    assert [len(ids) for ids in changed] == [2, 2, 1]  # one signal per committed batch


def test_the_owning_sources_next_load_keeps_a_supplied_field():
    load_resources("xpro", [course("a", full_description="<p>From the API.</p>")])
    update_resource_fields("marketing_pages", [update("a", full_description="<p>From the page.</p>")])
    load_resources("xpro", [course("a", title="Renamed", full_description="")])
    row = LearningResource.objects.get(source_id="a")
    assert row.title == "Renamed"
    assert row.full_description == "<p>From the page.</p>"
    assert row.source_values[SUPPLIED_KEY] == {"full_description": "marketing_pages"}
    assert row.source_values["full_description"] == "<p>From the page.</p>"


def test_resource_pages_lists_published_resources_with_a_url():
    load_resources("xpro", [course("a"), course("b", url=""), course("c", published=False)])
    load_resources("mitpe", [course("m")])
    load_resources("xpro", [{**course("p"), "resource_type": "program"}], full_snapshot=False)
    pages = resource_pages(["xpro"], ["course", "program"], limit=10)
    assert [(p["resource_source"], p["resource_type"], p["source_id"]) for p in pages] == [
        ("xpro", "course", "a"),
        ("xpro", "program", "p"),
    ]
    assert pages[0]["url"] == "https://example.org/courses/a/"
    assert len(resource_pages(["xpro", "mitpe"], ["course"], limit=1)) == 1


def test_extra_values_are_stored_and_shown_by_the_api(client):
    load_resources("csv_catalog", [course("a", extra={"enrolments": 5300, "semester": "Fall 2012"})])
    row = LearningResource.objects.get(source_id="a")
    assert row.extra == {"enrolments": 5300, "semester": "Fall 2012"}
    data = client.get(f"/api/v1/resources/{row.pk}/").json()
    assert data["extra"] == {"enrolments": 5300, "semester": "Fall 2012"}
