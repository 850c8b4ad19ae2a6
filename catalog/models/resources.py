"""Learning resources, their runs and their ordered relationships."""

from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Coalesce, Now
from django.urls import reverse
from django.utils.functional import cached_property


class ResourceType(models.TextChoices):
    COURSE = "course", "Course"
    PROGRAM = "program", "Program"
    LEARNING_PATH = "learning_path", "Learning path"
    PODCAST = "podcast", "Podcast"
    PODCAST_EPISODE = "podcast_episode", "Podcast episode"
    VIDEO = "video", "Video"
    VIDEO_PLAYLIST = "video_playlist", "Video playlist"
    ARTICLE = "article", "Article"
    DOCUMENT = "document", "Document"


class CertificationType(models.TextChoices):
    NONE = "none", "No certificate"
    COMPLETION = "completion", "Certificate of completion"
    PROFESSIONAL = "professional", "Professional certificate"
    MICROMASTERS = "micromasters", "MicroMasters credential"
    ACADEMIC = "academic", "Academic credit"


class Delivery(models.TextChoices):
    ONLINE = "online", "Online"
    IN_PERSON = "in_person", "In person"
    HYBRID = "hybrid", "Hybrid"
    OFFLINE = "offline", "Offline"


class Format(models.TextChoices):
    ASYNCHRONOUS = "asynchronous", "Asynchronous"
    SYNCHRONOUS = "synchronous", "Synchronous"


class Pace(models.TextChoices):
    SELF_PACED = "self_paced", "Self-paced"
    INSTRUCTOR_PACED = "instructor_paced", "Instructor-paced"


class Level(models.TextChoices):
    INTRODUCTORY = "introductory", "Introductory"
    INTERMEDIATE = "intermediate", "Intermediate"
    ADVANCED = "advanced", "Advanced"
    HIGH_SCHOOL = "high_school", "High school"
    UNDERGRADUATE = "undergraduate", "Undergraduate"
    GRADUATE = "graduate", "Graduate"


class Availability(models.TextChoices):
    ANYTIME = "anytime", "Anytime"
    CURRENT = "current", "Running now"
    UPCOMING = "upcoming", "Upcoming"
    ARCHIVED = "archived", "Archived"


class RelationType(models.TextChoices):
    PROGRAM_COURSES = "program_courses", "Program → courses"
    LEARNING_PATH_ITEMS = "learning_path_items", "Learning path → items"
    PODCAST_EPISODES = "podcast_episodes", "Podcast → episodes"
    PLAYLIST_VIDEOS = "playlist_videos", "Playlist → videos"


class ImageFetchStatus(models.TextChoices):
    """What became of the imported `image_url` (see importers.images): learners never load it from its host."""

    NONE = "", "No imported image"
    STORED = "stored", "Stored on this site"
    FAILED = "failed", "Fetch failed (placeholder shown)"


# Fields that decide whether and where a resource is counted on the browse page (catalog.browse_counts).
FACET_FIELDS = frozenset(
    {
        "resource_type",
        "level",
        "delivery",
        "free",
        "certification",
        "offered_by",
        "offered_by_id",
        "platform",
        "platform_id",
        "published",
        "hidden",
    }
)


class LearningResourceQuerySet(models.QuerySet):
    def public(self):
        """What learners and the public APIs may ever see: published and not hidden by an editor."""
        return self.filter(published=True, hidden=False)

    def update(self, **kwargs):
        """As QuerySet.update; setting `hidden` (to True or False) also sets `published` to match it."""
        hidden = kwargs.get("hidden")
        if isinstance(hidden, bool) and "published" not in kwargs:
            kwargs["published"] = False if hidden else F("source_published")
        if FACET_FIELDS.intersection(kwargs):
            from catalog.browse_counts import catalogue_changed

            catalogue_changed()
        return super().update(**kwargs)


