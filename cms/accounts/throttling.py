"""API throttles: requests per caller and per scope, counted in the Django cache (Redis in production).

Contract: put a scope's class on a view — `throttle_classes = [SearchThrottle]` (search), `[WriteThrottle]` (any
endpoint that writes: feedback, learner lists, saved searches). Each caller is counted separately by kind:

- `key`: a service's API key (one bucket per key),
- `user`: a signed-in person (session or bearer token; one bucket per user),
- `anon`: everyone else, by client address.

Rates are `API_THROTTLE_RATES["<scope>.<kind>"]` ("60/min"; empty: unlimited), read at each request so tests and
operators can change them; `API_THROTTLE_ENABLED=false` turns every throttle off. Over the rate → 429 with
`Retry-After` and a message naming the limit. The Ask endpoint is limited by search/ask/limits.py (per minute and
per day, and a token budget), which counts the same callers through `caller_identity`.
"""

import hashlib

from django.conf import settings
from django.contrib.auth import SESSION_KEY, get_user

from rest_framework import exceptions
from rest_framework.throttling import SimpleRateThrottle

from .api_auth import ApiKeyAuthentication, BearerTokenAuthentication, is_service

KINDS = {"key": "API key", "user": "signed-in user", "anon": "client address"}


def _authenticated(user) -> bool:
    return user is not None and user.is_authenticated


def caller_identity(request) -> tuple[str, str]:
    """("key", key id), ("user", user id) or ("anon", client address) for a DRF request.

    Views that skip authentication (the publicly cached search API) still count a caller by its session or its
    credentials; a credential that is refused there counts as anonymous (those views would have ignored it)."""
    if is_service(request):
        return "key", str(request.auth.pk)
    if _authenticated(getattr(request, "user", None)):
        return "user", str(request.user.pk)
    # DRF has set the Django request's user to anonymous on such views: read the session itself.
    django_request = getattr(request, "_request", request)
    session = getattr(django_request, "session", None)
    if session is not None and session.get(SESSION_KEY):
        user = get_user(django_request)
        if _authenticated(user):
            return "user", str(user.pk)
    if "HTTP_AUTHORIZATION" in request.META or "HTTP_X_API_KEY" in request.META:
        for authentication in (ApiKeyAuthentication(), BearerTokenAuthentication()):
            try:
                result = authentication.authenticate(request)
            except exceptions.APIException:
                result = None
            if result is not None:
                user, auth = result
                if _authenticated(user):
                    return "user", str(user.pk)
                return "key", str(auth.pk)
    return "anon", client_address(request)


def client_address(request) -> str:
    """The client's address: REMOTE_ADDR, or — behind API_TRUSTED_PROXIES proxies — the address the outermost of them
    saw, the n-th from the right of X-Forwarded-For (the entries left of it are whatever the client chose to send)."""
    proxies = settings.API_TRUSTED_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        addresses = [address.strip() for address in forwarded.split(",") if address.strip()]
        if addresses:
            return addresses[-min(proxies, len(addresses))]
    return request.META.get("REMOTE_ADDR", "")


class CallerRateThrottle(SimpleRateThrottle):
    """Rate per caller within `scope_group` ("search", "write"); see the module docstring."""

    scope_group = ""

    def __init__(self):
        # SimpleRateThrottle reads its rate here from DRF's settings; ours depends on the caller, read per request.
        self.rate = None

    def allow_request(self, request, view):
        if not settings.API_THROTTLE_ENABLED:
            return True
        kind, ident = caller_identity(request)
        self.scope = f"{self.scope_group}.{kind}"
        self.rate = settings.API_THROTTLE_RATES.get(self.scope) or None
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        # Hashed, so that the cache holds no address or account id.
        self.ident = hashlib.sha256(f"{settings.SECRET_KEY}:{kind}:{ident}".encode()).hexdigest()[:32]
        if super().allow_request(request, view):
            return True
        # DRF adds "Expected available in N seconds." and the Retry-After header.
        raise exceptions.Throttled(
            wait=self.wait(),
            detail=f"too many {self.scope_group} requests from this {KINDS[kind]}: at most {self.rate}.",
        )

    def get_cache_key(self, request, view):
        return f"throttle:{self.scope}:{self.ident}"


class SearchThrottle(CallerRateThrottle):
    """The search API (/api/v1/search/, /api/v1/search/content/)."""

    scope_group = "search"


class WriteThrottle(CallerRateThrottle):
    """Endpoints that write: Ask feedback, learner lists and saved searches, ..."""

    scope_group = "write"
