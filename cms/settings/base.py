"""Base settings: the only place that reads the environment.

Every variable is typed, has a safe default for the embedded single-machine setup, and is listed in
`.env.example`. Production services are switched on by setting their URL (see docs/operations.md).
"""

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
# A local .env is read for convenience in development; real deployments set the environment.
if (BASE_DIR / ".env").is_file():
    env.read_env(str(BASE_DIR / ".env"), overwrite=False)


class SettingError(ImproperlyConfigured):
    """A setting is missing or malformed; the message names the variable and what is expected."""


SUPPORTED_DATABASE_SCHEMES = ("postgres", "postgresql", "pgsql", "sqlite")


def _database_config(url: str) -> dict:
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme not in SUPPORTED_DATABASE_SCHEMES:
        raise SettingError(
            f"DATABASE_URL scheme {scheme!r} is not supported; expected postgres://user@host:5432/name "
            "or sqlite:////absolute/path.sqlite3"
        )
    try:
        config = env.db_url_config(url)
    except Exception as exc:  # django-environ raises assorted errors on junk input
        raise SettingError(
            f"DATABASE_URL is malformed ({exc}); expected e.g. postgres://user:pass@host:5432/name "
            "or sqlite:////absolute/path.sqlite3"
        ) from exc
    if config["ENGINE"] == "django.db.backends.sqlite3" and not config.get("NAME"):
        raise SettingError("DATABASE_URL for SQLite needs a file path, e.g. sqlite:////srv/learnhub/db.sqlite3")
    if config["ENGINE"] == "django.db.backends.sqlite3" and config["NAME"] != ":memory:":
        # The embedded default keeps its file under var/; create the folder on first use.
        Path(config["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    return config


def _choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = env.str(name, default=default).strip().lower()
    if value not in choices:
        raise SettingError(f"{name} must be one of {', '.join(choices)}; got {value!r}")
    return value


# --- Core -----------------------------------------------------------------------------------------

DEBUG = env.bool("DEBUG", default=False)
# Whether DEBUG was set at all: development (cms/settings/dev.py) defaults to True but honours DEBUG=0.
DEBUG_SET = bool(env.str("DEBUG", default="").strip())
# Development default only; production.py refuses to start without a real SECRET_KEY.
SECRET_KEY = env.str("SECRET_KEY", default="")
# Empty: development allows localhost (DEBUG); production refuses to start (cms/settings/production.py).
ALLOWED_HOSTS = [host.strip() for host in env.list("ALLOWED_HOSTS", default=[]) if host.strip()]
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/.*$"
# Used by production.py: HTTPS redirect (off behind a proxy that already redirects) and HSTS lifetime.
HTTPS_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
WAGTAILADMIN_BASE_URL = SITE_URL
WAGTAIL_SITE_NAME = env.str("SITE_NAME", default="Learnhub")
# The Next.js frontend that renders headless previews (empty: server-rendered preview only).
HEADLESS_PREVIEW_CLIENT_URL = env.str("HEADLESS_PREVIEW_CLIENT_URL", default="")

INSTALLED_APPS = [
    # Project apps first so their templates and static files take precedence.
    "cms",
    "catalog",
    "news",
    "importers",
    "search",
    # Wagtail
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.sitemaps",
    "wagtail.contrib.search_promotions",
    "wagtail.contrib.frontend_cache",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail.api.v2",
    "wagtail",
    "wagtail_modeladmin",
    "wagtail_headless_preview",
    "modelcluster",
    "taggit",
    # Third party
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "corsheaders",
    "django_q",
    "social_django",
    # Django
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.postgres",
    "django.contrib.humanize",
]

MIDDLEWARE = [
    # First: probes and ops endpoints are answered before anything validates the Host header (cms/middleware.py),
    # then every other request is timed for /metrics.
    "cms.middleware.OpsEndpointsMiddleware",
    "cms.middleware.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Compresses dynamic responses (HTML, JSON) for clients that accept gzip; below WhiteNoise, which serves static
    # files pre-compressed itself, and above everything else that reads or writes the body. Django's middleware
    # pads each response with random bytes against BREACH, and CSRF tokens are masked per response (decisions.md).
    "django.middleware.gzip.GZipMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Anonymous page cache (issue 15): after Common (Host validated) and Auth; serves stored public pages.
    "cms.page_cache.AnonymousPageCacheMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "cms.urls"
WSGI_APPLICATION = "cms.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
            ],
        },
    },
]

# --- Database ------------------------------------------------------------------------------------

DATABASE_URL = env.str("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
DATABASES = {"default": _database_config(DATABASE_URL)}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=0))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the worker writes; a writer waits up to SQLITE_BUSY_TIMEOUT seconds for
    # another's transaction (imports commit per batch of 500, so a wait is a fraction of a second); IMMEDIATE
    # transactions take the write lock when they begin, so two writers never deadlock upgrading a read lock.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": env.float("SQLITE_BUSY_TIMEOUT", default=20.0),
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, tasks --------------------------------------------------------------------------------

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "learnhub",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "learnhub"}}