class LearningResource(models.Model):
    """One catalogue entry of any type. Imported fields are written by the catalogue loader only.

    Editors may override imported fields: a field named in `locked_fields` keeps the editor's value and the
    loader records the source's value in `source_values` instead of writing it.

    `published` is what learners get: the source's own value (`source_published`, written by the loader only) unless
    an editor hides the resource. Hiding or un-hiding through `save()` or `update()` sets `published` to match, so
    a resource un-hidden after an import is public again at once if its source publishes it.
    """

    # Fields an editor may lock against re-import (see catalog.loader).
    LOCKABLE_FIELDS = (
        "title",
        "description",
        "full_description",
        "image_url",
        "image_alt",
        "url",
        "topics",
        "departments",
        "offered_by",
        "platform",
        "instructors",
        "languages",
        "level",
        "certification",
        "certification_type",
        "free",
        "delivery",
        "format",
        "pace",
        "duration",
        "time_commitment",
        "license",
        "availability",
    )

    resource_type = models.CharField(max_length=32, choices=ResourceType.choices, db_index=True)
    source = models.CharField(max_length=64, db_index=True, help_text="The importer that owns this row.")
    source_id = models.CharField(max_length=255, help_text="The resource's id at its source.")

    title = models.CharField(max_length=512)
    slug = models.SlugField(max_length=255, unique=True)
    description = models.TextField(blank=True, help_text="Sanitised HTML summary.")
    full_description = models.TextField(blank=True, help_text="Sanitised HTML.")
    image = models.ForeignKey(
        "cms.CustomImage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="An image chosen by an editor; takes precedence over the imported image URL.",
    )
    image_url = models.URLField(max_length=2048, blank=True)
    image_alt = models.CharField(max_length=512, blank=True)
    # The imported image, fetched once by importers.images and served from this site (never hot-linked).
    stored_image = models.ForeignKey(
        "cms.CustomImage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        help_text="The imported image_url, fetched and stored on this site.",
    )
    image_fetch_status = models.CharField(
        "image status", max_length=16, choices=ImageFetchStatus.choices, blank=True, default="", editable=False
    )
    image_fetch_error = models.CharField(
        "image fetch error", max_length=1024, blank=True, editable=False, help_text="Why the last fetch failed."
    )
    image_fetched_url = models.URLField(
        max_length=2048, blank=True, editable=False, help_text="The image URL the status is about."
    )
    image_fetched_etag = models.CharField(max_length=255, blank=True, editable=False)
    image_fetched_at = models.DateTimeField(null=True, blank=True, editable=False)
    url = models.URLField(max_length=2048, blank=True, help_text="Where a learner enrols or visits.")
    media_url = models.URLField(max_length=2048, blank=True, help_text="Audio or video file (episodes, videos).")
    transcript_url = models.URLField(max_length=2048, blank=True)
    languages = models.JSONField(default=list, blank=True, help_text="ISO 639-1 codes, e.g. ['en'].")
    course_numbers = models.JSONField(default=list, blank=True, help_text="e.g. ['6.0001', '6.00.1x'].")
    keywords = models.JSONField(default=list, blank=True)

    topics = models.ManyToManyField("catalog.Topic", blank=True, related_name="resources")
    departments = models.ManyToManyField("catalog.Department", blank=True, related_name="resources")
    offered_by = models.ForeignKey(
        "catalog.Offeror", null=True, blank=True, on_delete=models.SET_NULL, related_name="resources"
    )
    platform = models.ForeignKey(
        "catalog.Platform", null=True, blank=True, on_delete=models.SET_NULL, related_name="resources"
    )
    instructors = models.ManyToManyField(
        "catalog.Instructor", through="catalog.ResourceInstructor", blank=True, related_name="resources"
    )

    certification = models.BooleanField(default=False)
    certification_type = models.CharField(
        max_length=32, choices=CertificationType.choices, default=CertificationType.NONE
    )
    free = models.BooleanField(default=True, db_index=True)
    min_price = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    max_price = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True, help_text="ISO 4217 code of min/max price.")
    delivery = models.CharField(max_length=16, choices=Delivery.choices, default=Delivery.ONLINE)
    format = models.CharField(max_length=16, choices=Format.choices, blank=True)
    pace = models.CharField(max_length=16, choices=Pace.choices, blank=True)
    duration = models.CharField(max_length=128, blank=True, help_text="As a learner reads it: '6 weeks'.")
    duration_seconds = models.PositiveIntegerField(null=True, blank=True, help_text="Videos and episodes.")
    time_commitment = models.CharField(max_length=128, blank=True, help_text="Weekly effort: '4–6 hours/week'.")
    min_weekly_hours = models.PositiveSmallIntegerField(null=True, blank=True)
    max_weekly_hours = models.PositiveSmallIntegerField(null=True, blank=True)
    level = models.CharField(max_length=16, choices=Level.choices, blank=True)
    license = models.CharField(max_length=255, blank=True)
    availability = models.CharField(max_length=16, choices=Availability.choices, blank=True)
    published_at = models.DateTimeField(null=True, blank=True, help_text="Release date of an episode, video, article.")
    next_start_date = models.DateTimeField(null=True, blank=True, db_index=True, help_text="Derived from runs.")
    view_count = models.PositiveIntegerField(default=0)
    extra = models.JSONField(
        default=dict,
        blank=True,
        help_text="Imported values without a column of their own (e.g. enrolments, reviews, semester), as the "
        "source gave them.",
    )

    published = models.BooleanField(
        default=True, db_index=True, help_text="Published by the source and not hidden: what learners see."
    )
    source_published = models.BooleanField(
        "published by the source",
        default=True,
        help_text="As the source says; `published` follows it unless the resource is hidden.",
    )
    first_seen = models.DateTimeField(auto_now_add=True)
    last_seen = models.DateTimeField(
        auto_now_add=True,
        help_text="When a load last wrote or saw this row, as recorded on the row; while the row is in its source's "
        "latest full snapshot it was also seen then (see `last_seen_in_source`).",
    )
    in_source_snapshot = models.BooleanField(
        default=False, help_text="In its source's latest full snapshot (SourceSnapshot.loaded_at)."
    )
    updated_at = models.DateTimeField(auto_now=True)
    content_hash = models.CharField(max_length=64, blank=True, help_text="sha256 of the imported fields.")
    source_values = models.JSONField(
        default=dict, blank=True, help_text="The source's latest value of each locked field."
    )
    locked_fields = models.JSONField(default=list, blank=True, help_text="Fields imports never overwrite.")

    # Editor-only fields: never written by an import.
    featured = models.BooleanField(default=False, help_text="Boosted in search and listings.")
    hidden = models.BooleanField(default=False, help_text="Keep unpublished whatever the source says.")
    editorial_note = models.TextField(blank=True)

    objects = LearningResourceQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "source_id", "resource_type"], name="catalog_resource_unique_source_id"
            )
        ]
        indexes = [
            models.Index(fields=["resource_type", "published", "hidden"], name="catalog_res_type_pub"),
            models.Index(fields=["source", "published"], name="catalog_res_source_pub"),
            # The embedding job reads "changed since": its cost follows the changes, not the catalogue.
            models.Index(fields=["updated_at"], name="catalog_res_updated"),
            # The browse page's sorts (catalog.views.browse.SORTS "newest" and "popular") over public resources:
            # page 1 or page 100 reads 24 rows in order instead of sorting the whole catalogue. Every column the
            # page's id subquery names is in the index (the trailing ones too: SQLite 3.40 counts a column used
            # only inside an indexed expression, or only in the partial condition, as not covered), so a deep
            # offset walks the index alone, never the rows it skips (catalog.views.browse.ListingRows).
            models.Index(
                F("featured").desc(),
                Coalesce("published_at", "first_seen").desc(),
                F("id").desc(),
                F("published_at"),
                F("first_seen"),
                F("published"),
                F("hidden"),
                name="catalog_res_public_newest",
                condition=Q(published=True, hidden=False),
            ),
            models.Index(
                F("view_count").desc(),
                F("title"),
                F("id"),
                F("published"),
                F("hidden"),
                name="catalog_res_public_popular",
                condition=Q(published=True, hidden=False),
            ),
            # "Start date" (catalog.views.browse.SORTS "start") read as ranges: upcoming (soonest first; also the
            # undated, by title), and past starts (latest first). A comparison with now() cannot be indexed itself.
            models.Index(
                fields=["next_start_date", "title", "id", "published", "hidden"],
                name="catalog_res_public_start_up",
                condition=Q(published=True, hidden=False),
            ),
            models.Index(
                fields=["-next_start_date", "title", "id", "published", "hidden"],
                name="catalog_res_public_start_past",
                condition=Q(published=True, hidden=False),
            ),
        ]

    # `hidden` as last read from or written to the database (None when it was not loaded): see save().
    _hidden_as_stored = False

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        """Save; when `hidden` changed, `published` becomes "the source publishes it and it is not hidden"."""
        update_fields = kwargs.get("update_fields")
        hidden_saved = update_fields is None or "hidden" in update_fields
        if hidden_saved and "hidden" in self.__dict__ and self.hidden != self._hidden_as_stored:
            self.published = self.source_published and not self.hidden
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "published"}
        super().save(*args, **kwargs)
        if hidden_saved and "hidden" in self.__dict__:
            self._hidden_as_stored = self.hidden

    def get_absolute_url(self):
        return reverse("catalog:resource-detail", kwargs={"slug": self.slug})

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._hidden_as_stored = instance.__dict__.get("hidden")
        return instance

    def refresh_from_db(self, using=None, fields=None, from_queryset=None):
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)
        if (fields is None or "hidden" in fields) and "hidden" in self.__dict__:
            self._hidden_as_stored = self.hidden

    @property
    def is_public(self) -> bool:
        return self.published and not self.hidden

    @cached_property
    def last_seen_in_source(self):
        """When the source last listed this resource.

        An unchanged row of a full snapshot is not rewritten: the load records its time once, on the source's
        SourceSnapshot, and the row counts as seen then while `in_source_snapshot` holds.
        """
        if self.in_source_snapshot:
            loaded_at = SourceSnapshot.objects.filter(source=self.source).values_list("loaded_at", flat=True).first()
            if loaded_at and loaded_at > self.last_seen:
                return loaded_at
        return self.last_seen

    last_seen_in_source.short_description = "Last seen"


