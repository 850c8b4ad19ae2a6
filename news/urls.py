"""Learner-facing URLs of the news app, under /news/ (the news index page itself is a Wagtail page there)."""

from django.urls import path

from . import feeds, views

app_name = "news"
urlpatterns = [
    path("rss/", feeds.NewsFeed(), name="rss"),
    path("atom/", feeds.NewsAtomFeed(), name="atom"),
    path("items/<int:pk>/", views.feed_item_detail, name="item-detail"),
]
