"""Saved-search digests over a real SMTP server (aiosmtpd in a thread): one email per subscriber per period, at
most once, only new public matches, one-click unsubscribe headers, and the schedule."""

import pydoc
from datetime import datetime, timedelta

from django.utils import timezone

import pytest

from catalog.factories import CourseFactory
from search.saved import digests, service
from search.saved.models import DeliveryStatus, DigestDelivery
from search.service import SearchParams
from tests.support.network import free_port, smtp_inbox


@pytest.fixture
def inbox(settings):
    with smtp_inbox() as received:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", received.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.SITE_URL = "https://learn.example.org"
        yield received


@pytest.fixture
def subscriber(django_user_model):
    return django_user_model.objects.create_user("ada", "ada@example.org", "pw")


def save(user, q, frequency="daily", **filters):
    return service.create_saved_search(user, SearchParams(q=q, filters=filters), frequency=frequency)


def later():
    """A time after the fixtures' resources, in the middle of a UTC day: tests add up to a few hours to it and must
    stay in the same daily period (an hour after now failed in CI run at 22:30 UTC: its re-run fell on the next day)."""
    now = timezone.now()
    noon = now.replace(hour=12, minute=0, second=0, microsecond=0)
    return noon if noon - now > timedelta(hours=1) else noon + timedelta(days=1)


@pytest.fixture
def robotics(db, reindex, subscriber):
    """An old match (before the search was saved), then a new public match and a new unpublished one."""
    old = CourseFactory(title="Robotics history")
    saved = save(subscriber, "robotics")
    new = CourseFactory(title="Robotics for beginners")
    hidden = CourseFactory(title="Robotics secret draft", unpublished=True)
    CourseFactory(title="Cooking with herbs")
    reindex()
    return {"saved": saved, "old": old, "new": new, "hidden": hidden}


def test_a_new_match_is_mailed_once_per_period_with_unsubscribe_headers(inbox, robotics, subscriber):
    now = later()
    summary = digests.send_due_digests(now)
    assert (summary.sent, summary.failed) == (1, 0)
    assert len(inbox.envelopes) == 1 and inbox.envelopes[0].rcpt_tos == ["ada@example.org"]
    message = inbox.messages()[0]
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Robotics for beginners" in text and "Robotics for beginners" in html
    assert "Robotics history" not in text  # not new
    assert "Robotics secret draft" not in text and "Robotics secret draft" not in html  # not published
    assert "Cooking" not in text
    assert f"https://learn.example.org{robotics['new'].get_absolute_url()}" in text
    unsubscribe = str(message["List-Unsubscribe"]).strip()
    assert unsubscribe.startswith("<https://learn.example.org/my/unsubscribe/") and unsubscribe.endswith("/>")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # Run again in the same period (a re-run, a second worker): nothing more is sent.
    assert digests.send_due_digests(now + timedelta(minutes=30)).sent == 0
    assert len(inbox.envelopes) == 1
    delivery = DigestDelivery.objects.get(user=subscriber)
    assert (delivery.status, delivery.resource_count, delivery.frequency) == (DeliveryStatus.SENT, 1, "daily")

    # The next day: nothing new since the last digest → no email, recorded as empty.
    assert digests.send_due_digests(now + timedelta(days=1)).empty == 1
    assert len(inbox.envelopes) == 1


def test_one_email_per_subscriber_with_all_their_searches(inbox, db, reindex, subscriber, django_user_model):
    grace = django_user_model.objects.create_user("grace", "grace@example.org", "pw")
    save(subscriber, "robotics")
    save(subscriber, "astronomy")
    save(grace, "astronomy")
    save(grace, "robotics", frequency="off")
    CourseFactory(title="Robotics lab")
    CourseFactory(title="Astronomy tonight")
    reindex()
    assert digests.send_due_digests(later()).sent == 2
    by_recipient = {env.rcpt_tos[0]: msg for env, msg in zip(inbox.envelopes, inbox.messages(), strict=True)}
    assert set(by_recipient) == {"ada@example.org", "grace@example.org"}
    ada = by_recipient["ada@example.org"].get_body(("plain",)).get_content()
    assert "Robotics lab" in ada and "Astronomy tonight" in ada
    grace_text = by_recipient["grace@example.org"].get_body(("plain",)).get_content()
    assert "Astronomy tonight" in grace_text and "Robotics lab" not in grace_text  # her robotics search is off


