"""The behavioural suite, run against every engine (OpenSearch only when OPENSEARCH_URL is set)."""

import datetime

from django.utils import timezone

import pytest

from catalog.factories import (
    ContentFileFactory,
    CourseFactory,
    DepartmentFactory,
    OfferorFactory,
    TopicFactory,
    VideoFactory,
)
from search.models import Synonym
from search.service import clear_synonym_cache, parse_params, run_search, suggest


def search(q="", **filters):
    data = {"q": [q]}
    for key, value in filters.items():
        data[key] = value if isinstance(value, list) else [value]
    return run_search(parse_params(data))


def titles(page):
    return [hit.title for hit in page.hits]


@pytest.fixture
def catalogue(db):
    cs = TopicFactory(name="Computer Science", slug="computer-science")
    ml = TopicFactory(name="Machine Learning", slug="machine-learning", parent=cs)
    econ = TopicFactory(name="Economics", slug="economics")
    sloan = OfferorFactory(code="see", name="MIT Sloan Executive Education")
    return {
        "ml": CourseFactory(
            title="Introduction to Machine Learning",
            description="<p>Models that learn from data.</p>",
            topics=[ml],
            instructors=["Ana Bell"],
            course_numbers=["6.036"],
            level="introductory",
        ),
        "ml_video": VideoFactory(
            title="Neural networks lecture",
            description="<p>A lecture on deep learning and machine learning methods.</p>",
            topics=[ml],
            level="",
        ),
        "econ": CourseFactory(
            title="Économie du développement",
            description="<p>Development economics and poverty.</p>",
            topics=[econ],
            level="advanced",
            paid=True,
            offered_by=sloan,
        ),
        "cooking": CourseFactory(
            title="Cooking science", description="<p>Kitchen chemistry.</p>", level="advanced", paid=True
        ),
        "hidden": CourseFactory(title="Secret machine learning course", hidden=True),
        "unpublished": CourseFactory(title="Retired machine learning course", unpublished=True),
    }


def test_any_word_matches_and_more_words_rank_higher(catalogue, reindex):
    reindex()
    page = search("machine cooking")
    assert {"Introduction to Machine Learning", "Cooking science"} <= set(titles(page))
    both = search("machine learning")
    assert titles(both)[0] == "Introduction to Machine Learning"


def test_title_outranks_description_and_content(catalogue, reindex):
    ContentFileFactory(resource=catalogue["cooking"], content="robotics appears only in a content file")
    CourseFactory(title="Robotics fundamentals", description="<p>Motors.</p>")
    CourseFactory(title="Mechanisms", description="<p>Robotics and gears.</p>")
    reindex()
    assert titles(search("robotics")) == ["Robotics fundamentals", "Mechanisms", "Cooking science"]


def test_stemming(catalogue, reindex):
    reindex()
    assert "Introduction to Machine Learning" in titles(search("learn"))
    assert "Introduction to Machine Learning" in titles(search("introductions"))


def test_typos_find_results_and_suggest_a_correction(catalogue, reindex):
    reindex()
    page = search("machne lerning")
    assert titles(page)[0] == "Introduction to Machine Learning"
    assert page.did_you_mean == "machine learning"


def test_accents_are_folded_both_ways(catalogue, reindex):
    CourseFactory(title="Resume writing", description="<p>Write a résumé that works.</p>")
    reindex()
    assert titles(search("economie")) == ["Économie du développement"]
    assert titles(search("ÉCONOMIE"))[0] == "Économie du développement"
    assert "Resume writing" in titles(search("résumé"))


def test_instructor_offeror_and_course_number_find_their_courses(catalogue, reindex):
    reindex()
    assert titles(search("ana bell"))[0] == "Introduction to Machine Learning"
    assert titles(search("sloan"))[0] == "Économie du développement"
    assert titles(search("6.036"))[0] == "Introduction to Machine Learning"


