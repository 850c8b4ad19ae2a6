"""Learner-facing URLs of the importers app."""

app_name = "importers"
urlpatterns = []
