"""Embedding jobs: incremental by `updated_at`, removals, failures recorded and retried, the command and admin.

The jobs run against the configured store (a Qdrant server when QDRANT_URL is set, under a throwaway prefix; else
the embedded store) and against the Qdrant-server store over qdrant-client's in-process mode.
"""

import io
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

import numpy as np
import pytest
from django_q.models import Schedule

from catalog.factories import ContentFileFactory, CourseFactory, OfferorFactory, VideoFactory
from catalog.models import LearningResource
from cms.tasks import ensure_core_schedules
from search.models import EmbeddingRun
from search.vectors import jobs, stores
from search.vectors.encoders import EncoderError
from search.vectors.index import CHUNKS, RESOURCES
from search.vectors.stores import EmbeddedVectorStore, QdrantServerStore, VectorStoreError, get_vector_store

from .test_vectors_index import HashEncoder

pytestmark = pytest.mark.django_db

LONG_NOTES = "Week 1\n\n" + "Limits, continuity and the derivative. " * 300


@pytest.fixture(params=["configured", "qdrant-local"])
def store(request, tmp_path):
    """A fresh store, installed as the one `get_vector_store()` returns (jobs, tasks and the command use it)."""
    if request.param == "qdrant-local":
        from qdrant_client import QdrantClient

        store = QdrantServerStore(client=QdrantClient(location=":memory:"), prefix="t")
    elif settings.QDRANT_URL:
        store = QdrantServerStore(settings.QDRANT_URL, settings.QDRANT_API_KEY, prefix=f"t{uuid.uuid4().hex[:8]}")
    else:
        store = EmbeddedVectorStore(tmp_path / "qdrant")
    # Not through `monkeypatch`: tests call `monkeypatch.undo()` to end a simulated outage.
    previous, stores._store = stores._store, store
    yield store
    stores._store = previous
    if isinstance(store, QdrantServerStore):
        for name in (RESOURCES, CHUNKS):
            store.drop(name)
    else:
        store.close()


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
    assert first.encoder == "hash (16d)" and first.store == type(get_vector_store()).__name__


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


def test_a_republished_resource_gets_the_chunks_of_its_unchanged_files_back(store):
    course, other = CourseFactory(), CourseFactory()
    ContentFileFactory(resource=course, content=LONG_NOTES)
    ContentFileFactory(resource=other, content=LONG_NOTES)
    run()
    chunks = store.count(CHUNKS, {"resource_id": course.pk})
    assert chunks > 1

    course.published = False
    course.save()
    run()
    assert store.count(CHUNKS, {"resource_id": course.pk}) == 0

    course.published = True
    course.save()
    back = run()
    assert (back.resources_embedded, back.files_embedded, back.chunks_embedded) == (1, 1, chunks)
    assert store.count(CHUNKS, {"resource_id": course.pk}) == chunks
    assert store.count(CHUNKS) == 2 * chunks  # the other course's files were left alone


def test_a_resource_facet_change_reaches_its_chunks_without_embedding_them_again(store):
    course = CourseFactory(offered_by=OfferorFactory(code="mitx"))
    ContentFileFactory(resource=course, content=LONG_NOTES)
    ContentFileFactory(resource=course, content="Problem set 1.")
    run()
    chunks = store.count(CHUNKS, {"resource_id": course.pk})

    course.offered_by = OfferorFactory(code="ocw")
    course.save()
    later = run()

    assert (later.resources_embedded, later.files_embedded, later.chunks_embedded) == (1, 0, 0)
    assert store.count(CHUNKS, {"offered_by": "ocw"}) == chunks
    assert store.count(CHUNKS, {"offered_by": "mitx"}) == 0
    hits = store.search(CHUNKS, np.ones(16, np.float32), limit=100, filters={"offered_by": ["ocw"]})
    assert len(hits) == chunks
    assert {hit.payload["offered_by"] for hit in hits} == {"ocw"}
    assert all(hit.payload["text"] and hit.payload["content_file_id"] for hit in hits)  # the rest is kept


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


class FailingEncoder(HashEncoder):
    def encode(self, texts):
        raise EncoderError("embeddings API answered 503 Service Unavailable")


def test_a_failing_encoder_fails_the_run_and_the_next_run_embeds_the_same_items(store):
    CourseFactory()
    good = run()
    course = CourseFactory(title="Added while the encoder was down")
    ContentFileFactory(resource=course, content=LONG_NOTES)

    with pytest.raises(EncoderError, match="503"):
        jobs.run_embedding_job("changed", trigger="test", encoder=FailingEncoder())
    failed = EmbeddingRun.objects.get(status=EmbeddingRun.Status.FAILED)
    assert failed.error == "EncoderError: embeddings API answered 503 Service Unavailable"
    assert failed.finished_at and failed.since == good.started_at
    assert failed.resources_embedded == failed.files_embedded == 0
    assert course.pk not in resource_ids(store)

    retried = run()
    assert retried.since == good.started_at  # from the last successful run, not the failed one
    assert (retried.resources_embedded, retried.files_embedded) == (1, 1)
    assert course.pk in resource_ids(store)
    assert store.count(CHUNKS, {"resource_id": course.pk}) == retried.chunks_embedded > 1


def test_a_running_job_blocks_a_second_one_until_abandoned(store):
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


def test_embed_command_reports_counts_and_fails_clearly(store, monkeypatch):
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


def test_a_job_whose_process_died_never_blocks_the_next_one(store):
    import socket
    import subprocess

    child = subprocess.Popen(["true"])
    child.wait()
    dead = EmbeddingRun.objects.create(status=EmbeddingRun.Status.RUNNING, owner=f"{socket.gethostname()}:{child.pid}")
    silent = EmbeddingRun.objects.create(
        status=EmbeddingRun.Status.RUNNING,
        owner="another-host:1",
        heartbeat_at=timezone.now() - jobs.STALE_AFTER - timedelta(minutes=1),
    )
    alive = EmbeddingRun.objects.create(
        status=EmbeddingRun.Status.RUNNING, owner="another-host:2", heartbeat_at=timezone.now()
    )
    assert sorted(jobs.fail_abandoned_runs()) == [dead.pk, silent.pk]
    dead.refresh_from_db()
    silent.refresh_from_db()
    assert "is gone" in dead.error and "no sign of life" in silent.error
    with pytest.raises(jobs.EmbeddingJobBusy, match=f"run {alive.pk}"):
        run()
    EmbeddingRun.objects.filter(pk=alive.pk).update(status=EmbeddingRun.Status.SUCCEEDED)
    done = run()
    assert done.status == EmbeddingRun.Status.SUCCEEDED and done.owner and done.heartbeat_at
