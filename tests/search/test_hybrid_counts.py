"""Hybrid search's total is the exact size of the union of the keyword matches and the semantic neighbours (issue 14,
item 6), paging to the end shows every one of them once, and it says "about" only when the keyword engine estimated."""

import pytest

from catalog.factories import CourseFactory
from search import semantic
from search.engines import database, postings
from search.service import SearchParams, run_search

pytestmark = pytest.mark.django_db

ORBITS = semantic.CANDIDATES + 30  # more keyword matches than hybrid's lexical ranking holds


@pytest.fixture
def catalogue(db, reindex, monkeypatch):
    """ORBITS keyword matches of "orbit", three courses that are not (semantic neighbours only), and the semantic
    list: the three, and five keyword matches from the end of the keyword ranking (counted once)."""
    orbits = [
        CourseFactory(title=f"Orbit mechanics {n}", description=f"<p>Lecture {n}{' filler' * (n % 40)}.</p>")
        for n in range(ORBITS)
    ]
    satellites = [CourseFactory(title=f"Satellite trajectories {n}", description="<p>Kepler.</p>") for n in range(3)]
    CourseFactory(title="Bread baking", description="<p>Yeast.</p>")
    reindex()
    neighbours = [*satellites, *orbits[-5:]]

    def semantic_list(vector, request, filters, *, person):
        return [semantic.Candidate(f"resource:{c.pk}", 0.9 - index / 100) for index, c in enumerate(neighbours)]

    monkeypatch.setattr(semantic, "hybrid_semantic_ranking", semantic_list)
    return {"orbits": orbits, "satellites": satellites}


def hybrid(page=1, page_size=100, **kwargs):
    return run_search(SearchParams(q="orbit", page=page, page_size=page_size, mode="hybrid", **kwargs))


def test_the_total_is_the_union_and_paging_to_the_end_shows_it(catalogue):
    expected = {f"resource:{course.pk}" for course in [*catalogue["orbits"], *catalogue["satellites"]]}
    first = hybrid()
    assert first.mode_used == "hybrid"
    assert first.total == ORBITS + 3 == len(expected)
    assert not first.total_capped  # exact
    assert first.facets_estimated  # the facets are counted over the fused set only
    keys, page = [], 1
    while True:
        found = hybrid(page=page)
        assert found.total == len(expected) and not found.total_capped
        keys += [hit.key for hit in found.hits]
        if len(found.hits) < 100:
            break
        page += 1
    assert len(keys) == len(set(keys)) == len(expected)  # none twice
    assert set(keys) == expected  # none missing, no other


def test_with_every_keyword_match_ranked_the_fused_set_is_the_union(catalogue):
    found = run_search(SearchParams(q="satellite", mode="hybrid", page_size=20))
    assert found.total == 3 + 5  # three keyword matches, five neighbours that are not
    assert len(found.hits) == 8 and not found.total_capped and not found.facets_estimated


def test_a_keyword_count_that_is_an_estimate_says_about(catalogue, monkeypatch):
    # "orbit" too common to count (the bound), and more matches than the bounded read holds: estimated.
    monkeypatch.setattr(database, "EXACT_COUNT_LIMIT", ORBITS - 1)
    monkeypatch.setattr(postings, "MAX_CANDIDATES", semantic.CANDIDATES + 10)
    found = hybrid()
    assert found.total_capped and found.facets_estimated
    assert semantic.CANDIDATES + 3 <= found.total <= semantic.CANDIDATES + 8  # the fused set's size


def test_a_date_sort_orders_the_whole_union(catalogue, reindex):
    """Sorted by date, the semantic-only hits take their place among every keyword match (before, the fused set
    was sorted and the other keyword matches listed after it). The dates are unrelated to the keyword ranking."""
    from datetime import UTC, datetime, timedelta

    from catalog.models import LearningResource

    base = datetime(2020, 1, 1, tzinfo=UTC)
    for n, course in enumerate(catalogue["orbits"]):
        LearningResource.objects.filter(pk=course.pk).update(published_at=base + timedelta(days=(n * 7) % ORBITS))
    for n, course in enumerate(catalogue["satellites"]):  # in the middle of the orbits' range
        LearningResource.objects.filter(pk=course.pk).update(published_at=base + timedelta(days=50 + 70 * n, hours=12))
    reindex()
    keys, dates, page = [], [], 1
    while True:
        found = hybrid(page=page, page_size=50, sort="newest")
        assert found.total == ORBITS + 3 and not found.total_capped
        keys += [hit.key for hit in found.hits]
        dates += [hit.published_at for hit in found.hits]
        if len(found.hits) < 50:
            break
        page += 1
    assert len(keys) == len(set(keys)) == ORBITS + 3
    assert dates == sorted(dates, reverse=True)  # one order over the union
