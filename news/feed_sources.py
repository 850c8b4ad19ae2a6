"""Feeds configured in the admin (FeedSource rows) become import sources in the registry.

A row's source class is registered under its `source_name` whenever the importers load their sources, when the
row is saved, and before each scheduled run; its configuration (URL, topics) is read from the row each time a
source instance is made, so an edit takes effect in every process without a restart.
"""

from __future__ import annotations

import logging

from django.db import DatabaseError

from cms.tasks import ensure_schedule

logger = logging.getLogger(__name__)

SCHEDULE_FUNC = "news.tasks.scheduled_feed_import"


def schedule_name(source_name: str) -> str:
    return f"import:{source_name}"  # the importers' naming, so the Imports admin shows it


def source_class_for(row):
    """The source class of a FeedSource row."""
    from importers.sources.feeds import feed_source_class

    return feed_source_class(
        source_name=row.source_name,
        title=row.name,
        feed_type=row.feed_type,
        url=row.url,
        topics=row.topic_names,
        minutes=row.schedule_minutes or 60,
    )


def _replaceable(source_name: str) -> bool:
    """True when no source class of its own is registered under this name (only a configured feed or none)."""
    from importers.errors import SourceNotFound
    from importers.registry import get_source_class

    try:
        return getattr(get_source_class(source_name), "configured", False)
    except SourceNotFound:
        return True


def register_row(row) -> None:
    from importers.registry import register

    register(source_class_for(row))


def register_feed_sources() -> int:
    """Register every configured feed that has no source class of its own (the seed's feeds have one and read
    their row for configuration); returns how many. Quietly does nothing before the table exists."""
    from .models import FeedSource

    try:
        rows = list(FeedSource.objects.all())
    except DatabaseError:  # not migrated yet
        return 0
    count = 0
    for row in rows:
        if _replaceable(row.source_name):
            register_row(row)
            count += 1
    return count


def sync_schedule(row) -> None:
    """Create the row's schedule, or bring its interval and on/off state in line with the row."""
    from django_q.models import Schedule

    schedule = ensure_schedule(
        schedule_name(row.source_name),
        SCHEDULE_FUNC,
        queue="content",
        minutes=row.schedule_minutes or 60,
        args=repr((row.source_name,)),
    )
    changes = {}
    if schedule.func != SCHEDULE_FUNC:
        changes["func"] = SCHEDULE_FUNC
    if schedule.schedule_type == Schedule.MINUTES and schedule.minutes != (row.schedule_minutes or 60):
        changes["minutes"] = row.schedule_minutes or 60
    repeats = -1 if row.enabled else 0
    if schedule.repeats != repeats:
        changes["repeats"] = repeats
    if changes:
        Schedule.objects.filter(pk=schedule.pk).update(**changes)


def on_feed_source_saved(sender, instance, **kwargs) -> None:
    if _replaceable(instance.source_name):
        register_row(instance)
    try:
        sync_schedule(instance)
    except DatabaseError:
        logger.warning("could not update the schedule of feed %s", instance.source_name, exc_info=True)


def on_feed_source_deleted(sender, instance, **kwargs) -> None:
    from django_q.models import Schedule

    from importers.registry import unregister

    if _replaceable(instance.source_name):
        unregister(instance.source_name)
    Schedule.objects.filter(name=schedule_name(instance.source_name)).delete()


def row_config(source_name: str) -> dict:
    """Configuration a source takes from its FeedSource row (url, topics); {} when there is no row."""
    from .models import FeedSource

    row = FeedSource.objects.filter(source_name=source_name).only("url", "default_topics").first()
    if row is None:
        return {}
    config = {"topics": row.topic_names}
    if row.url:  # empty: a built-in feed's address from the settings
        config["url"] = row.url
    return config
