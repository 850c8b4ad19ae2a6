import logging

from django.apps import AppConfig
from django.db import transaction
from django.db.backends.signals import connection_created
from django.db.models.signals import post_delete, post_save

logger = logging.getLogger(__name__)

FIRST_CONNECTION_UID = "news_register_configured_feeds"


def register_feeds_on_first_connection(sender, connection, **kwargs):
    """Feeds configured in the admin become import sources once per process, on its first database connection
    (the database cannot be read while apps load; the importers load their sources then)."""
    if connection.alias != "default":
        return
    connection_created.disconnect(dispatch_uid=FIRST_CONNECTION_UID)
    from .feed_sources import register_feed_sources

    try:
        with transaction.atomic(using=connection.alias):  # a savepoint: a missing table poisons nothing
            register_feed_sources()
    except Exception:  # before migrations, or no database access (some tests)
        logger.debug("configured feeds not registered on the first connection", exc_info=True)


class NewsConfig(AppConfig):
    name = "news"
    verbose_name = "News and events"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from .feed_sources import on_feed_source_deleted, on_feed_source_saved
        from .models import FeedSource

        post_save.connect(on_feed_source_saved, sender=FeedSource, dispatch_uid="news_feed_source_saved")
        post_delete.connect(on_feed_source_deleted, sender=FeedSource, dispatch_uid="news_feed_source_deleted")
        connection_created.connect(register_feeds_on_first_connection, dispatch_uid=FIRST_CONNECTION_UID)
        from importers.registry import add_source_provider

        from .feed_sources import register_feed_sources

        # `manage.py import <feed>` looks a feed up before any connection: register configured feeds on a miss.
        add_source_provider(register_feed_sources)