def test_never_returns_hidden_or_unpublished(catalogue, reindex):
    reindex()
    found = titles(search("machine learning course"))
    assert "Secret machine learning course" not in found
    assert "Retired machine learning course" not in found


def test_resources_hidden_after_indexing_are_not_returned(catalogue, reindex):
    reindex()
    catalogue["ml"].hidden = True
    catalogue["ml"].save()  # no signal sent: the index is stale, the service still filters
    assert "Introduction to Machine Learning" not in titles(search("machine learning"))


def test_facets_or_within_and_across_with_counts_from_other_selections(catalogue, reindex):
    reindex()
    page = search(level=["introductory", "advanced"])
    assert set(titles(page)) == {"Introduction to Machine Learning", "Économie du développement", "Cooking science"}
    page = search(level=["introductory", "advanced"], price="paid")
    assert set(titles(page)) == {"Économie du développement", "Cooking science"}
    facets = {facet.key: {option.value: option.count for option in facet.options} for facet in page.facets}
    # Level counts apply the price selection only; price counts apply the level selection only.
    assert facets["level"] == {"advanced": 2, "introductory": 0} or facets["level"] == {"advanced": 2}
    assert facets["price"] == {"paid": 2, "free": 1}
    selected = {(facet.key, option.value) for facet in page.facets for option in facet.options if option.selected}
    assert ("price", "paid") in selected and ("level", "advanced") in selected


def test_selected_facet_value_without_matches_stays_visible(catalogue, reindex):
    reindex()
    page = search(level=["introductory", "advanced"], price="paid")
    levels = {option.value: option for facet in page.facets if facet.key == "level" for option in facet.options}
    assert levels["introductory"].selected and levels["introductory"].count == 0


def test_parent_topic_matches_children(catalogue, reindex):
    reindex()
    page = search(topic="computer-science")
    assert set(titles(page)) == {"Introduction to Machine Learning", "Neural networks lecture"}
    topics = {option.value: option for facet in page.facets if facet.key == "topic" for option in facet.options}
    assert topics["machine-learning"].parent == "computer-science"
    assert topics["computer-science"].count == 2


def test_unknown_facet_value_filters_to_nothing(catalogue, reindex):
    reindex()
    assert search("machine", topic="no-such-topic").total == 0
    assert search(type="spaceship").hits == []


def test_sorts(catalogue, reindex):
    now = timezone.now()
    old = CourseFactory(title="Old course", view_count=5000, published_at=now - datetime.timedelta(days=900))
    new = CourseFactory(title="New course", view_count=1, published_at=now - datetime.timedelta(days=1))
    soon = CourseFactory(
        title="Soon course",
        published_at=now - datetime.timedelta(days=30),
        runs=[{"start_date": now + datetime.timedelta(days=3)}],
    )
    dated = {"published_at": now - datetime.timedelta(days=60)}
    later = CourseFactory(title="Later course", runs=[{"start_date": now + datetime.timedelta(days=40)}], **dated)
    started = CourseFactory(title="Started course", runs=[{"start_date": now - datetime.timedelta(days=20)}], **dated)
    long_ago = CourseFactory(
        title="Long ago course", runs=[{"start_date": now - datetime.timedelta(days=400)}], **dated
    )
    reindex()
    assert titles(search("course", sort="newest"))[0] == new.title
    assert titles(search("course", sort="popularity"))[0] == old.title
    # Upcoming first (soonest first), then past starts (most recent first), then undated; browsing too.
    order = [soon.title, later.title, started.title, long_ago.title]
    for q in ("course", ""):
        ranked = titles(run_search(parse_params({"q": [q], "sort": ["start_date"], "page_size": ["100"]})))
        assert [title for title in ranked if title in order] == order


