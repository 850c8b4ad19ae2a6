"""What gets indexed and how: public catalogue resources, live public pages and visible news items, each flattened
into an `IndexDocument`.

Field weights follow the design: title (A) > people — topics, instructors, offeror, platform, departments, course
numbers, run semesters (B) > body — descriptions (C) > content — extracted content-file text (D).
"""

import math
from collections.abc import Iterable, Iterator
from datetime import timedelta

from django.apps import apps
from django.db.models import Prefetch
from django.urls import NoReverseMatch
from django.utils import timezone

from wagtail.models import Page
from wagtail.search import index as wagtail_index

from catalog.models import ContentFile, LearningResource, Run, Topic

from .engines.base import IndexDocument
from .facets import FACETS_BY_KEY, LANGUAGE_NAMES
from .text import plain_text

BATCH_SIZE = 500
CONTENT_LIMIT = 200_000  # characters of content-file text per resource
FEATURED_BOOST = 1.5


def resource_key(pk: int) -> str:
    return f"resource:{pk}"


def page_key(pk: int) -> str:
    return f"page:{pk}"


def news_key(pk: int) -> str:
    return f"news:{pk}"


def popularity_boost(view_count: int, featured: bool) -> float:
    """A small, saturating popularity boost (×1 at 0 views, ×~1.7 at 1M), and the editor's featured boost."""
    boost = 1.0 + 0.05 * math.log1p(max(view_count, 0))
    return round(boost * (FEATURED_BOOST if featured else 1.0), 4)


def _topic_paths() -> dict[int, list[Topic]]:
    """Each topic id → [topic, parent, grandparent, ...], from one query."""
    topics = {topic.pk: topic for topic in Topic.objects.only("pk", "slug", "name", "parent_id")}
    paths = {}
    for pk, topic in topics.items():
        path, seen, current = [], set(), topic
        while current is not None and current.pk not in seen:
            seen.add(current.pk)
            path.append(current)
            current = topics.get(current.parent_id)
        paths[pk] = path
    return paths


def _resource_queryset():
    return (
        LearningResource.objects.public()
        .select_related("offered_by", "platform")
        .prefetch_related(
            "topics",
            "departments",
            "instructor_links__instructor",
            Prefetch("runs", queryset=Run.objects.filter(published=True)),
            Prefetch(
                "content_files",
                queryset=ContentFile.objects.filter(published=True).only("id", "resource_id", "title", "content"),
            ),
        )
    )


