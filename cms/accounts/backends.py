"""Authentication backends of our own: Open edX OAuth2 learners, and local passwords that can be switched off."""

from urllib.parse import quote

from django.conf import settings
from django.contrib.auth.backends import ModelBackend

from social_core.backends.oauth import BaseOAuth2
from social_core.exceptions import AuthConfigurationError


class LocalPasswordBackend(ModelBackend):
    """Django's username/password backend, refusing every password while LOCAL_PASSWORD_LOGIN is off.

    Permissions (`has_perm`) keep working for everyone: only password checks are refused, for the site's sign-in
    page and the Wagtail admin login alike (both call `authenticate`).
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not settings.LOCAL_PASSWORD_LOGIN:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


class OpenEdxOAuth2(BaseOAuth2):
    """Open edX / MITx Online learners through the LMS's OAuth2 provider (social-core ships no Open edX backend).

    Settings: SOCIAL_AUTH_OPENEDX_BASE_URL (the LMS, e.g. https://courses.example.org), _KEY and _SECRET. The user
    is the LMS username (`/api/user/v1/me`); email, name and whether the account is activated (the LMS activates
    an account when its email address is confirmed) come from `/api/user/v1/accounts/<username>`.
    """

    name = "openedx"
    ACCESS_TOKEN_METHOD = "POST"  # noqa: S105 - an HTTP method, not a secret
    REDIRECT_STATE = False
    STATE_PARAMETER = True
    ID_KEY = "username"
    DEFAULT_SCOPE = ["read", "email", "profile"]
    EXTRA_DATA = [("username", "username")]

    def base_url(self) -> str:
        base = (self.setting("BASE_URL") or "").rstrip("/")
        if not base or not self.setting("KEY"):
            raise AuthConfigurationError(
                self, "Open edX sign-in is not configured (OPENEDX_BASE_URL, OPENEDX_CLIENT_ID)", stage="begin"
            )
        return base

    def authorization_url(self) -> str:
        return f"{self.base_url()}/oauth2/authorize"

    def access_token_url(self) -> str:
        return f"{self.base_url()}/oauth2/access_token"

    def user_data(self, access_token, *args, **kwargs):
        headers = {"Authorization": f"Bearer {access_token}"}
        me = self.get_json(f"{self.base_url()}/api/user/v1/me", headers=headers)
        username = me.get("username") if isinstance(me, dict) else None
        if not username:
            return me
        account = self.get_json(f"{self.base_url()}/api/user/v1/accounts/{quote(username, safe='')}", headers=headers)
        return {
            "username": username,
            "email": account.get("email") or "",
            "name": account.get("name") or "",
            # An LMS account is active once its email address was confirmed.
            "email_verified": account.get("is_active") is True,
        }

    def get_user_details(self, response):
        # First and last names are derived from the full name by the social_names pipeline step.
        return {
            "username": response.get("username"),
            "email": response.get("email") or "",
            "fullname": response.get("name") or "",
        }
