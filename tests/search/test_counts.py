"""Exact totals and facet counts, and sorts over every match (issue 14, item 6): the database engine counts every
document its matching rule selects — not just the bounded candidates its relevance ranking starts from — and paging
to the end shows each of them once; the page and the API say "about" only where an engine estimated."""

import json
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from catalog.factories import CourseFactory, TopicFactory
from search.documents import all_documents
from search.engines import IndexDocument, SearchRequest, SearchResults, get_engine, postings
from search.engines.database import DatabaseEngine
from search.engines.opensearch import FACET_KEYS, facet_counts_estimated, search_body, total_from
from search.service import SearchParams, run_search

from .test_opensearch_http import ALIAS, stand_in  # noqa: F401 - the OpenSearch stand-in fixture

MATCHING = 650  # more than postings.MAX_CANDIDATES (500): the ranking's bounded candidates cannot hold them all
BASE = datetime(2024, 1, 1, tzinfo=UTC)


def orbit_documents() -> list[IndexDocument]:
    """MATCHING documents about orbits (strong title matches and weaker body matches of many lengths, several
    facet values, dates with gaps) and 40 that do not match."""
    documents = []
    for n in range(1, MATCHING + 1):
        strong = n % 7 == 0
        documents.append(
            IndexDocument(
                key=f"resource:{n}",
                kind="resource",
                object_id=n,
                doc_type="course",
                title=f"Orbit mechanics {n}" if strong else f"Space course {n}",
                body="" if strong else "filler words " * (n % 40) + "one orbit here",
                popularity=n % 17,
                published_at=None if n % 11 == 0 else BASE + timedelta(days=n % 97, minutes=n),
                facets={
                    "type": [("video" if n % 3 == 0 else "course", "Video" if n % 3 == 0 else "Course")],
                    "offeror": [("mitx" if n % 2 else "ocw", "MITx" if n % 2 else "OCW")],
                    "level": [("advanced", "Advanced")] if n % 5 == 0 else [],
                },
            )
        )
    for n in range(MATCHING + 1, MATCHING + 41):
        documents.append(
            IndexDocument(
                key=f"resource:{n}",
                kind="resource",
                object_id=n,
                doc_type="course",
                title=f"Cooking {n}",
                facets={"type": [("course", "Course")], "offeror": [("mitx", "MITx")]},
            )
        )
    return documents


@pytest.fixture
def orbits(db):
    documents = orbit_documents()
    get_engine("database").rebuild(iter(documents))
    return {document.key: document for document in documents}


def page_through(request: SearchRequest, page_size: int = 100) -> tuple[list[str], set[int]]:
    """Every hit's key, page after page until a page comes back short, and the totals the pages reported."""
    engine = get_engine("database")
    keys, totals, offset = [], set(), 0
    while True:
        request.offset, request.limit = offset, page_size
        results = engine.search(request)
        assert not results.total_capped
        keys += [hit.key for hit in results.hits]
        totals.add(results.total)
        if len(results.hits) < page_size:
            return keys, totals
        offset += page_size


def selected(document: IndexDocument, filters: dict[str, list[str]], skip: str = "") -> bool:
    return all(
        {value for value, _ in document.facets.get(facet, [])} & set(values)
        for facet, values in filters.items()
        if facet != skip
    )


def orbit_request(**kwargs) -> SearchRequest:
    return SearchRequest(text="orbit", terms=["orbit"], **kwargs)


@pytest.mark.parametrize("sort", ["relevance", "newest", "start_date", "popularity"])
def test_paging_to_the_end_shows_every_match_once_and_the_total_says_how_many(orbits, sort):
    keys, totals = page_through(orbit_request(sort=sort))
    assert totals == {MATCHING}
    assert len(keys) == len(set(keys)) == MATCHING  # none repeated
    assert set(keys) == {key for key, document in orbits.items() if "Cooking" not in document.title}  # none missing


def test_relevance_starts_with_the_bounded_ranking_and_sorts_cover_every_match(orbits):
    engine = get_engine("database")
    keys, _ = page_through(orbit_request())
    # The first MAX_CANDIDATES positions are the bounded ranking, unchanged: the title matches lead.
    strong = {key for key, document in orbits.items() if document.title.startswith("Orbit")}
    assert set(keys[: len(strong)]) == strong
    first = engine.search(orbit_request(limit=20))
    assert [hit.key for hit in first.hits] == keys[:20]

    # Newest first over all 650, not over the best 500: the globally newest match is first, undated ones last.
    newest, _ = page_through(orbit_request(sort="newest"))
    dates = [orbits[key].published_at for key in newest]
    dated = [date for date in dates if date is not None]
    assert dated == sorted(dated, reverse=True) and dates[len(dated) :] == [None] * (len(dates) - len(dated))
    assert newest[0] == max((key for key in keys if orbits[key].published_at), key=lambda key: orbits[key].published_at)
    popular, _ = page_through(orbit_request(sort="popularity"))
    assert [orbits[key].popularity for key in popular] == sorted(
        (orbits[key].popularity for key in popular), reverse=True
    )


