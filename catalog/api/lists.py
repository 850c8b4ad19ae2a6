"""REST API of learner lists (/api/v1/lists/): the owner's lists and their items, and lists shared by link.

Authentication is whatever DEFAULT_AUTHENTICATION_CLASSES holds; a private list is seen by its owner only (another
user's list answers 404, so its existence does not leak). Only public resources are returned as items; the owner
sees how many are hidden as `unavailable_count`. Write requests are throttled in the API's `write` scope.
Rules live in `catalog.lists`; this module only translates HTTP.
"""

from django.db.models import Prefetch
from django.urls import reverse

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.generics import RetrieveAPIView
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response

from catalog import lists as service
from catalog.models import LearnerList, LearnerListItem, LearningResource, ListPrivacy


class ListPagination(LimitOffsetPagination):
    default_limit = 20
    max_limit = 100


class ListResourceSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    offered_by = serializers.CharField(source="offered_by.name", default="", read_only=True)

    class Meta:
        model = LearningResource
        fields = ["id", "slug", "title", "resource_type", "url", "offered_by"]

    def get_url(self, resource) -> str:
        return resource.get_absolute_url()


class ListItemSerializer(serializers.ModelSerializer):
    resource = ListResourceSerializer(read_only=True)

    class Meta:
        model = LearnerListItem
        fields = ["resource", "position", "added_at"]


