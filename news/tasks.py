"""Tasks of the news app (django-q2, "content" queue)."""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)


def scheduled_feed_import(source_name: str) -> int | None:
    """Scheduled import of a configured feed: refresh the registry (the row may be new to this worker), skip a
    disabled feed, then run the import as any scheduled source. Returns the ImportRun id."""
    from importers.tasks import scheduled_import

    from .feed_sources import register_feed_sources
    from .models import FeedSource

    register_feed_sources()
    row = FeedSource.objects.filter(source_name=source_name).first()
    if row is not None and not row.enabled:
        logger.info("feed %s is disabled; scheduled import skipped", source_name)
        return None
    return scheduled_import(source_name)
