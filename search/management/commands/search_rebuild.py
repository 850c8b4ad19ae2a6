"""Rebuild the search index from the database: build a complete new index, then swap it in atomically."""

import time

from django.conf import settings
from django.core.management.base import CommandError

from opensearchpy.exceptions import OpenSearchException
from tqdm import tqdm

from cms.management.base import LearnhubCommand
from cms.tasks import enqueue
from search.documents import all_documents, document_count
from search.engines import get_engine
from search.engines.base import SearchUnavailable


class Command(LearnhubCommand):
    # The index is left as it was: the new one is swapped in only when complete.
    expected_errors = (SearchUnavailable, OpenSearchException)
    help = "Rebuild the search index (public resources, live pages, news items) and swap it in atomically."

    def add_arguments(self, parser):
        parser.add_argument("--engine", choices=["database", "opensearch"], help="Default: settings.SEARCH_ENGINE.")
        parser.add_argument("--async", dest="run_async", action="store_true", help="Queue the rebuild as a task.")
        parser.add_argument("--no-progress", action="store_true", help="Do not show a progress bar.")

    def handle(self, *args, engine=None, run_async=False, no_progress=False, verbosity=1, **options):
        if run_async:
            task_id = enqueue("search.tasks.rebuild_index", task_name="search: rebuild")
            self.stdout.write(f"Queued the rebuild as task {task_id} on the default queue.")
            return
        if (engine or settings.SEARCH_ENGINE) == "opensearch" and not settings.OPENSEARCH_URL:
            raise CommandError(
                "the opensearch engine needs OPENSEARCH_URL (the server's URL); or use --engine database"
            )
        search_engine = get_engine(engine)
        total = document_count()
        started = time.monotonic()
        with tqdm(
            total=total, unit="doc", desc=f"Indexing ({search_engine.name})", disable=no_progress or verbosity == 0
        ) as bar:
            written = search_engine.rebuild(all_documents(), total=total, progress=bar.update)
        self.stdout.write(
            self.style.SUCCESS(
                f"Indexed {written} documents with the {search_engine.name} engine in "
                f"{time.monotonic() - started:.1f}s; the new index is live."
            )
        )
