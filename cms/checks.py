"""System checks of the project's own settings (`manage.py check`, `check --deploy`)."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def check_allowed_hosts_wildcard(app_configs, **kwargs):
    """ALLOWED_HOSTS=* turns Host validation off: password-reset and absolute links could name any host."""
    if "*" not in settings.ALLOWED_HOSTS:
        return []
    return [
        Warning(
            "ALLOWED_HOSTS contains '*', so any Host header is accepted and links built from it (password reset, "
            "API URLs) can point at an attacker's host.",
            hint="Set ALLOWED_HOSTS to the site's own host names, e.g. ALLOWED_HOSTS=learn.example.org; health "
            "probes from OPS_INTERNAL_NETWORKS are answered whatever the Host header.",
            id="learnhub.W001",
        )
    ]
