"""Imported news and events (feed items) and the feeds they come from (configured by editors)."""

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone


class FeedType(models.TextChoices):
    RSS = "rss", "RSS or Atom feed"
    MITPE_NEWS = "mitpe_news", "MIT Professional Education news (JSON)"
    MITPE_EVENTS = "mitpe_events", "MIT Professional Education events (JSON)"
    OL_EVENTS = "ol_events", "Open Learning events (Drupal JSON:API)"


class ItemType(models.TextChoices):
    NEWS = "news", "News"
    EVENT = "event", "Event"


source_name_validator = RegexValidator(
    r"^[a-z0-9][a-z0-9_-]*$", "Lower-case letters, digits, '-' and '_' only, e.g. 'mit-open-learning-news'."
)


class FeedSource(models.Model):
    """A news or events feed an editor has configured; imported through the importers framework.

    `source_name` is the import source's name: its runs, snapshots and items are filed under it.
    """

    source_name = models.CharField(
        max_length=64,
        unique=True,
        validators=[source_name_validator],
        help_text="The importer name of this feed (runs and items are filed under it). Not changeable later.",
    )
    name = models.CharField(max_length=200, help_text="Shown to learners as the item's source.")
    url = models.URLField(
        max_length=2048,
        blank=True,
        help_text="The feed's address. Built-in feeds may leave it empty to use the address from the settings.",
    )
    feed_type = models.CharField(max_length=32, choices=FeedType.choices, default=FeedType.RSS)
    schedule_minutes = models.PositiveIntegerField(
        default=60, help_text="Import every this many minutes (the schedule can be edited under Tasks too)."
    )
    enabled = models.BooleanField(default=True, help_text="Disabled feeds are not imported; their items stay.")
    default_topics = models.CharField(
        max_length=500, blank=True, help_text="Comma-separated topic names given to every item of this feed."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        if self.pk:
            stored = type(self).objects.filter(pk=self.pk).values_list("source_name", flat=True).first()
            if stored and stored != self.source_name:
                raise ValidationError(
                    {"source_name": f"The importer name cannot change (runs and items are filed under {stored!r})."}
                )
        if not self.url and not self.is_built_in:
            raise ValidationError({"url": "Give the feed's address (only built-in feeds take it from the settings)."})

    @property
    def is_built_in(self) -> bool:
        """A source with a class of its own (ol_news, mitpe_news, mitpe_events, ol_events)."""
        from importers.errors import SourceNotFound
        from importers.registry import get_source_class

        try:
            return not getattr(get_source_class(self.source_name), "configured", False)
        except SourceNotFound:
            return False

    @property
    def topic_names(self) -> list[str]:
        return [name.strip() for name in self.default_topics.split(",") if name.strip()]


class FeedItemQuerySet(models.QuerySet):
    def public(self):
        """Items learners may see (an editor can hide one)."""
        return self.filter(hidden=False)

    def news(self):
        return self.filter(item_type=ItemType.NEWS)

    def events(self):
        return self.filter(item_type=ItemType.EVENT)

    def upcoming(self, now=None):
        """Events that have not ended yet (an event without an end date ends when it starts)."""
        now = now or timezone.now()
        return self.events().filter(Q(ends_at__gte=now) | Q(ends_at__isnull=True, starts_at__gte=now))

    def past(self, now=None):
        now = now or timezone.now()
        return self.events().filter(Q(ends_at__lt=now) | Q(ends_at__isnull=True, starts_at__lt=now))


class FeedItem(models.Model):
    """One imported news item or event. Written by news.loader.load_feed_items only (except `hidden`)."""

    source = models.CharField(max_length=64, db_index=True, help_text="The import source that owns this item.")
    guid = models.CharField(max_length=512, help_text="The item's id in its feed (guid, id, or its link).")
    item_type = models.CharField(max_length=16, choices=ItemType.choices, default=ItemType.NEWS)
    title = models.CharField(max_length=512)
    summary = models.TextField(blank=True, help_text="Sanitised HTML.")
    content = models.TextField(blank=True, help_text="Sanitised HTML.")
    link = models.URLField(max_length=2048, blank=True)
    author = models.CharField(max_length=255, blank=True)
    published_at = models.DateTimeField(db_index=True, help_text="In UTC.")
    date_estimated = models.BooleanField(
        default=False, help_text="The feed's date could not be read; the time of the import is used instead."
    )
    image_url = models.URLField(max_length=2048, blank=True)
    image_alt = models.CharField(max_length=512, blank=True)
    topics = models.ManyToManyField("catalog.Topic", blank=True, related_name="feed_items")
    categories = models.JSONField(default=list, blank=True, help_text="The feed's own category names.")
    starts_at = models.DateTimeField(null=True, blank=True, db_index=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    location = models.CharField(max_length=255, blank=True)
    online = models.BooleanField(default=False)
    registration_url = models.URLField(max_length=2048, blank=True)
    content_hash = models.CharField(max_length=64, blank=True)
    first_seen = models.DateTimeField(auto_now_add=True)
    last_seen = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    hidden = models.BooleanField(default=False, help_text="Hide from learners (kept across imports).")

    objects = FeedItemQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["source", "guid"], name="news_feeditem_unique_guid")]
        indexes = [models.Index(fields=["item_type", "hidden", "published_at"], name="news_item_type_date")]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("news:item-detail", kwargs={"pk": self.pk})
