"""Login throttling (django-axes, cms/login_throttling.py): wrong passwords lock a username+address out.

The test settings turn axes off (the test client's login() does not pass the request it needs); every test here turns
it on with the production values (5 failures, 15 minutes) and signs in through the real login forms: the Wagtail
admin's, the Django admin's and the site's own sign-in page.
"""

from datetime import timedelta

from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory
from django.utils import timezone

import pytest
import time_machine

pytestmark = pytest.mark.django_db

PASSWORD = "right-password-123"  # noqa: S105
LOGIN_FORMS = ["/admin/login/", "/django-admin/login/", "/accounts/login/"]


@pytest.fixture(autouse=True)
def throttled(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 5
    settings.LOGIN_LOCKOUT_MINUTES = 15
    settings.AXES_COOLOFF_TIME = 15 / 60
    return settings


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_superuser("editor1", "editor1@example.org", PASSWORD)


def attempt(client, url, password, address="203.0.113.7", username="editor1"):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=address)


@pytest.mark.parametrize("url", LOGIN_FORMS)
def test_five_wrong_passwords_lock_the_username_out_for_that_address(client, staff, url):
    for _ in range(4):
        response = attempt(client, url, "wrong")
        assert response.status_code == 200  # the form again, with its error
    locked = attempt(client, url, "wrong")
    assert locked.status_code == 429
    assert locked["Retry-After"] == str(15 * 60)
    assert "no-store" in locked["Cache-Control"]
    page = locked.content.decode()
    assert "Too many sign-in attempts" in page and "15 minutes" in page and "Traceback" not in page
    # Even the right password is refused while locked: the attacker learns nothing.
    assert attempt(client, url, PASSWORD).status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_lock_is_per_address_so_the_user_can_still_sign_in_from_elsewhere(client, staff):
    for _ in range(5):
        attempt(client, "/admin/login/", "wrong", address="203.0.113.7")
    assert attempt(client, "/admin/login/", PASSWORD, address="203.0.113.7").status_code == 429
    ok = attempt(client, "/admin/login/", PASSWORD, address="198.51.100.20")
    assert ok.status_code == 302 and client.session["_auth_user_id"] == str(staff.pk)


def test_the_lock_ends_after_the_cool_off(client, staff):
    for _ in range(5):
        attempt(client, "/admin/login/", "wrong")
    assert attempt(client, "/admin/login/", PASSWORD).status_code == 429
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert attempt(client, "/admin/login/", PASSWORD).status_code == 302


def test_a_successful_sign_in_resets_the_count(client, staff):
    for _ in range(4):
        attempt(client, "/admin/login/", "wrong")
    assert attempt(client, "/admin/login/", PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        assert attempt(client, "/admin/login/", "wrong").status_code == 200
    assert attempt(client, "/admin/login/", PASSWORD).status_code == 302


def test_an_operator_unlocks_a_user_with_axes_reset_username(client, staff):
    for _ in range(5):
        attempt(client, "/admin/login/", "wrong")
    assert attempt(client, "/admin/login/", PASSWORD).status_code == 429
    call_command("axes_reset_username", "editor1")
    assert attempt(client, "/admin/login/", PASSWORD).status_code == 302


def test_the_backend_refuses_a_locked_out_user_in_any_authenticate_call(client, staff):
    """The site's sign-in page (and any other form) goes through authenticate(): the backend lock covers it."""
    for _ in range(5):
        attempt(client, "/admin/login/", "wrong")
    request = RequestFactory().post("/accounts/login/", REMOTE_ADDR="203.0.113.7")
    assert authenticate(request, username="editor1", password=PASSWORD) is None
    elsewhere = RequestFactory().post("/accounts/login/", REMOTE_ADDR="198.51.100.20")
    assert authenticate(elsewhere, username="editor1", password=PASSWORD) == staff


def test_failures_through_authenticate_count_towards_the_form_lock(client, staff):
    request = RequestFactory().post("/accounts/login/", REMOTE_ADDR="203.0.113.7")
    for _ in range(5):
        assert authenticate(request, username="editor1", password="wrong") is None
    assert attempt(client, "/admin/login/", PASSWORD).status_code == 429


def test_a_forwarded_for_header_is_ignored_unless_configured(client, staff, settings):
    # Without CLIENT_IP_HEADER, a client cannot dodge the lock by inventing X-Forwarded-For addresses.
    for number in range(5):
        client.post(
            "/admin/login/",
            {"username": "editor1", "password": "wrong"},
            REMOTE_ADDR="203.0.113.7",
            HTTP_X_FORWARDED_FOR=f"10.0.0.{number}",
        )
    assert attempt(client, "/admin/login/", PASSWORD).status_code == 429


def test_behind_a_configured_proxy_the_client_address_comes_from_its_header(client, staff, settings):
    settings.CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    settings.CLIENT_IP_PROXY_COUNT = 1

    def through_proxy(password, client_address, forged=""):
        chain = f"{forged}, {client_address}" if forged else client_address
        return client.post(
            "/admin/login/",
            {"username": "editor1", "password": password},
            REMOTE_ADDR="10.0.0.2",  # the proxy
            HTTP_X_FORWARDED_FOR=chain,
        )

    for number in range(5):
        # The entry the client wrote itself (left of the proxy's) changes every time and is not trusted.
        through_proxy("wrong", "203.0.113.7", forged=f"192.0.2.{number}")
    assert through_proxy(PASSWORD, "203.0.113.7").status_code == 429
    # Another client behind the same proxy is not locked out.
    assert through_proxy(PASSWORD, "198.51.100.20").status_code == 302


def test_client_ip_without_the_expected_proxies_falls_back_to_the_peer(settings):
    from cms.login_throttling import client_ip

    settings.CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    settings.CLIENT_IP_PROXY_COUNT = 2
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert client_ip(request) == "10.0.0.2"
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.7, 10.0.0.1")
    assert client_ip(request) == "203.0.113.7"
