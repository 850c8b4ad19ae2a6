"""The database engine's impact-ordered postings: analysis, impacts, document counts kept current, bounded
candidates at the top of the ranking (totals and facet counts cover every match: test_counts.py), and the backfill
the migration runs."""

from collections import Counter

import pytest

from catalog.factories import CourseFactory, TopicFactory
from search.engines import IndexDocument, SearchRequest, get_engine, postings
from search.engines.database import decode_facets, encode_facets, sort_rows
from search.models import SearchPosting, SearchStem
from search.service import parse_params, run_search


def doc(key, title="", people="", body="", content="", **extra):
    return IndexDocument(
        key=key, kind="resource", object_id=int(key.split(":")[1]), doc_type="course", title=title,
        people=people, body=body, content=content, **extra,
    )  # fmt: skip


def stem_counts():
    return dict(SearchStem.objects.exclude(documents=0).values_list("term", "documents"))


def test_analysis_stems_folds_accents_drops_stop_words_and_keeps_course_numbers():
    assert postings.analyse("Learning the Systems of Économie") == ["learn", "system", "economi"]
    assert postings.analyse("6.0001 and e-commerce") == ["6.0001", "e-commerc", "commerc"]
    # A query finds what the index stored: both go through the same analysis.
    assert postings.query_stems(["learning", "learn", "e-commerce"]) == ["learn", "e-commerc", "commerc"]


def test_impacts_rank_title_over_people_over_body_over_content():
    title, people, body, content = (
        postings.impacts(doc("resource:1", **{field: "robotics"}))["robot"]
        for field in ("title", "people", "body", "content")
    )
    assert title > people > body > content > 0
    # Saturation: saying it five times in the body is worth less than five separate mentions' sum.
    five = postings.impacts(doc("resource:2", body="robotics " * 5))["robot"]
    assert body < five < 5 * body


def test_two_words_anywhere_beat_one_word_in_the_title():
    one = postings.impacts(doc("resource:1", title="Chen lectures"))
    two = postings.impacts(doc("resource:2", title="Algebra", people="Leila Chen"))
    assert two["leila"] + two["chen"] > one["chen"]


def test_content_keeps_its_most_frequent_terms(monkeypatch):
    monkeypatch.setattr(postings, "CONTENT_TERMS", 3)
    text = "alpha " * 5 + "beta " * 4 + "gamma " * 3 + "delta " * 2 + "epsilon"
    assert set(postings.impacts(doc("resource:1", content=text))) == {"alpha", "beta", "gamma"}
    # Words of the other fields are kept whatever their count.
    assert "epsilon" in postings.impacts(doc("resource:1", body="epsilon", content=text))


@pytest.mark.django_db
def test_document_counts_follow_index_update_and_delete():
    engine = get_engine("database")
    engine.index([doc("resource:1", title="Robotics"), doc("resource:2", title="Robotics and music")])
    assert stem_counts() == {"": 2, "robot": 2, "music": 1}

    engine.index([doc("resource:2", title="Music theory")])  # re-indexed: robotics gone, theory new
    assert stem_counts() == {"": 2, "robot": 1, "music": 1, "theori": 1}
    assert set(SearchPosting.objects.filter(document__key="resource:2").values_list("term", flat=True)) == {
        "music",
        "theori",
    }

    engine.delete(["resource:1"])
    assert stem_counts() == {"": 1, "music": 1, "theori": 1}
    assert not SearchPosting.objects.filter(term="robot").exists()

    # A rebuild counts the same way as the incremental writes did.
    engine.rebuild(iter([doc("resource:2", title="Music theory")]))
    assert stem_counts() == {"": 1, "music": 1, "theori": 1}


@pytest.mark.django_db
def test_rarer_words_weigh_more():
    engine = get_engine("database")
    engine.index([doc(f"resource:{n}", title="Introduction to chemistry") for n in range(1, 9)])
    engine.index([doc("resource:20", title="Calculus"), doc("resource:21", title="Introduction to biology")])
    results = engine.search(SearchRequest(text="introduction to calculus", terms=["introduction", "calculus"]))
    assert results.hits[0].key == "resource:20"


@pytest.mark.django_db
def test_candidates_bound_the_ranking_but_not_the_total(monkeypatch, client):
    monkeypatch.setattr(postings, "MAX_CANDIDATES", 5)
    monkeypatch.setattr(postings, "PER_TERM", 5)
    topic = TopicFactory(name="Physics", slug="physics")
    strong = [CourseFactory(title=f"Physics {n}", topics=[topic]) for n in range(3)]
    for n in range(12):
        CourseFactory(title=f"Course {n}", description="<p>Some physics inside.</p>", topics=[topic])
    engine = get_engine("database")
    from search.documents import all_documents

    engine.rebuild(all_documents())

    page = run_search(parse_params({"q": ["physics"]}))
    assert page.total == 15 and not page.total_capped and len(page.hits) == 15
    # The best-impact postings are the ones read: the title matches are the candidates, ranked first.
    assert {hit.title for hit in page.hits[:3]} == {course.title for course in strong}
    facets = {facet.key: {option.value: option.count for option in facet.options} for facet in page.facets}
    assert facets["type"] == {"course": 15} and facets["topic"]["physics"] == 15

    data = client.get("/api/v1/search/", {"q": "physics"}).json()
    assert data["count"] == 15 and data["count_capped"] is False
    assert "15 results" in client.get("/search/", {"q": "physics"}).content.decode()

    few = run_search(parse_params({"q": ["physics"], "type": ["video"]}))
    assert few.total == 0


@pytest.mark.django_db
def test_unknown_words_find_nothing_without_error():
    engine = get_engine("database")
    engine.index([doc("resource:1", title="Robotics")])
    results = engine.search(SearchRequest(text="zzzqqq", terms=["zzzqqq"]))
    assert results.total == 0 and not results.total_capped and results.hits == []