# django-q2: one cluster per queue, chosen by Q_CLUSTER_NAME (django-q2 reads it itself; it is validated here):
# default, content (importers) and embeddings (vector jobs). `make run` starts one worker per queue; the ORM
# broker serves the single-machine setup, Redis production.
TASK_QUEUES = ("default", "content", "embeddings")
Q_CLUSTER_NAME = _choice("Q_CLUSTER_NAME", "default", TASK_QUEUES)
# Seconds a task may run before its worker is recycled (SIGTERM), per queue; the ORM broker re-delivers a task not
# acknowledged within timeout + 60 s (django-q2 needs retry > timeout). Imports do not rely on that re-delivery:
# their runs heartbeat and the sweeper retries a dead run within ~2 minutes (also on Redis, which never
# re-delivers). Short tasks get short limits so a dead worker's task comes back within minutes.
Q_TIMEOUT = env.int("Q_TIMEOUT", default=600)
Q_CONTENT_TIMEOUT = env.int("Q_CONTENT_TIMEOUT", default=3 * 3600)
Q_EMBEDDINGS_TIMEOUT = env.int("Q_EMBEDDINGS_TIMEOUT", default=1800)
Q_CLUSTER = {
    # The name is the shared prefix (and signing salt) of every queue; queues are "cluster names".
    "name": "learnhub",
    "cluster_name": "default",
    "workers": env.int("Q_WORKERS", default=2),
    "timeout": Q_TIMEOUT,
    "retry": Q_TIMEOUT + 60,
    "max_attempts": 1,
    "save_limit": 500,
    "catch_up": False,
    "label": "Tasks",
    # Run tasks inline (tests, one-off scripts); workers are not needed then.
    "sync": env.bool("Q_SYNC", default=False),
    # django-q2 names a queue by cluster name; ALT_CLUSTERS let one qcluster process serve a named queue.
    "ALT_CLUSTERS": {
        "content": {"timeout": Q_CONTENT_TIMEOUT, "retry": Q_CONTENT_TIMEOUT + 60},
        "embeddings": {"workers": 1, "timeout": Q_EMBEDDINGS_TIMEOUT, "retry": Q_EMBEDDINGS_TIMEOUT + 60},
    },
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"
    Q_CLUSTER["poll"] = 1

# --- Files ---------------------------------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "static_collected"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))

AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
AWS_S3_REGION_NAME = env.str("AWS_S3_REGION_NAME", default="") or None
AWS_S3_ENDPOINT_URL = env.str("AWS_S3_ENDPOINT_URL", default="") or None
AWS_ACCESS_KEY_ID = env.str("AWS_ACCESS_KEY_ID", default="") or None
AWS_SECRET_ACCESS_KEY = env.str("AWS_SECRET_ACCESS_KEY", default="") or None
AWS_S3_CUSTOM_DOMAIN = env.str("AWS_S3_CUSTOM_DOMAIN", default="") or None
AWS_DEFAULT_ACL = None
AWS_S3_FILE_OVERWRITE = False
AWS_QUERYSTRING_AUTH = env.bool("AWS_QUERYSTRING_AUTH", default=False)

# Whether the site itself serves image files from MEDIA_ROOT at /media/ when DEBUG is off: yes while media is on
# local disk (no S3 bucket); set 0 when a web server or CDN in front serves /media/.
SERVE_MEDIA_IMAGES = env.bool("SERVE_MEDIA_IMAGES", default=not AWS_STORAGE_BUCKET_NAME)

STORAGES = {
    "default": (
        {"BACKEND": "storages.backends.s3.S3Storage"}
        if AWS_STORAGE_BUCKET_NAME
        else {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    ),
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Import snapshots live in their own storage so they can sit in a private bucket or prefix.
SNAPSHOT_ROOT = Path(env.str("SNAPSHOT_ROOT", default=str(VAR_DIR / "snapshots")))
SNAPSHOT_RETENTION = env.int("SNAPSHOT_RETENTION", default=20)
STORAGES["snapshots"] = (
    {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {"location": "snapshots", "file_overwrite": False}}
    if AWS_STORAGE_BUCKET_NAME
    else {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(SNAPSHOT_ROOT)}}
)

# --- External services (empty URL: the embedded default) ------------------------------------------

OPENSEARCH_URL = env.str("OPENSEARCH_URL", default="")
OPENSEARCH_INDEX_PREFIX = env.str("OPENSEARCH_INDEX_PREFIX", default="learnhub")
# Full-text engine: "database" (SQLite FTS5 / PostgreSQL FTS, the embedded default) or "opensearch".
SEARCH_ENGINE = _choice("SEARCH_ENGINE", "opensearch" if OPENSEARCH_URL else "database", ("database", "opensearch"))
# The database engine caches browse pages (no search words: facet counts over the whole catalogue) this long; any
# index write forgets them (at once where the cache is shared, i.e. Redis; per process otherwise).
SEARCH_BROWSE_CACHE_SECONDS = env.int("SEARCH_BROWSE_CACHE_SECONDS", default=60)
# Serialised resources of the API lists, cached per resource and `updated_at` (catalog/api/representations.py);
# 0 turns the cache off.
API_REPRESENTATION_CACHE_SECONDS = env.int("API_REPRESENTATION_CACHE_SECONDS", default=3600)
OPENSEARCH_TIMEOUT = env.float("OPENSEARCH_TIMEOUT", default=10.0)
OPENSEARCH_VERIFY_CERTS = env.bool("OPENSEARCH_VERIFY_CERTS", default=True)
QDRANT_URL = env.str("QDRANT_URL", default="")
QDRANT_API_KEY = env.str("QDRANT_API_KEY", default="")
QDRANT_EDGE_PATH = Path(env.str("QDRANT_EDGE_PATH", default=str(VAR_DIR / "qdrant")))
TIKA_SERVER_URL = env.str("TIKA_SERVER_URL", default="")
# OCR of scanned PDFs and images (a Tika server with Tesseract); off, a document without a text layer is recorded.
TIKA_OCR = env.bool("TIKA_OCR", default=False)
# Documents larger than this are recorded as failed instead of being extracted.
CONTENT_FILE_MAX_BYTES = env.int("CONTENT_FILE_MAX_BYTES", default=100 * 1024 * 1024)
OPENAI_API_KEY = env.str("OPENAI_API_KEY", default="")
OPENAI_BASE_URL = env.str("OPENAI_BASE_URL", default="")
OPENAI_EMBEDDING_MODEL = env.str("OPENAI_EMBEDDING_MODEL", default="text-embedding-3-small")
OPENAI_EMBEDDING_DIMENSIONS = env.int("OPENAI_EMBEDDING_DIMENSIONS", default=512)
# Embedding jobs (search.vectors.jobs): how often the schedule runs, and texts per encoder call.
EMBEDDING_SCHEDULE_MINUTES = env.int("EMBEDDING_SCHEDULE_MINUTES", default=30)
EMBEDDING_BATCH_SIZE = env.int("EMBEDDING_BATCH_SIZE", default=64)
# Content-file chunks: at most this many tokens (cl100k), with this many repeated between pieces of a long section.
# Changing them applies to files embedded from then on; `manage.py embed --all` re-chunks everything.
EMBEDDING_CHUNK_TOKENS = env.int("EMBEDDING_CHUNK_TOKENS", default=512)
EMBEDDING_CHUNK_OVERLAP = env.int("EMBEDDING_CHUNK_OVERLAP", default=64)
if EMBEDDING_CHUNK_TOKENS <= 0 or not 0 <= EMBEDDING_CHUNK_OVERLAP < EMBEDDING_CHUNK_TOKENS:
    raise SettingError(
        f"EMBEDDING_CHUNK_TOKENS must be positive and EMBEDDING_CHUNK_OVERLAP from 0 to less than it; got "
        f"{EMBEDDING_CHUNK_TOKENS} and {EMBEDDING_CHUNK_OVERLAP} (the defaults are 512 and 64)"
    )
# Ask Learnhub (search.ask): an OpenAI-compatible chat-completions API (OpenAI, or a LiteLLM proxy in front of any
# provider). No model (the default without a key): Ask answers extractively, with the best matching resources.
ASK_API_KEY = env.str("ASK_API_KEY", default=OPENAI_API_KEY)
ASK_BASE_URL = env.str("ASK_BASE_URL", default=OPENAI_BASE_URL)
ASK_MODEL = env.str("ASK_MODEL", default="gpt-4o-mini" if ASK_API_KEY else "")
# Seconds: each provider request (connect, and between streamed chunks), and a whole answer.
ASK_TIMEOUT = env.float("ASK_TIMEOUT", default=20.0)
ASK_TOTAL_TIMEOUT = env.float("ASK_TOTAL_TIMEOUT", default=60.0)
ASK_MAX_TOKENS = env.int("ASK_MAX_TOKENS", default=700)
ASK_TEMPERATURE = env.float("ASK_TEMPERATURE", default=0.2)
# A 429 with a Retry-After up to this many seconds is waited for once; a longer one ends the answer with an error.
ASK_RETRY_AFTER_MAX = env.float("ASK_RETRY_AFTER_MAX", default=5.0)
# Questions per learner (signed-in user, else client IP) per minute and per day; tokens per day for the whole site
# (when spent, Ask answers extractively until midnight UTC).
ASK_RATE_PER_MINUTE = env.int("ASK_RATE_PER_MINUTE", default=6)
ASK_RATE_PER_DAY = env.int("ASK_RATE_PER_DAY", default=100)
ASK_DAILY_TOKEN_BUDGET = env.int("ASK_DAILY_TOKEN_BUDGET", default=2_000_000)
# Conversations older than this many days are deleted by the daily `ask:expire_conversations` schedule.
ASK_CONVERSATION_DAYS = env.int("ASK_CONVERSATION_DAYS", default=30)
# Off: log lines about Ask name the conversation only, never the user or the IP address.
ASK_LOG_LEARNER = env.bool("ASK_LOG_LEARNER", default=False)
YOUTUBE_API_KEY = env.str("YOUTUBE_API_KEY", default="")
# News and media sources (news app): feed URLs of the seed's sources, the YouTube Data API, channel and podcast
# lists (open-video-data / open-podcast-data YAML: a file or a directory of files; empty: none configured).
YOUTUBE_API_URL = env.str("YOUTUBE_API_URL", default="https://www.googleapis.com/youtube/v3")
YOUTUBE_CONFIG_PATH = env.str("YOUTUBE_CONFIG_PATH", default="")
PODCAST_CONFIG_PATH = env.str("PODCAST_CONFIG_PATH", default="")
OVS_API_URL = env.str("OVS_API_URL", default="https://video.odl.mit.edu/api/v0/videos/")
OL_NEWS_FEED_URL = env.str("OL_NEWS_FEED_URL", default="https://medium.com/feed/mit-open-learning")
MITPE_API_URL = env.str("MITPE_API_URL", default="https://api.professional.mit.edu")
MITPE_SITE_URL = env.str("MITPE_SITE_URL", default="https://professional.mit.edu")
OL_EVENTS_URL = env.str(
    "OL_EVENTS_URL", default="https://openlearning.mit.edu/jsonapi/node/event?sort=-field_event_date.value"
)
# Event times given without a zone (MIT Professional Education) are read in this zone.
NEWS_EVENTS_TIME_ZONE = env.str("NEWS_EVENTS_TIME_ZONE", default="America/New_York")
# MIT Sloan Executive Education blog posts and webinars: Salesforce community pages answered through Aura.
SLOAN_EXEC_SITE_URL = env.str("SLOAN_EXEC_SITE_URL", default="https://exec.mit.edu")
# The catalogue loader unpublishes nothing when a full snapshot would unpublish more than this share (0..1) of a
# source's published resources; the import then needs review (or a forced load).
CATALOG_UNPUBLISH_GUARD = env.float("CATALOG_UNPUBLISH_GUARD", default=0.5)
# Bad input stops at the door (issue 12): the longest text an imported record may carry per field, in characters.
# A longer value is that record's error (source id, field, limit), never truncated, never stored. Titles are also
# bounded by their column (512). Description: resource description/full_description and news summaries; body:
# news content; other: free-form text without a column of its own (extra values, feed categories). A feed's share
# of items a snapshot may remove before it needs review defaults to the catalogue's guard.
IMPORT_MAX_TITLE_CHARS = env.int("IMPORT_MAX_TITLE_CHARS", default=512)
IMPORT_MAX_DESCRIPTION_CHARS = env.int("IMPORT_MAX_DESCRIPTION_CHARS", default=100_000)
IMPORT_MAX_BODY_CHARS = env.int("IMPORT_MAX_BODY_CHARS", default=1_000_000)
IMPORT_MAX_OTHER_TEXT_CHARS = env.int("IMPORT_MAX_OTHER_TEXT_CHARS", default=10_000)
NEWS_UNPUBLISH_GUARD = env.float("NEWS_UNPUBLISH_GUARD", default=CATALOG_UNPUBLISH_GUARD)
# Importer URLs resolving to private, loopback or link-local addresses are refused unless listed here.
IMPORTER_ALLOWED_HOSTS = env.list("IMPORTER_ALLOWED_HOSTS", default=[])
# Importer HTTP: timeout (s) per request, retries on 408/429/5xx and network errors, base backoff (s, doubled
# per retry), and the largest document a source may fetch.
IMPORTER_HTTP_TIMEOUT = env.float("IMPORTER_HTTP_TIMEOUT", default=30.0)
IMPORTER_HTTP_RETRIES = env.int("IMPORTER_HTTP_RETRIES", default=3)
IMPORTER_HTTP_BACKOFF = env.float("IMPORTER_HTTP_BACKOFF", default=1.0)
IMPORTER_MAX_DOCUMENT_BYTES = env.int("IMPORTER_MAX_DOCUMENT_BYTES", default=200 * 1024 * 1024)
# Imported resource images (importers.images): fetched once through the importer HTTP client (SSRF guard above),
# at most RESOURCE_IMAGE_MAX_BYTES and RESOURCE_IMAGE_MAX_PIXELS, JPEG/PNG/GIF/WebP only, stored as Wagtail images.
# RESOURCE_IMAGE_FETCH_AFTER_LOAD queues the fetch after each catalogue change (off in tests: they call it).
RESOURCE_IMAGE_MAX_BYTES = env.int("RESOURCE_IMAGE_MAX_BYTES", default=5 * 1024 * 1024)
RESOURCE_IMAGE_MAX_PIXELS = env.int("RESOURCE_IMAGE_MAX_PIXELS", default=40_000_000)
RESOURCE_IMAGE_TIMEOUT = env.float("RESOURCE_IMAGE_TIMEOUT", default=15.0)
RESOURCE_IMAGE_FETCH_AFTER_LOAD = env.bool("RESOURCE_IMAGE_FETCH_AFTER_LOAD", default=True)
# A running import renews its source's lock (and its heartbeat) every IMPORT_LOCK_RENEW_SECONDS from a thread;
# the lock expires IMPORT_LOCK_TIMEOUT seconds after the last renewal, so a run whose process died frees its
# source within that time (the sweeper, every minute, marks it failed and retries it). See docs/operations.md.
IMPORT_LOCK_TIMEOUT = env.int("IMPORT_LOCK_TIMEOUT", default=120)
IMPORT_LOCK_RENEW_SECONDS = env.int("IMPORT_LOCK_RENEW_SECONDS", default=30)
# A scheduled, webhook or admin run whose worker died or was stopped is retried up to this many attempts in all.
IMPORT_MAX_ATTEMPTS = env.int("IMPORT_MAX_ATTEMPTS", default=3)
# A run that found its source busy waits behind the running one; after this long it fails (and alerts).
IMPORT_WAIT_MAX_SECONDS = env.int("IMPORT_WAIT_MAX_SECONDS", default=6 * 3600)
# Temporary files of imports (spooled records, unpacked archives); the sweeper removes those of dead processes.
IMPORT_TEMP_DIR = Path(env.str("IMPORT_TEMP_DIR", default=str(VAR_DIR / "tmp" / "imports")))


def _webhook_secrets(value: str) -> dict[str, str]:
    """IMPORT_WEBHOOK_SECRETS: a JSON object {"source": "secret"} or "source=secret,source2=secret2"."""
    value = value.strip()
    if not value:
        return {}
    if value.startswith("{"):
        import json

        try:
            parsed = json.loads(value)
        except json.JSONDecodeError as exc:
            raise SettingError(f"IMPORT_WEBHOOK_SECRETS is not valid JSON ({exc.msg})") from exc
        if not isinstance(parsed, dict) or not all(isinstance(v, str) for v in parsed.values()):
            raise SettingError('IMPORT_WEBHOOK_SECRETS JSON must map source names to secrets: {"ocw": "..."}')
        return {str(k).strip(): v for k, v in parsed.items() if v}
    secrets = {}
    for item in value.split(","):
        name, sep, secret = item.partition("=")
        if not sep or not name.strip() or not secret.strip():
            raise SettingError(f"IMPORT_WEBHOOK_SECRETS item {item.strip()!r} must look like source=secret")
        secrets[name.strip()] = secret.strip()
    return secrets


# Per-source secrets for signed import webhooks; a source without a secret refuses every webhook call.
IMPORT_WEBHOOK_SECRETS = _webhook_secrets(env.str("IMPORT_WEBHOOK_SECRETS", default=""))
HEALTH_CHECK_TIMEOUT = env.float("HEALTH_CHECK_TIMEOUT", default=2.0)

# --- Catalogue sources (importers/sources/<name>.py; public API URLs by default, credentials empty) ---------

MITXONLINE_BASE_URL = env.str("MITXONLINE_BASE_URL", default="https://mitxonline.mit.edu")
MITXONLINE_COURSES_API_URL = env.str(
    "MITXONLINE_COURSES_API_URL", default="https://mitxonline.mit.edu/api/v2/courses/?live=true&page__live=true"
)
MITXONLINE_PROGRAMS_API_URL = env.str(
    "MITXONLINE_PROGRAMS_API_URL", default="https://mitxonline.mit.edu/api/v2/programs/?live=true&page__live=true"
)
XPRO_BASE_URL = env.str("XPRO_BASE_URL", default="https://xpro.mit.edu")
XPRO_COURSES_API_URL = env.str("XPRO_COURSES_API_URL", default="https://xpro.mit.edu/api/courses/")
XPRO_PROGRAMS_API_URL = env.str("XPRO_PROGRAMS_API_URL", default="https://xpro.mit.edu/api/programs/")
# Open edX course-discovery API of any institution: OAuth2 client credentials, and the course owners to keep.
EDX_API_COURSES_URL = env.str("EDX_API_COURSES_URL", default="https://discovery.edx.org/api/v1/courses/")
EDX_API_PROGRAMS_URL = env.str("EDX_API_PROGRAMS_URL", default="https://discovery.edx.org/api/v1/programs/")
EDX_API_ACCESS_TOKEN_URL = env.str("EDX_API_ACCESS_TOKEN_URL", default="https://api.edx.org/oauth2/v1/access_token")
EDX_API_CLIENT_ID = env.str("EDX_API_CLIENT_ID", default="")
EDX_API_CLIENT_SECRET = env.str("EDX_API_CLIENT_SECRET", default="")
EDX_API_AUTH_SCHEME = env.str("EDX_API_AUTH_SCHEME", default="Bearer")  # "JWT" for edX.org JWT tokens
EDX_OWNER_FILTER = env.list("EDX_OWNER_FILTER", default=["MITx"])  # empty: every owner
EDX_PLATFORM_CODE = env.str("EDX_PLATFORM_CODE", default="edx")
EDX_PLATFORM_NAME = env.str("EDX_PLATFORM_NAME", default="edX")
# MIT OpenCourseWare course sites: an S3 bucket + prefix (AWS_* credentials), or a local directory of sites.
OCW_BASE_URL = env.str("OCW_BASE_URL", default="https://ocw.mit.edu")
OCW_S3_BUCKET = env.str("OCW_S3_BUCKET", default="")
OCW_S3_PREFIX = env.str("OCW_S3_PREFIX", default="courses/")
OCW_COURSES_DIR = env.str("OCW_COURSES_DIR", default="")
MICROMASTERS_CATALOG_API_URL = env.str(
    "MICROMASTERS_CATALOG_API_URL", default="https://micromasters.mit.edu/api/v0/catalog/"
)
# MIT Professional Education courses: MITPE_API_URL + this path (MITPE_API_URL/MITPE_SITE_URL are set above).
MITPE_COURSES_PATH = env.str("MITPE_COURSES_PATH", default="feeds/courses/")
# Sloan Executive Education: a private API (OAuth2); the source is idle until these are set.
SLOAN_API_URL = env.str("SLOAN_API_URL", default="")
SLOAN_API_ACCESS_TOKEN_URL = env.str("SLOAN_API_ACCESS_TOKEN_URL", default="")
SLOAN_API_CLIENT_ID = env.str("SLOAN_API_CLIENT_ID", default="")
SLOAN_API_CLIENT_SECRET = env.str("SLOAN_API_CLIENT_SECRET", default="")
OLL_CSV_URL = env.str(
    "OLL_CSV_URL",
    default="https://raw.githubusercontent.com/mitodl/mit-learn/main/learning_resources/data/oll_metadata.csv",
)
# MIT Climate Portal articles: JSON feeds of explainers and "Ask MIT Climate" answers (comma-separated URLs).
MIT_CLIMATE_BASE_URL = env.str("MIT_CLIMATE_BASE_URL", default="https://climate.mit.edu")
MIT_CLIMATE_FEED_URLS = env.list(
    "MIT_CLIMATE_FEED_URLS",
    default=["https://climate.mit.edu/api/explainers", "https://climate.mit.edu/api/ask-mit-climate"],
)
# PostHog view counts: the batch export of events (Parquet) in S3 (AWS_* credentials and endpoint apply).
# view_count = views in the last POSTHOG_VIEW_WINDOW_DAYS days of the export; these events count as views.
POSTHOG_EVENT_S3_BUCKET = env.str("POSTHOG_EVENT_S3_BUCKET", default="")
POSTHOG_EVENT_S3_PREFIX = env.str("POSTHOG_EVENT_S3_PREFIX", default="posthog/")
POSTHOG_VIEW_WINDOW_DAYS = env.int("POSTHOG_VIEW_WINDOW_DAYS", default=30)
POSTHOG_VIEW_EVENTS = env.list("POSTHOG_VIEW_EVENTS", default=["lrd_view", "lrd_open", "$pageview"])
# Marketing pages: the full description of these catalogue sources' resources (of these types) is read from their
# own web pages, at most MARKETING_PAGE_MAX_PAGES a run (empty list: the source is not configured).
MARKETING_PAGE_SOURCES = env.list("MARKETING_PAGE_SOURCES", default=["xpro", "mitpe", "sloan"])
MARKETING_PAGE_RESOURCE_TYPES = env.list("MARKETING_PAGE_RESOURCE_TYPES", default=["course", "program"])
MARKETING_PAGE_MAX_PAGES = env.int("MARKETING_PAGE_MAX_PAGES", default=2000)


def _json_object(name: str) -> dict:
    value = env.str(name, default="").strip()
    if not value:
        return {}
    import json

    try:
        parsed = json.loads(value)
    except json.JSONDecodeError as exc:
        raise SettingError(f"{name} is not valid JSON ({exc.msg} at column {exc.colno})") from exc
    if not isinstance(parsed, dict):
        raise SettingError(f'{name} must be a JSON object, e.g. {{"title": "course_title"}}')
    return parsed


# A generic CSV/JSON catalogue: where it is, and how its columns map onto record fields (merged over the
# built-in mapping for edX/Coursera/Udemy-style exports; see importers/sources/csv_catalog.py).
CSV_CATALOG_URL = env.str("CSV_CATALOG_URL", default="")
CSV_CATALOG_PATH = env.str("CSV_CATALOG_PATH", default="")
CSV_CATALOG_FIELD_MAPPING = _json_object("CSV_CATALOG_FIELD_MAPPING")
CSV_CATALOG_LIST_SEPARATORS = env.str("CSV_CATALOG_LIST_SEPARATORS", default="|;")
CSV_CATALOG_OFFERED_BY = env.str("CSV_CATALOG_OFFERED_BY", default="")
CSV_CATALOG_PLATFORM = env.str("CSV_CATALOG_PLATFORM", default="")

# --- Auth ----------------------------------------------------------------------------------------

AUTH_USER_MODEL = "cms.User"
AUTHENTICATION_BACKENDS = [
    "social_core.backends.open_id_connect.OpenIdConnectAuth",
    # Sign-in (issue 16): Open edX learners; local passwords only while LOCAL_PASSWORD_LOGIN is on.
    "cms.accounts.backends.OpenEdxOAuth2",
    "cms.accounts.backends.LocalPasswordBackend",
]
SOCIAL_AUTH_OIDC_OIDC_ENDPOINT = env.str("OIDC_ENDPOINT", default="").rstrip("/")
SOCIAL_AUTH_OIDC_KEY = env.str("OIDC_CLIENT_ID", default="")
SOCIAL_AUTH_OIDC_SECRET = env.str("OIDC_CLIENT_SECRET", default="")
SOCIAL_AUTH_URL_NAMESPACE = "social"
SOCIAL_AUTH_JSONFIELD_ENABLED = True
LOGIN_URL = "/accounts/login/"

# --- Sign-in: providers, roles, local passwords (cms/accounts/, issue 16) -------------------------


def _role_map(name: str, default: str) -> dict[str, str]:
    import json

    try:
        parsed = json.loads(env.str(name, default=default) or "{}")
    except json.JSONDecodeError as exc:
        raise SettingError(f"{name} is not valid JSON ({exc.msg} at column {exc.colno})") from exc
    if not isinstance(parsed, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in parsed.items()):
        raise SettingError(f'{name} must be a JSON object of claim value to group name, e.g. {{"editors": "Editors"}}')
    return parsed


# The OIDC provider's name on "Sign in with ..." buttons.
OIDC_PROVIDER_NAME = env.str("OIDC_PROVIDER_NAME", default="single sign-on")
# The ID token / userinfo claim listing the user's roles or groups, and which of its values grant which Wagtail group
# (groups from cms migration 0008_roles). Mapped groups are granted and withdrawn at every sign-in; others are
# left alone. A missing claim means "no roles".
OIDC_ROLES_CLAIM = env.str("OIDC_ROLES_CLAIM", default="groups")
OIDC_ROLE_MAP = _role_map(
    "OIDC_ROLE_MAP",
    '{"learnhub-editors": "Editors", "learnhub-moderators": "Moderators", '
    '"learnhub-import-operators": "Import operators", "learnhub-administrators": "Administrators"}',
)
SOCIAL_AUTH_OIDC_GROUPS_KEY = OIDC_ROLES_CLAIM
SOCIAL_AUTH_OIDC_GROUPS_MAP = {claim: [group] for claim, group in OIDC_ROLE_MAP.items()}
SOCIAL_AUTH_OIDC_GROUPS_MISSING_AS_EMPTY = True
# RP-initiated logout: where the provider sends the browser back after ending its session (empty: the site root).
OIDC_POST_LOGOUT_REDIRECT_URL = env.str("OIDC_POST_LOGOUT_REDIRECT_URL", default="")
# Open edX / MITx Online learners (OAuth2): the LMS base URL and an OAuth2 application's id and secret; unset: off.
OPENEDX_BASE_URL = env.str("OPENEDX_BASE_URL", default="").rstrip("/")
OPENEDX_PROVIDER_NAME = env.str("OPENEDX_PROVIDER_NAME", default="MITx Online")
SOCIAL_AUTH_OPENEDX_KEY = env.str("OPENEDX_CLIENT_ID", default="")
SOCIAL_AUTH_OPENEDX_SECRET = env.str("OPENEDX_CLIENT_SECRET", default="")
SOCIAL_AUTH_OPENEDX_BASE_URL = OPENEDX_BASE_URL
# Local username/password sign-in (site and admin). On for the embedded default; turn off once everyone signs in
# through a provider: the forms disappear and the password backend refuses every password.
LOCAL_PASSWORD_LOGIN = env.bool("LOCAL_PASSWORD_LOGIN", default=True)
WAGTAIL_PASSWORD_RESET_ENABLED = LOCAL_PASSWORD_LOGIN
LOGIN_REDIRECT_URL = "/"
SOCIAL_AUTH_LOGIN_REDIRECT_URL = "/"
SOCIAL_AUTH_LOGIN_ERROR_URL = "/accounts/login/"
SOCIAL_AUTH_PIPELINE = [
    "social_core.pipeline.social_auth.social_details",
    "social_core.pipeline.social_auth.social_names",
    "social_core.pipeline.social_auth.social_uid",
    "social_core.pipeline.social_auth.auth_allowed",
    "cms.accounts.pipeline.require_verified_email",
    "social_core.pipeline.social_auth.social_user",
    "cms.accounts.pipeline.associate_by_verified_email",
    "social_core.pipeline.user.get_username",
    "social_core.pipeline.user.create_user",
    "social_core.pipeline.social_auth.associate_user",
    "social_core.pipeline.social_auth.load_extra_data",
    "social_core.pipeline.user.user_details",
    "social_core.pipeline.user.sync_groups",
    "cms.accounts.pipeline.admin_access_follows_roles",
]
# Provider errors (bad state, token, unverified email) go back to the sign-in page with a message.
MIDDLEWARE = [*MIDDLEWARE, "cms.accounts.middleware.SignInErrorMiddleware"]
# --- end sign-in ---
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Demo-content admin account: DEMO_ADMIN_PASSWORD, when set, is its password on every demo load; unset, a new
# admin gets a random password printed once (`make admin` / `manage.py demo_admin` sets a new one).
DEMO_ADMIN_USERNAME = env.str("DEMO_ADMIN_USERNAME", default="admin")
DEMO_ADMIN_PASSWORD = env.str("DEMO_ADMIN_PASSWORD", default="")

# --- Email ---------------------------------------------------------------------------------------

EMAIL_URL = env.str("EMAIL_URL", default="consolemail://")
vars().update(env.email_url_config(EMAIL_URL))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="learnhub@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- I18n ----------------------------------------------------------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Wagtail -------------------------------------------------------------------------------------

WAGTAILIMAGES_IMAGE_MODEL = "cms.CustomImage"
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "key", "odt", "pdf", "pptx", "rtf", "txt", "xlsx", "zip"]
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
# CDN purge on publish/unpublish (wagtail.contrib.frontend_cache): none by default; cloudflare, cloudfront or http
# (a Varnish/Fastly-style PURGE to FRONTEND_CACHE_LOCATION).
FRONTEND_CACHE_BACKEND = _choice("FRONTEND_CACHE_BACKEND", "none", ("none", "cloudflare", "cloudfront", "http"))
FRONTEND_CACHE_LOCATION = env.str("FRONTEND_CACHE_LOCATION", default="")
FRONTEND_CACHE_CLOUDFLARE_BEARER_TOKEN = env.str("FRONTEND_CACHE_CLOUDFLARE_BEARER_TOKEN", default="")
FRONTEND_CACHE_CLOUDFLARE_ZONE_ID = env.str("FRONTEND_CACHE_CLOUDFLARE_ZONE_ID", default="")
FRONTEND_CACHE_CLOUDFRONT_DISTRIBUTION_ID = env.str("FRONTEND_CACHE_CLOUDFRONT_DISTRIBUTION_ID", default="")
if FRONTEND_CACHE_BACKEND == "cloudflare":
    if not (FRONTEND_CACHE_CLOUDFLARE_BEARER_TOKEN and FRONTEND_CACHE_CLOUDFLARE_ZONE_ID):
        raise SettingError(
            "FRONTEND_CACHE_BACKEND=cloudflare needs FRONTEND_CACHE_CLOUDFLARE_BEARER_TOKEN and "
            "FRONTEND_CACHE_CLOUDFLARE_ZONE_ID"
        )
    WAGTAILFRONTENDCACHE = {
        "default": {
            "BACKEND": "wagtail.contrib.frontend_cache.backends.CloudflareBackend",
            "BEARER_TOKEN": FRONTEND_CACHE_CLOUDFLARE_BEARER_TOKEN,
            "ZONEID": FRONTEND_CACHE_CLOUDFLARE_ZONE_ID,
        }
    }
elif FRONTEND_CACHE_BACKEND == "cloudfront":
    if not FRONTEND_CACHE_CLOUDFRONT_DISTRIBUTION_ID:
        raise SettingError("FRONTEND_CACHE_BACKEND=cloudfront needs FRONTEND_CACHE_CLOUDFRONT_DISTRIBUTION_ID")
    WAGTAILFRONTENDCACHE = {
        "default": {
            "BACKEND": "wagtail.contrib.frontend_cache.backends.CloudfrontBackend",
            "DISTRIBUTION_ID": FRONTEND_CACHE_CLOUDFRONT_DISTRIBUTION_ID,
        }
    }
elif FRONTEND_CACHE_BACKEND == "http":
    if not FRONTEND_CACHE_LOCATION:
        raise SettingError("FRONTEND_CACHE_BACKEND=http needs FRONTEND_CACHE_LOCATION, e.g. http://varnish:8000")
    WAGTAILFRONTENDCACHE = {
        "default": {
            "BACKEND": "wagtail.contrib.frontend_cache.backends.HTTPBackend",
            "LOCATION": FRONTEND_CACHE_LOCATION,
        }
    }
else:
    WAGTAILFRONTENDCACHE = {}
# Headless preview: the "Next.js" preview mode opens HEADLESS_PREVIEW_CLIENT_URL?content_type=..&token=..
WAGTAIL_HEADLESS_PREVIEW = {
    "CLIENT_URLS": {"default": HEADLESS_PREVIEW_CLIENT_URL} if HEADLESS_PREVIEW_CLIENT_URL else {},
    "ENFORCE_TRAILING_SLASH": False,
}
WAGTAILAPI_BASE_URL = SITE_URL
WAGTAILAPI_LIMIT_MAX = 100
WAGTAIL_I18N_ENABLED = False
WAGTAILADMIN_RICH_TEXT_EDITORS = {"default": {"WIDGET": "wagtail.admin.rich_text.DraftailRichTextArea"}}

# --- REST API ------------------------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Learnhub API",
    "DESCRIPTION": "Catalogue, search and import webhooks. The pages API (Wagtail API v2) is at /api/v2/.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The schema covers the REST API (/api/v1/); Wagtail's own API views are documented separately.
    "PREPROCESSING_HOOKS": ["cms.api.rest_api_endpoints_only"],
    # `mode` and `mode_used` share one choice set: name it once.
    "ENUM_NAME_OVERRIDES": {
        "SearchModeEnum": "search.service.MODES",
        "AskFeedbackEnum": "search.ask.serializers.FEEDBACK_VALUES",
    },
}
# --- API authentication and throttling (issue 16: bearer JWTs, API keys; cms/accounts/api_auth.py) ---------------
# Bearer tokens from the identity provider and per-service API keys come before sessions; the first class's
# challenge is the WWW-Authenticate of every 401.
REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"] = [
    "cms.accounts.api_auth.BearerTokenAuthentication",
    "cms.accounts.api_auth.ApiKeyAuthentication",
    "rest_framework.authentication.SessionAuthentication",
]
# Views opt in with `throttle_scope = "search"`, `"write"`, `"suggest"` or `"webhook"` (rates below); other views are
# not throttled.
REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = ["cms.accounts.throttling.CallerThrottle"]
# Empty: the `jwks_uri` and `issuer` of OIDC_ENDPOINT's discovery document (/.well-known/openid-configuration).
OIDC_JWKS_URL = env.str("OIDC_JWKS_URL", default="")
OIDC_ISSUER = env.str("OIDC_ISSUER", default="")
# The `aud` a token must name; empty: OIDC_CLIENT_ID (Keycloak: add an audience mapper for this client).
OIDC_AUDIENCE = env.str("OIDC_AUDIENCE", default="") or SOCIAL_AUTH_OIDC_KEY
# Seconds of clock skew tolerated on exp/nbf/iat.
OIDC_TOKEN_LEEWAY = env.int("OIDC_TOKEN_LEEWAY", default=30)
# Seconds the key set (and discovery document) are kept; an unknown `kid` refetches them at most once per
# OIDC_JWKS_MIN_REFETCH_SECONDS; each fetch gives up after OIDC_JWKS_TIMEOUT seconds.
OIDC_JWKS_CACHE_SECONDS = env.int("OIDC_JWKS_CACHE_SECONDS", default=3600)
OIDC_JWKS_MIN_REFETCH_SECONDS = env.int("OIDC_JWKS_MIN_REFETCH_SECONDS", default=60)
OIDC_JWKS_TIMEOUT = env.float("OIDC_JWKS_TIMEOUT", default=5.0)
# Throttles (cms/accounts/throttling.py): requests per caller, "<number>/<sec|min|hour|day>"; empty: unlimited.
API_THROTTLE_ENABLED = env.bool("API_THROTTLE_ENABLED", default=True)
# How many proxies (load balancer, CDN) stand in front of the web processes and append to X-Forwarded-For; 0: the
# client address is REMOTE_ADDR. Anonymous callers are counted by that address (throttles, Ask's limits).
API_TRUSTED_PROXIES = env.int("API_TRUSTED_PROXIES", default=0)


