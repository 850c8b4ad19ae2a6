"""The search service: one entry point for the search page, the API and the quality harness.

It parses parameters into a `SearchRequest` (clean text, tokens, synonym and typo expansions, facet filters, sort,
page), asks the configured engine, drops anything that stopped being public since it was indexed, and labels the
facets. It never writes to the database.
"""

import math
import time
from dataclasses import dataclass, field

from django.db import connection

from catalog.models import LearningResource, Topic

from .documents import public_feed_item_ids, public_page_ids
from .engines import SORTS, FacetOption, FacetResult, SearchHit, SearchRequest, get_engine
from .engines.database import dialect_for
from .engines.postings import analyse
from .facets import FACET_KEYS, FACETS
from .models import SearchTerm, Synonym
from .text import STOPWORDS, clean_query, content_words, is_question, tokens
from .words import is_known_word

MODES = {
    "lexical": "Keywords",
    "semantic": "Meaning",
    "hybrid": "Keywords and meaning",
}
# Hybrid search is the default on the page and the API: it beat both of its parts on the real judged set
# (search/eval/real, bench/RESULTS.md).
DEFAULT_MODE = "hybrid"
VECTORS_UNAVAILABLE = "Searching by meaning is not available right now, so these results match your keywords."
MAX_QUERY_LENGTH = 200
MAX_TERMS = 12
MAX_FILTER_VALUES = 50
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_PAGE = 1000
FACET_OPTIONS_SHOWN = 30
SYNONYM_CACHE_SECONDS = 60
# A synonym's abbreviation the learner did not type counts for ABBREVIATION_WEIGHT of a typed word in keyword
# ranking (set on the tuning half of search/eval/real: bench/RESULTS.md and docs/decisions.md).
ABBREVIATION_LENGTH = 3
ABBREVIATION_WEIGHT = 0.5
# "No close match" thresholds, set on the tuning half of the real judged set (search/eval/real): a query has a close
# match when one of its best hits shows at least MATCH_COVERAGE of its words or the best semantic match reaches
# MATCH_SIMILARITY (all-MiniLM-L6-v2 cosine).
MATCH_COVERAGE = 0.6
MATCH_SIMILARITY = 0.5
# With no close match, the page shows this many nearest hits (labelled as such) instead of a long list of weak ones.
NEAREST_SHOWN = 3


