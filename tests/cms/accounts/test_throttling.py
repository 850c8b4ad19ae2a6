"""API throttles: per scope (search, write) and per caller kind (anonymous address, signed-in user, API key), each
counted separately in the Django cache; 429 with Retry-After. Ask's own limits count API keys per key."""

import pytest

from tests.cms.accounts.jwks_idp import bearer, idp_fixture  # noqa: F401 (the `idp` fixture)

SEARCH = "/api/v1/search/?q=python&mode=lexical"
RATES = {
    "search.anon": "2/min",
    "search.user": "3/min",
    "search.key": "4/min",
    "write.anon": "1/min",
    "write.user": "2/min",
    "write.key": "2/min",
}


@pytest.fixture
def throttled(settings):
    from django.core.cache import cache

    cache.clear()
    settings.API_THROTTLE_ENABLED = True
    settings.API_THROTTLE_RATES = dict(RATES)
    yield settings
    cache.clear()


@pytest.fixture
def api_key(db):
    from cms.accounts.api_keys import issue_key
    from cms.models import ApiKey

    key = ApiKey(name="Recommender")
    raw = issue_key(key)
    key.save()
    return raw


@pytest.fixture
def learner(db):
    from social_django.models import UserSocialAuth

    from cms.models import User

    user = User.objects.create_user("learner", email="learner@example.org", password="x")
    UserSocialAuth.objects.create(user=user, provider="oidc", uid="subject-1")
    return user


def _search(client, **extra):
    return client.get(SEARCH, **extra)


def _assert_throttled(response, text):
    assert response.status_code == 429, response.content
    assert 1 <= int(response["Retry-After"]) <= 60
    assert text in response.json()["detail"]


def test_throttles_are_off_in_the_test_settings(client, db, settings):
    assert settings.API_THROTTLE_ENABLED is False
    settings.API_THROTTLE_RATES = dict(RATES)
    assert all(_search(client).status_code == 200 for _ in range(4))


def test_anonymous_search_is_throttled_per_address(client, throttled, db):
    assert _search(client).status_code == 200
    assert _search(client).status_code == 200
    _assert_throttled(_search(client), "too many search requests from this client address: at most 2/min")
    # Another address has its own count.
    assert _search(client, REMOTE_ADDR="10.1.2.3").status_code == 200


def test_api_key_user_and_anonymous_are_counted_separately(client, throttled, api_key, learner, idp):
    for _ in range(2):
        assert _search(client).status_code == 200
    _assert_throttled(_search(client), "client address")
    # Same address, but a service's key: its own bucket (4/min).
    for _ in range(4):
        assert _search(client, HTTP_X_API_KEY=api_key).status_code == 200
    _assert_throttled(_search(client, HTTP_X_API_KEY=api_key), "from this API key: at most 4/min")
    # A signed-in user (bearer token; the search API takes no session or token itself): a third bucket (3/min).
    token = idp.token()
    for _ in range(3):
        assert _search(client, **bearer(token)).status_code == 200
    _assert_throttled(_search(client, **bearer(token)), "from this signed-in user: at most 3/min")


def test_session_user_counts_as_the_user(client, throttled, learner):
    client.force_login(learner)
    for _ in range(3):
        assert _search(client).status_code == 200
    _assert_throttled(_search(client), "signed-in user")


def test_a_refused_key_on_search_counts_as_anonymous(client, throttled, db):
    assert _search(client, HTTP_X_API_KEY="lh_deadbeef_nope").status_code == 200
    assert _search(client, HTTP_X_API_KEY="lh_cafebabe_nope").status_code == 200
    _assert_throttled(_search(client, HTTP_X_API_KEY="lh_0badf00d_nope"), "client address")


def test_state_lives_in_the_django_cache(client, throttled, db):
    from django.core.cache import cache

    for _ in range(2):
        _search(client)
    assert _search(client).status_code == 429
    cache.clear()
    assert _search(client).status_code == 200


def test_an_empty_rate_is_unlimited(client, throttled, db):
    throttled.API_THROTTLE_RATES = {**RATES, "search.anon": ""}
    assert all(_search(client).status_code == 200 for _ in range(4))


def test_content_search_shares_the_search_scope(client, throttled, db):
    for _ in range(2):
        _search(client)
    _assert_throttled(client.get("/api/v1/search/content/?q=python"), "search requests")


def test_writes_are_throttled(client, throttled, api_key):
    url = "/api/v1/ask/messages/999/feedback/"
    body = {"conversation_id": 1, "value": "up"}
    assert client.post(url, body, content_type="application/json").status_code == 404  # counted, then refused
    _assert_throttled(
        client.post(url, body, content_type="application/json"), "too many write requests from this client address"
    )
    for _ in range(2):
        assert client.post(url, body, content_type="application/json", HTTP_X_API_KEY=api_key).status_code == 404
    _assert_throttled(
        client.post(url, body, content_type="application/json", HTTP_X_API_KEY=api_key), "from this API key"
    )


