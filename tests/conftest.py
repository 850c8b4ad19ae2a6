"""Shared fixtures for the whole suite."""

from pathlib import Path

import pytest

from tests.support import embedding_cache

REPO_ROOT = Path(__file__).resolve().parent.parent
REALDATA = REPO_ROOT.parent / "shared" / "realdata"


@pytest.fixture(autouse=True)
def vectors_tried_afresh():
    """Each test starts and ends with no remembered vector-store failure (search.vectors.health keeps one per
    process for a few seconds: one test's failure must not turn the next test's hybrid search into keywords)."""
    from search.vectors import health

    health.forget_unavailable()
    yield
    health.forget_unavailable()


@pytest.fixture
def realdata():
    """Path to ../shared/realdata; tests using it are skipped when it is absent (a fresh clone elsewhere)."""
    if not REALDATA.is_dir():
        pytest.skip("../shared/realdata is not present")
    return REALDATA


@pytest.fixture(scope="session", autouse=True)
def shared_embeddings():
    """The application's encoder (`get_encoder()`) embeds through the on-disk cache of unchanged texts
    (tests/support/embedding_cache.py); None when LEARNHUB_TEST_EMBEDDING_CACHE=off or the encoder is not local."""
    from search.vectors.encoders import get_encoder

    return embedding_cache.attach(get_encoder())


@pytest.fixture
def home_page(db):
    """The demo site's home page (created through the demo loader, as `make run` does)."""
    from cms.demo import ensure_home_page

    return ensure_home_page(lambda message: None)


def pytest_collection_modifyitems(config, items):
    """The browser tests run last: Playwright's sync API keeps an event loop running in this thread while its
    browser is open, and Django refuses ORM calls from a thread with a running loop (SynchronousOnlyOperation)."""
    browser = [item for item in items if "/tests/browser/" in str(item.fspath)]
    if browser:
        others = [item for item in items if "/tests/browser/" not in str(item.fspath)]
        items[:] = others + browser
