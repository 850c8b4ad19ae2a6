"""Blocks that draw on the catalogue: chosen resources, live resource queries and program lists.

Rendering never fails on a resource that was unpublished, hidden or deleted after an editor chose it: it is left
out for learners, and listed in a warning in previews (and in the page editor, see cms.panels).
"""

from django.db.models import Count, F, Func, IntegerField, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wagtail import blocks

from catalog.models import LearningResource, ResourceType
from catalog.models.resources import public_q
from cms.blocks.cached import CachedFragmentMixin
from cms.choosers import ResourceChooserBlock

MAX_QUERY_COUNT = 24

ORDERINGS = {
    "featured": ("-featured", "-view_count", "title"),
    "newest": ("-first_seen", "title"),
    "upcoming": ("next_start_date", "title"),
    "popular": ("-view_count", "title"),
    "title": ("title",),
}


def card_queryset(public_only=True):
    """Resources with everything a resource card shows, in one query (renditions are fetched separately).

    `program_page_path` is the url_path of a live ProgramPage about the resource, so that program cards link to
    the curated page (see cms_tags.resource_card_url).
    """
    from cms.models import ProgramPage

    program_pages = ProgramPage.objects.live().filter(program=OuterRef("pk")).order_by("path")
    queryset = LearningResource.objects.select_related("offered_by", "platform").annotate(
        public_child_count=Count("child_links", filter=public_q("child_links__child__"), distinct=True),
        program_page_path=Subquery(program_pages.values("url_path")[:1]),
    )
    return queryset.public() if public_only else queryset


def serialize_resources(ids, context=None):
    """The catalogue API representation of the public resources among `ids`, in the order given."""
    from catalog.api.serializers import LearningResourceSerializer, public_resources_queryset

    ids = [pk for pk in ids if pk is not None]
    if not ids:
        return []
    by_id = {resource.pk: resource for resource in public_resources_queryset().filter(pk__in=ids)}
    ordered = [by_id[pk] for pk in dict.fromkeys(ids) if pk in by_id]
    serializer_context = {"request": (context or {}).get("request")}
    return list(LearningResourceSerializer(ordered, many=True, context=serializer_context).data)


def split_public(resources):
    """(public resources, warnings for the editor) from a list of chosen resources (None = deleted)."""
    shown, missing = [], []
    for resource in resources:
        if resource is None:
            missing.append(_("A chosen resource no longer exists in the catalogue."))
        elif not resource.is_public:
            state = _("hidden by an editor") if resource.hidden else _("unpublished at its source")
            missing.append(_("“%(title)s” is %(state)s.") % {"title": resource.title, "state": state})
        else:
            shown.append(resource)
    return shown, missing


def preview_resources(count=3, resource_type=None):
    """Real public resources for block previews in the admin (empty when the catalogue is)."""
    queryset = card_queryset()
    if resource_type:
        queryset = queryset.filter(resource_type=resource_type)
    return [resource.pk for resource in queryset.order_by("-featured", "-view_count")[:count]]


def topic_choices():
    from catalog.models import Topic

    return [(topic.slug, topic.full_name) for topic in Topic.objects.select_related("parent").order_by("name")]


def offeror_choices():
    from catalog.models import Offeror

    return [(offeror.code, offeror.name) for offeror in Offeror.objects.order_by("name")]


class CatalogueChoiceBlock(blocks.ChoiceBlock):
    """A choice among catalogue rows (topic slugs, offeror codes) that keeps the stored string as it is.

    Wagtail normalises a choice against the full choice list on every load; here that list is a query, and the
    stored slug is already the key, so loading a page costs no query (the form still validates the choice).
    """

    def to_python(self, value):
        return value or ""

    def normalize(self, value):
        return value or ""


class ResourceListBlock(blocks.StructBlock):
    heading = blocks.CharBlock(required=False, max_length=255)
    introduction = blocks.TextBlock(required=False)
    resources = blocks.ListBlock(ResourceChooserBlock(), min_num=1, max_num=24)
    layout = blocks.ChoiceBlock(
        choices=[("cards", _("Cards")), ("list", _("Compact list"))], default="cards", required=True
    )

    class Meta:
        template = "components/resource_list_block.html"
        icon = "list-ul"
        label = _("Resource list")
        description = _("Resources you pick from the catalogue, in your order.")
        preview_value = {
            "heading": "Start here",
            "introduction": "Three courses our editors recommend.",
            "resources": [],
            "layout": "cards",
        }

    def get_preview_value(self):
        value = dict(self.meta.preview_value)
        value["resources"] = preview_resources()
        return self.normalize(self.to_python(value))

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context=parent_context)
        context["resources"], context["missing"] = split_public(value["resources"])
        return context

    def get_api_representation(self, value, context=None):
        resources, _missing = split_public(value["resources"])
        return {
            "heading": value["heading"],
            "introduction": value["introduction"],
            "layout": value["layout"],
            "resources": serialize_resources([r.pk for r in resources], context),
        }


