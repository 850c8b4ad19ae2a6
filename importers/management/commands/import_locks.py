"""manage.py import_locks [list] | release SOURCE | sweep"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from cms.management.base import require_migrated
from importers.locks import owner_is_dead, release_lock_by_operator
from importers.models import ImportLock, ImportRun
from importers.recovery import sweep


class Command(BaseCommand):
    help = (
        "List the import locks, release a dead run's lock, or sweep now (dead runs failed and retried, waiting runs "
        "resumed, orphaned temporary files removed)."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", nargs="?", default="list", choices=["list", "release", "sweep"])
        parser.add_argument("source", nargs="?", help="The source whose lock to release.")

    def handle(self, *args, action, source, **options):
        if action == "release" and not source:
            raise CommandError("name the source whose lock to release: manage.py import_locks release SOURCE")
        require_migrated()
        if action == "list":
            return self.list_locks()
        if action == "sweep":
            done = sweep()
            self.stdout.write(
                f"{len(done['dead'])} dead run(s) failed, {len(done['resumed'])} waiting run(s) resumed, "
                f"{done['temp_removed']} temporary folder(s) removed"
            )
            return
        if not source:
            raise CommandError("name the source whose lock to release: manage.py import_locks release SOURCE")
        if not ImportLock.objects.filter(source=source).exists():
            raise CommandError(f"{source} is not locked (manage.py import_locks lists the locks)")
        held = release_lock_by_operator(source, who="an operator (manage.py import_locks release)")
        which = f"; run #{held.pk} was marked failed" if held else ""
        self.stdout.write(f"released the lock on {source}{which}")

    def list_locks(self):
        locks = list(ImportLock.objects.order_by("source"))
        waiting = ImportRun.objects.filter(status=ImportRun.Status.WAITING).count()
        if not locks:
            self.stdout.write(f"no source is locked; {waiting} run(s) waiting")
            return
        now = timezone.now()
        for lock in locks:
            state = "STALE" if lock.expired or owner_is_dead(lock.owner) else "held"
            renewed = int((lock.expires_at - now).total_seconds())
            self.stdout.write(
                f"{lock.source:<24} {state:<5} run #{lock.run_id or '-'} by {lock.owner or 'unknown'}; "
                f"expires in {renewed} s"
            )
        self.stdout.write(f"{waiting} run(s) waiting")
