"""RP-initiated logout: where to send a user who signed in through the OIDC provider when they sign out.

OpenID Connect RP-Initiated Logout 1.0: the provider's `end_session_endpoint` (from its discovery document) with
`id_token_hint` (the ID token of this sign-in), `post_logout_redirect_uri` and `client_id`.
"""

import logging
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY

from social_core.backends.open_id_connect import OpenIdConnectAuth
from social_core.exceptions import SocialAuthBaseException
from social_django.utils import load_backend, load_strategy

logger = logging.getLogger(__name__)
OIDC_BACKEND_PATH = f"{OpenIdConnectAuth.__module__}.{OpenIdConnectAuth.__name__}"


def provider_logout_url(request) -> str | None:
    """The provider's end-session URL for the signed-in user, or None (not an OIDC sign-in, or no such endpoint).

    Call it before the Django session ends: it reads which backend signed the user in.
    """
    if request.session.get(BACKEND_SESSION_KEY) != OIDC_BACKEND_PATH:
        return None
    association = request.user.social_auth.filter(provider="oidc").order_by("-modified").first()
    id_token = (association.extra_data or {}).get("id_token") if association else None
    try:
        backend = load_backend(load_strategy(request), "oidc", redirect_uri=None)
        endpoint = backend.oidc_config().get("end_session_endpoint")
    except SocialAuthBaseException:
        # The provider is unreachable: the local session still ends; the provider's session outlives it.
        logger.warning("OIDC provider discovery failed at sign-out; signing out locally only", exc_info=True)
        return None
    if not endpoint:
        return None
    params = {
        "client_id": settings.SOCIAL_AUTH_OIDC_KEY,
        "post_logout_redirect_uri": settings.OIDC_POST_LOGOUT_REDIRECT_URL or request.build_absolute_uri("/"),
    }
    if id_token:
        params["id_token_hint"] = id_token
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(params)}"
