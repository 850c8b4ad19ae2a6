"""Demo loader (manage.py load_demo_content): a django-q2 schedule for every registered import source."""

from .schedules import describe, sync_import_schedules


def load_import_schedules(log) -> None:
    for schedule in sync_import_schedules():
        log(f"schedule {schedule.name}: {describe(schedule)}")
