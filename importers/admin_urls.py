"""URLs of the Imports admin section, mounted at /admin/imports/ by wagtail_hooks."""

from django.urls import path

from . import admin_views

app_name = "importers_admin"
urlpatterns = [
    path("", admin_views.IndexView.as_view(), name="index"),
    path("runs/<int:pk>/", admin_views.RunView.as_view(), name="run"),
    path("runs/<int:pk>/approve/", admin_views.approve, name="approve"),
    path("runs/<int:pk>/reject/", admin_views.reject, name="reject"),
    path("snapshots/<int:pk>/replay/", admin_views.replay_snapshot, name="replay"),
    path("<slug:source>/", admin_views.SourceView.as_view(), name="source"),
    path("<slug:source>/run/", admin_views.run_source, name="run_source"),
    path("<slug:source>/release-lock/", admin_views.release_lock, name="release_lock"),
]
