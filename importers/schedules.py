"""One django-q2 schedule per registered source, created from the source's default schedule; later edits
(in the Imports admin or django-q2's admin) are kept."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from croniter import croniter
from django_q.models import Schedule

from cms.tasks import ensure_schedule

from .registry import all_sources, get_source_class
from .tasks import IMPORT_QUEUE

SCHEDULED_FUNC = "importers.tasks.scheduled_import"


def schedule_name(source: str) -> str:
    return f"import:{source}"


def first_run(spec: dict) -> datetime:
    """A new source schedule first fires one interval from now, not at once: a fresh install (or `make run` on a
    machine without network) should not fetch every source the moment it starts."""
    now = timezone.now()
    if spec.get("minutes"):
        return now + timedelta(minutes=spec["minutes"])
    return croniter(spec["cron"], timezone.localtime(now)).get_next(datetime)


def ensure_source_schedule(source: str) -> Schedule:
    cls = get_source_class(source)
    spec = cls.schedule()
    return ensure_schedule(
        schedule_name(source),
        SCHEDULED_FUNC,
        queue=IMPORT_QUEUE,
        minutes=spec.get("minutes"),
        cron=spec.get("cron"),
        args=repr((source,)),
        next_run=first_run(spec),
    )


def sync_import_schedules() -> list[Schedule]:
    """Create the missing schedule of every registered source; return all of them."""
    return [ensure_source_schedule(cls.name) for cls in all_sources()]


def schedules_by_source() -> dict[str, Schedule]:
    names = {schedule_name(cls.name): cls.name for cls in all_sources()}
    return {names[s.name]: s for s in Schedule.objects.filter(name__in=list(names))}


def describe(schedule: Schedule | None) -> str:
    if schedule is None:
        return "not scheduled"
    if schedule.repeats == 0:
        return "paused"
    if schedule.schedule_type == Schedule.CRON:
        return f"cron {schedule.cron}"
    if schedule.schedule_type == Schedule.MINUTES:
        minutes = schedule.minutes or 0
        if minutes and minutes % 60 == 0:
            hours = minutes // 60
            return "every hour" if hours == 1 else f"every {hours} hours"
        return f"every {minutes} minutes"
    return schedule.get_schedule_type_display().lower()
