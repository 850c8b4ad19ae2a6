"""Issue 14, hybrid at or above its parts on every query kind: an abbreviation that a synonym adds counts for less
than the typed word, a synonym's phrase counts only as a phrase, and a query naming an institution or a person keeps
its keyword precision in hybrid search. Runs on whichever database the run uses (CI: SQLite and PostgreSQL)."""

import pytest

from catalog.factories import CourseFactory, OfferorFactory
from search import names, semantic
from search.engines import SearchRequest
from search.names import name_forms, named_offerors, names_instructor
from search.service import SearchParams, build_request, clear_synonym_cache, run_search

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_caches():
    clear_synonym_cache()
    names.clear_cache()
    yield
    clear_synonym_cache()
    names.clear_cache()


def titles(page):
    return [hit.title for hit in page.hits]


def lexical(q):
    return run_search(SearchParams(q=q, mode="lexical"))


def test_an_abbreviation_the_learner_did_not_type_counts_for_less(reindex, monkeypatch):
    # The default synonym set holds "js, javascript".
    for n in range(4):
        CourseFactory(title=f"JavaScript course {n}", description="<p>Functions and closures.</p>")
    CourseFactory(title="React JS course 9", description="<p>Functions and closures.</p>")
    for n in range(20):
        CourseFactory(title=f"Pottery course {n}", description="<p>Clay and glazes.</p>")
    reindex()
    request, _ = build_request(SearchParams(q="javascript"))
    assert request.term_weights == {"js": 0.5}
    assert titles(lexical("javascript"))[-1] == "React JS course 9"
    # At full weight the rarer abbreviation would outrank the word typed: the weight is what keeps it below.
    monkeypatch.setattr("search.service.ABBREVIATION_WEIGHT", 1.0)
    assert titles(lexical("javascript"))[0] == "React JS course 9"
    # Typed, the abbreviation is a word like any other; its expansion is what the learner meant.
    request, _ = build_request(SearchParams(q="js"))
    assert request.term_weights == {}


def test_a_typo_fix_is_trusted_as_the_word_meant(reindex):
    CourseFactory(title="Machine learning foundations")
    reindex()
    request, did_you_mean = build_request(SearchParams(q="machne learning"))
    assert did_you_mean == "machine learning"
    assert "machine" in request.expansions and "machine" not in request.term_weights


def test_a_synonym_phrase_counts_only_as_a_phrase(reindex):
    CourseFactory(title="Natural language processing with transformers")
    CourseFactory(title="Natural light in design")
    CourseFactory(title="Programming languages")
    reindex()
    request, _ = build_request(SearchParams(q="nlp"))
    assert ["natural", "language", "processing"] in request.phrases
    found = titles(lexical("nlp"))
    assert found == ["Natural language processing with transformers"]


def test_two_of_three_words_of_a_phrase_still_count(reindex):
    # Each word's postings are read to a bound: a common word can be missing from a document's reads.
    CourseFactory(title="Natural language and the computer representation of knowledge")
    CourseFactory(title="Natural light in design")
    reindex()
    assert titles(lexical("nlp")) == ["Natural language and the computer representation of knowledge"]


def test_offeror_name_forms():
    assert ("yale",) in name_forms("Yale University", "yale-university")
    assert ("berklee",) in name_forms("Berklee College of Music", "berklee-college-of-music")
    assert ("johns", "hopkins") in name_forms("Johns Hopkins University", "johns-hopkins-university")
    # No short form when the name starts with a generic word.
    assert name_forms("University of Michigan", "university-of-michigan") == {("university", "of", "michigan")}


def test_a_query_naming_an_offeror_as_a_whole_is_recognised(db):
    OfferorFactory(code="johns-hopkins-university", name="Johns Hopkins University")
    OfferorFactory(code="deeplearningai", name="deeplearning.ai")
    OfferorFactory(code="berklee-college-of-music", name="Berklee College of Music")
    assert named_offerors("Johns Hopkins") == ["johns-hopkins-university"]
    assert named_offerors("johns hopkins university") == ["johns-hopkins-university"]
    assert named_offerors("deeplearning.ai") == ["deeplearningai"]
    assert named_offerors("berklee") == ["berklee-college-of-music"]
    for other in ["music", "johns hopkins nursing", "university", "hopkins"]:
        assert named_offerors(other) == [], other


def test_a_query_naming_an_instructor_is_recognised(db):
    CourseFactory(title="Linear algebra", instructors=["Gilbert Strang"])
    assert names_instructor("gilbert strang")
    assert names_instructor("Gilbert Strang")
    assert not names_instructor("gilbert")
    assert not names_instructor("linear algebra")


def _semantic_filters_of(q, monkeypatch):
    """The filters hybrid search gave its semantic list, and whether that list was kept."""
    seen = {}

    def fake_semantic(vector, filters, limit=semantic.CANDIDATES, min_score=None):
        seen["filters"] = filters
        return [semantic.Candidate("resource:999999", 0.9)]

    monkeypatch.setattr(semantic, "semantic_ranking", fake_semantic)
    monkeypatch.setattr(semantic, "lexical_ranking", lambda request, engine, filters, limit=0: [])
    fused = semantic.hybrid_ranking([0.0], SearchRequest(text=q, terms=q.split()), None, {})
    return seen["filters"], bool(fused)


def test_hybrid_keeps_institutions_and_people_to_their_keyword_precision(db, monkeypatch):
    OfferorFactory(code="yale-university", name="Yale University")
    CourseFactory(title="Linear algebra", instructors=["Gilbert Strang"])
    filters, kept = _semantic_filters_of("yale", monkeypatch)
    assert filters == {"offeror": ["yale-university"]} and kept
    filters, kept = _semantic_filters_of("gilbert strang", monkeypatch)
    assert not kept  # a person's name: keyword matches only
    filters, kept = _semantic_filters_of("moral philosophy", monkeypatch)
    assert filters == {} and kept
