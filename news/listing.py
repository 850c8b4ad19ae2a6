"""Listings that mix editor pages with imported feed items, in a bounded number of queries.

One UNION query orders the keys of both kinds by date and paginates them; then each kind's rows for the page are
fetched with what the templates use. The query count does not grow with the number of rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db.models import CharField, F, Prefetch, Q, QuerySet, Value
from django.utils import timezone

from catalog.models import Topic
from cms.content_cache import get_or_compute
from cms.models import CustomImage
from cms.models.pages import exclude_private

from .models import EventPage, FeedItem, FeedSource, ItemType, NewsPage

EDITORIAL = "editorial"  # the `source` filter value of editor-written pages
LISTING_RENDITION = "fill-480x270"


@dataclass
class Entry:
    """One row of a listing, whichever kind it is."""

    kind: str  # "page" or "item"
    title: str
    url: str
    date: datetime | None
    summary: str = ""
    item_type: str = ItemType.NEWS
    source_name: str = ""
    image: object = None  # a CustomImage for pages
    image_url: str = ""
    image_alt: str = ""
    topics: list = field(default_factory=list)
    ends: datetime | None = None
    location: str = ""
    online: bool = False
    date_estimated: bool = False
    obj: object = None


def _images():
    return CustomImage.objects.prefetch_renditions(LISTING_RENDITION)


def _keys(qs: QuerySet, kind: str, date_field: str) -> QuerySet:
    return (
        qs.order_by()
        .annotate(kind=Value(kind, output_field=CharField()), sort_date=F(date_field))
        .values_list("pk", "kind", "sort_date")
    )


def source_names() -> dict[str, str]:
    return dict(FeedSource.objects.values_list("source_name", "name"))


def news_querysets(*, index_page=None, source: str = "", topic: str = "", item_type: str = ""):
    """The editor pages and the feed items a news listing shows, filtered; either may be None (excluded)."""
    pages = exclude_private(NewsPage.objects.live())
    if index_page is not None:
        pages = pages.child_of(index_page)
    items = FeedItem.objects.public()
    if index_page is not None and not index_page.include_feed_items:
        items = None
    if source == EDITORIAL:
        items = None
    elif source:
        pages = None
        items = items.filter(source=source) if items is not None else None
    if item_type == ItemType.EVENT:
        pages = None
        items = items.events() if items is not None else None
    elif item_type == ItemType.NEWS and items is not None:
        items = items.news()
    if topic:
        pages = pages.filter(topics__slug=topic) if pages is not None else None
        items = items.filter(topics__slug=topic) if items is not None else None
    return pages, items


def combined_keys(pages, items, *, page_date="date", item_date="published_at", descending=True):
    parts = []
    if pages is not None:
        parts.append(_keys(pages, "page", page_date))
    if items is not None:
        parts.append(_keys(items, "item", item_date))
    if not parts:
        return FeedItem.objects.none().values_list("pk", "pk", "pk")
    combined = parts[0] if len(parts) == 1 else parts[0].union(*parts[1:], all=True)
    order = ("-sort_date", "-kind", "-pk") if descending else ("sort_date", "kind", "pk")
    return combined.order_by(*order)


def build_entries(keys, *, page_model=NewsPage, names: dict[str, str] | None = None) -> list[Entry]:
    """Entries for (pk, kind, date) keys in their order, with a fixed number of queries; `names` (source → feed
    name) saves the query that reads them when the caller has them already."""
    page_ids = [pk for pk, kind, _ in keys if kind == "page"]
    item_ids = [pk for pk, kind, _ in keys if kind == "item"]
    pages = {}
    if page_ids:
        pages = {
            page.pk: page
            for page in page_model.objects.filter(pk__in=page_ids)
            .select_related("locale")
            .prefetch_related(
                Prefetch("lead_image", queryset=_images()),
                Prefetch("listing_image", queryset=_images()),
                "topics",
            )
        }
    items = {}
    names = {}
    if item_ids:
        items = {item.pk: item for item in FeedItem.objects.filter(pk__in=item_ids).prefetch_related("topics")}
        names = source_names() if names is None else names
    entries = []
    for pk, kind, _ in keys:
        if kind == "page" and pk in pages:
            entries.append(page_entry(pages[pk]))
        elif kind == "item" and pk in items:
            entries.append(item_entry(items[pk], names))
    return entries


def page_entry(page) -> Entry:
    is_event = isinstance(page, EventPage)
    return Entry(
        kind="page",
        title=page.display_title,
        url=page.url,
        date=page.start if is_event else page.date,
        ends=page.end if is_event else None,
        summary=page.summary,
        item_type=ItemType.EVENT if is_event else ItemType.NEWS,
        source_name="",
        image=page.listing_image or page.lead_image,
        topics=list(page.topics.all()),
        location=page.location if is_event else "",
        online=page.online if is_event else False,
        obj=page,
    )


def item_entry(item: FeedItem, names: dict[str, str]) -> Entry:
    is_event = item.item_type == ItemType.EVENT
    return Entry(
        kind="item",
        title=item.title,
        url=item.get_absolute_url(),
        date=(item.starts_at or item.published_at) if is_event else item.published_at,
        ends=item.ends_at,
        summary=item.summary,
        item_type=item.item_type,
        source_name=names.get(item.source, item.source),
        image_url=item.image_url,
        image_alt=item.image_alt,
        topics=list(item.topics.all()),
        location=item.location,
        online=item.online,
        date_estimated=item.date_estimated,
        obj=item,
    )


def paginate(request, keys, per_page: int):
    paginator = Paginator(keys, per_page)
    try:
        return paginator.page(request.GET.get("page") or 1)
    except (PageNotAnInteger, EmptyPage):
        return paginator.page(1 if not str(request.GET.get("page", "")).isdigit() else paginator.num_pages)


def topic_choices():
    """Topics that at least one news page or feed item carries."""
    page_topics = NewsPage.topics.through.objects.values("topic_id")
    item_topics = FeedItem.topics.through.objects.values("topic_id")
    return Topic.objects.filter(Q(pk__in=page_topics) | Q(pk__in=item_topics)).only("name", "slug")


def source_choices():
    used = FeedItem.objects.public().values("source")
    return [(EDITORIAL, "Editorial")] + list(
        FeedSource.objects.filter(source_name__in=used).values_list("source_name", "name")
    )


def _clean_filters(request) -> dict:
    return {
        "source": request.GET.get("source", "").strip()[:64],
        "topic": request.GET.get("topic", "").strip()[:140],
        "item_type": request.GET.get("type", "").strip() if request.GET.get("type") in ItemType.values else "",
    }


def _query_without_page(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def news_listing_context(request, *, index_page) -> dict:
    filters = _clean_filters(request)
    pages, items = news_querysets(index_page=index_page, **filters)
    page_obj = paginate(request, combined_keys(pages, items), index_page.per_page or 12)
    # The filters' choices change only with the content: kept in the content cache when it is on.
    choices = get_or_compute(request, "news-source-choices", (), source_choices)
    # Every listed item is public, so its feed is among the choices: their names serve the entries (one query less).
    names = dict(choices[1:])
    return {
        "entries": build_entries(list(page_obj.object_list), names=names),
        "page_obj": page_obj,
        "filters": filters,
        "topic_choices": get_or_compute(request, "news-topic-choices", (), lambda: list(topic_choices())),
        "source_choices": choices,
        "type_choices": ItemType.choices,
        "filter_query": _query_without_page(request),
    }


def latest_news(*, count: int = 4, topic: str = "", source: str = "") -> list[Entry]:
    """The newest `count` news entries; `topic` is a topic's name or slug, `source` a feed or "editorial"."""
    if topic:
        topic = (
            Topic.objects.filter(Q(name__iexact=topic) | Q(slug=topic)).values_list("slug", flat=True).first() or topic
        )
    pages, items = news_querysets(source=source, topic=topic, item_type=ItemType.NEWS)
    return build_entries(list(combined_keys(pages, items)[:count]))


