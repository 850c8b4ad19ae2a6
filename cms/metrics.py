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
from collections.abc import Iterator
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Max, Min
from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
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

# Finished import runs of this window feed the duration histogram (at most RUN_DURATION_LIMIT of them).
RUN_DURATION_WINDOW = timedelta(days=7)
RUN_DURATION_LIMIT = 5000
RUN_DURATION_BUCKETS = (1, 5, 15, 60, 300, 900, 1800, 3600, 7200, 21600)


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
            ("import_runs", self.import_runs),
            ("import_run_durations", self.import_run_durations),
            ("resources", self.resources),
            ("embedding_lag", self.embedding_lag),
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

    def import_runs(self) -> Iterator[Metric]:
        from importers.models import ImportRun

        runs = GaugeMetricFamily(
            "learnhub_import_runs", "Import runs in the run history (dry runs excluded).", labels=["source", "status"]
        )
        last = GaugeMetricFamily(
            "learnhub_import_run_last_finished_timestamp_seconds",
            "When the latest run of the source with the status finished (Unix time).",
            labels=["source", "status"],
        )
        rows = (
            ImportRun.objects.filter(dry_run=False)
            .order_by()
            .values("source", "status")
            .annotate(count=Count("pk"), last=Max("finished_at"))
        )
        for row in rows:
            runs.add_metric([row["source"], row["status"]], row["count"])
            if row["last"] is not None:
                last.add_metric([row["source"], row["status"]], row["last"].timestamp())
        yield runs
        yield last

    def import_run_durations(self) -> Iterator[Metric]:
        from importers.models import ImportRun

        since = timezone.now() - RUN_DURATION_WINDOW
        rows = (
            ImportRun.objects.filter(dry_run=False, finished_at__gte=since)
            .order_by("-finished_at")
            .values_list("source", "started_at", "finished_at")[:RUN_DURATION_LIMIT]
        )
        durations: dict[str, list[float]] = {}
        for source, started, finished in rows:
            durations.setdefault(source, []).append(max(0.0, (finished - started).total_seconds()))
        family = HistogramMetricFamily(
            "learnhub_import_run_duration_seconds",
            f"Duration of the import runs that finished in the last {RUN_DURATION_WINDOW.days} days, per source.",
            labels=["source"],
        )
        for source, values in sorted(durations.items()):
            buckets = [[_bucket(bound), sum(1 for v in values if v <= bound)] for bound in RUN_DURATION_BUCKETS]
            buckets.append(["+Inf", len(values)])
            family.add_metric([source], buckets, sum(values))
        yield family

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

    def embedding_lag(self) -> Iterator[Metric]:
        """What the next embedding job will pick up: rows changed since the start of the last successful job
        (search.vectors.jobs), everything when no job has succeeded yet."""
        from catalog.models import ContentFile, LearningResource
        from search.models import EmbeddingRun

        last = (
            EmbeddingRun.objects.filter(status=EmbeddingRun.Status.SUCCEEDED)
            .order_by("-started_at", "-pk")
            .values_list("started_at", flat=True)
            .first()
        )
        pending = GaugeMetricFamily(
            "learnhub_embedding_pending", "Rows changed since the last successful embedding job began.", labels=["kind"]
        )
        oldest = GaugeMetricFamily(
            "learnhub_embedding_oldest_pending_age_seconds",
            "Age of the oldest change the embedding job has not yet picked up (0: nothing pending).",
            labels=["kind"],
        )
        now = timezone.now()
        for kind, model in (("resources", LearningResource), ("content_files", ContentFile)):
            queryset = model.objects.order_by()
            if last is not None:
                queryset = queryset.filter(updated_at__gte=last)
            row = queryset.aggregate(count=Count("pk"), oldest=Min("updated_at"))
            pending.add_metric([kind], row["count"])
            oldest.add_metric([kind], (now - row["oldest"]).total_seconds() if row["oldest"] else 0)
        yield pending
        yield oldest
        yield GaugeMetricFamily(
            "learnhub_embedding_last_success_timestamp_seconds",
            "When the last successful embedding job began (Unix time; 0: never).",
            value=last.timestamp() if last else 0,
        )


def _bucket(bound: float) -> str:
    return f"{float(bound)}"


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
