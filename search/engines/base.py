"""The engine interface: what every search engine (database, OpenSearch, later vectors) implements.

An engine stores `IndexDocument`s and answers `SearchRequest`s with `SearchResults`. Query parsing, synonyms,
typo corrections and the final public-visibility check happen once, in `search.service`, so every engine (and a
hybrid of several, fused by `search.ranking.reciprocal_rank_fusion`) sees the same normalised request.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

SORTS = {
    "relevance": "Relevance",
    "newest": "Newest",
    "start_date": "Start date",
    "popularity": "Popularity",
}


class SearchUnavailable(Exception):
    """The engine cannot answer a query (its server is down or failing). Pages apologise with a 503; nothing else
    is affected."""


@dataclass
class IndexDocument:
    """One object flattened for indexing (built by `search.documents`)."""

    key: str
    kind: str
    object_id: int
    doc_type: str
    title: str
    url: str = ""
    image_url: str = ""
    summary: str = ""
    people: str = ""
    body: str = ""
    content: str = ""
    boost: float = 1.0
    popularity: int = 0
    published_at: datetime | None = None
    start_date: datetime | None = None
    ended_at: datetime | None = None
    # facet key → [(value, label), ...]
    facets: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    display: dict = field(default_factory=dict)


@dataclass
class SearchRequest:
    """A parsed query. `terms` are what the learner typed; `expansions` come from synonyms and typo fixes."""

    text: str = ""
    terms: list[str] = field(default_factory=list)
    expansions: list[str] = field(default_factory=list)
    # term → factor (default 1) for what its matches add to the score: the search service sets it for expansions
    # that are less sure than typed words (an abbreviation the learner did not type: "javascript" → "js").
    term_weights: dict[str, float] = field(default_factory=dict)
    # Expansion words that count only together (a synonym's phrase: "natural language processing" for "nlp").
    phrases: list[list[str]] = field(default_factory=list)
    filters: dict[str, list[str]] = field(default_factory=dict)
    sort: str = "relevance"
    offset: int = 0
    limit: int = 20
    facets: bool = True
    highlight: bool = True
    # False: the caller reads the hits only (a ranking for fusion), so an engine may skip counting every match;
    # `total` then counts at least the hits.
    count: bool = True
    # True: relevance hits come from the engine's bounded ranking only (the database engine's candidates), never
    # from the matches after it: hybrid fuses exactly the ranking it was tuned on. The total still counts them all.
    ranked_only: bool = False
    # What semantic search embeds: the query with typos corrected and synonyms spelled out ("ml" → "ml (machine
    # learning)"); empty means `text`.
    meaning_text: str = ""

    @property
    def all_terms(self) -> list[str]:
        return list(dict.fromkeys([*self.terms, *self.expansions]))

    @property
    def is_browse(self) -> bool:
        return not self.terms


@dataclass
class SearchHit:
    key: str
    kind: str
    object_id: int
    doc_type: str
    title: str
    url: str
    summary: str = ""
    image_url: str = ""
    score: float = 0.0
    title_html: str = ""  # escaped, with <mark> around matches
    snippet_html: str = ""
    display: dict = field(default_factory=dict)
    published_at: datetime | None = None
    start_date: datetime | None = None


@dataclass
class FacetOption:
    value: str
    label: str
    count: int
    selected: bool = False
    parent: str = ""  # hierarchical facets: the parent's value


@dataclass
class FacetResult:
    key: str
    label: str
    options: list[FacetOption] = field(default_factory=list)


@dataclass
class SearchResults:
    total: int
    hits: list[SearchHit]
    facets: list[FacetResult] = field(default_factory=list)
    # facet key → {value: count}; the service turns these into FacetResults with labels.
    facet_counts: dict[str, dict[str, tuple[int, str]]] = field(default_factory=dict)
    did_you_mean: str = ""
    # True when `total` is an estimate (the engine could not count every match: OpenSearch past its
    # track_total_hits bound); the database engine counts every match.
    total_capped: bool = False
    # True when the facet counts are estimates (OpenSearch: a terms aggregation with a non-zero error bound).
    facets_estimated: bool = False


class SearchEngine:
    """Base class of the engines. Writes happen in tasks and commands only, never in a search request."""

    name = "base"

    def index(self, documents: Iterable[IndexDocument]) -> int:
        """Add or replace documents (by key); return how many were written."""
        raise NotImplementedError

    def delete(self, keys: Iterable[str]) -> int:
        """Remove documents by key; unknown keys are ignored."""
        raise NotImplementedError

    def rebuild(
        self, documents: Iterable[IndexDocument], *, total: int | None = None, progress: Callable[[int], None] = None
    ) -> int:
        """Build a complete new index from `documents` and swap it in atomically; readers never see a partial one."""
        raise NotImplementedError

    def search(self, request: SearchRequest) -> SearchResults:
        """Match, filter, facet, sort, paginate and highlight. Must not write."""
        raise NotImplementedError

    def suggest(self, prefix_terms: list[str], limit: int = 8) -> list[SearchHit]:
        """Documents whose titles complete what was typed (the last term is a prefix)."""
        raise NotImplementedError

    def count(self) -> int:
        raise NotImplementedError

    def indexed_keys(self) -> set[str]:
        """Every indexed key (for checks and tests)."""
        raise NotImplementedError
