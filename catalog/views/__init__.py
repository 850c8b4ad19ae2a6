"""Learner pages of the catalogue: browse, resource detail, topic and offeror listings.

Only public resources (published and not hidden) appear anywhere: lists, counts, relations and detail pages.
Every view runs a fixed number of queries whatever the size of the catalogue.
"""

from django.core.paginator import Paginator
from django.db.models import Count, Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from catalog.models import (
    LearningResource,
    Offeror,
    ResourceInstructor,
    ResourceRelationship,
    ResourceType,
    Run,
    Topic,
)
from catalog.similar import SimilarUnavailable, similar_resources
from cms.caching import cache_public
from cms.content_cache import get_or_compute

from .browse import (
    DEFAULT_SORT,
    SORTS,
    ListingRows,
    TopicLink,
    apply_facets,
    build_facets,
    count_facets,
    topic_and_descendant_ids,
)
from .jsonld import resource_jsonld

PAGE_SIZE = 24
# A podcast may have hundreds of episodes; the detail page lists the first ones in order.
CHILDREN_LIMIT = 100
RELATED_LIMIT = 6
SIMILAR_LIMIT = 6

# How the detail page titles a resource's children.
CHILDREN_HEADING = {
    ResourceType.PROGRAM: "Courses in this program",
    ResourceType.LEARNING_PATH: "In this learning path",
    ResourceType.PODCAST: "Episodes",
    ResourceType.VIDEO_PLAYLIST: "Videos in this playlist",
}
ACTION_LABEL = {
    ResourceType.COURSE: "Enrol",
    ResourceType.PROGRAM: "Enrol",
    ResourceType.PODCAST: "Listen",
    ResourceType.PODCAST_EPISODE: "Listen",
    ResourceType.VIDEO: "Watch",
    ResourceType.VIDEO_PLAYLIST: "Watch",
    ResourceType.ARTICLE: "Read",
    ResourceType.DOCUMENT: "Read",
}


def card_queryset(queryset=None):
    """Public resources with what a resource card shows (offeror, platform, image, topics)."""
    queryset = LearningResource.objects.public() if queryset is None else queryset
    return queryset.select_related("offered_by", "platform", "image", "stored_image").prefetch_related(
        "topics", "image__renditions", "stored_image__renditions"
    )


def _listing(request, *, base_queryset, template, context, hidden_facets=(), precomputed=False):
    """Filter, count, sort and paginate `base_queryset` (public resources) for a listing page."""
    facets = build_facets(request.GET)
    for facet in facets:
        if facet.name in hidden_facets:
            facet.values = []
    sort_key = request.GET.get("sort", DEFAULT_SORT)
    if sort_key not in SORTS:
        sort_key = DEFAULT_SORT

    results = apply_facets(base_queryset, facets).order_by(*SORTS[sort_key].ordering)
    count_facets(base_queryset, facets, hidden=hidden_facets, precomputed=precomputed)
    paginator = Paginator(ListingRows(results, SORTS[sort_key], card_queryset), PAGE_SIZE)
    # The type facet is counted under every other selection: its selected (or all) options add up to the total.
    type_facet = next(facet for facet in facets if facet.name == "type")
    if type_facet.name not in hidden_facets:
        paginator.count = sum(o.count for o in type_facet.options if o.selected or not type_facet.active)
    page = paginator.get_page(request.GET.get("page"))

    visible_facets = [facet for facet in facets if facet.name not in hidden_facets]
    context = {
        **context,
        "page_obj": page,
        "resources": page.object_list,
        "facets": visible_facets,
        "active_facets": [facet for facet in visible_facets if facet.active],
        "sorts": SORTS,
        "sort": sort_key,
        "filtered": any(facet.active for facet in visible_facets),
    }
    return render(request, template, context)


@require_safe
@cache_public
def browse(request):
    return _listing(
        request,
        base_queryset=LearningResource.objects.public(),
        template="catalog/browse.html",
        context={"heading": "Catalogue"},
        # The whole public catalogue: its facet counts may come from the precomputed rows (catalog.browse_counts).
        precomputed=True,
    )


