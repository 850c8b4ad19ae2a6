"""Import metrics for /metrics (cms.metrics), registered by importers.apps: runs by source and status, the
latest finish per source and status, and the durations of the runs of the last week."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from django.db.models import Count, Max
from django.utils import timezone

from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric

from cms.metrics import histogram_buckets

from .models import ImportRun

# Finished import runs of this window feed the duration histogram (at most RUN_DURATION_LIMIT of them).
RUN_DURATION_WINDOW = timedelta(days=7)
RUN_DURATION_LIMIT = 5000
RUN_DURATION_BUCKETS = (1, 5, 15, 60, 300, 900, 1800, 3600, 7200, 21600)


def import_runs() -> Iterator[Metric]:
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


def import_run_durations() -> Iterator[Metric]:
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
        family.add_metric([source], histogram_buckets(values, RUN_DURATION_BUCKETS), sum(values))
    yield family
