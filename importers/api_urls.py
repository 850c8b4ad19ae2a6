"""REST API URLs of the importers app, mounted under /api/v1/."""

from django.urls import path

from .webhooks import ImportWebhookView

urlpatterns = [
    path("webhooks/import/<slug:source>/", ImportWebhookView.as_view(), name="import-webhook"),
]
