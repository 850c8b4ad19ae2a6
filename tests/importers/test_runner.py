"""The runner end to end with a fake source and the real catalogue loader."""

from datetime import timedelta

from django.utils import timezone

import pytest

from catalog.models import LearningResource
from importers.errors import ImportLocked, SourceNotFound
from importers.locks import acquire_lock, release_lock
from importers.models import ImportLock, ImportRun, StoredSnapshot
from importers.review import reject_run
from importers.runner import run_import
from importers.tasks import approve_run

from .fakes import FAKE, course, courses_json

pytestmark = pytest.mark.django_db

S = ImportRun.Status


def titles():
    return dict(LearningResource.objects.filter(source=FAKE).values_list("source_id", "title"))


def test_first_run_creates_and_records_everything(configure):
    configure(courses=[course(1), course(2), course(3)])
    run = run_import(FAKE)
    assert run.status == S.SUCCEEDED, run.message
    assert (run.created, run.updated, run.unchanged, run.failed, run.records) == (3, 0, 0, 0, 3)
    assert run.snapshot is not None and run.snapshot.size > 0 and len(run.snapshot_sha256) == 64
    assert run.finished_at >= run.started_at
    assert set(run.timings) >= {"fetch", "load", "total"}
    assert titles() == {"C00001": "Course 1", "C00002": "Course 2", "C00003": "Course 3"}
    assert not ImportLock.objects.exists()


def test_unchanged_snapshot_is_skipped(configure):
    configure(courses=[course(1)])
    first = run_import(FAKE)
    second = run_import(FAKE)
    assert second.status == S.SKIPPED
    assert f"run #{first.pk}" in second.message and "unchanged" in second.message
    assert second.snapshot_id == first.snapshot_id
    assert StoredSnapshot.objects.filter(source=FAKE).count() == 1


def test_force_imports_an_unchanged_snapshot(configure):
    configure(courses=[course(1)])
    run_import(FAKE)
    forced = run_import(FAKE, force=True)
    assert forced.status == S.SUCCEEDED
    assert forced.unchanged == 1 and forced.created == 0


def test_changed_source_updates_and_unpublishes(configure):
    configure(courses=[course(1), course(2), course(3), course(4)])
    run_import(FAKE)
    configure(courses=[course(1, title="Renamed"), course(2), course(3)])
    run = run_import(FAKE)
    assert run.status == S.SUCCEEDED, run.message
    assert (run.updated, run.unchanged, run.unpublished) == (1, 2, 1)
    assert not LearningResource.objects.get(source=FAKE, source_id="C00004").published


def test_bad_records_are_reported_and_others_load(configure):
    configure(courses=[course(1), {"id": "C2", "title": ""}, course(3)])
    run = run_import(FAKE)
    assert run.status == S.SUCCEEDED
    assert run.created == 2 and run.failed == 1 and run.error_count == 1
    assert run.errors[0]["source_id"] == "C2" and run.errors[0]["field"] == "title"


def test_extract_failure_fails_the_run_and_changes_nothing(configure):
    configure(courses=[course(1)])
    run_import(FAKE)
    configure(courses=[course(1, title="New")], fail_extract=True)
    run = run_import(FAKE)
    assert run.status == S.FAILED
    assert "source is down" in run.message
    assert titles() == {"C00001": "Course 1"}
    assert not ImportLock.objects.exists()


def test_unreadable_document_fails_with_where(configure, tmp_path):
    path = tmp_path / "courses.json"
    path.write_bytes(b'{"results": [{"id": 1, "title": "x"},')
    run = run_import(FAKE, file=str(path))
    assert run.status == S.FAILED
    assert "invalid JSON" in run.message and "courses.json" in run.message and "line 1" in run.message


def test_non_utf8_document_fails_clearly(configure, tmp_path):
    path = tmp_path / "courses.json"
    path.write_bytes('{"results": [{"id": "1", "title": "Caf\u00e9"}]}'.encode("latin-1"))
    run = run_import(FAKE, file=str(path))
    assert run.status == S.FAILED
    assert "not valid utf-8" in run.message and "courses.json" in run.message


def test_crash_mid_load_leaves_catalogue_unchanged_and_next_run_completes(configure, monkeypatch):
    # Batches of 20: two batches are written before the source blows up at record 50.
    monkeypatch.setattr("catalog.loader.core.BATCH_SIZE", 20)
    configure(courses=[course(n) for n in range(60)])
    baseline = run_import(FAKE)
    assert baseline.created == 60
    configure(courses=[course(n, title=f"New {n}") for n in range(60)], explode_after=50)
    crashed = run_import(FAKE)
    assert crashed.status == S.FAILED and "boom after 50" in crashed.message
    assert LearningResource.objects.filter(source=FAKE, title__startswith="New").count() == 0
    assert LearningResource.objects.filter(source=FAKE, published=True).count() == 60

    configure(explode_after=None)
    recovered = run_import(FAKE)  # the same snapshot: not skipped, because the crashed run did not succeed
    assert recovered.status == S.SUCCEEDED
    assert recovered.updated == 60
    assert LearningResource.objects.filter(source=FAKE, title__startswith="New").count() == 60


def test_dry_run_writes_nothing_and_shows_the_diff(configure):
    configure(courses=[course(1), course(2)])
    run_import(FAKE)
    configure(courses=[course(1, title="Renamed"), course(3)])
    run = run_import(FAKE, dry_run=True)
    assert run.status == S.SUCCEEDED and run.dry_run
    assert (run.created, run.updated, run.unpublished) == (1, 1, 1)
    assert [item["source_id"] for item in run.diff["would_create"]] == ["C00003"]
    assert run.diff["would_update"][0]["source_id"] == "C00001"
    assert run.diff["would_unpublish"]
    assert titles() == {"C00001": "Course 1", "C00002": "Course 2"}
    assert LearningResource.objects.filter(source=FAKE, published=True).count() == 2
    # A dry run does not count as imported: the next real run of this snapshot is not skipped.
    assert run_import(FAKE).status == S.SUCCEEDED


