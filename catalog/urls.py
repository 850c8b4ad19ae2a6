"""Learner-facing URLs of the catalog app."""

app_name = "catalog"
urlpatterns = []
