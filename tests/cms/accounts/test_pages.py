"""The site's sign-in and sign-out pages, the header links, and the local password switch (site and admin)."""

from django.contrib.auth import get_user_model

import pytest

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-test-password"  # noqa: S105


@pytest.fixture
def learner():
    return get_user_model().objects.create_user("learner", "learner@example.org", PASSWORD)


@pytest.fixture
def providers(settings):
    settings.SOCIAL_AUTH_OIDC_OIDC_ENDPOINT = "https://idp.example.org/realms/learn"
    settings.SOCIAL_AUTH_OIDC_KEY = "learnhub"
    settings.OIDC_PROVIDER_NAME = "MIT Touchstone"
    settings.OPENEDX_BASE_URL = "https://lms.example.org"
    settings.SOCIAL_AUTH_OPENEDX_KEY = "learnhub-lms"
    settings.OPENEDX_PROVIDER_NAME = "MITx Online"


def test_sign_in_page_shows_password_form_and_no_provider_by_default(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        response = client.get("/accounts/login/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="username"' in html and 'name="password"' in html
    assert ">Sign in</button>" in html
    assert "Sign in with" not in html
    assert "no-cache" in response["Cache-Control"] or "private" in response["Cache-Control"]


def test_sign_in_page_offers_each_configured_provider(client, providers):
    html = client.get("/accounts/login/?next=/catalog/").content.decode()
    assert "Sign in with MIT Touchstone" in html
    assert "Sign in with MITx Online" in html
    assert 'action="/auth/login/oidc/"' in html and 'action="/auth/login/openedx/"' in html
    assert html.count('name="next" value="/catalog/"') == 3  # both buttons and the password form


def test_local_password_sign_in_lands_on_the_home_page(client, learner, home_page):
    response = client.post("/accounts/login/", {"username": "learner", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    html = client.get("/").content.decode()
    assert "Sign out" in html and "My learning" in html and 'href="/my/"' in html


def test_next_is_honoured_only_when_local(client, learner):
    response = client.post("/accounts/login/?next=/news/", {"username": "learner", "password": PASSWORD})
    assert response["Location"] == "/news/"
    client.logout()
    for unsafe in ("https://evil.example.com/", "//evil.example.com/", "/\\evil.example.com"):
        response = client.post("/accounts/login/", {"username": "learner", "password": PASSWORD, "next": unsafe})
        assert response["Location"] == "/", unsafe
        client.logout()
        html = client.get("/accounts/login/", {"next": unsafe}).content.decode()
        assert "evil.example.com" not in html


def test_wrong_password_is_explained(client, learner):
    response = client.post("/accounts/login/", {"username": "learner", "password": "wrong"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


def test_local_passwords_off_hides_the_form_and_refuses_passwords(client, settings, learner, providers):
    settings.LOCAL_PASSWORD_LOGIN = False
    html = client.get("/accounts/login/").content.decode()
    assert 'name="password"' not in html
    assert "Sign in with MIT Touchstone" in html
    response = client.post("/accounts/login/", {"username": "learner", "password": PASSWORD})
    assert response.status_code == 403
    assert "username and password is turned off" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_local_passwords_off_refused_by_the_wagtail_admin_too(client, settings):
    get_user_model().objects.create_superuser("boss", "boss@example.org", PASSWORD)
    settings.LOCAL_PASSWORD_LOGIN = False
    html = client.get("/admin/login/").content.decode()
    assert 'name="password"' not in html
    response = client.post("/admin/login/", {"username": "boss", "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    assert response.status_code == 200


def test_admin_login_keeps_wagtails_form_and_adds_provider_buttons(client, providers):
    get_user_model().objects.create_superuser("boss", "boss@example.org", PASSWORD)
    html = client.get("/admin/login/").content.decode()
    assert "Sign in with MIT Touchstone" in html
    assert 'name="next" value="/admin/"' in html
    assert 'name="password"' in html
    response = client.post("/admin/login/", {"username": "boss", "password": PASSWORD, "next": "/admin/"})
    assert response.status_code == 302 and response["Location"] == "/admin/"


def test_sign_out_asks_on_get_and_ends_the_session_on_post(client, learner, django_assert_max_num_queries):
    client.force_login(learner, backend="cms.accounts.backends.LocalPasswordBackend")
    with django_assert_max_num_queries(8):
        response = client.get("/accounts/logout/")
    assert response.status_code == 200 and "_auth_user_id" in client.session
    assert "Sign out of Learnhub?" in response.content.decode()
    response = client.post("/accounts/logout/")
    assert response.status_code == 302 and response["Location"] == "/"
    assert "_auth_user_id" not in client.session


def test_header_for_anonymous_visitors_is_cacheable_and_names_nobody(client, home_page, learner):
    response = client.get("/")
    html = response.content.decode()
    assert 'href="/accounts/login/?next=/"' in html
    assert "Sign out" not in html
    assert "public" in response["Cache-Control"]
    client.force_login(learner, backend="cms.accounts.backends.LocalPasswordBackend")
    response = client.get("/")
    assert "public" not in response.get("Cache-Control", "")
    assert "learner" not in response.content.decode().split("</header>")[0]
