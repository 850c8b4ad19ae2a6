"""Scheduled catalogue upkeep (django-q2): derived fields that go stale as time passes, not as sources change.

`next_start_date` is derived from runs when the loader writes a resource; an unchanged resource is not written
again, so once its next run starts the value points at the past. `refresh_next_start_dates` moves it on, hourly.
"""

import logging

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from catalog.models import LearningResource, Run
from catalog.signals import send_resources_changed

logger = logging.getLogger(__name__)

REFRESH_SCHEDULE = "catalog:refresh_next_start_dates"
REFRESH_FUNC = "catalog.tasks.refresh_next_start_dates"
REFRESH_MINUTES = 60
BATCH_SIZE = 500


def refresh_next_start_dates(now=None, batch_size: int = BATCH_SIZE) -> int:
    """Recompute `next_start_date` where it has gone stale; return how many resources changed.

    The value is what the loader derives (catalog.loader.rows.next_start_date): the earliest future start of a
    published run, else the latest start. It can only go stale once it is in the past and a published run starts
    later than it, so only those resources are read. Changed public resources are sent in `resources_changed`
    (search and vectors re-index them), one batch per transaction.
    """
    now = now or timezone.now()
    published_runs = Run.objects.filter(resource=OuterRef("pk"), published=True, start_date__isnull=False)
    candidates = (
        LearningResource.objects.alias(
            has_later_run=Exists(published_runs.filter(start_date__gt=OuterRef("next_start_date"))),
            has_run=Exists(published_runs),
        )
        .filter(Q(next_start_date__lt=now, has_later_run=True) | Q(next_start_date__isnull=True, has_run=True))
        .annotate(
            new_start=Coalesce(
                Subquery(published_runs.filter(start_date__gte=now).order_by("start_date").values("start_date")[:1]),
                Subquery(published_runs.order_by("-start_date").values("start_date")[:1]),
            )
        )
        .order_by("pk")
        .values_list("pk", "next_start_date", "new_start", "published", "hidden")
    )
    changes = [(pk, new, published and not hidden) for pk, old, new, published, hidden in candidates if new != old]
    for start in range(0, len(changes), batch_size):
        batch = changes[start : start + batch_size]
        rows = [LearningResource(pk=pk, next_start_date=new, updated_at=now) for pk, new, _ in batch]
        with transaction.atomic():
            LearningResource.objects.bulk_update(rows, ["next_start_date", "updated_at"])
            send_resources_changed(changed_ids=[pk for pk, _, public in batch if public], sender="catalog")
    if changes:
        logger.info("next_start_date refreshed on %d resources", len(changes))
    return len(changes)


def ensure_refresh_schedule(using: str = "default", **kwargs) -> None:
    """post_migrate receiver: create the hourly refresh schedule once (admin edits to it are kept)."""
    from django_q.models import Schedule

    from cms.tasks import ensure_schedule

    if using != "default" or Schedule._meta.db_table not in connection.introspection.table_names():
        return  # another database, or django-q2 not migrated yet (the next migrate creates it)
    ensure_schedule(REFRESH_SCHEDULE, REFRESH_FUNC, minutes=REFRESH_MINUTES)
