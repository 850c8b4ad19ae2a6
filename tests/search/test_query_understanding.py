"""Issue 14: one query behaviour in every mode and on both databases — typo fixes (PostgreSQL as SQLite), synonyms
and acronyms (a default set ships), questions, what is embedded, hybrid never narrower than semantic, "no close
match", and hybrid as the default on the page and the API. The suite runs on whichever database the run uses (CI
runs it on SQLite and on PostgreSQL)."""

import pytest

from catalog.factories import ContentFileFactory, CourseFactory, OfferorFactory, TopicFactory
from search import semantic
from search.models import Synonym
from search.service import (
    DEFAULT_MODE,
    NEAREST_SHOWN,
    SearchParams,
    build_request,
    clear_synonym_cache,
    parse_params,
    run_search,
)
from search.text import content_words, is_question, tokens
from search.vectors.chunking import chunk_text
from search.vectors.encoders import get_encoder
from search.vectors.index import embed_content_files, embed_resources, ensure_collections, resource_text
from search.vectors.stores import EmbeddedVectorStore

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_synonyms():
    clear_synonym_cache()
    yield
    clear_synonym_cache()


@pytest.fixture(scope="module")
def encoder():
    return get_encoder()


@pytest.fixture
def store(db, tmp_path, monkeypatch, encoder):
    store = EmbeddedVectorStore(tmp_path / "vectors")
    ensure_collections(store, encoder)
    monkeypatch.setattr(semantic, "get_vector_store", lambda: store)
    yield store
    store.close()


@pytest.fixture
def courses(db, reindex):
    cs = TopicFactory(name="Computer Science", slug="computer-science")
    made = {
        "python": CourseFactory(title="Python for everybody", description="<p>Programming for beginners.</p>"),
        "python2": CourseFactory(title="Data analysis with Python", description="<p>Pandas and notebooks.</p>"),
        "ml": CourseFactory(
            title="Machine learning foundations",
            description="<p>Regression, classification and neural networks.</p>",
            topics=[cs],
        ),
        "ux": CourseFactory(title="User experience research", description="<p>Interviews and usability tests.</p>"),
        "guitar": CourseFactory(title="Blues guitar for beginners", description="<p>Chords and riffs.</p>"),
        "start": CourseFactory(title="Start your own business", description="<p>Do it right from day one.</p>"),
        "code": CourseFactory(title="Code your first website", description="<p>HTML and CSS from scratch.</p>"),
        "yale": CourseFactory(
            title="Moral foundations of politics",
            description="<p>Political philosophy.</p>",
            offered_by=OfferorFactory(code="yale", name="Yale University"),
        ),
    }
    reindex()
    return made


def lexical(q, **extra):
    return run_search(SearchParams(q=q, mode="lexical", **extra))


def titles(page):
    return [hit.title for hit in page.hits]


# --- Typos: the same correction on SQLite and PostgreSQL ------------------------------------------------


def test_a_transposed_typo_is_corrected_on_this_database(courses):
    # "pyhton" is 0.273 trigram-similar to "python": PostgreSQL's 0.3 pre-filter used to drop it (0 results).
    page = lexical("pyhton")
    assert page.did_you_mean == "python"
    assert {"Python for everybody", "Data analysis with Python"} <= set(titles(page))


def test_a_real_word_the_catalogue_lacks_is_not_corrected(courses, reindex, monkeypatch):
    # The catalogue knows "finding" (one edit from "fishing") but not "fishing", which is a real English word.
    CourseFactory(title="Finding your way", description="<p>Maps and compasses.</p>")
    reindex()
    request, did_you_mean = build_request(SearchParams(q="trout fishing"))
    assert did_you_mean == ""
    assert "finding" not in request.expansions and request.meaning_text == "trout fishing"
    assert "Finding your way" not in titles(lexical("trout fishing"))
    # Without the word list the catalogue's nearest word would replace it: the list is what keeps it.
    monkeypatch.setattr("search.service.is_known_word", lambda word: False)
    assert build_request(SearchParams(q="trout fishing"))[1] == "trout finding"


def test_the_word_list_holds_english_words_and_not_typos():
    from search.words import is_known_word, known_words

    assert len(known_words()) > 15000
    for word in ["fishing", "guitar", "statistics", "python", "knitting"]:
        assert is_known_word(word), word
    for typo in ["pyhton", "gutiar", "statistcs", "machne", "javasript", "##ing"]:
        assert not is_known_word(typo), typo


def test_typo_correction_and_synonyms_reach_the_embedded_query(courses):
    request, did_you_mean = build_request(SearchParams(q="machne lerning"))
    assert did_you_mean == "machine learning"
    assert request.meaning_text.startswith("machine learning")
    request, _ = build_request(SearchParams(q="ml"))
    assert request.meaning_text == "ml (machine learning)"


