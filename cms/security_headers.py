"""Content-Security-Policy and Permissions-Policy on every response (issue 16, hardening).

`SecurityHeadersMiddleware` (first in settings.MIDDLEWARE) is django-csp's middleware with the policy chosen per
area of the site:

- public pages, the APIs and everything else: settings.CONTENT_SECURITY_POLICY as it is. Scripts come from this
  site only: no inline script, no nonce. Public pages are cached whole (cms/caching.py, a CDN), so a nonce in a
  cached body would not match the next response's header. JSON-LD (`<script type="application/ld+json">`) is data,
  which CSP does not block.
- the Wagtail admin (`/admin/`): plus `'unsafe-inline'` scripts. Wagtail renders small inline scripts in form
  widgets and panels (date/time choosers, inline panels, multiple-chooser panels) from templates without the
  request, so they cannot carry a nonce; the admin is behind a login and never cached. Plus its update check.
- Redoc (`/api/redoc/`): plus Google Fonts (its stylesheet) and blob: workers.

Report-only mode (settings.CSP_REPORT_ONLY) sends the same policies as Content-Security-Policy-Report-Only.

Permissions-Policy is one fixed header (settings.PERMISSIONS_POLICY) denying the browser features no page uses.
"""

from django.conf import settings

from csp.middleware import CSPMiddleware

# Path prefix -> directives added to the site policy for responses under it.
AREA_ALLOWANCES = {
    # Wagtail's dashboard asks releases.wagtail.org whether a newer version exists (WAGTAIL_ENABLE_UPDATE_CHECK).
    "/admin/": {"script-src": ["'unsafe-inline'"], "connect-src": ["https://releases.wagtail.org"]},
    "/api/redoc/": {
        "style-src": ["https://fonts.googleapis.com"],
        "font-src": ["https://fonts.gstatic.com"],
        "worker-src": ["'self'", "blob:"],
    },
}


def allowances_for(path: str) -> dict:
    """The directives added to the site's policy for a request path ({} for public pages)."""
    for prefix, directives in AREA_ALLOWANCES.items():
        if path.startswith(prefix):
            return directives
    return {}


class SecurityHeadersMiddleware(CSPMiddleware):
    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only=report_only)
        allowances = allowances_for(request.path_info)
        if allowances:
            # A view's own @csp_update stays; the area's allowances are added to it.
            parts.update = {**allowances, **(parts.update or {})}
        return parts

    def process_response(self, request, response):
        response = super().process_response(request, response)
        if settings.PERMISSIONS_POLICY and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = settings.PERMISSIONS_POLICY
        return response
