"""Development settings: the embedded defaults on one machine."""

from .base import *  # noqa: F403
from .base import ALLOWED_HOSTS, DEBUG, DEBUG_SET, SECRET_KEY

# On by default in development; DEBUG=0 (e.g. to see the branded error pages) turns it off.
DEBUG = DEBUG if DEBUG_SET else True
# With DEBUG on Django answers localhost whatever ALLOWED_HOSTS says; with DEBUG=0 it needs them named.
ALLOWED_HOSTS = ALLOWED_HOSTS or ["localhost", "127.0.0.1", "[::1]"]
# A fixed development key, only ever used when SECRET_KEY is unset outside production.
SECRET_KEY = SECRET_KEY or "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Serve static files straight from the app and project folders (no collectstatic in development).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
