"""Fixtures of the search tests: the behavioural suite runs once per engine (OpenSearch only with OPENSEARCH_URL)."""

import uuid

from django.conf import settings

import pytest

from search.documents import all_documents, document_count
from search.engines import get_engine

ENGINES = ["database", "opensearch"]


@pytest.fixture(params=ENGINES)
def engine_name(request, settings):
    if request.param == "opensearch":
        if not settings.OPENSEARCH_URL:
            pytest.skip("OPENSEARCH_URL is not set")
        settings.OPENSEARCH_INDEX_PREFIX = f"test-{uuid.uuid4().hex[:8]}"
    settings.SEARCH_ENGINE = request.param
    yield request.param
    if request.param == "opensearch":
        get_engine("opensearch").drop_all()


@pytest.fixture
def engine(db, engine_name):
    return get_engine(engine_name)


@pytest.fixture
def reindex(engine):
    """Rebuild the index from the database (what `search_rebuild` does); returns the engine."""

    def run():
        engine.rebuild(all_documents(), total=document_count())
        if hasattr(engine, "refresh"):
            engine.refresh()
        return engine

    return run


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """Run on_commit callbacks (signals → queued tasks; tasks run inline in tests)."""

    def run(func, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            result = func(*args, **kwargs)
        return result

    return run


__all__ = ["settings"]
