"""What the project's management commands share: expected failures end in one line, never a traceback.

Django prints a `CommandError` as one line (`CommandError: …`, exit status 1) and shows its traceback only with
`--traceback`; any other exception escapes as a traceback. A command lists the exceptions a user or operator can
cause (a missing file, a service that is down) in `expected_errors`, and they are turned into CommandError with
their own message.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor


def require_migrated(database: str = DEFAULT_DB_ALIAS) -> None:
    """Raise CommandError when the database has unapplied migrations (or none at all)."""
    executor = MigrationExecutor(connections[database])
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        raise CommandError("the database has unapplied migrations: run `manage.py migrate` first")


class LearnhubCommand(BaseCommand):
    expected_errors: tuple[type[BaseException], ...] = ()

    def execute(self, *args, **options):
        self.verbosity = options.get("verbosity", 1)
        try:
            return super().execute(*args, **options)
        except self.expected_errors as exc:
            raise CommandError(str(exc) or type(exc).__name__) from exc

    def log(self, message: str, verbosity: int = 1) -> None:
        """Write a line to stdout at this verbosity or above (0: errors only, 1: default, 2: details)."""
        if self.verbosity >= verbosity:
            self.stdout.write(message)
