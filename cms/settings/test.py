"""Test settings: fast hashing, isolated file roots, tasks run inline."""

import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .base import DATABASES, Q_CLUSTER

DEBUG = False
SECRET_KEY = "test-only-key"  # noqa: S105
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
_TMP = Path(tempfile.mkdtemp(prefix="learnhub-test-"))
MEDIA_ROOT = _TMP / "media"
SNAPSHOT_ROOT = _TMP / "snapshots"
STORAGES["snapshots"] = {
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {"location": str(SNAPSHOT_ROOT)},
}
IMPORTER_HTTP_BACKOFF = 0.0
RESOURCE_IMAGE_FETCH_AFTER_LOAD = False  # tests that want it turn it on; no test reaches the internet
QDRANT_EDGE_PATH = _TMP / "qdrant"
Q_CLUSTER = {**Q_CLUSTER, "sync": True}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tests"}}
SEARCH_BROWSE_CACHE_SECONDS = 0  # one test turns it on; cached pages would outlive each test's rolled-back data
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# API throttles off so that tests calling the API repeatedly are not throttled; tests/cms/accounts turn them on.
API_THROTTLE_ENABLED = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory, so that worker processes started by integration tests can share it; the production
    # pragmas (WAL, synchronous=NORMAL, immediate transactions, busy timeout) from base.py are kept as they are.
    DATABASES["default"]["TEST"] = {"NAME": str(_TMP / "test.sqlite3")}
WAGTAILADMIN_BASE_URL = "http://testserver"
ALLOWED_HOSTS = ["*"]
# The API's cached representations are keyed by resource id and `updated_at`: rolled-back tests reuse ids (SQLite)
# and frozen clocks reuse timestamps, so the cache is off except in the tests that turn it on.
API_REPRESENTATION_CACHE_SECONDS = 0

# --- Sign-in tests (tests/cms/accounts/): a real OIDC / OAuth2 provider in the test process ---------------------
# django-oauth-toolkit (a dev dependency) serves as the identity provider on pytest-django's live server; it is
# installed for tests only and configured (OAUTH2_PROVIDER, RS256 key) by the tests themselves.
INSTALLED_APPS = [*INSTALLED_APPS, "oauth2_provider"]  # noqa: F405

# Login throttling (django-axes) needs the request in every authenticate() call, which the test client's login()
# does not pass; the tests of throttling turn it on (tests/cms/test_login_throttling.py).
AXES_ENABLED = False

# The anonymous page cache too (same reasons): tests/cms/test_page_cache.py turns it on.
PAGE_CACHE_SECONDS = 0
# And the content cache (cms/content_cache.py): the query-limit and invalidation tests turn it on.
CONTENT_CACHE_SECONDS = 0
