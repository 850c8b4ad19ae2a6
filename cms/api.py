"""The headless API: Wagtail API v2 (pages, images, documents) and the catalogue REST API (/api/v1/)."""

from django.urls import include, path

from wagtail.api.v2.router import WagtailAPIRouter
from wagtail.api.v2.views import PagesAPIViewSet
from wagtail.documents.api.v2.views import DocumentsAPIViewSet
from wagtail.images.api.v2.views import ImagesAPIViewSet

from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView


def rest_api_endpoints_only(endpoints):
    """drf-spectacular preprocessing hook: keep the /api/v1/ endpoints in the OpenAPI schema."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/v1/")]


api_router = WagtailAPIRouter("wagtailapi")
api_router.register_endpoint("pages", PagesAPIViewSet)
api_router.register_endpoint("images", ImagesAPIViewSet)
api_router.register_endpoint("documents", DocumentsAPIViewSet)

v1_urlpatterns = [
    path("", include("catalog.api_urls")),
    path("", include("search.api_urls")),
    path("", include("news.api_urls")),
    path("", include("importers.api_urls")),
]

urlpatterns = [
    path("v2/", api_router.urls),
    path("v1/", include(v1_urlpatterns)),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
]
