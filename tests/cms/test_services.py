"""The production services for real: Redis (cache and django-q2 broker) and S3 (media and import snapshots).

Settings come from the branches of cms/settings/base.py that production takes: a fresh process imports
cms.settings.production with REDIS_URL or AWS_* set and prints what it built, and this process then runs with
exactly those values (override_settings), or the subprocesses run with them themselves (qcluster workers).
Redis tests use database 15 on 127.0.0.1:6379 (or TEST_REDIS_URL: CI runs its two legs at once, each with its own
database), flushed before and after, and are skipped when no Redis answers;
S3 tests run against moto's threaded server over real HTTP on 127.0.0.1.
"""

import ast
import os
import signal
import subprocess
import sys
import time

from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage, storages
from django.test import override_settings

import httpx
import pytest

from tests.cms.test_settings import GOOD_SECRET, run_manage
from tests.cms.test_tasks import database_url_of_test_database
from tests.conftest import REPO_ROOT

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
PRODUCTION = {"SECRET_KEY": GOOD_SECRET, "ALLOWED_HOSTS": "learn.example.org"}


def production_settings(tmp_path, *names, **env) -> dict:
    """{name: value} of the named settings as cms.settings.production builds them from `env` in a fresh process."""
    code = f"from django.conf import settings; print(repr({{n: getattr(settings, n) for n in {names!r}}}))"
    result = run_manage(
        "shell",
        "--no-imports",
        "-c",
        code,
        settings="cms.settings.production",
        DATABASE_URL=f"sqlite:///{tmp_path / 'settings.sqlite3'}",
        **PRODUCTION,
        **env,
    )
    assert result.returncode == 0, result.stderr
    return ast.literal_eval(result.stdout.strip().splitlines()[-1])


# --- Redis ----------------------------------------------------------------------------------------------------------


