"""Sign-in through a real OpenID Connect provider, end to end (issue 16).

The provider is django-oauth-toolkit with OIDC on pytest-django's live server (tests/cms/accounts/idp.py), with an
RS256 key made for this session. Learnhub is driven with the Django test client; everything social-auth does
server to server (discovery, token exchange, JWKS, userinfo, Open edX's user API) is real HTTP to the provider,
and the browser's visit to the provider's authorize endpoint is made with `requests`, signed in there.
"""

import importlib
import time
from urllib.parse import parse_qs, urlsplit

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client

import pytest
import requests
from social_django.models import UserSocialAuth

from tests.cms.accounts.idp import IDP

pytestmark = pytest.mark.django_db(transaction=True)

CLIENT_ID = "learnhub"
CLIENT_SECRET = "learnhub-test-secret"  # noqa: S105 - a provider that lives for one test
EDX_CLIENT_ID = "learnhub-lms"
EDX_CLIENT_SECRET = "learnhub-lms-test-secret"  # noqa: S105
User = get_user_model()


@pytest.fixture(scope="session")
def rsa_private_key() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


class Provider:
    """The running provider and the steps of a sign-in through it."""

    def __init__(self, url: str, idp_session: str):
        self.url = url
        self.idp_session = idp_session

    def authorize(self, authorize_url: str) -> str:
        """The browser at the provider (already signed in there, consent skipped): the redirect back to Learnhub."""
        assert authorize_url.startswith(self.url), authorize_url
        response = requests.get(
            authorize_url, headers={"Cookie": f"sessionid={self.idp_session}"}, allow_redirects=False, timeout=10
        )
        assert response.status_code == 302, (response.status_code, response.text[:2000])
        return response.headers["Location"]

    def begin(self, client, backend="oidc", next_url=None) -> str:
        response = client.post(f"/auth/login/{backend}/", {"next": next_url} if next_url else {})
        assert response.status_code == 302, response.content[:2000]
        return response["Location"]

    @staticmethod
    def callback(client, url: str):
        parts = urlsplit(url)
        assert parts.netloc == "testserver", url
        return client.get(parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()})

    def sign_in(self, client, *, backend="oidc", next_url=None):
        """The whole round trip; returns Learnhub's answer to the provider's redirect."""
        return self.callback(client, self.authorize(self.begin(client, backend, next_url)))


def identity(name="alice", email=None, groups=(), verified=True, **extra) -> dict:
    return {
        "sub": f"idp-{name}",
        "preferred_username": name,
        "email": email or f"{name}@example.org",
        "email_verified": verified,
        "given_name": name.capitalize(),
        "family_name": "Example",
        "groups": list(groups),
        **extra,
    }


@pytest.fixture
def provider(settings, live_server, rsa_private_key):
    from oauth2_provider.models import Application

    roles = importlib.import_module("cms.migrations.0008_roles")
    from django.apps import apps

    roles.create_roles(apps, None)  # transactional tests start from an emptied database

    settings.ROOT_URLCONF = "tests.cms.accounts.idp"
    settings.OAUTH2_PROVIDER = {
        "OIDC_ENABLED": True,
        "OIDC_RSA_PRIVATE_KEY": rsa_private_key,
        "OAUTH2_VALIDATOR_CLASS": "tests.cms.accounts.idp.TestProviderValidator",
        "SCOPES": {"openid": "OpenID Connect", "profile": "Profile", "email": "Email", "read": "Read"},
        "PKCE_REQUIRED": False,
        "OIDC_RP_INITIATED_LOGOUT_ENABLED": True,
        "OIDC_RP_INITIATED_LOGOUT_ALWAYS_PROMPT": False,
    }
    Application.objects.create(
        name="Learnhub",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris="http://testserver/auth/complete/oidc/",
        post_logout_redirect_uris="http://testserver/",
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=True,
    )
    Application.objects.create(
        name="Learnhub (Open edX)",
        client_id=EDX_CLIENT_ID,
        client_secret=EDX_CLIENT_SECRET,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris="http://testserver/auth/complete/openedx/",
        skip_authorization=True,
    )
    settings.SOCIAL_AUTH_OIDC_OIDC_ENDPOINT = f"{live_server.url}/o"
    settings.SOCIAL_AUTH_OIDC_KEY = CLIENT_ID
    settings.SOCIAL_AUTH_OIDC_SECRET = CLIENT_SECRET
    settings.OPENEDX_BASE_URL = settings.SOCIAL_AUTH_OPENEDX_BASE_URL = live_server.url
    settings.SOCIAL_AUTH_OPENEDX_KEY = EDX_CLIENT_ID
    settings.SOCIAL_AUTH_OPENEDX_SECRET = EDX_CLIENT_SECRET

    # The person's account at the provider (its own user row: the provider shares this test database).
    account = User.objects.create_user("idp-account", "account@idp.invalid", "unused-password")
    idp_browser = Client()
    idp_browser.force_login(account, backend="cms.accounts.backends.LocalPasswordBackend")

    IDP["claims"], IDP["id_token"], IDP["edx_account"] = identity(), {}, {}
    yield Provider(live_server.url, idp_browser.cookies["sessionid"].value)
    IDP["claims"], IDP["id_token"], IDP["edx_account"] = {}, {}, {}


