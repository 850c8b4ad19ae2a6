from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from catalog.models import LearningResource
from importers.content.common_cartridge import CartridgeError
from importers.content.ingest import IngestError, ingest_archive
from importers.content.olx import OlxError
from importers.extraction.archives import ArchiveError


class Command(BaseCommand):
    help = "Import a course archive's files (OLX .tar.gz or Common Cartridge .imscc) with their extracted text."

    def add_arguments(self, parser):
        parser.add_argument("archives", nargs="+", help="paths of .tar.gz / .imscc / .zip archives")
        parser.add_argument("--resource", type=int, help="attach the files to this resource id instead of matching")
        parser.add_argument("--source", default="canvas", help="catalogue source for courses a cartridge creates")

    def handle(self, *args, **options):
        from rich.progress import track

        resource = None
        if options["resource"]:
            resource = LearningResource.objects.filter(pk=options["resource"]).first()
            if resource is None:
                raise CommandError(f"no resource with id {options['resource']}")
        missing = [path for path in options["archives"] if not Path(path).is_file()]
        if missing:
            raise CommandError(f"no such file: {', '.join(missing)}")
        failures = 0
        for path in track(options["archives"], description="Importing archives", console=None):
            try:
                result = ingest_archive(path, source=options["source"], resource=resource)
            except (ArchiveError, OlxError, CartridgeError, IngestError, FileNotFoundError) as exc:
                failures += 1
                self.stderr.write(self.style.ERROR(f"{path}: {exc}"))
                continue
            counts = result.files.as_dict()
            self.stdout.write(
                f"{path}: {result.archive.title} → resource {result.resource_id}: "
                + ", ".join(f"{k} {v}" for k, v in counts.items() if k != "errors")
            )
            for error in result.files.errors:
                self.stdout.write(self.style.WARNING(f"  {error['key']}: {error['error']}"))
            for warning in result.warnings:
                self.stdout.write(self.style.WARNING(f"  {warning}"))
        if failures:
            raise CommandError(f"{failures} archive(s) failed")
