"""REST API URLs of the news app, mounted under /api/v1/."""

from django.urls import path

from . import api

urlpatterns = [
    path("news/items/", api.FeedItemList.as_view(), name="news-item-list"),
    path("news/items/<int:pk>/", api.FeedItemDetail.as_view(), name="news-item-detail"),
]