def test_a_claimed_period_is_never_sent_again_even_if_the_worker_died(inbox, robotics, subscriber):
    """At most once: a worker killed after recording its attempt leaves "sending"; later runs do not resend."""
    now = later()
    DigestDelivery.objects.create(
        user=subscriber,
        frequency="daily",
        period=digests.period_key("daily", now),
        status=DeliveryStatus.SENDING,
        until=now - digests.INDEX_LAG,
        resource_count=1,
        attempted_at=now,
    )
    assert digests.send_due_digests(now).sent == 0
    assert inbox.envelopes == []


def test_a_failed_send_is_recorded_and_retried_in_the_period(inbox, robotics, subscriber, settings):
    working_port = settings.EMAIL_PORT
    settings.EMAIL_PORT = free_port()  # nothing listens: connection refused
    now = later()
    assert digests.send_due_digests(now).failed == 1
    delivery = DigestDelivery.objects.get(user=subscriber)
    assert delivery.status == DeliveryStatus.FAILED and delivery.error
    settings.EMAIL_PORT = working_port
    assert digests.send_due_digests(now + timedelta(minutes=5)).sent == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 2)
    message = inbox.messages()[0].get_body(("plain",)).get_content()
    assert "Robotics for beginners" in message  # the failed attempt's resources were not lost


def test_unpublished_matches_only_are_not_mailed(inbox, db, reindex, subscriber):
    save(subscriber, "robotics")
    CourseFactory(title="Robotics secret draft", unpublished=True)
    CourseFactory(title="Robotics hidden", hidden=True)
    reindex()
    summary = digests.send_due_digests(later())
    assert summary.sent == 0 and summary.empty == 1
    assert inbox.envelopes == []


def test_subscribers_without_email_or_with_digests_off_get_nothing(inbox, db, reindex, django_user_model):
    nomail = django_user_model.objects.create_user("nomail", "", "pw")
    save(nomail, "robotics")
    off = django_user_model.objects.create_user("off", "off@example.org", "pw")
    save(off, "robotics", frequency="off")
    CourseFactory(title="Robotics lab")
    reindex()
    assert digests.send_due_digests(later()).sent == 0
    assert inbox.envelopes == []


def test_weekly_digests_are_once_per_iso_week(inbox, db, reindex, subscriber):
    save(subscriber, "robotics", frequency="weekly")
    CourseFactory(title="Robotics lab")
    reindex()
    now = later()
    assert digests.send_due_digests(now).sent == 1
    assert digests.send_due_digests(now + timedelta(hours=2)).sent == 0
    assert len(inbox.envelopes) == 1
    assert digests.period_key("weekly", datetime(2026, 12, 5, 23, tzinfo=timezone.get_fixed_timezone(0))) == "2026-W49"
    assert digests.period_key("daily", datetime(2026, 12, 5, 23, tzinfo=timezone.get_fixed_timezone(-120))) == (
        "2026-12-06"  # periods are UTC days
    )


def test_changing_frequency_does_not_resend_old_matches(inbox, db, reindex, subscriber):
    saved = save(subscriber, "robotics", frequency="daily")
    CourseFactory(title="Robotics lab")
    reindex()
    now = later()
    assert digests.send_due_digests(now).sent == 1
    service.set_frequency(saved, "weekly")  # restarts its "new since" mark
    assert digests.send_due_digests(now + timedelta(minutes=1)).sent == 0
    assert len(inbox.envelopes) == 1


def test_the_digest_schedule_exists_after_setup(db):
    from django_q.models import Schedule

    from cms.tasks import ensure_default_schedules

    ensure_default_schedules()
    schedule = Schedule.objects.get(name="search:saved_search_digests")
    assert schedule.func == "search.saved.tasks.send_saved_search_digests"
    assert schedule.schedule_type == Schedule.CRON and schedule.repeats == -1
    assert callable(pydoc.locate(schedule.func))


def test_the_scheduled_task_runs_through_django_q(inbox, robotics):
    from django_q.tasks import async_task, result

    from catalog.models import LearningResource
    from search.saved.models import SavedSearch

    # The task runs at the real time: put the search and the new match before the index lag.
    now = timezone.now()
    SavedSearch.objects.filter(pk=robotics["saved"].pk).update(digest_since=now - timedelta(minutes=30))
    LearningResource.objects.filter(pk=robotics["new"].pk).update(first_seen=now - timedelta(minutes=20))
    task_id = async_task("search.saved.tasks.send_saved_search_digests")  # tests run tasks inline (sync)
    assert result(task_id).startswith("1 digest(s) sent")
    assert len(inbox.envelopes) == 1