@pytest.mark.parametrize(
    "filters",
    [{}, {"type": ["course"]}, {"type": ["course"], "offeror": ["ocw"]}, {"level": ["advanced"], "type": ["video"]}],
)
def test_totals_and_facet_counts_are_exact_under_the_other_facets_selections(orbits, filters):
    matching = [document for document in orbits.values() if "Cooking" not in document.title]
    results = get_engine("database").search(orbit_request(filters=filters))
    assert results.total == sum(1 for document in matching if selected(document, filters))
    assert not results.total_capped and not results.facets_estimated
    for facet in ("type", "offeror", "level"):
        # Each facet counted over the matches holding the *other* facets' selections.
        expected = Counter(
            value
            for document in matching
            if selected(document, filters, skip=facet)
            for value, _ in document.facets.get(facet, [])
        )
        assert {value: count for value, (count, _) in results.facet_counts.get(facet, {}).items()} == expected
    keys, totals = page_through(orbit_request(filters=filters))
    assert totals == {results.total} and len(set(keys)) == len(keys) == results.total


def test_a_filter_the_bounded_candidates_miss_still_counts_and_pages_every_match(orbits, monkeypatch):
    # With a ranking of 20 candidates, most matches of a selection are beyond them: they still count and show.
    monkeypatch.setattr(postings, "MAX_CANDIDATES", 20)
    monkeypatch.setattr(postings, "PER_TERM", 20)
    filters = {"level": ["advanced"]}
    expected = {
        key for key, document in orbits.items() if "Cooking" not in document.title and selected(document, filters)
    }
    keys, totals = page_through(orbit_request(filters=filters), page_size=7)
    assert totals == {len(expected)} and len(keys) == len(expected) and set(keys) == expected


@pytest.mark.django_db
@pytest.mark.parametrize("bounded", [500, 2])  # every match among the candidates, or counted beyond them in SQL
def test_what_matches_means_a_word_or_most_of_a_synonym_phrase(monkeypatch, bounded):
    monkeypatch.setattr(postings, "MAX_CANDIDATES", bounded)

    def document(n, title):
        return IndexDocument(key=f"resource:{n}", kind="resource", object_id=n, doc_type="course", title=title)

    engine = get_engine("database")
    engine.index(
        [
            document(1, "NLP in practice"),
            document(2, "Natural language processing"),
            document(3, "Natural light in design"),  # one word of the phrase: not a match
            document(4, "Language processing for linguists"),  # two of its three words: a match
            document(5, "Cooking"),
        ]
    )
    request = SearchRequest(
        text="nlp",
        terms=["nlp"],
        expansions=["natural", "language", "processing"],
        phrases=[["natural", "language", "processing"]],
    )
    results = engine.search(request)
    assert results.total == 3 and {hit.key for hit in results.hits} == {"resource:1", "resource:2", "resource:4"}
    assert not results.total_capped
    assert engine.search(SearchRequest(text="nlp", terms=["nlp"], sort="newest")).total == 1


# --- "about" only where estimated ---------------------------------------------------------------------------


@pytest.fixture
def physics(db, monkeypatch):
    """Twelve physics courses and a ranking of five candidates."""
    monkeypatch.setattr(postings, "MAX_CANDIDATES", 5)
    monkeypatch.setattr(postings, "PER_TERM", 5)
    topic = TopicFactory(name="Physics", slug="physics")
    for n in range(12):
        CourseFactory(title=f"Physics {n}", topics=[topic])
    get_engine("database").rebuild(all_documents())


def test_exact_counts_never_say_about(client, physics):
    data = client.get("/api/v1/search/", {"q": "physics", "mode": "lexical"}).json()
    assert data["count"] == 12 and data["count_capped"] is False and data["facet_counts_estimated"] is False
    assert data["num_pages"] == 1 and len(data["results"]) == 12
    html = client.get("/search/", {"q": "physics", "mode": "lexical"}).content.decode()
    assert "12 results" in " ".join(html.split())
    assert "about" not in html.split("search-results")[0].split("<main")[-1]


@pytest.mark.parametrize("total_estimated,facets_estimated", [(True, True), (True, False), (False, True)])
def test_estimated_numbers_say_about_and_exact_ones_do_not(
    client, physics, monkeypatch, total_estimated, facets_estimated
):
    exact = DatabaseEngine.search

    def estimating(self, request):
        results = exact(self, request)
        return SearchResults(
            total=results.total,
            hits=results.hits,
            facet_counts=results.facet_counts,
            total_capped=total_estimated,
            facets_estimated=facets_estimated,
        )

    monkeypatch.setattr(DatabaseEngine, "search", estimating)
    data = client.get("/api/v1/search/", {"q": "physics", "mode": "lexical"}).json()
    assert data["count_capped"] is total_estimated and data["facet_counts_estimated"] is facets_estimated
    html = " ".join(client.get("/search/", {"q": "physics", "mode": "lexical"}).content.decode().split())
    assert ("about 12+ results" in html) is total_estimated and ("12 results" in html) is not total_estimated
    assert ('<span class="count">about 12<span' in html) is facets_estimated
    assert ('<span class="count">12<span' in html) is not facets_estimated


