"""Per-service API keys: issuing one (the plain key is returned once) and checking one a request presents.

A key reads `lh_<prefix>_<secret>`: the prefix (8 hex characters) finds the row, the whole key's SHA-256 is compared
in constant time with the stored hash. The secret carries 256 random bits, so a fast hash is enough (a slow password
hash protects guessable passwords, not random keys) and a lookup costs one indexed query. The hash is not peppered
with SECRET_KEY so that rotating SECRET_KEY does not silently invalidate every service's key."""

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.utils import timezone

from cms.models import ApiKey

KEY_TAG = "lh"
PREFIX_BYTES = 4
SECRET_BYTES = 32
# last_used_at is written at most this often per key, so a busy service does not turn every GET into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class ApiKeyRefused(Exception):
    """The presented key cannot be used; the message says why and what to do."""


def _hash(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


def issue_key(api_key: ApiKey) -> str:
    """Give `api_key` (unsaved or saved) a new prefix and secret hash and return the plain key: the only time it exists.

    The caller saves the row. Issuing again on a saved key replaces its secret (the old key stops working)."""
    while True:
        prefix = secrets.token_hex(PREFIX_BYTES)
        if not ApiKey.objects.filter(prefix=prefix).exists():
            break
    raw_key = f"{KEY_TAG}_{prefix}_{secrets.token_urlsafe(SECRET_BYTES)}"
    api_key.prefix = prefix
    api_key.secret_hash = _hash(raw_key)
    return raw_key


def check_key(raw_key: str) -> ApiKey:
    """The usable ApiKey that `raw_key` is, or ApiKeyRefused (malformed, unknown, revoked or expired)."""
    parts = raw_key.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_TAG or not parts[1] or not parts[2]:
        raise ApiKeyRefused("malformed API key: expected lh_<prefix>_<secret> as shown when the key was created")
    api_key = ApiKey.objects.filter(prefix=parts[1]).first()
    if api_key is None or not hmac.compare_digest(api_key.secret_hash, _hash(raw_key.strip())):
        raise ApiKeyRefused("unknown API key: check the key, or ask an administrator for a new one")
    now = timezone.now()
    if api_key.revoked_at:
        raise ApiKeyRefused(
            f"API key {api_key.prefix}… ({api_key.name}) was revoked on {api_key.revoked_at:%Y-%m-%d}; "
            "ask an administrator for a new one"
        )
    if api_key.expires_at and api_key.expires_at <= now:
        raise ApiKeyRefused(
            f"API key {api_key.prefix}… ({api_key.name}) expired on {api_key.expires_at:%Y-%m-%d %H:%M} UTC; "
            "ask an administrator for a new one"
        )
    if api_key.last_used_at is None or now - api_key.last_used_at >= LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
    return api_key


def revoke_key(api_key: ApiKey) -> None:
    """Refuse `api_key` from now on (the row stays, as the record of who had access)."""
    if not api_key.revoked_at:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
