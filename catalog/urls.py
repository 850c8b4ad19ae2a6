"""Learner-facing URLs of the catalog app."""

from django.urls import path

from catalog import views

app_name = "catalog"
urlpatterns = [
    path("", views.browse, name="browse"),
    path("topics/<slug:slug>/", views.topic_detail, name="topic"),
    path("offerors/<slug:code>/", views.offeror_detail, name="offeror"),
    path("<slug:slug>/", views.resource_detail, name="resource-detail"),
]
