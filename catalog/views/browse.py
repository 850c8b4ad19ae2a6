"""Faceted browsing of the public catalogue: filters (OR within a facet, AND across facets), counts, sorting.

Each facet's counts are computed over the resources matching every *other* facet's selection, so a learner sees
how many results ticking one more option would give.

How they are counted: one query fetches the resources grouped by every non-topic facet field at once (type,
level, delivery, cost, certificate, offeror, platform: a few hundred or thousand combinations) and each of those
facets is counted from these rows in Python, applying the other facets' selections; one more query counts the
topics. On the catalogue page the rows come from the precomputed `FacetCombination` table while it is current
(catalog.browse_counts), so the cost does not grow with the catalogue; otherwise (topic and offeror pages, a
rebuild pending, several topics ticked) from the public resources themselves. Either way two or three queries,
whatever the size of the catalogue or the number of selections.
"""

from dataclasses import dataclass, field
from typing import NamedTuple

from django.db.models import Count, Exists, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, Now

from catalog.models import CatalogueVersion, Delivery, FacetCombination, LearningResource, Level, ResourceType, Topic
from catalog.models.resources import start_date_ordering

TopicLink = LearningResource.topics.through

# How many options of a long facet (topics, offerors, platforms) are listed, besides the selected ones.
FACET_OPTION_LIMIT = 15


class Combination(NamedTuple):
    """Resources sharing one value of every non-topic facet field (a row of the grouped query)."""

    resource_type: str
    level: str
    delivery: str
    free: bool
    certification: bool
    offered_by: str | None
    offered_by_name: str | None
    platform: str | None
    platform_name: str | None
    n: int


# The grouped query's columns, in Combination's order (the lookups' codes and names by join).
COMBINATION_COLUMNS = (
    "resource_type",
    "level",
    "delivery",
    "free",
    "certification",
    "offered_by__code",
    "offered_by__name",
    "platform__code",
    "platform__name",
)


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

    def value_of(self, row: Combination) -> str | None:
        """This facet's value in a combination row (None: the row has none)."""
        raise NotImplementedError

    def matches(self, row: Combination) -> bool:
        return self.value_of(row) in self.values

    def count_rows(self, rows: list[Combination], others: list["Facet"]) -> list[tuple[str, str, int]]:
        """(value, label, count) over the rows matching every facet in `others`, in the facet's display order."""
        counts: dict[str, int] = {}
        labels: dict[str, str] = {}
        for row in rows:
            if all(other.matches(row) for other in others):
                value = self.value_of(row)
                if value:
                    counts[value] = counts.get(value, 0) + row.n
                    labels.setdefault(value, self.row_label(row, value))
        return self.ordered(counts, labels)

    def row_label(self, row: Combination, value: str) -> str:
        return self.label_for(value)

    def ordered(self, counts: dict[str, int], labels: dict[str, str]) -> list[tuple[str, str, int]]:
        """Most common first, then by label."""
        return sorted(((v, labels[v], n) for v, n in counts.items()), key=lambda item: (-item[2], item[1]))

    def clean(self, values: list[str]) -> list[str]:
        return list(dict.fromkeys(value for value in values if value))

    @property
    def active(self) -> bool:
        return bool(self.values)

    def build_options(self, counted: list[tuple[str, str, int]], limit: int | None = None) -> None:
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

    def value_of(self, row):
        return getattr(row, self.field_name)

    def ordered(self, counts, labels):
        # Keep the choices' order (Course, Program, ...) rather than sorting by count: it reads better.
        return [(value, label, counts[value]) for value, label in self.choices if value in counts]


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

    def value_of(self, row):
        return "true" if getattr(row, self.field_name) else "false"

    def ordered(self, counts, labels):
        return [(v, self.label_for(v), counts[v]) for v in ("true", "false") if counts.get(v)]


@dataclass
class LookupFacet(Facet):
    """A foreign key to a lookup table, selected by the lookup's `code`."""

    field_name: str = ""

    def q(self):
        return Q(**{f"{self.field_name}__code__in": self.values})

    def value_of(self, row):
        return getattr(row, self.field_name)

    def row_label(self, row, value):
        return getattr(row, f"{self.field_name}_name")


@dataclass
class TopicFacet(Facet):
    def q(self):
        # A subquery rather than a join so that a resource in two ticked topics is listed once.
        return Q(pk__in=TopicLink.objects.filter(topic__slug__in=self.values).values("learningresource_id"))

    def counts(self, queryset: QuerySet) -> list[tuple[str, str, int]]:
        """Counted over the resources themselves: one row per (resource, topic) link of `queryset`."""
        rows = (
            TopicLink.objects.filter(learningresource__in=queryset.order_by().values("pk"))
            .values_list("topic__slug", "topic__name")
            .annotate(n=Count("pk"))
            .order_by("-n", "topic__name")
        )
        return list(rows)

    def counts_from_combinations(self, others: list[Facet]) -> list[tuple[str, str, int]]:
        """Counted over the precomputed rows: each (resource, topic) link once, as `counts` does."""
        rows = FacetCombination.objects.filter(topic__isnull=False)
        for other in others:
            rows = rows.filter(other.q())
        rows = rows.values_list("topic__slug", "topic__name").annotate(n=Sum("resources")).order_by("-n", "topic__name")
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


