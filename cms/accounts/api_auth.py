"""DRF authentication for the API: bearer JWTs from the identity provider, and per-service API keys.

Contract (`REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"]`, before sessions):

- `Authorization: Bearer <JWT>` → `BearerTokenAuthentication`: the token must be signed (RS256 or ES256 only) by a
  key in the identity provider's JWKS, name our audience (OIDC_AUDIENCE) and issuer (OIDC_ISSUER), and be unexpired
  (OIDC_TOKEN_LEEWAY seconds of clock skew). It authenticates as the Learnhub user `user_for_claims` maps it to.
- `Authorization: Api-Key <key>` or `X-Api-Key: <key>` → `ApiKeyAuthentication`: a service, not a person:
  `request.user` stays anonymous and `request.auth` is the `ApiKey` (see `is_service`).
- No such header → the next class (sessions), else anonymous.

A presented credential that fails is never ignored: 401 with `{"detail": "<what was wrong and what to do>"}` and a
`WWW-Authenticate` header. An identity provider that cannot be reached (JWKS or discovery) gives 503 with a message
saying so: the caller's token may be fine, so "unauthorised" would send them to sign in again for nothing.
"""

import logging
import threading
import time

from django.conf import settings
from django.contrib.auth import get_user_model

import httpx
import jwt
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions, status
from rest_framework.authentication import BaseAuthentication

logger = logging.getLogger(__name__)

# Asymmetric algorithms only: with HS256 a public JWKS key would become a shared secret anyone can sign with, and
# `none` is no signature at all.
ALLOWED_ALGORITHMS = ("RS256", "ES256")
# social-auth's OpenIdConnectAuth backend stores a user's OIDC subject as UserSocialAuth(provider="oidc", uid=sub).
OIDC_PROVIDER = "oidc"
CHALLENGE = 'Bearer realm="api", Api-Key realm="api"'


class IdentityProviderUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "the identity provider could not be reached to check the token's signature; try again shortly"
    default_code = "identity_provider_unavailable"


def _refused(message: str, code: str) -> exceptions.AuthenticationFailed:
    return exceptions.AuthenticationFailed(message, code=code)


# --- The identity provider's keys ------------------------------------------------------------------------------

# After a failed fetch, requests fail fast (or use the last key set or discovery document) for this long instead of
# each waiting for the identity provider's timeout.
FETCH_FAILURE_BACKOFF_SECONDS = 5.0
_lock = threading.Lock()
_discovery: dict[str, tuple[float, dict]] = {}  # url → (fetched at, document)
_discovery_failed_at: dict[str, float] = {}
_clients: dict[tuple, jwt.PyJWKClient] = {}


def reset_key_cache() -> None:
    """Forget the cached discovery documents and JWKS (tests; an operator never needs it: keys refresh themselves)."""
    with _lock:
        _discovery.clear()
        _discovery_failed_at.clear()
        _clients.clear()


def _discovery_document() -> dict:
    """OIDC_ENDPOINT's discovery document, cached like the key set (and, like it, used for one more cache lifetime
    when the provider cannot be reached)."""
    endpoint = settings.SOCIAL_AUTH_OIDC_OIDC_ENDPOINT.rstrip("/")
    url = f"{endpoint}/.well-known/openid-configuration"
    lifetime = settings.OIDC_JWKS_CACHE_SECONDS
    now = time.monotonic()
    with _lock:
        fetched_at, document = _discovery.get(url, (None, None))
    if document is not None and now - fetched_at < lifetime:
        return document
    usable_stale = document is not None and now - fetched_at < 2 * lifetime
    failed_at = _discovery_failed_at.get(url)
    if failed_at is not None and now - failed_at < FETCH_FAILURE_BACKOFF_SECONDS:
        if usable_stale:
            return document
        raise IdentityProviderUnavailable()
    try:
        response = httpx.get(url, timeout=settings.OIDC_JWKS_TIMEOUT)
        response.raise_for_status()
        fresh = response.json()
        if not isinstance(fresh, dict):
            raise ValueError("the discovery document is not a JSON object")
    except (httpx.HTTPError, ValueError) as exc:
        _discovery_failed_at[url] = now
        if usable_stale:
            logger.warning("OIDC discovery at %s failed (%s): using the document fetched before", url, exc)
            return document
        logger.warning("OIDC discovery at %s failed: %s", url, exc)
        raise IdentityProviderUnavailable() from exc
    with _lock:
        _discovery[url] = (now, fresh)
    return fresh


