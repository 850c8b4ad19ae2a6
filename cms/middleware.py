"""Middleware for operations: probes and operator endpoints before Host validation, and request timing.

Both sit at the top of settings.MIDDLEWARE. Django validates the Host header against ALLOWED_HOSTS when anything
calls `request.get_host()` (CommonMiddleware always does), so a container's HEALTHCHECK calling
http://127.0.0.1:8000/health/liveness/ would get 400 once ALLOWED_HOSTS names the real host. The probes build no
URL from the Host header, so answering them before that check is safe.
"""

import time

from cms import health

# Probes: answered here for internal clients (OPS_INTERNAL_NETWORKS, default loopback) whatever their Host header;
# anyone else gets them through the normal URL routing (Host checked), as before.
PROBES = {
    "/health/startup/": health.startup,
    "/health/liveness/": health.liveness,
    "/health/readiness/": health.readiness,
}
# Operator endpoints: answered here for internal clients and token holders, refused (403) for everyone else.
OPERATOR_ENDPOINTS = {"/health/full/": "cms.health.full", "/metrics": "cms.metrics.metrics_view"}

METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


class OpsEndpointsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        probe = PROBES.get(path)
        if probe is not None:
            return probe(request) if health.client_is_internal(request) else self.get_response(request)
        if path in OPERATOR_ENDPOINTS:
            if not health.ops_allowed(request):
                return health.ops_forbidden()
            from django.utils.module_loading import import_string

            return import_string(OPERATOR_ENDPOINTS[path])(request)
        return self.get_response(request)


class RequestMetricsMiddleware:
    """Observe every request's duration in `learnhub_http_request_duration_seconds` (see cms/metrics.py).

    Labels stay few: the URL name (or the view's dotted path; "unresolved" for 404s and redirects made before
    routing), the method (others as "other") and the status class."""

    def __init__(self, get_response):
        from cms.metrics import REQUEST_LATENCY

        self.histogram = REQUEST_LATENCY
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        view = (match.view_name if match else "") or "unresolved"
        method = request.method if request.method in METHODS else "other"
        self.histogram.labels(view, method, f"{response.status_code // 100}xx").observe(time.perf_counter() - started)
        return response
