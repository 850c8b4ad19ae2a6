"""manage.py fetch_resource_images [--source NAME] [--retry-failed] [--refresh] [--limit N] [--queue]

Backfill: store the imported image of every resource whose `image_url` is not yet stored on this site (see
importers.images). Runs here with a progress line every 25 resources, or with --queue on the workers.
"""

from __future__ import annotations

from django.core.management.base import CommandError

from catalog.models import LearningResource
from cms.management.base import LearnhubCommand, require_migrated
from cms.tasks import enqueue
from importers.images import TASK_BATCH, fetch_resource_images, needing_fetch

PROGRESS_EVERY = 25


class Command(LearnhubCommand):
    help = (
        "Fetch and store the imported images of resources that need it (new or changed image_url); failures are "
        "recorded on the resource and shown as a placeholder."
    )

    def add_arguments(self, parser):
        parser.add_argument("--source", help="Only this source's resources.")
        parser.add_argument("--retry-failed", action="store_true", help="Also retry images whose fetch failed.")
        parser.add_argument(
            "--refresh", action="store_true", help="Check every stored image again (conditional, by ETag)."
        )
        parser.add_argument("--limit", type=int, help="At most this many resources.")
        parser.add_argument("--queue", action="store_true", help="Queue django-q2 tasks instead of fetching here.")

    def handle(self, *args, source=None, retry_failed=False, refresh=False, limit=None, queue=False, **options):
        require_migrated()
        if limit is not None and limit < 1:
            raise CommandError(f"--limit must be a positive number, got {limit}")
        resources = LearningResource.objects.all()
        if source:
            if not resources.filter(source=source).exists():
                raise CommandError(f"no resources of source {source!r}")
            resources = resources.filter(source=source)
        ids = list(
            needing_fetch(resources, retry_failed=retry_failed, refresh=refresh)
            .order_by("pk")
            .values_list("pk", flat=True)[:limit]
        )
        if not ids:
            self.log("No resource images to fetch.")
            return
        if queue:
            for start in range(0, len(ids), TASK_BATCH):
                enqueue(
                    "importers.images.fetch_images_task",
                    ids[start : start + TASK_BATCH],
                    task_name="images: fetch resource images",
                )
            self.log(f"Queued {len(ids)} resource image(s) in {(len(ids) + TASK_BATCH - 1) // TASK_BATCH} task(s).")
            return
        self.log(f"Fetching {len(ids)} resource image(s)…")

        def progress(done, total, counts):
            if done % PROGRESS_EVERY == 0 or done == total:
                self.log(f"{done}/{total}: {_summary(counts)}")

        counts = fetch_resource_images(ids, refresh=refresh, retry_failed=retry_failed, progress=progress)
        self.log(f"Done: {_summary(counts)}.")
        failed = LearningResource.objects.filter(pk__in=ids, image_fetch_status="failed").count()
        if failed:
            self.log(f"{failed} image(s) failed: see each resource's image fetch error (admin, inspect).")


def _summary(counts: dict) -> str:
    return ", ".join(f"{name} {count}" for name, count in sorted(counts.items())) or "nothing"