def test_ask_limits_count_each_api_key_separately(client, settings, api_key, db):
    """Ask is limited by search/ask/limits.py (not a second DRF throttle); a service's key is its own learner."""
    from django.core.cache import cache

    cache.clear()
    settings.ASK_MODEL = ""
    settings.ASK_RATE_PER_MINUTE = 1
    url = "/api/v1/ask/?stream=0"
    question = {"question": "python"}
    assert client.post(url, question, content_type="application/json").status_code == 200
    assert client.post(url, question, content_type="application/json").status_code == 429
    assert client.post(url, question, content_type="application/json", HTTP_X_API_KEY=api_key).status_code == 200
    limited = client.post(url, question, content_type="application/json", HTTP_X_API_KEY=api_key)
    assert limited.status_code == 429 and int(limited["Retry-After"]) >= 1


def test_behind_trusted_proxies_the_client_is_the_forwarded_address(client, throttled, db):
    throttled.API_TRUSTED_PROXIES = 1
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    for _ in range(2):
        assert _search(client, HTTP_X_FORWARDED_FOR="203.0.113.7", **proxy).status_code == 200
    _assert_throttled(_search(client, HTTP_X_FORWARDED_FOR="203.0.113.7", **proxy), "client address")
    # Another client behind the same proxy has its own count; a spoofed left-hand entry changes nothing.
    assert _search(client, HTTP_X_FORWARDED_FOR="198.51.100.9", **proxy).status_code == 200
    spoofed = _search(client, HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7", **proxy)
    _assert_throttled(spoofed, "client address")


def test_without_trusted_proxies_forwarded_for_is_ignored(client, throttled, db):
    for address in ("203.0.113.7", "198.51.100.9"):
        assert _search(client, HTTP_X_FORWARDED_FOR=address).status_code == 200
    _assert_throttled(_search(client, HTTP_X_FORWARDED_FOR="192.0.2.1"), "client address")


def test_write_scope_counts_writes_only_and_unscoped_views_are_not_throttled(throttled, db):
    from rest_framework.response import Response
    from rest_framework.test import APIRequestFactory
    from rest_framework.views import APIView

    class Scoped(APIView):
        throttle_scope = "write"

        def get(self, request):
            return Response({"read": True})

        def post(self, request):
            return Response({"written": True})

    class Unscoped(Scoped):
        throttle_scope = None

    factory = APIRequestFactory()
    view, unscoped = Scoped.as_view(), Unscoped.as_view()
    assert all(view(factory.get("/x/")).status_code == 200 for _ in range(3))
    assert view(factory.post("/x/")).status_code == 200
    response = view(factory.post("/x/"))
    assert response.status_code == 429 and response["Retry-After"]
    assert all(unscoped(factory.post("/x/")).status_code == 200 for _ in range(3))


def test_the_catalogue_api_is_not_throttled(client, throttled, db):
    throttled.API_THROTTLE_RATES = dict.fromkeys(RATES, "1/min")
    assert all(client.get("/api/v1/resources/").status_code == 200 for _ in range(3))


def test_autocomplete_is_throttled_per_address_in_its_own_scope(client, throttled, db, settings):
    settings.API_THROTTLE_RATES = {**RATES, "suggest.anon": "3/min", "suggest.user": "6/min", "suggest.key": "9/min"}
    suggest = "/api/v1/search/suggest/?q=pyth"
    assert all(client.get(suggest).status_code == 200 for _ in range(3))
    _assert_throttled(client.get(suggest), "too many suggest requests from this client address: at most 3/min")
    # Searching is counted apart from autocompleting.
    assert _search(client).status_code == 200
    assert client.get(suggest, REMOTE_ADDR="10.9.9.9").status_code == 200


def test_import_webhooks_are_throttled_per_sender_before_the_signature_is_checked(client, throttled, db, settings):
    settings.API_THROTTLE_RATES = {**RATES, "webhook.anon": "2/min", "webhook.user": "2/min", "webhook.key": "2/min"}
    url = "/api/v1/webhooks/import/nosuchsource/"
    # Unsigned posts are refused on their own merits (here: the unknown source) while under the rate...
    assert [client.post(url, data=b"{}", content_type="application/json").status_code for _ in range(2)] == [404, 404]
    # ...and then refused by the throttle, without being looked at.
    response = client.post(url, data=b"{}", content_type="application/json")
    _assert_throttled(response, "too many webhook requests from this client address: at most 2/min")
    assert client.post(url, data=b"{}", content_type="application/json", REMOTE_ADDR="10.7.7.7").status_code == 404
