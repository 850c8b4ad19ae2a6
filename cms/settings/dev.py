"""Development settings: the embedded defaults on one machine."""

from .base import *  # noqa: F403
from .base import SECRET_KEY

DEBUG = True
# A fixed development key, only ever used when SECRET_KEY is unset outside production.
SECRET_KEY = SECRET_KEY or "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Serve static files straight from the app and project folders (no collectstatic in development).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
