"""The headless API: Wagtail API v2 (pages, images, documents) and the catalogue REST API (/api/v1/)."""

from django.core.exceptions import PermissionDenied
from django.db.models import ForeignKey, ManyToManyField, Prefetch, prefetch_related_objects
from django.db.models.manager import BaseManager
from django.http import Http404
from django.urls import include, path

from wagtail.api.v2.router import WagtailAPIRouter
from wagtail.api.v2.serializers import PageSerializer, TagsField
from wagtail.api.v2.utils import BadRequestError
from wagtail.api.v2.views import PagesAPIViewSet
from wagtail.documents.api.v2.serializers import DocumentSerializer as WagtailDocumentSerializer
from wagtail.documents.api.v2.views import DocumentsAPIViewSet
from wagtail.images import get_image_model
from wagtail.images.api.v2.serializers import ImageSerializer as WagtailImageSerializer
from wagtail.images.api.v2.views import ImagesAPIViewSet
from wagtail.models import Page

from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.response import Response
from rest_framework.serializers import ListSerializer

from cms import content_cache
from cms.accounts.api import MeAPIView
from cms.caching import PublicCacheMixin
from cms.pages_api_schema import pages_api_schema


def rest_api_endpoints_only(endpoints):
    """drf-spectacular preprocessing hook: keep the /api/v1/ endpoints in the OpenAPI schema."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/v1/")]


def listing_prefetches(model) -> list:
    """What a listing of `model` pages loads in bulk before serialising them: each image field's image with its
    renditions, and each many-to-many field (topics). Nothing for plain `Page` listings."""
    if model is Page:
        return []
    image_model = get_image_model()
    prefetches = []
    for field in model._meta.get_fields():
        if isinstance(field, ForeignKey) and field.related_model is image_model:
            prefetches.append(Prefetch(field.name, queryset=image_model.objects.prefetch_renditions()))
        elif isinstance(field, ManyToManyField) and not field.auto_created:
            prefetches.append(field.name)
    return prefetches


class CachedPageSerializer(PageSerializer):
    """A page's API representation, kept in the content cache (`cms.content_cache`) under the content generation:
    a listing of pages whose bodies compute their content (resource queries, latest news, topics) costs its
    listing queries only, once each page has been serialised (issue 15: at most 8 queries per API list).

    The representation depends on the page, the fields asked for (the serializer class and the `fields`
    parameter, which also shapes nested objects), the view (listing or detail), the rich text format and the
    request's scheme and host (absolute URLs): all are in the key. It never depends on the visitor: the pages
    endpoint serves live public pages only, whoever asks. Any content change (publish, unpublish, move, an import,
    an edit) starts a new generation. The preview endpoint does not use this class."""

    def _parts(self, request, instance):
        view = self.context.get("view")
        return (
            instance._meta.label,
            instance.pk,
            tuple(self.Meta.fields),
            tuple(getattr(self.Meta, "meta_fields", ())),
            request.GET.get("fields", ""),
            str(self.context.get("_wagtail_rich_text_format", "")),
            getattr(view, "action", ""),
            request.build_absolute_uri("/"),
        )

    def kept(self, instance):
        """The kept representation of `instance`, or None."""
        request = self.context.get("request")
        return None if request is None else content_cache.peek(request, "api-page", self._parts(request, instance))

    def to_representation(self, instance):
        request = self.context.get("request")
        if request is None:
            return super().to_representation(instance)
        return content_cache.get_or_compute(
            request,
            "api-page",
            self._parts(request, instance),
            lambda: super(CachedPageSerializer, self).to_representation(instance),
        )


class CachedPageListSerializer(ListSerializer):
    """A listing's pages: the kept representations as they are; the others serialised after loading their images
    and many-to-many fields in bulk (`listing_prefetches`), so a listing costs the same few queries whether none,
    some or all of its pages were kept."""

    def to_representation(self, data):
        pages = list(data.all() if isinstance(data, BaseManager) else data)
        kept = [self.child.kept(page) for page in pages]
        missing = [page for page, value in zip(pages, kept, strict=True) if value is None]
        if missing:
            prefetch_related_objects(missing, *listing_prefetches(self.child.Meta.model))
        return [
            self.child.to_representation(page) if value is None else value
            for page, value in zip(pages, kept, strict=True)
        ]


class PagesAPI(PublicCacheMixin, PagesAPIViewSet):
    """Wagtail's pages endpoint. A listing serialises through `CachedPageListSerializer` (kept representations;
    the rest with their images and topics loaded in bulk), a page's streams and images load in bulk (see
    BasePage.prefetch_content)."""

    base_serializer_class = CachedPageSerializer

    def get_base_queryset(self):
        # Wagtail builds it (reading the view restrictions) for the listing, the count and the filters alike: once.
        if not hasattr(self, "_base_queryset"):
            self._base_queryset = super().get_base_queryset()
        return self._base_queryset

    def get_queryset(self):
        return super().get_queryset().select_related("locale")

    def get_serializer_class(self):
        serializer_class = super().get_serializer_class()
        # Wagtail generates the class (and its Meta) per model and field set; its listings are lists of it.
        serializer_class.Meta.list_serializer_class = CachedPageListSerializer
        return serializer_class

    def get_object(self):
        page = super().get_object()
        if not hasattr(self, "_prefetched") and hasattr(page, "prefetch_content"):
            page.prefetch_content()
            self._prefetched = True
        return page


class PrefetchedTagsField(TagsField):
    """Wagtail's tags field, reading the tags the listing prefetched (its own reads one query per object)."""

    def to_representation(self, value):
        return sorted(tag.name for tag in value.all())


