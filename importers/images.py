"""Imported resource images, stored on this site: learners' browsers never request a third-party host for them.

After a catalogue change (`catalog.signals.resources_changed`) the changed resources whose `image_url` differs from
the URL last fetched (`image_fetched_url`) are queued (`queue_resource_images`, django-q2, never inline in the
load). `fetch_resource_image` then fetches the URL once through the importer HTTP client — the SSRF guard checks
every hop, `RESOURCE_IMAGE_MAX_BYTES` caps the body, `RESOURCE_IMAGE_TIMEOUT` the wait — checks the bytes with
Pillow (JPEG, PNG, GIF or WebP, at most `RESOURCE_IMAGE_MAX_PIXELS`, decodable to the end: the Content-Type is not
trusted), stores a Wagtail image in the "Imported images" collection with every rendition the templates use
(catalog.images) and links it as `LearningResource.stored_image`.

A failed fetch records its reason (`image_fetch_status="failed"`, `image_fetch_error`) and pages show the local
placeholder; the URL is not fetched again until it changes (or `fetch_resource_images --retry-failed`). A refresh
(`--refresh`) sends the stored ETag and keeps the image on 304 Not Modified or on failure. An emptied
`image_url` unlinks and deletes the stored image.
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.files.images import ImageFile
from django.db import transaction
from django.db.models import F, Q
from django.dispatch import receiver
from django.utils import timezone

from wagtail.images import get_image_model
from wagtail.models import Collection

from PIL import Image as PILImage
from PIL import UnidentifiedImageError

from catalog.images import all_specs
from catalog.models import ImageFetchStatus, LearningResource
from catalog.signals import resource_image_changed, resources_changed
from cms.tasks import enqueue

from .errors import ImportFetchError
from .transports.http import HttpClient

logger = logging.getLogger(__name__)

FORMATS = {"JPEG": "jpg", "PNG": "png", "GIF": "gif", "WEBP": "webp"}
ACCEPT = "image/webp,image/png,image/jpeg,image/gif;q=0.9"
COLLECTION_NAME = "Imported images"
TASK_BATCH = 200  # resource ids per queued task
TASK_BUDGET_SECONDS = 300  # a task that runs longer queues the rest (the default queue's timeout is 600 s)


class ImageRejected(Exception):
    """The fetched bytes are not an acceptable image; the message says why."""


@dataclass
class FetchedImage:
    data: bytes
    format: str
    width: int
    height: int
    etag: str


def check_image(data: bytes, content_type: str = "") -> tuple[str, int, int]:
    """(format, width, height) of `data`, or ImageRejected naming what is wrong with it."""
    if not data:
        raise ImageRejected("empty response")
    max_pixels = settings.RESOURCE_IMAGE_MAX_PIXELS
    try:
        with PILImage.open(io.BytesIO(data)) as image:
            fmt, (width, height) = image.format, image.size
            if fmt not in FORMATS:
                raise ImageRejected(f"{fmt} images are not accepted (JPEG, PNG, GIF or WebP)")
            if width * height > max_pixels:
                raise ImageRejected(f"image of {width}x{height} pixels exceeds the limit of {max_pixels:,} pixels")
            image.load()  # decodes to the end: a truncated or corrupt file fails here, not in a rendition
    except UnidentifiedImageError:
        served = f" (served as {content_type})" if content_type else ""
        raise ImageRejected(f"not an image{served}: starts with {data[:16]!r}") from None
    except (OSError, SyntaxError, ValueError, PILImage.DecompressionBombError) as exc:
        raise ImageRejected(f"unreadable image: {exc}") from None
    return fmt, width, height


def fetch_image(url: str, *, etag: str = "") -> FetchedImage | None:
    """Fetch and check the image at `url`; None when `etag` still matches (304). Raises ImportFetchError (network,
    HTTP status, size, refused URL) or ImageRejected (not an acceptable image)."""
    with HttpClient(
        timeout=settings.RESOURCE_IMAGE_TIMEOUT,
        retries=1,
        max_bytes=settings.RESOURCE_IMAGE_MAX_BYTES,
        headers={"Accept": ACCEPT},
    ) as client:
        response = client.get(url, etag=etag or None)
    if response.status_code == 304:
        return None
    content_type = response.headers.get("content-type", "")
    fmt, width, height = check_image(response.content, content_type)
    return FetchedImage(response.content, fmt, width, height, response.headers.get("etag", "")[:255])


def imported_collection() -> Collection:
    collection = Collection.objects.filter(name=COLLECTION_NAME).first()
    if collection is None:
        collection = Collection.get_first_root_node().add_child(name=COLLECTION_NAME)
    return collection


def _delete_image(image_id: int | None) -> None:
    if image_id:
        image = get_image_model().objects.filter(pk=image_id).first()
        if image is not None:
            image.delete()  # its renditions and files go with it


def _store(resource: LearningResource, fetched: FetchedImage):
    image = get_image_model()(
        title=(resource.title or resource.image_url)[:255],
        alt_text=resource.image_alt[:255],
        collection=imported_collection(),
    )
    name = f"resource-{resource.pk}.{FORMATS[fetched.format]}"
    image.file = ImageFile(io.BytesIO(fetched.data), name=name)
    image.save()
    try:
        image.get_renditions(*all_specs())  # made once here, not on a learner's first page view
    except Exception:  # a rendition made later on demand is still correct
        logger.exception("could not make the renditions of image %s (resource %s)", image.pk, resource.pk)
    return image


def _image_changed(resource_id: int) -> None:
    # After the row's update, so that a page rendered after the cache forgets it shows the new image.
    resource_image_changed.send(sender=LearningResource, resource_id=resource_id)


def fetch_resource_image(resource_id: int, *, refresh: bool = False, retry_failed: bool = False) -> str:
    """Bring one resource's stored image in line with its `image_url`; returns what happened: "stored",
    "failed", "not-modified", "cleared", "unchanged" (nothing to do), "stale" (changed meanwhile) or "missing"."""
    resource = LearningResource.objects.filter(pk=resource_id).first()
    if resource is None:
        return "missing"
    url = resource.image_url
    old_image_id = resource.stored_image_id
    same_url = url == resource.image_fetched_url
    row = LearningResource.objects.filter(pk=resource.pk, image_url=url)  # unchanged since read

    if not url:
        if not old_image_id and not resource.image_fetch_status:
            return "unchanged"
        row.update(
            stored_image=None, image_fetch_status="", image_fetch_error="", image_fetched_url="", image_fetched_etag=""
        )
        _delete_image(old_image_id)
        _image_changed(resource.pk)
        return "cleared"

    status = resource.image_fetch_status
    if same_url and (
        (status == ImageFetchStatus.STORED and old_image_id and not refresh)
        or (status == ImageFetchStatus.FAILED and not (retry_failed or refresh))
    ):
        return "unchanged"

    etag = resource.image_fetched_etag if same_url and old_image_id else ""
    try:
        fetched = fetch_image(url, etag=etag)
    except (ImportFetchError, ImageRejected) as exc:
        reason = str(exc)[:1024]
        logger.info("image of resource %s not stored: %s", resource.pk, reason)
        keep = same_url and old_image_id  # a failed refresh keeps the image it has
        updated = row.update(
            stored_image_id=old_image_id if keep else None,
            image_fetch_status=ImageFetchStatus.STORED if keep else ImageFetchStatus.FAILED,
            image_fetch_error=reason,
            image_fetched_url=url,
            image_fetched_at=timezone.now(),
        )
        if updated and old_image_id and not keep:
            _delete_image(old_image_id)
            _image_changed(resource.pk)
        return "failed" if updated else "stale"
    if fetched is None:
        row.update(image_fetch_status=ImageFetchStatus.STORED, image_fetch_error="", image_fetched_at=timezone.now())
        return "not-modified"

    image = _store(resource, fetched)
    with transaction.atomic():
        updated = row.update(
            stored_image=image,
            image_fetch_status=ImageFetchStatus.STORED,
            image_fetch_error="",
            image_fetched_url=url,
            image_fetched_etag=fetched.etag,
            image_fetched_at=timezone.now(),
        )
    if not updated:  # the resource's image_url changed while this one was fetched: the next task fetches that
        _delete_image(image.pk)
        return "stale"
    if old_image_id and old_image_id != image.pk:
        _delete_image(old_image_id)
    _image_changed(resource.pk)
    return "stored"


def needing_fetch(queryset=None, *, retry_failed: bool = False, refresh: bool = False):
    """Resources whose stored image is not in line with `image_url` (or, with the flags, worth fetching again)."""
    queryset = LearningResource.objects.all() if queryset is None else queryset
    condition = Q(image_url="") & (~Q(image_fetch_status="") | Q(stored_image__isnull=False))
    condition |= ~Q(image_url="") & (~Q(image_url=F("image_fetched_url")) | Q(image_fetch_status=""))
    condition |= ~Q(image_url="") & Q(image_fetch_status=ImageFetchStatus.STORED, stored_image__isnull=True)
    if retry_failed:
        condition |= Q(image_fetch_status=ImageFetchStatus.FAILED)
    if refresh:
        condition |= ~Q(image_url="")
    return queryset.filter(condition)


def fetch_resource_images(
    resource_ids: Iterable[int] | None = None,
    *,
    refresh: bool = False,
    retry_failed: bool = False,
    budget_seconds: float | None = None,
    progress: Callable[[int, int, dict], None] | None = None,
) -> dict:
    """Fetch the images of the given resources (all that need it when None); counts of each outcome.

    With `budget_seconds` (tasks), the ids left when it runs out are queued as a new task.
    """
    queryset = LearningResource.objects.all()
    if resource_ids is not None:
        queryset = queryset.filter(pk__in=list(resource_ids))
    ids = list(
        needing_fetch(queryset, retry_failed=retry_failed, refresh=refresh).order_by("pk").values_list("pk", flat=True)
    )
    counts: dict[str, int] = {}
    started = time.monotonic()
    for done, resource_id in enumerate(ids, start=1):
        outcome = fetch_resource_image(resource_id, refresh=refresh, retry_failed=retry_failed)
        counts[outcome] = counts.get(outcome, 0) + 1
        if progress:
            progress(done, len(ids), counts)
        if budget_seconds is not None and time.monotonic() - started > budget_seconds and done < len(ids):
            rest = ids[done:]
            enqueue("importers.images.fetch_images_task", rest, task_name="images: fetch resource images")
            counts["requeued"] = len(rest)
            break
    return counts


def fetch_images_task(resource_ids: list[int]) -> dict:
    """django-q2 task: fetch the images of these resources (those that need it), within a time budget."""
    return fetch_resource_images(resource_ids, budget_seconds=TASK_BUDGET_SECONDS)


def queue_resource_images(resource_ids: Iterable[int]) -> int:
    """Queue fetch tasks for those of `resource_ids` whose image needs fetching; returns how many were queued."""
    ids = sorted(set(resource_ids))
    wanted: list[int] = []
    for start in range(0, len(ids), 500):
        chunk = LearningResource.objects.filter(pk__in=ids[start : start + 500])
        wanted += needing_fetch(chunk).values_list("pk", flat=True)
    for start in range(0, len(wanted), TASK_BATCH):
        enqueue(
            "importers.images.fetch_images_task",
            wanted[start : start + TASK_BATCH],
            task_name="images: fetch resource images",
        )
    return len(wanted)


@receiver(resources_changed, dispatch_uid="importers.images.resources_changed")
def on_resources_changed(sender, changed_ids=(), removed_ids=(), **kwargs):
    if settings.RESOURCE_IMAGE_FETCH_AFTER_LOAD and changed_ids:
        queue_resource_images(changed_ids)
