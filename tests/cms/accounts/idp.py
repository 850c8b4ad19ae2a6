"""A real identity provider for the sign-in tests: django-oauth-toolkit with OpenID Connect, plus the two Open edX
user API endpoints, served by pytest-django's live server (tests set ROOT_URLCONF to this module).

What the provider says about the person signing in is in `IDP` (claims, and deliberate faults in the ID token),
which the tests set before each sign-in; the live server runs in a thread of the test process and reads it.
"""

from django.http import JsonResponse
from django.urls import include, path

from oauth2_provider import views as oauth2_views
from oauth2_provider.decorators import protected_resource
from oauth2_provider.oauth2_validators import OAuth2Validator

from cms.urls import urlpatterns as learnhub_urlpatterns

IDP = {
    # Claims of the ID token and the userinfo endpoint (sub overrides django-oauth-toolkit's user pk).
    "claims": {},
    # Claims forced into the ID token after it was built: wrong aud/iss/nonce, an exp in the past.
    "id_token": {},
    # The Open edX account behind /api/user/v1/me and /api/user/v1/accounts/<username>.
    "edx_account": {},
}


class TestProviderValidator(OAuth2Validator):
    # Every claim in every token, whatever the scopes (the tests choose the claims).
    oidc_claim_scope = None

    def get_additional_claims(self, request):
        return dict(IDP["claims"])

    def get_id_token_dictionary(self, token, token_handler, request):
        claims, expiration_time = super().get_id_token_dictionary(token, token_handler, request)
        # Applied after oauthlib's own aud/nonce (finalize_id_token updates the token with these).
        claims.update(IDP["id_token"])
        return claims, expiration_time


@protected_resource(scopes=["read"])
def edx_me(request):
    return JsonResponse({"username": IDP["edx_account"]["username"]})


@protected_resource(scopes=["read"])
def edx_account(request, username):
    account = IDP["edx_account"]
    if username != account["username"]:
        return JsonResponse({"detail": "not found"}, status=404)
    return JsonResponse(account, json_dumps_params={"default": str})


urlpatterns = [
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    # Open edX's paths (lms/urls.py): the same django-oauth-toolkit views under /oauth2/.
    path("oauth2/authorize", oauth2_views.AuthorizationView.as_view()),
    path("oauth2/access_token", oauth2_views.TokenView.as_view()),
    path("api/user/v1/me", edx_me),
    path("api/user/v1/accounts/<str:username>", edx_account),
    *learnhub_urlpatterns,
]
