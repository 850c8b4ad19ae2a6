from django.core.management import call_command
from django.utils.module_loading import import_string

from cms.management.base import LearnhubCommand, require_migrated
from cms.sites import sync_default_site
from cms.tasks import ensure_default_schedules

# Each app adds its loader here, in dependency order (catalogue before the pages that show it).
DEMO_LOADERS = [
    "cms.demo.load_site",
    "catalog.demo.load_catalog",
    "cms.demo.load_pages",
    "news.demo.load_news",
    "importers.demo.load_import_schedules",
    "search.demo.load_search",
]


class Command(LearnhubCommand):
    help = (
        "Create demo content (admin user, pages, catalogue, news, search synonyms) and the default schedules "
        "(as `manage.py setup` does). Safe to run again: it only adds what is missing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--migrate", action="store_true", help="Apply the migrations first (what `make run` does).")

    def handle(self, *args, migrate=False, **options):
        if migrate:
            call_command("migrate", interactive=False, verbosity=self.verbosity, stdout=self.stdout)
        require_migrated()
        schedules = ensure_default_schedules()
        self.log(f"{len(schedules)} schedules in place (heartbeats, embeddings, imports, publishing, sweeps).")
        for dotted in DEMO_LOADERS:
            self.log(self.style.MIGRATE_HEADING(f"{dotted}:"))
            import_string(dotted)(lambda message: self.log(f"  {message}"))
        sync_default_site(lambda message: self.log(f"  {message}"))
        self.log(self.style.SUCCESS("Demo content is ready."))