class SourceSnapshot(models.Model):
    """The latest full snapshot the catalogue loader read from a source: when, and how many records.

    Rows of the source flagged `in_source_snapshot` were in it, so their `last_seen_in_source` is `loaded_at`
    without a write per row. A row that drops out of a snapshot gets this time written to its own `last_seen`.
    """

    source = models.CharField(max_length=64, unique=True)
    loaded_at = models.DateTimeField(help_text="When the load that read this snapshot started.")
    records = models.PositiveIntegerField(default=0, help_text="Distinct records in the snapshot (valid or not).")

    class Meta:
        ordering = ["source"]

    def __str__(self):
        return f"{self.source} snapshot of {self.loaded_at:%Y-%m-%d %H:%M}"


class ResourceInstructor(models.Model):
    resource = models.ForeignKey(LearningResource, on_delete=models.CASCADE, related_name="instructor_links")
    instructor = models.ForeignKey("catalog.Instructor", on_delete=models.CASCADE, related_name="resource_links")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["resource", "instructor"], name="catalog_resource_instructor_unique")
        ]

    def __str__(self):
        return f"{self.instructor_id} teaches {self.resource_id} (#{self.position})"


class ResourceRelationship(models.Model):
    """An ordered parent → child link: a program's courses, a podcast's episodes, a playlist's videos."""

    parent = models.ForeignKey(LearningResource, on_delete=models.CASCADE, related_name="child_links")
    child = models.ForeignKey(LearningResource, on_delete=models.CASCADE, related_name="parent_links")
    relation_type = models.CharField(max_length=32, choices=RelationType.choices)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "child", "relation_type"], name="catalog_relationship_unique")
        ]

    def __str__(self):
        return f"{self.parent} → {self.child} ({self.position})"


