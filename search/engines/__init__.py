"""Engine registry: `get_engine()` returns the engine named by settings.SEARCH_ENGINE.

Engines are registered by name so that a vector engine (issue 8) and a hybrid one (reciprocal rank fusion of the
lexical and vector rankings, see search.ranking) can be added beside these without touching callers.
"""

from django.conf import settings
from django.utils.module_loading import import_string

from .base import (
    SORTS,
    FacetOption,
    FacetResult,
    IndexDocument,
    SearchEngine,
    SearchHit,
    SearchRequest,
    SearchResults,
    SearchUnavailable,
)

ENGINES = {
    "database": "search.engines.database.DatabaseEngine",
    "opensearch": "search.engines.opensearch.OpenSearchEngine",
}


def get_engine(name: str | None = None) -> SearchEngine:
    """The configured engine (or the one named)."""
    name = name or settings.SEARCH_ENGINE
    try:
        path = ENGINES[name]
    except KeyError:
        raise ValueError(f"unknown search engine {name!r}; expected one of {', '.join(ENGINES)}") from None
    return import_string(path)()


__all__ = [
    "ENGINES",
    "SORTS",
    "FacetOption",
    "FacetResult",
    "IndexDocument",
    "SearchEngine",
    "SearchHit",
    "SearchRequest",
    "SearchResults",
    "SearchUnavailable",
    "get_engine",
]