def _rate(name: str, default: str) -> str:
    value = env.str(name, default=default).strip()
    number, _, period = value.partition("/")
    if value and not (number.isdigit() and period[:1] in {"s", "m", "h", "d"}):
        raise SettingError(f"{name} must be a rate like 60/min (per sec, min, hour or day) or empty; got {value!r}")
    return value


API_THROTTLE_RATES = {
    "search.anon": _rate("API_THROTTLE_SEARCH_ANON", "60/min"),
    "search.user": _rate("API_THROTTLE_SEARCH_USER", "120/min"),
    "search.key": _rate("API_THROTTLE_SEARCH_KEY", "600/min"),
    "write.anon": _rate("API_THROTTLE_WRITE_ANON", "20/min"),
    "write.user": _rate("API_THROTTLE_WRITE_USER", "60/min"),
    "write.key": _rate("API_THROTTLE_WRITE_KEY", "300/min"),
    # Autocomplete asks once per keystroke (its answers are publicly cached, so a CDN absorbs repeats).
    "suggest.anon": _rate("API_THROTTLE_SUGGEST_ANON", "300/min"),
    "suggest.user": _rate("API_THROTTLE_SUGGEST_USER", "600/min"),
    "suggest.key": _rate("API_THROTTLE_SUGGEST_KEY", "3000/min"),
    # Import webhooks, counted per sending address before the signature is checked (a flood of unsigned posts
    # costs a cache increment each, not an HMAC and a database read).
    "webhook.anon": _rate("API_THROTTLE_WEBHOOK", "60/min"),
    "webhook.user": _rate("API_THROTTLE_WEBHOOK", "60/min"),
    "webhook.key": _rate("API_THROTTLE_WEBHOOK", "60/min"),
}
# --- end API authentication and throttling ----------------------------------------------------------------------
# Public responses may be cached by a CDN for this long, then served stale while revalidating.
CACHE_MAX_AGE = env.int("CACHE_MAX_AGE", default=60)
CACHE_STALE_WHILE_REVALIDATE = env.int("CACHE_STALE_WHILE_REVALIDATE", default=300)
# --- Anonymous page cache (issue 15, cms/page_cache.py) ---
# Seconds an anonymous visitor's public page is kept server-side; content changes forget it at once, this only
# bounds what the clock changes (upcoming events, next start dates). 0 turns the cache off.
PAGE_CACHE_SECONDS = env.int("PAGE_CACHE_SECONDS", default=300)
# Parts of pages kept under the same generation (cms/content_cache.py: site and settings, page routes, blocks that
# compute their content), used when the whole page is not (signed-in visitors, query strings, a miss). 0: off.
CONTENT_CACHE_SECONDS = env.int("CONTENT_CACHE_SECONDS", default=300)

