"""social-auth pipeline steps (SOCIAL_AUTH_PIPELINE in cms/settings/base.py).

Identity is matched on the provider's subject first (social_user), then on a VERIFIED email address; never on a
username: a provider username that collides with a local one gets a new, suffixed username (get_username).
"""

from django.contrib.auth import get_user_model

from social_core.exceptions import AuthAssociationError, AuthPolicyError


class UnverifiedEmail(AuthPolicyError):
    """The provider did not confirm that the user owns the email address."""

    def __str__(self):
        return (
            "Your account at the sign-in provider has no verified email address, so Learnhub cannot sign you in. "
            "Verify your email address with the provider, then try again."
        )


class EmailInUse(AuthAssociationError):
    def __str__(self):
        return (
            "More than one Learnhub account uses this email address, so Learnhub cannot tell which one is yours. "
            "Ask an administrator to merge them."
        )


def _is_true(value) -> bool:
    # Most providers send a JSON boolean; a few send the string "true".
    return value is True or (isinstance(value, str) and value.lower() == "true")


def email_is_verified(backend, response) -> bool:
    """Whether the provider vouches for the email address: `email_verified` in the ID token or userinfo."""
    id_token = getattr(backend, "id_token", None) or {}
    return _is_true(response.get("email_verified")) or _is_true(id_token.get("email_verified"))


def require_verified_email(backend, details, response, *args, **kwargs):
    """Refuse a sign-in without a verified email address (before any account is created or linked)."""
    if not details.get("email") or not email_is_verified(backend, response):
        raise UnverifiedEmail(backend, code="authentication_disallowed", stage="pipeline")


def associate_by_verified_email(backend, details, user=None, *args, **kwargs):
    """Link a first sign-in to the existing account with the same (verified, case-insensitive) email address."""
    if user:
        return None
    users = list(get_user_model().objects.filter(email__iexact=details["email"]))
    if len(users) > 1:
        raise EmailInUse(backend, code="email_in_use", stage="pipeline")
    if users:
        return {"user": users[0], "is_new": False}
    return None


def admin_access_follows_roles(backend, user=None, *args, **kwargs):
    """After the groups were synced from the provider's roles: staff status follows admin access.

    Admin access itself is Wagtail's `wagtailadmin.access_admin` permission, held through the role groups, so a user
    whose editor roles were withdrawn at the provider loses the admin at this sign-in. Superusers are left alone
    (they are made locally, never by a provider).
    """
    if user is None:
        return
    for cache in ("_perm_cache", "_group_perm_cache", "_user_perm_cache"):
        user.__dict__.pop(cache, None)
    is_staff = user.is_superuser or user.has_perm("wagtailadmin.access_admin")
    if user.is_staff != is_staff:
        user.is_staff = is_staff
        user.save(update_fields=["is_staff"])