def _combinations_of(queryset: QuerySet) -> list[Combination]:
    rows = queryset.order_by().values_list(*COMBINATION_COLUMNS).annotate(n=Count("pk"))
    return [Combination(*row) for row in rows]


def _current_combinations(topic: Facet) -> list[Combination] | None:
    """The precomputed rows (of the ticked topic's links, or of resources when none is) if they are current."""
    rows = FacetCombination.objects.filter(topic__slug=topic.values[0]) if topic.active else None
    if rows is None:
        rows = FacetCombination.objects.filter(topic__isnull=True)
    current = CatalogueVersion.objects.filter(pk=1, built=F("version"))
    rows = rows.values_list(*COMBINATION_COLUMNS, "resources", Exists(current))
    fetched = list(rows)
    if not fetched or not fetched[0][-1]:
        return None  # stale (a rebuild is pending) or nothing to tell an empty result from a stale one
    return [Combination(*row[:-1]) for row in fetched]


def count_facets(
    queryset: QuerySet, facets: list[Facet], hidden: tuple[str, ...] = (), precomputed: bool = False
) -> None:
    """Fill each facet's options with counts over `queryset` filtered by the other facets.

    `precomputed`: `queryset` is the whole public catalogue, so the FacetCombination rows may stand for it.
    """
    topic = next(facet for facet in facets if isinstance(facet, TopicFacet))
    rows = None
    # Two ticked topics: a resource in both would be counted twice from per-topic rows.
    if precomputed and len(topic.values) <= 1:
        rows = _current_combinations(topic)
    from_combinations = rows is not None
    if rows is None:
        rows = _combinations_of(apply_facets(queryset, [topic]) if topic.active else queryset)
    for facet in facets:
        if facet.name in hidden:
            continue
        limit = FACET_OPTION_LIMIT if isinstance(facet, LookupFacet | TopicFacet) else None
        others = [other for other in facets if other.active and other is not facet and other is not topic]
        if facet is topic:
            counted = (
                topic.counts_from_combinations(others)
                if from_combinations
                else topic.counts(apply_facets(queryset, facets, exclude=topic))
            )
        else:
            counted = facet.count_rows(rows, others)
        facet.build_options(counted, limit=limit)


@dataclass(frozen=True)
class Sort:
    """A listing order. `streams`: (condition, ordering) pairs that split the resources into ranges, each of which
    an index reads in the sort's own order (see `ListingRows`); empty when `ordering` itself is index-served."""

    label: str
    ordering: tuple
    streams: tuple = ()


SORTS = {
    # Editors' featured resources lead the default listing.
    "newest": Sort("Newest", ("-featured", Coalesce("published_at", "first_seen").desc(), "-pk")),
    # Upcoming starts (soonest first), past starts (latest first), then undated: a comparison with now() that no
    # index serves, so it is read as three ranges that indexes do serve (catalog_res_public_start_up/_past).
    "start": Sort(
        "Start date",
        (*start_date_ordering(), "title", "pk"),
        streams=(
            (Q(next_start_date__gte=Now()), ("next_start_date", "title", "pk")),
            (Q(next_start_date__lt=Now()), (F("next_start_date").desc(), "title", "pk")),
            (Q(next_start_date__isnull=True), ("title", "pk")),
        ),
    ),
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


class ListingRows:
    """What a listing's Paginator pages: `results` (filtered, ordered by `sort`) read one page at a time by id.

    A page is `cards(LearningResource.objects.filter(pk__in=<the page's ids>))` in the sort's order, one query: the
    ids come from a subquery that walks the sort's index alone (no row is read for the entries skipped by a deep
    offset), and only the page's rows are fetched. A sort with `streams` (start date) takes the first `stop` ids of
    each stream, which together hold the page whatever the offset, and orders those few by the sort's ordering.
    `?page=N` URLs are unchanged.
    """

    def __init__(self, results: QuerySet, sort: Sort, cards):
        self.results, self.sort, self.cards = results, sort, cards

    def count(self) -> int:
        return self.results.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if not isinstance(index, slice):
            raise TypeError("a listing is read a page (a slice) at a time")
        start, stop = index.start or 0, index.stop
        ids = self.results.order_by().values("pk")
        if self.sort.streams:
            within = Q()
            for condition, ordering in self.sort.streams:
                within |= Q(pk__in=ids.filter(condition).order_by(*ordering)[:stop])
        else:
            within = Q(pk__in=self.results.values("pk")[start:stop])
            start, stop = 0, stop - start
        page = LearningResource.objects.filter(within).order_by(*self.sort.ordering)
        return self.cards(page)[start:stop]
