"""Production settings: secure by default, every service from the environment."""

from .base import *  # noqa: F403
from .base import ALLOWED_HOSTS, HSTS_SECONDS, HTTPS_REDIRECT, SECRET_KEY, SettingError

if not SECRET_KEY:
    raise SettingError("SECRET_KEY is required in production: set it to a long random string")
if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
    raise SettingError("SECRET_KEY is too short: use at least 50 random characters")
if not ALLOWED_HOSTS:
    raise SettingError(
        "ALLOWED_HOSTS is required in production: the comma-separated host names the site is served under, "
        "e.g. ALLOWED_HOSTS=learn.example.org (health probes from OPS_INTERNAL_NETWORKS work without it)"
    )
# ALLOWED_HOSTS=* is accepted but `manage.py check --deploy` warns about it (cms/checks.py, learnhub.W001).

DEBUG = False
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = HTTPS_REDIRECT
SECURE_HSTS_SECONDS = HSTS_SECONDS
# Health probes come over plain HTTP from the orchestrator.
SECURE_REDIRECT_EXEMPT = [r"^health/"]
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# Wagtail marks its preview views SAMEORIGIN itself, so everything else can refuse framing.
X_FRAME_OPTIONS = "DENY"
