"""Production settings and the operations settings, each read by a fresh process from its environment."""

import os
import subprocess
import sys

import pytest

from tests.cms.test_settings import GOOD_SECRET, run_manage
from tests.conftest import REPO_ROOT


def import_settings(module="cms.settings.production", **env):
    """Import a settings module in a clean process (only `env`, PATH and HOME); print ALLOWED_HOSTS on success."""
    environment = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), **env}
    code = f"import {module} as s; print(s.ALLOWED_HOSTS)"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def database(tmp_path):
    return f"sqlite:///{tmp_path / 'db.sqlite3'}"


@pytest.mark.parametrize("hosts", [None, "", " , "], ids=["unset", "empty", "blank-items"])
def test_production_refuses_to_start_without_explicit_allowed_hosts(hosts, database):
    env = {"SECRET_KEY": GOOD_SECRET, "DATABASE_URL": database}
    if hosts is not None:
        env["ALLOWED_HOSTS"] = hosts
    result = import_settings(**env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr or "SettingError" in result.stderr
    assert "ALLOWED_HOSTS is required in production" in result.stderr


def test_production_without_allowed_hosts_is_one_clear_line_from_manage(database):
    result = run_manage("check", settings="cms.settings.production", SECRET_KEY=GOOD_SECRET, DATABASE_URL=database)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Configuration error: ALLOWED_HOSTS is required in production")
    assert "ALLOWED_HOSTS=learn.example.org" in lines[0]


def test_production_starts_with_explicit_hosts(database):
    result = import_settings(
        SECRET_KEY=GOOD_SECRET, DATABASE_URL=database, ALLOWED_HOSTS="learn.example.org, www.learn.example.org"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['learn.example.org', 'www.learn.example.org']"


def test_wildcard_hosts_start_but_check_deploy_warns(database):
    env = {
        "SECRET_KEY": GOOD_SECRET,
        "DATABASE_URL": database,
        "ALLOWED_HOSTS": "*",
        "CSRF_TRUSTED_ORIGINS": "https://learn.example.org",
    }
    assert import_settings(**env).returncode == 0
    result = run_manage("check", "--deploy", settings="cms.settings.production", **env)
    assert "learnhub.W001" in result.stderr + result.stdout
    assert "ALLOWED_HOSTS contains '*'" in result.stderr + result.stdout
    strict = run_manage("check", "--deploy", "--fail-level", "WARNING", settings="cms.settings.production", **env)
    assert strict.returncode != 0


def test_development_needs_no_allowed_hosts():
    """Development serves localhost with ALLOWED_HOSTS unset: the development settings name localhost (so that
    DEBUG=0, for the branded error pages, still answers there)."""
    result = run_manage(
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings; from django.test import Client; "
        "print(settings.ALLOWED_HOSTS, Client().get('/health/liveness/', HTTP_HOST='localhost:8000').status_code)",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "['localhost', '127.0.0.1', '[::1]'] 200"


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("OPS_INTERNAL_NETWORKS", "10.0.0.0/8,intranet", "OPS_INTERNAL_NETWORKS: 'intranet' is not an IP address"),
        ("IMPORT_ALERT_EMAILS", "ops@example.org,not-an-address", "IMPORT_ALERT_EMAILS: 'not-an-address' is not"),
        ("PROMETHEUS_MULTIPROC_DIR", "/nonexistent/prometheus", "PROMETHEUS_MULTIPROC_DIR '/nonexistent/prometheus'"),
    ],
)
def test_bad_operations_settings_name_the_variable(variable, value, message):
    result = run_manage("check", **{variable: value})
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert message in lines[0]


def test_operations_settings_are_typed():
    code = (
        "from django.conf import settings; "
        "print(settings.OPS_INTERNAL_NETWORKS, settings.IMPORT_ALERT_EMAILS, repr(settings.OPS_TOKEN))"
    )
    default = run_manage("shell", "--no-imports", "-c", code)
    assert default.stdout.strip() == "['127.0.0.0/8', '::1/128'] [] ''"
    custom = run_manage(
        "shell",
        "--no-imports",
        "-c",
        code,
        OPS_INTERNAL_NETWORKS="10.1.2.3/16, fd00::/8",
        IMPORT_ALERT_EMAILS="ops@example.org, data@example.org",
        OPS_TOKEN="t0ken",
    )
    assert custom.returncode == 0, custom.stderr
    assert custom.stdout.strip() == "['10.1.0.0/16', 'fd00::/8'] ['ops@example.org', 'data@example.org'] 't0ken'"
