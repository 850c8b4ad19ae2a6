"""The catalogue loader: create, update, unchanged, prune and its guard, locks, hidden, errors, relations, dry
runs, batch atomicity and the resources_changed signal."""

import datetime as dt
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import pytest

from catalog.loader import load_resources
from catalog.loader.core import LAST_SEEN_RESOLUTION, ResourceLoader
from catalog.loader.rows import next_start_date, price_fields
from catalog.models import (
    Instructor,
    LearningResource,
    Offeror,
    RelationType,
    ResourceRelationship,
    Run,
    SourceSnapshot,
    Topic,
)
from catalog.schemas import ResourceRecord
from catalog.signals import resources_changed

pytestmark = pytest.mark.django_db

FUTURE = (timezone.now() + dt.timedelta(days=30)).replace(microsecond=0)
LATER = FUTURE + dt.timedelta(days=90)
PAST = FUTURE - dt.timedelta(days=400)


def course(source_id="c1", **fields):
    return {
        "resource_type": "course",
        "source_id": source_id,
        "title": f"Course {source_id}",
        "description": f'<p>About {source_id} <a href="/more">more</a><script>x()</script></p>',
        "url": f"https://learn.example.edu/{source_id}",
        "topics": ["Computer Science > Machine Learning", "Quantum Gastronomy"],
        "departments": [{"code": "6", "name": "EECS"}],
        "offered_by": {"code": "mitx", "name": "MITx"},
        "platform": {"code": "brand-new-platform", "name": "Brand New Platform"},
        "instructors": ["Ana Bell", "Eric Grimson"],
        "runs": [
            {
                "run_id": f"{source_id}-past",
                "start_date": PAST.isoformat(),
                "prices": [{"amount": "0", "currency": "usd", "label": "Audit"}],
            },
            {
                "run_id": f"{source_id}-next",
                "start_date": LATER.isoformat(),
                "prices": [{"amount": "99", "currency": "USD", "label": "Verified"}],
                "instructors": ["Ana Bell"],
            },
            {"run_id": f"{source_id}-soon", "start_date": FUTURE.isoformat()},
        ],
        **fields,
    }


def courses(n, prefix="c", **fields):
    return [course(f"{prefix}{i}", **fields) for i in range(n)]


def test_create_writes_every_part_of_a_resource():
    result = load_resources("src", [course("c1"), course("c2")])

    assert result.counts == {"created": 2, "updated": 0, "unchanged": 0, "unpublished": 0, "failed": 0}
    resource = LearningResource.objects.get(source="src", source_id="c1")
    assert sorted(result.changed_ids) == sorted(LearningResource.objects.values_list("pk", flat=True))
    assert resource.slug == "course-c1"
    assert resource.published and not resource.hidden
    assert resource.description == (
        '<p>About c1 <a href="https://learn.example.edu/more" rel="noopener noreferrer">more</a></p>'
    )
    # Lookups: seeded ones matched, new ones created once, nested topic under its parent.
    assert resource.offered_by == Offeror.objects.get(code="mitx")
    assert resource.platform.name == "Brand New Platform"
    topics = {topic.name: topic for topic in resource.topics.select_related("parent")}
    assert topics["Machine Learning"].parent.name == "Computer Science"
    assert Topic.objects.filter(name="Quantum Gastronomy").count() == 1
    assert list(resource.departments.values_list("code", flat=True)) == ["6"]
    names = [link.instructor.full_name for link in resource.instructor_links.select_related("instructor")]
    assert names == ["Ana Bell", "Eric Grimson"]
    assert Instructor.objects.get(full_name="Eric Grimson").last_name == "Grimson"
    # Runs and what is derived from them.
    assert resource.runs.count() == 3
    assert resource.runs.get(run_id="c1-next").prices == [{"amount": "99.00", "currency": "USD", "label": "Verified"}]
    assert resource.next_start_date == FUTURE
    assert (resource.min_price, resource.max_price, resource.currency) == (Decimal("0.00"), Decimal("99.00"), "USD")
    assert resource.free is True
    assert resource.source_values["topics"] == ["Computer Science > Machine Learning", "Quantum Gastronomy"]
    assert resource.source_values["offered_by"] == "mitx"
    assert resource.source_values["title"] == "Course c1"
    assert set(resource.source_values) == set(LearningResource.LOCKABLE_FIELDS)
    assert len(resource.content_hash) == 64