class LearnerListSerializer(serializers.ModelSerializer):
    item_count = serializers.IntegerField(read_only=True)
    unavailable_count = serializers.IntegerField(read_only=True)
    share_url = serializers.SerializerMethodField()
    items = serializers.SerializerMethodField()

    class Meta:
        model = LearnerList
        fields = [
            "id",
            "title",
            "description",
            "privacy",
            "share_url",
            "is_default",
            "item_count",
            "unavailable_count",
            "items",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["is_default", "created_at", "updated_at"]

    def get_share_url(self, learner_list) -> str | None:
        if not learner_list.is_shared:
            return None
        path = reverse("lists:shared", args=[learner_list.share_token])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path

    def get_items(self, learner_list) -> list[dict]:
        # `public_items` is prefetched by the viewset (public resources only, in order).
        items = getattr(learner_list, "public_items", None)
        if items is None:
            items = list(service.visible_items(learner_list))
        return ListItemSerializer(items, many=True).data

    def validate_title(self, value):
        if not value.strip():
            raise ValidationError("Give the list a title.")
        return value.strip()


class SharedListSerializer(LearnerListSerializer):
    """What anyone with the link sees: no owner, no counts of hidden items, no token management."""

    class Meta(LearnerListSerializer.Meta):
        fields = ["title", "description", "item_count", "items", "updated_at"]


class LearnerWriteThrottleMixin:
    """Writes are counted in the API's "write" throttle scope (per user, key or address; reads are not counted):
    the default throttle class (cms.accounts.throttling.CallerThrottle) reads the scope, so no import is needed."""

    throttle_scope = "write"


def _items_prefetch():
    return Prefetch(
        "items",
        queryset=LearnerListItem.objects.filter(service.public_item_q())
        .select_related("resource", "resource__offered_by")
        .order_by("position", "pk"),
        to_attr="public_items",
    )


@extend_schema(tags=["lists"])
class LearnerListViewSet(LearnerWriteThrottleMixin, viewsets.ModelViewSet):
    """The signed-in user's lists. Items: POST `items/` {resource_id}, DELETE `items/{resource_id}/`, POST
    `reorder/` {resource_ids}; sharing: POST `share/` (a new link each time), POST `unshare/`."""

    serializer_class = LearnerListSerializer
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = ListPagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return LearnerList.objects.none()
        return service.lists_for(self.request.user).prefetch_related(_items_prefetch())

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            learner_list = service.create_list(
                request.user,
                title=serializer.validated_data["title"],
                description=serializer.validated_data.get("description", ""),
                privacy=serializer.validated_data.get("privacy", ListPrivacy.PRIVATE),
            )
        except service.ListError as error:
            raise ValidationError({"detail": str(error)}) from None
        return Response(self._fresh(learner_list.pk), status=status.HTTP_201_CREATED)

    def perform_update(self, serializer):
        learner_list = serializer.instance
        privacy = serializer.validated_data.pop("privacy", None)
        serializer.save()
        if privacy == ListPrivacy.SHARED and not learner_list.is_shared:
            service.share(learner_list)
        elif privacy == ListPrivacy.PRIVATE and learner_list.privacy != ListPrivacy.PRIVATE:
            service.unshare(learner_list)

    def update(self, request, *args, **kwargs):
        super().update(request, *args, **kwargs)
        return Response(self._fresh(self.get_object().pk))

    def perform_destroy(self, instance):
        if instance.is_default:
            raise ValidationError({"detail": "The “Saved” list cannot be deleted; remove its items instead."})
        instance.delete()

    def _fresh(self, pk):
        return self.get_serializer(self.get_queryset().get(pk=pk)).data

    @extend_schema(
        request=inline_serializer("ListItemAdd", {"resource_id": serializers.IntegerField()}),
        responses={201: LearnerListSerializer, 200: LearnerListSerializer},
    )
    @action(detail=True, methods=["post"], url_path="items")
    def add_item(self, request, pk=None):
        learner_list = self.get_object()
        try:
            resource_id = int(request.data.get("resource_id"))
        except (TypeError, ValueError):
            raise ValidationError({"resource_id": "Give the id of a resource (a whole number)."}) from None
        resource = LearningResource.objects.filter(pk=resource_id).first()
        if resource is None or not resource.is_public:
            raise ValidationError({"resource_id": f"No available resource has the id {resource_id}."})
        try:
            _, created = service.add_item(learner_list, resource)
        except service.ListError as error:
            raise ValidationError({"detail": str(error)}) from None
        return Response(self._fresh(learner_list.pk), status=status.HTTP_201_CREATED if created else 200)

    @extend_schema(request=None, responses={204: None})
    @action(detail=True, methods=["delete"], url_path=r"items/(?P<resource_id>\d+)")
    def remove_item(self, request, pk=None, resource_id=None):
        learner_list = self.get_object()
        if not service.remove_item(learner_list, int(resource_id)):
            raise NotFound(f"Resource {resource_id} is not in “{learner_list.title}”.")
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=inline_serializer(
            "ListReorder", {"resource_ids": serializers.ListField(child=serializers.IntegerField())}
        ),
        responses={200: LearnerListSerializer},
    )
    @action(detail=True, methods=["post"])
    def reorder(self, request, pk=None):
        learner_list = self.get_object()
        resource_ids = request.data.get("resource_ids")
        if not isinstance(resource_ids, list):
            raise ValidationError({"resource_ids": "Give the resource ids in their new order (a list)."})
        try:
            service.reorder(learner_list, resource_ids)
        except service.ListError as error:
            raise ValidationError({"resource_ids": str(error)}) from None
        return Response(self._fresh(learner_list.pk))

    @extend_schema(request=None, responses={200: LearnerListSerializer})
    @action(detail=True, methods=["post"])
    def share(self, request, pk=None):
        learner_list = self.get_object()
        service.share(learner_list)
        return Response(self._fresh(learner_list.pk))

    @extend_schema(request=None, responses={200: LearnerListSerializer})
    @action(detail=True, methods=["post"])
    def unshare(self, request, pk=None):
        learner_list = self.get_object()
        service.unshare(learner_list)
        return Response(self._fresh(learner_list.pk))


@extend_schema(tags=["lists"])
class SharedListAPIView(RetrieveAPIView):
    """A list shared by link: read-only, for anyone holding the token."""

    serializer_class = SharedListSerializer
    permission_classes = [permissions.AllowAny]

    def get_object(self):
        token = self.kwargs["token"]
        learner_list = service.shared_list(token)
        if learner_list is None:
            raise NotFound("No list is shared with this link (it may have been revoked or replaced).")
        return (
            service.lists_for(learner_list.owner_id)
            .filter(pk=learner_list.pk)
            .prefetch_related(_items_prefetch())
            .get()
        )

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Cache-Control"] = "private, no-cache"
        response["X-Robots-Tag"] = "noindex"
        return response