def token_settings() -> tuple[str, str, str]:
    """(JWKS URL, issuer, audience) that tokens are checked against; AuthenticationFailed when bearer tokens are not
    configured. OIDC_JWKS_URL and OIDC_ISSUER default to the discovery document of OIDC_ENDPOINT."""
    jwks_url, issuer, audience = settings.OIDC_JWKS_URL, settings.OIDC_ISSUER, settings.OIDC_AUDIENCE
    if not settings.SOCIAL_AUTH_OIDC_OIDC_ENDPOINT and not (jwks_url and issuer):
        raise _refused(
            "bearer tokens are not accepted: no identity provider is configured (OIDC_ENDPOINT); use an API key",
            "bearer_not_configured",
        )
    if not audience:
        raise _refused(
            "bearer tokens are not accepted: no audience is configured (OIDC_AUDIENCE or OIDC_CLIENT_ID)",
            "bearer_not_configured",
        )
    if not jwks_url or not issuer:
        document = _discovery_document()
        jwks_url = jwks_url or document.get("jwks_uri", "")
        issuer = issuer or document.get("issuer", "")
        if not jwks_url or not issuer:
            raise IdentityProviderUnavailable(
                "the identity provider's discovery document names no jwks_uri or issuer; set OIDC_JWKS_URL and "
                "OIDC_ISSUER"
            )
    return jwks_url, issuer, audience