def test_update_changes_fields_runs_and_m2m_but_keeps_the_slug():
    load_resources("src", [course("c1"), course("c2")])
    original = LearningResource.objects.get(source_id="c1")
    changed = course("c1", title="Renamed", topics=["Mathematics > Calculus"], instructors=["Eric Grimson"])
    changed["runs"] = [{**changed["runs"][1], "title": "Spring"}]

    result = load_resources("src", [changed, course("c2")])

    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    assert result.changed_ids == [original.pk]
    resource = LearningResource.objects.get(pk=original.pk)
    assert resource.title == "Renamed"
    assert resource.slug == original.slug
    assert list(resource.topics.values_list("name", flat=True)) == ["Calculus"]
    assert [link.instructor.full_name for link in resource.instructor_links.all()] == ["Eric Grimson"]
    # The run the source no longer lists is unpublished, not deleted (its content files stay).
    runs = {run.run_id: run for run in resource.runs.all()}
    assert runs["c1-next"].title == "Spring" and runs["c1-next"].published
    assert not runs["c1-past"].published and not runs["c1-soon"].published
    assert resource.next_start_date == LATER
    assert resource.updated_at > original.updated_at


def catalogue_writes(queries) -> list[str]:
    """The writes to catalogue resource rows among captured queries."""
    return [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].split()[0] in ("INSERT", "UPDATE", "DELETE") and "catalog_sourcesnapshot" not in q["sql"]
    ]


def test_unchanged_records_of_a_full_snapshot_cost_no_row_writes():
    load_resources("src", courses(5))
    before = {r.pk: (r.updated_at, r.last_seen) for r in LearningResource.objects.all()}

    with CaptureQueriesContext(connection) as queries:
        result = load_resources("src", courses(5))

    assert result.counts["unchanged"] == 5 and result.changed_ids == []
    assert catalogue_writes(queries) == []
    # Three reads in all: the source's rows, its previous snapshot time, the snapshot row being upserted.
    assert len([q for q in queries.captured_queries if q["sql"].startswith("SELECT")]) <= 3
    for resource in LearningResource.objects.all():
        assert (resource.updated_at, resource.last_seen) == before[resource.pk]


def test_last_seen_in_source_follows_full_snapshots_without_row_writes():
    load_resources("src", courses(3))
    day_ago = timezone.now() - dt.timedelta(days=1)
    LearningResource.objects.update(last_seen=day_ago - dt.timedelta(days=1))
    SourceSnapshot.objects.filter(source="src").update(loaded_at=day_ago)
    assert all(r.last_seen_in_source == day_ago for r in LearningResource.objects.all())

    before = timezone.now()
    result = load_resources("src", courses(2))  # c2 is missing (and pruned)

    snapshot = SourceSnapshot.objects.get(source="src")
    assert snapshot.loaded_at >= before and snapshot.records == 2 and result.unchanged == 2
    resources = {r.source_id: r for r in LearningResource.objects.all()}
    for source_id in ("c0", "c1"):
        assert resources[source_id].in_source_snapshot
        assert resources[source_id].last_seen_in_source == snapshot.loaded_at
    # The row that left the snapshot keeps the time it was last listed, whatever later snapshots say.
    assert not resources["c2"].in_source_snapshot and not resources["c2"].published
    assert resources["c2"].last_seen == resources["c2"].last_seen_in_source == day_ago

    # Listed again: it is written (republished) and seen now.
    load_resources("src", courses(3))
    gone = LearningResource.objects.get(source_id="c2")
    assert gone.in_source_snapshot and gone.published and gone.last_seen_in_source >= before