def test_shrunk_snapshot_needs_review_then_approve_unpublishes(configure):
    configure(courses=[course(n) for n in range(10)])
    run_import(FAKE)
    configure(courses=[course(0)])
    review = run_import(FAKE)
    assert review.status == S.NEEDS_REVIEW
    assert "guard" in review.message and review.unpublished == 0
    assert LearningResource.objects.filter(source=FAKE, published=True).count() == 10
    # The same snapshot again waits for the review instead of tripping the guard again.
    again = run_import(FAKE)
    assert again.status == S.SKIPPED and "awaiting review" in again.message

    approve_run(review, enqueue=True)  # test settings run tasks inline
    approved = ImportRun.objects.get(replay_of=review)
    assert approved.status == S.SUCCEEDED and approved.force
    assert approved.snapshot_id == review.snapshot_id
    assert approved.unpublished == 9
    review.refresh_from_db()
    assert review.reviewed_at is not None


def test_reject_keeps_catalogue_and_skips_same_snapshot(configure):
    configure(courses=[course(n) for n in range(10)])
    run_import(FAKE)
    configure(courses=[])
    review = run_import(FAKE)
    assert review.status == S.NEEDS_REVIEW
    reject_run(review, note="feed was empty")
    review.refresh_from_db()
    assert review.status == S.REJECTED and "feed was empty" in review.message
    assert run_import(FAKE).status == S.SKIPPED
    assert LearningResource.objects.filter(source=FAKE, published=True).count() == 10
    with pytest.raises(Exception, match="not awaiting review"):
        reject_run(review)


def test_replay_an_older_snapshot(configure):
    configure(courses=[course(1, title="Old")])
    old = run_import(FAKE)
    configure(courses=[course(1, title="New")])
    run_import(FAKE)
    assert titles() == {"C00001": "New"}
    replayed = run_import(FAKE, snapshot_id=old.snapshot_id, replay=True)
    assert replayed.status == S.SUCCEEDED and replayed.updated == 1
    assert titles() == {"C00001": "Old"}


def test_replay_refuses_missing_or_foreign_snapshot(configure):
    run = run_import(FAKE, snapshot_id=999999, replay=True)
    assert run.status == S.FAILED and "does not exist" in run.message
    other = StoredSnapshot.objects.create(source="other", sha256="0" * 64, path="other/x")
    run = run_import(FAKE, snapshot_id=other.pk, replay=True)
    assert run.status == S.FAILED and "belongs to 'other'" in run.message


def test_import_from_file(configure, tmp_path):
    path = tmp_path / "export.json"
    path.write_bytes(courses_json([course(7)]))
    # A single file is named by the source's default document name when it is given as bytes, and by its
    # file name when given as a path; the fake source reads "courses.json".
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "courses.json").write_bytes(courses_json([course(7)]))
    run = run_import(FAKE, file=str(tmp_path / "dir"))
    assert run.status == S.SUCCEEDED and run.created == 1
    assert run.snapshot.origin == StoredSnapshot.Origin.FILE


def test_unknown_source_raises():
    with pytest.raises(SourceNotFound, match="registered sources"):
        run_import("nope")


def test_concurrent_cli_run_is_refused_with_who_holds_the_source(configure):
    configure(courses=[course(1)])
    holder = ImportRun.objects.create(source=FAKE)
    lock = acquire_lock(FAKE, holder)
    with pytest.raises(ImportLocked, match=f"run #{holder.pk}"):
        acquire_lock(FAKE)
    refused = run_import(FAKE, trigger="cli")
    assert refused.status == S.SKIPPED and "already being imported" in refused.message
    assert "import_locks release" in refused.message
    assert not LearningResource.objects.filter(source=FAKE).exists()
    release_lock(lock)
    assert run_import(FAKE).status == S.SUCCEEDED


def test_expired_lock_is_taken_over_and_dead_run_marked_failed(configure):
    configure(courses=[course(1)])
    dead = ImportRun.objects.create(source=FAKE)
    ImportLock.objects.create(source=FAKE, run=dead, owner="gone:1", expires_at=timezone.now() - timedelta(seconds=1))
    run = run_import(FAKE)
    assert run.status == S.SUCCEEDED
    dead.refresh_from_db()
    assert dead.status == S.FAILED and "stopped renewing its lock" in dead.message
    assert not ImportLock.objects.exists()


def test_retention_keeps_newest_and_last_successful(configure, settings):
    settings.SNAPSHOT_RETENTION = 2
    for n in range(4):
        configure(courses=[course(1, title=f"v{n}")])
        run_import(FAKE)
    assert StoredSnapshot.objects.filter(source=FAKE).count() == 2
    # Runs of pruned snapshots keep their checksum.
    assert ImportRun.objects.filter(source=FAKE, snapshot=None).exclude(snapshot_sha256="").count() == 2


def test_warnings_from_the_source_are_recorded(configure):
    configure(courses=[course(1), "not an object"])
    run = run_import(FAKE)
    assert run.status == S.SUCCEEDED
    assert run.warnings == ["item 1 is not an object; skipped"]


def test_missing_document_is_named(configure, tmp_path):
    (tmp_path / "other.json").write_bytes(b"{}")
    run = run_import(FAKE, file=str(tmp_path))
    assert run.status == S.FAILED
    assert run.message == "snapshot of 'fakecourses' has no document 'courses.json' (documents: other.json)"