@require_safe
@cache_public
def topic_detail(request, slug):
    def find():
        topic = Topic.objects.select_related("parent").filter(slug=slug).first()
        if topic is None:
            return None
        return topic, topic_and_descendant_ids(topic), list(topic.children.order_by("name"))

    # The topic, its subtopics' ids and its children: the same until a topic changes (the content cache's
    # generation changes then), so kept there when it is on.
    found = get_or_compute(request, "catalog-topic", slug, find)
    if found is None:
        raise Http404("No such topic.")
    topic, topic_ids, subtopics = found
    base = LearningResource.objects.public().filter(
        pk__in=TopicLink.objects.filter(topic_id__in=topic_ids).values("learningresource_id")
    )
    return _listing(
        request,
        base_queryset=base,
        template="catalog/topic_detail.html",
        context={"topic": topic, "subtopics": subtopics, "heading": topic.name},
    )


@require_safe
@cache_public
def offeror_detail(request, code):
    offeror = get_object_or_404(Offeror, code=code)
    return _listing(
        request,
        base_queryset=LearningResource.objects.public().filter(offered_by=offeror),
        template="catalog/offeror_detail.html",
        context={"offeror": offeror, "heading": offeror.name},
        hidden_facets=("offeror",),
    )


def detail_queryset():
    """Public resources with everything the detail page shows about the resource itself."""
    return (
        LearningResource.objects.public()
        .select_related("offered_by", "platform", "image", "stored_image")
        .prefetch_related(
            "topics",
            "departments",
            "image__renditions",
            "stored_image__renditions",
            Prefetch(
                "instructor_links",
                queryset=ResourceInstructor.objects.select_related("instructor").order_by("position"),
            ),
            Prefetch("runs", queryset=Run.objects.filter(published=True).order_by("start_date", "run_id")),
        )
    )


def related_resources(resource, limit=RELATED_LIMIT):
    """Public resources sharing the most topics with `resource` (then the most viewed)."""
    topic_ids = [topic.pk for topic in resource.topics.all()]
    if not topic_ids:
        return []
    ranked = list(
        TopicLink.objects.filter(
            topic_id__in=topic_ids, learningresource__published=True, learningresource__hidden=False
        )
        .exclude(learningresource_id=resource.pk)
        .values("learningresource_id")
        .annotate(shared=Count("pk"))
        .order_by("-shared", "-learningresource__view_count", "learningresource_id")[:limit]
        .values_list("learningresource_id", flat=True)
    )
    by_id = {r.pk: r for r in card_queryset().filter(pk__in=ranked)}
    return [by_id[pk] for pk in ranked if pk in by_id]


def similar_for_page(resource, related, limit=SIMILAR_LIMIT):
    """Resources like `resource` by meaning (vector search), leaving out those already listed as related; empty
    when vector search is unavailable, so the page never depends on it."""
    shown = {item.pk for item in related}
    try:
        similar = similar_resources(resource, limit + len(shown), card_queryset())
    except SimilarUnavailable:
        return []
    return [item for item in similar if item.pk not in shown][:limit]


@require_safe
@cache_public
def resource_detail(request, slug):
    resource = get_object_or_404(detail_queryset(), slug=slug)

    children_links = (
        ResourceRelationship.objects.filter(parent=resource, child__published=True, child__hidden=False)
        .select_related("child", "child__offered_by", "child__platform")
        .order_by("position", "pk")
    )
    children = [link.child for link in children_links[: CHILDREN_LIMIT + 1]]
    children_total = len(children)
    if children_total > CHILDREN_LIMIT:
        children = children[:CHILDREN_LIMIT]
        children_total = children_links.count()
    parents = [
        link.parent
        for link in ResourceRelationship.objects.filter(
            child=resource, parent__published=True, parent__hidden=False
        ).select_related("parent")
    ]
    runs = list(resource.runs.all())
    upcoming_runs = [run for run in runs if run.is_upcoming]
    next_run = upcoming_runs[0] if upcoming_runs else None
    action_url = (next_run.enrollment_url if next_run and next_run.enrollment_url else "") or resource.url
    instructors = [link.instructor for link in resource.instructor_links.all()]
    related = related_resources(resource)
    context = {
        "resource": resource,
        "runs": runs,
        "next_run": next_run,
        "instructors": instructors,
        "topics": list(resource.topics.all()),
        "departments": list(resource.departments.all()),
        "children": children,
        "children_total": children_total,
        "children_heading": CHILDREN_HEADING.get(resource.resource_type, "Contents"),
        "parents": parents,
        "related": related,
        "similar": similar_for_page(resource, related),
        "action_url": action_url,
        "action_label": ACTION_LABEL.get(resource.resource_type, "Visit"),
        "jsonld": resource_jsonld(
            resource, request=request, runs=runs, instructors=instructors, children=children, parents=parents
        ),
    }
    return render(request, "catalog/resource_detail.html", context)
