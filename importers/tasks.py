"""django-q2 tasks of the importers, all on the "content" queue."""

from __future__ import annotations

from cms.tasks import enqueue

IMPORT_QUEUE = "content"


def run_import(source_name: str, **options) -> int:
    """Task: import one source (options as for importers.runner.run_import); returns the ImportRun id."""
    from .runner import run_import as run

    return run(source_name, **options).pk


def scheduled_import(source_name: str) -> int:
    """Task run by each source's schedule."""
    return run_import(source_name, trigger="schedule")


def enqueue_import(source_name: str, **options) -> str:
    """Queue an import of `source_name` on the content queue and return the task id."""
    label = "dry run" if options.get("dry_run") else "import"
    return enqueue(
        "importers.tasks.run_import",
        source_name,
        queue=IMPORT_QUEUE,
        task_name=f"{label} {source_name}",
        **options,
    )
