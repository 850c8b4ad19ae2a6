"""Login throttling with django-axes: the client address it counts failures by, and the lockout response.

Every login form (the Wagtail admin's, the Django admin's, the site's sign-in page) authenticates through Django's
`authenticate()`, where AxesBackend (first in settings.AUTHENTICATION_BACKENDS) counts wrong passwords
per username and address. At settings.AXES_FAILURE_LIMIT the pair is locked out for LOGIN_LOCKOUT_MINUTES;
a successful login resets the count. `manage.py axes_reset_username <name>` (or `axes_reset`) unlocks early.
"""

from django.conf import settings
from django.http import HttpResponse
from django.template.loader import render_to_string


def client_ip(request) -> str:
    """The address failures are counted by: the TCP peer, or the configured proxy header's client entry.

    With CLIENT_IP_HEADER (e.g. HTTP_X_FORWARDED_FOR), the entry CLIENT_IP_PROXY_COUNT from the right is the one our
    outermost proxy saw; entries left of it were written by the client and are not trusted."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    header = settings.CLIENT_IP_HEADER
    if not header:
        return remote
    entries = [item.strip() for item in request.META.get(header, "").split(",") if item.strip()]
    if len(entries) < settings.CLIENT_IP_PROXY_COUNT:
        # Not through the expected proxies (a direct or misrouted request): fall back to the peer.
        return remote
    return entries[-settings.CLIENT_IP_PROXY_COUNT]


def lockout_response(request, original_response=None, credentials=None) -> HttpResponse:
    """429 Too Many Requests with Retry-After, and a page that says what happened and when to try again."""
    minutes = settings.LOGIN_LOCKOUT_MINUTES
    body = render_to_string(
        "cms/login_locked.html",
        {"minutes": minutes, "failure_limit": settings.AXES_FAILURE_LIMIT, "login_path": request.path},
        request=request,
    )
    response = HttpResponse(body, status=429)
    response["Retry-After"] = str(minutes * 60)
    # A lockout page is personal and time-bound: no cache may keep it.
    response["Cache-Control"] = "private, no-store"
    return response
