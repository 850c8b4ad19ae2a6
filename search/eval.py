"""The search quality harness: run a judged query set against the current engine, in one search mode (lexical,
semantic or hybrid), and compute nDCG@10, recall@20, MRR and the zero-result rate.

queries.tsv: `query_id <TAB> query text [<TAB> kind [<TAB> split]]` (a header line starting with "query_id" or "#"
             is skipped). `kind` groups queries in the report (topic1, question, typo, noanswer...); `split` is
             `tune` or `report` (the half used to set weights and thresholds, and the half that gives the figure).
qrels.tsv:   `query_id <TAB> document <TAB> relevance` where document is `source:source_id` of a resource
             (e.g. `demo:course-000012`) or an index key (`page:5`), and relevance is 0–3 (graded).
"""

import csv
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.db.models import Q

from catalog.models import LearningResource

from . import semantic
from .service import SearchParams, run_search
from .text import STOPWORDS, normalise, tokens
from .vectors.index import RESOURCES


class EvalFileError(ValueError):
    """A judged-set file could not be read; the message names the file, the line and the problem."""


@dataclass
class QueryScore:
    query_id: str
    query: str
    ndcg10: float
    recall20: float
    rr: float
    results: int
    retrieved: list[str] = field(default_factory=list)
    mode_used: str = "lexical"
    kind: str = ""
    split: str = ""
    no_close_match: bool | None = None
    answerable: bool = True  # some judged document has relevance >= ANSWERED
    retrieved_scores: list[float] = field(default_factory=list)  # each retrieved hit's score (golden files)


@dataclass
class EvalReport:
    scores: list[QueryScore]
    mode: str = "lexical"

    @property
    def fallbacks(self) -> int:
        """Queries answered in another mode than asked (vectors unavailable): their scores are lexical ones."""
        return sum(1 for score in self.scores if score.mode_used != self.mode)

    def _mean(self, attribute: str) -> float:
        return sum(getattr(score, attribute) for score in self.scores) / len(self.scores) if self.scores else 0.0

    @property
    def ndcg10(self) -> float:
        return self._mean("ndcg10")

    @property
    def recall20(self) -> float:
        return self._mean("recall20")

    @property
    def mrr(self) -> float:
        return self._mean("rr")

    @property
    def zero_result_rate(self) -> float:
        return sum(1 for score in self.scores if score.results == 0) / len(self.scores) if self.scores else 0.0

    @property
    def answerable_zero_results(self) -> int:
        """Answerable queries (some judged document relevant) that got no result at all."""
        return sum(1 for score in self.scores if score.answerable and score.results == 0)

    def subset(self, *, kind: str | None = None, split: str | None = None, answerable: bool | None = None):
        """The report restricted to one kind and/or split (and/or to answerable or unanswerable queries)."""
        return EvalReport(
            [
                score
                for score in self.scores
                if (kind is None or score.kind == kind)
                and (split is None or score.split == split)
                and (answerable is None or score.answerable == answerable)
            ],
            self.mode,
        )

    @property
    def kinds(self) -> list[str]:
        return list(dict.fromkeys(score.kind for score in self.scores))

    def no_close_match_accuracy(self) -> tuple[int, int, int, int]:
        """(unanswerable flagged, unanswerable, answerable flagged, answerable) by `SearchPage.no_close_match`."""
        unanswerable = [score for score in self.scores if not score.answerable]
        answerable = [score for score in self.scores if score.answerable]
        return (
            sum(1 for score in unanswerable if score.no_close_match),
            len(unanswerable),
            sum(1 for score in answerable if score.no_close_match),
            len(answerable),
        )


def _rows(path: Path, columns: int):
    try:
        handle = path.open(newline="", encoding="utf-8")
    except OSError as error:
        raise EvalFileError(f"{path}: cannot be read ({error.strerror})") from error
    with handle:
        for number, row in enumerate(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE), start=1):
            if not row or not "".join(row).strip() or row[0].startswith("#") or row[0] == "query_id":
                continue
            if len(row) < columns:
                raise EvalFileError(f"{path}, line {number}: expected {columns} tab-separated columns, got {len(row)}")
            yield number, [cell.strip() for cell in row]


@dataclass(frozen=True)
class JudgedQuery:
    text: str
    kind: str = ""
    split: str = ""


SPLITS = ("tune", "report")
# A query is answerable when the catalogue holds a document judged at least this relevant (clearly useful).
ANSWERED = 2


def read_judged_queries(path: Path) -> dict[str, JudgedQuery]:
    """query_id → JudgedQuery (kind and split are empty when the file has no such columns)."""
    queries = {}
    for number, row in _rows(Path(path), 2):
        kind = row[2] if len(row) > 2 else ""
        split = row[3] if len(row) > 3 else ""
        if split and split not in SPLITS:
            raise EvalFileError(f"{path}, line {number}: split must be one of {', '.join(SPLITS)}, got {split!r}")
        if row[0] in queries:
            raise EvalFileError(f"{path}, line {number}: query id {row[0]!r} repeats an earlier line")
        queries[row[0]] = JudgedQuery(row[1], kind, split)
    return queries


