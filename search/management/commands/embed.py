"""Embed the catalogue into the vector store: what changed since the last successful run, or everything."""

import argparse

from django.core.management.base import BaseCommand, CommandError

from tqdm import tqdm

from cms.tasks import enqueue
from search.vectors.jobs import EmbeddingJobBusy, run_embedding_job


def _positive(value: str) -> int:
    number = int(value) if value.isdigit() else 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a positive whole number")
    return number


class Command(BaseCommand):
    help = (
        "Embed public resources and content-file chunks into the vector store. --changed (the default) embeds what "
        "changed since the last successful run and removes what stopped being public; --all recreates the "
        "collections and embeds everything."
    )

    def add_arguments(self, parser):
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--changed", dest="mode", action="store_const", const="changed", default="changed")
        mode.add_argument("--all", dest="mode", action="store_const", const="all")
        parser.add_argument("--async", dest="run_async", action="store_true", help="Queue the job on the worker.")
        parser.add_argument("--batch-size", type=_positive, default=None, help="Texts per encoder call.")
        parser.add_argument("--no-progress", action="store_true", help="Do not show progress bars.")

    def handle(self, *args, mode="changed", run_async=False, batch_size=None, no_progress=False, **options):
        if run_async:
            task_id = enqueue(
                "search.vectors.jobs.run_embedding_job",
                mode,
                trigger="command",
                queue="embeddings",
                task_name=f"vectors: embed {mode}",
            )
            self.stdout.write(f"Queued an embedding job ({mode}) as task {task_id} on the embeddings queue.")
            return
        bars = []

        def progress(label, total):
            bar = tqdm(
                total=total,
                unit="item",
                desc=f"Embedding {label}",
                disable=no_progress or not options.get("verbosity", 1),
            )
            bars.append(bar)
            return bar.update

        try:
            run = run_embedding_job(mode, trigger="command", batch_size=batch_size, progress=progress)
        except EmbeddingJobBusy as busy:
            raise CommandError(f"not started: {busy}") from busy
        except Exception as exc:
            raise CommandError(f"embedding failed (recorded as a failed run): {type(exc).__name__}: {exc}") from exc
        finally:
            for bar in bars:
                bar.close()
        seconds = run.duration.total_seconds() if run.duration else 0
        self.stdout.write(
            self.style.SUCCESS(
                f"Embedding run {run.pk} ({run.encoder}, {run.store}) finished in {seconds:.1f}s: "
                f"{run.resources_embedded} resources and {run.files_embedded} content files "
                f"({run.chunks_embedded} chunks) embedded; {run.resources_removed} resources and "
                f"{run.files_removed} files removed."
            )
        )
