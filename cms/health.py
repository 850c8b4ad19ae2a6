"""Health endpoints for orchestrators and operators.

Each endpoint runs a list of checks and answers JSON: the overall status, and per check its status, the time it
took and, on failure, the error. Every check is guarded: an endpoint reports a failure, it never raises.

Liveness says only that the process answers (no database, cache or service), so an outage of a shared service
never makes the orchestrator restart every web container; readiness takes a container out of the load balancer
instead. `/health/full/` (and `/metrics`) are for operators: they answer only a client in OPS_INTERNAL_NETWORKS
or one sending `Authorization: Bearer <OPS_TOKEN>`, and refuse anyone else before any check runs.
"""

import functools
import hmac
import ipaddress
import os
import time
import uuid
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

import httpx

HEARTBEAT_MAX_AGE = timedelta(minutes=5)


STARTED = time.monotonic()


# --- who may read the operator endpoints -------------------------------------------------------------


@functools.lru_cache(maxsize=8)
def _parsed_networks(networks: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(network, strict=False) for network in networks)


def client_is_internal(request: HttpRequest) -> bool:
    """The direct peer's address is in OPS_INTERNAL_NETWORKS. A request that came through a proxy (it carries
    X-Forwarded-For or Forwarded) is never trusted by address: its REMOTE_ADDR is the proxy's, not the client's."""
    meta = request.META
    if "HTTP_X_FORWARDED_FOR" in meta or "HTTP_FORWARDED" in meta:
        return False
    try:
        address = ipaddress.ip_address(meta.get("REMOTE_ADDR", "").split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return any(address in network for network in _parsed_networks(tuple(settings.OPS_INTERNAL_NETWORKS)))


def has_ops_token(request: HttpRequest) -> bool:
    """The request carries `Authorization: Bearer <OPS_TOKEN>` (compared in constant time)."""
    token = settings.OPS_TOKEN
    scheme, _, given = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if not token or scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), token.encode())


def ops_allowed(request: HttpRequest) -> bool:
    return client_is_internal(request) or has_ops_token(request)


def ops_forbidden() -> JsonResponse:
    return JsonResponse(
        {
            "status": "forbidden",
            "error": "operators only: send Authorization: Bearer <OPS_TOKEN>, or call from an address in "
            "OPS_INTERNAL_NETWORKS",
        },
        status=403,
    )


def ops_only(view):
    """Refuse (403) a request that is neither internal nor carries the ops token, before the view runs."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not ops_allowed(request):
            return ops_forbidden()
        return view(request, *args, **kwargs)

    return wrapper


# --- checks ------------------------------------------------------------------------------------------


class CheckFailed(Exception):
    """A check's expected failure, with a message for the operator."""


class Skipped(Exception):
    """The service is not configured (the embedded default is in use)."""


def check_process() -> str:
    """The process answers requests: nothing else is touched (liveness)."""
    return f"pid {os.getpid()}, up {time.monotonic() - STARTED:.0f} s"


def check_database() -> str:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return connections[DEFAULT_DB_ALIAS].vendor


def check_migrations() -> str:
    connection = connections[DEFAULT_DB_ALIAS]
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        pending = ", ".join(f"{m.app_label}.{m.name}" for m, _ in plan[:5])
        raise CheckFailed(f"{len(plan)} migration(s) not applied: {pending}")
    return "all applied"


def check_cache() -> str:
    key = f"health:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=10)
    value = cache.get(key)
    cache.delete(key)
    if value != "1":
        raise CheckFailed("cache did not return the value just written")
    return settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]


def check_broker() -> str:
    from django_q.brokers import get_broker

    broker = get_broker()
    if settings.REDIS_URL:
        if not broker.ping():
            raise CheckFailed("Redis broker did not answer PING")
    else:
        broker.queue_size()  # a query against the ORM broker's table
    return broker.info()


def check_cluster() -> str:
    from cms.models import WorkerHeartbeat

    beats = {beat.queue: beat.seen_at for beat in WorkerHeartbeat.objects.all()}
    now = timezone.now()
    stale = [queue for queue in settings.TASK_QUEUES if queue not in beats or now - beats[queue] > HEARTBEAT_MAX_AGE]
    if "default" in stale:
        seen = beats.get("default")
        raise CheckFailed(
            "no task worker heartbeat on the default queue "
            + (f"since {seen:%Y-%m-%d %H:%M:%S}" if seen else "ever")
            + "; start one with `manage.py qcluster`"
        )
    return (
        "queues alive: "
        + ", ".join(q for q in settings.TASK_QUEUES if q not in stale)
        + (f"; no recent heartbeat: {', '.join(stale)}" if stale else "")
    )


