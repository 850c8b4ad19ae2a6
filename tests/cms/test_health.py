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
    assert set(client.get("/health/liveness/").json()["checks"]) == {"process"}
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
    response = client.get("/health/readiness/")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["database", "broker"]  # the embedded broker is a database table
    assert "connection refused" in body["checks"]["database"]["error"]


def test_liveness_touches_no_database_cache_or_service(client, monkeypatch, django_assert_num_queries):
    """A database or cache outage must not make the orchestrator restart every web container."""
    from django.core.cache import cache
    from django.db.utils import OperationalError

    def refuse(*args, **kwargs):
        raise OperationalError("connection refused (simulated outage)")

    monkeypatch.setattr(connections["default"], "cursor", refuse)
    monkeypatch.setattr(cache, "set", refuse)
    monkeypatch.setattr(cache, "get", refuse)
    with django_assert_num_queries(0):
        response = client.get("/health/liveness/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["process"]["status"] == "ok"
    assert body["checks"]["process"]["detail"].startswith("pid ")


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


# --- probes and operator endpoints: Host header and access ------------------------------------------------------


@override_settings(ALLOWED_HOSTS=["learn.example.org"])
@pytest.mark.parametrize("url", ["/health/startup/", "/health/liveness/", "/health/readiness/"])
def test_probes_from_loopback_answer_whatever_the_host_header(client, url):
    """A container's HEALTHCHECK calls 127.0.0.1 with Host 127.0.0.1:8000, which ALLOWED_HOSTS does not name."""
    response = client.get(url, HTTP_HOST="127.0.0.1:8000", REMOTE_ADDR="127.0.0.1")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "ok"
    assert client.get(url, HTTP_HOST="evil.example.net", REMOTE_ADDR="::1").status_code == 200


@override_settings(ALLOWED_HOSTS=["learn.example.org"])
def test_probe_from_outside_still_validates_the_host(client):
    assert client.get("/health/liveness/", HTTP_HOST="evil.example.net", REMOTE_ADDR="203.0.113.9").status_code == 400
    ok = client.get("/health/liveness/", HTTP_HOST="learn.example.org", REMOTE_ADDR="203.0.113.9")
    assert ok.status_code == 200


@override_settings(ALLOWED_HOSTS=["learn.example.org"], OPS_INTERNAL_NETWORKS=["10.20.0.0/16"])
def test_probes_from_a_configured_internal_network(client):
    """Kubernetes probes come from the node's address, not loopback: its network can be listed."""
    assert client.get("/health/liveness/", HTTP_HOST="10.20.3.4:8000", REMOTE_ADDR="10.20.0.1").status_code == 200
    assert client.get("/health/liveness/", HTTP_HOST="10.20.3.4:8000", REMOTE_ADDR="127.0.0.1").status_code == 400


def _outbound_calls(monkeypatch):
    calls = []
    import cms.health

    def record(url, **kwargs):
        calls.append(url)
        raise AssertionError("no outbound call expected")

    monkeypatch.setattr(cms.health, "_http_get", record)
    return calls


@override_settings(TIKA_SERVER_URL="http://127.0.0.1:1", OPS_TOKEN="s3cret-ops-token")
@pytest.mark.parametrize("url", ["/health/full/", "/metrics"])
@pytest.mark.parametrize(
    "headers",
    [{}, {"HTTP_AUTHORIZATION": "Bearer wrong"}, {"HTTP_AUTHORIZATION": "Basic s3cret-ops-token"}],
    ids=["no-token", "wrong-token", "wrong-scheme"],
)
def test_operator_endpoints_refuse_outsiders_before_any_check(client, monkeypatch, url, headers):
    calls = _outbound_calls(monkeypatch)
    response = client.get(url, REMOTE_ADDR="203.0.113.9", HTTP_HOST="learn.example.org", **headers)
    assert response.status_code == 403
    assert "OPS_TOKEN" in response.json()["error"]
    assert calls == []


@override_settings(OPS_TOKEN="s3cret-ops-token", ALLOWED_HOSTS=["learn.example.org"])
@pytest.mark.parametrize("url", ["/health/full/", "/metrics"])
def test_operator_endpoints_open_to_the_token_from_anywhere(client, alive_workers, url):
    response = client.get(
        url, REMOTE_ADDR="203.0.113.9", HTTP_HOST="10.0.0.5:8000", HTTP_AUTHORIZATION="Bearer s3cret-ops-token"
    )
    assert response.status_code == 200, response.content


@override_settings(OPS_TOKEN="")
def test_an_empty_token_setting_opens_nothing(client):
    response = client.get("/health/full/", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer ")
    assert response.status_code == 403


@pytest.mark.parametrize("url", ["/health/full/", "/metrics"])
def test_operator_endpoints_open_to_internal_addresses(client, alive_workers, url):
    assert client.get(url, REMOTE_ADDR="127.0.0.1").status_code == 200
    assert client.get(url, REMOTE_ADDR="::ffff:127.0.0.1").status_code == 200


@pytest.mark.parametrize("url", ["/health/full/", "/metrics"])
def test_a_proxied_request_is_not_trusted_by_address(client, url):
    """Behind a reverse proxy on the same host every client looks like 127.0.0.1; the forwarding header tells."""
    assert client.get(url, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 403
    assert client.get(url, REMOTE_ADDR="127.0.0.1", HTTP_FORWARDED="for=203.0.113.9").status_code == 403


@override_settings(OPS_INTERNAL_NETWORKS=[])
def test_no_internal_network_means_token_only(client):
    assert client.get("/health/full/", REMOTE_ADDR="127.0.0.1").status_code == 403
