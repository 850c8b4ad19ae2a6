from django.core.management.base import BaseCommand
from django.utils.module_loading import import_string

from cms.tasks import ensure_core_schedules

# Each app adds its loader here, in dependency order (catalogue before the pages that show it).
DEMO_LOADERS = [
    "cms.demo.load_site",
    "catalog.demo.load_catalog",
    "cms.demo.load_pages",
    "news.demo.load_news",
    "importers.demo.load_import_schedules",
    "search.demo.load_search",
]


class Command(BaseCommand):
    help = "Create demo content (admin user, pages, catalogue, news). Safe to run again: it only adds what is missing."

    def handle(self, *args, **options):
        for dotted in DEMO_LOADERS:
            self.stdout.write(self.style.MIGRATE_HEADING(f"{dotted}:"))
            import_string(dotted)(lambda message: self.stdout.write(f"  {message}"))
        ensure_core_schedules()
        self.stdout.write(self.style.SUCCESS("Demo content is ready."))
