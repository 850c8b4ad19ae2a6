"""The OpenSearch engine (opensearch-py): an index template with an English analyzer, synonyms and edge-ngram
autocomplete; bulk indexing; rebuild into a new index then an atomic alias swap; multi_match with field boosts and
fuzziness; facets as aggregations filtered by the other facets' selections while `post_filter` narrows the hits;
sort options and highlights.

The request bodies are built by pure functions (`index_template`, `search_body`, `suggest_body`) so they can be
unit-tested against the documented DSL without a server.
"""

import logging
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime

from django.conf import settings
from django.db import transaction
from django.utils.html import escape

from ..facets import FACET_KEYS
from .base import IndexDocument, SearchEngine, SearchHit, SearchRequest, SearchResults, SearchUnavailable
from .database import add_vocabulary, replace_vocabulary

logger = logging.getLogger(__name__)

PAIR_SEPARATOR = "\x1f"  # facet_pairs values are "value<US>label" so aggregations return labels too
TEXT_FIELDS = ["title^8", "people^4", "body^2", "content^0.5"]
DECAY = 0.6
BULK_CHUNK = 500


def alias_name() -> str:
    return f"{settings.OPENSEARCH_INDEX_PREFIX}-documents"


def index_template(synonyms: list[str] | None = None) -> dict:
    """The composable index template (PUT _index_template/<name>) for every generation of the documents index."""
    text = {"type": "text", "analyzer": "english_text", "search_analyzer": "english_search"}
    facet_properties = {key: {"type": "keyword"} for key in FACET_KEYS}
    return {
        "index_patterns": [f"{alias_name()}-*"],
        "template": {
            "settings": {
                "number_of_shards": 1,
                "analysis": {
                    "filter": {
                        "english_possessive": {"type": "stemmer", "language": "possessive_english"},
                        "english_stop": {"type": "stop", "stopwords": "_english_"},
                        "english_stemmer": {"type": "stemmer", "language": "english"},
                        "learnhub_synonyms": {
                            "type": "synonym_graph",
                            "synonyms": synonyms or [],
                            "lenient": True,
                        },
                        "autocomplete_ngram": {"type": "edge_ngram", "min_gram": 2, "max_gram": 20},
                    },
                    "analyzer": {
                        "english_text": {
                            "type": "custom",
                            "tokenizer": "standard",
                            "filter": [
                                "english_possessive",
                                "lowercase",
                                "asciifolding",
                                "english_stop",
                                "english_stemmer",
                            ],
                        },
                        "english_search": {
                            "type": "custom",
                            "tokenizer": "standard",
                            "filter": [
                                "english_possessive",
                                "lowercase",
                                "asciifolding",
                                "learnhub_synonyms",
                                "english_stop",
                                "english_stemmer",
                            ],
                        },
                        "autocomplete": {
                            "type": "custom",
                            "tokenizer": "standard",
                            "filter": ["lowercase", "asciifolding", "autocomplete_ngram"],
                        },
                        "autocomplete_search": {
                            "type": "custom",
                            "tokenizer": "standard",
                            "filter": ["lowercase", "asciifolding"],
                        },
                    },
                },
            },
            "mappings": {
                "dynamic": False,
                "properties": {
                    "key": {"type": "keyword"},
                    "kind": {"type": "keyword"},
                    "object_id": {"type": "long"},
                    "doc_type": {"type": "keyword"},
                    "title": {
                        **text,
                        "fields": {
                            "autocomplete": {
                                "type": "text",
                                "analyzer": "autocomplete",
                                "search_analyzer": "autocomplete_search",
                            },
                            "keyword": {"type": "keyword", "ignore_above": 512},
                        },
                    },
                    "people": text,
                    "body": text,
                    "content": text,
                    "summary": {"type": "keyword", "index": False, "doc_values": False},
                    "url": {"type": "keyword", "index": False},
                    "image_url": {"type": "keyword", "index": False},
                    "boost": {"type": "float"},
                    "popularity": {"type": "integer"},
                    "published_at": {"type": "date"},
                    "start_date": {"type": "date"},
                    "ended_at": {"type": "date"},
                    "facets": {"properties": facet_properties},
                    "facet_pairs": {"properties": facet_properties},
                    "display": {"type": "object", "enabled": False},
                },
            },
        },
    }


