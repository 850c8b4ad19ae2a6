"""Evaluate Ask on a judged set: the share of cited resources that are relevant, and citations outside the
retrieved set (must be 0; the command fails otherwise)."""

from django.core.management.base import BaseCommand, CommandError

from rich.console import Console
from rich.progress import track
from rich.table import Table

from search.ask.evaluation import evaluate_ask, read_judged_queries
from search.eval import EvalFileError, read_qrels


class Command(BaseCommand):
    help = "Evaluate Ask: manage.py ask_eval QUERIES.tsv QRELS.tsv [--kind question] [--extractive]"

    def add_arguments(self, parser):
        parser.add_argument("queries", help="TSV: query_id, query text[, kind]")
        parser.add_argument("qrels", help="TSV: query_id, document (source:source_id), relevance 0-3")
        parser.add_argument("--kind", default="", help='Only queries of this kind (third column), e.g. "question".')
        parser.add_argument(
            "--extractive", action="store_true", help="Answer extractively even when a model is configured."
        )
        parser.add_argument("--per-query", action="store_true", help="Also print each question's citations.")

    def handle(self, *args, queries, qrels, kind="", extractive=False, per_query=False, **options):
        try:
            questions = read_judged_queries(queries, kind)
            judgments = read_qrels(qrels)
        except EvalFileError as error:
            raise CommandError(str(error)) from error
        if not questions:
            raise CommandError(f"{queries}: no queries found" + (f" of kind {kind!r}" if kind else ""))
        unjudged = sorted({q.query_id for q in questions} - set(judgments))
        if unjudged:
            self.stderr.write(f"warning: no judgments for {len(unjudged)} queries: {', '.join(unjudged[:10])}")
        report = evaluate_ask(
            questions,
            judgments,
            extractive=extractive,
            wrap=lambda items: track(items, description="Asking", disable=options["verbosity"] == 0),
        )
        if per_query:
            table = Table("id", "question", "mode", "cited", "relevant", "outside", "no match", "error")
            for score in report.scores:
                table.add_row(
                    score.query_id,
                    score.question,
                    score.mode,
                    " ".join(score.cited),
                    str(score.relevant),
                    str(score.outside),
                    "yes" if score.no_match else "",
                    score.error[:40],
                )
            Console(file=self.stdout, width=160).print(table)
        modes = sorted({score.mode for score in report.scores})
        self.stdout.write(
            f"questions: {len(report.scores)}   mode: {', '.join(modes)}" + (f"   kind: {kind}" if kind else "")
        )
        self.stdout.write(f"citations:                   {report.cited}")
        self.stdout.write(f"relevant share of citations: {report.relevant_share:.3f}")
        self.stdout.write(f"citations outside retrieval: {report.outside}")
        self.stdout.write(f"citations dropped by filter: {report.dropped}")
        self.stdout.write(f"no close match:              {report.no_match}")
        self.stdout.write(f"errors:                      {report.errors}")
        if report.outside:
            raise CommandError(f"{report.outside} citations name resources that retrieval did not return")