def signed_in_user(client):
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


@pytest.fixture
def refusals(caplog):
    """The reasons logged for refused sign-ins (cms/accounts/middleware.py)."""
    caplog.set_level("WARNING", logger="cms.accounts.middleware")
    return lambda: " | ".join(r.getMessage() for r in caplog.records if r.name == "cms.accounts.middleware")


def refused(client, response, *, says="", reason=""):
    """A refused sign-in: back to the sign-in page, signed out, with the reason shown there (and `reason` in
    `logged`, the operator's log line)."""
    assert response.status_code == 302 and response["Location"] == "/accounts/login/", (
        response.status_code,
        response.get("Location"),
    )
    assert signed_in_user(client) is None
    page = client.get("/accounts/login/").content.decode()
    assert 'class="messages"' in page, page
    assert says in page
    return page


def logged(refusals, reason):
    assert reason in refusals(), refusals()


# --- Signing in ---------------------------------------------------------------------------------------------------


def test_first_sign_in_creates_the_user_with_the_mapped_groups(client, provider):
    IDP["claims"] = identity("alice", groups=["learnhub-editors", "some-other-group"])
    response = provider.sign_in(client, next_url="/admin/")
    assert response.status_code == 302 and response["Location"] == "/admin/"
    user = signed_in_user(client)
    assert user.username == "alice" and user.email == "alice@example.org"
    assert (user.first_name, user.last_name) == ("Alice", "Example")
    assert set(user.groups.values_list("name", flat=True)) == {"Editors"}
    assert user.is_staff and not user.is_superuser
    assert UserSocialAuth.objects.get(user=user, provider="oidc").uid == "idp-alice"
    assert client.get("/admin/").status_code == 200


def test_without_next_the_user_lands_on_the_home_page(client, provider):
    response = provider.sign_in(client)
    assert response["Location"] == "/"
    user = signed_in_user(client)
    assert not user.is_staff and not user.groups.exists()
    # A learner (no editor role) never reaches the admin.
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_an_unsafe_next_is_ignored(client, provider):
    response = provider.sign_in(client, next_url="https://evil.example.com/")
    assert response.status_code == 302 and response["Location"] == "/"


def test_every_sign_in_re_maps_the_groups(client, provider):
    IDP["claims"] = identity("bob", groups=["learnhub-editors", "learnhub-import-operators"])
    provider.sign_in(client)
    user = signed_in_user(client)
    local_group = Group.objects.create(name="Newsletter")  # given in the admin, not by the provider
    user.groups.add(local_group)
    assert set(user.groups.values_list("name", flat=True)) == {"Editors", "Import operators", "Newsletter"}

    client.post("/accounts/logout/")
    IDP["claims"] = identity("bob", groups=["learnhub-moderators"])
    provider.sign_in(client)
    user.refresh_from_db()
    assert set(user.groups.values_list("name", flat=True)) == {"Moderators", "Newsletter"}
    assert user.is_staff


