"""Nothing an import was asked to do is lost: busy sources, stale reviews, dead runs, locks, duplicate deliveries.

In-process tests with the fake source (django-q2 runs tasks inline here); the same faults with real processes,
signals and a second writer are in test_faults.py.
"""

import os
import subprocess
from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone

import pytest

from catalog.models import LearningResource
from importers import recovery
from importers.errors import ImporterError
from importers.locks import LockKeeper, acquire_lock, process_owner, release_lock
from importers.models import ImportLock, ImportRun, StoredSnapshot
from importers.requests import ImportRequest
from importers.runner import run_import
from importers.signals import run_finished
from importers.tasks import approve_run, resume_import
from importers.tasks import run_import as run_import_task
from importers.tempfiles import work_dir

from .fakes import FAKE, course, courses_json

pytestmark = pytest.mark.django_db
S = ImportRun.Status


def hold_source(**lock):
    """A run of FAKE that holds its lock (as a live worker would)."""
    holder = ImportRun.objects.create(source=FAKE, owner=process_owner())
    return holder, acquire_lock(FAKE, holder)


def dead_pid() -> int:
    done = subprocess.run(["true"], check=True)
    assert done.returncode == 0
    # The pid of a process that has exited and been reaped.
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


# --- a busy source -------------------------------------------------------------------------------------------


def test_a_webhook_delivery_to_a_busy_source_waits_and_is_imported_after(configure):
    configure(courses=[course(1)])
    holder, lock = hold_source()
    delivered = run_import(FAKE, trigger="webhook", content=courses_json([course(7)]), document_name="courses.json")
    assert delivered.status == S.WAITING and f"run #{holder.pk}" in delivered.message
    # What was delivered is kept as the run's snapshot, not in a task's arguments.
    assert delivered.snapshot is not None and delivered.request["snapshot_id"] == delivered.snapshot_id
    assert "content" not in delivered.request

    assert recovery.sweep()["resumed"] == []  # still busy: nothing resumed
    release_lock(lock)
    assert recovery.sweep()["resumed"] == [delivered.pk]
    delivered.refresh_from_db()
    assert delivered.status == S.SUCCEEDED and delivered.created == 1
    assert LearningResource.objects.filter(source=FAKE, source_id="C00007").exists()


def test_a_finishing_run_hands_the_source_to_the_oldest_waiting_run(configure):
    configure(courses=[course(1)])
    holder, lock = hold_source()
    first = run_import(FAKE, trigger="webhook", content=courses_json([course(1)]), document_name="courses.json")
    second = run_import(
        FAKE, trigger="webhook", content=courses_json([course(1), course(2)]), document_name="courses.json"
    )
    assert first.status == second.status == S.WAITING
    release_lock(lock)
    # A run that takes the source and finishes queues the oldest waiting run (inline here), which queues the next.
    run_import(FAKE, trigger="cli")
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status in (S.SUCCEEDED, S.SKIPPED) and second.status == S.SUCCEEDED
    assert LearningResource.objects.filter(source=FAKE).count() == 2


def test_a_second_scheduled_run_of_a_busy_source_is_coalesced(configure):
    configure(courses=[course(1)])
    hold_source()
    first = run_import(FAKE, trigger="schedule")
    again = run_import(FAKE, trigger="schedule")
    assert first.status == S.WAITING
    assert again.status == S.SKIPPED and f"already waiting (#{first.pk})" in again.message


def test_a_run_that_waits_too_long_fails_and_says_why(configure, settings):
    configure(courses=[course(1)])
    hold_source()
    waiting = run_import(FAKE, trigger="manual")
    ImportRun.objects.filter(pk=waiting.pk).update(started_at=timezone.now() - timedelta(hours=7))
    received = []

    def listen(sender, run, **kwargs):
        received.append(run.pk)

    run_finished.connect(listen, dispatch_uid="t")
    try:
        recovery.sweep()
    finally:
        run_finished.disconnect(dispatch_uid="t")
    waiting.refresh_from_db()
    assert waiting.status == S.FAILED and "gave up after waiting" in waiting.message
    assert received == [waiting.pk]  # alerts hear about it


