"""Run a judged query set against the current search engine, in one search mode, and print nDCG@10, recall@20,
MRR and the zero-result rate."""

from django.core.management.base import BaseCommand, CommandError

from rich.console import Console
from rich.progress import track
from rich.table import Table

from search.engines import get_engine
from search.eval import EvalFileError, evaluate, read_qrels, read_queries
from search.service import MODES


class Command(BaseCommand):
    help = "Evaluate search quality: manage.py search_eval QUERIES.tsv QRELS.tsv"

    def add_arguments(self, parser):
        parser.add_argument("queries", help="TSV: query_id, query text")
        parser.add_argument("qrels", help="TSV: query_id, document (source:source_id or index key), relevance 0-3")
        parser.add_argument("--per-query", action="store_true", help="Also print each query's scores.")
        parser.add_argument(
            "--mode",
            choices=list(MODES),
            default="lexical",
            help="Search mode: lexical (default), semantic or hybrid (these two need embedded resources).",
        )

    def handle(self, *args, queries, qrels, per_query=False, mode="lexical", **options):
        try:
            query_set = read_queries(queries)
            judgments = read_qrels(qrels)
        except EvalFileError as error:
            raise CommandError(str(error)) from error
        if not query_set:
            raise CommandError(f"{queries}: no queries found")
        unjudged = sorted(set(query_set) - set(judgments))
        if unjudged:
            self.stderr.write(f"warning: no judgments for {len(unjudged)} queries: {', '.join(unjudged[:10])}")
        report = evaluate(
            query_set,
            judgments,
            wrap=lambda items: track(items, description="Searching", disable=options["verbosity"] == 0),
            mode=mode,
        )
        if report.fallbacks:
            self.stderr.write(
                f"warning: {report.fallbacks} of {len(report.scores)} queries fell back to lexical search "
                "(vectors unavailable: embed the catalogue first)"
            )
        scores = report.scores
        console = Console(file=self.stdout, width=120)
        if per_query:
            table = Table("id", "query", "nDCG@10", "R@20", "RR", "results")
            for score in scores:
                table.add_row(
                    score.query_id,
                    score.query,
                    f"{score.ndcg10:.3f}",
                    f"{score.recall20:.3f}",
                    f"{score.rr:.3f}",
                    str(score.results),
                )
            console.print(table)
        self.stdout.write(f"engine: {get_engine().name}   mode: {mode}   queries: {len(scores)}")
        self.stdout.write(f"nDCG@10:          {report.ndcg10:.3f}")
        self.stdout.write(f"recall@20:        {report.recall20:.3f}")
        self.stdout.write(f"MRR:              {report.mrr:.3f}")
        self.stdout.write(f"zero-result rate: {report.zero_result_rate:.3f}")
