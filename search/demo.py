"""Demo search setup for `make run`: a few synonyms, a full index rebuild and an embedding job, so that lexical,
semantic and hybrid search work at once."""

import logging

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
    """Add the demo synonyms (once) and rebuild the search index from the catalogue, pages and news."""
    for terms, note in DEMO_SYNONYMS:
        Synonym.objects.get_or_create(terms=terms, defaults={"note": note})
    engine = get_engine()
    written = engine.rebuild(all_documents(), total=document_count())
    log(f"indexed {written} documents with the {engine.name} search engine")
    from .vectors.jobs import EmbeddingJobBusy, run_embedding_job

    try:
        run = run_embedding_job("changed", trigger="demo")
    except EmbeddingJobBusy as busy:
        log(f"embedding skipped: {busy}")
    except Exception as exc:  # semantic search is optional: the demo still works lexically
        logging.getLogger(__name__).exception("demo embedding failed")
        log(f"embedding failed ({type(exc).__name__}: {exc}); semantic search will fall back to lexical")
    else:
        log(f"embedded {run.resources_embedded} resources and {run.chunks_embedded} content chunks ({run.encoder})")
