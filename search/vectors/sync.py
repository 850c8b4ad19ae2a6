"""Vectors follow deletions at once; everything else is picked up by the scheduled embedding job."""

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from catalog.models import LearningResource
from cms.tasks import enqueue


@receiver(post_delete, sender=LearningResource, dispatch_uid="search.vectors.resource_deleted")
def on_resource_deleted(sender, instance, **kwargs):
    # The job finds changes by `updated_at`, which a deleted row no longer has: remove its points by task.
    pk = instance.pk
    transaction.on_commit(
        lambda: enqueue(
            "search.vectors.jobs.remove_deleted_resources", [pk], queue="embeddings", task_name="vectors: deleted"
        )
    )
