"""django-q2: three queues, routing by queue name, and a real qcluster process working off the ORM broker."""

import os
import signal
import subprocess
import sys
import time

from django.conf import settings

import pytest
from django_q.models import Schedule
from django_q.tasks import async_task

from cms.models import WorkerHeartbeat
from cms.tasks import enqueue, ensure_core_schedules, ensure_schedule
from tests.conftest import REPO_ROOT


def test_three_queues_are_configured():
    assert settings.TASK_QUEUES == ("default", "content", "embeddings")
    assert set(settings.Q_CLUSTER["ALT_CLUSTERS"]) == {"content", "embeddings"}
    assert settings.Q_CLUSTER["cluster_name"] == "default"


@pytest.mark.django_db
def test_enqueue_runs_the_task_in_sync_mode():
    enqueue("cms.tasks.record_heartbeat", "content", queue="content")
    assert WorkerHeartbeat.objects.get().queue == "content"


def test_enqueue_refuses_unknown_queue():
    with pytest.raises(ValueError, match="unknown task queue 'nope'"):
        enqueue("cms.tasks.record_heartbeat", queue="nope")


@pytest.mark.django_db
def test_schedules_are_created_once_and_keep_admin_edits():
    ensure_core_schedules()
    assert Schedule.objects.filter(name__startswith="heartbeat:").count() == 3
    beat = Schedule.objects.get(name="heartbeat:content")
    assert beat.cluster == "content"
    beat.minutes = 7
    beat.save()
    ensure_core_schedules()
    assert Schedule.objects.get(name="heartbeat:content").minutes == 7
    with pytest.raises(ValueError):
        ensure_schedule("bad", "cms.tasks.record_heartbeat", minutes=1, cron="* * * * *")


def database_url_of_test_database() -> str:
    from django.db import connection

    config = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{config['NAME']}"
    host = config["HOST"] or "127.0.0.1"
    auth = config["USER"] + (f":{config['PASSWORD']}" if config["PASSWORD"] else "")
    return f"postgres://{auth}@{host}:{config['PORT'] or 5432}/{config['NAME']}"


@pytest.mark.slow
def test_qcluster_process_works_off_the_broker(transactional_db):
    """A real `manage.py qcluster` process picks up a task queued on its queue through the ORM broker."""
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        "DJANGO_SETTINGS_MODULE": "cms.settings.dev",
        "DATABASE_URL": database_url_of_test_database(),
        "Q_CLUSTER_NAME": "content",
        "Q_WORKERS": "1",
        # Task packages are signed with the secret key: the worker must share the queueing process's.
        "SECRET_KEY": settings.SECRET_KEY,
    }
    async_task("cms.tasks.record_heartbeat", "content", cluster="content", sync=False)
    assert not WorkerHeartbeat.objects.exists()
    cluster = subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not WorkerHeartbeat.objects.exists():
            time.sleep(0.5)
        assert list(WorkerHeartbeat.objects.values_list("queue", flat=True)) == ["content"]
    finally:
        os.killpg(cluster.pid, signal.SIGTERM)
        try:
            cluster.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(cluster.pid, signal.SIGKILL)
