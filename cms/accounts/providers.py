"""The sign-in providers this installation offers, for the sign-in pages and the admin login.

A provider is offered when its settings are complete (an endpoint and a client id); an unset provider is off and
its button is not shown.
"""

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class Provider:
    backend: str  # social-auth backend name: the URL /auth/login/<backend>/
    label: str  # shown as "Sign in with <label>"


def configured_providers() -> list[Provider]:
    """The providers to offer, in display order: the staff/organisation OIDC provider first, then Open edX."""
    providers = []
    if settings.SOCIAL_AUTH_OIDC_OIDC_ENDPOINT and settings.SOCIAL_AUTH_OIDC_KEY:
        providers.append(Provider("oidc", settings.OIDC_PROVIDER_NAME))
    if settings.OPENEDX_BASE_URL and settings.SOCIAL_AUTH_OPENEDX_KEY:
        providers.append(Provider("openedx", settings.OPENEDX_PROVIDER_NAME))
    return providers
