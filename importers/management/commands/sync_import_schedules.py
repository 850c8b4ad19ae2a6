from django.core.management.base import BaseCommand

from cms.management.base import require_migrated
from importers.schedules import describe, sync_import_schedules


class Command(BaseCommand):
    help = "Create a django-q2 schedule for every registered import source (existing schedules are kept)."

    def handle(self, *args, **options):
        require_migrated()
        schedules = sync_import_schedules()
        for schedule in schedules:
            self.stdout.write(f"{schedule.name}: {describe(schedule)} (next run {schedule.next_run:%Y-%m-%d %H:%M})")
        self.stdout.write(self.style.SUCCESS(f"{len(schedules)} import schedules in place"))
