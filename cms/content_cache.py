"""Parts of public pages kept under the content generation (issue 15): the site and its settings, page routes and
the blocks that compute their content (resource queries, newest programs, topics, latest news, upcoming events).

Contract. Every entry's key holds the *generation* read once per request (`generation(request)`): the page
cache's database generation (`cms.PageCacheGeneration`, one primary-key query, shared by every process whatever
the cache backend) plus a process-local count of changes. `cms.page_cache.bump()` — called after every change of
public content: imports (`resources_changed`), page publish/unpublish/move, saves and deletes of the content
apps' models — counts the change here at once (so this process, and a test inside one transaction, never reads
an entry older than its own change) and writes a new database generation once the transaction commits (so every
other process misses its old entries too). Old entries are never read again and expire after
`CONTENT_CACHE_SECONDS`, which also bounds what only the clock changes (an event becoming past, "starting soon").

What is kept is the same for every visitor: nothing here depends on the user, and previews (drafts, editor
warnings) never read or write an entry. `CONTENT_CACHE_SECONDS = 0` turns it off (as in the test settings; the
query-limit and invalidation tests turn it on).
"""

from __future__ import annotations

import hashlib
import itertools
import threading

from django.conf import settings
from django.core.cache import cache

_changes = itertools.count(1)
_lock = threading.Lock()
_local_changes = 0
_MISSING = object()


def seconds() -> int:
    return int(getattr(settings, "CONTENT_CACHE_SECONDS", 0) or 0)


def note_change() -> None:
    """Count a change of public content in this process (called by `cms.page_cache.bump`)."""
    global _local_changes
    with _lock:
        _local_changes = next(_changes)


def generation(request=None) -> str | None:
    """The generation entries are kept under for this request (read once per request); None when the cache is
    off or the generation cannot be read (then nothing is read from nor kept in the cache)."""
    if not seconds():
        return None
    if request is not None and hasattr(request, "_content_generation"):
        return request._content_generation
    from cms.page_cache import current_generation

    # The page cache middleware has read it already when it is on.
    token = getattr(request, "_page_cache_generation", None)
    if token is None:
        token = current_generation()
    value = None if token is None else f"{token}.{_local_changes}"
    if request is not None:
        request._content_generation = value
    return value


def usable(request) -> bool:
    """Whether this request may read and keep entries: not a preview (drafts and editor warnings are its own)."""
    return request is not None and not getattr(request, "is_preview", False)


def key(name: str, generation_: str, parts) -> str:
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()
    return f"content:{name}:{generation_}:{digest}"


def peek(request, name: str, parts):
    """The entry if it is kept, else None (no query beyond the generation)."""
    if not usable(request):
        return None
    current = generation(request)
    if current is None:
        return None
    return cache.get(key(name, current, parts))


def get_or_compute(request, name: str, parts, compute):
    """The entry `name` for `parts` (anything with a stable repr), computed and kept on a miss. A computed None is
    returned but not kept (a missing page, say: not worth an entry)."""
    if not usable(request):
        return compute()
    current = generation(request)
    if current is None:
        return compute()
    entry_key = key(name, current, parts)
    value = cache.get(entry_key, _MISSING)
    if value is _MISSING:
        value = compute()
        if value is not None:
            cache.set(entry_key, value, seconds())
    return value
