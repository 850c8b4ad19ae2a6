"""Saved-search email digests: one email per subscriber per period with every saved search's new matches.

Run by the django-q2 schedule "search:saved_search_digests" (hourly; registered by cms.tasks.ensure_default_schedules)
through `search.saved.tasks.send_saved_search_digests`. Each run, for each frequency (daily: the UTC day; weekly:
the ISO week), every subscriber without a digest for the current period gets one now.

What "new" means: a public resource first seen in the catalogue after the search's mark and up to `until` (the
run's time minus INDEX_LAG, so that a resource the index has not caught up with yet is left for the next digest
rather than lost), that the saved search finds among its best MAX_PAGE_SIZE matches (`run_search`, keyword mode,
relevance order; newest first for a search of filters only): a digest reports resources that match the words and
filters well, not the nearest meanings nor resources that share one word of the query ("no close match" reports
nothing). The mark is the `until` of the subscriber's last digest of that frequency that was sent or attempted, or
the search's `digest_since` when later.

Exactly once is impossible with SMTP, so this is AT MOST ONCE per subscriber and period: the delivery row is
committed (status "sending") before the message goes to the mail server, under a unique (user, frequency, period)
constraint, so a re-run or a second worker never sends again. A worker killed after claiming leaves "sending",
which counts as sent (its resources are not offered again); a send that fails with an error is recorded "failed"
and retried by a later run in the same period (up to MAX_ATTEMPTS), its resources still counted as unsent.
"""

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from catalog.models import LearningResource
from cms.sites import site_url
from search.engines import SearchUnavailable
from search.service import MAX_PAGE_SIZE, run_search

from . import service
from .models import DeliveryStatus, DigestDelivery, DigestFrequency, SavedSearch
from .tokens import make_token

logger = logging.getLogger(__name__)

INDEX_LAG = timedelta(minutes=10)
MAX_ATTEMPTS = 3
COUNTED_AS_DELIVERED = (DeliveryStatus.SENT, DeliveryStatus.SENDING, DeliveryStatus.EMPTY)


def period_key(frequency: str, when: datetime) -> str:
    when = when.astimezone(UTC) if timezone.is_aware(when) else when
    if frequency == DigestFrequency.DAILY:
        return when.date().isoformat()
    year, week, _ = when.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass
class Section:
    saved: SavedSearch
    resources: list[LearningResource]
    more: bool = False


@dataclass
class RunSummary:
    sent: int = 0
    empty: int = 0
    failed: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)

    def __str__(self):
        return (
            f"{self.sent} digest(s) sent, {self.empty} with nothing new, {self.failed} failed, {self.skipped} skipped"
        )


def new_matches(saved: SavedSearch, since: datetime, until: datetime) -> tuple[list[LearningResource], bool]:
    """Public resources first seen in (since, until] among `saved`'s best matches, best first; (resources, more)."""
    # With words, relevance order: only then is "no close match" judged, and weak one-word matches rank below the
    # good ones. Filters alone browse: newest first, so that the new resources are the ones looked at.
    sort = "relevance" if saved.query else "newest"
    params = service.search_params(saved, sort=sort, page=1, page_size=MAX_PAGE_SIZE)
    params.mode, params.mode_asked = "lexical", False
    result = run_search(params, facets=False, highlight=False)
    if result.no_close_match:
        return [], False
    ids = [hit.object_id for hit in result.hits if hit.kind == "resource"]
    if not ids:
        return [], False
    found = {
        resource.pk: resource
        for resource in LearningResource.objects.public()
        .filter(pk__in=ids, first_seen__gt=since, first_seen__lte=until)
        .select_related("offered_by")
    }
    ordered = [found[pk] for pk in ids if pk in found]
    limit = settings.SAVED_SEARCH_DIGEST_MAX_RESULTS
    return ordered[:limit], len(ordered) > limit


def _claim(user, frequency: str, period: str, *, until, count: int, now) -> DigestDelivery | None:
    """Record the attempt before sending; None when this period's digest is already recorded (sent, sending,
    empty, or failed too often)."""
    status = DeliveryStatus.SENDING if count else DeliveryStatus.EMPTY
    try:
        with transaction.atomic():
            return DigestDelivery.objects.create(
                user=user,
                frequency=frequency,
                period=period,
                status=status,
                until=until,
                resource_count=count,
                attempted_at=now,
            )
    except IntegrityError:
        pass
    # A failed attempt of this period may be retried; the conditional update lets one worker only claim it.
    claimed = DigestDelivery.objects.filter(
        user=user, frequency=frequency, period=period, status=DeliveryStatus.FAILED, attempts__lt=MAX_ATTEMPTS
    ).update(status=status, until=until, resource_count=count, attempts=F("attempts") + 1, attempted_at=now, error="")
    if not claimed:
        return None
    return DigestDelivery.objects.get(user=user, frequency=frequency, period=period)