# --- Logging, monitoring -------------------------------------------------------------------------

LOG_FORMAT = _choice("LOG_FORMAT", "text", ("text", "json"))
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "filters": {"routine_tasks": {"()": "cms.logging.DemoteRoutineTaskLogs"}},
    "handlers": {"stdout": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django_tasks": {"level": "WARNING"},
        # A handler of our own keeps django-q2 from adding its own (our format, JSON in production); heartbeat
        # records are DEBUG.
        "django-q": {"level": LOG_LEVEL, "handlers": ["stdout"], "propagate": False, "filters": ["routine_tasks"]},
    },
}

# --- Operations: health probes, /metrics, import alerts (cms/health.py, cms/metrics.py, importers/alerts.py) ---


def _networks(name: str, default: str) -> list[str]:
    import ipaddress

    networks = []
    for item in env.str(name, default=default).split(","):
        if not item.strip():
            continue
        try:
            networks.append(str(ipaddress.ip_network(item.strip(), strict=False)))
        except ValueError:
            raise SettingError(f"{name}: {item.strip()!r} is not an IP address or CIDR network, e.g. 10.0.0.0/8")
    return networks


def _emails(name: str) -> list[str]:
    from django.core.validators import validate_email

    emails = [item.strip() for item in env.str(name, default="").split(",") if item.strip()]
    for email in emails:
        try:
            validate_email(email)
        except Exception:
            raise SettingError(f"{name}: {email!r} is not an email address (comma-separated list expected)")
    return emails


