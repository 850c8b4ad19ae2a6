"""/metrics: the Prometheus exposition matches the database, costs a few queries, and adds up across processes."""

import os
import subprocess
import sys
from datetime import timedelta

from django.utils import timezone

import pytest
from django_q.tasks import async_task
from prometheus_client.parser import text_string_to_metric_families

from catalog.factories import ContentFileFactory, CourseFactory
from catalog.models import ContentFile, LearningResource
from importers.models import ImportRun
from search.models import EmbeddingRun
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.django_db

S = ImportRun.Status


def scrape(client) -> dict:
    """{(sample name, frozenset of labels): value} of one scrape from loopback."""
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    return samples(response.content.decode())


def samples(text: str) -> dict:
    values = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            values[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return values


def value(values, name, **labels):
    return values.get((name, frozenset(labels.items())))


def make_run(source, status, *, seconds=10.0, dry_run=False, ago=timedelta(hours=1)):
    finished = timezone.now() - ago
    return ImportRun.objects.create(
        source=source,
        status=status,
        dry_run=dry_run,
        started_at=finished - timedelta(seconds=seconds),
        finished_at=finished if status != S.RUNNING else None,
    )


def test_import_runs_by_source_and_status(client):
    make_run("ocw", S.SUCCEEDED, seconds=30)
    make_run("ocw", S.SUCCEEDED, seconds=100)
    make_run("ocw", S.FAILED, seconds=2)
    last_failed = make_run("ocw", S.FAILED, seconds=3, ago=timedelta(minutes=5))
    make_run("mitxonline", S.NEEDS_REVIEW, seconds=700)
    make_run("mitxonline", S.RUNNING)
    make_run("mitxonline", S.SUCCEEDED, dry_run=True)  # dry runs are not imports
    make_run("edx", S.SUCCEEDED, seconds=5, ago=timedelta(days=30))  # outside the duration window

    values = scrape(client)
    counts = {
        (dict(labels)["source"], dict(labels)["status"]): v
        for (name, labels), v in values.items()
        if name == "learnhub_import_runs"
    }
    assert counts == {
        ("ocw", "succeeded"): 2,
        ("ocw", "failed"): 2,
        ("mitxonline", "needs_review"): 1,
        ("mitxonline", "running"): 1,
        ("edx", "succeeded"): 1,
    }
    assert value(
        values, "learnhub_import_run_last_finished_timestamp_seconds", source="ocw", status="failed"
    ) == pytest.approx(last_failed.finished_at.timestamp())

    # Durations of the last 7 days' finished runs, per source.
    duration = "learnhub_import_run_duration_seconds"
    assert value(values, f"{duration}_count", source="ocw") == 4
    assert value(values, f"{duration}_sum", source="ocw") == pytest.approx(135, abs=0.01)
    assert value(values, f"{duration}_bucket", source="ocw", le="5.0") == 2
    assert value(values, f"{duration}_bucket", source="ocw", le="60.0") == 3
    assert value(values, f"{duration}_bucket", source="ocw", le="300.0") == 4
    assert value(values, f"{duration}_bucket", source="mitxonline", le="300.0") == 0
    assert value(values, f"{duration}_bucket", source="mitxonline", le="900.0") == 1
    assert value(values, f"{duration}_bucket", source="mitxonline", le="+Inf") == 1
    assert value(values, f"{duration}_count", source="edx") is None


def test_resources_by_source_and_publication(client):
    CourseFactory.create_batch(3, source="ocw")
    CourseFactory(source="ocw", unpublished=True)
    CourseFactory(source="ocw", is_hidden=True)
    CourseFactory.create_batch(2, source="mitxonline")
    values = scrape(client)
    expected = {
        (source, published): LearningResource.objects.filter(source=source, published=published == "true").count()
        for source in ("ocw", "mitxonline")
        for published in ("true", "false")
    }
    assert expected == {("ocw", "true"): 3, ("ocw", "false"): 2, ("mitxonline", "true"): 2, ("mitxonline", "false"): 0}
    for (source, published), count in expected.items():
        assert value(values, "learnhub_catalog_resources", source=source, published=published) == (count or None)


def test_queue_depth_per_queue(client):
    async_task("cms.tasks.record_heartbeat", "content", cluster="content", sync=False)
    async_task("cms.tasks.record_heartbeat", "content", cluster="content", sync=False)
    async_task("cms.tasks.record_heartbeat", "embeddings", cluster="embeddings", sync=False)
    values = scrape(client)
    assert value(values, "learnhub_task_queue_depth", queue="default") == 0
    assert value(values, "learnhub_task_queue_depth", queue="content") == 2
    assert value(values, "learnhub_task_queue_depth", queue="embeddings") == 1


def test_embedding_lag_counts_changes_since_the_last_successful_job(client):
    courses = CourseFactory.create_batch(4, source="ocw")
    ContentFileFactory.create_batch(2, resource=courses[0])
    # Never embedded: everything is pending.
    values = scrape(client)
    assert value(values, "learnhub_embedding_pending", kind="resources") == 4
    assert value(values, "learnhub_embedding_pending", kind="content_files") == 2
    assert value(values, "learnhub_embedding_last_success_timestamp_seconds") == 0

    now = timezone.now()
    LearningResource.objects.update(updated_at=now - timedelta(hours=3))
    ContentFile.objects.update(updated_at=now - timedelta(hours=3))
    job = EmbeddingRun.objects.create(status=EmbeddingRun.Status.SUCCEEDED, finished_at=now - timedelta(hours=2))
    EmbeddingRun.objects.filter(pk=job.pk).update(started_at=now - timedelta(hours=2))
    EmbeddingRun.objects.create(status=EmbeddingRun.Status.FAILED)  # a later failed job changes nothing
    LearningResource.objects.filter(pk__in=[courses[1].pk, courses[2].pk]).update(updated_at=now - timedelta(hours=1))

    values = scrape(client)
    assert value(values, "learnhub_embedding_pending", kind="resources") == 2
    assert value(values, "learnhub_embedding_pending", kind="content_files") == 0
    age = value(values, "learnhub_embedding_oldest_pending_age_seconds", kind="resources")
    assert 3600 <= age < 3700
    assert value(values, "learnhub_embedding_oldest_pending_age_seconds", kind="content_files") == 0
    assert value(values, "learnhub_embedding_last_success_timestamp_seconds") == pytest.approx(
        (now - timedelta(hours=2)).timestamp(), abs=1
    )


def test_a_scrape_costs_a_few_grouped_queries_whatever_the_data(client, django_assert_max_num_queries):
    for index in range(30):
        make_run(f"source-{index % 5}", [S.SUCCEEDED, S.FAILED, S.SKIPPED][index % 3], seconds=index)
    CourseFactory.create_batch(10, source="ocw")
    # import runs 1, durations 1, resources 1, embedding lag 3, one broker count per queue (ORM broker) 3
    with django_assert_max_num_queries(9):
        scrape(client)


def test_request_latency_is_observed_by_route_method_and_status_class(client):
    key = (
        "learnhub_http_request_duration_seconds_count",
        frozenset({"view": "robots-txt", "method": "GET", "status": "2xx"}.items()),
    )
    before = scrape(client).get(key, 0)
    assert client.get("/robots.txt").status_code == 200
    assert client.get("/robots.txt").status_code == 200
    client.get("/no-such-page-anywhere/")
    values = scrape(client)
    assert values[key] == before + 2
    assert any(
        name == "learnhub_http_request_duration_seconds_count" and dict(labels)["status"] == "4xx"
        for name, labels in values
    )


def test_a_failing_family_is_reported_and_the_rest_still_served(client, monkeypatch):
    def broken(queue):
        raise ConnectionError("redis is down")

    monkeypatch.setattr("cms.metrics._broker", broken)
    CourseFactory(source="ocw")
    values = scrape(client)
    assert value(values, "learnhub_metrics_collector_up", family="queue_depth") == 0
    assert value(values, "learnhub_metrics_collector_up", family="resources") == 1
    assert value(values, "learnhub_task_queue_depth", queue="default") is None
    assert value(values, "learnhub_catalog_resources", source="ocw", published="true") == 1


@pytest.mark.slow
def test_latency_adds_up_across_processes_with_a_multiprocess_dir(tmp_path):
    """gunicorn workers are separate processes: with PROMETHEUS_MULTIPROC_DIR a scrape sees all of them."""
    environment = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        "DJANGO_SETTINGS_MODULE": "cms.settings.dev",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }

    def shell(code):
        result = subprocess.run(
            [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
            cwd=REPO_ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    # Two "workers", each serving one probe through the full middleware stack (from outside, so it is routed).
    request = (
        "from django.test import Client; "
        "print(Client().get('/health/liveness/', REMOTE_ADDR='203.0.113.7', HTTP_HOST='localhost').status_code)"
    )
    assert shell(request).strip().endswith("200")
    assert shell(request).strip().endswith("200")
    assert list(tmp_path.glob("histogram_*.db"))
    exposition = shell(
        "from prometheus_client import generate_latest; from cms.metrics import process_metrics; "
        "print(generate_latest(process_metrics()).decode())"
    )
    values = samples(exposition)
    key = frozenset({"view": "health-liveness", "method": "GET", "status": "2xx"}.items())
    assert values[("learnhub_http_request_duration_seconds_count", key)] == 2
