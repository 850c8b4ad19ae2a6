"""Learner lists: a learner's saved resources and named lists (after MIT Learn's UserList/UserListRelationship).

A list belongs to one user. It is private, or shared by link: an unguessable token in the URL that the owner can
revoke or regenerate (the old link then stops working). Items are ordered by `position`; a resource is at most once
in a list. A resource that stops being public stays in the list (it may come back) but is never shown to anyone;
its owner sees it counted as "no longer available". Rules and writes live in `catalog.lists`.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q


class ListPrivacy(models.TextChoices):
    PRIVATE = "private", "Private"
    SHARED = "shared", "Shared by link"


class LearnerList(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="learner_lists")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=2000)
    privacy = models.CharField(max_length=16, choices=ListPrivacy.choices, default=ListPrivacy.PRIVATE)
    # Set only while shared; NULL otherwise so that the unique index ignores private lists.
    share_token = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    # The "Saved" list a one-click save goes to, created on first save; one per owner.
    is_default = models.BooleanField(default=False, editable=False)
    resources = models.ManyToManyField(
        "catalog.LearningResource", through="LearnerListItem", related_name="+", blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-is_default", "title", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["owner"], condition=Q(is_default=True), name="catalog_list_one_default"),
        ]

    def __str__(self):
        return self.title

    @property
    def is_shared(self) -> bool:
        return self.privacy == ListPrivacy.SHARED and bool(self.share_token)


class LearnerListItem(models.Model):
    learner_list = models.ForeignKey(LearnerList, on_delete=models.CASCADE, related_name="items")
    resource = models.ForeignKey(
        "catalog.LearningResource", on_delete=models.CASCADE, related_name="learner_list_items"
    )
    position = models.PositiveIntegerField(default=0)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["learner_list", "resource"], name="catalog_list_resource_once"),
        ]

    def __str__(self):
        return f"{self.learner_list_id}: {self.resource_id}"
