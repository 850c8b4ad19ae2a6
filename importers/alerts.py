"""Import alerts: an email when a run fails or stops for review, with a link to the run in the admin.

`on_run_finished` receives `importers.signals.run_finished` (connected in ImportersConfig.ready). For a failed or
needs-review run that is not a dry run it queues `send_run_alert` on the default queue once the run's row is
committed, so the worker can read it and a mail server outage fails the alert task (kept in django-q2's failed
tasks), never the import. One email per run goes to every recipient: IMPORT_ALERT_EMAILS, else Django's ADMINS.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMessage
from django.db import transaction

from .models import ImportRun

logger = logging.getLogger(__name__)

ALERT_STATUSES = {ImportRun.Status.FAILED: "failed", ImportRun.Status.NEEDS_REVIEW: "needs review"}
MAX_LISTED_ERRORS = 10
# How long the "already alerted" mark of a run is kept (a signal sent twice for one run sends one email).
ALERTED_MARK_SECONDS = 7 * 24 * 3600


def alert_recipients() -> list[str]:
    """IMPORT_ALERT_EMAILS, or the email addresses of settings.ADMINS; empty: alerts are off."""
    if settings.IMPORT_ALERT_EMAILS:
        return list(settings.IMPORT_ALERT_EMAILS)
    return [email for _, email in settings.ADMINS]


def run_admin_url(run: ImportRun) -> str:
    """The run's page in the admin as an absolute URL (WAGTAILADMIN_BASE_URL)."""
    return f"{settings.WAGTAILADMIN_BASE_URL.rstrip('/')}{run.get_admin_url()}"


def on_run_finished(sender, run: ImportRun, **kwargs) -> None:
    """Queue one alert for a failed or needs-review run (dry runs, skipped and succeeded runs are quiet)."""
    if run.dry_run or run.status not in ALERT_STATUSES or not alert_recipients():
        return
    if not cache.add(f"importers:alert:{run.pk}", 1, timeout=ALERTED_MARK_SECONDS):
        return
    from cms.tasks import enqueue

    run_id = run.pk
    transaction.on_commit(
        lambda: enqueue("importers.alerts.send_run_alert", run_id, queue="default", task_name=f"import alert {run_id}"),
        robust=True,  # a broker outage is logged; the import itself has settled
    )


def send_run_alert(run_id: int) -> int:
    """Task: mail the alert for one run; returns the number of messages sent (0 when there is nothing to send)."""
    run = ImportRun.objects.filter(pk=run_id).first()
    recipients = alert_recipients()
    if run is None or not recipients:
        return 0
    message = EmailMessage(
        subject=alert_subject(run),
        body=alert_body(run),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=recipients,
    )
    sent = message.send(fail_silently=False)
    logger.info("import alert for run #%s (%s) sent to %d recipient(s)", run.pk, run.status, len(recipients))
    return sent


def alert_subject(run: ImportRun) -> str:
    what = ALERT_STATUSES.get(run.status, run.get_status_display().lower())
    return f"[{settings.WAGTAIL_SITE_NAME}] Import of {run.source} {what} (run #{run.pk})"


def alert_body(run: ImportRun) -> str:
    lines = [
        f"Source:   {run.source}",
        f"Status:   {run.get_status_display()}",
        f"Trigger:  {run.get_trigger_display()}",
        f"Started:  {run.started_at:%Y-%m-%d %H:%M:%S %Z}",
    ]
    if run.finished_at:
        lines.append(f"Finished: {run.finished_at:%Y-%m-%d %H:%M:%S %Z}")
    lines += [
        f"Counts:   {run.created} created, {run.updated} updated, {run.unchanged} unchanged, "
        f"{run.unpublished} unpublished, {run.failed} failed",
        "",
    ]
    if run.status == ImportRun.Status.NEEDS_REVIEW:
        lines += [
            "The run stopped before changing the catalogue and waits for a decision: approve it (the same snapshot is",
            "loaded again, past the guard) or reject it on its page in the admin.",
            "",
        ]
    if run.message:
        lines += ["Why:", run.message.strip(), ""]
    if run.error_count:
        lines.append(f"Errors ({run.error_count}):")
        for error in run.errors[:MAX_LISTED_ERRORS]:
            where = " ".join(str(error[k]) for k in ("source_id", "field") if error.get(k))
            lines.append(f"- {where + ': ' if where else ''}{error.get('message', error)}")
        if run.error_count > MAX_LISTED_ERRORS:
            lines.append(f"- ... and {run.error_count - MAX_LISTED_ERRORS} more on the run's page")
        lines.append("")
    lines.append(f"The run in the admin: {run_admin_url(run)}")
    return "\n".join(lines) + "\n"