# --- OpenSearch ------------------------------------------------------------------------------------------------


def test_opensearch_asks_for_exact_totals_and_facet_error_bounds_and_reports_estimates():
    body = search_body(SearchRequest(text="orbit", terms=["orbit"]))
    assert body["track_total_hits"] is True
    assert {body["aggs"][key]["aggs"]["values"]["terms"]["show_term_doc_count_error"] for key in FACET_KEYS} == {True}

    assert total_from({"total": {"value": 12_345, "relation": "eq"}}) == (12_345, False)
    assert total_from({"total": {"value": 10_000, "relation": "gte"}}) == (10_000, True)
    exact = {
        "type": {"values": {"buckets": [{"key": "course\x1fCourse", "doc_count": 9, "doc_count_error_upper_bound": 0}]}}
    }
    assert facet_counts_estimated(exact) is False
    several_shards = {
        "type": {"values": {"buckets": [{"key": "video\x1fVideo", "doc_count": 4, "doc_count_error_upper_bound": 2}]}}
    }
    assert facet_counts_estimated(several_shards) is True


def test_opensearch_totals_and_facet_counts_off_the_wire_are_exact(db, stand_in, settings):  # noqa: F811
    from search.engines.opensearch import OpenSearchEngine

    for n in range(3):
        CourseFactory(title=f"Orbit mechanics {n}")
    CourseFactory(title="Cooking")
    OpenSearchEngine().rebuild(all_documents())
    settings.SEARCH_ENGINE = "opensearch"
    page = run_search(SearchParams(q="orbit", mode="lexical"))
    assert page.total == 3 and not page.total_capped and not page.facets_estimated
    sent = json.loads(stand_in.bodies("POST", f"/{ALIAS}/_search")[-1])
    assert sent["track_total_hits"] is True


def test_a_query_too_common_to_count_is_estimated_over_its_candidates_and_says_so(orbits, monkeypatch, client):
    from search.engines import database

    monkeypatch.setattr(database, "EXACT_COUNT_LIMIT", MATCHING - 1)  # "orbit" is held by MATCHING documents
    results = get_engine("database").search(orbit_request())
    assert results.total == postings.MAX_CANDIDATES and results.total_capped and results.facets_estimated
    monkeypatch.setattr(database, "EXACT_COUNT_LIMIT", MATCHING)
    results = get_engine("database").search(orbit_request())
    assert results.total == MATCHING and not results.total_capped and not results.facets_estimated


def test_a_ranking_for_fusion_holds_the_bounded_candidates_only_and_counts_every_match(orbits):
    # Hybrid fuses the keyword ranking it was tuned on: the candidates, never the matches counted after them.
    results = get_engine("database").search(orbit_request(limit=1000, ranked_only=True, facets=False))
    assert len(results.hits) == postings.MAX_CANDIDATES and results.total == MATCHING
    everything = get_engine("database").search(orbit_request(limit=1000, facets=False))
    assert [hit.key for hit in everything.hits][: postings.MAX_CANDIDATES] == [hit.key for hit in results.hits]
    assert len(everything.hits) == MATCHING


@pytest.mark.parametrize("exact", [True, False])
def test_ranking_several_selections_at_once_gives_each_selections_own_ranking(orbits, monkeypatch, exact):
    # Hybrid ranks its candidate sets (one per selected facet) from one read of the candidates: each must be the
    # ranking a call of its own gives, the filtered second read of a rare selection included.
    from search.engines import database

    if not exact:
        monkeypatch.setattr(database, "EXACT_COUNT_LIMIT", MATCHING - 1)
    engine = DatabaseEngine()
    filters = {"offeror": ["ocw"], "level": ["advanced"], "type": ["video"]}
    selections = {"": filters, **{key: {k: v for k, v in filters.items() if k != key} for key in filters}}
    request = orbit_request(limit=200, ranked_only=True, facets=False, highlight=False)
    together = engine.ranked_ids(request, selections)
    for index, (name, selected_filters) in enumerate(selections.items()):
        alone = orbit_request(
            limit=200, ranked_only=True, facets=False, highlight=False, count=index == 0, filters=selected_filters
        )
        page, total, estimated = engine.ranked_ids(alone)
        assert together[name][0] == page, name
        if index == 0:
            assert (together[name][1], together[name][2]) == (total, estimated)
    assert together[""][2] is not exact
