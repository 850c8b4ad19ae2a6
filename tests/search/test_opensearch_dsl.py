"""The OpenSearch engine's index template and request bodies, checked against the documented DSL, and its index
lifecycle (bulk, rebuild into a new index, atomic alias swap) against a recording client."""

import datetime

import pytest

from search.engines.base import IndexDocument, SearchRequest
from search.engines.opensearch import (
    PAIR_SEPARATOR,
    OpenSearchEngine,
    alias_name,
    document_source,
    facet_counts_from,
    hit_from_source,
    index_template,
    search_body,
    suggest_body,
)
from search.facets import FACET_KEYS

NOW = datetime.datetime(2026, 11, 22, tzinfo=datetime.UTC)


def test_index_template_analysis_and_mappings(settings):
    settings.OPENSEARCH_INDEX_PREFIX = "lh"
    template = index_template(["ml, machine learning"])
    assert template["index_patterns"] == ["lh-documents-*"]
    analysis = template["template"]["settings"]["analysis"]
    assert analysis["filter"]["english_stemmer"] == {"type": "stemmer", "language": "english"}
    assert analysis["filter"]["learnhub_synonyms"]["type"] == "synonym_graph"
    assert analysis["filter"]["learnhub_synonyms"]["synonyms"] == ["ml, machine learning"]
    assert analysis["filter"]["autocomplete_ngram"] == {"type": "edge_ngram", "min_gram": 2, "max_gram": 20}
    # Synonyms are a search-time filter (synonym_graph is not allowed in index analyzers).
    assert "learnhub_synonyms" not in analysis["analyzer"]["english_text"]["filter"]
    assert "learnhub_synonyms" in analysis["analyzer"]["english_search"]["filter"]
    assert "asciifolding" in analysis["analyzer"]["english_text"]["filter"]
    properties = template["template"]["mappings"]["properties"]
    assert properties["title"]["analyzer"] == "english_text"
    assert properties["title"]["search_analyzer"] == "english_search"
    assert properties["title"]["fields"]["autocomplete"]["analyzer"] == "autocomplete"
    assert properties["published_at"] == {"type": "date"}
    assert set(properties["facets"]["properties"]) == set(FACET_KEYS)
    assert all(field == {"type": "keyword"} for field in properties["facets"]["properties"].values())
    assert properties["display"] == {"type": "object", "enabled": False}


def test_search_body_text_query_boosts_fuzziness_and_decay():
    request = SearchRequest(text="machne learning", terms=["machne", "learning"], expansions=["machine"])
    body = search_body(request, now=NOW)
    function_score = body["query"]["function_score"]
    should = function_score["query"]["bool"]["should"]
    assert should[0]["multi_match"]["query"] == "machne learning"
    assert should[0]["multi_match"]["fields"] == ["title^8", "people^4", "body^2", "content^0.5"]
    assert should[0]["multi_match"]["fuzziness"] == "AUTO"
    assert should[0]["multi_match"]["operator"] == "or"
    assert should[1]["multi_match"]["query"] == "machine" and should[1]["multi_match"]["boost"] == 0.5
    assert function_score["functions"][0] == {"field_value_factor": {"field": "boost", "missing": 1}}
    assert function_score["functions"][1]["filter"] == {"range": {"ended_at": {"lt": "2025-11-22T00:00:00+00:00"}}}
    assert body["track_total_hits"] is True
    assert body["highlight"]["encoder"] == "html"
    assert "post_filter" not in body


def test_search_body_facets_post_filter_and_aggregations_exclude_their_own_selection():
    request = SearchRequest(filters={"topic": ["physics", "chemistry"], "price": ["free"]}, offset=40, limit=20)
    body = search_body(request, now=NOW)
    assert body["query"]["function_score"]["query"] == {"match_all": {}}
    assert body["from"] == 40 and body["size"] == 20
    assert body["post_filter"] == {
        "bool": {
            "filter": [
                {"terms": {"facets.topic": ["physics", "chemistry"]}},
                {"terms": {"facets.price": ["free"]}},
            ]
        }
    }
    aggs = body["aggs"]
    assert set(aggs) == set(FACET_KEYS)
    assert aggs["topic"]["filter"] == {"bool": {"filter": [{"terms": {"facets.price": ["free"]}}]}}
    assert aggs["price"]["filter"] == {"bool": {"filter": [{"terms": {"facets.topic": ["physics", "chemistry"]}}]}}
    assert aggs["level"]["filter"]["bool"]["filter"] == [
        {"terms": {"facets.topic": ["physics", "chemistry"]}},
        {"terms": {"facets.price": ["free"]}},
    ]
    assert aggs["level"]["aggs"]["values"]["terms"]["field"] == "facet_pairs.level"
    assert "highlight" not in body  # browsing has nothing to highlight


@pytest.mark.parametrize(
    "sort, first",
    [
        ("relevance", "_score"),
        ("newest", {"published_at": {"order": "desc", "missing": "_last"}}),
        ("popularity", {"popularity": {"order": "desc"}}),
    ],
)
def test_search_body_sorts(sort, first):
    assert search_body(SearchRequest(sort=sort), now=NOW)["sort"][0] == first


