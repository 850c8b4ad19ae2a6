"""The demo admin's password: printed once when generated, DEMO_ADMIN_PASSWORD honoured on every later run, and
`make admin` (`manage.py demo_admin`) sets a new one."""

import io
import re

from django.contrib.auth import get_user_model
from django.core.management import call_command

import pytest

from cms.demo import ensure_admin

pytestmark = pytest.mark.django_db


def admin():
    return get_user_model().objects.get(username="admin")


def test_a_later_run_puts_demo_admin_password_back(settings):
    lines = []
    ensure_admin(lines.append)
    generated = re.search(r"with password '([^']+)'", lines[0])[1]
    assert admin().check_password(generated)
    settings.DEMO_ADMIN_PASSWORD = "a-long-demo-password"
    ensure_admin(lines.append)
    assert admin().check_password("a-long-demo-password")
    assert lines[-1] == "Admin user 'admin' exists; its password was set from DEMO_ADMIN_PASSWORD."
    ensure_admin(lines.append)
    assert lines[-1] == "Admin user 'admin' exists; its password is DEMO_ADMIN_PASSWORD."


def test_without_the_variable_an_existing_password_is_kept(settings):
    ensure_admin(lambda message: None)
    user = admin()
    user.set_password("chosen-in-the-admin-123")
    user.save()
    lines = []
    ensure_admin(lines.append)
    assert admin().check_password("chosen-in-the-admin-123")
    assert lines == ["Admin user 'admin' exists; left unchanged."]


def test_demo_admin_sets_and_prints_a_new_password():
    ensure_admin(lambda message: None)
    out = io.StringIO()
    call_command("demo_admin", stdout=out)
    password = re.search(r"with password '([^']+)'", out.getvalue())[1]
    assert admin().check_password(password)
    call_command("demo_admin", "--password", "another-long-password", stdout=out)
    assert admin().check_password("another-long-password")


def test_demo_admin_creates_the_superuser_when_missing(settings):
    settings.DEMO_ADMIN_PASSWORD = "from-the-environment-42"
    out = io.StringIO()
    call_command("demo_admin", stdout=out)
    assert admin().is_superuser and admin().check_password("from-the-environment-42")
    assert "with the password from DEMO_ADMIN_PASSWORD" in out.getvalue()
    assert "from-the-environment-42" not in out.getvalue()