def test_semantic_search_embeds_the_corrected_query(courses, store, encoder, monkeypatch):
    embed_resources(list(type(courses["ml"]).objects.all()), store=store, encoder=encoder)
    embedded = []
    real = semantic.embed_query
    monkeypatch.setattr(semantic, "embed_query", lambda text: embedded.append(text) or real(text))
    typo = run_search(SearchParams(q="pyhton", mode="semantic"))
    right = run_search(SearchParams(q="python", mode="semantic"))
    assert embedded == ["python", "python"]
    assert titles(typo) == titles(right)
    assert typo.did_you_mean == "python"


# --- Synonyms and acronyms: a default, editable set ships -------------------------------------------------


def test_the_default_synonym_set_is_installed_and_editable():
    terms = {tuple(synonym.term_list()[:2]) for synonym in Synonym.objects.all()}
    for pair in [("ml", "machine learning"), ("ai", "artificial intelligence"), ("ux", "user experience")]:
        assert pair in terms
    Synonym.objects.filter(terms__startswith="ux,").delete()
    clear_synonym_cache()
    assert build_request(SearchParams(q="ux"))[0].expansions == []


def test_an_acronym_finds_what_its_expansion_names(courses):
    assert titles(lexical("ml"))[0] == "Machine learning foundations"
    assert titles(lexical("ux"))[0] == "User experience research"


# --- Questions ---------------------------------------------------------------------------------------------


def test_question_words_and_fillers_are_dropped_but_subjects_stay():
    words = tokens("How do I start learning to code?")
    assert is_question("How do I start learning to code?", words)
    assert content_words(words) == ["code"]
    assert content_words(tokens("what is machine learning and how does it work")) == ["machine", "learning"]
    assert not is_question("machine learning", tokens("machine learning"))


def test_a_question_does_not_match_titles_on_its_filler_words(courses):
    page = lexical("how do i start learning to code")
    assert titles(page)[0] == "Code your first website"
    assert "Start your own business" not in titles(page)


# --- What is embedded and how it is cut -----------------------------------------------------------------------


def test_resource_text_is_the_full_learner_facing_text(db):
    course = CourseFactory(
        title="Signals and systems",
        description="<p>A short summary.</p>",
        full_description="<p>The long description: Fourier series, Laplace transforms and filters.</p>",
        instructors=["Alan Oppenheim"],
        offered_by=OfferorFactory(code="ocw", name="MIT OpenCourseWare"),
    )
    text = resource_text(course)
    for part in ["Signals and systems", "A short summary.", "Laplace transforms", "Alan Oppenheim", "OpenCourseWare"]:
        assert part in text


def test_chunks_are_sized_with_the_encoders_own_tokenizer(encoder):
    text = "Transforms\n\n" + "The Fourier transform splits a signal into its frequencies. " * 200
    chunks = chunk_text(text, size=encoder.chunk_limit(), overlap=16, tokens=encoder.chunk_tokens())
    assert len(chunks) > 3
    # Every chunk is read whole by the encoder ([CLS] and [SEP] included), and keeps the text's own case.
    assert all(len(encoder.counting_tokenizer.encode(chunk.text).ids) <= encoder.max_tokens for chunk in chunks)
    assert all(chunk.text.startswith("Transforms\n") for chunk in chunks)
    assert "Fourier" in chunks[1].text


def test_content_chunks_are_cut_to_what_the_encoder_reads(db, store, encoder, settings):
    settings.EMBEDDING_CHUNK_TOKENS = 512
    course = CourseFactory(title="Long notes")
    ContentFileFactory(resource=course, content="Lecture notes on control systems and feedback. " * 300)
    files = list(course.content_files.select_related("resource__offered_by", "resource__platform").all())
    count = embed_content_files(files, store=store, encoder=encoder)
    # 300 sentences of ~9 MiniLM tokens: cut at 512 cl100k tokens this was 6 chunks, most of each never read.
    assert count >= 11


# --- Hybrid: never narrower than semantic, the default, and "no close match" -------------------------------


def test_hybrid_returns_at_least_what_semantic_returns(courses, store, encoder):
    embed_resources(list(type(courses["ml"]).objects.all()), store=store, encoder=encoder)
    for q in ["python", "neural networks", "guitar"]:
        meaning = run_search(SearchParams(q=q, mode="semantic"))
        both = run_search(SearchParams(q=q, mode="hybrid"))
        assert both.mode_used == "hybrid"
        assert both.total >= meaning.total
        assert set(titles(meaning)) <= set(titles(both)) or both.no_close_match


