from django.apps import AppConfig


class ImportersConfig(AppConfig):
    name = "importers"
    verbose_name = "Imports"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Importing the sources package registers every source module.
        from . import images, sources  # noqa: F401 - images connects its resources_changed receiver
        from .alerts import on_run_finished
        from .signals import run_finished

        run_finished.connect(on_run_finished, dispatch_uid="importers.alerts")

        from cms.metrics import register_family

        from .metrics import import_run_durations, import_runs

        register_family("import_runs", import_runs)
        register_family("import_run_durations", import_run_durations)
