"""The sources of issue 18 get what every source gets from the framework: listing, a schedule at MIT Learn's
cadence, run history, a signed webhook, dry runs."""

import time
from io import StringIO

from django.core.management import call_command

import pytest
from django_q.models import Schedule

from catalog.models import LearningResource
from importers.models import ImportRun
from importers.registry import get_source_class
from importers.runner import run_import
from importers.schedules import ensure_source_schedule
from importers.webhooks import sign
from news.models import FeedItem

from .fixtures import FIXTURES

pytestmark = pytest.mark.django_db

NEW_SOURCES = {
    # source: (kind, loader, schedule)
    "posthog_views": ("catalogue", "catalog.loader.views.load_view_records", {"minutes": 180}),
    "mit_climate": ("catalogue", "catalog.loader.load_resources", {"cron": "30 5 * * *"}),
    "sloan_news": ("news", "news.loader.load_feed_items", {"minutes": 180}),
    "sloan_webinars": ("news", "news.loader.load_feed_items", {"minutes": 720}),
    "marketing_pages": ("catalogue", "catalog.loader.fields.load_field_records", {"cron": "0 9 * * *"}),
}


def test_listed_with_kind_and_loader():
    out = StringIO()
    call_command("import", "--list", stdout=out, stderr=StringIO())
    for name, (kind, loader, _) in NEW_SOURCES.items():
        assert name in out.getvalue()
        cls = get_source_class(name)
        assert (cls.kind, cls.loader) == (kind, loader)


@pytest.mark.parametrize("name", sorted(NEW_SOURCES))
def test_scheduled_at_mit_learns_cadence_and_admin_edits_are_kept(name):
    schedule = ensure_source_schedule(name)
    expected = NEW_SOURCES[name][2]
    if "minutes" in expected:
        assert schedule.schedule_type == Schedule.MINUTES and schedule.minutes == expected["minutes"]
    else:
        assert schedule.schedule_type == Schedule.CRON and schedule.cron == expected["cron"]
    Schedule.objects.filter(pk=schedule.pk).update(minutes=5, schedule_type=Schedule.MINUTES)
    assert ensure_source_schedule(name).minutes == 5  # an operator's edit survives


SECRET = "s3cret"


def signed_post(client, source, body, content_type="application/json"):
    timestamp = int(time.time())
    return client.post(
        f"/api/v1/webhooks/import/{source}/",
        data=body,
        content_type=content_type,
        HTTP_X_LEARNHUB_TIMESTAMP=str(timestamp),
        HTTP_X_LEARNHUB_SIGNATURE="sha256=" + sign(SECRET, timestamp, body),
    )


def test_webhooks_deliver_snapshots(client, settings, realdata):
    settings.IMPORT_WEBHOOK_SECRETS = {"sloan_news": SECRET, "posthog_views": SECRET}
    response = signed_post(client, "sloan_news", (FIXTURES / "sloan_news" / "blog.json").read_bytes())
    assert response.status_code == 202, response.content
    run = ImportRun.objects.get(source="sloan_news")  # tasks run inline in tests
    assert run.trigger == ImportRun.Trigger.WEBHOOK and run.status == ImportRun.Status.SUCCEEDED
    assert FeedItem.objects.filter(source="sloan_news").count() == 2

    body = (realdata / "posthog" / "posthog_test_data.parquet.zst").read_bytes()
    response = signed_post(client, "posthog_views", body, content_type="application/octet-stream")
    assert response.status_code == 202, response.content
    run = ImportRun.objects.get(source="posthog_views")
    assert run.status == ImportRun.Status.SUCCEEDED, run.message
    assert [d["name"] for d in run.snapshot.documents] == ["events.parquet.zst"]