def test_resuming_a_settled_run_does_nothing(configure):
    configure(courses=[course(1)])
    done = run_import(FAKE)
    assert resume_import(done.pk) is None


# --- reviews -------------------------------------------------------------------------------------------------


def shrink_for_review(configure):
    configure(courses=[course(n) for n in range(10)])
    run_import(FAKE)
    configure(courses=[course(0)])
    review = run_import(FAKE)
    assert review.status == S.NEEDS_REVIEW
    return review


def test_a_newer_import_supersedes_an_older_review(configure):
    review = shrink_for_review(configure)
    configure(courses=[course(n) for n in range(12)])
    newer = run_import(FAKE)
    assert newer.status == S.SUCCEEDED
    review.refresh_from_db()
    assert review.status == S.SUPERSEDED and f"run #{newer.pk}" in review.message
    with pytest.raises(ImporterError, match="not awaiting review"):
        approve_run(review, enqueue=False)
    assert LearningResource.objects.filter(source=FAKE, published=True).count() == 12


def test_approving_a_review_after_a_newer_load_is_refused_and_unpublishes_nothing(configure):
    review = shrink_for_review(configure)
    configure(courses=[course(n) for n in range(11)])
    newer = run_import(FAKE, dry_run=False)
    # Simulate a review page loaded before the newer run: the row still says needs_review.
    ImportRun.objects.filter(pk=review.pk).update(status=S.NEEDS_REVIEW, reviewed_at=None)
    review.refresh_from_db()
    with pytest.raises(ImporterError, match=f"superseded by run #{newer.pk}"):
        approve_run(review, enqueue=False)
    review.refresh_from_db()
    assert review.status == S.SUPERSEDED
    assert LearningResource.objects.filter(source=FAKE, published=True).count() == 11


def test_a_queued_approval_that_finds_a_newer_load_skips(configure):
    review = shrink_for_review(configure)
    request = ImportRequest(source=FAKE, force=True, snapshot_id=review.snapshot_id, replay=True, replay_of=review.pk)
    configure(courses=[course(n) for n in range(11)])
    run_import(FAKE)
    ImportRun.objects.filter(pk=review.pk).update(status=S.NEEDS_REVIEW, reviewed_at=timezone.now())
    replay = run_import(request)
    assert replay.status == S.SKIPPED and "superseded" in replay.message
    assert LearningResource.objects.filter(source=FAKE, published=True).count() == 11


def test_approving_the_newest_review_still_works(configure):
    review = shrink_for_review(configure)
    replay = approve_run(review, enqueue=False)
    assert replay.status == S.SUCCEEDED and replay.unpublished == 9
    review.refresh_from_db()
    assert review.status == S.NEEDS_REVIEW and review.reviewed_at is not None  # approved, not superseded


def test_a_dry_run_or_skipped_run_does_not_supersede_a_review(configure):
    review = shrink_for_review(configure)
    run_import(FAKE, dry_run=True)
    assert run_import(FAKE).status == S.SKIPPED  # the same snapshot as the one awaiting review
    replay = approve_run(review, enqueue=False)
    assert replay.status == S.SUCCEEDED


# --- dead runs, locks, retries ------------------------------------------------------------------------------


def test_a_run_whose_lock_expired_is_failed_freed_and_retried(configure):
    configure(courses=[course(1), course(2)])
    request = ImportRequest(source=FAKE, trigger="schedule", request_key="k1")
    dead = ImportRun.objects.create(source=FAKE, trigger="schedule", request=request.to_json(), request_key="k1")
    ImportLock.objects.create(
        source=FAKE, run=dead, owner="elsewhere:4242", expires_at=timezone.now() - timedelta(seconds=5)
    )
    done = recovery.sweep()
    assert done["dead"] == [dead.pk]
    dead.refresh_from_db()
    assert dead.status == S.FAILED and "no heartbeat since" in dead.message and "attempt 2" in dead.message
    retry = ImportRun.objects.get(request_key="k1", attempt=2)
    assert retry.status == S.SUCCEEDED and retry.created == 2
    assert not ImportLock.objects.exists()
    assert recovery.sweep()["dead"] == []  # idempotent


