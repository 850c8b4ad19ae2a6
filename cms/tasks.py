"""Task helpers shared by every app: one way to enqueue work on a named django-q2 queue, and the schedules every
installation has (created by `manage.py setup`)."""

import io
import logging
import socket

from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from django_q.models import Schedule
from django_q.tasks import async_task

logger = logging.getLogger(__name__)

# Dotted paths of scheduled tasks owned by other apps (imported by name: django-q2 resolves them in the worker).
SWEEP_STALE_RUNS_FUNC = "importers.tasks.sweep_stale_runs"
PUBLISH_SCHEDULED_FUNC = "cms.tasks.publish_scheduled"
EXPIRE_ASK_CONVERSATIONS_FUNC = "search.ask.tasks.expire_conversations"
# Saved-search email digests (issue 16): hourly; each run sends the current day's/week's digests not yet recorded.
SAVED_SEARCH_DIGESTS_FUNC = "search.saved.tasks.send_saved_search_digests"


def enqueue(func: str, *args, queue: str = "default", task_name: str | None = None, **kwargs) -> str:
    """Queue `func` (a dotted path) on one of settings.TASK_QUEUES and return the task id."""
    if queue not in settings.TASK_QUEUES:
        raise ValueError(f"unknown task queue {queue!r}; expected one of {', '.join(settings.TASK_QUEUES)}")
    options = {"cluster": queue}
    if task_name:
        options["task_name"] = task_name
    return async_task(func, *args, q_options=options, **kwargs)


def record_heartbeat(queue: str = "default") -> None:
    """Scheduled on every queue; the health endpoint reads its time to tell a worker is alive."""
    from cms.models import WorkerHeartbeat

    WorkerHeartbeat.objects.update_or_create(
        queue=queue, defaults={"seen_at": timezone.now(), "hostname": socket.gethostname()[:255]}
    )
    # Every minute on every queue: DEBUG, like django-q2's own lines about heartbeats (cms.logging).
    logger.debug("heartbeat recorded for the %s queue", queue)


def publish_scheduled() -> str:
    """Scheduled every minute: publish pages (and snippets) whose go-live time has come, unpublish expired ones."""
    out = io.StringIO()
    call_command("publish_scheduled", stdout=out)
    return out.getvalue().strip()


def ensure_schedule(
    name: str,
    func: str,
    *,
    queue: str = "default",
    minutes: int | None = None,
    cron: str | None = None,
    args: str = "",
    kwargs: str = "",
    next_run=None,
) -> Schedule:
    """Create a named schedule once; later edits made in the admin are kept.

    It first runs at `next_run` (default: at once)."""
    if (minutes is None) == (cron is None):
        raise ValueError("give exactly one of minutes or cron")
    defaults = {
        "func": func,
        "args": args,
        "kwargs": kwargs,
        "cluster": queue,
        "schedule_type": Schedule.MINUTES if minutes is not None else Schedule.CRON,
        "minutes": minutes,
        "cron": cron,
        "repeats": -1,
    }
    if next_run is not None:
        defaults["next_run"] = next_run
    schedule, _ = Schedule.objects.get_or_create(name=name, defaults=defaults)
    return schedule


def ensure_core_schedules() -> None:
    """Worker heartbeats (one per queue) and the embedding job."""
    for queue in settings.TASK_QUEUES:
        ensure_schedule(f"heartbeat:{queue}", "cms.tasks.record_heartbeat", queue=queue, minutes=1, args=repr((queue,)))
    ensure_schedule(
        "embeddings",
        "search.vectors.jobs.scheduled_embedding_job",
        queue="embeddings",
        minutes=settings.EMBEDDING_SCHEDULE_MINUTES,
    )


def ensure_default_schedules() -> list[Schedule]:
    """Create every schedule an installation needs, once; edits made in the admin are kept. Returns them all.

    Worker heartbeats and the embedding job, one import schedule per registered source, scheduled publishing and
    the sweep of import runs left "running" by a dead worker. `manage.py setup` (a deploy's release step) and the
    demo loader both call this."""
    from importers.schedules import sync_import_schedules

    ensure_core_schedules()
    ensure_schedule("wagtail:publish_scheduled", PUBLISH_SCHEDULED_FUNC, queue="default", minutes=1)
    ensure_schedule("importers:sweep_stale_runs", SWEEP_STALE_RUNS_FUNC, queue="default", minutes=1)
    ensure_schedule("ask:expire_conversations", EXPIRE_ASK_CONVERSATIONS_FUNC, queue="default", cron="17 3 * * *")
    ensure_schedule("search:saved_search_digests", SAVED_SEARCH_DIGESTS_FUNC, queue="default", cron="7 * * * *")
    sync_import_schedules()
    return list(Schedule.objects.filter(name__in=default_schedule_names()).order_by("name"))


def default_schedule_names() -> list[str]:
    from importers.registry import all_sources
    from importers.schedules import schedule_name

    return [
        *(f"heartbeat:{queue}" for queue in settings.TASK_QUEUES),
        "embeddings",
        "wagtail:publish_scheduled",
        "importers:sweep_stale_runs",
        "ask:expire_conversations",
        "search:saved_search_digests",
        *(schedule_name(cls.name) for cls in all_sources()),
    ]
