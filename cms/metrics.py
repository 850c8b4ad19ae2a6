"""Prometheus metrics at `/metrics` (operators only, like /health/full/).

Two kinds of numbers:

- Request latency, observed by `cms.middleware.RequestMetricsMiddleware` in each web process. With several
  gunicorn workers each process has its own histogram; set PROMETHEUS_MULTIPROC_DIR (an empty folder, new at each
  start) and prometheus-client keeps them in files there that every scrape adds up. Without it a scrape sees the
  numbers of the one worker that answered.
- Everything derived from the database or the broker (queue depth, import runs, run durations, resources,
  embedding lag) is computed at scrape time by `LearnhubCollector`, so every worker reports the same values
  without shared state. A scrape costs a fixed handful of grouped queries (one per family, one per task queue).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

from django.conf import settings
from django.db.models import Count
from django.http import HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from cms.health import ops_only

logger = logging.getLogger(__name__)

REQUEST_LATENCY = Histogram(
    "learnhub_http_request_duration_seconds",
    "Time from the first middleware to the response, by route (URL name), method and status class.",
    ["view", "method", "status"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)

# Families other apps contribute (importers: runs and durations; search: embedding lag), registered from their
# AppConfig.ready() so that cms never imports them.
_FAMILIES: dict[str, Callable[[], Iterator[Metric]]] = {}


def register_family(name: str, collect: Callable[[], Iterator[Metric]]) -> None:
    """Add a family of metrics collected at scrape time; `collect()` yields prometheus_client Metric objects."""
    _FAMILIES[name] = collect


def histogram_buckets(values: list[float], bounds) -> list[list]:
    """Cumulative buckets for HistogramMetricFamily.add_metric from raw values."""
    buckets = [[f"{float(bound)}", sum(1 for v in values if v <= bound)] for bound in bounds]
    buckets.append(["+Inf", len(values)])
    return buckets


def _label(value) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


class LearnhubCollector(Collector):
    """Gauges read from the database and the task broker when Prometheus scrapes.

    Each family is collected on its own: a failing one (say, Redis down for queue depth) is left out and
    `learnhub_metrics_collector_up{family}` says 0, while the others are still served."""

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "learnhub_metrics_collector_up",
            "1 when the family was collected at this scrape, 0 when it failed.",
            labels=["family"],
        )
        for family, collect in (
            ("queue_depth", self.queue_depth),
            ("resources", self.resources),
            *_FAMILIES.items(),
        ):
            try:
                metrics = list(collect())
            except Exception as exc:  # a scrape reports what it can
                logger.warning("metrics: collecting %s failed: %s", family, exc)
                up.add_metric([family], 0)
                continue
            up.add_metric([family], 1)
            yield from metrics
        yield up

    def queue_depth(self) -> Iterator[Metric]:
        depth = GaugeMetricFamily(
            "learnhub_task_queue_depth", "Tasks waiting in the django-q2 broker, per queue.", labels=["queue"]
        )
        for queue in settings.TASK_QUEUES:
            depth.add_metric([queue], _broker(queue).queue_size() or 0)
        yield depth

    def resources(self) -> Iterator[Metric]:
        from catalog.models import LearningResource

        family = GaugeMetricFamily(
            "learnhub_catalog_resources",
            "Learning resources per source; published = what learners see.",
            labels=["source", "published"],
        )
        rows = LearningResource.objects.order_by().values("source", "published").annotate(count=Count("pk"))
        for row in rows:
            family.add_metric([row["source"], _label(row["published"])], row["count"])
        yield family


_brokers: dict = {}


def _broker(queue: str):
    """One broker per queue and process (a Redis broker holds a connection pool)."""
    if queue not in _brokers:
        from django_q.brokers import get_broker

        _brokers[queue] = get_broker(queue)
    return _brokers[queue]


class _Scrape:
    """The collectors of one scrape, in the shape generate_latest() reads."""

    def __init__(self, *collectors):
        self.collectors = collectors

    def collect(self) -> Iterator[Metric]:
        for collector in self.collectors:
            yield from collector.collect()


def process_metrics():
    """This process's own metrics, or every web worker's when PROMETHEUS_MULTIPROC_DIR is set."""
    if settings.PROMETHEUS_MULTIPROC_DIR:
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=settings.PROMETHEUS_MULTIPROC_DIR)
        return registry
    return REGISTRY


def exposition() -> bytes:
    """The text exposition served at /metrics."""
    return generate_latest(_Scrape(process_metrics(), LearnhubCollector()))


@never_cache
@ops_only
@require_GET
def metrics_view(request):
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
