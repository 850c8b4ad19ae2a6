"""Ask's evaluation on a judged set (`manage.py ask_eval QUERIES QRELS`): the share of cited resources that are
relevant, and citations outside the retrieved set (must be 0).

Same files as `search.eval` (queries.tsv `query_id, query`, qrels.tsv `query_id, document, relevance`); the
queries file may have a third column `kind` (e.g. "question"), and the evaluation may keep one kind only."""

import csv
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from catalog.models import LearningResource

from ..eval import EvalFileError, sync_vectors
from .answer import ask
from .models import AskConversation


@dataclass
class JudgedQuery:
    query_id: str
    text: str
    kind: str = ""


@dataclass
class AskScore:
    query_id: str
    question: str
    cited: list[str] = field(default_factory=list)  # source:source_id
    relevant: int = 0
    outside: int = 0  # citations of resources retrieval did not return
    dropped: int = 0  # citations the filter removed (model answers)
    no_match: bool = False
    error: str = ""
    mode: str = ""


@dataclass
class AskReport:
    scores: list[AskScore]

    @property
    def cited(self) -> int:
        return sum(len(score.cited) for score in self.scores)

    @property
    def relevant_share(self) -> float:
        return sum(score.relevant for score in self.scores) / self.cited if self.cited else 0.0

    @property
    def outside(self) -> int:
        return sum(score.outside for score in self.scores)

    @property
    def dropped(self) -> int:
        return sum(score.dropped for score in self.scores)

    @property
    def no_match(self) -> int:
        return sum(1 for score in self.scores if score.no_match)

    @property
    def errors(self) -> int:
        return sum(1 for score in self.scores if score.error)


def read_judged_queries(path, kind: str = "") -> list[JudgedQuery]:
    """Queries with their optional kind; only those of `kind` when it is given."""
    path = Path(path)
    try:
        handle = path.open(newline="", encoding="utf-8")
    except OSError as error:
        raise EvalFileError(f"{path}: cannot be read ({error.strerror})") from error
    queries = []
    with handle:
        for number, row in enumerate(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE), start=1):
            if not row or not "".join(row).strip() or row[0].startswith("#") or row[0] == "query_id":
                continue
            if len(row) < 2:
                raise EvalFileError(f"{path}, line {number}: expected 2 or 3 tab-separated columns, got {len(row)}")
            query = JudgedQuery(row[0].strip(), row[1].strip(), row[2].strip() if len(row) > 2 else "")
            if not kind or query.kind == kind:
                queries.append(query)
    return queries


def _names(ids) -> dict[int, str]:
    rows = LearningResource.objects.filter(pk__in=list(ids)).values_list("pk", "source", "source_id")
    return {pk: f"{source}:{source_id}" for pk, source, source_id in rows}


def evaluate_ask(
    queries: list[JudgedQuery], qrels: dict[str, dict[str, int]], *, extractive: bool = False, wrap=None
) -> AskReport:
    """Ask each question in a fresh conversation (rolled back afterwards: evaluation stores nothing)."""
    sync_vectors()  # else the first questions find the replica catching up and search with keywords only
    scores = []
    for query in wrap(queries) if wrap else queries:
        trace: dict = {}
        with transaction.atomic():
            conversation = AskConversation.objects.create()
            events = list(ask(query.text, conversation, extractive=extractive, trace=trace))
            transaction.set_rollback(True)
        score = AskScore(query.query_id, query.text)
        citations = []
        for event in events:
            if event.name == "start":
                score.mode = event.data["mode"]
            elif event.name == "citations":
                citations = event.data["citations"]
                score.dropped = event.data.get("dropped", 0)
            elif event.name == "done":
                score.no_match = event.data["no_match"]
            elif event.name == "error":
                score.error = event.data["message"]
        retrieved = set(trace.get("retrieved", ()))
        cited_ids = [int(citation["resource_id"]) for citation in citations]
        score.outside = sum(1 for resource_id in cited_ids if resource_id not in retrieved)
        names = _names(cited_ids)
        judged = qrels.get(query.query_id, {})
        score.cited = [names.get(resource_id, f"resource:{resource_id}") for resource_id in cited_ids]
        score.relevant = sum(1 for name in score.cited if judged.get(name, 0) > 0)
        scores.append(score)
    return AskReport(scores)
