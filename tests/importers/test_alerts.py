"""Import alerts: failed and needs-review runs are mailed once, through a task, with a link to the run."""

from django.core import mail
from django.core.cache import cache

import environ
import pytest

from importers.models import ImportRun
from importers.runner import run_import
from importers.signals import run_finished
from tests.support.network import free_port, smtp_inbox

from .fakes import FAKE, course

pytestmark = pytest.mark.django_db

S = ImportRun.Status


@pytest.fixture(autouse=True)
def recipients(settings):
    cache.clear()  # the "already alerted" marks; run ids repeat across rolled-back tests
    settings.IMPORT_ALERT_EMAILS = ["ops@example.org", "data@example.org"]
    settings.WAGTAILADMIN_BASE_URL = "https://learn.example.org"
    yield settings.IMPORT_ALERT_EMAILS
    cache.clear()


@pytest.fixture
def run_and_commit(django_capture_on_commit_callbacks):
    """Run an import and fire its on-commit callbacks (the alert is queued once the run's row is committed)."""

    def _run(*args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return run_import(*args, **kwargs)

    return _run


def test_failed_run_mails_every_recipient_once_with_a_link(configure, run_and_commit):
    configure(fail_extract=True)
    run = run_and_commit(FAKE)
    assert run.status == S.FAILED
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ops@example.org", "data@example.org"]
    assert message.subject == f"[Learnhub] Import of {FAKE} failed (run #{run.pk})"
    assert f"https://learn.example.org/admin/imports/runs/{run.pk}/" in message.body
    assert "source is down" in message.body
    assert "Status:   Failed" in message.body


def test_link_is_the_runs_admin_page(configure, run_and_commit, admin_client):
    configure(fail_extract=True)
    run = run_and_commit(FAKE)
    link = mail.outbox[0].body.rsplit("The run in the admin: ", 1)[1].strip()
    path = link.removeprefix("https://learn.example.org")
    assert path == run.get_admin_url()
    assert admin_client.get(path).status_code == 200


def test_needs_review_run_is_mailed(configure, run_and_commit):
    configure(courses=[course(n) for n in range(10)])
    assert run_and_commit(FAKE).status == S.SUCCEEDED
    configure(courses=[course(0)])
    review = run_and_commit(FAKE)
    assert review.status == S.NEEDS_REVIEW
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == f"[Learnhub] Import of {FAKE} needs review (run #{review.pk})"
    assert "approve it" in mail.outbox[0].body and "guard" in mail.outbox[0].body


def test_succeeded_skipped_and_dry_runs_are_quiet(configure, run_and_commit):
    configure(courses=[course(1)])
    assert run_and_commit(FAKE).status == S.SUCCEEDED
    assert run_and_commit(FAKE).status == S.SKIPPED
    configure(fail_extract=True)
    assert run_and_commit(FAKE, dry_run=True).status == S.FAILED
    assert mail.outbox == []


def test_the_alert_goes_through_a_task_on_the_default_queue(configure, run_and_commit, monkeypatch):
    queued = []
    monkeypatch.setattr("cms.tasks.enqueue", lambda func, *args, **kwargs: queued.append((func, args, kwargs)))
    configure(fail_extract=True)
    run = run_and_commit(FAKE)
    assert queued == [
        ("importers.alerts.send_run_alert", (run.pk,), {"queue": "default", "task_name": f"import alert {run.pk}"})
    ]
    assert mail.outbox == []  # nothing is mailed inside the import itself


def test_nothing_is_queued_before_the_run_is_committed(configure, django_capture_on_commit_callbacks):
    configure(fail_extract=True)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run_import(FAKE)
    assert len(callbacks) == 1
    assert mail.outbox == []


def test_one_email_per_run_even_if_the_signal_comes_twice(configure, run_and_commit):
    configure(fail_extract=True)
    run = run_and_commit(FAKE)
    run_finished.send(sender=ImportRun, run=run)
    assert len(mail.outbox) == 1


def test_admins_are_the_default_recipients(configure, run_and_commit, settings):
    settings.IMPORT_ALERT_EMAILS = []
    settings.ADMINS = [("Ops", "admins@example.org")]
    configure(fail_extract=True)
    run_and_commit(FAKE)
    assert [m.to for m in mail.outbox] == [["admins@example.org"]]


def test_no_recipients_no_alert(configure, run_and_commit, settings, monkeypatch):
    settings.IMPORT_ALERT_EMAILS = []
    settings.ADMINS = []
    monkeypatch.setattr("cms.tasks.enqueue", lambda *a, **k: pytest.fail("nothing should be queued"))
    configure(fail_extract=True)
    assert run_and_commit(FAKE).status == S.FAILED


def test_a_mail_server_outage_never_fails_the_import(configure, run_and_commit, settings, caplog):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    configure(fail_extract=True)
    run = run_and_commit(FAKE)
    assert run.status == S.FAILED
    assert ImportRun.objects.get(pk=run.pk).message == "ConnectionError: source is down"
    # Tests run tasks inline, so the task's error reaches the on-commit callback, which logs it; on a worker it is
    # a failed task in django-q2's admin instead.
    assert "Connection refused" in caplog.text
    assert mail.outbox == []


# --- a real SMTP server in process --------------------------------------------------------------------------------


@pytest.fixture
def smtp_server():
    with smtp_inbox() as inbox:
        yield inbox


def test_alert_over_real_smtp_from_the_email_url(configure, run_and_commit, settings, smtp_server):
    """EMAIL_URL is turned into settings exactly as cms/settings/base.py does it."""
    inbox = smtp_server
    for name, value in environ.Env.email_url_config(f"smtp://127.0.0.1:{inbox.port}").items():
        setattr(settings, name, value)
    assert settings.EMAIL_BACKEND == "django.core.mail.backends.smtp.EmailBackend"
    configure(fail_extract=True)
    run = run_and_commit(FAKE)
    assert len(inbox.envelopes) == 1
    envelope = inbox.envelopes[0]
    assert envelope.mail_from == "learnhub@localhost"
    assert envelope.rcpt_tos == ["ops@example.org", "data@example.org"]
    content = envelope.content.decode()
    assert f"Subject: [Learnhub] Import of {FAKE} failed (run #{run.pk})" in content
    assert f"https://learn.example.org/admin/imports/runs/{run.pk}/" in content
