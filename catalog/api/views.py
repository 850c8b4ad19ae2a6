"""Read-only REST API of the public catalogue (/api/v1/): resources, per-type lists, children, lookups.

Only published, non-hidden resources are ever returned, also as children and parents. Responses carry an ETag
and public Cache-Control (cms.caching); every list runs a fixed number of queries.
"""

from django.db.models import F
from django.shortcuts import get_object_or_404

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response

from catalog.models import Department, LearningResource, Offeror, Platform, ResourceType, Topic
from catalog.similar import SimilarUnavailable, similar_resources
from cms.caching import PublicCacheMixin

from .filters import ResourceFilterSet, ResourceOrderingFilter
from .representations import LIST_KEY_FIELDS, representations
from .serializers import (
    DepartmentListSerializer,
    LearningResourceDetailSerializer,
    LearningResourceSerializer,
    OfferorListSerializer,
    PlatformListSerializer,
    ProgramItemSerializer,
    SimilarResourcesSerializer,
    TopicListSerializer,
    annotate_public_resource_count,
    public_resources_queryset,
    resource_detail_queryset,
)


class CataloguePagination(LimitOffsetPagination):
    default_limit = 20
    max_limit = 100


FIELDS_PARAMETER = OpenApiParameter(
    "fields",
    OpenApiTypes.STR,
    description="Comma-separated fields to return, e.g. `id,title,url` (default: all).",
)
RESOURCE_ORDERING = ["title", "next_start_date", "view_count", "published_at", "updated_at", "id"]


class ResourceSerializerMixin:
    """The serializer for the action, restricted to `?fields=` (unknown names are a 400 naming them)."""

    def get_serializer_class(self):
        if self.action == "retrieve":
            return LearningResourceDetailSerializer
        if self.action == "items":
            return ProgramItemSerializer
        return LearningResourceSerializer

    def selected_fields(self) -> list[str] | None:
        raw = self.request.query_params.get("fields", "") if self.request else ""
        names = [name.strip() for name in raw.split(",") if name.strip()]
        if not names:
            return None
        serializer_class = self.get_serializer_class()
        known = list(serializer_class.Meta.fields)
        unknown = [name for name in names if name not in known]
        if unknown:
            raise ValidationError(
                {"fields": [f"Unknown field(s): {', '.join(unknown)}. Available fields: {', '.join(known)}."]}
            )
        return names

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if self.request is not None and not getattr(self, "swagger_fake_view", False):
            context["fields"] = self.selected_fields()
        return context


