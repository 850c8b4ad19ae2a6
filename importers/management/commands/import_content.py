"""manage.py import_content ARCHIVE... [--resource ID | SOURCE:SOURCE_ID] [--source canvas] [--dry-run] [--force]"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cms.management.base import require_migrated
from importers.content.ingest import IngestError, resource_named
from importers.models import ContentArchive, ImportRun
from importers.registry import register, unregister
from importers.runner import run_import
from importers.sources.content_archives import ARCHIVE_FILES_SOURCE, archive_files_source


class Command(BaseCommand):
    help = (
        "Import course archives' files (OLX .tar.gz or Common Cartridge .imscc/.zip) with their extracted text, "
        f"through the import runner (each path is a run of source {ARCHIVE_FILES_SOURCE!r} in the Imports admin)."
    )

    def add_arguments(self, parser):
        parser.add_argument("archives", nargs="+", help="paths of .tar.gz / .imscc / .zip archives, or folders")
        parser.add_argument(
            "--resource",
            help="attach the files to this resource instead of matching: its id or SOURCE:SOURCE_ID "
            "(e.g. mitxonline:course-v1:MITx+6.00x)",
        )
        parser.add_argument("--source", default="canvas", help="catalogue source for courses a cartridge creates")
        parser.add_argument("--dry-run", action="store_true", help="Show which archives would be ingested.")
        parser.add_argument("--force", action="store_true", help="Ingest archives whose checksum was ingested before.")

    def handle(self, *args, **options):
        missing = [given for given in options["archives"] if not Path(given).expanduser().exists()]
        if missing:  # a typo is one line, before anything runs
            raise CommandError(f"no such file: {', '.join(missing)}")
        require_migrated()
        resource = options["resource"] or ""
        if resource:
            try:
                resource = str(resource_named(resource).pk)
            except IngestError as exc:
                raise CommandError(str(exc)) from None
        register(archive_files_source(cartridge_source=options["source"], resource=resource))
        try:
            failures = self.import_paths(options)
        finally:
            unregister(ARCHIVE_FILES_SOURCE)  # it exists for this command only (no schedule, no admin entry)
        if failures:
            raise CommandError(f"{failures} archive(s) failed")

    def import_paths(self, options) -> int:
        failures = 0
        for given in options["archives"]:
            path = Path(given).expanduser()
            if not path.exists():
                failures += 1
                self.stderr.write(self.style.ERROR(f"{given}: no such file or folder"))
                continue
            run = run_import(
                ARCHIVE_FILES_SOURCE,
                file=str(path),
                trigger=ImportRun.Trigger.CLI,
                dry_run=options["dry_run"],
                force=options["force"],
            )
            failures += self.report(given, run)
        return failures

    def report(self, given: str, run: ImportRun) -> int:
        """Print what run `run` did; return how many archives failed or matched no course."""
        if run.status in (ImportRun.Status.FAILED, ImportRun.Status.SKIPPED):
            self.stderr.write(self.style.ERROR(f"{given}: run #{run.pk} {run.status}: {run.message}"))
            return 1
        failures = 0
        archives = ContentArchive.objects.filter(source=ARCHIVE_FILES_SOURCE, updated_at__gte=run.started_at)
        for archive in archives.select_related("resource").order_by("key"):
            if archive.status == ContentArchive.Status.INGESTED and archive.resource is not None:
                counts = ", ".join(f"{k} {v}" for k, v in (archive.counts or {}).items() if k != "errors")
                self.stdout.write(f"{archive.key}: {archive.resource.title} → resource {archive.resource_id}: {counts}")
            elif archive.status in (ContentArchive.Status.UNMATCHED, ContentArchive.Status.FAILED):
                failures += 1
                self.stderr.write(self.style.ERROR(f"{archive.key}: {archive.message}"))
        for error in run.errors or []:
            if error.get("field") != "archive":  # whole-archive failures are printed above
                where = ": ".join(str(part) for part in (error.get("source_id"), error.get("field")) if part)
                self.stdout.write(self.style.WARNING(f"  {where}: {error.get('message')}"))
        for warning in run.warnings or []:
            self.stdout.write(self.style.WARNING(f"  {warning}"))
        self.stdout.write(f"run #{run.pk}: {run.get_status_display().lower()}")
        return failures