# Clients at these addresses (comma-separated CIDRs) may read /health/full/ and /metrics without a token, and get
# the probes (/health/startup|liveness|readiness/) answered whatever their Host header. Default: loopback only,
# which is what a container's own HEALTHCHECK uses. Empty: no address is trusted (token only).
OPS_INTERNAL_NETWORKS = _networks("OPS_INTERNAL_NETWORKS", "127.0.0.0/8,::1/128")
# A bearer token (`Authorization: Bearer ...`) that opens /health/full/ and /metrics from anywhere; empty: none.
OPS_TOKEN = env.str("OPS_TOKEN", default="")
# prometheus-client reads this itself: a folder shared by the web server's worker processes (empty and new at each
# start), so the request-latency histogram adds up across gunicorn workers. Empty: one process's own numbers.
PROMETHEUS_MULTIPROC_DIR = env.str("PROMETHEUS_MULTIPROC_DIR", default="")
if PROMETHEUS_MULTIPROC_DIR and not Path(PROMETHEUS_MULTIPROC_DIR).is_dir():
    raise SettingError(f"PROMETHEUS_MULTIPROC_DIR {PROMETHEUS_MULTIPROC_DIR!r} is not an existing folder")
# Import runs that fail or stop for review are mailed here (comma-separated); empty: the ADMINS, if any.
IMPORT_ALERT_EMAILS = _emails("IMPORT_ALERT_EMAILS")

