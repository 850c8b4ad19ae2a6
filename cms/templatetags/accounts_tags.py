"""Sign-in providers for templates (the site's sign-in page and the Wagtail admin login)."""

from django import template
from django.conf import settings

from cms.accounts.providers import configured_providers

register = template.Library()


@register.simple_tag
def sign_in_providers():
    """The configured providers, each with `backend` (for `{% url 'social:begin' backend %}`) and `label`."""
    return configured_providers()


@register.simple_tag
def local_password_login() -> bool:
    return settings.LOCAL_PASSWORD_LOGIN
