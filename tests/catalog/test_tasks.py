"""Scheduled catalogue upkeep: next_start_date moves on as runs start, and its schedule exists after migrate."""

import datetime as dt

from django.core.management.sql import emit_post_migrate_signal
from django.utils import timezone

import pytest
from django_q.models import Schedule

from catalog.loader import load_resources
from catalog.loader.rows import next_start_date
from catalog.models import LearningResource, Run
from catalog.schemas import ResourceRecord
from catalog.signals import resources_changed
from catalog.tasks import REFRESH_FUNC, REFRESH_SCHEDULE, refresh_next_start_dates

pytestmark = pytest.mark.django_db

NOW = timezone.now().replace(microsecond=0)
SOON = NOW + dt.timedelta(days=10)
LATER = NOW + dt.timedelta(days=100)
PAST = NOW - dt.timedelta(days=300)


def course(source_id, *starts, **fields):
    runs = [{"run_id": f"{source_id}-{i}", "start_date": start.isoformat()} for i, start in enumerate(starts)]
    return {"resource_type": "course", "source_id": source_id, "title": f"Course {source_id}", "runs": runs, **fields}


@pytest.fixture
def sent():
    calls = []

    def receiver(sender, changed_ids=(), removed_ids=(), **kwargs):
        calls.append((list(changed_ids), list(removed_ids)))

    resources_changed.connect(receiver, dispatch_uid="test_tasks_receiver")
    yield calls
    resources_changed.disconnect(dispatch_uid="test_tasks_receiver")


def starts():
    return dict(LearningResource.objects.values_list("source_id", "next_start_date"))


def test_next_start_date_moves_to_the_next_run_once_one_starts(sent, django_capture_on_commit_callbacks):
    load_resources("src", [course("a", PAST, SOON, LATER), course("b", SOON), course("c", LATER), course("d")])
    assert starts() == {"a": SOON, "b": SOON, "c": LATER, "d": None}
    a = LearningResource.objects.get(source_id="a")

    assert refresh_next_start_dates(now=NOW) == 0  # nothing has started yet

    with django_capture_on_commit_callbacks(execute=True):
        assert refresh_next_start_dates(now=SOON + dt.timedelta(hours=1)) == 1
    # a's next run is now LATER; b has no later run: its start stays (the latest start, as the loader says).
    assert starts() == {"a": LATER, "b": SOON, "c": LATER, "d": None}
    assert sent == [([a.pk], [])]
    assert LearningResource.objects.get(pk=a.pk).updated_at == SOON + dt.timedelta(hours=1)

    # Once every run has started, the value is the latest start and stays there.
    assert refresh_next_start_dates(now=LATER + dt.timedelta(days=1)) == 0
    assert refresh_next_start_dates(now=LATER + dt.timedelta(days=1)) == 0


def test_refresh_agrees_with_the_loader_at_every_moment():
    records = [
        course("a", PAST, SOON, LATER),
        course("b", SOON, PAST),
        course("c", LATER, SOON, SOON + dt.timedelta(days=1)),
        course("d", PAST),
        course("e"),
    ]
    load_resources("src", records)
    for moment in (
        NOW,
        SOON,
        SOON + dt.timedelta(hours=12),
        SOON + dt.timedelta(days=2),
        LATER,
        LATER + dt.timedelta(days=1),
    ):
        refresh_next_start_dates(now=moment)
        expected = {r["source_id"]: next_start_date(ResourceRecord.model_validate(r), moment) for r in records}
        assert starts() == expected, moment


def test_unpublished_runs_do_not_count_and_hidden_resources_are_not_announced(sent, django_capture_on_commit_callbacks):
    load_resources("src", [course("a", SOON, LATER), course("b", SOON, LATER)])
    Run.objects.filter(run_id="a-1").update(published=False)
    LearningResource.objects.filter(source_id="b").update(hidden=True)

    with django_capture_on_commit_callbacks(execute=True):
        assert refresh_next_start_dates(now=SOON + dt.timedelta(days=1)) == 1

    assert starts() == {"a": SOON, "b": LATER}
    assert sent == []  # b changed but is not public: nothing to index


def test_refresh_reads_a_constant_number_of_queries(django_assert_max_num_queries):
    load_resources("src", [course(f"x{i}", SOON, LATER) for i in range(30)])
    with django_assert_max_num_queries(4):
        assert refresh_next_start_dates(now=SOON + dt.timedelta(days=1)) == 30


def test_the_hourly_schedule_is_created_by_migrate_and_keeps_admin_edits():
    Schedule.objects.filter(name=REFRESH_SCHEDULE).delete()

    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")

    schedule = Schedule.objects.get(name=REFRESH_SCHEDULE)
    assert schedule.func == REFRESH_FUNC and schedule.schedule_type == Schedule.MINUTES and schedule.minutes == 60
    assert schedule.cluster == "default"
    schedule.minutes = 15
    schedule.save()
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    assert Schedule.objects.get(name=REFRESH_SCHEDULE).minutes == 15