def document_source(doc: IndexDocument) -> dict:
    """The _source of one document."""
    return {
        "key": doc.key,
        "kind": doc.kind,
        "object_id": doc.object_id,
        "doc_type": doc.doc_type,
        "title": doc.title,
        "people": doc.people,
        "body": doc.body,
        "content": doc.content,
        "summary": doc.summary,
        "url": doc.url,
        "image_url": doc.image_url,
        "boost": doc.boost,
        "popularity": doc.popularity,
        "published_at": doc.published_at.isoformat() if doc.published_at else None,
        "start_date": doc.start_date.isoformat() if doc.start_date else None,
        "ended_at": doc.ended_at.isoformat() if doc.ended_at else None,
        "facets": {key: [value for value, _ in values] for key, values in doc.facets.items()},
        "facet_pairs": {
            key: [f"{value}{PAIR_SEPARATOR}{label}" for value, label in values] for key, values in doc.facets.items()
        },
        "display": doc.display,
    }


def _facet_filter(key: str, values: list[str]) -> dict:
    return {"terms": {f"facets.{key}": values}}


SORT_CLAUSES = {
    "relevance": ["_score", {"popularity": {"order": "desc"}}],
    "newest": [{"published_at": {"order": "desc", "missing": "_last"}}, "_score"],
    "start_date": "see start_date_sort",
    "popularity": [{"popularity": {"order": "desc"}}, "_score"],
}


# Upcoming starts first (soonest first), then past starts (most recent first), then undated: one number per
# document, since a field sort cannot switch direction at "now".
START_DATE_SCRIPT = (
    "if (doc['start_date'].size() == 0) { return 3.0e13; } "
    "long t = doc['start_date'].value.toInstant().toEpochMilli(); "
    "return t >= params.now ? (double) t : 1.0e13 + (params.now - t);"
)


def start_date_sort(now: datetime) -> list:
    script = {"lang": "painless", "source": START_DATE_SCRIPT, "params": {"now": int(now.timestamp() * 1000)}}
    return [{"_script": {"type": "number", "order": "asc", "script": script}}, "_score"]


def search_body(request: SearchRequest, now: datetime | None = None) -> dict:
    """The _search body: scored text match, post_filter for the selected facets, per-facet aggregations."""
    now = now or datetime.now(UTC)
    if request.is_browse:
        text_query: dict = {"match_all": {}}
    else:
        should = [
            {
                "multi_match": {
                    "query": " ".join(request.terms),
                    "fields": TEXT_FIELDS,
                    "type": "most_fields",
                    "operator": "or",
                    "fuzziness": "AUTO",
                    "prefix_length": 1,
                }
            }
        ]
        if request.expansions:
            should.append(
                {
                    "multi_match": {
                        "query": " ".join(request.expansions),
                        "fields": TEXT_FIELDS,
                        "type": "most_fields",
                        "operator": "or",
                        "boost": 0.5,
                    }
                }
            )
        text_query = {"bool": {"should": should, "minimum_should_match": 1}}
    cutoff = now.replace(year=now.year - 1).isoformat()
    query = {
        "function_score": {
            "query": text_query,
            "functions": [
                {"field_value_factor": {"field": "boost", "missing": 1}},
                {"filter": {"range": {"ended_at": {"lt": cutoff}}}, "weight": DECAY},
            ],
            "score_mode": "multiply",
            "boost_mode": "multiply",
        }
    }
    selected = {key: values for key, values in request.filters.items() if values}
    body: dict = {
        "query": query,
        "from": request.offset,
        "size": request.limit,
        "track_total_hits": True,
        "sort": start_date_sort(now)
        if request.sort == "start_date"
        else SORT_CLAUSES.get(request.sort, SORT_CLAUSES["relevance"]),
        "_source": {"excludes": ["people", "body", "content", "facet_pairs"]},
    }
    if selected:
        body["post_filter"] = {"bool": {"filter": [_facet_filter(key, values) for key, values in selected.items()]}}
    if request.facets:
        aggs = {}
        for key in FACET_KEYS:
            others = [_facet_filter(other, values) for other, values in selected.items() if other != key]
            aggs[key] = {
                "filter": {"bool": {"filter": others}} if others else {"match_all": {}},
                # Each bucket says how far its count may be off (0 on one shard: exact; see `facet_counts_from`).
                "aggs": {
                    "values": {"terms": {"field": f"facet_pairs.{key}", "size": 200, "show_term_doc_count_error": True}}
                },
            }
        body["aggs"] = aggs
    if request.highlight and not request.is_browse:
        body["highlight"] = {
            "encoder": "html",
            "pre_tags": ["<mark>"],
            "post_tags": ["</mark>"],
            "fields": {
                "title": {"number_of_fragments": 0},
                "body": {"fragment_size": 160, "number_of_fragments": 2},
                "content": {"fragment_size": 160, "number_of_fragments": 1},
            },
        }
    return body


