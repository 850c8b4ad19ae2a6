from django_q.models import Schedule

from cms.management.base import LearnhubCommand, require_migrated
from cms.sites import sync_default_site
from cms.tasks import default_schedule_names, ensure_default_schedules
from importers.schedules import describe


class Command(LearnhubCommand):
    help = (
        "Create the schedules every installation needs: a heartbeat per task queue, the embedding job, one import "
        "schedule per registered source, scheduled publishing and the stale import-run sweep. Run it after "
        "`migrate` on every deploy: it only adds what is missing and keeps schedules edited in the admin. It also "
        "gives the default Wagtail site the host and port of SITE_URL."
    )

    def handle(self, *args, **options):
        require_migrated()
        sync_default_site(self.log)
        existing = set(Schedule.objects.filter(name__in=default_schedule_names()).values_list("name", flat=True))
        schedules = ensure_default_schedules()
        created = [schedule for schedule in schedules if schedule.name not in existing]
        for schedule in schedules:
            if schedule in created:
                self.log(f"created schedule {schedule.name}: {describe(schedule)} on the {schedule.cluster} queue")
            else:
                self.log(f"kept schedule {schedule.name}: {describe(schedule)}", verbosity=2)
        self.log(self.style.SUCCESS(f"Schedules: {len(created)} created, {len(schedules) - len(created)} kept."))
