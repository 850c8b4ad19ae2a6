"""REST API URLs of the search app, mounted under /api/v1/."""

from django.urls import path

from .api import ContentSearchAPIView, SearchAPIView, SuggestAPIView
from .ask.api import AskAPIView, AskFeedbackAPIView

urlpatterns = [
    path("search/", SearchAPIView.as_view(), name="api-search"),
    path("search/suggest/", SuggestAPIView.as_view(), name="api-search-suggest"),
    path("search/content/", ContentSearchAPIView.as_view(), name="api-search-content"),
    path("ask/", AskAPIView.as_view(), name="api-ask"),
    path("ask/messages/<int:message_id>/feedback/", AskFeedbackAPIView.as_view(), name="api-ask-feedback"),
]

# --- Saved searches (issue 16) ---
from rest_framework.routers import SimpleRouter  # noqa: E402

from .saved.api import SavedSearchViewSet  # noqa: E402

saved_search_router = SimpleRouter()
saved_search_router.register("saved-searches", SavedSearchViewSet, basename="saved-search")
urlpatterns += saved_search_router.urls