def build_message(user, frequency: str, sections: list[Section]) -> EmailMultiAlternatives:
    base = site_url()
    unsubscribe_all = base + reverse("saved_searches:unsubscribe", args=[make_token(user.pk)])
    context = {
        "user": user,
        "frequency": DigestFrequency(frequency).label.lower(),
        "site_url": base,
        "my_url": base + reverse("saved_searches:my-learning"),
        "unsubscribe_url": unsubscribe_all,
        "sections": [
            {
                "name": section.saved.name,
                "description": service.describe(section.saved),
                "url": base + service.search_url(section.saved),
                "more": section.more,
                "unsubscribe_url": base
                + reverse("saved_searches:unsubscribe", args=[make_token(user.pk, section.saved.pk)]),
                "resources": [
                    {
                        "title": resource.title,
                        "url": base + resource.get_absolute_url(),
                        "type": resource.get_resource_type_display(),
                        "offered_by": resource.offered_by.name if resource.offered_by else "",
                    }
                    for resource in section.resources
                ],
            }
            for section in sections
        ],
    }
    total = sum(len(section.resources) for section in sections)
    subject = f"{total} new for your saved search{'es' if len(sections) > 1 else ''}"
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("search/saved/digest_email.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
        headers={
            # RFC 2369 + RFC 8058: mail clients show "Unsubscribe" and POST to this URL without a sign-in.
            "List-Unsubscribe": f"<{unsubscribe_all}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(render_to_string("search/saved/digest_email.html", context), "text/html")
    return message


def send_digest(user, frequency: str, now: datetime | None = None) -> str:
    """Send (at most once) `user`'s digest of `frequency` for the period of `now`; returns the outcome."""
    now = now or timezone.now()
    period = period_key(frequency, now)
    until = now - INDEX_LAG
    searches = list(SavedSearch.objects.filter(owner=user, frequency=frequency))
    if not searches or not user.email or not user.is_active:
        return "skipped"
    last = (
        DigestDelivery.objects.filter(user=user, frequency=frequency, status__in=COUNTED_AS_DELIVERED)
        .order_by("-until")
        .values_list("until", flat=True)
        .first()
    )
    sections = []
    for saved in searches:
        since = max(saved.digest_since, last) if last else saved.digest_since
        resources, more = new_matches(saved, since, until)
        if resources:
            sections.append(Section(saved, resources, more))
    count = sum(len(section.resources) for section in sections)
    delivery = _claim(user, frequency, period, until=until, count=count, now=now)
    if delivery is None:
        return "skipped"
    if not count:
        return "empty"
    try:
        build_message(user, frequency, sections).send()
    except Exception as error:  # noqa: BLE001 - any failure to hand over is recorded and retried later
        logger.warning("saved-search digest to user %s (%s %s) failed: %s", user.pk, frequency, period, error)
        DigestDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.FAILED, error=str(error)[:2000])
        return "failed"
    DigestDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.SENT, sent_at=timezone.now())
    return "sent"


def send_due_digests(now: datetime | None = None) -> RunSummary:
    """Every subscriber whose digest of the current period is not recorded yet gets it (see the module docstring)."""
    now = now or timezone.now()
    summary = RunSummary()
    users = get_user_model().objects
    for frequency in (DigestFrequency.DAILY, DigestFrequency.WEEKLY):
        period = period_key(frequency, now)
        done = DigestDelivery.objects.filter(frequency=frequency, period=period).exclude(
            status=DeliveryStatus.FAILED, attempts__lt=MAX_ATTEMPTS
        )
        owner_ids = (
            SavedSearch.objects.filter(frequency=frequency)
            .exclude(owner_id__in=done.values("user_id"))
            .values_list("owner_id", flat=True)
            .distinct()
        )
        for user in users.filter(pk__in=list(owner_ids), is_active=True).exclude(email="").order_by("pk"):
            try:
                outcome = send_digest(user, frequency, now)
            except SearchUnavailable as error:  # nothing recorded: the next run tries again
                summary.skipped += 1
                summary.errors.append(f"user {user.pk}: search unavailable ({error})")
                continue
            if outcome == "sent":
                summary.sent += 1
            elif outcome == "empty":
                summary.empty += 1
            elif outcome == "failed":
                summary.failed += 1
            else:
                summary.skipped += 1
    return summary