class KeySetClient(jwt.PyJWKClient):
    """PyJWKClient that rides out a short identity-provider outage: when the key set cannot be fetched, the last one
    fetched is used for up to one more cache lifetime (keys rarely change; refusing every signed-in caller because
    the provider blinked would be worse), and after a failure it does not retry for FETCH_FAILURE_BACKOFF_SECONDS."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._lifespan = kwargs.get("lifespan", 300)
        self._last_set: jwt.PyJWKSet | None = None
        self._fetched_at = 0.0
        self._failed_at: float | None = None

    def fetch_data(self):
        if self._failed_at is not None and time.monotonic() - self._failed_at < FETCH_FAILURE_BACKOFF_SECONDS:
            raise jwt.PyJWKClientConnectionError("the key set could not be fetched moments ago; not retrying yet")
        try:
            data = super().fetch_data()
        except jwt.PyJWKClientConnectionError:
            self._failed_at = time.monotonic()
            raise
        self._failed_at = None
        self._fetched_at = time.monotonic()
        return data

    def get_jwk_set(self, refresh: bool = False) -> jwt.PyJWKSet:
        try:
            jwk_set = super().get_jwk_set(refresh)
        except jwt.PyJWKClientConnectionError:
            if self._last_set is not None and time.monotonic() - self._fetched_at < 2 * self._lifespan:
                logger.warning("JWKS at %s unreachable: using the key set fetched before", self.uri)
                return self._last_set
            raise
        self._last_set = jwk_set
        return jwk_set


def _jwks_client(jwks_url: str) -> jwt.PyJWKClient:
    """One client per JWKS URL and settings, kept for the process: it caches the key set for OIDC_JWKS_CACHE_SECONDS
    and refetches it for an unknown `kid` at most once per OIDC_JWKS_MIN_REFETCH_SECONDS (so tokens with made-up
    kids cannot make us hammer the identity provider)."""
    options = (
        jwks_url,
        settings.OIDC_JWKS_CACHE_SECONDS,
        settings.OIDC_JWKS_MIN_REFETCH_SECONDS,
        settings.OIDC_JWKS_TIMEOUT,
    )
    with _lock:
        client = _clients.get(options)
        if client is None:
            client = KeySetClient(
                jwks_url,
                cache_jwk_set=True,
                lifespan=max(settings.OIDC_JWKS_CACHE_SECONDS, 1),
                cooldown_duration=settings.OIDC_JWKS_MIN_REFETCH_SECONDS,
                timeout=settings.OIDC_JWKS_TIMEOUT,
            )
            _clients[options] = client
        return client


def _signing_key(jwks_url: str, kid: str) -> jwt.PyJWK:
    try:
        return _jwks_client(jwks_url).get_signing_key(kid)
    except jwt.PyJWKClientConnectionError as exc:
        logger.warning("JWKS at %s could not be fetched: %s", jwks_url, exc)
        raise IdentityProviderUnavailable() from exc
    except jwt.PyJWKClientError as exc:
        if "Unable to find a signing key" in str(exc):
            raise _refused(
                f"token signed with a key the identity provider does not publish (kid {kid!r})", "unknown_key"
            ) from exc
        logger.warning("JWKS at %s is unusable: %s", jwks_url, exc)
        raise IdentityProviderUnavailable(
            "the identity provider's key set could not be used to check the token; try again shortly"
        ) from exc


# --- Tokens ----------------------------------------------------------------------------------------------------


def validate_token(token: str) -> dict:
    """The claims of a valid bearer JWT, or AuthenticationFailed saying what is wrong (IdentityProviderUnavailable
    when its keys cannot be fetched)."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise _refused("malformed bearer token: not a JWT", "malformed_token") from exc
    algorithm = header.get("alg")
    if algorithm not in ALLOWED_ALGORITHMS:
        raise _refused(
            f"token algorithm {algorithm!r} is not accepted; tokens must be signed with "
            f"{' or '.join(ALLOWED_ALGORITHMS)}",
            "algorithm_not_accepted",
        )
    kid = header.get("kid")
    if not kid:
        raise _refused("token has no key id (kid) in its header", "malformed_token")
    jwks_url, issuer, audience = token_settings()
    signing_key = _signing_key(jwks_url, kid)
    try:
        return jwt.decode(
            token,
            signing_key.key,
            algorithms=[algorithm],
            audience=audience,
            issuer=issuer,
            leeway=settings.OIDC_TOKEN_LEEWAY,
            options={"require": ["exp", "iss", "aud", "sub"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise _refused("token expired: get a new one from the identity provider", "token_expired") from exc
    except jwt.InvalidAudienceError as exc:
        message = f"token is for another audience; this API accepts audience {audience!r}"
        raise _refused(message, "wrong_audience") from exc
    except jwt.InvalidIssuerError as exc:
        raise _refused(f"token was issued by another issuer; this API accepts {issuer!r}", "wrong_issuer") from exc
    except jwt.MissingRequiredClaimError as exc:
        raise _refused(f"token lacks the {exc.claim!r} claim", "missing_claim") from exc
    except jwt.ImmatureSignatureError as exc:
        message = "token is not valid yet (nbf/iat in the future); check the clocks"
        raise _refused(message, "token_not_yet_valid") from exc
    except jwt.InvalidSignatureError as exc:
        raise _refused("token signature does not verify against the identity provider's key", "bad_signature") from exc
    except (jwt.PyJWTError, ValueError) as exc:
        raise _refused(f"invalid bearer token: {exc}", "invalid_token") from exc


def user_for_claims(claims: dict):
    """The active Learnhub user a validated token speaks for: the user linked to its `sub` by an OIDC sign-in, else
    the one user whose email is the token's verified email. AuthenticationFailed otherwise (no account is created
    here: accounts are created by signing in on the site, where the sign-in pipeline applies its rules)."""
    from social_django.models import UserSocialAuth

    subject = str(claims.get("sub", ""))
    link = UserSocialAuth.objects.select_related("user").filter(provider=OIDC_PROVIDER, uid=subject).first()
    if link is not None:
        user = link.user
    else:
        email = str(claims.get("email") or "").strip()
        # Some providers send the flag as the string "true" (the sign-in pipeline accepts that too).
        verified = claims.get("email_verified")
        if not email or not (verified is True or str(verified).lower() == "true"):
            raise _refused(
                "no Learnhub account is linked to this token's subject and it carries no verified email; "
                "sign in on the site once to link your account",
                "no_account",
            )
        users = list(get_user_model().objects.filter(email__iexact=email)[:2])
        if len(users) != 1:
            raise _refused(
                f"no single Learnhub account has the email {email!r} "
                f"({'several do' if users else 'none does'}); sign in on the site once to link your account",
                "no_account",
            )
        user = users[0]
    if not user.is_active:
        raise _refused("this Learnhub account is disabled", "account_disabled")
    return user


# --- DRF -------------------------------------------------------------------------------------------------------


def _authorization(request) -> tuple[str, str]:
    """(scheme lower-cased, credentials) of the Authorization header; ("", "") without one."""
    value = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, credentials = value.strip().partition(" ")
    return scheme.lower(), credentials.strip()


class BearerTokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer <JWT>` issued by the identity provider (see the module docstring)."""

    def authenticate(self, request):
        scheme, token = _authorization(request)
        if scheme != "bearer":
            return None
        if not token:
            raise _refused("empty bearer token", "malformed_token")
        claims = validate_token(token)
        return user_for_claims(claims), claims

    def authenticate_header(self, request):
        # The first class's challenge is the one DRF sends with a 401: name both schemes the API takes.
        return CHALLENGE


class ApiKeyAuthentication(BaseAuthentication):
    """`Authorization: Api-Key <key>` or `X-Api-Key: <key>`: a service. `request.user` stays anonymous (a service is
    nobody's account); `request.auth` is the ApiKey."""

    def authenticate(self, request):
        scheme, credentials = _authorization(request)
        raw_key = credentials if scheme == "api-key" else request.META.get("HTTP_X_API_KEY", "").strip()
        if not raw_key:
            if scheme == "api-key" or "HTTP_X_API_KEY" in request.META:
                raise _refused("empty API key", "malformed_key")
            return None
        # Imported here: DRF loads this module while reading its settings, possibly before the app registry is ready.
        from .api_keys import ApiKeyRefused, check_key

        try:
            api_key = check_key(raw_key)
        except ApiKeyRefused as exc:
            raise _refused(str(exc), "key_refused") from exc
        from django.contrib.auth.models import AnonymousUser

        return AnonymousUser(), api_key

    def authenticate_header(self, request):
        return CHALLENGE


def is_service(request) -> bool:
    """True when the request was authenticated with an API key."""
    from cms.models import ApiKey

    return isinstance(getattr(request, "auth", None), ApiKey)


def auth_method(request) -> str:
    """How the caller was authenticated: "bearer", "api_key", "session" or "anonymous"."""
    if is_service(request):
        return "api_key"
    authenticator = getattr(request, "successful_authenticator", None)
    if isinstance(authenticator, BearerTokenAuthentication):
        return "bearer"
    if getattr(request, "user", None) is not None and request.user.is_authenticated:
        return "session"
    return "anonymous"


# --- OpenAPI ---------------------------------------------------------------------------------------------------


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "cms.accounts.api_auth.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "An access token from the identity provider (OIDC), signed RS256 or ES256, with this "
            "API's audience. It acts as the Learnhub user linked to its subject (or its verified email).",
        }


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "cms.accounts.api_auth.ApiKeyAuthentication"
    name = "apiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "X-Api-Key",
            "description": "A per-service key created in the admin (Settings → API keys), sent as `X-Api-Key: "
            "<key>` or `Authorization: Api-Key <key>`.",
        }