def test_a_run_of_a_process_that_is_gone_is_dead_at_once(configure):
    configure(courses=[course(1)])
    owner = f"{process_owner().rpartition(':')[0]}:{dead_pid()}"
    dead = ImportRun.objects.create(source=FAKE, trigger="cli", owner=owner, request={"source": FAKE})
    ImportLock.objects.create(source=FAKE, run=dead, owner=owner, expires_at=timezone.now() + timedelta(minutes=2))
    assert recovery.sweep()["dead"] == [dead.pk]
    dead.refresh_from_db()
    assert dead.status == S.FAILED and "is gone" in dead.message
    assert not ImportRun.objects.filter(attempt=2).exists()  # a CLI run is not retried by itself
    assert run_import(FAKE, trigger="cli").status == S.SUCCEEDED  # the source is free


def test_retries_stop_after_the_last_attempt(configure, settings):
    settings.IMPORT_MAX_ATTEMPTS = 2
    configure(courses=[course(1)])
    request = ImportRequest(source=FAKE, trigger="webhook", request_key="k2", attempt=2)
    dead = ImportRun.objects.create(source=FAKE, attempt=2, request=request.to_json(), request_key="k2")
    ImportLock.objects.create(source=FAKE, run=dead, owner="x:1", expires_at=timezone.now() - timedelta(seconds=1))
    recovery.sweep()
    dead.refresh_from_db()
    assert dead.status == S.FAILED and "retried" not in dead.message
    assert ImportRun.objects.filter(request_key="k2").count() == 1


def test_a_live_run_is_left_alone(configure):
    holder, lock = hold_source()
    assert recovery.sweep()["dead"] == []
    holder.refresh_from_db()
    assert holder.status == S.RUNNING


def test_a_task_delivered_twice_imports_once(configure):
    configure(courses=[course(1)])
    first = run_import_task(FAKE, trigger="manual", request_key="same")
    second = run_import_task(FAKE, trigger="manual", request_key="same")
    assert first == second
    assert ImportRun.objects.filter(request_key="same").count() == 1


def test_an_operator_releases_a_stale_lock_from_the_command_line(configure, capsys):
    holder, lock = hold_source()
    call_command("import_locks")
    assert FAKE in capsys.readouterr().out
    call_command("import_locks", "release", FAKE)
    assert f"run #{holder.pk} was marked failed" in capsys.readouterr().out
    holder.refresh_from_db()
    assert holder.status == S.FAILED and "released by an operator" in holder.message
    assert not ImportLock.objects.exists()
    with pytest.raises(Exception, match="is not locked"):
        call_command("import_locks", "release", FAKE)


def test_an_operator_releases_a_lock_in_the_admin(configure, admin_client):
    holder, lock = hold_source()
    page = admin_client.get(f"/admin/imports/{FAKE}/")
    assert b"Release the lock" in page.content and f"run #{holder.pk}".encode() in page.content
    response = admin_client.post(f"/admin/imports/{FAKE}/release-lock/", follow=True)
    assert b"was released" in response.content
    assert not ImportLock.objects.exists()
    holder.refresh_from_db()
    assert holder.status == S.FAILED and "admin" in holder.message


def test_a_run_whose_lock_is_released_stops_at_its_next_check(configure, settings):
    settings.IMPORT_LOCK_RENEW_SECONDS = 1
    holder, lock = hold_source()
    with LockKeeper(lock) as keeper:  # inline mode inside the test's transaction
        ImportLock.objects.all().delete()
        keeper._last -= timedelta(seconds=5)
        with pytest.raises(Exception, match="released by an operator or taken over"):
            keeper.check()