def test_start_date_sort_puts_upcoming_then_past_then_undated():
    script = search_body(SearchRequest(sort="start_date"), now=NOW)["sort"][0]["_script"]
    assert script["type"] == "number" and script["order"] == "asc"
    assert script["script"]["params"]["now"] == int(NOW.timestamp() * 1000)
    assert "doc['start_date'].size() == 0" in script["script"]["source"]


def test_suggest_body_uses_the_edge_ngram_field():
    body = suggest_body(["intro", "mach"], 5)
    match = body["query"]["function_score"]["query"]["match"]
    assert match == {"title.autocomplete": {"query": "intro mach", "operator": "and"}}
    assert body["size"] == 5


def _doc(key="resource:1", title="Machine learning"):
    return IndexDocument(
        key=key,
        kind="resource",
        object_id=int(key.split(":")[1]),
        doc_type="course",
        title=title,
        facets={"topic": [("ml", "Machine Learning")], "price": [("free", "Free")]},
        published_at=NOW,
    )


def test_document_source_and_parsing_round_trip():
    source = document_source(_doc())
    assert source["facets"] == {"topic": ["ml"], "price": ["free"]}
    assert source["facet_pairs"]["topic"] == [f"ml{PAIR_SEPARATOR}Machine Learning"]
    assert source["published_at"] == "2026-11-22T00:00:00+00:00"
    hit = hit_from_source(
        {"_id": "resource:1", "_score": 2.5, "_source": source, "highlight": {"title": ["<mark>Machine</mark> x"]}}
    )
    assert hit.title_html == "<mark>Machine</mark> x" and hit.score == 2.5 and hit.published_at == NOW
    counts = facet_counts_from(
        {
            "topic": {
                "doc_count": 3,
                "values": {"buckets": [{"key": f"ml{PAIR_SEPARATOR}Machine Learning", "doc_count": 3}]},
            }
        }
    )
    assert counts == {"topic": {"ml": (3, "Machine Learning")}}


class RecordingIndices:
    def __init__(self, client):
        self.client = client

    def put_index_template(self, name, body):
        self.client.calls.append(("put_index_template", name))

    def exists_alias(self, name):
        return bool(self.client.aliased)

    def get_alias(self, name):
        return {index: {"aliases": {name: {}}} for index in self.client.aliased}

    def create(self, index):
        self.client.calls.append(("create", index))

    def update_aliases(self, body):
        self.client.calls.append(("update_aliases", body["actions"]))
        for action in body["actions"]:
            if "remove" in action:
                self.client.aliased.discard(action["remove"]["index"])
            if "add" in action:
                self.client.aliased.add(action["add"]["index"])

    def refresh(self, index):
        self.client.calls.append(("refresh", index))

    def delete(self, index, ignore=None):
        self.client.calls.append(("delete", index))


class RecordingClient:
    def __init__(self):
        self.calls, self.aliased, self.bulked = [], set(), []
        self.indices = RecordingIndices(self)
        self.transport = None


@pytest.fixture
def recording(monkeypatch, settings):
    settings.OPENSEARCH_INDEX_PREFIX = "lh"
    client = RecordingClient()

    def fake_bulk(client_, actions, **kwargs):
        actions = list(actions)
        client_.bulked.append(actions)
        return len(actions), []

    monkeypatch.setattr("opensearchpy.helpers.bulk", fake_bulk)
    return client


def test_rebuild_builds_a_new_index_then_swaps_the_alias_atomically(db, recording):
    engine = OpenSearchEngine(client=recording)
    recording.aliased = {"lh-documents-old"}
    written = engine.rebuild(iter([_doc("resource:1"), _doc("resource:2", "Physics")]))
    assert written == 2
    created = next(call[1] for call in recording.calls if call[0] == "create")
    assert created.startswith(alias_name() + "-")
    assert [action["_index"] for action in recording.bulked[0]] == [created, created]
    swap = next(call[1] for call in recording.calls if call[0] == "update_aliases")
    assert swap == [
        {"remove": {"index": "lh-documents-old", "alias": "lh-documents"}},
        {"add": {"index": created, "alias": "lh-documents"}},
    ]
    names = [call[0] for call in recording.calls]
    assert names.index("refresh") < names.index("update_aliases") < names.index("delete")
    assert recording.aliased == {created}
    from search.models import SearchTerm

    assert SearchTerm.objects.filter(term="physics").exists()


def test_incremental_index_and_delete_go_through_the_alias(db, recording):
    engine = OpenSearchEngine(client=recording)
    engine.index([_doc()])
    assert recording.aliased  # a first index was created behind the alias
    assert recording.bulked[-1][0]["_index"] == "lh-documents" and recording.bulked[-1][0]["_id"] == "resource:1"
    engine.delete(["resource:1"])
    assert recording.bulked[-1] == [{"_op_type": "delete", "_index": "lh-documents", "_id": "resource:1"}]


def test_missing_url_is_a_clear_error(settings):
    settings.OPENSEARCH_URL = ""
    with pytest.raises(RuntimeError, match="OPENSEARCH_URL"):
        OpenSearchEngine().client  # noqa: B018
