"""Signed one-click unsubscribe tokens: they name a user (and optionally one saved search), need no sign-in and
cannot be forged or altered without SECRET_KEY. They do not expire: an unsubscribe link in an old email must work."""

from django.core import signing

SALT = "search.saved.unsubscribe"


def make_token(user_id: int, saved_search_id: int | None = None) -> str:
    payload = {"u": user_id}
    if saved_search_id is not None:
        payload["s"] = saved_search_id
    return signing.dumps(payload, salt=SALT, compress=False)


def read_token(token: str) -> tuple[int, int | None] | None:
    """(user id, saved search id or None), or None when the token was tampered with or is not one of ours."""
    try:
        payload = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("u"), int):
        return None
    saved = payload.get("s")
    return payload["u"], saved if isinstance(saved, int) else None
