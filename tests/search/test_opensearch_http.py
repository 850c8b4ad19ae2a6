"""The OpenSearch engine over real HTTP, against a local stand-in of the subset of the REST API it uses (index
template, index create/refresh/delete, aliases, _bulk NDJSON, _search, _count). The stand-in keeps indices, aliases
and documents in memory and answers in OpenSearch's documented response shapes; its text matching is deliberately
simple (a query word in the title), since what is under test is the protocol. The behavioural suite runs the same
engine against a real server when OPENSEARCH_URL is set."""

import html
import json
import re
import socket
from collections import Counter
from fnmatch import fnmatch

import pytest
from opensearchpy.exceptions import ConnectionError as OpenSearchConnectionError
from opensearchpy.exceptions import TransportError
from werkzeug import Response

from catalog.factories import CourseFactory
from search.documents import all_documents
from search.engines.base import IndexDocument, SearchUnavailable
from search.engines.opensearch import PAIR_SEPARATOR, OpenSearchEngine
from search.facets import FACET_KEYS
from search.service import SearchParams, run_search

ALIAS = "lh-documents"
INDEX_NAME = r"[^_/][^/]*"  # index names cannot start with "_", which keeps them apart from the API endpoints
SHARDS = {"total": 1, "successful": 1, "skipped": 0, "failed": 0}


def _json(body, status=200):
    return Response(json.dumps(body), status=status, content_type="application/json")


def _error(status, kind, reason):
    cause = {"type": kind, "reason": reason}
    return _json({"error": {"root_cause": [cause], **cause}, "status": status}, status)


def _matches(source, clause):
    """The filter clauses the engine sends: match_all, bool.filter and terms on facets.<key>."""
    if "bool" in clause:
        return all(_matches(source, inner) for inner in clause["bool"].get("filter", []))
    if "terms" in clause:
        ((field, values),) = clause["terms"].items()
        return bool(set(source["facets"].get(field.removeprefix("facets."), [])) & set(values))
    return "match_all" in clause


def _query_words(query):
    """The words of the first multi_match under function_score (none for match_all: browse everything)."""
    should = query["function_score"]["query"].get("bool", {}).get("should", [])
    return should[0]["multi_match"]["query"].lower().split() if should else []


