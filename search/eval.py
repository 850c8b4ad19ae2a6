"""The search quality harness: run a judged query set against the current engine, in one search mode (lexical,
semantic or hybrid), and compute nDCG@10, recall@20, MRR and the zero-result rate.

queries.tsv: `query_id <TAB> query text` (a header line starting with "query_id" or "#" is skipped).
qrels.tsv:   `query_id <TAB> document <TAB> relevance` where document is `source:source_id` of a resource
             (e.g. `demo:course-000012`) or an index key (`page:5`), and relevance is 0–3 (graded).
"""

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path

from catalog.models import LearningResource

from .service import SearchParams, run_search


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


def read_queries(path: Path) -> dict[str, str]:
    return {row[0]: row[1] for _, row in _rows(Path(path), 2)}


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


def evaluate(
    queries: dict[str, str],
    qrels: dict[str, dict[str, int]],
    depth: int = 20,
    wrap=None,
    mode: str = "lexical",
) -> EvalReport:
    """Search each query in `mode` (no facets, no highlights) and score its top `depth` results; `wrap` may add
    progress."""
    scores = []
    items = list(queries.items())
    for query_id, text in wrap(items) if wrap else items:
        result = run_search(SearchParams(q=text, page_size=depth, mode=mode), facets=False, highlight=False)
        retrieved = _document_names(result.hits)
        ndcg, recall, rr = score_ranking(retrieved, qrels.get(query_id, {}))
        scores.append(QueryScore(query_id, text, ndcg, recall, rr, result.total, retrieved, result.mode_used))
    return EvalReport(scores, mode)