@pytest.fixture
def redis_db():
    """A client of the test Redis database, flushed before and after; skips when no Redis answers there."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as exc:
        pytest.skip(f"no Redis server at {REDIS_URL} ({exc}); start one to test the Redis cache and broker")
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def redis_cache(redis_db, tmp_path):
    """This process's cache set up exactly as production builds it from REDIS_URL."""
    built = production_settings(tmp_path, "CACHES", REDIS_URL=REDIS_URL)
    assert built["CACHES"]["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    with override_settings(CACHES=built["CACHES"]):
        yield redis_db


def test_redis_cache_set_get_and_delete(redis_cache):
    cache.set("greeting", {"hello": "world"}, 60)
    assert cache.get("greeting") == {"hello": "world"}
    # Stored in the test Redis database under the project's key prefix, so other processes share it.
    assert redis_cache.exists("learnhub:1:greeting")
    assert 0 < redis_cache.ttl("learnhub:1:greeting") <= 60
    assert cache.add("greeting", "other") is False
    cache.delete("greeting")
    assert cache.get("greeting") is None
    assert not redis_cache.exists("learnhub:1:greeting")


@pytest.mark.django_db
def test_redis_cache_invalidation_is_seen_by_another_process(redis_cache, tmp_path):
    """The search browse cache is forgotten by bumping a version key; with Redis every process sees the bump."""
    from search.engines.database import browse_version, index_changed

    before = browse_version()
    index_changed()
    after = browse_version()
    assert after > before
    code = "from search.engines.database import browse_version; print(browse_version())"
    result = run_manage(
        "shell",
        "--no-imports",
        "-c",
        code,
        settings="cms.settings.production",
        DATABASE_URL=f"sqlite:///{tmp_path / 'other.sqlite3'}",
        REDIS_URL=REDIS_URL,
        **PRODUCTION,
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.strip().splitlines()[-1]) == after


def test_readiness_checks_the_redis_cache_and_broker_settings(redis_cache, tmp_path):
    """REDIS_URL makes Redis both the cache and the django-q2 broker."""
    built = production_settings(tmp_path, "Q_CLUSTER", REDIS_URL=REDIS_URL)
    assert built["Q_CLUSTER"]["redis"] == REDIS_URL
    assert "orm" not in built["Q_CLUSTER"]
    from cms.health import check_cache

    assert check_cache() == "RedisCache"


@pytest.mark.slow
def test_django_q2_redis_broker_end_to_end_on_every_queue(redis_db, transactional_db, tmp_path):
    """Tasks queued through cms.tasks.enqueue wait in Redis, one real qcluster per queue works them off, and the
    results are stored in the database."""
    from django_q.models import Task

    from cms.models import WorkerHeartbeat

    queues = ("default", "content", "embeddings")
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        "DJANGO_SETTINGS_MODULE": "cms.settings.production",
        "DATABASE_URL": database_url_of_test_database(),
        "REDIS_URL": REDIS_URL,
        "Q_WORKERS": "1",
        **PRODUCTION,  # task packages are signed with SECRET_KEY: producer and workers share it
    }
    enqueue = (
        "from cms.tasks import enqueue; "
        f"print(' '.join(enqueue('cms.tasks.record_heartbeat', q, queue=q) for q in {queues!r}))"
    )
    queued = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", enqueue],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert queued.returncode == 0, queued.stderr
    task_ids = dict(zip(queues, queued.stdout.strip().splitlines()[-1].split(), strict=True))
    for queue in queues:  # waiting in Redis, one list per queue, nothing run yet
        assert redis_db.llen(f"django_q:{queue}:q") == 1
    assert not Task.objects.exists()

    workers = {}
    try:
        for queue in queues:
            log = open(tmp_path / f"qcluster-{queue}.log", "wb")  # noqa: SIM115  (closed with the process)
            workers[queue] = (
                subprocess.Popen(
                    [sys.executable, "manage.py", "qcluster"],
                    cwd=REPO_ROOT,
                    env={**env, "Q_CLUSTER_NAME": queue},
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                ),
                log,
            )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and Task.objects.filter(pk__in=task_ids.values()).count() < len(queues):
            time.sleep(0.5)
        logs = "".join((tmp_path / f"qcluster-{q}.log").read_text(errors="replace")[-2000:] for q in queues)
        results = {task.pk: task for task in Task.objects.filter(pk__in=task_ids.values())}
        assert set(results) == set(task_ids.values()), logs
        for queue, task_id in task_ids.items():
            task = results[task_id]
            assert task.success, (queue, task.result)
            assert task.cluster == queue  # each queue was served by its own cluster
            assert task.func == "cms.tasks.record_heartbeat"
        assert set(WorkerHeartbeat.objects.values_list("queue", flat=True)) == set(queues)
        for queue in queues:
            assert redis_db.llen(f"django_q:{queue}:q") == 0
    finally:
        for process, _ in workers.values():
            os.killpg(process.pid, signal.SIGTERM)
        for process, log in workers.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
            log.close()


# --- S3 -------------------------------------------------------------------------------------------------------------

BUCKET = "learnhub-media"