class OpenSearchStandIn:
    def __init__(self, server):
        self.templates, self.indices, self.aliases = {}, {}, {}
        self.requests = []  # (method, path, body) as received
        self.reject = set()  # document ids answered with a per-item mapper_parsing_exception
        routes = [
            ("PUT", r"/_index_template/(?P<name>[^/]+)", self.put_template),
            ("HEAD", r"/_alias/(?P<name>[^/]+)", self.get_alias),
            ("GET", r"/_alias/(?P<name>[^/]+)", self.get_alias),
            ("POST", r"/_aliases", self.update_aliases),
            ("POST", r"/_bulk", self.bulk),
            ("POST", rf"/(?P<target>{INDEX_NAME})/_refresh", self.refresh),
            ("POST", rf"/(?P<target>{INDEX_NAME})/_search", self.search),
            ("POST", rf"/(?P<target>{INDEX_NAME})/_count", self.count),
            ("PUT", rf"/(?P<index>{INDEX_NAME})", self.create_index),
            ("DELETE", rf"/(?P<index>{INDEX_NAME})", self.delete_index),
        ]
        for method, path, handler in routes:
            server.expect_request(re.compile(path + "$"), method=method).respond_with_handler(
                self._route(path, handler)
            )

    def _route(self, path, handler):
        def handle(request):
            body = request.get_data(as_text=True)
            self.requests.append((request.method, request.path, body))
            if body and request.mimetype not in ("application/json", "application/x-ndjson"):
                return _json(
                    {"error": f"Content-Type header [{request.mimetype}] is not supported", "status": 406}, 406
                )
            return handler(body, **re.match(path + "$", request.path).groupdict())

        return handle

    def bodies(self, method, path):
        return [body for m, p, body in self.requests if (m, p) == (method, path)]

    def calls(self):
        return [f"{method} {path}" for method, path, _ in self.requests]

    def _resolve(self, target):
        return sorted(self.aliases.get(target) or ([target] if target in self.indices else []))

    def _new_index(self, name):
        patterns = {template: spec["index_patterns"] for template, spec in self.templates.items()}
        template = next((t for t, globs in patterns.items() if any(fnmatch(name, g) for g in globs)), None)
        self.indices[name] = {"docs": {}, "template": template, "refreshes": 0}

    def put_template(self, body, name):
        self.templates[name] = json.loads(body)
        return _json({"acknowledged": True})

    def get_alias(self, body, name):
        if not self.aliases.get(name):
            return _json({"error": f"alias [{name}] missing", "status": 404}, 404)
        return _json({index: {"aliases": {name: {}}} for index in sorted(self.aliases[name])})

    def update_aliases(self, body):
        actions = [next(iter(action.items())) for action in json.loads(body)["actions"]]
        for op, target in actions:  # all or nothing: every action is checked before any is applied
            if target["index"] not in self.indices:
                return _error(404, "index_not_found_exception", f"no such index [{target['index']}]")
            if op == "remove" and target["index"] not in self.aliases.get(target["alias"], ()):
                return _error(404, "aliases_not_found_exception", f"aliases [{target['alias']}] missing")
        for op, target in actions:
            members = self.aliases.setdefault(target["alias"], set())
            (members.add if op == "add" else members.discard)(target["index"])
        return _json({"acknowledged": True})

    def create_index(self, body, index):
        if index in self.indices:
            return _error(400, "resource_already_exists_exception", f"index [{index}] already exists")
        self._new_index(index)
        return _json({"acknowledged": True, "shards_acknowledged": True, "index": index})

    def delete_index(self, body, index):
        if self.indices.pop(index, None) is None:
            return _error(404, "index_not_found_exception", f"no such index [{index}]")
        for members in self.aliases.values():
            members.discard(index)
        return _json({"acknowledged": True})

    def refresh(self, body, target):
        for name in self._resolve(target):
            self.indices[name]["refreshes"] += 1
        return _json({"_shards": SHARDS})

    def bulk(self, body):
        if not body.endswith("\n"):
            return _error(400, "illegal_argument_exception", "The bulk request must be terminated by a newline [\\n]")
        lines, items = iter(json.loads(line) for line in body.splitlines()), []
        for action in lines:
            ((op, meta),) = action.items()
            name = (self._resolve(meta["_index"]) or [meta["_index"]])[0]
            if name not in self.indices:
                self._new_index(name)  # action.auto_create_index, OpenSearch's default
            docs, item = self.indices[name]["docs"], {"_index": name, "_id": meta["_id"], "_shards": SHARDS}
            if op == "index" and meta["_id"] in self.reject:
                next(lines)
                reason = f"failed to parse field [published_at] of type [date] in document with id '{meta['_id']}'"
                item.update(status=400, error={"type": "mapper_parsing_exception", "reason": reason})
            elif op == "index":
                item.update(result="updated" if meta["_id"] in docs else "created")
                item.update(status=200 if meta["_id"] in docs else 201)
                docs[meta["_id"]] = next(lines)
            else:
                found = docs.pop(meta["_id"], None) is not None
                item.update(result="deleted" if found else "not_found", status=200 if found else 404)
            items.append({op: item})
        errors = any("error" in item for entry in items for item in entry.values())
        return _json({"took": 3, "errors": errors, "items": items})

    def search(self, body, target):
        if not self._resolve(target):
            return _error(404, "index_not_found_exception", f"no such index [{target}]")
        query, matched = json.loads(body), []
        words = _query_words(query["query"]) if "function_score" in query["query"] else []
        for name in self._resolve(target):
            for doc_id, source in self.indices[name]["docs"].items():
                found = [word for word in words if word in source["title"].lower()]
                if found or not words:
                    matched.append({"_index": name, "_id": doc_id, "_score": 1.0 + len(found), "source": source})
        matched.sort(key=lambda hit: -hit["_score"])
        aggregations = {}
        for key, agg in query.get("aggs", {}).items():
            in_bucket = [hit["source"] for hit in matched if _matches(hit["source"], agg["filter"])]
            field = agg["aggs"]["values"]["terms"]["field"].removeprefix("facet_pairs.")
            counts = Counter(pair for source in in_bucket for pair in source["facet_pairs"].get(field, []))
            buckets = [{"key": pair, "doc_count": count} for pair, count in counts.most_common()]
            values = {"doc_count_error_upper_bound": 0, "sum_other_doc_count": 0, "buckets": buckets}
            aggregations[key] = {"doc_count": len(in_bucket), "values": values}
        shown = [hit for hit in matched if _matches(hit["source"], query.get("post_filter", {"match_all": {}}))]
        start = query.get("from", 0)
        hits = [self._hit(hit, query, words) for hit in shown[start : start + query.get("size", 10)]]
        response = {
            "took": 2,
            "timed_out": False,
            "_shards": SHARDS,
            "hits": {"total": {"value": len(shown), "relation": "eq"}, "max_score": None, "hits": hits},
        }
        return _json({**response, "aggregations": aggregations} if aggregations else response)

    def _hit(self, hit, query, words):
        spec, source = query.get("_source", True), hit.pop("source")
        if isinstance(spec, list):
            hit["_source"] = {key: source[key] for key in spec if key in source}
        else:
            hit["_source"] = {key: value for key, value in source.items() if key not in spec.get("excludes", [])}
        if "highlight" in query and words:
            marked = re.compile("|".join(map(re.escape, words)), re.IGNORECASE)
            fields = {field: html.escape(source.get(field) or "") for field in ("title", "body")}
            hit["highlight"] = {
                field: [marked.sub(lambda m: f"<mark>{m.group()}</mark>", text)]
                for field, text in fields.items()
                if marked.search(text)
            }
        return hit

    def count(self, body, target):
        total = sum(len(self.indices[name]["docs"]) for name in self._resolve(target))
        return _json({"count": total, "_shards": SHARDS})