def test_rows_missing_while_the_guard_holds_are_not_seen():
    load_resources("src", courses(4))
    day_ago = timezone.now() - dt.timedelta(days=1)
    LearningResource.objects.update(last_seen=day_ago - dt.timedelta(days=1))
    SourceSnapshot.objects.filter(source="src").update(loaded_at=day_ago)

    result = load_resources("src", courses(1))

    assert result.needs_review and result.unpublished == 0
    still_published = LearningResource.objects.filter(source_id__in=["c1", "c2", "c3"])
    assert [(r.published, r.last_seen_in_source) for r in still_published] == [(True, day_ago)] * 3
    assert LearningResource.objects.get(source_id="c0").last_seen_in_source > day_ago


def test_partial_loads_record_last_seen_on_the_row():
    load_resources("src", courses(2), full_snapshot=False)
    assert not SourceSnapshot.objects.exists()
    assert not LearningResource.objects.filter(in_source_snapshot=True).exists()
    stale = timezone.now() - LAST_SEEN_RESOLUTION - dt.timedelta(minutes=1)
    LearningResource.objects.update(last_seen=stale)

    with CaptureQueriesContext(connection) as queries:
        assert load_resources("src", courses(1), full_snapshot=False).unchanged == 1

    writes = catalogue_writes(queries)
    assert len(writes) == 1 and "last_seen" in writes[0]
    assert LearningResource.objects.get(source_id="c0").last_seen_in_source > stale
    assert LearningResource.objects.get(source_id="c1").last_seen_in_source == stale
    # Seen again within LAST_SEEN_RESOLUTION: not even last_seen is rewritten.
    seen = dict(LearningResource.objects.values_list("pk", "last_seen"))
    load_resources("src", courses(1), full_snapshot=False)
    assert dict(LearningResource.objects.values_list("pk", "last_seen")) == seen

    # Rows created by a partial load join the source's snapshot when a full one lists them, unchanged.
    load_resources("src", courses(2))
    assert LearningResource.objects.filter(in_source_snapshot=True).count() == 2


def test_prune_unpublishes_the_missing_rows_of_a_full_snapshot():
    load_resources("src", courses(4))
    load_resources("other", courses(2))
    gone = LearningResource.objects.get(source="src", source_id="c3")

    result = load_resources("src", courses(3))

    assert result.unpublished == 1 and result.removed_ids == [gone.pk]
    assert not result.needs_review
    assert not LearningResource.objects.get(pk=gone.pk).published
    assert LearningResource.objects.filter(source="other", published=True).count() == 2
    # Coming back republishes it.
    assert load_resources("src", courses(4)).updated == 1
    assert LearningResource.objects.get(pk=gone.pk).published


def test_partial_snapshot_never_unpublishes():
    load_resources("src", courses(4))
    result = load_resources("src", courses(1), full_snapshot=False)
    assert result.unpublished == 0 and not result.needs_review
    assert LearningResource.objects.filter(published=True).count() == 4


def test_guard_unpublishes_nothing_and_asks_for_review_unless_forced():
    load_resources("src", courses(4))

    result = load_resources("src", courses(1))

    assert result.needs_review and result.unpublished == 0
    assert "3 of 4" in result.review_reason and "50%" in result.review_reason
    assert len(result.would_unpublish) == 3
    assert LearningResource.objects.filter(published=True).count() == 4

    forced = load_resources("src", courses(1), force=True)
    assert forced.unpublished == 3 and not forced.needs_review
    assert LearningResource.objects.filter(published=True).count() == 1


def test_guard_share_comes_from_settings_or_the_argument(settings):
    load_resources("src", courses(4))
    settings.CATALOG_UNPUBLISH_GUARD = 0.8
    assert load_resources("src", courses(1), dry_run=True).unpublished == 3
    assert load_resources("src", courses(1), unpublish_guard=0.2, dry_run=True).needs_review


def test_an_empty_snapshot_never_unpublishes():
    load_resources("src", courses(3))

    for records in ([], [{"source_id": "broken"}]):
        result = load_resources("src", records, force=True)
        assert result.unpublished == 0 and result.needs_review
    assert LearningResource.objects.filter(published=True).count() == 3


