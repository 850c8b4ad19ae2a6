"""Embedding jobs: incremental by `updated_at`, removals, failures recorded and retried, the command and admin."""

import io

from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

import numpy as np
import pytest
from django_q.models import Schedule

from catalog.factories import ContentFileFactory, CourseFactory, VideoFactory
from catalog.models import LearningResource
from cms.tasks import ensure_core_schedules
from search.models import EmbeddingRun
from search.vectors import jobs
from search.vectors.index import CHUNKS, RESOURCES
from search.vectors.stores import VectorStoreError, get_vector_store

from .test_vectors_index import HashEncoder

pytestmark = pytest.mark.django_db


@pytest.fixture
def store():
    return get_vector_store()


def run(mode="changed", **kwargs):
    return jobs.run_embedding_job(mode, trigger="test", encoder=HashEncoder(), **kwargs)


def resource_ids(store, **filters):
    return {hit.id for hit in store.search(RESOURCES, np.ones(16, np.float32), limit=100, filters=filters or None)}


def test_first_job_embeds_every_public_resource_and_file(store):
    course = CourseFactory(title="Signals and systems")
    video = VideoFactory(title="Lecture 1")
    CourseFactory(title="Hidden", hidden=True)
    CourseFactory(title="Draft", published=False)
    ContentFileFactory(resource=course, content="Fourier series. " * 50)
    ContentFileFactory(resource=course, published=False)

    first = run()

    assert first.status == EmbeddingRun.Status.SUCCEEDED and first.since is None
    assert (first.resources_embedded, first.files_embedded) == (2, 1)
    assert first.chunks_embedded == store.count(CHUNKS) >= 1
    assert resource_ids(store) == {course.pk, video.pk}
    assert first.encoder == "hash (16d)" and first.store == "EmbeddedVectorStore"


def test_next_job_costs_only_what_changed(store):
    courses = [CourseFactory(title=f"Course {n}") for n in range(12)]
    ContentFileFactory(resource=courses[0])
    first = run()
    second = run()
    assert second.since == first.started_at
    assert (second.resources_embedded, second.files_embedded, second.resources_removed) == (0, 0, 0)

    courses[3].title = "Course 3, revised"
    courses[3].save()
    third = run()
    assert (third.resources_embedded, third.files_embedded) == (1, 0)
    assert (
        store.search(RESOURCES, np.ones(16, np.float32), limit=100, filters={"resource_id": courses[3].pk})[0].payload[
            "title"
        ]
        == "Course 3, revised"
    )


def test_unpublished_resources_and_files_leave_the_store(store):
    keep, drop = CourseFactory(), CourseFactory()
    kept_file = ContentFileFactory(resource=keep, content="Kept notes.")
    ContentFileFactory(resource=drop, content="Dropped notes.")
    run()
    assert store.count(CHUNKS) == 2

    drop.published = False
    drop.save()
    kept_file.published = False
    kept_file.save()
    later = run()

    assert (later.resources_removed, later.files_removed) == (1, 1)
    assert resource_ids(store) == {keep.pk}
    assert store.count(CHUNKS) == 0


def test_deleted_resource_points_are_removed_by_task(store, django_capture_on_commit_callbacks):
    course, other = CourseFactory(), CourseFactory()
    ContentFileFactory(resource=course)
    run()
    with django_capture_on_commit_callbacks(execute=True):
        course.delete()  # test settings run the queued task inline
    assert resource_ids(store) == {other.pk}
    assert store.count(CHUNKS) == 0


def test_a_failing_store_fails_the_run_and_the_next_run_retries_the_same_changes(store, monkeypatch):
    CourseFactory()
    good = run()
    changed = CourseFactory(title="Added after the first run")

    def outage(*args, **kwargs):
        raise VectorStoreError("vector upsert failed: connection refused")

    monkeypatch.setattr(type(store), "upsert", outage)
    with pytest.raises(VectorStoreError):
        run()
    failed = EmbeddingRun.objects.get(status=EmbeddingRun.Status.FAILED)
    assert "connection refused" in failed.error and failed.finished_at
    monkeypatch.undo()

    retried = run()
    assert retried.since == good.started_at  # from the last successful run, not the failed one
    assert retried.resources_embedded == 1
    assert changed.pk in resource_ids(store)


