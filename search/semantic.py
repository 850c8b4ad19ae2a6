"""Semantic and hybrid search, similar resources and content-chunk search over the vector store.

Semantic search ranks public resources by the cosine similarity of their embedded text to the query's; hybrid
search fuses that ranking with the lexical engine's by reciprocal rank fusion. Both return the same facets as
lexical search, computed over a bounded candidate set (see docs/decisions.md, "Semantic facets"):

- each ranking is the top `CANDIDATES` of its engine under the learner's facet filters (the vector store applies
  them as payload filters; semantic hits also need `MIN_SCORE`);
- results and totals are that candidate set re-filtered with the facet values the lexical index would store for
  each resource, read from the database (which also drops anything no longer public);
- a selected facet's own counts come from a second candidate set searched without that facet's selection, so the
  counts follow the lexical semantics: OR within a facet, AND across facets.

News and pages are not embedded: semantic mode returns resources only. Hybrid mode fuses over document keys, so
the news items and pages of the lexical ranking take part with its weight alone (resources get both), and its
results, total, sorts and facets include them as lexical search would. An empty query browses like lexical search.
Anything going wrong in the encoder or the vector store raises `VectorSearchUnavailable`, and the service answers
with lexical results and a notice. Nothing here writes to the database.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import Counter, OrderedDict
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.utils.html import escape

from catalog.models import ContentFile, LearningResource, ResourceInstructor, ResourceType, Run, Topic

from .documents import (
    _has_detail_url,
    _topic_paths,
    feed_item_documents,
    page_documents,
    public_feed_item_ids,
    public_page_ids,
    resource_document,
    resource_key,
)
from .engines import SearchHit, SearchRequest
from .facets import FACET_KEYS
from .names import named_offerors, names_instructor
from .ranking import reciprocal_rank_fusion
from .vectors.encoders import get_encoder
from .vectors.health import remember_unavailable, unavailable_reason
from .vectors.index import CHUNKS, RESOURCES, resource_text
from .vectors.stores import get_vector_store

logger = logging.getLogger(__name__)

# Each ranking (semantic, and lexical in hybrid mode) contributes at most this many candidates.
CANDIDATES = 200
# Cosine similarity below which a resource is not a semantic match. all-MiniLM-L6-v2 puts unrelated catalogue
# texts at 0.0-0.2 from a short query and related ones above 0.3. Hybrid search asks for closer matches: the
# lexical ranking already brings the keyword matches, and weak semantic ones only dilute the fusion (search_eval
# on the demo set: bench/RESULTS.md).
MIN_SCORE = 0.25
# Hybrid used to ask for closer matches (0.35), which left it with fewer results than semantic search alone (issue
# 14: "python" 2 vs 21). It takes the same semantic candidates: the fusion ranks the weak ones low anyway.
HYBRID_MIN_SCORE = MIN_SCORE
# Reciprocal rank fusion weights of the lexical and the semantic ranking, tuned on the tuning half of the real
# judged set (search/eval/real; nDCG@10 of its answerable queries: 1:1 0.868, 1.5:1 0.872, 2:1 0.868): keywords
# count a little more, which keeps names and institutions precise.
HYBRID_WEIGHTS = (1.0, 1.0)
SIMILAR_LIMIT = 6
SIMILAR_MAX = 100
SIMILAR_CACHE_SECONDS = 600
SIMILAR_FAILURE_CACHE_SECONDS = 60
CONTENT_LIMIT = 10
CONTENT_MAX = 50

RESOURCE_TYPES = {value for value, _ in ResourceType.choices}
_NO_LINKS = ResourceInstructor.objects.none()

# Facet key (search/facets.py, the query parameter) → payload field of the vector points (vectors/index.py).
PAYLOAD_FIELDS = {
    "type": "resource_type",
    "topic": "topics",
    "offeror": "offered_by",
    "platform": "platform",
    "department": "departments",
    "level": "level",
    "certification": "certification",
    "price": "free",
    "delivery": "delivery",
    "language": "languages",
}
assert set(PAYLOAD_FIELDS) == set(FACET_KEYS), "every facet needs a payload field"


class VectorSearchUnavailable(Exception):
    """The encoder or the vector store failed; callers fall back to lexical search."""


def _vector_call(what: str, func, *args, **kwargs):
    """Run an encoder or vector-store call; any failure becomes VectorSearchUnavailable (and a log line)."""
    try:
        return func(*args, **kwargs)
    except Exception as exc:  # encoder or store down, collection missing, dimension mismatch: all the same here
        logger.warning("vector search unavailable (%s): %s", what, exc)
        raise VectorSearchUnavailable(f"{what} failed: {exc}") from exc


# Query vectors of the last distinct queries, per encoder: a learner paging through results or ticking facets
# searches the same words again, and encoding them is most of what a hybrid search costs beyond keywords.
QUERY_VECTOR_CACHE_SIZE = 512
_query_vectors: OrderedDict[tuple[int, str], tuple[object, object]] = OrderedDict()
_query_vectors_lock = threading.Lock()


def clear_query_vectors() -> None:
    """Forget the remembered query vectors (tests, and the benchmark's cold figures)."""
    with _query_vectors_lock:
        _query_vectors.clear()


def embed_query(text: str):
    """The query's vector from the configured encoder; the last QUERY_VECTOR_CACHE_SIZE distinct queries' vectors
    are remembered in process (keyed by the encoder object, so a changed encoder never answers from the cache)."""
    encoder = _vector_call("loading the encoder", get_encoder)
    key = (id(encoder), text)
    with _query_vectors_lock:
        found = _query_vectors.get(key)
        if found is not None and found[0] is encoder:
            _query_vectors.move_to_end(key)
            return found[1]
    vector = _vector_call("encoding the query", encoder.encode, [text])[0]
    vector.flags.writeable = False  # shared between searches
    with _query_vectors_lock:
        _query_vectors[key] = (encoder, vector)
        while len(_query_vectors) > QUERY_VECTOR_CACHE_SIZE:
            _query_vectors.popitem(last=False)
    return vector


_pool: dict[str, object] = {"pid": None, "executor": None}
_pool_lock = threading.Lock()


def embed_query_soon(text: str) -> Future:
    """`embed_query(text)` on a worker thread, so that hybrid search encodes while its lexical ranking queries the
    database (the encoder and the database drivers release the GIL). The pool is made per process: a forked
    worker does not inherit the threads of its parent's pool."""
    with _pool_lock:
        if _pool["pid"] != os.getpid():
            _pool.update(pid=os.getpid(), executor=ThreadPoolExecutor(max_workers=2, thread_name_prefix="encode"))
        executor = _pool["executor"]
    return executor.submit(lambda: embed_query(text))


# --- Filters ---------------------------------------------------------------------------------------


def _topic_with_descendants(slugs: list[str]) -> list[str]:
    """The selected topic slugs and every topic under them: a payload lists a resource's own topics and their
    parents, while selecting a topic in lexical search also matches resources tagged anywhere below it."""
    children: dict[int | None, list[int]] = {}
    slug_of: dict[int, str] = {}
    for pk, slug, parent_id in Topic.objects.values_list("pk", "slug", "parent_id"):
        children.setdefault(parent_id, []).append(pk)
        slug_of[pk] = slug
    found = dict.fromkeys(slugs)
    stack = [pk for pk, slug in slug_of.items() if slug in found]
    seen: set[int] = set()
    while stack:
        pk = stack.pop()
        if pk in seen:
            continue
        seen.add(pk)
        found.setdefault(slug_of[pk])
        stack.extend(children.get(pk, []))
    return list(found)


def payload_filters(filters: dict[str, list[str]]) -> dict[str, list] | None:
    """The facet selections as vector-store payload filters, or None when no resource can match (e.g. only
    news or pages were selected). Conditions that payloads cannot express exactly (a mix of "no certificate"
    and certificate types) are left out here and applied afterwards from the database."""
    result: dict[str, list] = {}
    for key, values in filters.items():
        if not values:
            continue
        if key == "type":
            values = [value for value in values if value in RESOURCE_TYPES]
            if not values:
                return None
        elif key == "topic":
            values = _topic_with_descendants(values)
        elif key == "price":
            values = [value == "free" for value in values if value in ("free", "paid")]
            if not values:
                return None
        elif key == "certification":
            if set(values) == {"none"}:
                values = [False]
            elif "none" not in values:
                values = [True]
            else:
                continue
        result[PAYLOAD_FIELDS[key]] = list(dict.fromkeys(values))
    return result


def _unmet(facets: dict[str, list[tuple[str, str]]], selected: dict[str, set[str]]) -> list[str]:
    """The selected facets none of whose selected values the resource holds."""
    return [key for key, values in selected.items() if not any(value in values for value, _ in facets.get(key, ()))]


def facet_counts(candidate_sets: dict[str, list], documents: dict, filters: dict[str, list[str]]):
    """facet → value → (count, label) with lexical semantics (OR within a facet, AND across facets): a facet that
    is not selected is counted over the main set's candidates matching every selection; a selected facet over its
    own candidate set (searched without that selection) among those matching every other selection. One pass per
    candidate set."""
    selected = {key: set(values) for key, values in filters.items() if values}
    unselected = [key for key in FACET_KEYS if key not in selected]
    tally: Counter = Counter()
    labels: dict[tuple[str, str], str] = {}

    def add(key: str, entries: list[tuple[str, str]]) -> None:
        for value, label in dict(entries).items() if len(entries) > 1 else entries:
            tally[key, value] += 1
            labels[key, value] = label

    for name, pool in candidate_sets.items():
        if name and name not in selected:
            continue
        for candidate in pool:
            document = documents.get(candidate.key)
            if document is None:
                continue
            facets = document.facets
            unmet = _unmet(facets, selected) if selected else ()
            if name:  # the selected facet `name`'s own counts
                if (not unmet or unmet == [name]) and facets.get(name):
                    add(name, facets[name])
            elif not unmet:
                for key in unselected:
                    if facets.get(key):
                        add(key, facets[key])
    counts: dict[str, dict[str, tuple[int, str]]] = {}
    for (key, value), count in tally.items():
        counts.setdefault(key, {})[value] = (count, labels[key, value])
    return counts


def _matches(facets: dict[str, list[tuple[str, str]]], filters: dict[str, list[str]], skip: str = "") -> bool:
    """Lexical facet semantics: some value of every selected facet (except `skip`) among the resource's."""
    for key, values in filters.items():
        if key == skip or not values:
            continue
        if not {value for value, _ in facets.get(key, [])} & set(values):
            return False
    return True


# --- Candidates ------------------------------------------------------------------------------------


@dataclass
class Candidate:
    key: str  # the index document's key: "resource:7", or (hybrid only) "news:3", "page:12"
    score: float  # cosine similarity (semantic) or fused RRF score (hybrid)


def semantic_ranking(
    vector, filters: dict[str, list[str]], limit: int = CANDIDATES, min_score: float | None = None
) -> list[Candidate]:
    """The best `limit` resources scoring at least `min_score` (MIN_SCORE) under `filters` (facet keys)."""
    min_score = MIN_SCORE if min_score is None else min_score
    conditions = payload_filters(filters)
    if conditions is None:
        return []
    store = _vector_call("opening the vector store", get_vector_store)
    # A resource's point id is its primary key (vectors/index.py): no payload is needed.
    hits = _vector_call(
        "searching resources", store.search, RESOURCES, vector, limit=limit, filters=conditions, with_payload=False
    )
    ranking = []
    for hit in hits:
        if hit.score < min_score:
            break
        ranking.append(Candidate(resource_key(int(hit.id)), float(hit.score)))
    return ranking


def _lexical_request(
    request: SearchRequest, filters: dict[str, list[str]], limit: int, *, count: bool = False
) -> SearchRequest:
    """A ranking for fusion: the bounded relevance ranking only (`ranked_only`); `count` asks for the total of all
    keyword matches too."""
    return SearchRequest(
        text=request.text,
        terms=request.terms,
        expansions=request.expansions,
        term_weights=request.term_weights,
        phrases=request.phrases,
        filters=filters,
        sort="relevance",
        offset=0,
        limit=limit,
        facets=False,
        highlight=False,
        count=count,
        ranked_only=True,
    )


def lexical_ranking(request: SearchRequest, engine, filters: dict[str, list[str]], limit: int = CANDIDATES):
    """The lexical engine's best `limit` documents of every kind (resources, news, pages) for `request`'s words
    under `filters`, best first, as Candidates (key, engine score)."""
    return [Candidate(hit.key, hit.score) for hit in engine.search(_lexical_request(request, filters, limit)).hits]


def _lexical_refs(request: SearchRequest, engine, selections: dict[str, dict[str, list[str]]]):
    """`lexical_ranking` under each selection (name → facet filters) as (reference, score) pairs, reading no
    documents where the engine allows: the database engine ranks every selection from one read of the query's
    candidates and gives document ids (int), resolved to keys with the candidates' other columns in one query
    (`_candidate_rows`); other engines give keys (str). Also the engine's count of all keyword matches under the
    first selection ("total") and whether it is an estimate ("estimated")."""
    first = next(iter(selections))
    lexical = _lexical_request(request, selections[first], CANDIDATES, count=True)
    if hasattr(engine, "ranked_ids"):
        ranked = engine.ranked_ids(lexical, selections)
        refs = {name: page for name, (page, _, _) in ranked.items()}
        _, total, estimated = ranked[first]
        return refs, {"total": total, "estimated": estimated}
    refs, counted = {}, {}
    for name, selected in selections.items():
        results = engine.search(_lexical_request(request, selected, CANDIDATES, count=name == first))
        refs[name] = [(hit.key, hit.score) for hit in results.hits]
        if name == first:
            counted = {"total": results.total, "estimated": results.total_capped}
    return refs, counted


def named_filters(text: str, filters: dict[str, list[str]]) -> dict[str, list[str]]:
    """`filters` for hybrid search's semantic list: when the query names offerors (search.names) and no offeror was
    selected, only their resources, so that institutions keep their keyword precision."""
    if filters.get("offeror"):
        return filters
    codes = named_offerors(text)
    return {**filters, "offeror": codes} if codes else filters


def hybrid_semantic_ranking(vector, request: SearchRequest, filters: dict[str, list[str]], *, person: bool):
    """Hybrid search's semantic list: none when the query is a person's name (`person`, search.names: keyword
    matches only), only the named offerors' resources when it names offerors."""
    if person:
        return []
    return semantic_ranking(vector, named_filters(request.text, filters), min_score=HYBRID_MIN_SCORE)


def fuse(lexical: list[Candidate], semantic: list[Candidate]) -> list[Candidate]:
    """The two rankings fused by reciprocal rank fusion over document keys (HYBRID_WEIGHTS). Equal scores share a
    rank in each list: the fusion does not depend on how an engine broke a tie."""
    fused = reciprocal_rank_fusion(
        [[c.key for c in lexical], [c.key for c in semantic]],
        weights=HYBRID_WEIGHTS,
        scores=[[c.score for c in lexical], [c.score for c in semantic]],
    )
    return [Candidate(key, score) for key, score in fused]


def hybrid_ranking(vector, request: SearchRequest, engine, filters: dict[str, list[str]]) -> list[Candidate]:
    """The lexical ranking (all kinds) and the semantic one (resources) fused by reciprocal rank fusion over
    document keys: a resource scores from both rankings, a news item or page from the lexical one only.
    (`vector_search` does the same for all its candidate sets at once, with fewer queries, and counts them.)"""
    semantic = hybrid_semantic_ranking(vector, request, filters, person=False)
    if names_instructor(request.text):
        semantic = []  # a person's name means that person: keyword matches only (search.names)
    return fuse(lexical_ranking(request, engine, filters), semantic)


# --- Building results --------------------------------------------------------------------------------


def _resource_documents(ids: Iterable[int], *, full: bool = True) -> dict[str, object]:
    """Index documents of the public resources among `ids` by key, built exactly as the lexical index builds them
    so that both modes facet and display alike. `full=False` skips runs and instructors (facet values do not
    depend on them, and the candidate set can be a few hundred resources); content files are never needed here."""
    ids = list(set(ids))
    if not ids:
        return {}
    related = [
        "topics",
        "departments",
        Prefetch("content_files", queryset=ContentFile.objects.none()),
        Prefetch("runs", queryset=Run.objects.filter(published=True) if full else Run.objects.none()),
    ]
    related.append("instructor_links__instructor" if full else Prefetch("instructor_links", queryset=_NO_LINKS))
    queryset = (
        LearningResource.objects.public()
        .filter(pk__in=ids)
        .select_related("offered_by", "platform")
        .prefetch_related(*related)
    )
    _has_detail_url()
    paths = _topic_paths()
    return {resource_key(resource.pk): resource_document(resource, paths) for resource in queryset}


def _documents(keys: Iterable[str], *, full: bool = True) -> dict[str, object]:
    """Index documents of the public objects among `keys` (resources, and in hybrid mode news and pages), by key."""
    ids: dict[str, list[int]] = {"resource": [], "news": [], "page": []}
    for key in set(keys):
        kind, _, pk = key.partition(":")
        ids.setdefault(kind, []).append(int(pk))
    documents = _resource_documents(ids["resource"], full=full)
    if ids["news"]:
        documents.update((document.key, document) for document in feed_item_documents(ids["news"]))
    if ids["page"]:
        documents.update((document.key, document) for document in page_documents(ids["page"]))
    return documents


@dataclass
class IndexedFacets:
    """What filtering, sorting and counting need of a candidate, as the lexical index stores it."""

    object_id: int
    facets: dict[str, list[tuple[str, str]]]
    published_at: object
    start_date: object
    popularity: float


def _candidate_rows(doc_ids: Iterable[int], keys: Iterable[str]) -> tuple[dict[str, object], dict[int, str]]:
    """Facet values and sort fields of the public objects among the index documents `doc_ids` and the objects
    `keys`, by key, and the key of each of `doc_ids`: read from the lexical index's rows in one query (as keyword
    search does) rather than rebuilding each document through the ORM, with the resources' publicness re-checked
    in the same query (news and pages: one more query each when among them). Objects among `keys` that the index
    does not hold yet are built as before."""
    from .engines.database import facet_map
    from .models import SearchDocument

    doc_ids, keys = set(doc_ids), set(keys)
    if not doc_ids and not keys:
        return {}, {}
    public_resource = Exists(LearningResource.objects.public().filter(pk=OuterRef("object_id")))
    rows = (
        SearchDocument.objects.filter(Q(pk__in=doc_ids) | Q(key__in=keys))
        .annotate(public_resource=public_resource)
        .values_list(
            "pk",
            "key",
            "kind",
            "object_id",
            "published_at",
            "start_date",
            "popularity",
            "facet_text",
            "public_resource",
        )
    )
    found: dict[str, IndexedFacets] = {}
    key_of: dict[int, str] = {}
    by_kind: dict[str, list[int]] = {}
    public_resources: set[int] = set()
    for pk, key, kind, object_id, published_at, start_date, popularity, facet_text, public in rows:
        key_of[pk] = key
        found[key] = IndexedFacets(object_id, facet_map(facet_text or ""), published_at, start_date, popularity or 0)
        by_kind.setdefault(kind, []).append(object_id)
        if kind == "resource" and public:
            public_resources.add(object_id)
    public = {
        "resource": public_resources,
        "news": public_feed_item_ids(by_kind["news"]) if by_kind.get("news") else set(),
        "page": public_page_ids(by_kind["page"]) if by_kind.get("page") else set(),
    }
    result: dict[str, object] = {
        key: row for key, row in found.items() if row.object_id in public.get(key.partition(":")[0], set())
    }
    missing = keys - set(found)
    if missing:
        result.update(_documents(missing, full=False))
    return result, key_of


def _candidate_facets(keys: Iterable[str]) -> dict[str, object]:
    """`_candidate_rows` of `keys` alone."""
    return _candidate_rows((), keys)[0]


def _hit(document, score: float) -> SearchHit:
    return SearchHit(
        key=document.key,
        kind=document.kind,
        object_id=document.object_id,
        doc_type=document.doc_type,
        title=document.title,
        url=document.url,
        summary=document.summary,
        image_url=document.image_url,
        score=score,
        title_html=escape(document.title),
        display=document.display,
        published_at=document.published_at,
        start_date=document.start_date,
    )


def _page_hits(page: list[Candidate], documents: dict[str, object]) -> list[SearchHit]:
    """The shown page's hits, from the lexical index's rows (what keyword search shows) in one query; objects the
    index does not hold yet (built from the database in `_candidate_rows`) are built in full. Every candidate in
    `documents` was checked for publicness in this search."""
    from .models import SearchDocument

    indexed = [c.key for c in page if isinstance(documents.get(c.key), IndexedFacets)]
    shown: dict[str, object] = {}
    if indexed:
        rows = SearchDocument.objects.filter(key__in=indexed).defer("people", "body", "content", "facet_text")
        shown.update((row.key, row) for row in rows)
    built = [c.key for c in page if c.key in documents and c.key not in shown]
    if built:
        shown.update(_documents(built))
    return [_hit(shown[c.key], c.score) for c in page if c.key in shown]


def _sorted(candidates: list[Candidate], documents: dict, sort: str) -> list[Candidate]:
    """Order the candidate set as the lexical engines order their matches (missing dates last)."""

    def ident(candidate):  # the tie-break: by object id, then kind
        return documents[candidate.key].object_id, candidate.key

    if sort == "newest":
        # Newest first, then the higher id (as the lexical ORDER BY).
        dated = [c for c in candidates if documents[c.key].published_at]
        undated = [c for c in candidates if not documents[c.key].published_at]
        dated.sort(key=lambda c: (documents[c.key].published_at, ident(c)), reverse=True)
        undated.sort(key=ident, reverse=True)
        return dated + undated
    if sort == "start_date":
        dated = [c for c in candidates if documents[c.key].start_date]
        undated = [c for c in candidates if not documents[c.key].start_date]
        dated.sort(key=lambda c: (documents[c.key].start_date, -c.score, ident(c)))
        undated.sort(key=lambda c: (-c.score, ident(c)))
        return dated + undated
    if sort == "popularity":
        return sorted(candidates, key=lambda c: (-documents[c.key].popularity, -c.score, ident(c)))
    return candidates


@dataclass
class VectorResults:
    total: int
    hits: list[SearchHit]  # public: checked in this search (callers need not check again)
    facet_counts: dict[str, dict[str, tuple[int, str]]]
    similarity: float = 0.0  # the best semantic match's cosine similarity (0 when none reached MIN_SCORE)
    # Hybrid only: the total is an estimate (the page and the API say "about": `hybrid_total`); semantic search's
    # neighbours are counted exactly.
    capped: bool = False
    # Hybrid only: the facet counts are estimates (counted over the fused set while keywords matched more).
    facets_capped: bool = False


def _candidate_sets(mode: str, request: SearchRequest, engine, selections: dict[str, dict[str, list[str]]]):
    """Each selection's candidate set (best first), the documents of all of them (`_candidate_rows`) and the
    evidence of the first selection's rankings (`similarity`, `capped`).

    Hybrid: the query is encoded on a worker thread while the lexical rankings run; the lexical rankings are
    document ids, resolved to keys by the one query that reads every candidate's facets."""
    evidence: dict = {}
    text = request.meaning_text or request.text
    if mode != "hybrid":
        vector = embed_query(text)
        sets = {name: semantic_ranking(vector, selected) for name, selected in selections.items()}
        documents, _ = _candidate_rows((), (c.key for ranked in sets.values() for c in ranked))
        first = sets[""]
        # The total counts every neighbour shown (at most CANDIDATES): exact.
        evidence.update(similarity=first[0].score if first else 0.0, capped=False)
        return sets, documents, evidence
    pending = embed_query_soon(text)
    lexical, counted = _lexical_refs(request, engine, selections)
    person = names_instructor(request.text)
    vector = pending.result()
    semantic = {
        name: hybrid_semantic_ranking(vector, request, selected, person=person) for name, selected in selections.items()
    }
    documents, key_of = _candidate_rows(
        (ref for refs in lexical.values() for ref, _ in refs if isinstance(ref, int)),
        [
            *(ref for refs in lexical.values() for ref, _ in refs if isinstance(ref, str)),
            *(c.key for ranked in semantic.values() for c in ranked),
        ],
    )
    sets = {}
    for name, refs in lexical.items():
        keyed = [Candidate(key_of.get(ref) if isinstance(ref, int) else ref, score) for ref, score in refs]
        sets[name] = fuse([c for c in keyed if c.key], semantic[name])
    first_semantic = semantic[""]
    evidence.update(
        similarity=first_semantic[0].score if first_semantic else 0.0,
        keyword_total=counted.get("total", 0),
        keyword_estimated=counted.get("estimated", False),
        lexical_keys={key_of.get(ref) if isinstance(ref, int) else ref for ref, _ in lexical[""]},
        document_ids={key: pk for pk, key in key_of.items()},
    )
    return sets, documents, evidence


def vector_search(mode: str, request: SearchRequest, *, engine=None, facets: bool = True) -> VectorResults:
    """Semantic or hybrid search for `request` (which has words): hits of the requested page, the total and
    facet counts over the candidate set. Raises VectorSearchUnavailable when the vectors cannot be used, and for
    a few seconds after that without trying them or running a query (search.vectors.health): the caller then
    searches by keywords once."""
    try:
        store = get_vector_store()
    except Exception:  # opened again (and explained) by the first vector call
        store = None
    reason = unavailable_reason(store)
    if reason:
        raise VectorSearchUnavailable(f"{reason} (a moment ago; not tried again yet)")
    try:
        return _vector_search(mode, request, engine=engine, facets=facets)
    except VectorSearchUnavailable as exc:
        remember_unavailable(store, str(exc))
        raise


def _vector_search(mode: str, request: SearchRequest, *, engine, facets: bool) -> VectorResults:
    filters = {key: values for key, values in request.filters.items() if values}
    if mode == "hybrid" and engine is None:
        from .engines import get_engine

        engine = get_engine()

    # One candidate set under every selection, and one per selected facet without that facet's selection.
    selections = {"": filters}
    if facets:
        for key in filters:
            selections[key] = {other: v for other, v in filters.items() if other != key}
    candidate_sets, documents, evidence = _candidate_sets(mode, request, engine, selections)

    matching = [c for c in candidate_sets[""] if c.key in documents]
    matching = [c for c in matching if _matches(documents[c.key].facets, filters)]
    matching = _sorted(matching, documents, request.sort)
    hits = _page_hits(matching[request.offset : request.offset + request.limit], documents)
    counts = facet_counts(candidate_sets, documents, filters) if facets else {}
    if mode != "hybrid":  # the total counts every neighbour shown (at most CANDIDATES): exact
        return VectorResults(len(matching), hits, counts, similarity=evidence["similarity"])

    total, capped = hybrid_total(request, engine, matching, evidence)
    if total > len(matching) and request.sort != "relevance":
        hits = _union_page(request, engine, matching, documents, filters)
    elif len(hits) < request.limit and total > len(matching):
        hits += _keyword_tail(request, engine, matching, evidence, filters)
    return VectorResults(
        total=total,
        hits=hits,
        facet_counts=counts,
        similarity=evidence["similarity"],
        capped=capped,
        # The facets are counted over the fused set: estimates when keywords matched more than were ranked.
        facets_capped=evidence["keyword_estimated"] or evidence["keyword_total"] > len(evidence["lexical_keys"]),
    )


def hybrid_total(request: SearchRequest, engine, matching: list[Candidate], evidence: dict) -> tuple[int, bool]:
    """Hybrid search's total and whether it is an estimate: the exact size of the union of the keyword matches and
    the semantic neighbours under the selection, |keyword matches| + |neighbours that are not keyword matches|. An
    estimate (the fused set's size, "about") when the keyword engine could only estimate its matches (more than
    EXACT_COUNT_LIMIT on the database engine) or cannot tell which neighbours are keyword matches (OpenSearch),
    with some matches beyond the ranking."""
    lexical_keys = evidence["lexical_keys"]
    beyond = evidence["keyword_total"] - len(lexical_keys)
    if beyond <= 0:  # every keyword match is in the fused set
        return len(matching), False
    if evidence["keyword_estimated"] or not hasattr(engine, "matching_ids"):
        return len(matching), True
    neighbours = [c.key for c in matching if c.key not in lexical_keys]
    ids = [evidence["document_ids"][key] for key in neighbours if key in evidence["document_ids"]]
    also_keyword = engine.matching_ids(request, ids) if ids else set()
    return evidence["keyword_total"] + len(neighbours) - len(also_keyword), False


def _union_page(request: SearchRequest, engine, matching: list[Candidate], documents: dict, filters):
    """The requested page of a hybrid search sorted by date or popularity when keywords matched more than the fused
    set holds: one order over the union of every keyword match and the semantic neighbours. The keyword engine
    gives its first offset + limit matches in that sort (any match after them has at least that many before it in
    the union too); they are merged with the fused set and the union sorted as `_sorted` sorts (ties aside)."""
    wanted = request.offset + request.limit
    keyword = _lexical_request(request, filters, wanted, count=False)
    keyword.ranked_only, keyword.sort = False, request.sort
    refs, _, _ = engine.ranked_ids(keyword)
    rows, key_of = _candidate_rows([pk for pk, _ in refs], ())
    fused = {c.key for c in matching}
    extra = [Candidate(key_of[pk], score) for pk, score in refs if key_of.get(pk) in rows and key_of[pk] not in fused]
    union = {**rows, **documents}
    ordered = _sorted([*matching, *extra], union, request.sort)
    return _page_hits(ordered[request.offset : wanted], union)


def _keyword_tail(request: SearchRequest, engine, matching: list[Candidate], evidence: dict, filters) -> list:
    """The hits of the requested page that lie beyond the fused set: the keyword matches it does not hold, in the
    keyword engine's order for the requested sort (after the fused set, itself sorted), so that paging to the end
    shows the total."""
    shown = {evidence["document_ids"].get(c.key) for c in matching}
    skip = max(0, request.offset - len(matching))
    wanted = request.offset + request.limit - max(request.offset, len(matching))
    keyword = _lexical_request(request, filters, skip + wanted + len(shown), count=False)
    keyword.ranked_only, keyword.sort = False, request.sort  # the matches after the bounded candidates too
    refs, _, _ = engine.ranked_ids(keyword)
    tail = [(pk, score) for pk, score in refs if pk not in shown][skip : skip + wanted]
    rows, key_of = _candidate_rows([pk for pk, _ in tail], ())
    return _page_hits([Candidate(key_of[pk], score) for pk, score in tail if pk in key_of], rows)


# --- Similar resources ---------------------------------------------------------------------------------


def _similar_key(resource, limit: int) -> str:
    stamp = resource.updated_at.timestamp() if resource.updated_at else 0
    return f"search:similar:{resource.pk}:{stamp}:{limit}"


def similar_resource_ids(resource: LearningResource, limit: int = SIMILAR_LIMIT) -> list[int]:
    """Ids of the resources whose embedded text is closest to `resource`'s, best first (not re-checked for
    publicness: callers do that on every read). Cached briefly per resource version; raises
    VectorSearchUnavailable when the vectors cannot be used (that answer is cached for a minute, so a store
    that is down does not slow every page view)."""
    limit = max(1, min(limit, SIMILAR_MAX))
    key = _similar_key(resource, limit)
    cached = cache.get(key)
    if cached is not None:
        if cached == "unavailable":
            raise VectorSearchUnavailable("vector search was unavailable a moment ago")
        return cached
    try:
        store = _vector_call("opening the vector store", get_vector_store)
        dimensions = _vector_call("reading the resources collection", store.dimensions, RESOURCES)
        if dimensions is None:
            raise VectorSearchUnavailable("the resources collection does not exist: run `manage.py embed --all`")
        encoder = _vector_call("loading the encoder", get_encoder)
        if dimensions != encoder.dimensions:
            raise VectorSearchUnavailable(
                f"the resources collection has {dimensions} dimensions, the encoder {encoder.dimensions}: "
                "run `manage.py embed --all`"
            )
        vector = _vector_call("encoding the resource", encoder.encode, [resource_text(resource)])[0]
        # One more than asked for: the resource itself is normally its own best match.
        hits = _vector_call("searching resources", store.search, RESOURCES, vector, limit=limit + 1)
    except VectorSearchUnavailable:
        cache.set(key, "unavailable", SIMILAR_FAILURE_CACHE_SECONDS)
        raise
    ids = [int(hit.payload.get("resource_id", hit.id)) for hit in hits]
    ids = [pk for pk in ids if pk != resource.pk][:limit]
    cache.set(key, ids, SIMILAR_CACHE_SECONDS)
    return ids


# --- Content chunks ----------------------------------------------------------------------------------


@dataclass
class ChunkMatch:
    content_file_id: int
    file_title: str
    chunk: int
    text: str
    score: float


@dataclass
class ResourceChunks:
    resource: LearningResource
    score: float
    chunks: list[ChunkMatch]


def content_search(q: str, filters: dict[str, list[str]], limit: int = CONTENT_LIMIT) -> list[ResourceChunks]:
    """The `limit` content-file chunks closest to `q` under the facet `filters`, grouped by resource (best chunk
    first); only chunks of published files of public resources. Raises VectorSearchUnavailable."""
    conditions = payload_filters({key: values for key, values in filters.items() if values})
    if conditions is None:
        return []
    vector = embed_query(q)
    store = _vector_call("opening the vector store", get_vector_store)
    # Ask for more than needed: chunks of files or resources that stopped being public are dropped below.
    hits = _vector_call("searching content chunks", store.search, CHUNKS, vector, limit=limit * 2, filters=conditions)
    file_ids = {int(hit.payload["content_file_id"]) for hit in hits if hit.payload.get("content_file_id")}
    live_files = dict(
        ContentFile.objects.filter(
            pk__in=file_ids, published=True, resource__published=True, resource__hidden=False
        ).values_list("pk", "resource_id")
    )
    resources = LearningResource.objects.public().in_bulk(set(live_files.values()))
    grouped: dict[int, ResourceChunks] = {}
    kept = 0
    for hit in hits:
        file_id = int(hit.payload.get("content_file_id") or 0)
        resource_id = live_files.get(file_id)
        if resource_id is None or resource_id not in resources or kept >= limit:
            continue
        kept += 1
        group = grouped.setdefault(resource_id, ResourceChunks(resources[resource_id], float(hit.score), []))
        group.chunks.append(
            ChunkMatch(
                content_file_id=file_id,
                file_title=str(hit.payload.get("file_title", "")),
                chunk=int(hit.payload.get("chunk", 0)),
                text=str(hit.payload.get("text", "")),
                score=float(hit.score),
            )
        )
    return sorted(grouped.values(), key=lambda group: -group.score)
