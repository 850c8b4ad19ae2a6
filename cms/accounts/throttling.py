"""API throttles: requests per caller and per scope, counted in the Django cache (Redis in production).

Contract: `CallerThrottle` is in REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"]; a view opts in by naming its scope,
with no import: `throttle_scope = "search"` (the search API) or `throttle_scope = "write"` (any endpoint that writes:
Ask feedback, learner lists, saved searches; only POST/PUT/PATCH/DELETE are counted). A view that sets its own
`throttle_classes` keeps `CallerThrottle` in them to stay throttled. Each caller is counted separately by kind:

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


# Scopes whose throttle counts only requests that change something (reads of the same endpoints are not counted).
WRITE_ONLY_SCOPES = {"write"}
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class CallerThrottle(SimpleRateThrottle):
    """Rate per caller within the view's `throttle_scope` ("search", "write"); see the module docstring. A view
    without a scope that has rates in API_THROTTLE_RATES is not throttled by it."""

    def __init__(self):
        # SimpleRateThrottle reads its rate here from DRF's settings; ours depends on the caller, read per request.
        self.rate = None

    def allow_request(self, request, view):
        scope = getattr(view, "throttle_scope", None)
        if not settings.API_THROTTLE_ENABLED or not scope or f"{scope}.anon" not in settings.API_THROTTLE_RATES:
            return True
        if scope in WRITE_ONLY_SCOPES and request.method in SAFE_METHODS:
            return True
        kind, ident = caller_identity(request)
        self.scope = f"{scope}.{kind}"
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
            detail=f"too many {scope} requests from this {KINDS[kind]}: at most {self.rate}.",
        )

    def get_cache_key(self, request, view):
        return f"throttle:{self.scope}:{self.ident}"