def suggest_body(words: list[str], limit: int) -> dict:
    return {
        "query": {
            "function_score": {
                "query": {"match": {"title.autocomplete": {"query": " ".join(words), "operator": "and"}}},
                "field_value_factor": {"field": "boost", "missing": 1},
                "boost_mode": "multiply",
            }
        },
        "size": limit,
        "_source": {"excludes": ["people", "body", "content", "facet_pairs"]},
    }


def _parse_date(value):
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def hit_from_source(raw: dict) -> SearchHit:
    source = raw.get("_source", {})
    highlight = raw.get("highlight", {})
    snippet = " … ".join(highlight.get("body", []) or highlight.get("content", []))
    return SearchHit(
        key=source.get("key", raw.get("_id", "")),
        kind=source.get("kind", ""),
        object_id=int(source.get("object_id") or 0),
        doc_type=source.get("doc_type", ""),
        title=source.get("title", ""),
        url=source.get("url", ""),
        summary=source.get("summary", ""),
        image_url=source.get("image_url", ""),
        score=float(raw.get("_score") or 0.0),
        title_html=(highlight.get("title") or [escape(source.get("title", ""))])[0],
        snippet_html=snippet,
        display=source.get("display") or {},
        published_at=_parse_date(source.get("published_at")),
        start_date=_parse_date(source.get("start_date")),
    )


def facet_counts_from(aggregations: dict) -> dict[str, dict[str, tuple[int, str]]]:
    counts: dict[str, dict[str, tuple[int, str]]] = {}
    for key in FACET_KEYS:
        for bucket in aggregations.get(key, {}).get("values", {}).get("buckets", []):
            value, _, label = str(bucket["key"]).partition(PAIR_SEPARATOR)
            counts.setdefault(key, {})[value] = (bucket["doc_count"], label or value)
    return counts


def facet_counts_estimated(aggregations: dict) -> bool:
    """True when a shown bucket's count may be off: a terms aggregation over several shards reports an upper bound
    of its error per bucket (`show_term_doc_count_error`); on one shard, or with the bound 0, counts are exact."""
    return any(
        (bucket.get("doc_count_error_upper_bound") or 0) > 0
        for key in FACET_KEYS
        for bucket in aggregations.get(key, {}).get("values", {}).get("buckets", [])
    )


def total_from(hits: dict) -> tuple[int, bool]:
    """(total, estimated) from a response's `hits`: with `track_total_hits: true` the relation is "eq" (exact);
    "gte" (a lower bound) is reported as an estimate."""
    total = hits.get("total") or 0
    if isinstance(total, dict):
        return int(total.get("value", 0)), total.get("relation", "eq") != "eq"
    return int(total), False


def synonym_rules() -> list[str]:
    """The admin's synonym groups in Solr format ("ml, machine learning") for the index's synonym filter."""
    from ..models import Synonym

    return [", ".join(group) for group in (s.term_list() for s in Synonym.objects.all()) if len(group) > 1]


