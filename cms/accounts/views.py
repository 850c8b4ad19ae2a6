"""The site's sign-in and sign-out pages: /accounts/login/ and /accounts/logout/."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods

from .logout import provider_logout_url
from .providers import configured_providers

LOCAL_LOGIN_OFF = (
    "Signing in with a username and password is turned off on this site. Use one of the sign-in buttons instead."
)


class SignInView(auth_views.LoginView):
    """Provider buttons for each configured provider, and the local password form while it is enabled.

    `next` is honoured only when it is a URL on this site (LoginView's `get_success_url_allowed_hosts`); otherwise
    the user lands on LOGIN_REDIRECT_URL ("/").
    """

    template_name = "accounts/login.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["providers"] = configured_providers()
        context["local_password_login"] = settings.LOCAL_PASSWORD_LOGIN
        # The provider buttons carry the same checked `next` (empty: none) to social-auth.
        context["safe_next"] = self.get_redirect_url()
        return context

    def post(self, request, *args, **kwargs):
        if not settings.LOCAL_PASSWORD_LOGIN:
            messages.error(request, LOCAL_LOGIN_OFF)
            return self.render_to_response(self.get_context_data(form=self.get_form()), status=403)
        return super().post(request, *args, **kwargs)


@never_cache
@csrf_protect
@require_http_methods(["GET", "HEAD", "POST"])
def sign_out(request):
    """GET asks to confirm; POST ends the session (and, for OIDC sign-ins, the provider's, via its end-session URL)."""
    if request.method != "POST":
        return render(request, "accounts/logout.html")
    provider_url = provider_logout_url(request) if request.user.is_authenticated else None
    logout(request)
    if provider_url:
        return HttpResponseRedirect(provider_url)
    return HttpResponseRedirect("/")
