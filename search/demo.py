"""Demo search setup for `make run`: a few synonyms, then a full index rebuild so search works at once."""

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
