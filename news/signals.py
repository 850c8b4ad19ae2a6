"""Signals other parts (search) may listen to; sent after the loader's transaction commits."""

from django.dispatch import Signal

# kwargs: changed_ids (list of FeedItem ids created or updated), removed_ids (ids deleted)
feed_items_changed = Signal()
