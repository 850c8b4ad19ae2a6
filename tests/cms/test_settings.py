"""Settings read from the environment: defaults, production guards, clear errors for bad values."""

import os
import subprocess
import sys

import pytest

from tests.conftest import REPO_ROOT

GOOD_SECRET = "k" * 20 + "Zq9!xY3#mN8@pL2$vB6%cR1^tW5&hJ7*"


def run_manage(*args, settings="cms.settings.dev", **env):
    """Run manage.py in a clean environment (only what the test sets, plus PATH and HOME)."""
    environment = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp")}
    environment["DJANGO_SETTINGS_MODULE"] = settings
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def read_settings(*names, settings="cms.settings.dev", **env):
    """The repr of each named setting, as a fresh process configured by `env` sees it."""
    code = "from django.conf import settings; " + "; ".join(f"print(repr(settings.{name}))" for name in names)
    result = run_manage("shell", "--no-imports", "-c", code, settings=settings, **env)
    assert result.returncode == 0, result.stderr
    return dict(zip(names, result.stdout.strip().splitlines(), strict=True))


def test_defaults_are_the_embedded_single_machine_setup():
    values = read_settings(
        "DATABASES['default']['ENGINE']",
        "DATABASES['default']['NAME']",
        "CACHES['default']['BACKEND']",
        "Q_CLUSTER",
        "STORAGES['default']['BACKEND']",
        "LOG_FORMAT",
    )
    assert values["DATABASES['default']['ENGINE']"] == "'django.db.backends.sqlite3'"
    assert "var/db.sqlite3" in values["DATABASES['default']['NAME']"]
    assert "LocMemCache" in values["CACHES['default']['BACKEND']"]
    assert "'orm': 'default'" in values["Q_CLUSTER"]
    assert "FileSystemStorage" in values["STORAGES['default']['BACKEND']"]
    assert values["LOG_FORMAT"] == "'text'"


def test_service_urls_switch_to_production_services():
    values = read_settings(
        "DATABASES['default']['ENGINE']",
        "DATABASES['default']['HOST']",
        "CACHES['default']['BACKEND']",
        "Q_CLUSTER",
        "STORAGES['default']['BACKEND']",
        DATABASE_URL="postgres://learnhub:secret@db.internal:5432/learnhub",
        REDIS_URL="redis://cache.internal:6379/1",
        AWS_STORAGE_BUCKET_NAME="learnhub-media",
    )
    assert values["DATABASES['default']['ENGINE']"] == "'django.db.backends.postgresql'"
    assert values["DATABASES['default']['HOST']"] == "'db.internal'"
    assert "RedisCache" in values["CACHES['default']['BACKEND']"]
    assert "'redis': 'redis://cache.internal:6379/1'" in values["Q_CLUSTER"]
    assert "S3Storage" in values["STORAGES['default']['BACKEND']"]


def test_production_refuses_to_start_without_secret_key():
    result = run_manage("check", settings="cms.settings.production", ALLOWED_HOSTS="learn.example.org")
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert lines == ["Configuration error: SECRET_KEY is required in production: set it to a long random string"]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgres://u@h:notaport/db", "DATABASE_URL is malformed"),
        ("mongodb://u@h/db", "DATABASE_URL scheme 'mongodb' is not supported"),
        ("not a url", "DATABASE_URL scheme '' is not supported"),
    ],
)
def test_malformed_database_url_names_the_variable(url, expected):
    result = run_manage("check", DATABASE_URL=url)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert expected in lines[0]


def test_log_format_must_be_text_or_json():
    result = run_manage("check", LOG_FORMAT="xml")
    assert result.returncode != 0
    assert "LOG_FORMAT must be one of text, json; got 'xml'" in result.stderr


def test_json_logging_writes_json_lines_to_stdout():
    result = run_manage(
        "shell",
        "--no-imports",
        "-c",
        "import logging; logging.getLogger('learnhub.test').warning('hello %s', 'world')",
        LOG_FORMAT="json",
    )
    assert result.returncode == 0, result.stderr
    import json

    record = json.loads(result.stdout.strip().splitlines()[-1])
    assert record["message"] == "hello world"
    assert record["level"] == "WARNING"
    assert record["logger"] == "learnhub.test"


def test_production_check_deploy_is_clean_with_required_variables(tmp_path):
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        settings="cms.settings.production",
        SECRET_KEY=GOOD_SECRET,
        ALLOWED_HOSTS="learn.example.org",
        CSRF_TRUSTED_ORIGINS="https://learn.example.org",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(("value", "expected"), [(None, "True"), ("0", "False"), ("false", "False"), ("1", "True")])
def test_development_settings_honour_debug_from_the_environment(value, expected):
    env = {} if value is None else {"DEBUG": value}
    values = read_settings("DEBUG", "ALLOWED_HOSTS", **env)
    assert values["DEBUG"] == expected
    assert "localhost" in values["ALLOWED_HOSTS"]
