"""Signal receivers that queue batched index updates on django-q2's "default" queue.

The catalogue sends `resources_changed` once per committed batch (loader runs and admin saves); pages and news
items are followed through Wagtail's publish signals and model signals. Receivers only enqueue: the indexing work,
and any network call to OpenSearch, happens in `search.tasks` on a worker.
"""

import logging

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from wagtail.models import Page
from wagtail.signals import page_published, page_unpublished

from catalog.models import Offeror
from catalog.signals import resources_changed
from cms.tasks import enqueue

from . import names
from .documents import feed_item_model
from .models import Synonym
from .service import clear_synonym_cache

logger = logging.getLogger(__name__)

TASK_BATCH = 1000  # ids per queued task


def _chunks(ids, size=TASK_BATCH):
    ids = sorted(set(ids))
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def queue_resource_update(changed_ids=(), removed_ids=()) -> None:
    for chunk in _chunks(changed_ids):
        enqueue("search.tasks.update_resources", chunk, [], task_name="search: index resources")
    for chunk in _chunks(removed_ids):
        enqueue("search.tasks.update_resources", [], chunk, task_name="search: remove resources")


@receiver(resources_changed, dispatch_uid="search.sync.resources_changed")
def on_resources_changed(sender, changed_ids=(), removed_ids=(), **kwargs):
    queue_resource_update(changed_ids, removed_ids)


def _queue_pages(page_ids):
    ids = list(page_ids)
    transaction.on_commit(lambda: enqueue("search.tasks.update_pages", ids, task_name="search: pages"))


@receiver(page_published, dispatch_uid="search.sync.page_published")
@receiver(page_unpublished, dispatch_uid="search.sync.page_unpublished")
def on_page_changed(sender, instance, **kwargs):
    # A page's visibility also decides its descendants' (unpublishing a section hides its pages).
    ids = [instance.pk]
    if kwargs.get("signal") is page_unpublished or not instance.live:
        ids += list(Page.objects.descendant_of(instance).values_list("pk", flat=True)[:5000])
    _queue_pages(ids)


@receiver(post_delete, sender=Page, dispatch_uid="search.sync.page_deleted")
def on_page_deleted(sender, instance, **kwargs):
    _queue_pages([instance.pk])


def connect_feed_items() -> None:
    """Follow news feed items when the news app has them."""
    model = feed_item_model()
    if model is None:
        return

    def on_item_saved(sender, instance, **kwargs):
        pk = instance.pk
        transaction.on_commit(lambda: enqueue("search.tasks.update_feed_items", [pk], task_name="search: news"))

    post_save.connect(on_item_saved, sender=model, dispatch_uid="search.sync.feed_item_saved", weak=False)
    post_delete.connect(on_item_saved, sender=model, dispatch_uid="search.sync.feed_item_deleted", weak=False)


@receiver(post_save, sender=Synonym, dispatch_uid="search.sync.synonym_saved")
@receiver(post_delete, sender=Synonym, dispatch_uid="search.sync.synonym_deleted")
def on_synonym_changed(sender, **kwargs):
    clear_synonym_cache()


@receiver(post_save, sender=Offeror, dispatch_uid="search.sync.offeror_saved")
@receiver(post_delete, sender=Offeror, dispatch_uid="search.sync.offeror_deleted")
def on_offeror_changed(sender, **kwargs):
    # Hybrid search recognises offeror names from a per-process cache (search.names): this process sees a change at
    # once, others within names.CACHE_SECONDS.
    names.clear_cache()