@pytest.mark.django_db
def test_backfill_rebuilds_the_same_postings():
    engine = get_engine("database")
    engine.index([doc("resource:1", title="Robotics", body="Motors and gears"), doc("resource:2", people="Ana Bell")])
    before = sorted(SearchPosting.objects.values_list("term", "document__key", "impact"))
    counts = stem_counts()
    SearchPosting.objects.all().delete()
    SearchStem.objects.all().delete()

    assert postings.backfill(batch_size=1) == 2
    assert sorted(SearchPosting.objects.values_list("term", "document__key", "impact")) == before
    assert stem_counts() == counts


def test_facet_text_round_trips_separators_in_labels():
    entries = [("topic", "physics", "Physics \x1f and \x1e more"), ("type", "course", "Course")]
    decoded = decode_facets(encode_facets(entries))
    assert [entry[:2] for entry in decoded] == [("topic", "physics"), ("type", "course")]
    assert decoded[0][2] == "Physics   and   more"
    assert decode_facets("") == []


def test_rows_sort_like_the_sql_order():
    # (id, score, popularity, published_at, start_date)
    rows = [
        (1, 2.0, 5, "2026-01-01", None),
        (2, 3.0, 5, None, "2026-03-01"),
        (3, 2.0, 9, "2026-02-01", "2026-02-01"),
        (4, 3.0, 1, "2026-02-01", "2026-03-01"),
    ]

    def ids(sort):
        copy = list(rows)
        sort_rows(copy, sort, now="2026-02-15")
        return [row[0] for row in copy]

    assert ids("relevance") == [2, 4, 1, 3]
    assert ids("newest") == [4, 3, 1, 2]
    assert ids("start_date") == [2, 4, 3, 1]  # upcoming (soonest, then score), past (latest first), undated
    assert ids("popularity") == [3, 2, 1, 4]
    assert Counter(ids("bogus")) == Counter(ids("relevance"))


@pytest.mark.django_db
def test_browse_pages_are_cached_until_the_index_changes(settings, django_assert_num_queries):
    from django.core.cache import cache

    settings.SEARCH_BROWSE_CACHE_SECONDS = 60
    cache.clear()
    engine = get_engine("database")
    engine.index([doc("resource:1", title="Robotics", facets={"type": [("course", "Course")]})])
    request = SearchRequest(filters={"type": ["course"]})

    first = engine.search(request)
    with django_assert_num_queries(1):  # the documents of the hits only
        again = engine.search(request)
    assert (
        (again.total, again.facet_counts)
        == (first.total, first.facet_counts)
        == (1, {"type": {"course": (1, "Course")}})
    )

    engine.index([doc("resource:2", title="Music", facets={"type": [("course", "Course")]})])
    assert engine.search(request).total == 2
    engine.delete(["resource:1"])
    assert engine.search(request).total == 1
    cache.clear()


@pytest.mark.django_db(transaction=True)
def test_a_rebuild_outside_a_transaction_leaves_fresh_statistics():
    from django.db import connection

    engine = get_engine("database")
    engine.rebuild(iter([doc("resource:1", title="Robotics"), doc("resource:2", title="Music")]))
    assert stem_counts() == {"": 2, "robot": 1, "music": 1}
    if connection.vendor == "postgresql":  # VACUUM ANALYZE ran: the planner knows the table's size
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [postings.POSTING_TABLE])
            assert cursor.fetchone()[0] == 2


def test_highlights_mark_words_by_stem_and_cut_the_best_passage():
    stems = set(postings.query_stems(["learning", "robots"]))
    assert postings.mark_title("Robot Learning", stems) == "\ue000Robot\ue001 \ue000Learning\ue001"
    assert postings.mark_title("Cooking", stems) == ""

    filler = " ".join(f"word{n}" for n in range(60))
    text = f"{filler} machines that learn from robots and learned models {filler}"
    passage = postings.snippet(text, stems, size=10)
    assert passage.startswith("… ") and passage.endswith(" …")
    assert "\ue000learn\ue001 from \ue000robots\ue001" in passage and "\ue000learned\ue001" in passage
    assert len(passage.replace("…", "").split()) == 10
    assert postings.snippet("nothing relevant here", stems) == ""
    assert postings.snippet("Learning first", stems, size=5) == "\ue000Learning\ue001 first"  # nothing cut


@pytest.mark.django_db
def test_a_filter_finds_matches_beyond_the_best_candidates(monkeypatch):
    monkeypatch.setattr(postings, "MAX_CANDIDATES", 5)
    monkeypatch.setattr(postings, "PER_TERM", 5)
    common = {"offeror": [("mitx", "MITx")], "type": [("course", "Course")]}
    rare = {"offeror": [("rare", "Rare Offeror")], "type": [("course", "Course")]}
    engine = get_engine("database")
    engine.index([doc(f"resource:{n}", title=f"Gardening {n}", facets=common) for n in range(1, 13)])
    engine.index([doc("resource:50", title="Soil chemistry", body="Some gardening too.", facets=rare)])

    unfiltered = engine.search(SearchRequest(text="gardening", terms=["gardening"], limit=5))
    assert unfiltered.total == 13 and "resource:50" not in {hit.key for hit in unfiltered.hits}

    filtered = engine.search(SearchRequest(text="gardening", terms=["gardening"], filters={"offeror": ["rare"]}))
    assert [hit.key for hit in filtered.hits] == ["resource:50"] and filtered.total == 1
    assert filtered.facet_counts["offeror"]["rare"] == (1, "Rare Offeror")
    assert filtered.facet_counts["type"] == {"course": (1, "Course")}