def test_hybrid_is_the_default_on_the_page_and_the_api(client, courses, store, encoder):
    embed_resources(list(type(courses["ml"]).objects.all()), store=store, encoder=encoder)
    assert DEFAULT_MODE == "hybrid"
    assert parse_params({"q": ["python"]}).mode == "hybrid"
    data = client.get("/api/v1/search/", {"q": "python"}).json()
    assert data["mode"] == "hybrid"
    assert data["mode_used"] == "hybrid"
    page = client.get("/search/", {"q": "python"})
    assert page.status_code == 200
    assert page.context["result"].mode_used == "hybrid"


def test_without_vectors_the_default_falls_back_to_keywords_quietly(courses, monkeypatch):
    def unavailable():
        raise RuntimeError("no vector store here")

    monkeypatch.setattr(semantic, "get_vector_store", unavailable)
    page = run_search(parse_params({"q": ["python"]}))
    assert page.mode_used == "lexical"
    assert page.notice == ""
    assert "Python for everybody" in titles(page)
    asked = run_search(parse_params({"q": ["python"], "mode": ["hybrid"]}))
    assert asked.notice


def test_no_close_match_shows_the_nearest_few_and_says_so(client, courses, store, encoder):
    embed_resources(list(type(courses["ml"]).objects.all()), store=store, encoder=encoder)
    answered = run_search(SearchParams(q="python"))
    assert answered.no_close_match is False
    unanswerable = run_search(SearchParams(q="sourdough bread baking"))
    assert unanswerable.no_close_match is True
    assert len(unanswerable.hits) <= NEAREST_SHOWN
    assert unanswerable.total <= NEAREST_SHOWN
    data = client.get("/api/v1/search/", {"q": "sourdough bread baking"}).json()
    assert data["no_close_match"] is True
    assert client.get("/api/v1/search/", {"q": "python"}).json()["no_close_match"] is False
    html = client.get("/search/", {"q": "sourdough bread baking"}).content.decode()
    assert "No close match" in html


@pytest.mark.parametrize("mode", ["lexical", "hybrid"])
@pytest.mark.parametrize("sort", ["relevance", "newest"])
def test_later_pages_and_other_orders_keep_their_hits(courses, reindex, store, encoder, mode, sort):
    """The close-match verdict is the first page's in relevance order: page 2 of a good match is not cut to the
    "nearest few" because its own (weaker) hits do not show the query's words."""
    for n in range(25):
        CourseFactory(title=f"Python project {n}", description="<p>Scripts.</p>")
    CourseFactory(title="Advanced topics", description="<p>Decorators and generators in python.</p>")
    embed_resources(list(type(courses["ml"]).objects.all()), store=store, encoder=encoder)
    reindex()
    first = run_search(SearchParams(q="python", mode=mode, sort=sort, page=1, page_size=20))
    second = run_search(SearchParams(q="python", mode=mode, sort=sort, page=2, page_size=20))
    assert first.total >= 28 and len(first.hits) == 20
    assert second.total == first.total and len(second.hits) == first.total - 20
    assert second.no_close_match is None and first.no_close_match is (False if sort == "relevance" else None)


def test_an_institution_keeps_its_keyword_precision(courses):
    page = lexical("yale")
    assert titles(page) == ["Moral foundations of politics"]
    assert page.no_close_match is False


# --- Estimated numbers say "about" --------------------------------------------------------------------------


def test_totals_beyond_the_ranked_candidates_are_exact_and_never_say_about(client, db, monkeypatch):
    from search.engines import get_engine, postings

    monkeypatch.setattr(postings, "MAX_CANDIDATES", 5)
    monkeypatch.setattr(postings, "PER_TERM", 5)
    topic = TopicFactory(name="Physics", slug="physics")
    for n in range(12):
        CourseFactory(title=f"Physics {n}", topics=[topic])
    from search.documents import all_documents

    get_engine("database").rebuild(all_documents())
    # Estimates say "about": tests/search/test_counts.py.
    data = client.get("/api/v1/search/", {"q": "physics", "mode": "lexical"}).json()
    assert data["count"] == 12 and data["count_capped"] is False
    html = client.get("/search/", {"q": "physics", "mode": "lexical"}).content.decode()
    assert "12 results" in " ".join(html.split())
    assert '<span class="count">12<span' in html
    monkeypatch.setattr(postings, "MAX_CANDIDATES", 500)
    monkeypatch.setattr(postings, "PER_TERM", 500)
    html = client.get("/search/", {"q": "physics", "mode": "lexical"}).content.decode()
    assert "about" not in html.split("search-results")[0].split("<main")[-1]