def test_locked_fields_survive_reimport_and_source_values_follow_the_source():
    load_resources("src", [course("c1")])
    resource = LearningResource.objects.get(source_id="c1")
    resource.title = "Editor's title"
    resource.locked_fields = ["title", "topics", "offered_by"]
    resource.save()
    resource.topics.set([Topic.objects.get(name="Calculus")])

    result = load_resources(
        "src",
        [course("c1", title="Source title v2", topics=["Science > Physics"], offered_by="OCW", level="advanced")],
    )

    assert result.updated == 1
    resource.refresh_from_db()
    assert resource.title == "Editor's title"
    assert list(resource.topics.values_list("name", flat=True)) == ["Calculus"]
    assert resource.offered_by.code == "mitx"
    assert resource.level == "advanced"  # not locked: follows the source
    assert resource.source_values["title"] == "Source title v2"
    assert resource.source_values["topics"] == ["Science > Physics"]
    assert resource.source_values["offered_by"] == "ocw"


def test_hidden_resources_stay_unpublished():
    load_resources("src", courses(2))
    LearningResource.objects.filter(source_id="c0").update(hidden=True, published=False)

    changed = load_resources("src", [course("c0", title="New title"), course("c1")])
    unchanged = load_resources("src", [course("c0", title="New title"), course("c1")])

    hidden = LearningResource.objects.get(source_id="c0")
    assert hidden.title == "New title" and not hidden.published and hidden.hidden
    assert hidden.pk not in changed.changed_ids
    assert unchanged.unchanged == 2
    assert not LearningResource.objects.public().filter(pk=hidden.pk).exists()


def test_an_import_while_hidden_keeps_the_sources_published_value_for_un_hiding():
    load_resources("src", courses(2))
    LearningResource.objects.filter(source_id="c0").update(hidden=True)

    load_resources("src", [course("c0", title="New title"), course("c1")])

    hidden = LearningResource.objects.get(source_id="c0")
    assert hidden.source_published and not hidden.published
    LearningResource.objects.filter(pk=hidden.pk).update(hidden=False)
    assert LearningResource.objects.public().filter(pk=hidden.pk, title="New title").exists()
    # The source unpublishing it while hidden is kept too: un-hiding it then does not publish it.
    LearningResource.objects.filter(pk=hidden.pk).update(hidden=True)
    load_resources("src", [course("c0", published=False), course("c1")])
    LearningResource.objects.filter(pk=hidden.pk).update(hidden=False)
    assert not LearningResource.objects.get(pk=hidden.pk).published


def test_prune_unpublishes_a_hidden_row_at_its_source_without_announcing_it():
    load_resources("src", courses(4))
    hidden = LearningResource.objects.get(source_id="c3")
    hidden.hidden = True
    hidden.save()

    result = load_resources("src", courses(3))

    assert result.unpublished == 1 and result.removed_ids == []  # it had already left the public catalogue
    hidden.refresh_from_db()
    assert not hidden.source_published
    hidden.hidden = False
    hidden.save()
    assert not LearningResource.objects.get(pk=hidden.pk).published


def test_a_row_whose_recorded_source_value_is_stale_is_rewritten():
    """Rows migrated hidden and unpublished record the source as unpublished until an import says otherwise."""
    load_resources("src", courses(1))
    LearningResource.objects.filter(source_id="c0").update(hidden=True, published=False, source_published=False)

    result = load_resources("src", courses(1))

    assert result.updated == 1
    assert LearningResource.objects.get(source_id="c0").source_published


def test_invalid_records_are_reported_and_the_others_load():
    records = [
        course("ok"),
        {"resource_type": "course", "source_id": "no-title"},
        course("wrong-type", title=["not", "a", "string"]),
        course("too-long", title="x" * 600),
        course("bad-date", runs=[{"run_id": "r", "start_date": "31/31/2024"}]),
        course("bad-currency", prices=[{"amount": "10", "currency": "EURO"}]),
        course("ok"),  # a duplicate
    ]

    result = load_resources("src", records)

    assert result.created == 1 and result.failed == 6
    reported = {(error.source_id, error.field) for error in result.errors}
    assert reported == {
        ("no-title", "title"),
        ("wrong-type", "title"),
        ("too-long", "title"),
        ("bad-date", "runs.0.start_date"),
        ("bad-currency", "prices.0.currency"),
        ("ok", "source_id"),
    }
    assert list(LearningResource.objects.values_list("source_id", flat=True)) == ["ok"]


