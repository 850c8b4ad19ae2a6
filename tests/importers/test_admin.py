"""The Imports section of the Wagtail admin: pages render, actions work, permissions hold."""

import re

import pytest
from django_q.models import Schedule

from importers.models import ImportRun, SourceSettings
from importers.runner import run_import
from importers.schedules import ensure_source_schedule

from .fakes import FAKE, course

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client, django_user_model):
    user = django_user_model.objects.create_superuser("boss", "boss@example.org", "pw")
    client.force_login(user)
    return client


@pytest.fixture
def editor(client, django_user_model):
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user("ed", "ed@example.org", "pw")
    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(user)
    return client


def test_index_lists_sources_with_last_run_and_chart(admin, configure):
    configure(courses=[course(1), course(2)])
    ensure_source_schedule(FAKE)
    run = run_import(FAKE)
    html = admin.get("/admin/imports/").content.decode()
    assert f'data-source="{FAKE}"' in html and "Fake courses" in html
    assert "every hour" in html and 'data-status="succeeded"' in html
    assert f"/admin/imports/runs/{run.pk}/" in html
    assert "<svg" in html and 'data-runs="1"' in html and 'data-changes="2"' in html
    # The chart is drawn locally: no script or stylesheet from a CDN (a bare "cdn" can occur in a random token).
    assert not re.search(r"""(src|href)=["'](https?:)?//[^"']*(cdn|unpkg)""", html, re.IGNORECASE)


def test_index_query_count_is_bounded(admin, configure, django_assert_max_num_queries):
    configure(courses=[course(1)])
    for n in range(5):
        run_import(FAKE, force=True)
        del n
    with django_assert_max_num_queries(25):
        assert admin.get("/admin/imports/").status_code == 200


def test_run_now_and_dry_run_actions(admin, configure):
    configure(courses=[course(1)])
    response = admin.post(f"/admin/imports/{FAKE}/run/", {"dry_run": "1"})
    assert response.status_code == 302
    dry = ImportRun.objects.get()
    assert dry.dry_run and dry.trigger == ImportRun.Trigger.MANUAL and dry.requested_by.username == "boss"
    admin.post(f"/admin/imports/{FAKE}/run/")
    assert ImportRun.objects.filter(dry_run=False, status=ImportRun.Status.SUCCEEDED).count() == 1


def test_source_page_shows_history_with_errors(admin, configure):
    configure(courses=[course(1), {"id": "BAD", "title": ""}])
    run_import(FAKE)
    html = admin.get(f"/admin/imports/{FAKE}/").content.decode()
    assert 'id="imports-runs"' in html and "BAD" in html and "title" in html
    assert "Stored snapshots" in html and "Replay" in html


def test_run_page_and_review_approve(admin, configure):
    configure(courses=[course(n) for n in range(6)])
    run_import(FAKE)
    configure(courses=[course(0)])
    review = run_import(FAKE)
    assert review.status == ImportRun.Status.NEEDS_REVIEW
    html = admin.get(f"/admin/imports/runs/{review.pk}/").content.decode()
    assert "Approve and import" in html and "Reject" in html and "guard" in html
    assert "runs awaiting review" in admin.get("/admin/imports/").content.decode().lower()

    response = admin.post(f"/admin/imports/runs/{review.pk}/approve/")
    assert response.status_code == 302
    approved = ImportRun.objects.get(replay_of=review)
    assert approved.status == ImportRun.Status.SUCCEEDED and approved.unpublished == 5
    # Approving twice is refused with a message, not an error page.
    response = admin.post(f"/admin/imports/runs/{review.pk}/approve/", follow=True)
    assert "not awaiting review" in response.content.decode()


def test_reject(admin, configure):
    configure(courses=[course(n) for n in range(6)])
    run_import(FAKE)
    configure(courses=[])
    review = run_import(FAKE)
    admin.post(f"/admin/imports/runs/{review.pk}/reject/", {"note": "empty feed"})
    review.refresh_from_db()
    assert review.status == ImportRun.Status.REJECTED and "empty feed" in review.message
    assert review.reviewed_by.username == "boss"


def test_dry_run_page_shows_the_diff(admin, configure):
    configure(courses=[course(1)])
    run = run_import(FAKE, dry_run=True)
    html = admin.get(f"/admin/imports/runs/{run.pk}/").content.decode()
    assert "1 would be created" in html and "C00001" in html


