"""Filters of the resources API (django-filter). Several values of one filter are OR-ed: ?topic=a&topic=b."""

from django.db.models import F, Q
from django.utils import timezone

from django_filters import rest_framework as filters
from rest_framework.filters import OrderingFilter

from catalog.models import Delivery, LearningResource, Level, ResourceType
from catalog.models.resources import start_date_ordering

TopicLink = LearningResource.topics.through
DepartmentLink = LearningResource.departments.through


class ResourceFilterSet(filters.FilterSet):
    resource_type = filters.MultipleChoiceFilter(
        field_name="resource_type", choices=ResourceType.choices, help_text="Resource type; repeat to OR."
    )
    topic = filters.CharFilter(method="filter_topic", help_text="Topic slug; repeat or comma-separate to OR.")
    offeror = filters.CharFilter(method="filter_offeror", help_text="Offeror code; repeat or comma-separate to OR.")
    platform = filters.CharFilter(method="filter_platform", help_text="Platform code; repeat or comma-separate.")
    department = filters.CharFilter(method="filter_department", help_text="Department code; repeat or comma-separate.")
    certification = filters.BooleanFilter(field_name="certification")
    certification_type = filters.CharFilter(field_name="certification_type")
    free = filters.BooleanFilter(field_name="free")
    level = filters.MultipleChoiceFilter(field_name="level", choices=Level.choices)
    delivery = filters.MultipleChoiceFilter(field_name="delivery", choices=Delivery.choices)
    language = filters.CharFilter(method="filter_language", help_text="ISO 639-1 language code, e.g. en.")
    upcoming = filters.BooleanFilter(method="filter_upcoming", help_text="true: has a run starting in the future.")
    featured = filters.BooleanFilter(field_name="featured")
    source = filters.CharFilter(field_name="source")
    q = filters.CharFilter(method="filter_q", help_text="Words the title contains (all of them).")

    class Meta:
        model = LearningResource
        fields = []

    @staticmethod
    def _values(request, name, value) -> list[str]:
        raw = request.GET.getlist(name) if request is not None else [value]
        return [item.strip() for chunk in raw for item in chunk.split(",") if item.strip()]

    def _in(self, queryset, name, value, lookup):
        values = self._values(self.request, name, value)
        return queryset.filter(**{lookup: values}) if values else queryset

    def filter_topic(self, queryset, name, value):
        values = self._values(self.request, name, value)
        if not values:
            return queryset
        return queryset.filter(pk__in=TopicLink.objects.filter(topic__slug__in=values).values("learningresource_id"))

    def filter_department(self, queryset, name, value):
        values = self._values(self.request, name, value)
        if not values:
            return queryset
        return queryset.filter(
            pk__in=DepartmentLink.objects.filter(department__code__in=values).values("learningresource_id")
        )

    def filter_offeror(self, queryset, name, value):
        return self._in(queryset, name, value, "offered_by__code__in")

    def filter_platform(self, queryset, name, value):
        return self._in(queryset, name, value, "platform__code__in")

    def filter_language(self, queryset, name, value):
        codes = [code.lower() for code in self._values(self.request, name, value)]
        if not codes:
            return queryset
        # JSON list membership that works on SQLite and PostgreSQL alike: match the quoted code in the JSON text.
        condition = Q()
        for code in codes:
            condition |= Q(languages__icontains=f'"{code}"')
        return queryset.filter(condition)

    def filter_upcoming(self, queryset, name, value):
        if value is None:
            return queryset
        upcoming = Q(next_start_date__gte=timezone.now())
        return queryset.filter(upcoming) if value else queryset.exclude(upcoming)

    def filter_q(self, queryset, name, value):
        for word in value.split()[:10]:
            queryset = queryset.filter(title__icontains=word)
        return queryset


class ResourceOrderingFilter(OrderingFilter):
    """`?ordering=` of resources; `next_start_date` orders as the browse page's "Start date" sort does.

    Ascending: upcoming starts first (soonest first), then past starts (latest first), then no date. Descending:
    latest start first, resources without a date last.
    """

    def filter_queryset(self, request, queryset, view):
        ordering = self.get_ordering(request, queryset, view)
        if not ordering:
            return queryset
        terms = []
        for term in ordering:
            if term == "next_start_date":
                terms += start_date_ordering()
            elif term == "-next_start_date":
                terms.append(F("next_start_date").desc(nulls_last=True))
            else:
                terms.append(term)
        return queryset.order_by(*terms)
