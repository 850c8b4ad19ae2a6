"""REST API URLs of the search app, mounted under /api/v1/."""

from django.urls import path

from .api import ContentSearchAPIView, SearchAPIView, SuggestAPIView

urlpatterns = [
    path("search/", SearchAPIView.as_view(), name="api-search"),
    path("search/suggest/", SuggestAPIView.as_view(), name="api-search-suggest"),
    path("search/content/", ContentSearchAPIView.as_view(), name="api-search-content"),
]