def read_queries(path: Path) -> dict[str, str]:
    return {query_id: query.text for query_id, query in read_judged_queries(path).items()}


def read_qrels(path: Path) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = {}
    for number, row in _rows(Path(path), 3):
        try:
            relevance = int(row[2])
        except ValueError:
            raise EvalFileError(f"{path}, line {number}: relevance must be a whole number, got {row[2]!r}") from None
        qrels.setdefault(row[0], {})[row[1]] = relevance
    return qrels


def dcg(gains: list[int]) -> float:
    return sum((2**gain - 1) / math.log2(rank + 2) for rank, gain in enumerate(gains))


def score_ranking(retrieved: list[str], judged: dict[str, int]) -> tuple[float, float, float]:
    """(nDCG@10, recall@20, reciprocal rank) of one ranking against its judgments (relevance > 0 is relevant)."""
    relevant = {doc for doc, gain in judged.items() if gain > 0}
    ideal = dcg(sorted((gain for gain in judged.values() if gain > 0), reverse=True)[:10])
    ndcg = dcg([judged.get(doc, 0) for doc in retrieved[:10]]) / ideal if ideal else 0.0
    recall = len(relevant & set(retrieved[:20])) / len(relevant) if relevant else 0.0
    rr = next((1.0 / rank for rank, doc in enumerate(retrieved, start=1) if doc in relevant), 0.0)
    return ndcg, recall, rr


def _document_names(hits) -> list[str]:
    """Hits as `source:source_id` for resources, index keys otherwise."""
    ids = [hit.object_id for hit in hits if hit.kind == "resource"]
    names = {
        pk: f"{source}:{source_id}"
        for pk, source, source_id in LearningResource.objects.filter(pk__in=ids).values_list(
            "pk", "source", "source_id"
        )
    }
    return [names.get(hit.object_id, hit.key) if hit.kind == "resource" else hit.key for hit in hits]


def sync_vectors() -> None:
    """Bring this process's vector replica up to date first: a replica far behind catches up in the background,
    and searches meanwhile fall back to lexical, which would score the wrong mode."""
    try:
        store = semantic.get_vector_store()  # the store searches use (tests may swap it)
        if hasattr(store, "sync"):
            store.sync(RESOURCES)
    except Exception:  # no vectors at all: the searches fall back and the report counts the fallbacks
        return


def evaluate(
    queries: dict[str, str | JudgedQuery],
    qrels: dict[str, dict[str, int]],
    depth: int = 20,
    wrap=None,
    mode: str = "lexical",
) -> EvalReport:
    """Search each query in `mode` (no facets, no highlights) and score its top `depth` results; `wrap` may add
    progress. `mode="baseline"` ranks with `baseline_ranking` instead of the search service."""
    if mode in ("semantic", "hybrid"):
        sync_vectors()
    scores = []
    items = list(queries.items())
    for query_id, query in wrap(items) if wrap else items:
        query = query if isinstance(query, JudgedQuery) else JudgedQuery(query)
        judged = qrels.get(query_id, {})
        if mode == "baseline":
            retrieved, total, mode_used, flagged = baseline_ranking(query.text, depth), None, "baseline", None
            hit_scores = []
        else:
            result = run_search(SearchParams(q=query.text, page_size=depth, mode=mode), facets=False, highlight=False)
            retrieved, total, mode_used = _document_names(result.hits), result.total, result.mode_used
            flagged = getattr(result, "no_close_match", None)
            hit_scores = [hit.score for hit in result.hits]
        ndcg, recall, rr = score_ranking(retrieved, judged)
        scores.append(
            QueryScore(
                query_id,
                query.text,
                ndcg,
                recall,
                rr,
                len(retrieved) if total is None else total,
                retrieved,
                mode_used,
                kind=query.kind,
                split=query.split,
                no_close_match=flagged,
                answerable=any(gain >= ANSWERED for gain in judged.values()),
                retrieved_scores=hit_scores,
            )
        )
    return EvalReport(scores, mode)


# --- A plain baseline and judgment pools -------------------------------------------------------------------


def baseline_ranking(text: str, depth: int = 20) -> list[str]:
    """A plain reference system for pooling: public resources whose title contains query words (case-insensitive
    substring), ranked by how many distinct words match, then by the shorter title. No stemming, synonyms, typo
    fixes or weights: what a site search without a search engine does."""
    words = [word for word in tokens(text) if word not in STOPWORDS] or tokens(text)
    if not words:
        return []
    condition = Q()
    for word in words:
        condition |= Q(title__icontains=word)
    rows = LearningResource.objects.public().filter(condition).values_list("source", "source_id", "title")
    scored = []
    for source, source_id, title in rows:
        lowered = normalise(title)
        matched = sum(1 for word in words if word in lowered)
        scored.append((-matched, len(title), title, f"{source}:{source_id}"))
    scored.sort()
    return [name for *_, name in scored[:depth]]