def test_a_role_removed_at_the_provider_removes_the_group_and_admin_access(client, provider):
    IDP["claims"] = identity("carol", groups=["learnhub-editors"])
    provider.sign_in(client)
    assert client.get("/admin/").status_code == 200
    client.post("/accounts/logout/")

    IDP["claims"] = identity("carol", groups=[])
    provider.sign_in(client)
    user = signed_in_user(client)
    assert not user.groups.exists() and not user.is_staff
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")

    # A provider that omits the claim altogether also means "no roles".
    client.post("/accounts/logout/")
    user.groups.add(Group.objects.get(name="Editors"))
    claims = identity("carol")
    del claims["groups"]
    IDP["claims"] = claims
    provider.sign_in(client)
    assert not signed_in_user(client).groups.exists()


def test_an_existing_local_user_is_linked_by_verified_email(client, provider):
    local = User.objects.create_user("dana.local", "Dana@Example.org", "a-local-password")
    IDP["claims"] = identity("dana", email="dana@example.org", groups=["learnhub-administrators"])
    provider.sign_in(client)
    user = signed_in_user(client)
    assert user.pk == local.pk and user.username == "dana.local"
    assert UserSocialAuth.objects.get(provider="oidc").user_id == local.pk
    assert User.objects.filter(email__iexact="dana@example.org").count() == 1
    assert user.groups.filter(name="Administrators").exists() and user.is_staff


def test_a_username_collision_never_links_accounts(client, provider):
    other = User.objects.create_user("erin", "someone-else@example.org", "a-local-password")
    IDP["claims"] = identity("erin", email="erin@example.org")
    provider.sign_in(client)
    user = signed_in_user(client)
    assert user.pk != other.pk and user.username != "erin" and user.username.startswith("erin")
    assert not UserSocialAuth.objects.filter(user=other).exists()


def test_an_unverified_email_is_refused(client, provider, refusals):
    User.objects.create_user("frank.local", "frank@example.org", "a-local-password")
    IDP["claims"] = identity("frank", verified=False)
    response = provider.sign_in(client)
    refused(client, response, says="no verified email address")
    logged(refusals, "stage=pipeline")
    assert not UserSocialAuth.objects.exists()
    assert not User.objects.filter(username="frank").exists()


def test_two_local_accounts_with_the_email_are_not_guessed_between(client, provider):
    User.objects.create_user("mia.one", "mia@example.org", "a-local-password")
    User.objects.create_user("mia.two", "MIA@example.org", "a-local-password")
    IDP["claims"] = identity("mia")
    refused(client, provider.sign_in(client), says="More than one Learnhub account uses this email address")
    assert not UserSocialAuth.objects.exists()


def test_provider_sign_in_works_with_local_passwords_off(client, provider, settings):
    settings.LOCAL_PASSWORD_LOGIN = False
    assert provider.sign_in(client)["Location"] == "/"
    assert signed_in_user(client).username == "alice"


def test_email_verified_missing_is_refused(client, provider):
    claims = identity("gina")
    del claims["email_verified"]
    IDP["claims"] = claims
    refused(client, provider.sign_in(client), says="no verified email address")


# --- Forged and replayed responses, bad ID tokens -----------------------------------------------------------------


def test_a_forged_state_is_refused(client, provider, refusals):
    callback = provider.authorize(provider.begin(client))
    forged = callback.replace("state=", "state=forged")
    refused(client, provider.callback(client, forged), says="could not be matched to this browser")
    logged(refusals, "code=session_context_missing")
    assert not User.objects.filter(username="alice").exists()


def test_a_callback_in_another_browser_is_refused(client, provider, refusals):
    callback = provider.authorize(provider.begin(client))
    attacker = Client()
    refused(attacker, provider.callback(attacker, callback), says="could not be matched to this browser")
    logged(refusals, "code=session_context_missing")
    assert not User.objects.filter(username="alice").exists()


