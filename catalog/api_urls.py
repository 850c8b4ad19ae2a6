"""REST API URLs of the catalog app, mounted under /api/v1/."""

from django.urls import path

from rest_framework.routers import SimpleRouter

from catalog.api import lists, views

router = SimpleRouter()
router.register("resources/slug", views.LearningResourceBySlugViewSet, basename="resource-by-slug")
router.register("resources", views.LearningResourceViewSet, basename="resource")
for prefix, viewset in views.TYPED_VIEWSETS.items():
    router.register(prefix, viewset, basename=prefix.rstrip("s").replace("_", "-"))
router.register("topics", views.TopicViewSet, basename="topic")
router.register("offerors", views.OfferorViewSet, basename="offeror")
router.register("platforms", views.PlatformViewSet, basename="platform")
router.register("departments", views.DepartmentViewSet, basename="department")
# Learner lists (issue 16): the shared-by-link path comes before the router's `lists/<pk>/`.
router.register("lists", lists.LearnerListViewSet, basename="learner-list")

urlpatterns = [
    path("lists/shared/<str:token>/", lists.SharedListAPIView.as_view(), name="learner-list-shared"),
    *router.urls,
]
