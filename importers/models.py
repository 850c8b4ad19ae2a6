"""Import history: stored snapshots, runs and the per-source lock."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

MAX_STORED_ERRORS = 200
MAX_STORED_WARNINGS = 100


class StoredSnapshot(models.Model):
    """One snapshot of a source as fetched: its documents live in the snapshot storage under `path`."""

    class Origin(models.TextChoices):
        EXTRACT = "extract", "Fetched from the source"
        FILE = "file", "Local file"
        URL = "url", "URL"
        UPLOAD = "upload", "Webhook or upload"

    source = models.CharField(max_length=100, db_index=True)
    sha256 = models.CharField(max_length=64, db_index=True)
    size = models.BigIntegerField(default=0, help_text="Total bytes of all documents.")
    document_count = models.PositiveIntegerField(default=0)
    # [{name, file, size, sha256, content_type, metadata}] in document order.
    documents = models.JSONField(default=list, blank=True)
    path = models.CharField(max_length=500, help_text="Folder of the documents in the snapshot storage.")
    origin = models.CharField(max_length=20, choices=Origin.choices, default=Origin.EXTRACT)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    last_seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["source", "sha256"], name="importers_snapshot_unique_sha")]

    def __str__(self) -> str:
        return f"{self.source} snapshot {self.sha256[:12]} ({self.created_at:%Y-%m-%d %H:%M})"


class ImportRun(models.Model):
    """One import of one source: what triggered it, what it read, what it changed and what went wrong."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        NEEDS_REVIEW = "needs_review", "Needs review"
        SKIPPED = "skipped", "Skipped"
        REJECTED = "rejected", "Rejected"
        WAITING = "waiting", "Waiting for the source"
        SUPERSEDED = "superseded", "Superseded"

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", "Schedule"
        MANUAL = "manual", "Admin"
        WEBHOOK = "webhook", "Webhook"
        CLI = "cli", "Command line"

    source = models.CharField(max_length=100, db_index=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RUNNING, db_index=True)
    trigger = models.CharField(max_length=20, choices=Trigger.choices, default=Trigger.MANUAL)
    dry_run = models.BooleanField(default=False)
    force = models.BooleanField(default=False)
    started_at = models.DateTimeField(default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    snapshot = models.ForeignKey(StoredSnapshot, null=True, blank=True, on_delete=models.SET_NULL, related_name="runs")
    # Kept when the snapshot itself has been pruned by retention.
    snapshot_sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    replay_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="replays",
        help_text="The run this one re-runs (approval of a reviewed run).",
    )
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    unpublished = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    records = models.PositiveIntegerField(default=0, help_text="Records the source produced.")
    message = models.TextField(blank=True, help_text="Why the run failed, was skipped or needs review.")
    # [{source_id, field, message}], capped at MAX_STORED_ERRORS; error_count holds the full number.
    errors = models.JSONField(default=list, blank=True)
    error_count = models.PositiveIntegerField(default=0)
    warnings = models.JSONField(default=list, blank=True)
    # Dry runs and reviews: {"would_create": [...], "would_update": [...], "would_unpublish": [...]}.
    diff = models.JSONField(default=dict, blank=True)
    timings = models.JSONField(default=dict, blank=True, help_text="Seconds per stage.")
    task_id = models.CharField(max_length=64, blank=True)
    # What was asked for (importers.requests.ImportRequest without uploaded bytes, which are stored as the
    # snapshot first): a waiting run resumes from it and a run whose worker died is retried from it.
    request = models.JSONField(default=dict, blank=True)
    # One key per request, shared by its attempts: a task delivered twice finds the run already made.
    request_key = models.CharField(max_length=64, blank=True, db_index=True)
    attempt = models.PositiveSmallIntegerField(default=1)
    owner = models.CharField(max_length=255, blank=True, help_text="host:pid of the process running it.")
    heartbeat_at = models.DateTimeField(null=True, blank=True, help_text="Last sign of life of a running run.")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["source", "-started_at"], name="importers_run_source_started")]

    def __str__(self) -> str:
        return f"{self.source} run #{self.pk} ({self.get_status_display()})"

    @property
    def duration(self) -> float | None:
        if not self.finished_at:
            return None
        return (self.finished_at - self.started_at).total_seconds()

    @property
    def settled(self) -> bool:
        return self.status not in (self.Status.RUNNING, self.Status.WAITING)

    @property
    def changes(self) -> int:
        return self.created + self.updated + self.unpublished

    def get_admin_url(self) -> str:
        return reverse("importers_admin:run", args=[self.pk])

    def set_errors(self, errors: list[dict]) -> None:
        self.error_count = len(errors)
        self.errors = list(errors[:MAX_STORED_ERRORS])

    def set_warnings(self, warnings: list[str]) -> None:
        self.warnings = [str(w)[:1000] for w in warnings[:MAX_STORED_WARNINGS]]
        if len(warnings) > MAX_STORED_WARNINGS:
            self.warnings.append(f"... and {len(warnings) - MAX_STORED_WARNINGS} more warnings")


