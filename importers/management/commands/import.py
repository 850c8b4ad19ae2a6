"""manage.py import SOURCE [--file PATH | --url URL | --snapshot ID] [--mapping FILE] [--dry-run] [--force];
manage.py import SOURCE --file PATH [--mapping FILE] --preview [--rows N]; manage.py import --list"""

from __future__ import annotations

import argparse
import contextlib
import logging
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from cms.management.base import require_migrated
from importers.errors import ImporterError, SourceNotFound
from importers.interrupts import ImportInterrupted
from importers.models import ImportRun, StoredSnapshot
from importers.registry import all_sources
from importers.runner import Progress as RunProgress
from importers.runner import configured_source, run_import
from importers.schedules import describe, schedules_by_source
from importers.snapshots import SnapshotStore
from importers.sources.base import Snapshot, SnapshotDocument
from importers.sources.catalog_mapping import MappingError, shown
from importers.sources.content_archives import ARCHIVE_FILES_SOURCE

# Sources registered only while their own command runs (no schedule, no admin entry): --list names the command.
COMMAND_ONLY_SOURCES = {ARCHIVE_FILES_SOURCE: "import_content"}


def _spec(spec: dict) -> str:
    return f"cron {spec['cron']}" if spec.get("cron") else f"every {spec.get('minutes')} minutes"


class _DropImporterTracebacks(logging.Filter):
    """The runner logs a failed run with its traceback (for workers' logs); at the command line the summary and the
    one-line error say the same, so an expected importer error's traceback is left out."""

    def filter(self, record: logging.LogRecord) -> bool:
        from importers.errors import ImporterError

        if record.exc_info and isinstance(record.exc_info[1], ImporterError):
            record.exc_info = record.exc_text = None
        return True


@contextlib.contextmanager
def _runner_tracebacks_hidden(unless: bool = False):
    runner_logger = logging.getLogger("importers.runner")
    quiet = _DropImporterTracebacks()
    if not unless:
        runner_logger.addFilter(quiet)
    try:
        yield
    finally:
        runner_logger.removeFilter(quiet)


class _BarProgress(RunProgress):
    def __init__(self, bar: Progress):
        self.bar = bar
        self.fetch = bar.add_task("fetch", total=None, count="0 documents")
        self.load = None
        self.documents = 0
        self.records_done = 0

    def stage(self, name: str) -> None:
        if name == "load" and self.load is None:
            self.bar.update(self.fetch, total=1, completed=1)
            self.load = self.bar.add_task("load", total=None, count="0 records")

    def document(self, name: str, size: int) -> None:
        self.documents += 1
        self.bar.update(self.fetch, count=f"{self.documents} documents ({name})")

    def records(self, count: int) -> None:
        self.records_done += count
        if self.load is not None:
            self.bar.update(self.load, count=f"{self.records_done:,} records")


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a positive whole number")
    return number