class ResourceViewSetBase(
    ResourceSerializerMixin, PublicCacheMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Public resources (optionally of one type), filterable, orderable, with `fields` selection."""

    resource_type: str | None = None
    serializer_class = LearningResourceSerializer
    pagination_class = CataloguePagination
    filter_backends = [DjangoFilterBackend, ResourceOrderingFilter]
    filterset_class = ResourceFilterSet
    ordering_fields = RESOURCE_ORDERING
    ordering = ["title", "id"]
    queryset = LearningResource.objects.none()  # schema generation only; see get_queryset

    def get_queryset(self):
        queryset = resource_detail_queryset() if self.action == "retrieve" else public_resources_queryset()
        if self.resource_type:
            queryset = queryset.filter(resource_type=self.resource_type)
        return queryset

    @extend_schema(parameters=[FIELDS_PARAMETER])
    def list(self, request, *args, **kwargs):
        # The page is chosen on ids and `updated_at` alone; the representations come from the cache
        # (catalog.api.representations), the misses loaded with everything the serializer reads.
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset.select_related(None).prefetch_related(None).only(*LIST_KEY_FIELDS))
        data = representations(page, self.get_serializer_class(), self.get_serializer_context())
        return self.get_paginated_response(data)

    @extend_schema(parameters=[FIELDS_PARAMETER])
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        parameters=[FIELDS_PARAMETER],
        responses=ProgramItemSerializer(many=True),
        description="The resource's public children in order: a program's courses, a podcast's episodes, ...",
        filters=False,
    )
    @action(detail=True, methods=["get"], url_path="items", filter_backends=[])
    def items(self, request, *args, **kwargs):
        parent = get_object_or_404(self._parent_queryset(), **{self.lookup_field: kwargs[self.lookup_field]})
        children = (
            public_resources_queryset()
            .filter(parent_links__parent=parent)
            .annotate(position=F("parent_links__position"))
            .order_by("position", "id")
        )
        page = self.paginate_queryset(children)
        serializer = self.get_serializer(page, many=True)
        return self.get_paginated_response(serializer.data)

    def _parent_queryset(self):
        queryset = LearningResource.objects.public()
        return queryset.filter(resource_type=self.resource_type) if self.resource_type else queryset


SIMILAR_DEFAULT = 6
SIMILAR_MAX = 50


@extend_schema_view(
    list=extend_schema(summary="List public learning resources of every type"),
    retrieve=extend_schema(summary="A public learning resource by id"),
)
class LearningResourceViewSet(ResourceViewSetBase):
    @extend_schema(
        summary="Public resources similar to this one",
        description="The resources whose text (title, topics, offeror, instructors, description) is closest in "
        "meaning to this resource's, best first, by vector search; public resources only. Answers 503 when "
        "vector search is unavailable.",
        parameters=[
            FIELDS_PARAMETER,
            OpenApiParameter("limit", OpenApiTypes.INT, description=f"1–{SIMILAR_MAX}, default {SIMILAR_DEFAULT}."),
        ],
        responses={200: SimilarResourcesSerializer, 400: OpenApiTypes.OBJECT, 503: OpenApiTypes.OBJECT},
        filters=False,
    )
    @action(detail=True, methods=["get"], url_path="similar", filter_backends=[], pagination_class=None)
    def similar(self, request, *args, **kwargs):
        raw = request.query_params.get("limit", "").strip()
        limit = SIMILAR_DEFAULT
        if raw:
            try:
                limit = int(raw)
            except ValueError:
                raise ValidationError({"limit": [f"Expected a whole number, got {raw[:40]!r}."]}) from None
            if not 1 <= limit <= SIMILAR_MAX:
                raise ValidationError({"limit": [f"Must be between 1 and {SIMILAR_MAX}, got {limit}."]})
        resource = get_object_or_404(LearningResource.objects.public(), pk=kwargs["pk"])
        try:
            similar = similar_resources(resource, limit, public_resources_queryset())
        except SimilarUnavailable:
            return Response({"detail": "Similar resources are unavailable right now (vector search); try later."}, 503)
        results = self.get_serializer(similar, many=True).data
        return Response({"count": len(results), "results": results})


@extend_schema_view(retrieve=extend_schema(summary="A public learning resource by slug", parameters=[FIELDS_PARAMETER]))
class LearningResourceBySlugViewSet(
    ResourceSerializerMixin, PublicCacheMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    lookup_field = "slug"
    serializer_class = LearningResourceDetailSerializer
    queryset = LearningResource.objects.none()

    def get_queryset(self):
        return resource_detail_queryset()


def typed_viewset(resource_type: str, label: str) -> type[ResourceViewSetBase]:
    """A viewset listing public resources of one type (/courses/, /podcasts/, ...)."""
    return extend_schema_view(
        list=extend_schema(summary=f"List public {label}"),
        retrieve=extend_schema(summary=f"One of the public {label} by id"),
        items=extend_schema(summary=f"The public children of one of the {label}, in order"),
    )(
        type(
            f"{resource_type.title().replace('_', '')}ViewSet",
            (ResourceViewSetBase,),
            {"resource_type": resource_type, "__doc__": f"Public {label}."},
        )
    )


# URL prefix → (type, human label); the prefixes are the plural of the type.
TYPED_ENDPOINTS = {
    "courses": (ResourceType.COURSE, "courses"),
    "programs": (ResourceType.PROGRAM, "programs"),
    "learning_paths": (ResourceType.LEARNING_PATH, "learning paths"),
    "podcasts": (ResourceType.PODCAST, "podcasts"),
    "podcast_episodes": (ResourceType.PODCAST_EPISODE, "podcast episodes"),
    "videos": (ResourceType.VIDEO, "videos"),
    "video_playlists": (ResourceType.VIDEO_PLAYLIST, "video playlists"),
    "articles": (ResourceType.ARTICLE, "articles"),
    "documents": (ResourceType.DOCUMENT, "documents"),
}
TYPED_VIEWSETS = {prefix: typed_viewset(rtype, label) for prefix, (rtype, label) in TYPED_ENDPOINTS.items()}


class LookupViewSet(PublicCacheMixin, viewsets.ReadOnlyModelViewSet):
    """A lookup table with the number of public resources using each row."""

    pagination_class = CataloguePagination
    filter_backends = [OrderingFilter]
    ordering_fields = ["name", "resource_count"]
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        return annotate_public_resource_count(self.queryset.model.objects.all()).order_by(*self.ordering)


@extend_schema_view(list=extend_schema(summary="Topics"), retrieve=extend_schema(summary="A topic by slug"))
class TopicViewSet(LookupViewSet):
    queryset = Topic.objects.select_related("parent")
    serializer_class = TopicListSerializer
    lookup_field = "slug"
    ordering = ["name", "id"]

    def get_queryset(self):
        return annotate_public_resource_count(Topic.objects.select_related("parent")).order_by(*self.ordering)


@extend_schema_view(list=extend_schema(summary="Offerors"), retrieve=extend_schema(summary="An offeror by code"))
class OfferorViewSet(LookupViewSet):
    queryset = Offeror.objects.all()
    serializer_class = OfferorListSerializer
    lookup_field = "code"
    ordering = ["name", "id"]


@extend_schema_view(list=extend_schema(summary="Platforms"), retrieve=extend_schema(summary="A platform by code"))
class PlatformViewSet(LookupViewSet):
    queryset = Platform.objects.all()
    serializer_class = PlatformListSerializer
    lookup_field = "code"
    ordering = ["name", "id"]


@extend_schema_view(list=extend_schema(summary="Departments"), retrieve=extend_schema(summary="A department by code"))
class DepartmentViewSet(LookupViewSet):
    queryset = Department.objects.all()
    serializer_class = DepartmentListSerializer
    lookup_field = "code"
    ordering_fields = ["code", "name", "resource_count"]
    ordering = ["code", "id"]
