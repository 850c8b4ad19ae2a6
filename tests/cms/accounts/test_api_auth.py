"""Bearer JWTs on the API: checked against a JWKS served over real HTTP, mapped to Learnhub users; /api/v1/me/."""

import socket
import time

import pytest
from cryptography.hazmat.primitives import serialization

from tests.cms.accounts.jwks_idp import AUDIENCE, bearer, idp_fixture  # noqa: F401 (the `idp` fixture)

ME = "/api/v1/me/"


@pytest.fixture
def learner(db):
    from django.contrib.auth.models import Group

    from social_django.models import UserSocialAuth

    from cms.models import User

    user = User.objects.create_user(
        "learner", email="learner@example.org", first_name="Ada", last_name="Lovelace", password="x"
    )
    user.groups.add(Group.objects.create(name="test-editors"), Group.objects.create(name="test-learners"))
    UserSocialAuth.objects.create(user=user, provider="oidc", uid="subject-1")
    return user


def _detail(response) -> str:
    return response.json()["detail"]


def test_anonymous_me_is_401_with_a_challenge(client, db):
    response = client.get(ME)
    assert response.status_code == 401
    assert "authentication required" in _detail(response)
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert "Api-Key" in response["WWW-Authenticate"]


def test_valid_token_is_the_linked_user(client, idp, learner, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        response = client.get(ME, **bearer(idp.token()))
    assert response.status_code == 200, response.content
    assert response.json() == {
        "auth_method": "bearer",
        "user": {
            "id": learner.pk,
            "username": "learner",
            "name": "Ada Lovelace",
            "email": "learner@example.org",
            "groups": ["test-editors", "test-learners"],
            "is_staff": False,
            "is_superuser": False,
        },
        "service": None,
    }
    assert response["Cache-Control"] == "private, no-store"


def test_es256_tokens_are_accepted(client, idp, learner):
    idp.add_key("ec-1", "ES256")
    idp.publish("rsa-1", "ec-1")
    response = client.get(ME, **bearer(idp.token("ec-1")))
    assert response.status_code == 200, response.content
    assert response.json()["user"]["id"] == learner.pk


def test_unlinked_subject_is_mapped_by_verified_email(client, idp, learner):
    response = client.get(ME, **bearer(idp.token(sub="someone-else", email="LEARNER@example.org")))
    assert response.status_code == 200, response.content
    assert response.json()["user"]["id"] == learner.pk


def test_email_verified_as_a_string_counts(client, idp, learner):
    response = client.get(ME, **bearer(idp.token(sub="someone-else", email_verified="true")))
    assert response.status_code == 200


def test_unverified_email_is_not_enough(client, idp, learner):
    response = client.get(ME, **bearer(idp.token(sub="someone-else", email_verified=False)))
    assert response.status_code == 401
    assert "no verified email" in _detail(response)


def test_unknown_user_is_told_to_sign_in_once(client, idp, db):
    response = client.get(ME, **bearer(idp.token(sub="nobody", email="nobody@example.org")))
    assert response.status_code == 401
    assert "sign in on the site once" in _detail(response)


def test_disabled_account_is_refused(client, idp, learner):
    learner.is_active = False
    learner.save()
    response = client.get(ME, **bearer(idp.token()))
    assert response.status_code == 401
    assert "disabled" in _detail(response)


def test_expired_token_is_401(client, idp, learner):
    now = int(time.time())
    response = client.get(ME, **bearer(idp.token(iat=now - 600, exp=now - 120)))
    assert response.status_code == 401
    assert "token expired" in _detail(response)
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_expiry_within_the_leeway_is_accepted(client, idp, learner):
    now = int(time.time())
    assert client.get(ME, **bearer(idp.token(iat=now - 600, exp=now - 10))).status_code == 200


def test_signature_by_another_key_is_401(client, idp, learner):
    idp.add_key("attacker", "RS256")
    forged = idp.token("rsa-1", signing_kid="attacker")
    response = client.get(ME, **bearer(forged))
    assert response.status_code == 401
    assert "signature does not verify" in _detail(response)


def test_wrong_audience_is_401(client, idp, learner):
    response = client.get(ME, **bearer(idp.token(aud="another-app")))
    assert response.status_code == 401
    assert f"this API accepts audience {AUDIENCE!r}" in _detail(response)


def test_wrong_issuer_is_401(client, idp, learner):
    response = client.get(ME, **bearer(idp.token(iss="https://evil.example/realms/learnhub")))
    assert response.status_code == 401
    assert "another issuer" in _detail(response)


def test_missing_expiry_is_401(client, idp, learner):
    response = client.get(ME, **bearer(idp.token(exp=None)))
    assert response.status_code == 401
    assert "'exp'" in _detail(response)


def test_alg_none_is_refused(client, idp, learner):
    response = client.get(ME, **bearer(idp.unsigned_token("none")))
    assert response.status_code == 401
    assert "algorithm 'none' is not accepted" in _detail(response)


def test_hs256_signed_with_the_public_key_is_refused(client, idp, learner):
    public_pem = (
        idp.keys["rsa-1"][1]
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    response = client.get(ME, **bearer(idp.unsigned_token("HS256", secret=public_pem)))
    assert response.status_code == 401
    assert "algorithm 'HS256' is not accepted" in _detail(response)


def test_garbage_token_is_401(client, idp, db):
    response = client.get(ME, **bearer("not-a-jwt"))
    assert response.status_code == 401
    assert "not a JWT" in _detail(response)


def test_unknown_kid_refetches_the_key_set_at_most_once_per_floor(client, idp, learner, settings):
    settings.OIDC_JWKS_MIN_REFETCH_SECONDS = 1
    assert client.get(ME, **bearer(idp.token())).status_code == 200
    assert idp.jwks_fetches() == 1
    # A key the provider rotated in, right after a fetch: within the floor, no refetch.
    idp.add_key("rsa-2")
    idp.publish("rsa-1", "rsa-2")
    response = client.get(ME, **bearer(idp.token("rsa-2")))
    assert response.status_code == 401
    assert "key the identity provider does not publish (kid 'rsa-2')" in _detail(response)
    assert idp.jwks_fetches() == 1
    time.sleep(1.1)
    # After the floor: one refetch finds it, and the set is cached again.
    assert client.get(ME, **bearer(idp.token("rsa-2"))).status_code == 200
    assert client.get(ME, **bearer(idp.token("rsa-2"))).status_code == 200
    assert idp.jwks_fetches() == 2
    # Made-up kids do not make us refetch within the floor.
    for kid in ("made-up-1", "made-up-2", "made-up-3"):
        idp.add_key(kid)
        assert client.get(ME, **bearer(idp.token(kid))).status_code == 401
    assert idp.jwks_fetches() == 2


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_jwks_endpoint_down_is_503_not_500(client, idp, learner, settings):
    settings.OIDC_JWKS_URL = f"http://127.0.0.1:{_closed_port()}/certs"
    settings.OIDC_ISSUER = idp.issuer
    response = client.get(ME, **bearer(idp.token()))
    assert response.status_code == 503
    assert "identity provider could not be reached" in _detail(response)


def test_jwks_endpoint_failing_is_503(client, idp, learner, httpserver):
    httpserver.clear_all_handlers()
    httpserver.expect_request("/realms/learnhub/.well-known/openid-configuration").respond_with_json(
        {"issuer": idp.issuer, "jwks_uri": httpserver.url_for("/realms/learnhub/certs")}
    )
    httpserver.expect_request("/realms/learnhub/certs").respond_with_data("down", status=502)
    response = client.get(ME, **bearer(idp.token()))
    assert response.status_code == 503
    assert "identity provider" in _detail(response)


def test_a_short_outage_after_a_fetch_uses_the_keys_fetched_before(client, idp, learner, settings, httpserver):
    settings.OIDC_JWKS_CACHE_SECONDS = 1
    assert client.get(ME, **bearer(idp.token())).status_code == 200
    httpserver.clear_all_handlers()
    httpserver.expect_request("/realms/learnhub/certs").respond_with_data("down", status=503)
    time.sleep(1.1)  # the cached set has expired: the next request tries to refetch, fails, uses the old set
    assert client.get(ME, **bearer(idp.token())).status_code == 200
    fetches = idp.jwks_fetches()
    assert fetches == 2
    # Right after a failure, requests do not wait on the provider again.
    assert client.get(ME, **bearer(idp.token())).status_code == 200
    assert idp.jwks_fetches() == fetches
    # Past one more cache lifetime, old keys are no longer trusted.
    time.sleep(1.0)
    from cms.accounts import api_auth

    api_auth.FETCH_FAILURE_BACKOFF_SECONDS, backoff = 0.0, api_auth.FETCH_FAILURE_BACKOFF_SECONDS
    try:
        response = client.get(ME, **bearer(idp.token()))
    finally:
        api_auth.FETCH_FAILURE_BACKOFF_SECONDS = backoff
    assert response.status_code == 503


def test_discovery_down_is_503(client, learner, settings, idp):
    settings.SOCIAL_AUTH_OIDC_OIDC_ENDPOINT = f"http://127.0.0.1:{_closed_port()}/realms/learnhub"
    response = client.get(ME, **bearer(idp.token()))
    assert response.status_code == 503


def test_explicit_jwks_url_and_issuer_skip_discovery(client, idp, learner, settings, httpserver):
    settings.OIDC_JWKS_URL = httpserver.url_for("/realms/learnhub/certs")
    settings.OIDC_ISSUER = idp.issuer
    settings.SOCIAL_AUTH_OIDC_OIDC_ENDPOINT = ""
    assert client.get(ME, **bearer(idp.token())).status_code == 200
    assert not any(request.path.endswith("openid-configuration") for request, _ in httpserver.log)


def test_bearer_without_an_identity_provider_is_401(client, settings, db):
    settings.SOCIAL_AUTH_OIDC_OIDC_ENDPOINT = ""
    settings.OIDC_JWKS_URL = ""
    response = client.get(ME, **bearer("a.b.c"))
    # The token is malformed too; a well-formed one is refused for want of a provider.
    assert response.status_code == 401


def test_well_formed_bearer_without_an_identity_provider_is_401(client, idp, settings, db):
    token = idp.token()
    settings.SOCIAL_AUTH_OIDC_OIDC_ENDPOINT = ""
    settings.OIDC_JWKS_URL = ""
    response = client.get(ME, **bearer(token))
    assert response.status_code == 401
    assert "no identity provider is configured" in _detail(response)


def test_session_user_me(client, learner, django_assert_max_num_queries):
    client.force_login(learner)
    with django_assert_max_num_queries(4):
        response = client.get(ME)
    assert response.status_code == 200
    assert response.json()["auth_method"] == "session"
    assert response.json()["user"]["username"] == "learner"


def test_a_bad_token_is_refused_on_other_api_endpoints_too(client, idp, learner):
    """A presented credential is never silently ignored by views that authenticate (here: Ask feedback)."""
    response = client.post(
        "/api/v1/ask/messages/1/feedback/",
        {"conversation_id": 1, "value": "up"},
        content_type="application/json",
        **bearer(idp.token(aud="another-app")),
    )
    assert response.status_code == 401


def test_schema_documents_the_security_schemes_and_me(client, db):
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.validation import validate_schema

    GENERATOR_STATS.reset()
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    schemes = schema["components"]["securitySchemes"]
    assert schemes["bearerAuth"]["scheme"] == "bearer"
    assert schemes["bearerAuth"]["bearerFormat"] == "JWT"
    assert schemes["apiKeyAuth"] == {**schemes["apiKeyAuth"], "type": "apiKey", "in": "header", "name": "X-Api-Key"}
    me = schema["paths"]["/api/v1/me/"]["get"]
    assert {"bearerAuth": []} in me["security"] and {"apiKeyAuth": []} in me["security"]
    assert {"200", "401", "503"} <= set(me["responses"])
    assert not GENERATOR_STATS._warn_cache, dict(GENERATOR_STATS._warn_cache)
    assert not GENERATOR_STATS._error_cache, dict(GENERATOR_STATS._error_cache)
    validate_schema(schema)