@pytest.fixture
def stand_in(httpserver, settings):
    # The engine builds its client from settings on first use, per engine instance (get_engine makes a new one
    # per call), so pointing the setting at the stand-in is enough; there is no module-level client to reset.
    settings.OPENSEARCH_URL = httpserver.url_for("/")
    settings.OPENSEARCH_INDEX_PREFIX = "lh"
    yield OpenSearchStandIn(httpserver)
    httpserver.check_handler_errors()
    httpserver.check_assertions()  # nothing was sent outside the subset the stand-in speaks


def _doc(key, title):
    facets = {"topic": [("ml", "Machine Learning")], "price": [("free", "Free")]}
    return IndexDocument(
        key=key, kind="resource", object_id=int(key.split(":")[1]), doc_type="course", title=title, facets=facets
    )


def _ndjson(body):
    return [json.loads(line) for line in body.splitlines()]


def test_rebuild_bulk_loads_a_new_index_then_swaps_the_alias_in_one_call(db, stand_in):
    engine = OpenSearchEngine()
    assert engine.rebuild(iter([_doc("resource:1", "Machine learning"), _doc("resource:2", "Physics")])) == 2
    (first,) = stand_in.aliases[ALIAS]
    assert re.fullmatch(rf"{ALIAS}-\d{{20}}", first)
    assert stand_in.indices[first]["template"] == ALIAS  # the template's index_patterns cover the new generation
    assert stand_in.indices[first]["refreshes"] == 1
    (bulk,) = stand_in.bodies("POST", "/_bulk")
    lines = _ndjson(bulk)
    assert [lines[0], lines[2]] == [
        {"index": {"_index": first, "_id": "resource:1"}},
        {"index": {"_index": first, "_id": "resource:2"}},
    ]
    assert lines[1]["title"] == "Machine learning" and lines[3]["title"] == "Physics"
    assert lines[1]["facets"] == {"topic": ["ml"], "price": ["free"]}
    assert lines[1]["facet_pairs"]["topic"] == [f"ml{PAIR_SEPARATOR}Machine Learning"]
    calls = stand_in.calls()
    steps = [
        f"PUT /_index_template/{ALIAS}",
        f"PUT /{first}",
        "POST /_bulk",
        f"POST /{first}/_refresh",
        "POST /_aliases",
    ]
    assert [calls.index(step) for step in steps] == sorted(calls.index(step) for step in steps)

    assert engine.rebuild(iter([_doc("resource:3", "Chemistry")])) == 1
    (second,) = stand_in.aliases[ALIAS]
    assert second != first and first not in stand_in.indices
    swaps = [json.loads(body)["actions"] for body in stand_in.bodies("POST", "/_aliases")]
    assert swaps == [
        [{"add": {"index": first, "alias": ALIAS}}],
        [{"remove": {"index": first, "alias": ALIAS}}, {"add": {"index": second, "alias": ALIAS}}],
    ]
    calls = stand_in.calls()
    assert calls.index(f"DELETE /{first}") > max(i for i, call in enumerate(calls) if call == "POST /_aliases")
    assert engine.count() == 1 and engine.indexed_keys() == {"resource:3"}


def test_incremental_index_and_delete_write_through_the_alias(db, stand_in):
    engine = OpenSearchEngine()
    assert engine.index([_doc("resource:1", "Machine learning"), _doc("resource:2", "Physics")]) == 2
    (index,) = stand_in.aliases[ALIAS]  # no alias yet, so ensure_index put a first generation behind it
    assert _ndjson(stand_in.bodies("POST", "/_bulk")[0])[0] == {"index": {"_index": ALIAS, "_id": "resource:1"}}
    assert set(stand_in.indices[index]["docs"]) == {"resource:1", "resource:2"}

    # The missing id comes back as a 404 "not_found" item (and "errors": false): already gone, not a failure.
    assert engine.delete(["resource:1", "resource:99"]) == 1
    assert _ndjson(stand_in.bodies("POST", "/_bulk")[1]) == [
        {"delete": {"_index": ALIAS, "_id": "resource:1"}},
        {"delete": {"_index": ALIAS, "_id": "resource:99"}},
    ]
    assert set(stand_in.indices[index]["docs"]) == {"resource:2"}


