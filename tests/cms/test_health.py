"""Health endpoints: JSON with a status and per-check timing; 200 when healthy, 503 naming what failed."""

from django.db import connections
from django.test import override_settings
from django.utils import timezone

import pytest

from cms.models import WorkerHeartbeat

pytestmark = pytest.mark.django_db

ENDPOINTS = ["/health/startup/", "/health/liveness/", "/health/readiness/", "/health/full/"]


@pytest.fixture
def alive_workers(db):
    for queue in ("default", "content", "embeddings"):
        WorkerHeartbeat.objects.create(queue=queue, seen_at=timezone.now())


@pytest.mark.parametrize("url", ENDPOINTS)
def test_healthy_endpoints_answer_200_with_timed_checks(client, url, alive_workers):
    response = client.get(url)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "ok"
    assert body["failing"] == []
    assert body["checks"]
    for name, check in body["checks"].items():
        assert check["status"] in {"ok", "skipped"}, name
        assert isinstance(check["ms"], float | int)
    assert response["Cache-Control"].startswith("max-age=0")


def test_each_endpoint_runs_its_own_checks(client, alive_workers):
    assert set(client.get("/health/startup/").json()["checks"]) == {"migrations", "database", "cache"}
    assert set(client.get("/health/liveness/").json()["checks"]) == {"database"}
    assert set(client.get("/health/readiness/").json()["checks"]) == {"database", "cache", "broker"}
    full = client.get("/health/full/").json()["checks"]
    assert set(full) == {
        "migrations",
        "database",
        "cache",
        "broker",
        "cluster",
        "opensearch",
        "qdrant",
        "tika",
        "s3",
    }
    # Unconfigured production services are reported as the embedded default, not as failures.
    assert full["opensearch"] == {
        "status": "skipped",
        "detail": "embedded database search engine",
        "ms": full["opensearch"]["ms"],
    }


@override_settings(
    CACHES={
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2},
        }
    }
)
def test_unreachable_cache_gives_503_naming_the_cache(client):
    from django.core.cache import caches

    caches._settings = None  # drop cached cache objects so the override takes effect
    try:
        response = client.get("/health/readiness/")
    finally:
        caches._settings = None
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["failing"] == ["cache"]
    assert "ConnectionError" in body["checks"]["cache"]["error"]
    assert body["checks"]["database"]["status"] == "ok"


def test_unreachable_database_gives_503_naming_the_database(client, monkeypatch):
    from django.db.utils import OperationalError

    connection = connections["default"]

    def refuse(*args, **kwargs):
        raise OperationalError("connection refused (simulated outage)")

    monkeypatch.setattr(connection, "cursor", refuse)
    response = client.get("/health/liveness/")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["database"]
    assert "connection refused" in body["checks"]["database"]["error"]


def test_full_reports_missing_worker_heartbeat(client):
    response = client.get("/health/full/")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["cluster"]
    assert "qcluster" in body["checks"]["cluster"]["error"]


def test_stale_heartbeat_is_a_failure(client):
    WorkerHeartbeat.objects.create(queue="default", seen_at=timezone.now() - timezone.timedelta(hours=1))
    assert client.get("/health/full/").status_code == 503


@override_settings(
    OPENSEARCH_URL="http://127.0.0.1:1", QDRANT_URL="http://127.0.0.1:1", TIKA_SERVER_URL="http://127.0.0.1:1"
)
def test_configured_but_unreachable_services_fail_full_without_raising(client, alive_workers):
    response = client.get("/health/full/")
    assert response.status_code == 503
    assert set(response.json()["failing"]) == {"opensearch", "qdrant", "tika"}


def test_configured_service_answering_is_ok(client, alive_workers, httpserver):
    httpserver.expect_request("/version").respond_with_data("Apache Tika 3.2.0")
    httpserver.expect_request("/readyz").respond_with_data("all shards are ready")
    with override_settings(TIKA_SERVER_URL=httpserver.url_for("/"), QDRANT_URL=httpserver.url_for("/")):
        body = client.get("/health/full/").json()
    assert body["checks"]["tika"] == {
        "status": "ok",
        "detail": "Apache Tika 3.2.0",
        "ms": body["checks"]["tika"]["ms"],
    }
    assert body["checks"]["qdrant"]["status"] == "ok"


@pytest.fixture
def s3_server():
    """A real S3 protocol endpoint on 127.0.0.1 (moto's threaded server)."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def test_s3_bucket_check_over_http(client, alive_workers, s3_server, settings):
    import boto3

    settings.AWS_STORAGE_BUCKET_NAME = "learnhub-health"
    settings.AWS_S3_ENDPOINT_URL = s3_server
    settings.AWS_S3_REGION_NAME = "us-east-1"
    settings.AWS_ACCESS_KEY_ID = "testing"
    settings.AWS_SECRET_ACCESS_KEY = "testing"
    missing = client.get("/health/full/").json()
    assert missing["failing"] == ["s3"]

    boto3.client(
        "s3",
        endpoint_url=s3_server,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    ).create_bucket(Bucket="learnhub-health")
    present = client.get("/health/full/")
    assert present.status_code == 200
    assert present.json()["checks"]["s3"]["detail"] == "bucket learnhub-health"
