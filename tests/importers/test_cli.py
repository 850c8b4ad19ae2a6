"""manage.py import and manage.py sync_import_schedules."""

from io import StringIO

from django.core.management import call_command
from django.core.management.base import CommandError

import pytest

from catalog.models import LearningResource
from importers.models import ImportRun

from .fakes import FAKE, course, courses_json

pytestmark = pytest.mark.django_db


def call(*args):
    out = StringIO()
    call_command("import", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_import_a_file_prints_a_summary_table(fake_source, tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "courses.json").write_bytes(courses_json([course(1), course(2)]))
    output = call(FAKE, "--file", str(folder))
    run = ImportRun.objects.get()
    assert run.trigger == ImportRun.Trigger.CLI and run.status == ImportRun.Status.SUCCEEDED
    assert f"run #{run.pk} succeeded" in output
    assert "created" in output and "│       2 │" in output.replace("│ 2 ", "│       2 ")
    assert LearningResource.objects.filter(source=FAKE).count() == 2


def test_dry_run_lists_would_create(fake_source, tmp_path):
    (tmp_path / "courses.json").write_bytes(courses_json([course(1)]))
    output = call(FAKE, "--file", str(tmp_path / "courses.json"), "--dry-run")
    assert "(dry run)" in output and "would create (1)" in output and "Course 1" in output
    assert not LearningResource.objects.exists()


def test_replay_snapshot_and_force(configure):
    configure(courses=[course(1)])
    first = ImportRun.objects.get(pk=int(call(FAKE).split("run #")[1].split()[0]))
    assert "skipped" in call(FAKE)
    output = call(FAKE, "--snapshot", str(first.snapshot_id))
    assert "succeeded" in output and ImportRun.objects.latest("pk").unchanged == 1
    assert "succeeded" in call(FAKE, "--force")


def test_failed_import_exits_with_the_reason(fake_source, tmp_path):
    (tmp_path / "courses.json").write_bytes(b"<html>Bad gateway</html>")
    with pytest.raises(CommandError, match="HTML page"):
        call(FAKE, "--file", str(tmp_path / "courses.json"))


def test_unknown_source_and_missing_source(fake_source):
    with pytest.raises(CommandError, match="unknown import source 'nope'"):
        call("nope")
    with pytest.raises(CommandError, match="--list"):
        call()


def test_list_shows_sources_and_last_runs(configure):
    configure(courses=[course(1)])
    call(FAKE)
    output = call("--list")
    assert FAKE in output and "Fake courses" in output and "Succeeded" in output


def test_sync_import_schedules_creates_one_per_source(fake_source):
    from django_q.models import Schedule

    out = StringIO()
    call_command("sync_import_schedules", stdout=out)
    schedule = Schedule.objects.get(name=f"import:{FAKE}")
    assert schedule.func == "importers.tasks.scheduled_import" and schedule.cluster == "content"
    assert schedule.schedule_type == Schedule.MINUTES and schedule.minutes == 60
    assert f"import:{FAKE}: every hour" in out.getvalue()
    # An edit made in the admin survives the next sync.
    schedule.minutes = 15
    schedule.save()
    call_command("sync_import_schedules", stdout=StringIO())
    assert Schedule.objects.get(name=f"import:{FAKE}").minutes == 15
