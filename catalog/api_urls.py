"""REST API URLs of the catalog app, mounted under /api/v1/."""

from rest_framework.routers import SimpleRouter

from catalog.api import views

router = SimpleRouter()
router.register("resources/slug", views.LearningResourceBySlugViewSet, basename="resource-by-slug")
router.register("resources", views.LearningResourceViewSet, basename="resource")
for prefix, viewset in views.TYPED_VIEWSETS.items():
    router.register(prefix, viewset, basename=prefix.rstrip("s").replace("_", "-"))
router.register("topics", views.TopicViewSet, basename="topic")
router.register("offerors", views.OfferorViewSet, basename="offeror")
router.register("platforms", views.PlatformViewSet, basename="platform")
router.register("departments", views.DepartmentViewSet, basename="department")

urlpatterns = router.urls