def test_a_record_that_turns_invalid_is_not_pruned():
    load_resources("src", courses(3))
    result = load_resources("src", [course("c0"), course("c1"), course("c2", title="")])
    assert result.failed == 1 and result.unpublished == 0
    kept = LearningResource.objects.get(source_id="c2")
    # The source still lists it: it stays in the snapshot, seen at its time.
    assert kept.published and kept.in_source_snapshot
    assert kept.last_seen_in_source == SourceSnapshot.objects.get(source="src").loaded_at


def test_loading_twice_is_idempotent():
    from catalog.demo import generate_records

    first = load_resources("demo", generate_records(120, seed=7))
    counts = (LearningResource.objects.count(), Run.objects.count(), ResourceRelationship.objects.count())
    second = load_resources("demo", generate_records(120, seed=7))

    assert first.created == 120 and first.failed == 0
    assert second.counts == {"created": 0, "updated": 0, "unchanged": 120, "unpublished": 0, "failed": 0}
    assert (LearningResource.objects.count(), Run.objects.count(), ResourceRelationship.objects.count()) == counts


def program(source_id, children, **fields):
    return {"resource_type": "program", "source_id": source_id, "title": f"Program {source_id}", "children": children}


def child_ids(parent_source_id):
    parent = LearningResource.objects.get(source_id=parent_source_id)
    links = ResourceRelationship.objects.filter(parent=parent).select_related("child")
    return [(link.child.source_id, link.position, link.relation_type) for link in links.order_by("position")]


def test_relations_follow_the_order_of_children_and_are_replaced_when_changed():
    # The program comes first; its courses arrive in a later batch.
    records = [program("p1", ["c2", "c0", {"resource_type": "course", "source_id": "c1"}]), *courses(3)]
    result = load_resources("src", records, batch_size=2)

    assert result.warnings == []
    kind = RelationType.PROGRAM_COURSES
    assert child_ids("p1") == [("c2", 0, kind), ("c0", 1, kind), ("c1", 2, kind)]

    load_resources("src", [program("p1", ["c1", "c2"]), *courses(3)])
    assert child_ids("p1") == [("c1", 0, kind), ("c2", 1, kind)]


def test_missing_children_are_reported_and_retried_next_time():
    load_resources("src", [program("p1", ["c0", "c9"]), course("c0")])
    assert child_ids("p1") == [("c0", 0, RelationType.PROGRAM_COURSES)]

    result = load_resources("src", [program("p1", ["c0", "c9"]), course("c0"), course("c9")])
    assert result.updated == 1  # the parent is written again although its record did not change
    assert [source_id for source_id, _, _ in child_ids("p1")] == ["c0", "c9"]


def test_dry_run_writes_nothing():
    load_resources("src", courses(2))
    before = list(LearningResource.objects.order_by("pk").values_list("pk", "title", "updated_at", "published"))
    topics = Topic.objects.count()

    result = load_resources(
        "src", [course("c0", title="Changed", topics=["Brand New Topic"]), course("new")], dry_run=True
    )

    assert result.dry_run
    assert (result.created, result.updated, result.unpublished) == (1, 1, 1)
    assert [item["source_id"] for item in result.would_create] == ["new"]
    assert [item["source_id"] for item in result.would_update] == ["c0"]
    assert [item["source_id"] for item in result.would_unpublish] == ["c1"]
    after = list(LearningResource.objects.order_by("pk").values_list("pk", "title", "updated_at", "published"))
    assert after == before
    assert Topic.objects.count() == topics


