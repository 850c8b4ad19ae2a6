"""Learner lists: the one place that reads and changes them (site pages and API both call these).

Contract:
- `default_list(user)` — the user's "Saved" list, created on first use.
- `add_item`, `remove_item`, `reorder` — a resource is at most once per list; only public resources can be added.
- `share(list)` / `unshare(list)` — share by an unguessable link (a new token each time: sharing again revokes the
  old link), or make private again (the link stops working).
- `visible_items(list)` — the items anyone may see: public resources only, in order, with what a card shows.
- `unavailable_count(list)` — items hidden because their resource is no longer public (shown to the owner only).
- `shared_list(token)` — the list a share link names, or None.
Refusals raise `ListError` with a message that says what was wrong, for the page or the API to show.
"""

import secrets

from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q

from catalog.models import LearnerList, LearnerListItem, LearningResource, ListPrivacy

DEFAULT_LIST_TITLE = "Saved"
MAX_LISTS_PER_USER = 100
MAX_ITEMS_PER_LIST = 1000


class ListError(ValueError):
    """A change to a list was refused; the message says why, in words for the learner."""


def public_item_q(prefix: str = "") -> Q:
    return Q(**{f"{prefix}resource__published": True, f"{prefix}resource__hidden": False})


def lists_for(user):
    """The user's lists with `item_count` (public resources) and `unavailable_count` annotated; one query."""
    return LearnerList.objects.filter(owner=user).annotate(
        item_count=Count("items", filter=public_item_q("items__")),
        unavailable_count=Count("items", filter=~public_item_q("items__")),
    )


def default_list(user) -> LearnerList:
    existing = LearnerList.objects.filter(owner=user, is_default=True).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            return LearnerList.objects.create(owner=user, title=DEFAULT_LIST_TITLE, is_default=True)
    except IntegrityError:  # another request created it first
        return LearnerList.objects.get(owner=user, is_default=True)


def create_list(user, *, title: str, description: str = "", privacy: str = ListPrivacy.PRIVATE) -> LearnerList:
    title = (title or "").strip()
    if not title:
        raise ListError("Give the list a title.")
    if LearnerList.objects.filter(owner=user).count() >= MAX_LISTS_PER_USER:
        raise ListError(f"You have {MAX_LISTS_PER_USER} lists, the most one account may have; delete one first.")
    learner_list = LearnerList.objects.create(owner=user, title=title[:200], description=(description or "")[:2000])
    if privacy == ListPrivacy.SHARED:
        share(learner_list)
    return learner_list


def add_item(learner_list: LearnerList, resource: LearningResource) -> tuple[LearnerListItem, bool]:
    """Add `resource` at the end of the list; returns (item, created). Adding it again changes nothing."""
    if not resource.is_public:
        raise ListError("This resource is not available, so it cannot be saved.")
    existing = LearnerListItem.objects.filter(learner_list=learner_list, resource=resource).first()
    if existing:
        return existing, False
    if learner_list.items.count() >= MAX_ITEMS_PER_LIST:
        raise ListError(f"“{learner_list.title}” already holds {MAX_ITEMS_PER_LIST} items, the most a list may hold.")
    last = learner_list.items.aggregate(last=Max("position"))["last"]
    try:
        with transaction.atomic():
            item = LearnerListItem.objects.create(
                learner_list=learner_list, resource=resource, position=0 if last is None else last + 1
            )
    except IntegrityError:  # saved twice at once: the first one stands
        return LearnerListItem.objects.get(learner_list=learner_list, resource=resource), False
    LearnerList.objects.filter(pk=learner_list.pk).update(updated_at=item.added_at)
    return item, True


def remove_item(learner_list: LearnerList, resource_id: int) -> bool:
    deleted, _ = LearnerListItem.objects.filter(learner_list=learner_list, resource_id=resource_id).delete()
    return bool(deleted)


def reorder(learner_list: LearnerList, resource_ids: list[int]) -> None:
    """Put the named resources first, in the given order; items not named keep their order after them (so a
    client that only knows the visible items cannot lose the hidden ones)."""
    try:
        wanted = [int(value) for value in resource_ids]
    except (TypeError, ValueError):
        raise ListError("The new order must be a list of resource ids.") from None
    if len(set(wanted)) != len(wanted):
        raise ListError("The new order names a resource twice.")
    items = {item.resource_id: item for item in learner_list.items.all()}
    unknown = [value for value in wanted if value not in items]
    if unknown:
        raise ListError(f"These resources are not in “{learner_list.title}”: {', '.join(map(str, unknown[:10]))}.")
    rest = [item for item in sorted(items.values(), key=lambda i: (i.position, i.pk)) if item.resource_id not in wanted]
    ordered = [items[value] for value in wanted] + rest
    for position, item in enumerate(ordered):
        item.position = position
    with transaction.atomic():
        LearnerListItem.objects.bulk_update(ordered, ["position"])


def share(learner_list: LearnerList) -> str:
    """Share by link with a fresh token (any earlier link stops working); returns the token."""
    learner_list.share_token = secrets.token_urlsafe(24)
    learner_list.privacy = ListPrivacy.SHARED
    learner_list.save(update_fields=["share_token", "privacy", "updated_at"])
    return learner_list.share_token


def unshare(learner_list: LearnerList) -> None:
    learner_list.share_token = None
    learner_list.privacy = ListPrivacy.PRIVATE
    learner_list.save(update_fields=["share_token", "privacy", "updated_at"])


def visible_items(learner_list: LearnerList):
    """Items of public resources, in order, with what a list item shows (one query)."""
    return (
        learner_list.items.filter(public_item_q())
        .select_related("resource", "resource__offered_by", "resource__platform")
        .order_by("position", "pk")
    )


def unavailable_count(learner_list: LearnerList) -> int:
    return learner_list.items.exclude(public_item_q()).count()


def shared_list(token: str) -> LearnerList | None:
    if not token or len(token) > 64:
        return None
    return LearnerList.objects.filter(share_token=token, privacy=ListPrivacy.SHARED).first()