class Run(models.Model):
    """One offering of a course or program: dates, prices, instructors, enrolment."""

    resource = models.ForeignKey(LearningResource, on_delete=models.CASCADE, related_name="runs")
    run_id = models.CharField(max_length=255)
    title = models.CharField(max_length=512, blank=True)
    start_date = models.DateTimeField(null=True, blank=True)
    end_date = models.DateTimeField(null=True, blank=True)
    enrollment_start = models.DateTimeField(null=True, blank=True)
    enrollment_end = models.DateTimeField(null=True, blank=True)
    semester = models.CharField(max_length=32, blank=True)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    pace = models.CharField(max_length=16, choices=Pace.choices, blank=True)
    delivery = models.CharField(max_length=16, choices=Delivery.choices, blank=True)
    location = models.CharField(max_length=255, blank=True)
    prices = models.JSONField(
        default=list, blank=True, help_text='[{"amount": "99.00", "currency": "USD", "label": "Verified"}]'
    )
    instructors = models.JSONField(default=list, blank=True, help_text="Instructor names, in order.")
    enrollment_url = models.URLField(max_length=2048, blank=True)
    published = models.BooleanField(default=True)

    class Meta:
        ordering = ["start_date", "run_id"]
        constraints = [models.UniqueConstraint(fields=["resource", "run_id"], name="catalog_run_unique")]
        indexes = [models.Index(fields=["start_date"], name="catalog_run_start")]

    def __str__(self):
        return f"{self.resource} – {self.run_id}"

    @property
    def is_upcoming(self) -> bool:
        from django.utils import timezone

        return bool(self.start_date and self.start_date >= timezone.now())


def start_date_ordering() -> tuple:
    """`order_by()` terms for "by start date": upcoming starts first (soonest first), then resources whose start
    is past (latest first), then those without a date.

    `next_start_date` holds the latest past start when no run is upcoming, so plain ascending order would put
    courses that started long ago before upcoming ones. "Now" is the database's, read when the query runs.
    """
    upcoming = Q(next_start_date__gte=Now())
    return (
        Case(When(upcoming, then=Value(0)), When(next_start_date__isnull=False, then=Value(1)), default=Value(2)),
        Case(When(upcoming, then=F("next_start_date"))).asc(nulls_last=True),
        F("next_start_date").desc(nulls_last=True),
    )


def public_q(prefix: str = "") -> Q:
    """The `public()` condition for a related lookup, e.g. public_q("child__")."""
    return Q(**{f"{prefix}published": True, f"{prefix}hidden": False})