def test_featured_boost_and_decay_of_long_past_runs(db, reindex):
    now = timezone.now()
    past = [{"start_date": now - datetime.timedelta(days=800), "end_date": now - datetime.timedelta(days=700)}]
    CourseFactory(title="Quantum computing A", view_count=0, runs=past)
    CourseFactory(title="Quantum computing B", view_count=0)
    CourseFactory(title="Quantum computing C", view_count=0, featured=True)
    reindex()
    assert titles(search("quantum computing")) == ["Quantum computing C", "Quantum computing B", "Quantum computing A"]


def test_pagination_past_the_end_is_empty(db, reindex):
    CourseFactory.create_batch(5, description="<p>Shared words about gardening.</p>")
    reindex()
    page = run_search(parse_params({"q": ["gardening"], "page_size": ["2"], "page": ["3"]}))
    assert page.total == 5 and len(page.hits) == 1
    page = run_search(parse_params({"q": ["gardening"], "page_size": ["2"], "page": ["99"]}))
    assert page.total == 5 and page.hits == []


@pytest.mark.parametrize(
    "query",
    [
        "x" * 1000,
        '"unbalanced quote',
        "machine AND OR NOT NEAR learning",
        "NEAR(machine learning, 2)",
        "* : - ^ ( ) { } [ ]",
        "title:machine -learning +data",
        "\x00\x01\x1f machine \x7f",
        "'; DROP TABLE search_searchdocument; --",
        "machine*",
        "ü" * 300,
        "🤖 robots",
    ],
)
def test_bad_input_never_fails(catalogue, reindex, query):
    reindex()
    page = search(query)
    assert page.total >= 0
    suggest(query)


def test_operators_are_searched_as_words(catalogue, reindex):
    reindex()
    assert titles(search("machine AND"))[0] == "Introduction to Machine Learning"


def test_empty_query_browses(catalogue, reindex):
    reindex()
    page = search("")
    assert sorted(hit.title for hit in page.hits if hit.kind == "resource") == [
        "Cooking science",
        "Introduction to Machine Learning",
        "Neural networks lecture",
        "Économie du développement",
    ]
    assert {facet.key for facet in page.facets} >= {"type", "topic", "level", "price", "offeror"}


def test_highlights_are_escaped_with_marks(db, reindex):
    CourseFactory(title="Robotics <b>bold</b>", description="<p>Build robotics projects &amp; more.</p>")
    reindex()
    hit = search("robotics").hits[0]
    assert "<mark>" in hit.title_html and "<b>" not in hit.title_html
    assert "<mark>" in hit.snippet_html


def test_synonyms_expand_queries(catalogue, reindex):
    reindex()
    assert search("ai").total == 0
    Synonym.objects.create(terms="ai, machine learning")
    clear_synonym_cache()
    assert titles(search("ai"))[0] == "Introduction to Machine Learning"


def test_suggest_completes_titles_and_words(catalogue, reindex):
    reindex()
    result = suggest("introduction to mach")
    assert [hit.title for hit in result["results"]] == ["Introduction to Machine Learning"]
    assert "introduction to machine" in result["completions"]
    assert "Secret machine learning course" not in [hit.title for hit in suggest("secret")["results"]]


def test_departments_facet(db, reindex):
    department = DepartmentFactory(code="6", name="Electrical Engineering and Computer Science")
    CourseFactory(title="Circuits", departments=[department])
    CourseFactory(title="Poetry")
    reindex()
    page = search(department="6")
    assert titles(page) == ["Circuits"]


def test_popularity_lifts_an_equal_match_and_platforms_and_semesters_are_searchable(db, reindex):
    from catalog.factories import PlatformFactory

    CourseFactory(title="Soil science", view_count=0)
    popular = CourseFactory(title="Soil science", view_count=50_000)
    CourseFactory(title="Pottery", platform=PlatformFactory(code="quill", name="Quillbox"))
    CourseFactory(title="Weaving", runs=[{"semester": "Fall", "year": 2031}])
    reindex()
    page = search("soil science")
    assert [hit.object_id for hit in page.hits][0] == popular.pk
    assert titles(search("quillbox")) == ["Pottery"]
    assert titles(search("2031")) == ["Weaving"]