def test_a_failing_batch_is_rolled_back_entirely(monkeypatch):
    original = ResourceLoader._write_runs

    def fail_for_boom(self, written):
        if any(record.source_id.startswith("boom") for _, record, _ in written):
            raise RuntimeError("disk on fire")
        return original(self, written)

    monkeypatch.setattr(ResourceLoader, "_write_runs", fail_for_boom)
    records = [
        course("a", topics=["Topic From A"]),
        course("b"),
        course("boom", topics=["Topic From Boom"], instructors=["Boom Only"]),
        course("c"),
    ]
    load_resources("src", courses(1, prefix="old"))

    result = load_resources("src", records, batch_size=2)

    # The failing batch is retried record by record: only the bad record fails, nothing of it is left.
    assert result.created == 3 and result.failed == 1
    assert result.errors[0].source_id == "boom" and "disk on fire" in result.errors[0].message
    assert not LearningResource.objects.filter(source_id="boom").exists()
    assert not Topic.objects.filter(name="Topic From Boom").exists()
    assert not Instructor.objects.filter(full_name="Boom Only").exists()
    assert Run.objects.filter(resource__source_id="c").count() == 3
    # A write failure means the snapshot was not fully applied: nothing is unpublished.
    assert result.needs_review and result.unpublished == 0
    assert LearningResource.objects.get(source_id="old0").published


def test_signal_is_sent_after_commit_with_the_changed_and_removed_ids(django_capture_on_commit_callbacks):
    received = []

    def receiver(sender, changed_ids, removed_ids, **kwargs):
        received.append((sorted(changed_ids), sorted(removed_ids)))

    resources_changed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            first = load_resources("src", courses(3))
        with django_capture_on_commit_callbacks(execute=True):
            second = load_resources("src", [course("c0", title="New"), course("c1")])
        with django_capture_on_commit_callbacks(execute=True):
            load_resources("src", courses(2))  # c0 back to its old title; c1 unchanged; c2 stays unpublished
        with django_capture_on_commit_callbacks(execute=True):
            load_resources("src", [course("c0", title="Dry")], dry_run=True)
    finally:
        resources_changed.disconnect(receiver)

    ids = {r.source_id: r.pk for r in LearningResource.objects.all()}
    assert received == [
        (sorted(first.changed_ids), []),
        ([ids["c0"]], []),
        ([], [ids["c2"]]),
        ([ids["c0"]], []),
    ]
    assert second.removed_ids == [ids["c2"]]


def test_records_are_streamed_in_batches():
    consumed = []

    def records():
        for i in range(5):
            consumed.append(i)
            yield course(f"s{i}")

    progress = []
    result = load_resources("src", records(), batch_size=1, progress=lambda n: progress.append((n, len(consumed))))

    # Read READ_BATCHES (4) batches at a time, never the whole iterable at once.
    assert result.created == 5
    assert progress == [(4, 4), (1, 5)]


def test_model_records_are_accepted():
    record = ResourceRecord(resource_type="video", source_id="v1", title="A video", duration_seconds=61)
    assert load_resources("src", [record]).created == 1
    assert LearningResource.objects.get(source_id="v1").duration_seconds == 61


def test_slugs_are_unique_and_stable():
    load_resources("a", [course("x1", title="Same Title")])
    load_resources("b", [course("x1", title="Same Title"), course("x2", title="Same Title")])
    slugs = list(LearningResource.objects.order_by("pk").values_list("slug", flat=True))
    assert slugs[0] == "same-title" and len(set(slugs)) == 3
    load_resources("b", [course("x1", title="Other"), course("x2", title="Same Title")])
    assert list(LearningResource.objects.order_by("pk").values_list("slug", flat=True)) == slugs


def test_next_start_date_and_prices_are_derived_from_runs():
    now = timezone.now()
    record = ResourceRecord.model_validate(course("c1"))
    assert next_start_date(record, now) == FUTURE
    past_only = ResourceRecord.model_validate(course("c1", runs=[{"run_id": "a", "start_date": PAST.isoformat()}]))
    assert next_start_date(past_only, now) == PAST

    paid = ResourceRecord.model_validate(course("c1", runs=[], prices=[{"amount": 500, "currency": "EUR"}]))
    assert price_fields(paid) == {
        "min_price": Decimal("500.00"),
        "max_price": Decimal("500.00"),
        "currency": "EUR",
        "free": False,
    }
    no_prices = ResourceRecord.model_validate(course("c1", runs=[]))
    assert price_fields(no_prices)["free"] is True
    stated = ResourceRecord.model_validate(course("c1", free=False))
    assert price_fields(stated)["free"] is False
