"""Saved searches and the record of their digests (imported by search/models.py)."""

from django.conf import settings
from django.db import models


class DigestFrequency(models.TextChoices):
    OFF = "off", "Off"
    DAILY = "daily", "Daily"
    WEEKLY = "weekly", "Weekly"


class SavedSearch(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_searches")
    name = models.CharField(max_length=200)
    query = models.CharField(max_length=200, blank=True)
    # Facet key → selected values, as /search/ takes them (search.facets.FACET_KEYS).
    filters = models.JSONField(default=dict, blank=True)
    mode = models.CharField(max_length=16, default="hybrid")
    frequency = models.CharField(max_length=8, choices=DigestFrequency.choices, default=DigestFrequency.OFF)
    # Digests report resources first seen after this (set when created and whenever the frequency changes, so that
    # switching daily → weekly does not re-send what the daily digests already reported).
    digest_since = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name_plural = "saved searches"

    def __str__(self):
        return self.name


class DeliveryStatus(models.TextChoices):
    # The row is written (committed) before the email is handed to the mail server: a worker killed after that
    # leaves "sending", which counts as sent (at most once).
    SENDING = "sending", "Sending (outcome unknown if it stays so)"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed (retried within the period)"
    EMPTY = "empty", "Nothing new"


class DigestDelivery(models.Model):
    """One subscriber's digest for one period (e.g. daily 2026-12-05, weekly 2026-W49)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digest_deliveries")
    frequency = models.CharField(max_length=8, choices=DigestFrequency.choices)
    period = models.CharField(max_length=16)
    status = models.CharField(max_length=8, choices=DeliveryStatus.choices)
    # Resources first seen in (each search's since, until] were looked for; the next digest starts at `until`.
    until = models.DateTimeField()
    resource_count = models.PositiveIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=1)
    attempted_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-attempted_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "frequency", "period"], name="search_digest_once_per_period"),
        ]
        indexes = [models.Index(fields=["user", "frequency", "until"], name="search_digest_user_until")]

    def __str__(self):
        return f"{self.user_id} {self.frequency} {self.period}: {self.status}"