SENTRY_DSN = env.str("SENTRY_DSN", default="")
SENTRY_ENVIRONMENT = env.str("SENTRY_ENVIRONMENT", default="production")
if SENTRY_DSN:
    import sentry_sdk

    sentry_sdk.init(dsn=SENTRY_DSN, environment=SENTRY_ENVIRONMENT, traces_sample_rate=0.0, send_default_pii=False)

DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=50 * 1024 * 1024)

# --- Content-file sources (importers/sources/content_archives.py, ocw_content.py) ------------------------
# Where each source finds its course archives: a folder (default var/content/<platform>; missing = nothing to do)
# or s3://bucket/prefix (AWS_* credentials and AWS_S3_ENDPOINT_URL apply).
EDX_CONTENT_ARCHIVES = env.str("EDX_CONTENT_ARCHIVES", default=str(VAR_DIR / "content" / "edx"))
MITXONLINE_CONTENT_ARCHIVES = env.str("MITXONLINE_CONTENT_ARCHIVES", default=str(VAR_DIR / "content" / "mitxonline"))
XPRO_CONTENT_ARCHIVES = env.str("XPRO_CONTENT_ARCHIVES", default=str(VAR_DIR / "content" / "xpro"))
CANVAS_CONTENT_ARCHIVES = env.str("CANVAS_CONTENT_ARCHIVES", default=str(VAR_DIR / "content" / "canvas"))
CONTENT_ARCHIVE_MAX_BYTES = env.int("CONTENT_ARCHIVE_MAX_BYTES", default=2 * 1024 * 1024 * 1024)
# Unpacking an archive: over the file count or unpacked total it is refused; a member over the file size or the
# compression ratio is skipped and recorded, the others load.
CONTENT_ARCHIVE_MAX_FILES = env.int("CONTENT_ARCHIVE_MAX_FILES", default=20_000)
CONTENT_ARCHIVE_MAX_UNPACKED_BYTES = env.int("CONTENT_ARCHIVE_MAX_UNPACKED_BYTES", default=2 * 1024 * 1024 * 1024)
CONTENT_ARCHIVE_MAX_FILE_BYTES = env.int("CONTENT_ARCHIVE_MAX_FILE_BYTES", default=200 * 1024 * 1024)
CONTENT_ARCHIVE_MAX_RATIO = env.int("CONTENT_ARCHIVE_MAX_RATIO", default=200)
# OCW course files (PDFs, transcripts): read beside the site JSON (OCW_COURSES_DIR / OCW_S3_BUCKET) when there,
# else fetched from OCW_BASE_URL (or the file's own URL) over HTTP when this is on.
OCW_CONTENT_FETCH_FILES = env.bool("OCW_CONTENT_FETCH_FILES", default=True)

