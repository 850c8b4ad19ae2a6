from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "search"
    verbose_name = "Search"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from catalog.similar import register_provider

        from . import sync
        from .semantic import similar_resource_ids
        from .vectors import sync as vector_sync  # noqa: F401 - connects its receivers

        sync.connect_feed_items()
        register_provider(similar_resource_ids)

        from cms.metrics import register_family

        from .metrics import embedding_lag

        register_family("embedding_lag", embedding_lag)