def test_search_service_reads_hits_highlights_totals_and_facets_off_the_wire(db, stand_in, settings):
    basics = CourseFactory(title="Machine Learning Basics", topics=["Machine Learning"])
    CourseFactory(title="Machine Vision", topics=["Vision"], paid=True)
    CourseFactory(title="Cooking for Engineers", topics=["Food"])
    OpenSearchEngine().rebuild(all_documents())
    settings.SEARCH_ENGINE = "opensearch"

    page = run_search(SearchParams(q="machine", filters={"price": ["free"]}))

    assert [hit.object_id for hit in page.hits] == [basics.pk] and page.total == 1
    assert page.hits[0].title_html == "<mark>Machine</mark> Learning Basics"
    assert page.hits[0].snippet_html == "About <mark>Machine</mark> Learning Basics."
    assert page.hits[0].score == 2.0
    facets = {
        facet.key: {option.value: (option.count, option.selected) for option in facet.options} for facet in page.facets
    }
    assert facets["price"] == {"free": (1, True), "paid": (1, False)}  # a facet's counts ignore its own selection
    assert facets["topic"]["machine-learning"] == (1, False)  # and apply the others' selections:
    assert "vision" not in facets["topic"]  # the paid course's topic is not counted
    labels = {option.value: option.label for facet in page.facets for option in facet.options}
    assert labels["machine-learning"] == "Machine Learning"  # read back from facet_pairs buckets
    body = json.loads(stand_in.bodies("POST", f"/{ALIAS}/_search")[-1])
    assert body["query"]["function_score"]["query"]["bool"]["should"][0]["multi_match"]["query"] == "machine"
    assert body["post_filter"] == {"bool": {"filter": [{"terms": {"facets.price": ["free"]}}]}}
    assert set(body["aggs"]) == set(FACET_KEYS)
    assert body["aggs"]["topic"]["filter"] == {"bool": {"filter": [{"terms": {"facets.price": ["free"]}}]}}


def _fail_bulk_with_500(httpserver, stand_in):
    error = {"type": "circuit_breaking_exception", "reason": "[parent] Data too large"}
    httpserver.expect_oneshot_request("/_bulk", method="POST").respond_with_json(
        {"error": {"root_cause": [error], **error}, "status": 500}, status=500
    )
    return TransportError, "circuit_breaking_exception"


def _reject_a_document(httpserver, stand_in):
    stand_in.reject.add("resource:2")
    return RuntimeError, r"rejected 1 documents.*'_index': 'lh-documents[-\d]*', '_id': 'resource:2'.*mapper_parsing"


@pytest.mark.parametrize("failure", [_fail_bulk_with_500, _reject_a_document])
def test_a_failed_bulk_raises_and_a_failed_rebuild_leaves_the_alias_on_the_old_index(db, stand_in, httpserver, failure):
    engine = OpenSearchEngine()
    engine.rebuild(iter([_doc("resource:1", "Machine learning")]))
    (old,) = stand_in.aliases[ALIAS]

    error, message = failure(httpserver, stand_in)
    with pytest.raises(error, match=message):
        engine.index([_doc("resource:2", "Physics")])

    failure(httpserver, stand_in)
    with pytest.raises(error, match=message):
        engine.rebuild(iter([_doc("resource:1", "Machine learning"), _doc("resource:2", "Physics")]))
    assert stand_in.aliases[ALIAS] == {old} and set(stand_in.indices) == {old}  # the half-built index was dropped
    assert len(stand_in.bodies("POST", "/_aliases")) == 1  # only the first rebuild's swap
    assert set(stand_in.indices[old]["docs"]) == {"resource:1"}


def test_search_with_no_server_is_unavailable_and_says_where(db, settings):
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.OPENSEARCH_URL = f"http://127.0.0.1:{port}"
    settings.SEARCH_ENGINE = "opensearch"
    # The engine turns the client's error into SearchUnavailable (pages answer 503, see test_views).
    with pytest.raises(SearchUnavailable, match=f"OpenSearch at http://127.0.0.1:{port}") as raised:
        run_search(SearchParams(q="machine"))
    assert isinstance(raised.value.__cause__, OpenSearchConnectionError)
