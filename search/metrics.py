"""Embedding metrics for /metrics (cms.metrics), registered by search.apps: what the next embedding job will pick
up and when the last one succeeded."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count, Min
from django.utils import timezone

from prometheus_client.core import GaugeMetricFamily, Metric

from catalog.models import ContentFile, LearningResource

from .models import EmbeddingRun


def embedding_lag() -> Iterator[Metric]:
    """What the next embedding job will pick up: rows changed since the start of the last successful job
    (search.vectors.jobs), everything when no job has succeeded yet."""
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