def resource_document(resource: LearningResource, topic_paths: dict[int, list[Topic]]) -> IndexDocument:
    runs = list(resource.runs.all())
    instructors = [link.instructor.full_name for link in resource.instructor_links.all()]
    for run in runs:
        instructors.extend(name for name in run.instructors if isinstance(name, str) and name not in instructors)
    topics = list(resource.topics.all())
    departments = list(resource.departments.all())
    semesters = sorted({f"{run.semester} {run.year or ''}".strip() for run in runs if run.semester})

    people = [
        *(topic.name for topic in topics),
        *instructors,
        resource.offered_by.name if resource.offered_by else "",
        resource.platform.name if resource.platform else "",
        *(f"{department.code} {department.name}" for department in departments),
        *resource.course_numbers,
        *semesters,
        *(keyword for keyword in resource.keywords if isinstance(keyword, str)),
    ]
    description = plain_text(resource.description)
    full_description = plain_text(resource.full_description)
    body = " ".join(part for part in (description, full_description if full_description != description else "") if part)
    content_parts, size = [], 0
    for content_file in resource.content_files.all():
        text = f"{content_file.title} {content_file.content}".strip()
        content_parts.append(text[: CONTENT_LIMIT - size])
        size += len(content_parts[-1])
        if size >= CONTENT_LIMIT:
            break

    facets: dict[str, list[tuple[str, str]]] = {
        "type": [(resource.resource_type, resource.get_resource_type_display())]
    }
    topic_values: dict[str, str] = {}
    for topic in topics:
        for node in topic_paths.get(topic.pk, [topic]):
            topic_values.setdefault(node.slug, node.name)
    facets["topic"] = list(topic_values.items())
    if resource.offered_by:
        facets["offeror"] = [(resource.offered_by.code, resource.offered_by.name)]
    if resource.platform:
        facets["platform"] = [(resource.platform.code, resource.platform.name)]
    facets["department"] = [(department.code, str(department)) for department in departments]
    if resource.level:
        facets["level"] = [(resource.level, resource.get_level_display())]
    certification = resource.certification_type
    if resource.certification and certification == "none":
        certification = "completion"
    facets["certification"] = [(certification, FACETS_BY_KEY["certification"].value_label(certification))]
    facets["price"] = [("free", "Free") if resource.free else ("paid", "Paid")]
    if resource.delivery:
        facets["delivery"] = [(resource.delivery, resource.get_delivery_display())]
    facets["language"] = [
        (code, LANGUAGE_NAMES.get(code, code)) for code in resource.languages if isinstance(code, str) and code
    ]

    ends = [run.end_date for run in runs if run.end_date]
    ended_at = max(ends) if ends and not any(run.is_upcoming for run in runs) else None
    return IndexDocument(
        key=resource_key(resource.pk),
        kind="resource",
        object_id=resource.pk,
        doc_type=resource.resource_type,
        title=resource.title,
        url=resource.get_absolute_url() if _has_detail_url() else resource.url,
        image_url=resource.image_url,
        summary=description[:400],
        people=" ".join(part for part in people if part),
        body=body,
        content=" ".join(content_parts),
        boost=popularity_boost(resource.view_count, resource.featured),
        popularity=resource.view_count,
        published_at=resource.published_at or resource.first_seen,
        start_date=resource.next_start_date,
        ended_at=ended_at,
        facets=facets,
        display={
            "type": resource.get_resource_type_display(),
            "offeror": resource.offered_by.name if resource.offered_by else "",
            "platform": resource.platform.name if resource.platform else "",
            "level": resource.get_level_display() if resource.level else "",
            "free": resource.free,
            "certification": resource.certification,
            "featured": resource.featured,
            "topics": [topic.name for topic in topics[:3]],
            "instructors": instructors[:3],
            "course_numbers": list(resource.course_numbers[:3]),
            "external_url": resource.url,
        },
    )


_DETAIL_URL: list[bool] = []


def _has_detail_url() -> bool:
    """The catalogue's detail page may not be routed yet; fall back to the resource's own URL then."""
    if not _DETAIL_URL:
        from django.urls import reverse

        try:
            reverse("catalog:resource-detail", kwargs={"slug": "x"})
            _DETAIL_URL.append(True)
        except NoReverseMatch:
            return False
    return True


def resource_documents(ids: Iterable[int] | None = None, batch_size: int = BATCH_SIZE) -> Iterator[IndexDocument]:
    """Documents of the public resources among `ids` (all public resources when None), in batches."""
    queryset = _resource_queryset().order_by("pk")
    topic_paths = _topic_paths()
    if ids is not None:
        ids = sorted(set(ids))
        for start in range(0, len(ids), batch_size):
            for resource in queryset.filter(pk__in=ids[start : start + batch_size]):
                yield resource_document(resource, topic_paths)
        return
    last = 0
    while True:
        batch = list(queryset.filter(pk__gt=last)[:batch_size])
        if not batch:
            return
        for resource in batch:
            yield resource_document(resource, topic_paths)
        last = batch[-1].pk


def public_resource_count() -> int:
    return LearningResource.objects.public().count()


# --- Pages ---------------------------------------------------------------------------------------


def _page_queryset():
    return Page.objects.live().public().filter(depth__gt=1).specific()