POOL_MODES = ("lexical", "semantic", "hybrid", "baseline")


def pool(queries: dict[str, JudgedQuery], depth: int = 20, modes=POOL_MODES, wrap=None) -> dict[str, dict[str, set]]:
    """query_id → {document: the modes that retrieved it in their top `depth`}: the documents to judge."""
    pooled: dict[str, dict[str, set]] = {query_id: {} for query_id in queries}
    for mode in modes:
        report = evaluate(queries, {}, depth=depth, wrap=wrap, mode=mode)
        for score in report.scores:
            for name in score.retrieved[:depth]:
                pooled[score.query_id].setdefault(name, set()).add(mode)
    return pooled


def document_titles(names: Iterable[str]) -> dict[str, str]:
    """`source:source_id` → title, for the resources among `names`."""
    wanted: dict[str, set[str]] = {}
    for name in names:
        source, _, source_id = name.partition(":")
        wanted.setdefault(source, set()).add(source_id)
    titles = {}
    for source, ids in wanted.items():
        for source_id, title in LearningResource.objects.filter(source=source, source_id__in=ids).values_list(
            "source_id", "title"
        ):
            titles[f"{source}:{source_id}"] = title
    return titles


# --- Golden rankings: the same top 10 on every database ----------------------------------------------------

GOLDEN_DEPTH = 10
# Scores this close are a tie (the databases sum the same floats in different orders).
GOLDEN_TOLERANCE = 1e-6


def write_golden(reports: Iterable[EvalReport], path: Path) -> None:
    """Each query's top GOLDEN_DEPTH per mode with scores: `mode, query_id, rank, document, score` (TSV)."""
    with Path(path).open("w", encoding="utf-8") as handle:
        handle.write(
            "# Top 10 of each judged query per mode with its scores, written by `search_eval --golden` on SQLite.\n"
            "# The quality gate compares every database's rankings with it; only documents of equal score may\n"
            "# change places (tests/search/test_quality_real.py).\nmode\tquery_id\trank\tdocument\tscore\n"
        )
        for report in reports:
            for score in report.scores:
                pairs = zip(score.retrieved, score.retrieved_scores, strict=False)
                for rank, (document, value) in enumerate(list(pairs)[:GOLDEN_DEPTH], start=1):
                    handle.write(f"{report.mode}\t{score.query_id}\t{rank}\t{document}\t{value:.12g}\n")


def read_golden(path: Path) -> dict[tuple[str, str], list[tuple[str, float]]]:
    """(mode, query_id) → [(document, score)], best first."""
    golden: dict[tuple[str, str], list[tuple[str, float]]] = {}
    for _number, row in _rows(Path(path), 5):
        if row[0] == "mode":
            continue
        golden.setdefault((row[0], row[1]), []).append((row[3], float(row[4])))
    return golden


def _tie_groups(ranking: list[tuple[str, float]]) -> list[tuple[float, set[str]]]:
    groups: list[tuple[float, set[str]]] = []
    for document, value in ranking:
        if groups and math.isclose(groups[-1][0], value, rel_tol=GOLDEN_TOLERANCE, abs_tol=1e-12):
            groups[-1][1].add(document)
        else:
            groups.append((value, {document}))
    return groups


def ranking_difference(expected: list[tuple[str, float]], actual: list[tuple[str, float]]) -> str:
    """ "" when `actual` is `expected` up to reordering among equal scores, else what differs. The last group of
    equal scores may hold other documents (its ties continue below the cut)."""
    expected, actual = expected[:GOLDEN_DEPTH], actual[:GOLDEN_DEPTH]
    if len(expected) != len(actual):
        return f"{len(actual)} hits instead of {len(expected)}"
    for rank, ((_, want), (_, got)) in enumerate(zip(expected, actual, strict=True), start=1):
        if not math.isclose(want, got, rel_tol=GOLDEN_TOLERANCE, abs_tol=1e-12):
            return f"rank {rank}: score {got:.9g} instead of {want:.9g}"
    want_groups, got_groups = _tie_groups(expected), _tie_groups(actual)
    for (value, want), (_, got) in list(zip(want_groups, got_groups, strict=False))[:-1]:
        if want != got:
            return f"at score {value:.9g}: {sorted(got)} instead of {sorted(want)}"
    return ""


def golden_differences(reports: Iterable[EvalReport], golden: dict) -> dict[str, str]:
    """ "mode query_id" → what differs from the golden rankings, for every query of `reports` that differs."""
    differences = {}
    for report in reports:
        for score in report.scores:
            expected = golden.get((report.mode, score.query_id), [])
            actual = list(zip(score.retrieved, score.retrieved_scores, strict=False))
            if difference := ranking_difference(expected, actual):
                differences[f"{report.mode} {score.query_id} {score.query!r}"] = difference
    return differences
