"""The anonymous page cache: whole public responses kept server-side and served without running the view.

Contract. `AnonymousPageCacheMiddleware` serves a GET from the cache when the request carries no identity (no
session cookie, no messages cookie, no Authorization header): such a visitor is anonymous without a database
query, and every such visitor sees the same page. It stores a response only when the view marked it public
(`Cache-Control: public`, set by `cms.caching` for anonymous 200s, previews and signed-in views excluded), it sets
no cookie, did not use a CSRF token and varies on nothing but Cookie, Accept and Accept-Encoding. So signed-in
pages, forms and previews are never stored, and a signed-in visitor is never served a stored page.

Keys are made of the *generation* (a database row, `cms.PageCacheGeneration`), the scheme, host, full path and
Accept header. The generation changes after every transaction that changes public content (`bump()`):
`catalog.signals.resources_changed` (imports, the lock-aware admin edit form, lookup edits, view-count loads),
`resource_image_changed` (the image task), Wagtail's page publish, unpublish and move, and any save or delete of a
model of the content apps (pages, snippets, settings, images, catalogue lookups, feed items; see WATCHED_APPS and
IGNORED_MODELS). Old entries are never read again and expire. The generation is read from the database (one
primary-key query per request) rather than the cache so that it is shared by every process even with the embedded
per-process LocMem cache.
`PAGE_CACHE_SECONDS` bounds what only the clock changes (an event becoming past, a run's "next start").
"""

import contextlib
import hashlib
import logging
import secrets

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpResponse
from django.urls import Resolver404, resolve
from django.utils.cache import cc_delim_re, get_conditional_response

logger = logging.getLogger(__name__)

# Models of these apps are shown on public pages: any save or delete changes the generation.
WATCHED_APPS = frozenset(
    {"catalog", "news", "cms", "wagtailcore", "wagtailimages", "wagtaildocs", "wagtailsearchpromotions", "taggit"}
)
# Bookkeeping that no public page shows (and some that is written while pages render, like renditions).
IGNORED_MODELS = frozenset(
    {
        "cms.pagecachegeneration",
        "cms.apikey",
        # A learner's lists are shown on their own (never cached) pages and on shared-list pages, which are private.
        "catalog.learnerlist",
        "catalog.learnerlistitem",
        "cms.workerheartbeat",
        "cms.user",
        "cms.customrendition",
        "catalog.sourcesnapshot",
        "wagtailcore.revision",
        "wagtailcore.pagelogentry",
        "wagtailcore.modellogentry",
        "wagtailcore.taskstate",
        "wagtailcore.workflowstate",
        "wagtailcore.pagesubscription",
        "wagtailcore.uploadedfile",
        "wagtailimages.rendition",
    }
)
# A stored response may vary on these only: the key holds Accept, Cookie is why anonymous-only, and
# Accept-Encoding is GZipMiddleware's (above this middleware, so it compresses each response it sends).
ALLOWED_VARY = frozenset({"cookie", "accept", "accept-encoding"})
CACHE_HEADER = "X-Page-Cache"


def current_generation() -> int | None:
    """The generation pages are stored under now (0 before any change was recorded); None when it cannot be read
    (a database not migrated yet, during a deploy): then nothing is served from nor stored in the cache."""
    from cms.models import PageCacheGeneration

    try:
        token = PageCacheGeneration.objects.filter(pk=1).values_list("token", flat=True).first()
    except DatabaseError:
        logger.warning("page cache: the generation cannot be read (database not migrated?); pages are not cached")
        return None
    return token or 0


def _write_new_generation() -> None:
    from cms.models import PageCacheGeneration

    token = secrets.randbits(62)
    try:
        if not PageCacheGeneration.objects.filter(pk=1).update(token=token):
            PageCacheGeneration.objects.update_or_create(pk=1, defaults={"token": token})
    except DatabaseError:
        # The change is committed already; failing its request over the cache would be worse than a page that
        # stays stale for at most PAGE_CACHE_SECONDS.
        logger.exception("page cache: the generation could not be changed; pages may be stale for a while")


