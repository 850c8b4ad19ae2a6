"""Faceted browsing of the public catalogue: filters (OR within a facet, AND across facets), counts, sorting.

Each facet's counts are computed over the resources matching every *other* facet's selection, so a learner sees
how many results ticking one more option would give. One grouped query per facet: the number of queries does
not depend on the size of the catalogue.
"""

from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Coalesce

from catalog.models import Delivery, LearningResource, Level, ResourceType, Topic
from catalog.models.resources import start_date_ordering

TopicLink = LearningResource.topics.through

# How many options of a long facet (topics, offerors, platforms) are listed, besides the selected ones.
FACET_OPTION_LIMIT = 15


@dataclass
class FacetOption:
    value: str
    label: str
    count: int
    selected: bool


@dataclass
class Facet:
    """A filter on one field; `values` are the query-string values a learner ticked."""

    name: str
    label: str
    values: list[str] = field(default_factory=list)
    options: list[FacetOption] = field(default_factory=list)

    def q(self) -> Q:
        raise NotImplementedError

    def counts(self, queryset: QuerySet) -> list[tuple[str, str, int]]:
        """(value, label, count) for every option with resources in `queryset`, most common first."""
        raise NotImplementedError

    def clean(self, values: list[str]) -> list[str]:
        return list(dict.fromkeys(value for value in values if value))

    @property
    def active(self) -> bool:
        return bool(self.values)

    def build_options(self, queryset: QuerySet, limit: int | None = None) -> None:
        counted = self.counts(queryset)
        options = [FacetOption(v, label, n, v in self.values) for v, label, n in counted]
        if limit is not None:
            options = options[:limit] + [o for o in options[limit:] if o.selected]
        known = {o.value for o in options}
        # A selected value with no results left still shows (ticked, 0) so that it can be unticked.
        options += [FacetOption(v, self.label_for(v), 0, True) for v in self.values if v not in known]
        self.options = options

    def label_for(self, value: str) -> str:
        return value


@dataclass
class ChoiceFacet(Facet):
    field_name: str = ""
    choices: tuple = ()

    def clean(self, values):
        allowed = dict(self.choices)
        return [value for value in super().clean(values) if value in allowed]

    def q(self):
        return Q(**{f"{self.field_name}__in": self.values})

    def label_for(self, value):
        return dict(self.choices).get(value, value)

    def counts(self, queryset):
        rows = queryset.order_by().values_list(self.field_name).annotate(n=Count("pk"))
        by_value = {value: n for value, n in rows if value}
        # Keep the choices' order (Course, Program, ...) rather than sorting by count: it reads better.
        return [(value, label, by_value[value]) for value, label in self.choices if value in by_value]


@dataclass
class BooleanFacet(Facet):
    field_name: str = ""
    true_label: str = "Yes"
    false_label: str = "No"

    def clean(self, values):
        return [value for value in super().clean(values) if value in ("true", "false")]

    def q(self):
        return Q(**{f"{self.field_name}__in": [value == "true" for value in self.values]})

    def label_for(self, value):
        return self.true_label if value == "true" else self.false_label

    def counts(self, queryset):
        rows = dict(queryset.order_by().values_list(self.field_name).annotate(n=Count("pk")))
        return [(v, self.label_for(v), rows[flag]) for v, flag in (("true", True), ("false", False)) if rows.get(flag)]


@dataclass
class LookupFacet(Facet):
    """A foreign key to a lookup table, selected by the lookup's `code`."""

    field_name: str = ""

    def q(self):
        return Q(**{f"{self.field_name}__code__in": self.values})

    def counts(self, queryset):
        rows = (
            queryset.order_by()
            .filter(**{f"{self.field_name}__isnull": False})
            .values_list(f"{self.field_name}__code", f"{self.field_name}__name")
            .annotate(n=Count("pk"))
            .order_by("-n", f"{self.field_name}__name")
        )
        return list(rows)


@dataclass
class TopicFacet(Facet):
    def q(self):
        # A subquery rather than a join so that a resource in two ticked topics is listed once.
        return Q(pk__in=TopicLink.objects.filter(topic__slug__in=self.values).values("learningresource_id"))

    def counts(self, queryset):
        rows = (
            TopicLink.objects.filter(learningresource__in=queryset.order_by().values("pk"))
            .values_list("topic__slug", "topic__name")
            .annotate(n=Count("pk"))
            .order_by("-n", "topic__name")
        )
        return list(rows)


def build_facets(params) -> list[Facet]:
    """The browse page's facets with the learner's selections read from `params` (a QueryDict)."""
    facets = [
        ChoiceFacet("type", "Type", field_name="resource_type", choices=tuple(ResourceType.choices)),
        TopicFacet("topic", "Topic"),
        LookupFacet("offeror", "Offered by", field_name="offered_by"),
        LookupFacet("platform", "Platform", field_name="platform"),
        BooleanFacet(
            "certification",
            "Certificate",
            field_name="certification",
            true_label="With a certificate",
            false_label="No certificate",
        ),
        BooleanFacet("free", "Cost", field_name="free", true_label="Free", false_label="Paid"),
        ChoiceFacet("level", "Level", field_name="level", choices=tuple(Level.choices)),
        ChoiceFacet("delivery", "Delivery", field_name="delivery", choices=tuple(Delivery.choices)),
    ]
    for facet in facets:
        facet.values = facet.clean(params.getlist(facet.name))
    return facets


def apply_facets(queryset: QuerySet, facets: list[Facet], exclude: Facet | None = None) -> QuerySet:
    for facet in facets:
        if facet.active and facet is not exclude:
            queryset = queryset.filter(facet.q())
    return queryset


def count_facets(queryset: QuerySet, facets: list[Facet], hidden: tuple[str, ...] = ()) -> None:
    """Fill each facet's options with counts over `queryset` filtered by the other facets."""
    for facet in facets:
        if facet.name in hidden:
            continue
        limit = FACET_OPTION_LIMIT if isinstance(facet, LookupFacet | TopicFacet) else None
        facet.build_options(apply_facets(queryset, facets, exclude=facet), limit=limit)


@dataclass(frozen=True)
class Sort:
    label: str
    ordering: tuple


SORTS = {
    # Editors' featured resources lead the default listing.
    "newest": Sort("Newest", ("-featured", Coalesce("published_at", "first_seen").desc(), "-pk")),
    "start": Sort("Start date", (*start_date_ordering(), "title", "pk")),
    "title": Sort("Title (A–Z)", ("title", "pk")),
    "popular": Sort("Most popular", ("-view_count", "title", "pk")),
}
DEFAULT_SORT = "newest"


def topic_and_descendant_ids(topic: Topic) -> list[int]:
    """The topic and every topic under it (the topic table is small: one query, walked in Python)."""
    children: dict[int | None, list[int]] = {}
    for pk, parent_id in Topic.objects.values_list("pk", "parent_id"):
        children.setdefault(parent_id, []).append(pk)
    found, stack = [], [topic.pk]
    while stack:
        pk = stack.pop()
        if pk in found:
            continue
        found.append(pk)
        stack.extend(children.get(pk, []))
    return found
