"""Rate limits per learner and the site's daily token budget, counted in the Django cache.

A learner is the signed-in user, else the client address; either is hashed before it becomes a cache key, so the
cache holds nothing that identifies a learner. Counters live until the end of their minute or UTC day."""

import hashlib
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from cms.accounts.throttling import caller_identity


@dataclass
class LimitExceeded:
    message: str
    retry_after: int


def learner_key(request) -> str:
    # The API's throttles count the same callers: a user, a service's API key, else a client address.
    kind, ident = caller_identity(request)
    raw = {"user": f"user:{ident}", "key": f"apikey:{ident}"}.get(kind, f"ip:{ident}")
    return hashlib.sha256(f"{settings.SECRET_KEY}:{raw}".encode()).hexdigest()[:32]


def _count(key: str, window: int) -> int:
    """Increment the counter of the current `window` (seconds) and return it."""
    bucket = int(time.time() // window)
    name = f"ask:{key}:{window}:{bucket}"
    cache.add(name, 0, timeout=window + 5)
    try:
        return cache.incr(name)
    except ValueError:  # expired between add and incr
        cache.set(name, 1, timeout=window + 5)
        return 1


def check_rate(request) -> LimitExceeded | None:
    """Count one question for the request's learner; a LimitExceeded when over ASK_RATE_PER_MINUTE/PER_DAY."""
    key = learner_key(request)
    now = time.time()
    if settings.ASK_RATE_PER_MINUTE and _count(key, 60) > settings.ASK_RATE_PER_MINUTE:
        return LimitExceeded(
            f"too many questions: at most {settings.ASK_RATE_PER_MINUTE} a minute; wait a moment",
            int(60 - now % 60) + 1,
        )
    if settings.ASK_RATE_PER_DAY and _count(key, 86400) > settings.ASK_RATE_PER_DAY:
        return LimitExceeded(
            f"too many questions today: at most {settings.ASK_RATE_PER_DAY} a day", int(86400 - now % 86400) + 1
        )
    return None


def _budget_key() -> str:
    return f"ask:tokens:{int(time.time() // 86400)}"


def tokens_spent_today() -> int:
    return int(cache.get(_budget_key(), 0))


def budget_left() -> bool:
    return tokens_spent_today() < settings.ASK_DAILY_TOKEN_BUDGET


def spend_tokens(count: int) -> None:
    if count <= 0:
        return
    key = _budget_key()
    cache.add(key, 0, timeout=86400 + 60)
    try:
        cache.incr(key, count)
    except ValueError:
        cache.set(key, count, timeout=86400 + 60)