def bump() -> None:
    """Forget every cached page once the current transaction commits (at once outside one).

    After the commit, not inside it: a request that read the new generation must also see the new content. Each
    change writes the row once (bulk writes send one `resources_changed` per batch, so an import writes it once
    per batch of 500). The content cache (`cms.content_cache`) keys its entries by the same generation."""
    from cms import content_cache

    content_cache.note_change()
    if settings.PAGE_CACHE_SECONDS or content_cache.seconds():
        transaction.on_commit(_write_new_generation)


def _is_watched(sender) -> bool:
    meta = getattr(sender, "_meta", None)
    return meta is not None and meta.app_label in WATCHED_APPS and meta.label_lower not in IGNORED_MODELS


def _on_model_change(sender, **kwargs):
    if kwargs.get("raw"):  # loaddata
        return
    if _is_watched(sender):
        bump()


def _on_content_change(sender=None, **kwargs):
    bump()


def connect_signals() -> None:
    """Connect the receivers that change the generation (called from CmsConfig.ready)."""
    from wagtail.signals import page_published, page_unpublished, post_page_move

    from catalog.signals import resource_image_changed, resources_changed

    uid = "cms.page_cache"
    post_save.connect(_on_model_change, dispatch_uid=f"{uid}.post_save", weak=False)
    post_delete.connect(_on_model_change, dispatch_uid=f"{uid}.post_delete", weak=False)
    m2m_changed.connect(_on_model_change, dispatch_uid=f"{uid}.m2m_changed", weak=False)
    resources_changed.connect(_on_content_change, dispatch_uid=f"{uid}.resources_changed", weak=False)
    resource_image_changed.connect(_on_content_change, dispatch_uid=f"{uid}.resource_image_changed", weak=False)
    for signal in (page_published, page_unpublished, post_page_move):
        signal.connect(_on_content_change, dispatch_uid=f"{uid}.{id(signal)}", weak=False)


def _carries_identity(request) -> bool:
    cookies = request.COOKIES
    return (
        settings.SESSION_COOKIE_NAME in cookies
        or getattr(settings, "MESSAGE_COOKIE_NAME", "messages") in cookies
        or "HTTP_AUTHORIZATION" in request.META
    )


def _key(request, generation: int) -> str:
    where = f"{request.scheme}://{request.get_host()}{request.get_full_path()}\n{request.META.get('HTTP_ACCEPT', '')}"
    return f"page:{generation}:{hashlib.blake2b(where.encode(), digest_size=16).hexdigest()}"


def _storable(request, response) -> bool:
    if response.status_code != 200 or response.streaming or response.cookies:
        return False
    if request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):  # the page holds this visitor's CSRF token
        return False
    directives = {d.strip().split("=")[0].lower() for d in cc_delim_re.split(response.get("Cache-Control", ""))}
    if "public" not in directives or {"private", "no-store", "no-cache"} & directives:
        return False
    vary = {v.strip().lower() for v in cc_delim_re.split(response.get("Vary", "")) if v.strip()}
    return vary <= ALLOWED_VARY


class AnonymousPageCacheMiddleware:
    """Serve and store anonymous public GET responses (see the module docstring). Placed after
    AuthenticationMiddleware and CommonMiddleware (the Host is validated before it is part of a key)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        seconds = settings.PAGE_CACHE_SECONDS
        if not seconds or request.method != "GET" or _carries_identity(request):
            return self.get_response(request)
        # Read before the view runs: whatever it reads is at least as new as this generation.
        generation = current_generation()
        if generation is None:
            return self.get_response(request)
        request._page_cache_generation = generation  # the content cache's too: read once per request
        key = _key(request, generation)
        stored = cache.get(key)
        if stored is not None:
            return self._replay(request, stored)
        response = self.get_response(request)
        if _storable(request, response):
            headers = [(k, v) for k, v in response.items() if k.lower() not in ("content-length", CACHE_HEADER.lower())]
            cache.set(key, (response.content, headers), seconds)
            response[CACHE_HEADER] = "miss"
        return response

    def _replay(self, request, stored):
        content, headers = stored
        response = HttpResponse(content)
        for name, value in headers:
            response[name] = value
        response[CACHE_HEADER] = "hit"
        with contextlib.suppress(Resolver404):  # for the request metrics' URL name: no view runs
            request.resolver_match = resolve(request.path_info)
        return get_conditional_response(request, etag=response.get("ETag"), response=response)