class PrefetchedTagsMixin:
    """Serialise tags from the listing's prefetched tags."""

    def build_property_field(self, field_name, model_class):
        field_class, kwargs = super().build_property_field(field_name, model_class)
        return (PrefetchedTagsField if field_class is TagsField else field_class), kwargs


class ImageSerializer(PrefetchedTagsMixin, WagtailImageSerializer):
    pass


class DocumentSerializer(PrefetchedTagsMixin, WagtailDocumentSerializer):
    pass


class ImagesAPI(PublicCacheMixin, ImagesAPIViewSet):
    """Wagtail's images endpoint, the images' tags prefetched: the query count does not grow with the images."""

    base_serializer_class = ImageSerializer

    def get_queryset(self):
        return super().get_queryset().prefetch_related("tags")


class DocumentsAPI(PublicCacheMixin, DocumentsAPIViewSet):
    """Wagtail's documents endpoint, the documents' tags prefetched."""

    base_serializer_class = DocumentSerializer

    def get_queryset(self):
        return super().get_queryset().prefetch_related("tags")


class PagePreviewAPI(PagesAPIViewSet):
    """A draft as the headless frontend previews it: ?content_type=cms.landingpage&token=<signed token>.

    A token that isn't signed by us, or is older than PREVIEW_TOKEN_MAX_AGE, is refused with 403; an unknown one (or a
    wrong content type) is 404.
    Never cached.
    """

    known_query_parameters = PagesAPIViewSet.known_query_parameters.union(["content_type", "token"])

    def listing_view(self, request):
        self.action = "detail_view"
        response = Response(self.get_serializer(self.get_object()).data)
        response["Cache-Control"] = "private, no-store"
        return response

    def detail_view(self, request, pk=None):
        return self.listing_view(request)

    def handle_exception(self, exc):
        if isinstance(exc, PermissionDenied):
            # Wagtail's API words 404 and 400 as {"message": ...}; a refused token says why the same way (DRF would
            # replace the reason with its generic "You do not have permission").
            response = Response({"message": str(exc) or "preview token refused"}, status=403)
        else:
            response = super().handle_exception(exc)
        response["Cache-Control"] = "private, no-store"
        return response

    def get_object(self):
        if hasattr(self, "_preview_page"):
            return self._preview_page
        from django.apps import apps
        from django.core.signing import BadSignature

        from cms.models import BasePage

        content_type = self.request.GET.get("content_type", "")
        token = self.request.GET.get("token", "")
        if not content_type or not token:
            raise BadRequestError("content_type and token are required, e.g. ?content_type=cms.landingpage&token=…")
        try:
            model = apps.get_model(*content_type.split(".", 1))
        except (LookupError, ValueError, TypeError) as exc:
            raise Http404(f"unknown content_type {content_type!r}") from exc
        if not issubclass(model, BasePage):
            raise Http404(f"content_type {content_type!r} is not a page type")
        from cms.preview_tokens import check_token

        try:
            check_token(token)  # too old: 403 saying so (PREVIEW_TOKEN_MAX_AGE)
            page = model.get_page_from_preview_token(token)
        except BadSignature as exc:
            raise PermissionDenied("invalid preview token") from exc
        if page is None:
            raise Http404("preview not found or expired; preview the page again")
        if not page.pk:
            page.pk = 0  # a page previewed before its first save
        page.prefetch_content()
        self._preview_page = page
        return page

    @classmethod
    def get_urlpatterns(cls):
        return [path("", cls.as_view({"get": "listing_view"}), name="listing")]


api_router = WagtailAPIRouter("wagtailapi")
api_router.register_endpoint("pages", PagesAPI)
api_router.register_endpoint("images", ImagesAPI)
api_router.register_endpoint("documents", DocumentsAPI)
api_router.register_endpoint("page_preview", PagePreviewAPI)

v1_urlpatterns = [
    path("", include("catalog.api_urls")),
    path("", include("search.api_urls")),
    path("", include("news.api_urls")),
    path("", include("importers.api_urls")),
    # API authentication (issue 16): who the caller is.
    path("me/", MeAPIView.as_view(), name="api-me"),
]

urlpatterns = [
    path("v2/schema/", pages_api_schema, name="pages-api-schema"),
    path("v2/", api_router.urls),
    path("v1/", include(v1_urlpatterns)),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    # The pages API (Wagtail API v2) is documented beside the REST API, from its own hand-written schema.
    path("docs/pages/", SpectacularSwaggerSplitView.as_view(url_name="pages-api-schema"), name="pages-api-docs"),
]
