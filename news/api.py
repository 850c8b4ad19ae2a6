"""REST API of imported news items and events (editor news and event pages are in the pages API, /api/v2/)."""

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import generics

from .models import FeedItem, ItemType
from .serializers import FeedItemSerializer


class FeedItemFilter(django_filters.FilterSet):
    source = django_filters.CharFilter(help_text="The import source, e.g. ol_news.")
    type = django_filters.ChoiceFilter(field_name="item_type", choices=ItemType.choices)
    topic = django_filters.CharFilter(field_name="topics__slug", help_text="A topic's slug.")
    upcoming = django_filters.BooleanFilter(method="filter_upcoming", help_text="Only events that have not ended.")

    class Meta:
        model = FeedItem
        fields = ["source", "type", "topic", "upcoming"]

    def filter_upcoming(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.upcoming().order_by("starts_at", "pk") if value else queryset.past()


@extend_schema(tags=["news"])
class FeedItemList(generics.ListAPIView):
    """Imported news items and events, newest first (upcoming events: soonest first)."""

    serializer_class = FeedItemSerializer
    filterset_class = FeedItemFilter

    def get_queryset(self):
        return FeedItem.objects.public().prefetch_related("topics").order_by("-published_at", "-pk")


@extend_schema(tags=["news"])
class FeedItemDetail(generics.RetrieveAPIView):
    """One imported news item or event."""

    serializer_class = FeedItemSerializer

    def get_queryset(self):
        return FeedItem.objects.public().prefetch_related("topics")