class Command(BaseCommand):
    help = "Import one source now (fetch or a given snapshot → catalogue), or list the sources with --list."

    def add_arguments(self, parser):
        parser.add_argument("source", nargs="?", help="Source name (see --list).")
        parser.add_argument("--list", action="store_true", help="List the registered sources and their last runs.")
        given = parser.add_mutually_exclusive_group()
        given.add_argument("--file", help="Import this file or directory instead of fetching the source.")
        given.add_argument("--url", help="Import the snapshot at this URL instead of fetching the source.")
        given.add_argument("--snapshot", type=int, help="Replay this stored snapshot (its id, see the admin).")
        parser.add_argument("--dry-run", action="store_true", help="Show what would change; write nothing.")
        parser.add_argument("--force", action="store_true", help="Import even if unchanged; bypass the guard.")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar (logs, CI).")
        parser.add_argument(
            "--mapping", help="A mapping file (YAML or JSON) for the file's columns (csv_catalog); stored with it."
        )
        parser.add_argument(
            "--preview", action="store_true", help="Show what the first rows become (with --file); import nothing."
        )
        parser.add_argument("--rows", type=_positive, default=5, help="Rows shown by --preview (default 5).")

    def handle(self, *args, **options):
        console = Console(file=self.stdout._out, width=120, soft_wrap=False)
        if options["list"]:
            require_migrated()
            self.list_sources(console)
            return
        source = options["source"]
        if not source:
            raise CommandError("give a source name, or --list to see them")
        if options["file"] and not Path(options["file"]).exists():
            raise CommandError(f"no such file or folder: {options['file']}")
        if (options["mapping"] or options["preview"]) and not options["file"]:
            raise CommandError("--mapping and --preview read a file: give it with --file")
        if options["mapping"] and not Path(options["mapping"]).is_file():
            raise CommandError(f"no such mapping file: {options['mapping']}")
        require_migrated()
        snapshot_id = options["snapshot"]
        if options["mapping"] or options["preview"]:
            documents = self.documents_with_mapping(source, options["file"], options["mapping"])
            if options["preview"]:
                self.preview(console, source, documents, options["rows"])
                return
            stored, _ = SnapshotStore().store(source, documents, origin=StoredSnapshot.Origin.FILE)
            snapshot_id, options["file"] = stored.pk, None
        show_bar = not options["no_progress"] and console.is_terminal
        bar = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[count]}"),
            TimeElapsedColumn(),
            console=Console(file=self.stderr._out),
            transient=True,
            disable=not show_bar,
        )
        try:
            with bar, _runner_tracebacks_hidden(unless=options["traceback"]):
                run = run_import(
                    source,
                    trigger=ImportRun.Trigger.CLI,
                    dry_run=options["dry_run"],
                    force=options["force"],
                    file=options["file"],
                    url=options["url"],
                    snapshot_id=snapshot_id,
                    replay=options["snapshot"] is not None,
                    progress=_BarProgress(bar),
                )
        except SourceNotFound as exc:
            raise CommandError(str(exc)) from None
        except (ImportInterrupted, KeyboardInterrupt) as exc:
            name = getattr(exc, "signal_name", "Ctrl-C")
            raise CommandError(f"import of {source} interrupted by {name}; the run was marked failed") from None
        self.summarise(console, run)
        if run.status == ImportRun.Status.FAILED:
            raise CommandError(f"import of {source} failed: {run.message}")

    def documents_with_mapping(self, name: str, file: str, mapping: str | None) -> list[SnapshotDocument]:
        """The file's documents, and the mapping file as one more (checked first) when it is given."""
        try:
            source, _ = configured_source(name)
        except SourceNotFound as exc:
            raise CommandError(str(exc)) from None
        if mapping and not hasattr(source, "mapping_document"):
            raise CommandError(f"{name} takes no mapping file (csv_catalog does)")
        try:
            documents = list(source.documents_from_path(file))
            if mapping:
                documents.append(source.mapping_document(mapping))
        except (ImporterError, MappingError) as exc:
            raise CommandError(str(exc)) from None
        return documents

    def preview(self, console: Console, name: str, documents: list[SnapshotDocument], rows: int) -> None:
        """Each of the first rows: its fields (column, cell → value) and problems. Nothing is stored."""
        source, _ = configured_source(name)
        if not hasattr(source, "preview"):
            raise CommandError(f"{name} has no preview (csv_catalog does)")
        try:
            previews = source.preview(Snapshot(name, documents), rows=rows)
        except ImporterError as exc:
            raise CommandError(str(exc)) from None
        for row in previews:
            record = row["record"] or {}
            title = f"{row['location']}: {record.get('source_id', '(not imported)')} {record.get('title', '')}"
            table = Table(title=title, title_justify="left", show_header=True)
            for column in ("field", "column", "cell", "value"):
                table.add_column(column, overflow="fold")
            for item in row["fields"]:
                table.add_row(item["field"], item["column"], shown(item["cell"]), shown(item["value"]))
            console.print(table)
            for problem in row["problems"]:
                console.print(f"  warning: {problem}", markup=False, highlight=False)
        console.print(f"{len(previews)} rows previewed; nothing was imported", markup=False, highlight=False)

    def summarise(self, console: Console, run: ImportRun) -> None:
        title = f"{run.source}: run #{run.pk} {run.get_status_display().lower()}{' (dry run)' if run.dry_run else ''}"
        table = Table(title=title, show_header=True)
        for column in ("records", "created", "updated", "unchanged", "unpublished", "failed", "seconds"):
            table.add_column(column, justify="right")
        table.add_row(
            *(
                str(getattr(run, name))
                for name in ("records", "created", "updated", "unchanged", "unpublished", "failed")
            ),
            f"{run.duration or 0:.1f}",
        )
        console.print(table)
        if run.snapshot_sha256:
            console.print(f"snapshot {run.snapshot_id or '-'} sha256 {run.snapshot_sha256[:16]}…")
        if run.message:
            console.print(f"[bold]{run.get_status_display()}:[/bold] {run.message}", markup=True, highlight=False)
        for error in run.errors[:10]:
            where = " ".join(str(error.get(k)) for k in ("source_id", "field") if error.get(k))
            console.print(f"  error {where}: {error.get('message', '')}", markup=False, highlight=False)
        if run.error_count > 10:
            console.print(f"  … and {run.error_count - 10} more errors (see the admin)")
        for warning in run.warnings[:5]:
            console.print(f"  warning: {warning}", markup=False, highlight=False)
        if run.dry_run:
            for kind in ("would_create", "would_update", "would_unpublish"):
                examples = run.diff.get(kind) or []
                if examples:
                    count = run.diff.get(f"{kind}_count", len(examples))
                    console.print(f"{kind.replace('_', ' ')} ({count}):")
                    for example in examples[:5]:
                        label = (
                            example.get("title") or example.get("source_id") if isinstance(example, dict) else example
                        )
                        console.print(f"  {label}", markup=False, highlight=False)

    def list_sources(self, console: Console) -> None:
        """Every registered source with its schedule and last run, then the sources that ran but are not registered
        (`import_content`'s is registered by its command only); below the table, why a source's scheduled runs are
        skipped (not configured, switched off)."""
        schedules = schedules_by_source()
        last_runs = {}
        for run in ImportRun.objects.filter(dry_run=False).order_by("source", "-started_at", "-pk"):
            last_runs.setdefault(run.source, run)
        table = Table(title="Import sources")
        for column in ("source", "title", "kind", "schedule", "last run", "status", "changes", "next run"):
            table.add_column(column)
        listed, notes = set(), []
        for cls in all_sources():
            listed.add(cls.name)
            run = last_runs.get(cls.name)
            schedule = schedules.get(cls.name)
            table.add_row(
                cls.name,
                cls.title,
                cls.kind,
                describe(schedule) if schedule else f"{describe(None)} (default: {_spec(cls.schedule())})",
                f"{run.started_at:%Y-%m-%d %H:%M}" if run else "never",
                run.get_status_display() if run else "",
                str(run.changes) if run else "",
                f"{schedule.next_run:%Y-%m-%d %H:%M}" if schedule and schedule.next_run else "",
            )
            if note := self.note(cls.name):
                notes.append(f"{cls.name}: {note}")
        for name, run in sorted(last_runs.items()):
            if name in listed:
                continue
            command = COMMAND_ONLY_SOURCES.get(name)
            notes.append(
                f"{name}: run by manage.py {command} only (no schedule)"
                if command
                else f"{name}: not registered (removed?); its runs are kept"
            )
            table.add_row(
                name,
                "(command only)" if command else "(not registered)",
                "",
                "none",
                f"{run.started_at:%Y-%m-%d %H:%M}",
                run.get_status_display(),
                str(run.changes),
                "",
            )
        console.print(table)
        for note in notes:
            console.print(note, markup=False, highlight=False, soft_wrap=True)

    @staticmethod
    def note(name: str) -> str:
        try:
            source, overrides = configured_source(name)
        except Exception:  # a source whose settings cannot be read: its runs say why
            return ""
        if overrides is not None and not overrides.enabled:
            return "switched off in the admin"
        reason = source.not_configured()
        return f"not configured: {reason}" if reason else ""
