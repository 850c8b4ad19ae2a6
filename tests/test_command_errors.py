"""Every project management command ends a user's mistake in one line (`CommandError: …`, exit status 1), with no
traceback unless --traceback is given.

Commands run in process through `run_from_argv`, the path `manage.py` takes: a CommandError is printed as one line
and any other exception escapes as a traceback (and fails the test). Two of the reported cases also run as real
`manage.py` processes.
"""

import logging
import os
import subprocess
import sys
from pathlib import Path

from django.core.management import get_commands, load_command_class

import pytest

from tests.conftest import REPO_ROOT

NOT_MIGRATED = "the database has unapplied migrations: run `manage.py migrate` first"
# command → (arguments, what the one line says, needs an unmigrated database)
CASES = {
    "import": (["oll", "--file", "/nonexistent/oll.csv"], "no such file or folder: /nonexistent/oll.csv", False),
    "import_content": (["/nonexistent/course.tar.gz"], "no such file: /nonexistent/course.tar.gz", False),
    "search_eval": (["/nonexistent/q.tsv", "/nonexistent/r.tsv"], "/nonexistent/q.tsv: cannot be read", False),
    "ask_eval": (["/nonexistent/q.tsv", "/nonexistent/r.tsv"], "/nonexistent/q.tsv: cannot be read", False),
    "search_rebuild": (["--engine", "opensearch"], "the opensearch engine needs OPENSEARCH_URL", False),
    "embed": (["--batch-size", "0"], "argument --batch-size: '0' is not a positive whole number", False),
    "demo_admin": (["--password", "short"], "password refused: This password is too short.", False),
    "setup": ([], NOT_MIGRATED, True),
    "load_demo_content": ([], NOT_MIGRATED, True),
    "sync_import_schedules": ([], NOT_MIGRATED, True),
    # On main since this branch started (the lead's import locks).
    "import_locks": (["release"], "name the source whose lock to release", False),
    "fetch_resource_images": (["--source", "nosuch"], "no resources of source 'nosuch'", False),
    "api_key": (["revoke", "nothere"], "no API key with prefix 'nothere'", False),  # issue 16: API keys
}
EXTRA = {"import_unknown": ("import", ["nosuch"], "unknown import source 'nosuch'")}


def project_commands() -> set[str]:
    apps = ("cms", "catalog", "news", "importers", "search")
    return {name for name, app in get_commands().items() if app in apps}


def run_command(name, argv, capsys, monkeypatch):
    """Run `manage.py NAME ARGV` in process; return (exit status, stdout, stderr)."""
    command = load_command_class(get_commands()[name], name)
    # run_from_argv closes the database connections at the end, which would end the test's transaction.
    monkeypatch.setattr("django.core.management.base.connections.close_all", lambda: None)
    with pytest.raises(SystemExit) as exit_info:
        command.run_from_argv(["manage.py", name, *argv])
    captured = capsys.readouterr()
    return exit_info.value.code, captured.out, captured.err


def test_every_project_command_has_a_case():
    missing = project_commands() - set(CASES)
    assert not missing, f"add {', '.join(sorted(missing))} to CASES with a bad argument"


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(CASES))
def test_a_mistake_is_one_line_without_traceback(name, capsys, monkeypatch, settings, caplog):
    if name not in project_commands():
        pytest.skip(f"{name} is not in this tree")
    argv, message, unmigrated = CASES[name]
    settings.OPENSEARCH_URL = ""
    if unmigrated:
        monkeypatch.setattr(
            "cms.management.base.MigrationExecutor.migration_plan", lambda self, targets: [("pending", False)]
        )
    with caplog.at_level(logging.WARNING):
        status, out, err = run_command(name, argv, capsys, monkeypatch)
    lines = [line for line in err.splitlines() if line.strip()]
    if lines and lines[0].startswith("usage:"):  # argparse's own errors: the usage, then one error line
        lines = lines[-1:]
        assert status == 2
        assert lines[0].endswith(message)
    else:
        assert status == 1
        assert lines == [f"CommandError: {message}"] or (
            len(lines) == 1 and lines[0].startswith(f"CommandError: {message}")
        ), err
    assert "Traceback" not in out + err
    assert not [record for record in caplog.records if record.exc_info], "a traceback was logged"


@pytest.mark.django_db
def test_an_unknown_source_is_one_line(capsys, monkeypatch):
    name, argv, message = EXTRA["import_unknown"]
    status, out, err = run_command(name, argv, capsys, monkeypatch)
    assert status == 1
    assert err.strip().startswith(f"CommandError: {message}")
    assert len(err.strip().splitlines()) == 1


@pytest.mark.django_db
def test_traceback_flag_still_shows_the_cause(monkeypatch):
    command = load_command_class("search", "search_rebuild")
    monkeypatch.setattr("django.core.management.base.connections.close_all", lambda: None)
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="OPENSEARCH_URL"):
        command.run_from_argv(["manage.py", "search_rebuild", "--engine", "opensearch", "--traceback"])


def test_a_missing_archive_is_missing_not_corrupt(tmp_path):
    from importers.extraction.archives import safe_extract

    with pytest.raises(FileNotFoundError, match=f"no such file: {tmp_path / 'gone.tar.gz'}"):
        safe_extract(tmp_path / "gone.tar.gz", tmp_path / "out")


@pytest.mark.parametrize(
    "argv, message",
    [
        (["import", "oll", "--file", "/nonexistent/oll.csv"], "no such file or folder: /nonexistent/oll.csv"),
        (["import_content", "/nonexistent/course.tar.gz"], "no such file: /nonexistent/course.tar.gz"),
    ],
)
def test_manage_py_prints_the_mistake_in_one_line(argv, message, tmp_path):
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        "DJANGO_SETTINGS_MODULE": "cms.settings.test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
    }
    result = subprocess.run(
        [sys.executable, str(Path(REPO_ROOT) / "manage.py"), *argv],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert (result.stdout + result.stderr).strip().splitlines() == [f"CommandError: {message}"]
