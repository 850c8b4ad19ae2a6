"""Editing a lookup (a topic, offeror, platform, department or instructor) changes how its resources are indexed:
their facet labels, topic paths and searchable names. The loader writes lookups in bulk (no signals); these
receivers follow the admin's saves and deletes, mark the resources changed (`updated_at`, which embedding jobs
follow for the chunks' facets) and send `resources_changed` (which re-indexes them for search).
"""

from django.db.models.signals import post_save, pre_delete
from django.dispatch import receiver
from django.utils import timezone

from .models import Department, Instructor, LearningResource, Offeror, Platform, Topic
from .signals import send_resources_changed

LINKS = {Offeror: "offered_by", Platform: "platform", Department: "departments", Instructor: "instructors"}


def topic_and_descendant_ids(topic: Topic) -> list[int]:
    children: dict[int, list[int]] = {}
    for pk, parent_id in Topic.objects.values_list("pk", "parent_id"):
        children.setdefault(parent_id, []).append(pk)
    ids, pending = [], [topic.pk]
    while pending:
        pk = pending.pop()
        ids.append(pk)
        pending += children.get(pk, [])
    return ids


def resource_ids_for(instance) -> list[int]:
    if isinstance(instance, Topic):
        queryset = LearningResource.objects.filter(topics__in=topic_and_descendant_ids(instance))
    else:
        queryset = LearningResource.objects.filter(**{LINKS[type(instance)]: instance})
    return list(queryset.values_list("pk", flat=True).distinct())


def _touch(ids: list[int]) -> None:
    if ids:
        LearningResource.objects.filter(pk__in=ids).update(updated_at=timezone.now())
        send_resources_changed(changed_ids=ids, sender="catalog.lookups")


@receiver(post_save, dispatch_uid="catalog.lookup_saved")
def lookup_saved(sender, instance, created=False, raw=False, **kwargs):
    # A new lookup has no resources yet; fixtures (raw) are loaded as they are.
    if (sender in LINKS or sender is Topic) and not created and not raw:
        _touch(resource_ids_for(instance))


@receiver(pre_delete, dispatch_uid="catalog.lookup_deleting")
def lookup_deleting(sender, instance, **kwargs):
    if sender in LINKS or sender is Topic:
        _touch(resource_ids_for(instance))