def test_replay_action(admin, configure):
    configure(courses=[course(1)])
    first = run_import(FAKE)
    admin.post(f"/admin/imports/snapshots/{first.snapshot_id}/replay/")
    replay = ImportRun.objects.latest("pk")
    assert replay.pk != first.pk and replay.status == ImportRun.Status.SUCCEEDED and replay.unchanged == 1


def test_edit_schedule_and_settings(admin, fake_source):
    ensure_source_schedule(FAKE)
    response = admin.post(
        f"/admin/imports/{FAKE}/", {"save_schedule": "1", "kind": "cron", "cron": "30 2 * * 1", "minutes": ""}
    )
    assert response.status_code == 302
    schedule = Schedule.objects.get(name=f"import:{FAKE}")
    assert schedule.schedule_type == Schedule.CRON and schedule.cron == "30 2 * * 1"

    response = admin.post(f"/admin/imports/{FAKE}/", {"save_schedule": "1", "kind": "cron", "cron": "every day"})
    assert response.status_code == 200 and "valid cron expression" in response.content.decode()

    admin.post(f"/admin/imports/{FAKE}/", {"save_settings": "1", "config": '{"courses": []}'})
    row = SourceSettings.objects.get(source=FAKE)
    assert row.config == {"courses": []} and row.enabled is False
    response = admin.post(f"/admin/imports/{FAKE}/", {"save_settings": "1", "enabled": "on", "config": "{bad"})
    assert "Not valid JSON" in response.content.decode()


def test_dashboard_panel(admin, configure):
    configure(courses=[course(1)])
    run_import(FAKE)
    html = admin.get("/admin/").content.decode()
    assert 'id="imports-panel"' in html and "Fake courses" in html


def test_unknown_source_and_run_404(admin, fake_source):
    assert admin.get("/admin/imports/nope/").status_code == 404
    assert admin.get("/admin/imports/runs/999999/").status_code == 404
    assert admin.post("/admin/imports/nope/run/").status_code == 404


def test_editor_without_permission_is_refused(editor, fake_source):
    assert editor.get("/admin/imports/").status_code in (302, 403)
    assert editor.post(f"/admin/imports/{FAKE}/run/").status_code in (302, 403)
    assert not ImportRun.objects.exists()
    assert 'id="imports-panel"' not in editor.get("/admin/").content.decode()


def test_actions_need_post(admin, fake_source):
    assert admin.get(f"/admin/imports/{FAKE}/run/").status_code == 405


def visible_text(html: str) -> str:
    """The page's text as a person reads it (no tags, no attribute values)."""
    import re

    html = re.sub(r"(?s)<(script|style|svg)\b.*?</\1>", " ", html)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_the_imports_admin_shows_labels_not_codes(admin, configure):
    configure(courses=[course(n) for n in range(6)])
    run_import(FAKE)
    configure(courses=[course(0)])
    review = run_import(FAKE)
    dry = run_import(FAKE, dry_run=True)
    assert review.status == ImportRun.Status.NEEDS_REVIEW

    source_page = visible_text(admin.get(f"/admin/imports/{FAKE}/").content.decode())
    assert "Needs review: 1" in source_page and "needs_review" not in source_page
    assert "Succeeded: " in source_page and "succeeded:" not in source_page
    assert "Imports: Catalogue" in source_page
    index = visible_text(admin.get("/admin/imports/").content.decode())
    assert f"Fake courses {FAKE} Catalogue" in index  # the Kind column
    run_page = visible_text(admin.get(f"/admin/imports/runs/{review.pk}/").content.decode())
    assert "Needs review" in run_page and "needs_review" not in run_page
    assert "Course C0000" in run_page and "course C0000" not in run_page  # the diff's Type column
    assert "would be unpublished" in visible_text(admin.get(f"/admin/imports/runs/{dry.pk}/").content.decode())


def test_imports_admin_tables_are_in_scroll_boxes(admin, configure):
    """Wide tables scroll inside `.imports-table` (static/css/admin.css) instead of widening the admin page."""
    import re

    configure(courses=[course(1)])
    run = run_import(FAKE)
    for url in ("/admin/imports/", f"/admin/imports/{FAKE}/", f"/admin/imports/runs/{run.pk}/"):
        html = admin.get(url).content.decode()
        assert "/static/css/admin.css" in html
        tables = re.findall(r'(<div class="imports-table">)?<table class="listing', html)
        assert tables and all(tables), url