def events_querysets(*, index_page=None, past=False, now=None):
    now = now or timezone.now()
    pages = exclude_private(EventPage.objects.live())
    if index_page is not None:
        pages = pages.child_of(index_page)
    ended = Q(end__lt=now) | Q(end__isnull=True, start__lt=now)
    pages = pages.filter(ended) if past else pages.exclude(ended)
    items = FeedItem.objects.public()
    items = items.past(now) if past else items.upcoming(now)
    if index_page is not None and not index_page.include_feed_items:
        items = None
    return pages, items


def upcoming_events(*, count: int = 3) -> list[Entry]:
    """The `count` soonest events that have not ended (event pages and imported events)."""
    pages, items = events_querysets()
    keys = combined_keys(pages, items, page_date="start", item_date="starts_at", descending=False)
    return build_entries(list(keys[:count]), page_model=EventPage)


def events_listing_context(request, *, index_page) -> dict:
    past = request.GET.get("when") == "past"
    pages, items = events_querysets(index_page=index_page, past=past)
    keys = combined_keys(pages, items, page_date="start", item_date="starts_at", descending=past)
    page_obj = paginate(request, keys, index_page.per_page or 12)
    return {
        "entries": build_entries(list(page_obj.object_list), page_model=EventPage),
        "page_obj": page_obj,
        "past": past,
        "filter_query": _query_without_page(request),
    }