class ImportLock(models.Model):
    """At most one run per source: the row exists while a run holds the source; it expires when the run's
    worker stops renewing it (died), so the next run can take it over."""

    source = models.CharField(max_length=100, unique=True)
    run = models.ForeignKey(ImportRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    owner = models.CharField(max_length=255, blank=True, help_text="host:pid of the worker holding the lock.")
    acquired_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"lock on {self.source} until {self.expires_at:%H:%M:%S}"

    @property
    def expired(self) -> bool:
        return self.expires_at <= timezone.now()


class SourceSettings(models.Model):
    """Per-source overrides edited in the admin: configuration merged over the source's settings defaults
    (e.g. the generic CSV source's field mapping) and an on/off switch for scheduled and webhook runs."""

    source = models.CharField(max_length=100, unique=True)
    enabled = models.BooleanField(default=True, help_text="Off: scheduled and webhook runs are skipped.")
    config = models.JSONField(default=dict, blank=True, help_text="Overrides of the source's configuration.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "source settings"
        verbose_name_plural = "source settings"

    def __str__(self) -> str:
        return f"settings of {self.source}"


class WebhookDelivery(models.Model):
    """A signature seen on the import webhook; a second delivery with the same signature is a replay."""

    signature = models.CharField(max_length=128, unique=True)
    source = models.CharField(max_length=100)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"webhook for {self.source} at {self.received_at:%Y-%m-%d %H:%M:%S}"


class ContentArchive(models.Model):
    """One course archive seen by a content-file source (importers/sources/content_archives.py): where it is,
    its checksum, the catalogue course it was matched to and what became of it. An archive whose checksum was
    ingested before is skipped; a local file whose size and modification time are unchanged is not hashed again."""

    class Status(models.TextChoices):
        INGESTED = "ingested", "Ingested"
        FAILED = "failed", "Failed"
        UNMATCHED = "unmatched", "No catalogue course"
        SUPERSEDED = "superseded", "A newer archive of the run exists"

    source = models.CharField(max_length=100)
    key = models.CharField(max_length=1024, help_text="Path of the archive below the source's location.")
    checksum = models.CharField(max_length=100, blank=True, help_text="sha256 of the file, or etag:<S3 ETag>.")
    size = models.PositiveBigIntegerField(default=0)
    modified = models.CharField(max_length=64, blank=True, help_text="Modification time reported by the store.")
    course_key = models.CharField(max_length=255, blank=True, help_text="Run or course key found in the archive.")
    resource = models.ForeignKey(
        "catalog.LearningResource", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    catalog_run = models.ForeignKey("catalog.Run", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=20, choices=Status.choices, db_index=True)
    message = models.TextField(blank=True)
    counts = models.JSONField(default=dict, blank=True, help_text="Content-file counts of the last ingest.")
    ingested_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["source", "key"]
        constraints = [models.UniqueConstraint(fields=["source", "key"], name="importers_contentarchive_unique")]
        indexes = [models.Index(fields=["source", "checksum"], name="importers_archive_checksum")]

    def __str__(self) -> str:
        return f"{self.source}: {self.key} ({self.get_status_display()})"