@pytest.fixture
def s3(tmp_path):
    """moto's S3 over HTTP on 127.0.0.1 with the bucket created, and this process's storages set up exactly as
    production builds them from AWS_*; yields a boto3 client of the bucket's server."""
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    aws = {
        "AWS_STORAGE_BUCKET_NAME": BUCKET,
        "AWS_S3_ENDPOINT_URL": f"http://{host}:{port}",
        "AWS_S3_REGION_NAME": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }
    names = (
        "STORAGES",
        "AWS_STORAGE_BUCKET_NAME",
        "AWS_S3_REGION_NAME",
        "AWS_S3_ENDPOINT_URL",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_S3_CUSTOM_DOMAIN",
        "AWS_DEFAULT_ACL",
        "AWS_S3_FILE_OVERWRITE",
        "AWS_QUERYSTRING_AUTH",
    )
    built = production_settings(tmp_path, *names, **aws)
    assert built["STORAGES"]["default"]["BACKEND"] == "storages.backends.s3.S3Storage"
    assert built["STORAGES"]["snapshots"]["BACKEND"] == "storages.backends.s3.S3Storage"
    client = boto3.client(
        "s3",
        endpoint_url=aws["AWS_S3_ENDPOINT_URL"],
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    # moto keeps its state per process, across servers: start from an empty account.
    httpx.post(f"{aws['AWS_S3_ENDPOINT_URL']}/moto-api/reset").raise_for_status()
    client.create_bucket(Bucket=BUCKET)
    # Test settings serve static files from the app folders; only media and snapshots move to S3.
    built["STORAGES"]["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    try:
        with override_settings(**built):
            yield client
    finally:
        server.stop()


def keys(client, prefix="") -> list[str]:
    listing = client.list_objects_v2(Bucket=BUCKET, Prefix=prefix)
    return sorted(item["Key"] for item in listing.get("Contents", []))


def test_media_storage_writes_and_reads_s3(s3):
    name = default_storage.save("uploads/hello.txt", ContentFile(b"hello from learnhub"))
    assert keys(s3, "uploads/") == [name]
    assert s3.get_object(Bucket=BUCKET, Key=name)["Body"].read() == b"hello from learnhub"
    with default_storage.open(name, "rb") as handle:
        assert handle.read() == b"hello from learnhub"
    # AWS_S3_FILE_OVERWRITE=False: a second file of the same name gets a new name, the first is kept.
    second = default_storage.save("uploads/hello.txt", ContentFile(b"again"))
    assert second != name and len(keys(s3, "uploads/")) == 2
    assert default_storage.url(name).startswith(f"{s3.meta.endpoint_url}/{BUCKET}/uploads/")
    default_storage.delete(name)
    assert keys(s3, "uploads/") == [second]


@pytest.mark.django_db
def test_wagtail_image_and_rendition_live_on_s3(s3):
    from tests.cms.factories import ImageFactory

    image = ImageFactory(title="On S3")
    assert keys(s3, "original_images/") == [image.file.name]
    rendition = image.get_rendition("fill-40x30")
    assert (rendition.width, rendition.height) == (40, 30)
    assert rendition.file.name in keys(s3, "images/")
    body = s3.get_object(Bucket=BUCKET, Key=rendition.file.name)["Body"].read()
    assert body[:8] == b"\x89PNG\r\n\x1a\n" or body[:3] == b"\xff\xd8\xff"


@pytest.mark.django_db
def test_import_snapshots_are_stored_and_read_on_s3(s3):
    from importers.snapshots import SnapshotStore
    from importers.sources.base import SnapshotDocument

    store = SnapshotStore()
    assert type(store.storage).__name__ == "S3Storage"
    documents = [
        SnapshotDocument("courses.json", b'{"results": []}', content_type="application/json"),
        SnapshotDocument("more/page 2.json", b'{"results": [1]}', content_type="application/json"),
    ]
    stored, created = store.store("ocw", documents)
    assert created and stored.document_count == 2
    # Under the snapshots storage's own prefix, apart from media.
    assert keys(s3, "snapshots/") == sorted(f"snapshots/{entry['file']}" for entry in stored.documents)
    loaded = store.load(stored)
    assert [(d.name, d.content) for d in loaded.documents] == [(d.name, d.content) for d in documents]
    # The same documents again are recognised by checksum and not stored twice.
    again, created = store.store("ocw", documents)
    assert (again.pk, created) == (stored.pk, False)
    assert len(keys(s3, "snapshots/")) == 2
    # A changed object in the bucket is caught by the checksum.
    s3.put_object(Bucket=BUCKET, Key=f"snapshots/{stored.documents[0]['file']}", Body=b"tampered")
    from importers.errors import SnapshotError

    with pytest.raises(SnapshotError, match="does not match its checksum"):
        store.load(stored)


@pytest.mark.django_db
def test_an_import_run_keeps_its_snapshot_on_s3(s3):
    """A whole run (runner → SnapshotStore → loader) with the snapshot storage on S3, then a replay read back."""
    from catalog.models import LearningResource
    from importers import registry
    from importers.models import ImportRun
    from importers.runner import run_import
    from tests.importers.fakes import FAKE, FakeCourses, course, courses_json

    registry.register(FakeCourses)
    try:
        run = run_import(FAKE, content=courses_json([course(1), course(2)]), document_name="courses.json")
        assert run.status == ImportRun.Status.SUCCEEDED, run.message
        assert keys(s3, "snapshots/") == [f"snapshots/{run.snapshot.documents[0]['file']}"]
        LearningResource.objects.filter(source=FAKE).delete()
        replay = run_import(FAKE, snapshot_id=run.snapshot_id, replay=True)
        assert replay.status == ImportRun.Status.SUCCEEDED, replay.message
        assert LearningResource.objects.filter(source=FAKE).count() == 2
    finally:
        registry.unregister(FAKE)
    assert storages["snapshots"].exists(run.snapshot.documents[0]["file"])
