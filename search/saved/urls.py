"""My learning and saved searches, mounted at /my/ (see search/saved/views.py)."""

from django.urls import path

from . import views

app_name = "saved_searches"
urlpatterns = [
    path("", views.my_learning, name="my-learning"),
    path("searches/new/", views.new_saved_search, name="create"),
    path("searches/<int:pk>/", views.update_saved_search, name="update"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