def page_document(page: Page) -> IndexDocument:
    texts = []
    for search_field in page.get_search_fields():
        if not isinstance(search_field, wagtail_index.SearchField) or search_field.field_name == "title":
            continue
        try:
            value = search_field.get_value(page)
        except Exception:  # noqa: BLE001 - a page's custom search field must not stop indexing
            value = None
        if isinstance(value, list | tuple):
            value = " ".join(str(item) for item in value)
        if value:
            texts.append(plain_text(str(value)))
    body = " ".join(dict.fromkeys(text for text in texts if text))
    is_news = page.specific_class.__name__ in {"NewsPage", "EventPage"}
    date = getattr(page, "date", None) or getattr(page, "start", None) or page.first_published_at
    return IndexDocument(
        key=page_key(page.pk),
        kind="page",
        object_id=page.pk,
        doc_type="news" if is_news else "page",
        title=page.title,
        url=page.get_url() or page.url_path,
        summary=(page.search_description or getattr(page, "listing_summary", "") or body)[:400],
        body=body,
        published_at=date,
        start_date=getattr(page, "start", None),
        facets={"type": [("news", "News") if is_news else ("page", "Page")]},
        display={"type": "News" if is_news else "Page"},
    )


def page_documents(ids: Iterable[int] | None = None) -> Iterator[IndexDocument]:
    queryset = _page_queryset()
    if ids is not None:
        queryset = queryset.filter(pk__in=list(ids))
    for page in queryset.iterator(chunk_size=BATCH_SIZE):
        yield page_document(page)


def public_page_ids(ids: Iterable[int]) -> set[int]:
    return set(Page.objects.live().public().filter(pk__in=list(ids)).values_list("pk", flat=True))


# --- News feed items (when the news app provides them) ------------------------------------------


def feed_item_model():
    try:
        return apps.get_model("news", "FeedItem")
    except LookupError:
        return None


def _feed_items():
    model = feed_item_model()
    if model is None:
        return None
    manager = model.objects
    return manager.public() if hasattr(manager, "public") else manager.filter(hidden=False)


def feed_item_document(item) -> IndexDocument:
    summary = plain_text(getattr(item, "summary", ""))
    content = plain_text(getattr(item, "content", ""))
    try:
        url = item.get_absolute_url()
    except (AttributeError, NoReverseMatch):
        url = getattr(item, "link", "")
    topics = list(item.topics.all()) if hasattr(item, "topics") else []
    is_event = getattr(item, "item_type", "news") == "event"
    return IndexDocument(
        key=news_key(item.pk),
        kind="news",
        object_id=item.pk,
        doc_type="news",
        title=item.title,
        url=url,
        image_url=getattr(item, "image_url", ""),
        summary=(summary or content)[:400],
        people=" ".join([*(topic.name for topic in topics), getattr(item, "author", "")]),
        body=f"{summary} {content}".strip(),
        published_at=getattr(item, "published_at", None),
        start_date=getattr(item, "starts_at", None),
        facets={"type": [("news", "News")], "topic": [(topic.slug, topic.name) for topic in topics]},
        display={"type": "Event" if is_event else "News", "source": getattr(item, "source", "")},
    )


def feed_item_documents(ids: Iterable[int] | None = None) -> Iterator[IndexDocument]:
    queryset = _feed_items()
    if queryset is None:
        return
    queryset = queryset.prefetch_related("topics") if hasattr(queryset.model, "topics") else queryset
    if ids is not None:
        queryset = queryset.filter(pk__in=list(ids))
    for item in queryset.iterator(chunk_size=BATCH_SIZE):
        yield feed_item_document(item)


def public_feed_item_ids(ids: Iterable[int]) -> set[int]:
    queryset = _feed_items()
    if queryset is None:
        return set()
    return set(queryset.filter(pk__in=list(ids)).values_list("pk", flat=True))


# --- Everything ----------------------------------------------------------------------------------


def all_documents() -> Iterator[IndexDocument]:
    yield from resource_documents()
    yield from page_documents()
    yield from feed_item_documents()


def document_count() -> int:
    total = public_resource_count() + _page_queryset().count()
    items = _feed_items()
    return total + (items.count() if items is not None else 0)


def decay_cutoff():
    """Resources whose runs all ended before this are ranked lower."""
    return timezone.now() - timedelta(days=365)