def test_a_replayed_callback_is_refused(client, provider, refusals):
    callback = provider.authorize(provider.begin(client))
    assert provider.callback(client, callback)["Location"] == "/"
    client.post("/accounts/logout/")
    refused(client, provider.callback(client, callback), says="could not be matched to this browser")
    logged(refusals, "code=session_context_missing")
    assert UserSocialAuth.objects.count() == 1


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        pytest.param({"nonce": "not-the-nonce-we-sent"}, "code=nonce_mismatch", id="wrong-nonce"),
        pytest.param({"aud": "some-other-client"}, "claim=aud", id="wrong-audience"),
        pytest.param({"iss": "https://impostor.example.com/o"}, "claim=iss", id="wrong-issuer"),
        pytest.param({"exp": int(time.time()) - 3600}, "code=response_expired", id="expired"),
    ],
)
def test_a_bad_id_token_is_refused(client, provider, refusals, fault, reason):
    IDP["id_token"] = fault
    refused(client, provider.sign_in(client), says="answer could not be verified")
    logged(refusals, reason)
    assert not User.objects.filter(username="alice").exists()


# --- Signing out ------------------------------------------------------------------------------------------------


def test_sign_out_ends_the_session_and_the_providers(client, provider):
    provider.sign_in(client)
    association = UserSocialAuth.objects.get(provider="oidc")
    id_token = association.extra_data["id_token"]

    response = client.post("/accounts/logout/")
    assert signed_in_user(client) is None
    assert response.status_code == 302
    end_session = urlsplit(response["Location"])
    assert f"{end_session.scheme}://{end_session.netloc}{end_session.path}" == f"{provider.url}/o/logout/"
    params = {k: v[0] for k, v in parse_qs(end_session.query).items()}
    assert params == {
        "client_id": CLIENT_ID,
        "post_logout_redirect_uri": "http://testserver/",
        "id_token_hint": id_token,
    }

    # The provider accepts it: it ends its own session and sends the browser back to Learnhub.
    answer = requests.get(
        response["Location"], headers={"Cookie": f"sessionid={provider.idp_session}"}, allow_redirects=False, timeout=10
    )
    assert answer.status_code == 302 and answer.headers["Location"] == "http://testserver/"


def test_signing_out_of_the_wagtail_admin_also_ends_the_providers_session(client, provider):
    IDP["claims"] = identity("lee", groups=["learnhub-editors"])
    provider.sign_in(client, next_url="/admin/")
    assert client.get("/admin/").status_code == 200
    response = client.post("/admin/logout/")
    assert signed_in_user(client) is None
    assert response.status_code == 302 and response["Location"].startswith(f"{provider.url}/o/logout/?")


def test_a_local_sign_in_signs_out_locally(client, provider):
    User.objects.create_user("hal", "hal@example.org", "a-local-password")
    client.post("/accounts/login/", {"username": "hal", "password": "a-local-password"})
    response = client.post("/accounts/logout/")
    assert response["Location"] == "/" and signed_in_user(client) is None


# --- Open edX / MITx Online ---------------------------------------------------------------------------------------


def test_open_edx_learner_signs_in(client, provider):
    IDP["edx_account"] = {
        "username": "ivy_learner",
        "email": "ivy@example.org",
        "name": "Ivy Learner",
        "is_active": True,
    }
    page = client.get("/accounts/login/").content.decode()
    assert "Sign in with MITx Online" in page
    response = provider.sign_in(client, backend="openedx", next_url="/catalog/")
    assert response.status_code == 302 and response["Location"] == "/catalog/"
    user = signed_in_user(client)
    assert (user.username, user.email, user.first_name, user.last_name) == (
        "ivy_learner",
        "ivy@example.org",
        "Ivy",
        "Learner",
    )
    assert UserSocialAuth.objects.get(user=user).provider == "openedx"
    assert not user.is_staff and not user.groups.exists()
    # Signing out of an Open edX sign-in ends the Learnhub session only.
    assert client.post("/accounts/logout/")["Location"] == "/"


def test_open_edx_account_not_activated_is_refused(client, provider):
    IDP["edx_account"] = {"username": "jo", "email": "jo@example.org", "name": "Jo", "is_active": False}
    refused(client, provider.sign_in(client, backend="openedx"), says="no verified email address")


def test_open_edx_links_an_existing_user_by_email(client, provider):
    local = User.objects.create_user("kim.local", "kim@example.org", "a-local-password")
    IDP["edx_account"] = {"username": "kim", "email": "kim@example.org", "name": "Kim", "is_active": True}
    provider.sign_in(client, backend="openedx")
    assert signed_in_user(client).pk == local.pk
