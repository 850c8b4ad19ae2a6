"""Task helpers shared by every app: one way to enqueue work on a named django-q2 queue."""

import socket

from django.conf import settings
from django.utils import timezone

from django_q.models import Schedule
from django_q.tasks import async_task


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
    """The schedules every installation has: worker heartbeats and the embedding job."""
    for queue in settings.TASK_QUEUES:
        ensure_schedule(f"heartbeat:{queue}", "cms.tasks.record_heartbeat", queue=queue, minutes=1, args=repr((queue,)))
    ensure_schedule(
        "embeddings",
        "search.vectors.jobs.scheduled_embedding_job",
        queue="embeddings",
        minutes=settings.EMBEDDING_SCHEDULE_MINUTES,
    )