def test_dry_runs_write_nothing_and_history_is_kept():
    dry = run_import("mit_climate", file=str(FIXTURES / "mit_climate"), dry_run=True, trigger="cli")
    assert dry.status == "succeeded" and dry.diff["would_create_count"] == 3
    assert not LearningResource.objects.exists()
    run_import("sloan_webinars", file=str(FIXTURES / "sloan_news" / "webinars.json"), dry_run=True, trigger="cli")
    assert not FeedItem.objects.exists()
    real = run_import("mit_climate", file=str(FIXTURES / "mit_climate"), trigger="cli")
    again = run_import("mit_climate", file=str(FIXTURES / "mit_climate"), trigger="cli")
    assert (real.status, again.status) == ("succeeded", "skipped")  # unchanged snapshot
    assert ImportRun.objects.filter(source="mit_climate").count() == 3


# --- sources that are not configured, and what --list says ---------------------------------------------------

UNCONFIGURED = {
    # source: (settings that leave it unconfigured, what the skip says)
    "posthog_views": ({"POSTHOG_EVENT_S3_BUCKET": ""}, "set POSTHOG_EVENT_S3_BUCKET"),
    "sloan": ({"SLOAN_API_URL": ""}, "set SLOAN_API_URL"),
    "mit_climate": ({"MIT_CLIMATE_FEED_URLS": []}, "set MIT_CLIMATE_FEED_URLS"),
    "marketing_pages": ({"MARKETING_PAGE_SOURCES": []}, "set MARKETING_PAGE_SOURCES"),
    "csv_catalog": ({"CSV_CATALOG_URL": "", "CSV_CATALOG_PATH": ""}, "set CSV_CATALOG_URL or CSV_CATALOG_PATH"),
}


@pytest.mark.parametrize("name", sorted(UNCONFIGURED))
def test_scheduled_runs_of_an_unconfigured_source_are_skipped_quietly(
    name, settings, django_capture_on_commit_callbacks
):
    from django.core import mail
    from django.core.cache import cache

    overrides, reason = UNCONFIGURED[name]
    for setting, value in overrides.items():
        setattr(settings, setting, value)
    settings.IMPORT_ALERT_EMAILS = ["ops@example.org"]
    cache.clear()
    with django_capture_on_commit_callbacks(execute=True):
        run = run_import(name, trigger="schedule")
    assert run.status == ImportRun.Status.SKIPPED
    assert run.message.startswith("not configured: ") and reason in run.message
    assert mail.outbox == []  # a skipped run alerts nobody
    with django_capture_on_commit_callbacks(execute=True):
        failed = run_import(name, trigger="manual")  # an operator asking for it gets the failure and its reason
    assert failed.status == ImportRun.Status.FAILED and reason in failed.message
    assert len(mail.outbox) == 1
    cache.clear()


def test_a_scheduled_run_given_a_snapshot_is_not_skipped(settings):
    settings.MIT_CLIMATE_FEED_URLS = []
    stored = run_import("mit_climate", file=str(FIXTURES / "mit_climate"), trigger="cli").snapshot
    run = run_import("mit_climate", snapshot_id=stored.pk, replay=True, trigger="schedule")
    assert run.status == ImportRun.Status.SUCCEEDED, run.message


def test_list_notes_unconfigured_sources_and_command_only_ones(settings):
    settings.POSTHOG_EVENT_S3_BUCKET = ""
    settings.MIT_CLIMATE_FEED_URLS = ["https://climate.example.org/api/explainers"]
    ImportRun.objects.create(source="import_content", trigger="cli", status=ImportRun.Status.SUCCEEDED)
    ImportRun.objects.create(source="retired_source", trigger="cli", status=ImportRun.Status.FAILED)
    out = StringIO()
    call_command("import", "--list", stdout=out)
    text = out.getvalue()
    lines = {line.split(":", 1)[0]: line for line in text.splitlines() if ": " in line and "│" not in line}
    assert "not configured: set POSTHOG_EVENT_S3_BUCKET" in lines["posthog_views"]
    assert "mit_climate" not in lines  # configured
    assert lines["import_content"] == "import_content: run by manage.py import_content only (no schedule)"
    assert lines["retired_source"] == "retired_source: not registered (removed?); its runs are kept"