class SearchParameterError(ValueError):
    """A parameter could not be read; `errors` maps the parameter to what was wrong."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{key}: {message}" for key, message in errors.items()))
        self.errors = errors


@dataclass
class SearchParams:
    q: str = ""
    filters: dict[str, list[str]] = field(default_factory=dict)
    sort: str = "relevance"
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    mode: str = DEFAULT_MODE
    # The mode was chosen (a `mode` parameter, or given in code): only then does falling back to keywords show a
    # notice; a request that left the default falls back silently when vectors are unavailable (`mode_used` still
    # says so).
    mode_asked: bool = True


@dataclass
class SearchPage:
    params: SearchParams
    request: SearchRequest
    total: int
    hits: list[SearchHit]
    facets: list[FacetResult]
    did_you_mean: str = ""
    took_ms: float = 0.0
    # The mode that produced the results: "lexical" when semantic/hybrid fell back (then `notice` says why) or
    # when an empty query browsed.
    mode_used: str = "lexical"
    notice: str = ""
    # `total` is an estimate (the page and the API say "about": `count_capped`): the engine could not count every
    # match (OpenSearch past its bound), or hybrid search ranked fewer keyword matches than there are. Keyword
    # search on the database engine counts every match, semantic search every neighbour it shows.
    total_capped: bool = False
    # The facet counts are estimates (the page says "about" on each, the API `facet_counts_estimated`).
    facets_estimated: bool = False
    # Nothing is a good match (calibrated on the unanswerable queries of the real judged set): the page and the API
    # say so, and the hits are only the nearest few (`params.page_size` is not honoured). None when not judged
    # (an empty query browses).
    no_close_match: bool | None = None
    # The evidence behind `no_close_match`: the best semantic similarity (None in lexical mode) and the largest
    # share of the query's words that one of the best hits shows (`word_coverage`).
    similarity: float | None = None
    word_coverage: float = 0.0

    @property
    def num_pages(self) -> int:
        return max(1, math.ceil(self.total / self.params.page_size))

    @property
    def has_next(self) -> bool:
        return self.params.page < self.num_pages

    @property
    def has_previous(self) -> bool:
        return self.params.page > 1


def _split_values(values: list[str]) -> list[str]:
    result: dict[str, None] = {}
    for value in values:
        for part in str(value).split(","):
            part = clean_query(part, 200)
            if part:
                result.setdefault(part, None)
    return list(result)[:MAX_FILTER_VALUES]


def parse_params(data, *, strict: bool = False) -> SearchParams:
    """Read search parameters from a QueryDict (or a dict of lists). Lenient by default: bad sort/page values
    fall back to their defaults; with `strict=True` they raise SearchParameterError naming the parameter."""
    errors: dict[str, str] = {}

    def get_list(key):
        if hasattr(data, "getlist"):
            return data.getlist(key)
        value = data.get(key, [])
        return value if isinstance(value, list | tuple) else [value]

    def get_int(key, default, low, high):
        raw = (get_list(key) or [None])[-1]
        if raw in (None, ""):
            return default
        try:
            value = int(str(raw).strip())
        except ValueError:
            errors[key] = f"expected a whole number, got {str(raw)[:40]!r}"
            return default
        if value < low or value > high:
            errors[key] = f"must be between {low} and {high}, got {value}"
            return min(max(value, low), high)
        return value

    params = SearchParams(q=clean_query(" ".join(str(v) for v in get_list("q")), MAX_QUERY_LENGTH))
    params.filters = {key: values for key in FACET_KEYS if (values := _split_values(get_list(key)))}
    sort = (get_list("sort") or ["relevance"])[-1] or "relevance"
    if sort not in SORTS:
        errors["sort"] = f"unknown sort {str(sort)[:40]!r}; expected one of {', '.join(SORTS)}"
        sort = "relevance"
    params.sort = sort
    mode = (get_list("mode") or [DEFAULT_MODE])[-1] or DEFAULT_MODE
    if mode not in MODES:
        errors["mode"] = f"unknown mode {str(mode)[:40]!r}; expected one of {', '.join(MODES)}"
        mode = DEFAULT_MODE
    params.mode = mode
    params.mode_asked = bool(get_list("mode") and get_list("mode")[-1])
    params.page = get_int("page", 1, 1, 10**9)
    params.page_size = get_int("page_size", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)
    if strict and errors:
        raise SearchParameterError(errors)
    return params


# --- Query expansion -----------------------------------------------------------------------------

_synonym_cache: dict[str, object] = {"expires": 0.0, "groups": []}


def clear_synonym_cache(**kwargs) -> None:
    _synonym_cache["expires"] = 0.0


def synonym_groups() -> list[list[list[str]]]:
    """Each synonym group as a list of token lists (phrases), cached briefly in process."""
    if _synonym_cache["expires"] < time.monotonic():
        groups = []
        for synonym in Synonym.objects.all():
            phrases = [tokens(term) for term in synonym.term_list()]
            phrases = [phrase for phrase in phrases if phrase]
            if len(phrases) > 1:
                groups.append(phrases)
        _synonym_cache.update(groups=groups, expires=time.monotonic() + SYNONYM_CACHE_SECONDS)
    return _synonym_cache["groups"]


def _contains(sequence: list[str], phrase: list[str]) -> bool:
    n = len(phrase)
    return any(sequence[i : i + n] == phrase for i in range(len(sequence) - n + 1))


def synonym_phrases(all_tokens: list[str]) -> list[list[str]]:
    """The several-word phrases that synonyms add ("nlp" → ["natural", "language", "processing"]) without the words
    already typed or stop words: keyword search credits a phrase only to documents holding all of its words, so
    "Natural Light in Design" is not a match for "nlp"."""
    phrases = []
    for group in synonym_groups():
        if any(_contains(all_tokens, phrase) for phrase in group):
            for phrase in group:
                words = [token for token in phrase if token not in all_tokens and token not in STOPWORDS]
                if len(words) > 1 and not _contains(all_tokens, phrase):
                    phrases.append(words)
    return phrases


def synonym_expansions(all_tokens: list[str]) -> list[str]:
    expansions: dict[str, None] = {}
    for group in synonym_groups():
        if any(_contains(all_tokens, phrase) for phrase in group):
            for phrase in group:
                for token in phrase:
                    if token not in all_tokens and token not in STOPWORDS:
                        expansions.setdefault(token, None)
    return list(expansions)


def _known_terms(terms: list[str]) -> set[str]:
    variants = {term: {term, term.rstrip("s"), term[:-2] if term.endswith("es") else term} for term in terms}
    wanted = set().union(*variants.values()) if variants else set()
    known = set(SearchTerm.objects.filter(term__in=wanted).values_list("term", flat=True))
    return {term for term, forms in variants.items() if forms & known}


def typo_corrections(terms: list[str]) -> dict[str, str]:
    """Unknown alphabetic terms → the closest indexed word (by edit distance, then frequency). A real English word
    the catalogue lacks is not a typo (search.words): "trout fishing" is not rewritten to "trout finding"."""
    checkable = [term for term in terms if term.isalpha() and len(term) >= 4 and not is_known_word(term)]
    if not checkable:
        return {}
    known = _known_terms(checkable)
    corrections = {}
    dialect = dialect_for(connection.vendor)
    with connection.cursor() as cursor:
        for term in checkable:
            if term in known:
                continue
            candidates = dialect.typo_candidates(cursor, term)
            if candidates:
                corrections[term] = candidates[0][0]
    return corrections


def build_request(params: SearchParams, *, facets: bool = True, highlight: bool = True) -> tuple[SearchRequest, str]:
    """The engine request for `params`, and the "did you mean" text (empty when nothing was corrected)."""
    all_tokens = tokens(params.q)[: MAX_TERMS * 2]
    if is_question(params.q, all_tokens):
        terms = content_words(all_tokens)[:MAX_TERMS]
    else:
        terms = [token for token in all_tokens if token not in STOPWORDS][:MAX_TERMS] or all_tokens[:MAX_TERMS]
    corrections = typo_corrections(terms) if terms else {}
    corrected = [corrections.get(token, token) for token in all_tokens]
    synonyms = synonym_expansions(corrected)
    expansions = synonyms + [fix for fix in corrections.values() if fix not in terms]
    did_you_mean = " ".join(corrected) if corrections else ""
    page = min(params.page, MAX_PAGE + 1)
    request = SearchRequest(
        text=params.q,
        terms=terms,
        expansions=[token for token in dict.fromkeys(expansions) if token not in terms][:MAX_TERMS],
        term_weights=expansion_weights(synonyms, terms, corrections),
        phrases=synonym_phrases(corrected),
        filters=params.filters,
        sort=params.sort,
        offset=(page - 1) * params.page_size,
        limit=params.page_size,
        facets=facets,
        highlight=highlight,
        meaning_text=meaning_text(params.q, corrections, synonyms),
    )
    return request, did_you_mean


def expansion_weights(synonyms: list[str], terms: list[str], corrections: dict[str, str]) -> dict[str, float]:
    """Keyword weights below 1 for the expansions that are less sure than the words typed: an abbreviation of
    ABBREVIATION_LENGTH letters or fewer that a synonym adds ("javascript" → "js") has many meanings ("React JS").
    A synonym's full words ("ml" → "machine learning") and a typo's fix ("pyhton" → "python") are what the learner
    meant, and count as typed."""
    fixes = set(corrections.values())
    return {
        word: ABBREVIATION_WEIGHT
        for word in synonyms
        if len(word) <= ABBREVIATION_LENGTH and word not in terms and word not in fixes
    }


def meaning_text(text: str, corrections: dict[str, str], synonyms: list[str]) -> str:
    """What semantic search embeds: the query as typed with its typos corrected, and the words its synonyms add
    in brackets ("ml" → "ml (machine learning)"), so every mode searches for the same thing."""
    if corrections:
        text = " ".join(corrections.get(word, word) for word in tokens(text)) if text else text
    if synonyms:
        text = f"{text} ({' '.join(synonyms)})"
    return text


# --- Running a search ----------------------------------------------------------------------------


def public_hits(hits: list[SearchHit]) -> list[SearchHit]:
    """Drop hits whose objects stopped being public after they were indexed (the index catches up by task)."""
    by_kind: dict[str, list[int]] = {}
    for hit in hits:
        by_kind.setdefault(hit.kind, []).append(hit.object_id)
    allowed: dict[str, set[int]] = {}
    if by_kind.get("resource"):
        allowed["resource"] = set(
            LearningResource.objects.public().filter(pk__in=by_kind["resource"]).values_list("pk", flat=True)
        )
    if by_kind.get("page"):
        allowed["page"] = public_page_ids(by_kind["page"])
    if by_kind.get("news"):
        allowed["news"] = public_feed_item_ids(by_kind["news"])
    return [hit for hit in hits if hit.object_id in allowed.get(hit.kind, set())]


def label_facets(counts: dict[str, dict[str, tuple[int, str]]], filters: dict[str, list[str]]) -> list[FacetResult]:
    topic_parents = {}
    if counts.get("topic"):
        topic_parents = dict(Topic.objects.filter(slug__in=list(counts["topic"])).values_list("slug", "parent__slug"))
    results = []
    for definition in FACETS:
        values = counts.get(definition.key, {})
        selected = set(filters.get(definition.key, []))
        options = [
            FacetOption(
                value=value,
                label=definition.value_label(value, label),
                count=count,
                selected=value in selected,
                parent=(topic_parents.get(value) or "") if definition.hierarchical else "",
            )
            for value, (count, label) in values.items()
        ]
        for value in selected - set(values):
            options.append(FacetOption(value=value, label=definition.value_label(value), count=0, selected=True))
        options.sort(key=lambda option: (-option.count, option.label.lower()))
        shown = [option for index, option in enumerate(options) if index < FACET_OPTIONS_SHOWN or option.selected]
        if shown:
            results.append(FacetResult(key=definition.key, label=definition.label, options=shown))
    return results


COVERAGE_HITS = 10
COVERAGE_SUMMARY_CHARS = 500


def word_coverage(hits: list[SearchHit], request: SearchRequest) -> float:
    """The largest share of the query's words (stemmed; a word's typo fix or synonyms count for it) that one of the
    first COVERAGE_HITS hits shows: its title, the start of its summary, offeror, instructors, topics and course
    numbers."""
    if not request.terms or not hits:
        return 0.0
    words = [set(analyse(term)) for term in request.terms]
    words = [stems for stems in words if stems]
    if not words:
        return 0.0
    expansions = set(analyse(" ".join(request.expansions)))
    best = 0.0
    for hit in hits[:COVERAGE_HITS]:
        display = hit.display or {}
        shown = [
            hit.title,
            hit.summary[:COVERAGE_SUMMARY_CHARS],
            display.get("offeror", ""),
            *display.get("instructors", []),
            *display.get("topics", []),
        ]
        title = set(analyse(" ".join([*shown, *display.get("course_numbers", [])])))
        held = sum(1 for stems in words if stems & title)
        if held < len(words) and expansions & title:
            held += 1
        best = max(best, held / len(words))
    return best


def judge_close_match(similarity: float | None, coverage: float) -> bool:
    """No close match: no best hit shows most of the query's words, and (when known) nothing is close in
    meaning."""
    if coverage >= MATCH_COVERAGE:
        return False
    return similarity is None or similarity < MATCH_SIMILARITY


def close_match_verdict(hits, similarity: float | None, coverage: float, params: SearchParams) -> bool | None:
    """`SearchPage.no_close_match`, judged on the best hits: the first page in relevance order. Later pages and
    other orders are not judged (None): the first page's verdict stands for the query (with no close match it
    shows the nearest few and no next page), and a page of newest hits says nothing about the best ones."""
    if params.page != 1 or params.sort not in ("", "relevance"):
        return None
    if not hits:
        return True
    return judge_close_match(similarity, coverage)


def nearest(hits: list[SearchHit], params: SearchParams) -> list[SearchHit]:
    """The nearest few hits shown when nothing is a close match: on the first page only."""
    return hits[:NEAREST_SHOWN] if params.page == 1 else []


def run_search(params: SearchParams, *, facets: bool = True, highlight: bool = True, engine=None) -> SearchPage:
    """Search with `params` on the configured engine (or `engine`), in `params.mode`: lexical, or semantic or
    hybrid through `search.semantic` (which falls back to lexical, with a notice, when vectors are unavailable)."""
    started = time.perf_counter()
    engine = engine or get_engine()
    request, did_you_mean = build_request(params, facets=facets, highlight=highlight)
    if params.page > MAX_PAGE:
        request.limit = 0
    notice = ""
    if params.mode != "lexical" and not request.is_browse:
        from .semantic import VectorSearchUnavailable, vector_search

        try:
            found = vector_search(params.mode, request, engine=engine, facets=facets)
        except VectorSearchUnavailable:
            notice = VECTORS_UNAVAILABLE if params.mode_asked or params.mode != DEFAULT_MODE else ""
        else:
            hits = found.hits  # checked for publicness by vector_search itself, in the same request
            coverage = word_coverage(hits, request)
            total = max(found.total - (len(found.hits) - len(hits)), 0)
            no_close_match = close_match_verdict(hits, found.similarity, coverage, params)
            if no_close_match:
                hits, total = nearest(hits, params), min(total, NEAREST_SHOWN)
            return SearchPage(
                params=params,
                request=request,
                total=total,
                hits=hits,
                facets=label_facets(found.facet_counts, params.filters) if facets else [],
                did_you_mean=did_you_mean,
                took_ms=(time.perf_counter() - started) * 1000,
                mode_used=params.mode,
                no_close_match=no_close_match,
                total_capped=found.capped and not no_close_match,
                facets_estimated=(found.capped or found.facets_capped) and facets,
                similarity=found.similarity,
                word_coverage=coverage,
            )
    results = engine.search(request)
    hits = public_hits(results.hits) if results.hits else []
    coverage = word_coverage(hits, request)
    total = max(results.total - (len(results.hits) - len(hits)), 0)
    no_close_match = None
    if not request.is_browse:
        no_close_match = close_match_verdict(hits, None, coverage, params)
        if no_close_match:
            hits, total = nearest(hits, params), min(total, NEAREST_SHOWN)
    return SearchPage(
        params=params,
        request=request,
        total=total,
        hits=hits,
        facets=label_facets(results.facet_counts, params.filters) if facets else [],
        did_you_mean=did_you_mean or results.did_you_mean,
        took_ms=(time.perf_counter() - started) * 1000,
        notice=notice,
        total_capped=results.total_capped and not no_close_match,
        facets_estimated=results.facets_estimated and facets,
        no_close_match=no_close_match,
        word_coverage=coverage,
    )


def suggest(q: str, limit: int = 8, engine=None) -> dict:
    """Autocomplete: word completions from the vocabulary and titles matching what was typed."""
    text = clean_query(q, MAX_QUERY_LENGTH)
    words = tokens(text)[-MAX_TERMS:]
    if not words:
        return {"query": text, "completions": [], "results": []}
    last = words[-1]
    completions = list(
        SearchTerm.objects.filter(term__startswith=last)
        .order_by("-frequency", "term")
        .values_list("term", flat=True)[:5]
    )
    prefix = " ".join(words[:-1])
    hits = public_hits((engine or get_engine()).suggest(words, limit=limit))
    return {
        "query": text,
        "completions": [f"{prefix} {word}".strip() for word in completions],
        "results": hits,
    }
