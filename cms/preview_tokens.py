"""Headless preview tokens that expire (issue 16, hardening).

wagtail-headless-preview signs each token with a timestamp but never checks its age: a token (a link to an
unpublished draft) worked for as long as its PagePreview row lived, and rows were only deleted a day or two later,
when somebody previewed again. Here a token older than settings.PREVIEW_TOKEN_MAX_AGE seconds is refused by the
preview API (cms/api.py, PagePreviewAPI) with a message saying so, and expired rows are deleted every time an
editor opens a headless preview (BasePage.serve_preview) and whenever an expired token is presented.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.signing import BadSignature, SignatureExpired

from wagtail_headless_preview.models import HeadlessPreviewMixin, PagePreview


class PreviewTokenExpired(PermissionDenied):
    pass


def _signer():
    # The signer (and salt) the package signs tokens with.
    return HeadlessPreviewMixin.get_preview_signer()


def check_token(token: str) -> None:
    """Raise PreviewTokenExpired (a 403 with a message) for a token older than PREVIEW_TOKEN_MAX_AGE.

    Bad signatures are left to the caller (BadSignature), as before."""
    try:
        _signer().unsign(token, max_age=settings.PREVIEW_TOKEN_MAX_AGE)
    except SignatureExpired as exc:
        PagePreview.objects.filter(token=token).delete()
        minutes = max(1, settings.PREVIEW_TOKEN_MAX_AGE // 60)
        raise PreviewTokenExpired(
            f"preview token expired: a preview link works for {minutes} minute{'s' if minutes != 1 else ''}; "
            "preview the page again in the admin for a new one"
        ) from exc


def garbage_collect() -> int:
    """Delete the stored previews whose token has expired (or no longer verifies); returns how many."""
    signer = _signer()
    stale = []
    for pk, token in PagePreview.objects.values_list("pk", "token"):
        try:
            signer.unsign(token, max_age=settings.PREVIEW_TOKEN_MAX_AGE)
        except BadSignature:  # SignatureExpired included; a token signed with a rotated SECRET_KEY is dead too
            stale.append(pk)
    if stale:
        PagePreview.objects.filter(pk__in=stale).delete()
    return len(stale)