class ResourceQueryBlock(CachedFragmentMixin, blocks.StructBlock):
    """Live results from the catalogue: the editor sets filters and a count, learners see what matches today."""

    heading = blocks.CharBlock(required=False, max_length=255)
    resource_type = blocks.ChoiceBlock(choices=ResourceType.choices, required=False)
    topic = CatalogueChoiceBlock(choices=topic_choices, required=False, help_text=_("Includes its subtopics."))
    offeror = CatalogueChoiceBlock(choices=offeror_choices, required=False)
    free_only = blocks.BooleanBlock(required=False, label=_("Free only"))
    upcoming_only = blocks.BooleanBlock(required=False, label=_("Starting soon only"))
    ordering = blocks.ChoiceBlock(
        choices=[
            ("featured", _("Featured first")),
            ("newest", _("Newest")),
            ("upcoming", _("Next start date")),
            ("popular", _("Most popular")),
            ("title", _("Title")),
        ],
        default="featured",
    )
    count = blocks.IntegerBlock(default=6, min_value=1, max_value=MAX_QUERY_COUNT)

    class Meta:
        template = "components/resource_query_block.html"
        icon = "search"
        label = _("Resource query")
        description = _("Live results from the catalogue matching filters you set (type, topic, offeror, …).")
        preview_value = {"heading": "Free courses", "resource_type": "course", "free_only": True, "count": 3}

    @staticmethod
    def query_key(raw):
        fields = ("resource_type", "topic", "offeror", "free_only", "upcoming_only", "ordering", "count")
        return ("resource_query", *(raw.get(name) for name in fields))

    @staticmethod
    def query_ids(raw):
        """Ids of the public resources matching a block's raw value (a dict), in display order."""
        queryset = LearningResource.objects.public()
        if raw.get("resource_type"):
            queryset = queryset.filter(resource_type=raw["resource_type"])
        if raw.get("topic"):
            queryset = queryset.filter(Q(topics__slug=raw["topic"]) | Q(topics__parent__slug=raw["topic"])).distinct()
        if raw.get("offeror"):
            queryset = queryset.filter(offered_by__code=raw["offeror"])
        if raw.get("free_only"):
            queryset = queryset.filter(free=True)
        if raw.get("upcoming_only") or raw.get("ordering") == "upcoming":
            queryset = queryset.filter(next_start_date__gte=timezone.now())
        ordering = ORDERINGS.get(raw.get("ordering") or "featured", ORDERINGS["featured"])
        try:
            count = max(1, min(int(raw.get("count") or 6), MAX_QUERY_COUNT))
        except (TypeError, ValueError):
            count = 6
        return list(queryset.order_by(*ordering).values_list("pk", flat=True)[:count])

    def collect_references(self, raw, refs):
        ids = self.query_ids(raw)
        refs[self.query_key(raw)] = ids
        refs[LearningResource].update(ids)

    def results(self, value, loaded=None):
        raw = {name: value.get(name) for name in self.child_blocks}
        key = self.query_key(raw)
        if loaded is not None and key in loaded:
            resources = loaded.get(LearningResource, {})
            return [resources[pk] for pk in loaded[key] if pk in resources]
        ids = self.query_ids(raw)
        by_id = card_queryset().in_bulk(ids)
        return [by_id[pk] for pk in ids if pk in by_id]

    def prepare(self, value, loaded):
        # Not asked for by prefetch_stream when its HTML is kept (cms.blocks.cached): then nothing to prepare.
        if self.query_key({name: value.get(name) for name in self.child_blocks}) in loaded:
            value.results = self.results(value, loaded)

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context=parent_context)
        results = getattr(value, "results", None)
        context["resources"] = results if results is not None else self.results(value)
        # "See all": the catalogue's own facet parameters (catalog.views.browse.build_facets).
        context["browse_query"] = {
            key: value_
            for key, value_ in (
                ("type", value.get("resource_type")),
                ("topic", value.get("topic")),
                ("offeror", value.get("offeror")),
                ("free", "true" if value.get("free_only") else ""),
            )
            if value_
        }
        return context

    def get_api_representation(self, value, context=None):
        results = getattr(value, "results", None)
        if results is None:
            results = self.results(value)
        return {
            "heading": value.get("heading"),
            "filters": {
                "resource_type": value.get("resource_type") or None,
                "topic": value.get("topic") or None,
                "offeror": value.get("offeror") or None,
                "free_only": bool(value.get("free_only")),
                "upcoming_only": bool(value.get("upcoming_only")),
                "ordering": value.get("ordering"),
                "count": value.get("count"),
            },
            "resources": serialize_resources([r.pk for r in results], context),
        }


