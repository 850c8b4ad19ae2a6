"""The catalogue listing's pages (catalog.views.browse.ListingRows): every sort, every page, with and without
filters, lists exactly what the straightforward query (filter, order by the sort's ordering, slice) lists — the
start-date sort read as index-served ranges included, with starts tied across titles, past, upcoming and undated
resources — and deep `?page=N` pages read only the page's rows."""

import datetime
import itertools

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import pytest

from catalog.factories import CourseFactory, VideoFactory
from catalog.models import LearningResource
from catalog.views import PAGE_SIZE
from catalog.views.browse import SORTS

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue():
    """70 public resources over three pages: upcoming, past and undated starts, some sharing a start date or a
    title, two with equal view counts; a hidden and an unpublished one that must never be listed."""
    now = timezone.now()
    starts = [
        now + datetime.timedelta(days=3),
        now + datetime.timedelta(days=3),  # a tie: ordered by title, then id
        now + datetime.timedelta(days=40),
        now + datetime.timedelta(minutes=5),
        now - datetime.timedelta(days=2),
        now - datetime.timedelta(days=2),
        now - datetime.timedelta(days=400),
        None,
    ]
    titles = ["Algebra", "Zoology", "Biology", "Algebra"]
    for index, (start, title) in enumerate(itertools.islice(itertools.cycle(itertools.product(starts, titles)), 70)):
        factory = CourseFactory if index % 3 else VideoFactory
        factory(
            title=f"{title} {index % 5}",
            next_start_date=start,
            view_count=(index * 7) % 11,
            featured=index % 17 == 0,
            published_at=None if index % 4 == 0 else now - datetime.timedelta(days=index % 9),
        )
    CourseFactory(title="Hidden", next_start_date=now + datetime.timedelta(days=1), hidden=True)
    CourseFactory(title="Unpublished", next_start_date=now + datetime.timedelta(days=1), published=False)


def listed(client, query: str) -> list[int]:
    response = client.get(f"/catalog/?{query}")
    assert response.status_code == 200
    return [resource.pk for resource in response.context["resources"]]


def expected(sort: str, page: int, resource_type: str | None = None) -> list[int]:
    queryset = LearningResource.objects.public()
    if resource_type:
        queryset = queryset.filter(resource_type=resource_type)
    ordered = list(queryset.order_by(*SORTS[sort].ordering).values_list("pk", flat=True))
    return ordered[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]


@pytest.mark.parametrize("sort", list(SORTS))
def test_every_page_of_every_sort_is_the_straightforward_query(client, catalogue, sort):
    for page in (1, 2, 3):
        shown = listed(client, f"sort={sort}&page={page}")
        assert shown == expected(sort, page)
        assert shown  # 70 public resources: three non-empty pages


@pytest.mark.parametrize("sort", list(SORTS))
def test_filtered_pages_are_the_straightforward_query(client, catalogue, sort):
    for page in (1, 2):
        assert listed(client, f"sort={sort}&type=course&page={page}") == expected(sort, page, "course")


def test_start_sort_order_is_upcoming_then_past_then_undated(client, catalogue):
    now = timezone.now()
    dates = dict(LearningResource.objects.values_list("pk", "next_start_date"))
    shown = [pk for page in (1, 2, 3) for pk in listed(client, f"sort=start&page={page}")]
    groups = [0 if dates[pk] and dates[pk] >= now else 1 if dates[pk] else 2 for pk in shown]
    assert groups == sorted(groups)
    upcoming = [dates[pk] for pk, group in zip(shown, groups, strict=True) if group == 0]
    past = [dates[pk] for pk, group in zip(shown, groups, strict=True) if group == 1]
    assert upcoming == sorted(upcoming) and past == sorted(past, reverse=True)
    assert len(shown) == LearningResource.objects.public().count() == 70


def test_a_start_that_passes_moves_its_resource_at_once(client, catalogue):
    """Today's order is read with the database's now(): no stored rank that an hourly task would refresh."""
    soon = (
        LearningResource.objects.public()
        .filter(next_start_date__gt=timezone.now())
        .order_by("next_start_date", "title", "pk")
    )
    first = soon.first()
    assert listed(client, "sort=start")[0] == first.pk
    LearningResource.objects.filter(pk=first.pk).update(next_start_date=timezone.now() - datetime.timedelta(seconds=1))
    shown = listed(client, "sort=start")
    assert first.pk not in shown[: soon.count()]
    assert shown == expected("start", 1)


def test_a_page_past_the_end_shows_the_last_page(client, catalogue):
    assert listed(client, "page=99") == expected("newest", 3)


def test_the_page_reads_its_ids_in_a_subquery(client, catalogue):
    """One statement reads the page's rows; the deep offset is applied to the ids, not to the rows."""
    with CaptureQueriesContext(connection) as captured:
        listed(client, "page=3")
    rows = [q["sql"] for q in captured.captured_queries if "LIMIT" in q["sql"] and '"title"' in q["sql"]]
    assert any("IN (SELECT" in sql and "OFFSET 48" in sql for sql in rows), rows
