"""The empty-query search page (database engine `_browse_uncached`): its total and facet counts come from
SearchFacetSignature (documents counted per set of facet values, kept by every index write) and its page from
index-read streams. Both must equal the straightforward count and order over every document (`_select`, which
reads them all), in every sort, page and selection, after index writes, re-indexes and deletions, and the counts
never include what is not public (unpublished resources, unpublished pages leave the index)."""

import importlib
from collections import Counter
from datetime import UTC, datetime, timedelta

from django.apps import apps
from django.db import connection
from django.db.models import Count
from django.utils import timezone

import pytest

from catalog.factories import CourseFactory
from catalog.signals import send_resources_changed
from cms.models import StandardPage
from search.engines import IndexDocument, SearchRequest, get_engine
from search.engines.database import BROWSE_STREAMS
from search.models import SearchDocument, SearchFacetSignature
from search.service import parse_params, run_search

BASE = datetime(2025, 1, 1, tzinfo=UTC)
SELECTIONS = [
    {},
    {"type": ["course"]},
    {"type": ["course", "video"], "topic": ["maths"]},
    {"topic": ["physics"], "language": ["fr"]},
    {"offeror": ["ocw"], "level": ["advanced"]},
    {"offeror": ["nobody"]},
]


def document(n: int, *, offeror: str = "") -> IndexDocument:
    """Varied documents: multi-valued topics and languages, ties in boost, popularity and dates, some whose runs
    ended long ago (decayed), upcoming, past and undated starts, news and pages besides resources."""
    now = timezone.now()
    kind = "news" if n % 13 == 0 else "page" if n % 17 == 0 else "resource"
    doc_type = {"news": "news", "page": "page"}.get(kind, "video" if n % 3 == 0 else "course")
    topics = [("maths", "Maths")] if n % 2 else [("physics", "Physics"), ("maths", "Maths")]
    facets = {"type": [(doc_type, doc_type.title())], "topic": topics if n % 5 else []}
    if kind == "resource":
        facets["offeror"] = [(offeror or ("mitx" if n % 4 else "ocw"), "An offeror")]
        facets["level"] = [("advanced", "Advanced")] if n % 6 == 0 else []
        facets["language"] = [("en", "English")] + ([("fr", "French")] if n % 7 == 0 else [])
    return IndexDocument(
        key=f"{kind}:{n}",
        kind=kind,
        object_id=n,
        doc_type=doc_type,
        title=f"Document {n}",
        boost=1.0 + (n % 5) * 0.25,
        popularity=n % 9,
        published_at=None if n % 10 == 0 else BASE + timedelta(days=n % 23),
        start_date=None if n % 3 == 0 else now + timedelta(days=(n % 11) - 5, hours=n % 2),
        ended_at=now - timedelta(days=800) if n % 8 == 0 else None,
        facets=facets,
    )


def straightforward(request: SearchRequest):
    """`_select` over every document: the page, the total and the facet counts of the whole index."""
    with connection.cursor() as cursor:
        page, total, counts, _ = get_engine("database")._select(cursor, request)
    return [pk for pk, _ in page], total, counts


def browsed(request: SearchRequest):
    with connection.cursor() as cursor:
        page, total, counts, capped = get_engine("database")._browse_uncached(cursor, request)
    assert capped is False
    return [pk for pk, _ in page], total, counts


def assert_same_as_straightforward():
    for sort in BROWSE_STREAMS:
        for filters in SELECTIONS:
            for offset in (0, 7, 40, 95):
                request = SearchRequest(text="", filters=filters, sort=sort, offset=offset, limit=10)
                assert browsed(request) == straightforward(request), (sort, filters, offset)


def assert_signatures_match_documents():
    rows = Counter(dict(SearchDocument.objects.order_by().values_list("facet_text").annotate(n=Count("pk"))))
    stored = Counter(dict(SearchFacetSignature.objects.values_list("facet_text", "documents")))
    assert stored == rows


@pytest.fixture
def index(db, settings):
    settings.SEARCH_ENGINE = "database"
    engine = get_engine("database")
    engine.rebuild(iter([document(n) for n in range(1, 101)]))
    return engine


def test_every_sort_page_and_selection_is_the_straightforward_answer(index):
    assert_signatures_match_documents()
    assert_same_as_straightforward()
    total = browsed(SearchRequest(text="", limit=10))[1]
    assert total == 100


def test_index_writes_reindexes_and_deletions_keep_the_counts_exact(index):
    # New documents, re-indexed ones whose facets changed, and deletions, in separate writes.
    index.index([document(n) for n in range(101, 131)])
    index.index([document(n, offeror="ocw") for n in range(1, 40)])
    index.delete([f"resource:{n}" for n in (2, 3, 5, 41, 42, 110)] + ["news:13", "page:17"])
    assert_signatures_match_documents()
    assert_same_as_straightforward()
    assert browsed(SearchRequest(text="", limit=0))[1] == 130 - 8
    # A signature no document holds any more is gone, not left at 0.
    assert not SearchFacetSignature.objects.filter(documents=0).exists()


def test_a_rebuild_replaces_the_counts(index):
    index.rebuild(iter([document(n) for n in range(1, 21)]))
    assert_signatures_match_documents()
    assert browsed(SearchRequest(text="", limit=5))[1] == 20


def test_hidden_unpublished_resources_and_pages_are_never_counted(db, home_page, run_on_commit, settings):
    settings.SEARCH_ENGINE = "database"
    settings.SEARCH_BROWSE_CACHE_SECONDS = 0
    courses = [CourseFactory(title=f"Course {n}", level="advanced" if n % 2 else "introductory") for n in range(6)]
    run_on_commit(send_resources_changed, changed_ids=[course.pk for course in courses])
    page = home_page.add_child(instance=StandardPage(title="About us", live=False))
    run_on_commit(page.save_revision().publish)

    def counts(params):
        found = run_search(parse_params({"q": [""], **params}))
        return found.total, {(f.key, o.value): o.count for f in found.facets for o in f.options}

    total, facets = counts({})
    assert total == 7 and facets[("type", "page")] == 1 and facets[("level", "advanced")] == 3
    hidden, unpublished = courses[1], courses[3]
    hidden.hidden = True
    run_on_commit(hidden.save)
    unpublished.published = False
    run_on_commit(unpublished.save)
    run_on_commit(send_resources_changed, changed_ids=[hidden.pk, unpublished.pk])
    page.refresh_from_db()
    run_on_commit(page.unpublish)
    total, facets = counts({})
    assert total == 4 and ("type", "page") not in facets and facets[("level", "advanced")] == 1
    assert counts({"level": ["advanced"]})[0] == 1
    assert_signatures_match_documents()


def test_the_migration_counts_an_index_written_before_it(index):
    migration = importlib.import_module("search.migrations.0010_browse_signatures")
    SearchFacetSignature.objects.all().delete()  # what an index written before the migration holds
    migration.count_existing(apps, None)
    assert_signatures_match_documents()
    assert_same_as_straightforward()
