"""Learner list pages, mounted at /lists/ (see catalog/views/lists.py)."""

from django.urls import path

from catalog.views import lists

app_name = "lists"
urlpatterns = [
    path("", lists.my_lists, name="index"),
    path("new/", lists.create_list, name="create"),
    path("<int:pk>/", lists.list_detail, name="detail"),
    path("<int:pk>/edit/", lists.update_list, name="update"),
    path("save/<int:resource_id>/", lists.save_resource, name="save"),
    path("shared/<str:token>/", lists.shared_list, name="shared"),
]
