from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = "Catalogue"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import lookup_sync  # noqa: F401 - connects the lookup receivers
        from .browse_counts import connect_signals, rebuild_after_migrate
        from .tasks import ensure_refresh_schedule

        connect_signals()
        post_migrate.connect(rebuild_after_migrate, sender=self, dispatch_uid="catalog_browse_counts")

        # After every migrate (the release step), so each environment has the schedule without a separate command.
        post_migrate.connect(ensure_refresh_schedule, sender=self, dispatch_uid="catalog_refresh_schedule")
