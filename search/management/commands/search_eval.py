"""Run a judged query set against the current search engine and print nDCG@10, recall@20, MRR and the zero-result
rate, overall and per query kind and split, for one or several search modes."""

from django.core.management.base import CommandError

from rich.console import Console
from rich.progress import track
from rich.table import Table

from cms.management.base import LearnhubCommand
from search.engines import get_engine
from search.eval import (
    POOL_MODES,
    EvalFileError,
    document_titles,
    evaluate,
    pool,
    read_judged_queries,
    read_qrels,
    write_golden,
)

MODE_CHOICES = ["lexical", "semantic", "hybrid", "baseline"]


class Command(LearnhubCommand):
    help = (
        "Evaluate search quality: manage.py search_eval QUERIES.tsv QRELS.tsv [--mode hybrid --mode lexical ...] "
        "[--split report] [--per-query]; or write the documents to judge: --pool OUT.tsv"
    )

    def add_arguments(self, parser):
        parser.add_argument("queries", help="TSV: query_id, query text[, kind[, split]]")
        parser.add_argument(
            "qrels", nargs="?", help="TSV: query_id, document (source:source_id or index key), relevance 0-3"
        )
        parser.add_argument("--per-query", action="store_true", help="Also print each query's scores.")
        parser.add_argument(
            "--mode",
            action="append",
            choices=MODE_CHOICES,
            help="Search mode(s), repeatable: lexical, semantic, hybrid (these two need embedded resources) or "
            "baseline (a plain title-substring ranking). Default: hybrid and lexical.",
        )
        parser.add_argument("--split", choices=["tune", "report"], help="Only the queries of this split.")
        parser.add_argument(
            "--pool",
            metavar="OUT",
            help="Instead of scoring, write the union of the top --depth documents of lexical, semantic, hybrid and "
            "baseline per query (query_id, document, modes, title) to OUT for judging.",
        )
        parser.add_argument("--depth", type=int, default=20, help="Pool depth (default 20).")
        parser.add_argument(
            "--golden",
            metavar="OUT",
            help="Also write each query's top 10 per mode with scores to OUT (the quality gate's golden rankings: "
            "search/eval/real/golden.tsv, written on SQLite).",
        )

    def handle(self, *args, queries, qrels=None, per_query=False, mode=None, split=None, **options):
        try:
            query_set = read_judged_queries(queries)
            judgments = read_qrels(qrels) if qrels else {}
        except EvalFileError as error:
            raise CommandError(str(error)) from error
        if split:
            query_set = {key: query for key, query in query_set.items() if query.split == split}
        if not query_set:
            raise CommandError(f"{queries}: no queries found" + (f" in split {split!r}" if split else ""))
        show = options["verbosity"] > 0
        if options.get("pool"):
            self._pool(query_set, options["pool"], options["depth"], show)
            return
        if not qrels:
            raise CommandError("give the judgments file (QRELS) to score, or --pool OUT to write a pool")
        unjudged = sorted(set(query_set) - set(judgments))
        if unjudged:
            self.stderr.write(f"warning: no judgments for {len(unjudged)} queries: {', '.join(unjudged[:10])}")
        console = Console(file=self.stdout, width=140)
        reports = {}
        for name in mode or ["hybrid", "lexical"]:
            report = evaluate(
                query_set,
                judgments,
                wrap=lambda items, name=name: track(items, description=f"Searching ({name})", disable=not show),
                mode=name,
            )
            if report.fallbacks and name != "baseline":
                self.stderr.write(
                    f"warning: {report.fallbacks} of {len(report.scores)} queries fell back to lexical search in "
                    f"{name} mode (vectors unavailable: embed the catalogue first)"
                )
            reports[name] = report
            if per_query:
                self._per_query(console, name, report)
        self.stdout.write(f"engine: {get_engine().name}   queries: {len(query_set)}")
        for name, report in reports.items():
            self.stdout.write(
                f"{name:9} nDCG@10 {report.ndcg10:.3f}   recall@20 {report.recall20:.3f}   MRR {report.mrr:.3f}   "
                f"zero-result rate {report.zero_result_rate:.3f}   answerable with no result "
                f"{report.answerable_zero_results}"
            )
        self._by_group(console, reports)
        if options.get("golden"):
            write_golden(reports.values(), options["golden"])
            self.stdout.write(f"golden rankings written to {options['golden']}")

    def _per_query(self, console, name, report):
        table = Table("id", "kind", "split", "query", "nDCG@10", "R@20", "RR", "results", "no close match", title=name)
        for score in report.scores:
            table.add_row(
                score.query_id,
                score.kind,
                score.split,
                score.query,
                f"{score.ndcg10:.3f}",
                f"{score.recall20:.3f}",
                f"{score.rr:.3f}",
                str(score.results),
                "" if score.no_close_match is None else ("yes" if score.no_close_match else "no"),
            )
        console.print(table)

    def _by_group(self, console, reports):
        """nDCG@10 per kind and split (answerable queries) and the no-close-match verdicts (all queries)."""
        first = next(iter(reports.values()))
        splits = sorted({score.split for score in first.scores if score.split})
        kinds = [kind for kind in first.kinds if kind]
        if not kinds and not splits:
            return
        table = Table("kind", "split", "queries", *reports, title="nDCG@10 of the answerable queries")
        for kind in [*kinds, None]:
            for split in [*splits, None] if splits else [None]:
                rows = {
                    name: report.subset(kind=kind, split=split, answerable=True) for name, report in reports.items()
                }
                count = len(next(iter(rows.values())).scores)
                if not count:
                    continue
                table.add_row(
                    kind or "all", split or "both", str(count), *(f"{rows[name].ndcg10:.3f}" for name in reports)
                )
        console.print(table)
        verdicts = Table("mode", "split", "unanswerable flagged", "answerable flagged", title="No close match")
        for name, report in reports.items():
            if all(score.no_close_match is None for score in report.scores):
                continue
            for split in [*splits, None] if splits else [None]:
                flagged, unanswerable, wrongly, answerable = report.subset(split=split).no_close_match_accuracy()
                verdicts.add_row(name, split or "both", f"{flagged}/{unanswerable}", f"{wrongly}/{answerable}")
        if verdicts.row_count:
            console.print(verdicts)

    def _pool(self, query_set, path, depth, show):
        pooled = pool(
            query_set, depth=depth, modes=POOL_MODES, wrap=lambda items: track(items, "Pooling", disable=not show)
        )
        titles = document_titles(name for documents in pooled.values() for name in documents)
        try:
            with open(path, "w", encoding="utf-8") as handle:
                handle.write("query_id\tdocument\tmodes\ttitle\n")
                for query_id, documents in pooled.items():
                    for name, modes in documents.items():
                        title = " ".join(titles.get(name, "").split())
                        handle.write(f"{query_id}\t{name}\t{','.join(sorted(modes))}\t{title}\n")
        except OSError as error:
            raise CommandError(f"{path}: cannot be written ({error.strerror})") from error
        self.stdout.write(f"wrote {sum(len(d) for d in pooled.values())} pooled documents to {path}")