class OpenSearchEngine(SearchEngine):
    name = "opensearch"

    def __init__(self, client=None):
        self._client = client

    @property
    def client(self):
        if self._client is None:
            from opensearchpy import OpenSearch

            if not settings.OPENSEARCH_URL:
                raise RuntimeError("SEARCH_ENGINE is opensearch but OPENSEARCH_URL is empty; set it or use database")
            self._client = OpenSearch(
                hosts=[settings.OPENSEARCH_URL],
                timeout=settings.OPENSEARCH_TIMEOUT,
                verify_certs=settings.OPENSEARCH_VERIFY_CERTS,
            )
        return self._client

    # --- Index management --------------------------------------------------------------------------

    def ensure_template(self) -> None:
        self.client.indices.put_index_template(name=alias_name(), body=index_template(synonym_rules()))

    def _new_index_name(self) -> str:
        return f"{alias_name()}-{datetime.now(UTC).strftime('%Y%m%d%H%M%S%f')}"

    def _current_indexes(self) -> list[str]:
        if not self.client.indices.exists_alias(name=alias_name()):
            return []
        return sorted(self.client.indices.get_alias(name=alias_name()))

    def ensure_index(self) -> None:
        """Create a first index behind the alias if there is none (incremental updates before any rebuild)."""
        if self._current_indexes():
            return
        self.ensure_template()
        name = self._new_index_name()
        self.client.indices.create(index=name)
        self.client.indices.update_aliases(body={"actions": [{"add": {"index": name, "alias": alias_name()}}]})

    def refresh(self) -> None:
        self.client.indices.refresh(index=alias_name())

    def drop_all(self) -> None:
        """Delete every generation of the index and the template (tests)."""
        for name in self._current_indexes():
            self.client.indices.delete(index=name)
        self.client.indices.delete_index_template(name=alias_name(), ignore=[404])

    # --- Writing -----------------------------------------------------------------------------------

    def _bulk(self, actions) -> int:
        from opensearchpy import helpers

        success, errors = helpers.bulk(self.client, actions, chunk_size=BULK_CHUNK, raise_on_error=False)
        real_errors = [e for e in errors if next(iter(e.values())).get("status") != 404]
        if real_errors:
            logger.error("OpenSearch bulk errors: %s", real_errors[:5])
            raise RuntimeError(f"OpenSearch rejected {len(real_errors)} documents; first: {real_errors[0]}")
        return success

    def index(self, documents: Iterable[IndexDocument]) -> int:
        documents = list(documents)
        if not documents:
            return 0
        self.ensure_index()
        with transaction.atomic():
            add_vocabulary(documents)
        return self._bulk(
            {"_op_type": "index", "_index": alias_name(), "_id": doc.key, "_source": document_source(doc)}
            for doc in documents
        )

    def delete(self, keys: Iterable[str]) -> int:
        keys = list(keys)
        if not keys or not self._current_indexes():
            return 0
        return self._bulk({"_op_type": "delete", "_index": alias_name(), "_id": key} for key in keys)

    def rebuild(self, documents, *, total=None, progress=None) -> int:
        """Index everything into a new index, then point the alias at it in one atomic alias update."""
        self.ensure_template()
        name = self._new_index_name()
        self.client.indices.create(index=name)
        terms: Counter = Counter()
        written = 0

        def actions():
            nonlocal written
            batch = []
            for doc in documents:
                batch.append(doc)
                yield {"_op_type": "index", "_index": name, "_id": doc.key, "_source": document_source(doc)}
                if len(batch) >= BULK_CHUNK:
                    add_vocabulary(batch, terms)
                    written += len(batch)
                    if progress:
                        progress(len(batch))
                    batch = []
            if batch:
                add_vocabulary(batch, terms)
                written += len(batch)
                if progress:
                    progress(len(batch))

        try:
            self._bulk(actions())
            self.client.indices.refresh(index=name)
        except Exception:
            self.client.indices.delete(index=name, ignore=[404])
            raise
        old = self._current_indexes()
        swap = [{"remove": {"index": index, "alias": alias_name()}} for index in old]
        swap.append({"add": {"index": name, "alias": alias_name()}})
        self.client.indices.update_aliases(body={"actions": swap})
        for index in old:
            self.client.indices.delete(index=index, ignore=[404])
        with transaction.atomic():
            replace_vocabulary(terms)
        return written

    # --- Reading -----------------------------------------------------------------------------------

    def _query(self, body: dict) -> dict | None:
        """Run a query against the alias (None when there is no index yet); an unreachable or failing server is
        `SearchUnavailable`, saying where."""
        from opensearchpy.exceptions import OpenSearchException

        try:
            if not self._current_indexes():
                return None
            return self.client.search(index=alias_name(), body=body)
        except OpenSearchException as exc:
            logger.warning("OpenSearch at %s could not answer a query: %s", settings.OPENSEARCH_URL, exc)
            raise SearchUnavailable(f"OpenSearch at {settings.OPENSEARCH_URL} could not answer: {exc}") from exc

    def search(self, request: SearchRequest) -> SearchResults:
        response = self._query(search_body(request))
        if response is None:
            return SearchResults(total=0, hits=[])
        total, estimated = total_from(response["hits"])
        aggregations = response.get("aggregations", {})
        return SearchResults(
            total=total,
            hits=[hit_from_source(raw) for raw in response["hits"]["hits"]],
            facet_counts=facet_counts_from(aggregations),
            total_capped=estimated,
            facets_estimated=facet_counts_estimated(aggregations),
        )

    def suggest(self, prefix_terms, limit=8):
        response = self._query(suggest_body(prefix_terms, limit)) if prefix_terms else None
        return [hit_from_source(raw) for raw in response["hits"]["hits"]] if response else []

    def count(self) -> int:
        if not self._current_indexes():
            return 0
        return self.client.count(index=alias_name())["count"]

    def indexed_keys(self) -> set[str]:
        if not self._current_indexes():
            return set()
        response = self.client.search(
            index=alias_name(), body={"query": {"match_all": {}}, "size": 10000, "_source": ["key"]}
        )
        return {raw["_id"] for raw in response["hits"]["hits"]}
