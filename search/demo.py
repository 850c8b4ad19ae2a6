"""Demo search setup for `make run`: a few synonyms, the search index and an embedding job, so that lexical,
semantic and hybrid search work."""

from django.utils import timezone

from .documents import all_documents, document_count
from .engines import get_engine
from .models import Synonym

DEMO_SYNONYMS = [
    ("ai, artificial intelligence", "Common abbreviation."),
    ("ml, machine learning", "Common abbreviation."),
    ("stats, statistics", "Common abbreviation."),
    ("econ, economics", "Common abbreviation."),
    ("cs, computer science", "Common abbreviation."),
]


def load_search(log) -> None:
    """Add the demo synonyms (once), fill the search index when it lacks documents, and queue an embedding job.

    A later run finds the index complete (signals keep it current) and leaves it; the embedding job runs on the
    embeddings worker (inline where tasks run synchronously), so loading the demo does not wait for the encoder."""
    for terms, note in DEMO_SYNONYMS:
        Synonym.objects.get_or_create(terms=terms, defaults={"note": note})
    engine = get_engine()
    total = document_count()
    if engine.count() == total:
        log(f"the {engine.name} search index holds all {total} documents; not rebuilt")
    else:
        written = engine.rebuild(all_documents(), total=total)
        log(f"indexed {written} documents with the {engine.name} search engine")
    from cms.tasks import enqueue

    from .models import EmbeddingRun

    # Only the demo's own workers embed here, and they are not running while it loads: a run still "running" was
    # cut short by a stopped `make run` and would otherwise hold off every job for six hours.
    interrupted = EmbeddingRun.objects.filter(status=EmbeddingRun.Status.RUNNING).update(
        status=EmbeddingRun.Status.FAILED, finished_at=timezone.now(), error="interrupted: the workers were stopped"
    )
    if interrupted:
        log(f"marked {interrupted} interrupted embedding run(s) as failed")
    enqueue("search.vectors.jobs.scheduled_embedding_job", queue="embeddings", task_name="demo: embed the catalogue")
    log("queued an embedding job on the embeddings queue (semantic search works once it has run)")
