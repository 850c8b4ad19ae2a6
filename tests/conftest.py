"""Shared fixtures for the whole suite."""

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
REALDATA = REPO_ROOT.parent / "shared" / "realdata"


@pytest.fixture
def realdata():
    """Path to ../shared/realdata; tests using it are skipped when it is absent (a fresh clone elsewhere)."""
    if not REALDATA.is_dir():
        pytest.skip("../shared/realdata is not present")
    return REALDATA


@pytest.fixture
def home_page(db):
    """The demo site's home page (created through the demo loader, as `make run` does)."""
    from cms.demo import ensure_home_page

    return ensure_home_page(lambda message: None)
