"""Queueing imports on the content queue (the only place that does): new requests, resumed and retried runs."""

from __future__ import annotations

from cms.tasks import enqueue

from .requests import ImportRequest

IMPORT_QUEUE = "content"


def enqueue_import(request: ImportRequest | str, **options) -> str:
    """Queue an import and return the task id. The request gets a key first, so a task that django-q2 delivers
    twice (its worker died before acknowledging it) is recognised and not run again."""
    if isinstance(request, str):
        request = ImportRequest.build(request, **options)
    request = request.keyed()
    data = request.to_json()
    source = data.pop("source")
    if request.content is not None:  # bytes travel in the task once; the run stores them as its snapshot
        data["content"] = request.content
    label = "dry run" if request.dry_run else ("retry" if request.attempt > 1 else "import")
    return enqueue("importers.tasks.run_import", source, queue=IMPORT_QUEUE, task_name=f"{label} {source}", **data)


def enqueue_resume(run_id: int, source: str) -> str:
    """Queue the continuation of a run that waited for its source."""
    return enqueue("importers.tasks.resume_import", run_id, queue=IMPORT_QUEUE, task_name=f"resume {source} #{run_id}")