def test_a_running_job_blocks_a_second_one_until_abandoned():
    busy = EmbeddingRun.objects.create(status=EmbeddingRun.Status.RUNNING)
    with pytest.raises(jobs.EmbeddingJobBusy, match=f"run {busy.pk}"):
        run()
    assert jobs.scheduled_embedding_job()["skipped"]
    EmbeddingRun.objects.filter(pk=busy.pk).update(started_at=busy.started_at - jobs.ABANDONED_AFTER * 2)
    assert run().status == EmbeddingRun.Status.SUCCEEDED
    busy.refresh_from_db()
    assert busy.status == EmbeddingRun.Status.FAILED and "abandoned" in busy.error


def test_all_mode_recreates_the_collections(store):
    first_course = CourseFactory()
    run()
    LearningResource.objects.filter(pk=first_course.pk).delete()  # a bulk delete sends no per-row signal
    assert first_course.pk in resource_ids(store)
    rebuilt = run("all")
    assert rebuilt.since is None and rebuilt.resources_embedded == 0
    assert resource_ids(store) == set()


def test_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="unknown embedding mode 'some'"):
        run("some")


def test_embed_command_reports_counts_and_fails_clearly(monkeypatch):
    CourseFactory(title="Machine learning")
    out = io.StringIO()
    call_command("embed", "--all", "--no-progress", stdout=out)
    assert "1 resources and 0 content files" in out.getvalue()
    assert EmbeddingRun.objects.get().trigger == "command"

    def broken(*args, **kwargs):
        raise VectorStoreError("vector upsert failed: disk full")

    monkeypatch.setattr(jobs, "embed_resources", broken)
    CourseFactory(title="Another")
    with pytest.raises(CommandError, match="recorded as a failed run.*disk full"):
        call_command("embed", "--changed", "--no-progress", stdout=io.StringIO())


def test_embedding_schedule_runs_every_30_minutes_on_the_embeddings_queue():
    ensure_core_schedules()
    schedule = Schedule.objects.get(name="embeddings")
    assert (schedule.func, schedule.cluster, schedule.minutes) == (
        "search.vectors.jobs.scheduled_embedding_job",
        "embeddings",
        30,
    )


def test_admin_lists_runs_with_their_status(admin_client):
    EmbeddingRun.objects.create(status=EmbeddingRun.Status.FAILED, error="EncoderError: API down")
    ok = EmbeddingRun.objects.create(status=EmbeddingRun.Status.SUCCEEDED, resources_embedded=7)
    response = admin_client.get(reverse("search_embeddingrun_modeladmin_index"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Failed" in html and "Succeeded" in html and "API down" in html and "7 resources" in html
    inspect = admin_client.get(reverse("search_embeddingrun_modeladmin_inspect", args=[ok.pk]))
    assert inspect.status_code == 200
    assert admin_client.get(reverse("search_embeddingrun_modeladmin_create")).status_code in (302, 403)


@pytest.mark.slow
def test_a_worker_process_embeds_and_the_web_process_searches_the_same_vectors(transactional_db, settings, tmp_path):
    """Two real processes: `manage.py embed` writes, this process (the "web" one) finds the vectors."""
    import os
    import subprocess
    import sys

    from search.vectors.encoders import get_encoder
    from search.vectors.stores import EmbeddedVectorStore
    from tests.cms.test_tasks import database_url_of_test_database
    from tests.conftest import REPO_ROOT

    CourseFactory(title="Introduction to deep learning and neural networks")
    CourseFactory(title="Renaissance art history")
    web = EmbeddedVectorStore(tmp_path)
    web.replica_dir.acquire()  # this process holds replica-1, as a running web server would
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        "DJANGO_SETTINGS_MODULE": "cms.settings.dev",
        "DATABASE_URL": database_url_of_test_database(),
        "QDRANT_EDGE_PATH": str(tmp_path),
        "SECRET_KEY": settings.SECRET_KEY,
    }
    done = subprocess.run(
        [sys.executable, "manage.py", "embed", "--all", "--no-progress"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    try:
        assert done.returncode == 0, done.stderr[-2000:]
        assert "2 resources" in done.stdout
        query = get_encoder().encode(["how do neural nets learn?"])[0]
        hits = web.search(RESOURCES, query, limit=2)
        assert hits[0].payload["title"] == "Introduction to deep learning and neural networks"
    finally:
        web.close()