# --- Learner lists, saved searches and their email digests (issue 16; catalog/lists.py, search/saved/) -----------
# Where learner pages send visitors to sign in (the site's own sign-in page, not the Wagtail admin's).
LEARNER_LOGIN_URL = LOGIN_URL
# Writes to /api/v1/lists/ and /api/v1/saved-searches/ are throttled in the API's "write" scope (API_THROTTLE_*).
# At most this many new resources per saved search in one digest email (the email links to the full search).
SAVED_SEARCH_DIGEST_MAX_RESULTS = env.int("SAVED_SEARCH_DIGEST_MAX_RESULTS", default=10)

# --- Hardening (issue 16): login throttling, Content-Security-Policy, Permissions-Policy, preview tokens ----------
# See cms/login_throttling.py, cms/security_headers.py, cms/preview_tokens.py and docs/operations.md.

INSTALLED_APPS += ["axes", "csp"]
# django-axes: first backend, so a locked-out username+address is refused before any other backend (OIDC, password)
# is asked; its middleware, last, turns the refusal into the lockout page. AxesBackend (not the standalone one) also
# has ModelBackend's get_user, for code that logs in with the first backend (Wagtail's preview test helper does).
AUTHENTICATION_BACKENDS = ["axes.backends.AxesBackend", *AUTHENTICATION_BACKENDS]
# Security headers first, so every response (health probes and /metrics included) carries them.
MIDDLEWARE = ["cms.security_headers.SecurityHeadersMiddleware", *MIDDLEWARE, "axes.middleware.AxesMiddleware"]
# Wrong passwords allowed for one username from one address before both are locked out for LOGIN_LOCKOUT_MINUTES.
AXES_ENABLED = env.bool("LOGIN_THROTTLE_ENABLED", default=True)
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_LOCKOUT_MINUTES = env.int("LOGIN_LOCKOUT_MINUTES", default=15)
if AXES_FAILURE_LIMIT < 1 or LOGIN_LOCKOUT_MINUTES < 1:
    raise SettingError(
        f"LOGIN_FAILURE_LIMIT and LOGIN_LOCKOUT_MINUTES must be at least 1; got {AXES_FAILURE_LIMIT} and "
        f"{LOGIN_LOCKOUT_MINUTES} (the defaults are 5 and 15)"
    )
