"""Signals the catalogue sends so that other apps (search, vectors) can follow changes without catalog importing them.

`resources_changed` is sent once per batch, after the transaction that wrote it commits:
- `changed_ids`: resources created or updated (including publish state changes to public);
- `removed_ids`: resources that left the public catalogue (unpublished, hidden or deleted).
Receivers must not do network work inline: they queue django-q2 tasks (see search.sync).
"""

from django.dispatch import Signal

resources_changed = Signal()

# Sent (with `resource_id`) when the image task changes the image a resource shows (its `stored_image`) without
# touching `updated_at` or the search index; the anonymous page cache (cms.page_cache) forgets its pages.
resource_image_changed = Signal()


def send_resources_changed(*, changed_ids=(), removed_ids=(), sender=None) -> None:
    """Send `resources_changed` when the current transaction commits (immediately outside one)."""
    from django.db import transaction

    changed, removed = sorted(set(changed_ids)), sorted(set(removed_ids))
    if not changed and not removed:
        return
    transaction.on_commit(
        lambda: resources_changed.send(sender=sender or "catalog", changed_ids=changed, removed_ids=removed)
    )