def _http_get(url: str, **kwargs) -> httpx.Response:
    response = httpx.get(url, timeout=settings.HEALTH_CHECK_TIMEOUT, **kwargs)
    if response.status_code >= 400:
        raise CheckFailed(f"GET {url} answered HTTP {response.status_code}")
    return response


def check_opensearch() -> str:
    if not settings.OPENSEARCH_URL:
        raise Skipped("embedded database search engine")
    status = _http_get(f"{settings.OPENSEARCH_URL.rstrip('/')}/_cluster/health").json().get("status")
    if status == "red":
        raise CheckFailed("OpenSearch cluster health is red")
    return f"cluster {status}"


def check_qdrant() -> str:
    if not settings.QDRANT_URL:
        raise Skipped("embedded qdrant-edge shard")
    headers = {"api-key": settings.QDRANT_API_KEY} if settings.QDRANT_API_KEY else {}
    _http_get(f"{settings.QDRANT_URL.rstrip('/')}/readyz", headers=headers)
    return "ready"


def check_tika() -> str:
    if not settings.TIKA_SERVER_URL:
        raise Skipped("in-process iscc-tika")
    return _http_get(f"{settings.TIKA_SERVER_URL.rstrip('/')}/version").text.strip()[:80]


def check_s3() -> str:
    if not settings.AWS_STORAGE_BUCKET_NAME:
        raise Skipped("local file storage")
    import boto3
    from botocore.config import Config

    client = boto3.client(
        "s3",
        endpoint_url=settings.AWS_S3_ENDPOINT_URL,
        region_name=settings.AWS_S3_REGION_NAME,
        aws_access_key_id=settings.AWS_ACCESS_KEY_ID,
        aws_secret_access_key=settings.AWS_SECRET_ACCESS_KEY,
        config=Config(
            connect_timeout=settings.HEALTH_CHECK_TIMEOUT,
            read_timeout=settings.HEALTH_CHECK_TIMEOUT,
            retries={"max_attempts": 1},
        ),
    )
    client.head_bucket(Bucket=settings.AWS_STORAGE_BUCKET_NAME)
    return f"bucket {settings.AWS_STORAGE_BUCKET_NAME}"


Check = Callable[[], str]

STARTUP: dict[str, Check] = {"migrations": check_migrations, "database": check_database, "cache": check_cache}
LIVENESS: dict[str, Check] = {"process": check_process}
READINESS: dict[str, Check] = {"database": check_database, "cache": check_cache, "broker": check_broker}
FULL: dict[str, Check] = {
    **STARTUP,
    "broker": check_broker,
    "cluster": check_cluster,
    "opensearch": check_opensearch,
    "qdrant": check_qdrant,
    "tika": check_tika,
    "s3": check_s3,
}


def run_checks(checks: dict[str, Check]) -> tuple[bool, dict]:
    """Run each check, timing it; return (healthy, report). Never raises."""
    results = {}
    healthy = True
    for name, check in checks.items():
        started = time.perf_counter()
        try:
            detail = check()
            result = {"status": "ok", "detail": detail}
        except Skipped as skipped:
            result = {"status": "skipped", "detail": str(skipped)}
        except Exception as exc:  # a health check reports every failure instead of raising
            healthy = False
            message = str(exc) or exc.__class__.__name__
            result = {"status": "fail", "error": f"{exc.__class__.__name__}: {message}"[:500]}
        result["ms"] = round((time.perf_counter() - started) * 1000, 2)
        results[name] = result
    return healthy, results


def _endpoint(checks: dict[str, Check]):
    @never_cache
    @require_GET
    def view(request):
        started = time.perf_counter()
        healthy, results = run_checks(checks)
        body = {
            "status": "ok" if healthy else "fail",
            "failing": [name for name, r in results.items() if r["status"] == "fail"],
            "checks": results,
            "ms": round((time.perf_counter() - started) * 1000, 2),
        }
        return JsonResponse(body, status=200 if healthy else 503)

    return view


startup = _endpoint(STARTUP)
liveness = _endpoint(LIVENESS)
readiness = _endpoint(READINESS)
full = ops_only(_endpoint(FULL))
