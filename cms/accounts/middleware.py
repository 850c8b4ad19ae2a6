"""Refused sign-ins: back to the sign-in page with what went wrong, in words a person can act on.

social-auth raises its exceptions in /auth/complete/...; its middleware turns them into a message and a redirect to
SOCIAL_AUTH_LOGIN_ERROR_URL (the sign-in page). This one chooses the message, and logs the precise reason (code,
stage, claim) for the operator, since the person is not shown it.
"""

import logging

from social_core.exceptions import (
    AuthCanceled,
    AuthConfigurationError,
    AuthProviderError,
    AuthResponseError,
    AuthSessionError,
)
from social_django.middleware import SocialAuthExceptionMiddleware

from .pipeline import EmailInUse, UnverifiedEmail

logger = logging.getLogger(__name__)

MESSAGES = (
    (
        AuthSessionError,
        "Your sign-in could not be matched to this browser (it took too long, was already used, or was started in "
        "another window), so you were not signed in. Please sign in again.",
    ),
    (
        AuthResponseError,
        "The sign-in provider's answer could not be verified, so you were not signed in. Please try again; if it "
        "keeps happening, tell the site's administrator.",
    ),
    (AuthCanceled, "Sign-in was cancelled at the provider; you are not signed in."),
    (AuthProviderError, "The sign-in provider could not be reached. Please try again in a few minutes."),
    (
        AuthConfigurationError,
        "This way of signing in is not set up correctly on this site. Please tell the site's administrator.",
    ),
)


class SignInErrorMiddleware(SocialAuthExceptionMiddleware):
    def get_message(self, request, exception):
        backend = getattr(getattr(request, "backend", None), "name", "?")
        logger.warning(
            "Sign-in refused: backend=%s code=%s stage=%s claim=%s parameter=%s detail=%s",
            backend,
            getattr(exception, "code", ""),
            getattr(exception, "stage", ""),
            getattr(exception, "claim", ""),
            getattr(exception, "parameter", ""),
            getattr(exception, "detail", ""),
        )
        if isinstance(exception, (UnverifiedEmail, EmailInUse)):
            return str(exception)
        for family, message in MESSAGES:
            if isinstance(exception, family):
                return message
        return f"You could not be signed in: {exception}"
