"""django-q2: the scheduled task imports a source (test settings run tasks inline, like a worker would)."""

import pytest
from django_q.models import Schedule, Task

from importers.models import ImportRun
from importers.schedules import ensure_source_schedule
from importers.tasks import enqueue_import

from .fakes import FAKE, course

pytestmark = pytest.mark.django_db


def test_schedule_runs_the_import_through_django_q(configure, monkeypatch):
    from django_q.conf import Conf
    from django_q.scheduler import scheduler

    # The content queue's qcluster picks up schedules of its own cluster.
    monkeypatch.setattr(Conf, "CLUSTER_NAME", "content")
    configure(courses=[course(1), course(2)])
    schedule = ensure_source_schedule(FAKE)
    Schedule.objects.filter(pk=schedule.pk).update(next_run=schedule.next_run.replace(year=2000))
    scheduler(broker=None)  # what the cluster's scheduler does on its tick; sync settings run it inline
    run = ImportRun.objects.get(source=FAKE)
    assert run.trigger == ImportRun.Trigger.SCHEDULE and run.status == ImportRun.Status.SUCCEEDED
    assert run.created == 2
    task = Task.objects.get(func="importers.tasks.scheduled_import")
    assert task.success and task.result == run.pk


def test_enqueue_import_uses_the_content_queue(configure):
    configure(courses=[course(1)])
    enqueue_import(FAKE, dry_run=True)
    task = Task.objects.get(func="importers.tasks.run_import")
    assert task.args == (FAKE,) and task.kwargs["dry_run"] is True and task.kwargs["attempt"] == 1
    run = ImportRun.objects.get(source=FAKE)
    assert run.dry_run and run.request_key == task.kwargs["request_key"]


def test_disabled_source_skips_scheduled_runs(configure):
    row = configure(courses=[course(1)])
    row.enabled = False
    row.save()
    from importers.tasks import scheduled_import

    run = ImportRun.objects.get(pk=scheduled_import(FAKE))
    assert run.status == ImportRun.Status.SKIPPED and "switched off" in run.message


def test_a_new_source_schedule_waits_one_interval_before_its_first_run(configure):
    from datetime import timedelta

    from django.utils import timezone

    from importers.registry import get_source_class

    configure(courses=[course(1)])
    spec = get_source_class(FAKE).schedule()
    schedule = ensure_source_schedule(FAKE)
    if spec.get("minutes"):
        expected = timezone.now() + timedelta(minutes=spec["minutes"])
        assert abs((schedule.next_run - expected).total_seconds()) < 60
    else:
        assert schedule.next_run > timezone.now()
