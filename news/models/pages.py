"""Editor-written news and events: index pages and their children."""

import zoneinfo

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.api import APIField
from wagtail.fields import StreamField
from wagtail.search import index

from modelcluster.fields import ParentalManyToManyField
from rest_framework import serializers

from cms.models import BasePage
from news.blocks import body_block

TIME_ZONE_CHOICES = [(name, name) for name in sorted(zoneinfo.available_timezones()) if "/" in name or name == "UTC"]


class NewsIndexPage(BasePage):
    """The combined news listing: editor news pages and imported feed items in date order."""

    introduction = models.TextField(blank=True)
    per_page = models.PositiveSmallIntegerField(default=12, help_text="Items per page of the listing.")
    include_feed_items = models.BooleanField(default=True, help_text="List imported feed items with the news pages.")

    template = "news/news_index_page.html"
    parent_page_types = ["cms.HomePage"]
    subpage_types = ["news.NewsPage"]
    content_panels = [
        *BasePage.content_panels,
        FieldPanel("introduction"),
        FieldRowPanel([FieldPanel("per_page"), FieldPanel("include_feed_items")]),
    ]
    search_fields = [*BasePage.search_fields, index.SearchField("introduction")]
    api_fields = [*BasePage.api_fields, APIField("introduction")]

    def get_context(self, request, *args, **kwargs):
        from news.listing import news_listing_context

        context = super().get_context(request, *args, **kwargs)
        context.update(news_listing_context(request, index_page=self))
        return context


class NewsPage(BasePage):
    """A news article written by an editor."""

    date = models.DateTimeField(default=timezone.now, help_text="Publication date shown to readers.")
    authors = models.CharField(max_length=255, blank=True, help_text="Names, comma-separated.")
    topics = ParentalManyToManyField("catalog.Topic", blank=True, related_name="news_pages")
    lead_image = models.ForeignKey(
        "cms.CustomImage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    introduction = models.TextField(blank=True, help_text="A sentence or two shown in listings and feeds.")
    body = StreamField(body_block(), blank=True)

    template = "news/news_page.html"
    parent_page_types = ["news.NewsIndexPage"]
    subpage_types = []
    content_panels = [
        *BasePage.content_panels,
        FieldRowPanel([FieldPanel("date"), FieldPanel("authors")]),
        FieldPanel("topics"),
        FieldPanel("lead_image"),
        FieldPanel("introduction"),
        FieldPanel("body"),
    ]
    search_fields = [
        *BasePage.search_fields,
        index.SearchField("introduction"),
        index.SearchField("authors"),
        index.SearchField("body"),
        index.FilterField("date"),
    ]
    api_fields = [
        *BasePage.api_fields,
        APIField("date"),
        APIField("authors"),
        APIField("topics", serializer=serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")),
        APIField("lead_image"),
        APIField("introduction"),
        APIField("body"),
    ]

    class Meta:
        ordering = ["-date"]

    @property
    def summary(self) -> str:
        return self.listing_summary or self.introduction or self.search_description


class EventPage(BasePage):
    """An event written by an editor: when (with its time zone), where or online, for whom, how to register."""

    start = models.DateTimeField()
    end = models.DateTimeField(null=True, blank=True)
    # No model choices: the zone list comes from the system's tz database, which differs between machines.
    time_zone = models.CharField(
        max_length=64,
        default="America/New_York",
        help_text="The event's local time zone; times are shown in it.",
    )
    location = models.CharField(max_length=255, blank=True, help_text="Venue and address; empty for online-only.")
    online = models.BooleanField(default=False, help_text="Held online (or also online).")
    online_url = models.URLField(max_length=2048, blank=True, help_text="Where to join online.")
    audience = models.CharField(max_length=255, blank=True, help_text="Who it is for, e.g. 'Learners, educators'.")
    registration_url = models.URLField(max_length=2048, blank=True)
    topics = ParentalManyToManyField("catalog.Topic", blank=True, related_name="event_pages")
    lead_image = models.ForeignKey(
        "cms.CustomImage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    introduction = models.TextField(blank=True)
    body = StreamField(body_block(), blank=True)

    template = "news/event_page.html"
    parent_page_types = ["news.EventsIndexPage"]
    subpage_types = []
    content_panels = [
        *BasePage.content_panels,
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("start"), FieldPanel("end")]),
                FieldPanel("time_zone", widget=forms.Select(choices=TIME_ZONE_CHOICES)),
            ],
            heading="When",
        ),
        MultiFieldPanel(
            [FieldPanel("location"), FieldRowPanel([FieldPanel("online"), FieldPanel("online_url")])],
            heading="Where",
        ),
        FieldPanel("audience"),
        FieldPanel("registration_url"),
        FieldPanel("topics"),
        FieldPanel("lead_image"),
        FieldPanel("introduction"),
        FieldPanel("body"),
    ]
    search_fields = [
        *BasePage.search_fields,
        index.SearchField("introduction"),
        index.SearchField("location"),
        index.SearchField("body"),
        index.FilterField("start"),
        index.FilterField("end"),
    ]
    api_fields = [
        *BasePage.api_fields,
        APIField("start"),
        APIField("end"),
        APIField("time_zone"),
        APIField("location"),
        APIField("online"),
        APIField("online_url"),
        APIField("audience"),
        APIField("registration_url"),
        APIField("topics", serializer=serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")),
        APIField("lead_image"),
        APIField("introduction"),
        APIField("body"),
    ]

    class Meta:
        ordering = ["start"]

    def clean(self):
        super().clean()
        if self.start and self.end and self.end < self.start:
            raise ValidationError({"end": "The event cannot end before it starts."})
        if self.time_zone not in zoneinfo.available_timezones():
            raise ValidationError({"time_zone": f"Unknown time zone {self.time_zone!r}; e.g. America/New_York."})
        if not self.location and not self.online:
            raise ValidationError({"location": "Give a location, or mark the event as online."})

    @property
    def is_past(self) -> bool:
        return (self.end or self.start) < timezone.now()

    @property
    def summary(self) -> str:
        return self.listing_summary or self.introduction or self.search_description


class EventsIndexPage(BasePage):
    """Upcoming events (editor pages and imported events); past ones on request."""

    introduction = models.TextField(blank=True)
    per_page = models.PositiveSmallIntegerField(default=12)
    include_feed_items = models.BooleanField(default=True, help_text="List imported events with the event pages.")

    template = "news/events_index_page.html"
    parent_page_types = ["cms.HomePage"]
    subpage_types = ["news.EventPage"]
    content_panels = [
        *BasePage.content_panels,
        FieldPanel("introduction"),
        FieldRowPanel([FieldPanel("per_page"), FieldPanel("include_feed_items")]),
    ]
    search_fields = [*BasePage.search_fields, index.SearchField("introduction")]
    api_fields = [*BasePage.api_fields, APIField("introduction")]

    def get_context(self, request, *args, **kwargs):
        from news.listing import events_listing_context

        context = super().get_context(request, *args, **kwargs)
        context.update(events_listing_context(request, index_page=self))
        return context
