from django.apps import AppConfig


class NewsConfig(AppConfig):
    name = "news"
    verbose_name = "News and events"
    default_auto_field = "django.db.models.BigAutoField"