AXES_COOLOFF_TIME = LOGIN_LOCKOUT_MINUTES / 60  # hours
# Lock the username+address pair: an attacker cannot lock a user out from elsewhere, nor try many users from one.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "cms.login_throttling.lockout_response"
AXES_CLIENT_IP_CALLABLE = "cms.login_throttling.client_ip"
AXES_USERNAME_FORM_FIELD = "username"
# Its start-up banner would be one more line on every manage.py command's stdout; lockouts are still logged.
LOGGING["loggers"]["axes.apps"] = {"level": "WARNING"}
# Behind a reverse proxy: the request.META header that carries the client address (e.g. HTTP_X_FORWARDED_FOR) and
# how many proxies of ours append to it. Empty (default): the TCP peer address (REMOTE_ADDR), which a client cannot
# forge; a header is trusted only when named here, since anyone can send one.
CLIENT_IP_HEADER = env.str("CLIENT_IP_HEADER", default="").strip().upper().replace("-", "_")
CLIENT_IP_PROXY_COUNT = env.int("CLIENT_IP_PROXY_COUNT", default=1)
if CLIENT_IP_HEADER and CLIENT_IP_PROXY_COUNT < 1:
    raise SettingError(f"CLIENT_IP_PROXY_COUNT must be at least 1 with CLIENT_IP_HEADER; got {CLIENT_IP_PROXY_COUNT}")

# Content-Security-Policy (django-csp 4, built per request by cms.security_headers): public pages allow scripts from
# this site only (no inline script, no nonce: their bodies are cached, see docs/decisions.md); the Wagtail and
# Django admin add what they need. Report-only mode sends Content-Security-Policy-Report-Only instead, to try a
# change without breaking anything; violations are POSTed to CSP_REPORT_URI when set.
SECURITY_CSP_REPORT_ONLY = env.bool("CSP_REPORT_ONLY", default=False)
SECURITY_CSP_REPORT_URI = env.str("CSP_REPORT_URI", default="")
# Extra sources, comma-separated, e.g. https://www.googletagmanager.com for Google Analytics, or an embed provider.
SECURITY_CSP_EXTRA_SCRIPT_SRC = env.list("CSP_EXTRA_SCRIPT_SRC", default=[])
SECURITY_CSP_EXTRA_CONNECT_SRC = env.list("CSP_EXTRA_CONNECT_SRC", default=[])
SECURITY_CSP_EXTRA_FRAME_SRC = env.list("CSP_EXTRA_FRAME_SRC", default=[])
# Origins allowed to frame this site's pages (besides itself), e.g. a frontend that embeds them.
SECURITY_CSP_EXTRA_FRAME_ANCESTORS = env.list("CSP_EXTRA_FRAME_ANCESTORS", default=[])


def _origin(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


_CSP_DIRECTIVES = {
    "default-src": ["'self'"],
    "script-src": ["'self'", *SECURITY_CSP_EXTRA_SCRIPT_SRC],
    # Inline style elements and attributes stay allowed (see docs/decisions.md): several public templates use
    # them, Wagtail's admin needs them, and scripts (the dangerous part) stay strict.
    "style-src": ["'self'", "'unsafe-inline'"],
    # Resource images come from the source platforms (any https host); data: for small inline icons.
    "img-src": ["'self'", "data:", "blob:", "https:"],
    "media-src": ["'self'", "https:"],
    "font-src": ["'self'", "data:"],
    "connect-src": ["'self'", *SECURITY_CSP_EXTRA_CONNECT_SRC],
    # Embedded videos (wagtail.embeds) and the headless preview frame (the Next.js frontend).
    "frame-src": [
        "'self'",
        "https://www.youtube.com",
        "https://www.youtube-nocookie.com",
        "https://player.vimeo.com",
        *([_origin(HEADLESS_PREVIEW_CLIENT_URL)] if _origin(HEADLESS_PREVIEW_CLIENT_URL) else []),
        *SECURITY_CSP_EXTRA_FRAME_SRC,
    ],
    # Wagtail's live preview frames the site itself; nobody else may (clickjacking).
    "frame-ancestors": ["'self'", *SECURITY_CSP_EXTRA_FRAME_ANCESTORS],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    **({"report-uri": [SECURITY_CSP_REPORT_URI]} if SECURITY_CSP_REPORT_URI else {}),
}
CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": _CSP_DIRECTIVES} if SECURITY_CSP_REPORT_ONLY else None
CONTENT_SECURITY_POLICY = None if SECURITY_CSP_REPORT_ONLY else {"DIRECTIVES": _CSP_DIRECTIVES}
# Permissions-Policy: browser features no page of this site uses are denied to it and to anything it frames.
# (FLoC's interest-cohort is gone from browsers, which log an error for it: browsing-topics is its successor.)
PERMISSIONS_POLICY = (
    "accelerometer=(), browsing-topics=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), hid=(), "
    "magnetometer=(), microphone=(), midi=(), payment=(), publickey-credentials-get=(), serial=(), usb=(), "
    "xr-spatial-tracking=()"
)

# Wagtail's avatars from Gravatar over HTTPS always (its default, protocol-relative, is http:// on a plain-HTTP site,
# which the policy's img-src https: refuses).
WAGTAIL_GRAVATAR_PROVIDER_URL = "https://www.gravatar.com/avatar"

# Headless preview tokens (wagtail-headless-preview) are refused by the preview API after this many seconds, and
# deleted; the editor previews again for a new one.
PREVIEW_TOKEN_MAX_AGE = env.int("PREVIEW_TOKEN_MAX_AGE", default=3600)
if PREVIEW_TOKEN_MAX_AGE < 60:
    raise SettingError(f"PREVIEW_TOKEN_MAX_AGE must be at least 60 (seconds); got {PREVIEW_TOKEN_MAX_AGE}")