def test_orphaned_temporary_folders_are_removed(settings, tmp_path):
    settings.IMPORT_TEMP_DIR = tmp_path
    with work_dir("learnhub-archive") as alive:
        orphan = tmp_path / f"learnhub-archive-{os.path.basename(alive).split('-')[2]}-{dead_pid()}-abc"
        orphan.mkdir()
        (orphan / "big.xml").write_text("x")
        assert recovery.remove_orphaned_temp() == 1
        assert not orphan.exists() and os.path.isdir(alive)
    assert not os.path.exists(alive)


def test_a_failed_transform_writes_nothing_even_when_batches_commit_alone(configure, monkeypatch):
    monkeypatch.setattr("catalog.loader.core.BATCH_SIZE", 5)
    configure(courses=[course(n) for n in range(20)], explode_after=17)
    run = run_import(FAKE)
    assert run.status == S.FAILED and "boom after 17" in run.message
    assert not LearningResource.objects.filter(source=FAKE).exists()
    assert StoredSnapshot.objects.filter(source=FAKE).count() == 1  # kept for a replay


def test_run_finished_is_sent_once_per_settled_run(configure):
    configure(courses=[course(1)])
    received = []

    def listen(sender, run, **kwargs):
        received.append((run.pk, run.status))

    run_finished.connect(listen, dispatch_uid="t2")
    try:
        run = run_import(FAKE)
    finally:
        run_finished.disconnect(dispatch_uid="t2")
    assert received == [(run.pk, S.SUCCEEDED)]


@pytest.mark.django_db(transaction=True)
def test_index_updates_go_out_as_each_batch_commits_not_at_the_end(configure, monkeypatch):
    from catalog.signals import resources_changed

    monkeypatch.setattr("catalog.loader.core.BATCH_SIZE", 5)
    monkeypatch.setattr("catalog.loader.core.READ_BATCHES", 1)
    configure(courses=[course(n) for n in range(12)])
    seen = []

    def listen(sender, changed_ids, removed_ids, **kwargs):
        # What another connection can see when the signal arrives: the batch is committed, later ones are not.
        seen.append((len(changed_ids), LearningResource.objects.filter(source=FAKE).count()))

    resources_changed.connect(listen, dispatch_uid="per-batch")
    try:
        run = run_import(FAKE)
    finally:
        resources_changed.disconnect(dispatch_uid="per-batch")
    assert run.status == S.SUCCEEDED
    assert seen == [(5, 5), (5, 10), (2, 12)]


def test_every_default_schedule_names_a_function_that_exists_and_the_sweep_runs_from_it():
    from django.utils.module_loading import import_string

    from django_q.models import Schedule

    from cms.tasks import ensure_default_schedules

    ensure_default_schedules()
    names = set(Schedule.objects.values_list("name", flat=True))
    assert {"importers:sweep_stale_runs", "wagtail:publish_scheduled"} <= names
    for schedule in Schedule.objects.all():
        assert callable(import_string(schedule.func)), schedule.name
    sweep = Schedule.objects.get(name="importers:sweep_stale_runs")
    assert sweep.cluster == "default" and sweep.minutes == 1
    assert set(import_string(sweep.func)()) == {"dead", "resumed", "temp_removed"}


@pytest.mark.django_db(transaction=True)
def test_an_interrupted_run_frees_its_source_even_if_the_signal_broke_the_connection(configure, monkeypatch):
    from django.db import InterfaceError

    from importers import runner
    from importers.interrupts import ImportInterrupted

    configure(courses=[course(1)])

    def interrupted(*args, **kwargs):
        raise ImportInterrupted("SIGTERM")

    real_release, calls = runner.release_lock, []

    def release_once_broken(lock):
        calls.append(lock.source)
        if len(calls) == 1:
            raise InterfaceError("connection already closed")
        real_release(lock)

    monkeypatch.setattr(runner.RecordSpool, "extend", interrupted)
    monkeypatch.setattr(runner, "release_lock", release_once_broken)
    with pytest.raises(ImportInterrupted):
        run_import(FAKE, trigger="cli")
    run = ImportRun.objects.get(source=FAKE)
    assert run.status == S.FAILED and run.message.startswith("interrupted by SIGTERM")
    assert not ImportLock.objects.exists() and len(calls) == 2