class ProgramListBlock(CachedFragmentMixin, blocks.StructBlock):
    """Programs: the ones you pick, or the newest programs in the catalogue when you pick none."""

    heading = blocks.CharBlock(required=False, max_length=255)
    programs = blocks.ListBlock(
        ResourceChooserBlock(), required=False, default=[], help_text=_("Leave empty to show the newest programs.")
    )
    count = blocks.IntegerBlock(default=3, min_value=1, max_value=12)

    class Meta:
        template = "components/program_list_block.html"
        icon = "folder-open-inverse"
        label = _("Program list")
        description = _("A row of program cards, chosen or the newest in the catalogue.")
        preview_value = {"heading": "Programs", "programs": [], "count": 3}

    def collect_references(self, raw, refs):
        if not raw.get("programs"):
            ids = self.default_ids(raw.get("count"))
            refs[("program_list", raw.get("count"))] = ids
            refs[LearningResource].update(ids)

    def default_ids(self, count):
        try:
            count = max(1, min(int(count or 3), 12))
        except (TypeError, ValueError):
            count = 3
        queryset = LearningResource.objects.public().filter(resource_type=ResourceType.PROGRAM)
        return list(queryset.order_by("-featured", "-first_seen", "title").values_list("pk", flat=True)[:count])

    def results(self, value, loaded=None):
        chosen = list(value["programs"])
        if chosen:
            return split_public(chosen)
        key = ("program_list", value.get("count"))
        if loaded is not None and key in loaded:
            resources = loaded.get(LearningResource, {})
            return [resources[pk] for pk in loaded[key] if pk in resources], []
        ids = self.default_ids(value.get("count"))
        by_id = card_queryset().in_bulk(ids)
        return [by_id[pk] for pk in ids if pk in by_id], []

    def fragment_cacheable(self, plain) -> bool:
        return not dict(plain).get("programs")  # chosen programs: previews list the missing ones

    def prepare(self, value, loaded):
        if list(value["programs"]) or ("program_list", value.get("count")) in loaded:
            value.results = self.results(value, loaded)

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context=parent_context)
        results = getattr(value, "results", None) or self.results(value)
        context["resources"], context["missing"] = results
        return context

    def get_api_representation(self, value, context=None):
        results = getattr(value, "results", None) or self.results(value)
        return {
            "heading": value.get("heading"),
            "programs": serialize_resources([r.pk for r in results[0]], context),
        }


def topics_with_counts(slugs=(), count=12):
    """Topics with `resource_count`, the public resources about each (its subtopics included).

    The chosen `slugs` in that order, or else the `count` top-level topics with the most resources (empty ones
    left out). One query.
    """
    from catalog.models import Topic

    # COUNT(DISTINCT ...) as a plain function, not an aggregate, so that the subquery adds no GROUP BY; a resource
    # with both a topic and one of its subtopics counts once.
    counted = (
        LearningResource.objects.public()
        .filter(Q(topics=OuterRef("pk")) | Q(topics__parent=OuterRef("pk")))
        .order_by()
        .annotate(n=Func(F("pk"), template="COUNT(DISTINCT %(expressions)s)", output_field=IntegerField()))
        .values("n")
    )
    topics = Topic.objects.annotate(resource_count=Subquery(counted, output_field=IntegerField()))
    if slugs:
        by_slug = {topic.slug: topic for topic in topics.filter(slug__in=slugs)}
        return [by_slug[slug] for slug in dict.fromkeys(slugs) if slug in by_slug]
    topics = topics.filter(parent__isnull=True, resource_count__gt=0).order_by("-resource_count", "name")
    return list(topics[:count])


class TopicBrowseBlock(CachedFragmentMixin, blocks.StructBlock):
    """Links to topics' catalogue pages with their number of resources: the ones you pick, or the biggest."""

    heading = blocks.CharBlock(required=False, max_length=255, default=_("Browse by topic"))
    topics = blocks.ListBlock(
        CatalogueChoiceBlock(choices=topic_choices),
        required=False,
        default=[],
        help_text=_("Leave empty to show the top-level topics with the most resources."),
    )
    count = blocks.IntegerBlock(default=12, min_value=1, max_value=48, help_text=_("When no topics are picked."))

    class Meta:
        template = "components/topic_browse_block.html"
        icon = "tag"
        label = _("Browse by topic")
        description = _("Links to topic pages of the catalogue, with how many resources each has.")
        preview_value = {"heading": "Browse by topic", "topics": [], "count": 8}

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context=parent_context)
        context["topics"] = topics_with_counts([slug for slug in value.get("topics") or [] if slug], value["count"])
        return context

    def get_api_representation(self, value, context=None):
        topics = topics_with_counts([slug for slug in value.get("topics") or [] if slug], value["count"])
        return {
            "heading": value.get("heading"),
            "topics": [
                {"name": topic.name, "slug": topic.slug, "resource_count": topic.resource_count} for topic in topics
            ],
        }
