from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = "Catalogue"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import lookup_sync  # noqa: F401 - connects the lookup receivers
        from .tasks import ensure_refresh_schedule

        # After every migrate (the release step), so each environment has the schedule without a separate command.
        post_migrate.connect(ensure_refresh_schedule, sender=self, dispatch_uid="catalog_refresh_schedule")
