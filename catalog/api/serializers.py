"""Serializers of the catalogue REST API (also used by the CMS for resources picked into page blocks).

`LearningResourceSerializer` expects resources from `public_resources_queryset()` (or a queryset with the same
select_related/prefetch_related): serialising a page of them then runs a fixed number of queries.
"""

from django.db.models import Count, Prefetch, QuerySet

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.images import shown_image
from catalog.models import (
    Department,
    Instructor,
    LearningResource,
    Offeror,
    Platform,
    ResourceInstructor,
    ResourceRelationship,
    Run,
    Topic,
)
from catalog.models.resources import public_q

# A podcast may have hundreds of episodes: the detail lists the first ones, `/<id>/items/` pages through all.
DETAIL_CHILDREN_LIMIT = 100


def public_resources_queryset() -> QuerySet:
    """Published, non-hidden resources with everything `LearningResourceSerializer` reads, prefetched."""
    return (
        LearningResource.objects.public()
        .select_related("offered_by", "platform", "image", "stored_image")
        .prefetch_related(
            Prefetch("topics", queryset=Topic.objects.select_related("parent")),
            "departments",
            Prefetch(
                "instructor_links",
                queryset=ResourceInstructor.objects.select_related("instructor").order_by("position"),
                to_attr="ordered_instructor_links",
            ),
            Prefetch(
                "runs",
                queryset=Run.objects.filter(published=True).order_by("start_date", "run_id"),
                to_attr="public_runs",
            ),
        )
    )


def resource_detail_queryset() -> QuerySet:
    """`public_resources_queryset()` plus the public children (in order) and parents the detail serializer shows."""
    return public_resources_queryset().prefetch_related(
        Prefetch(
            "child_links",
            queryset=ResourceRelationship.objects.filter(public_q("child__"))
            .select_related("child")
            .order_by("position", "pk")[:DETAIL_CHILDREN_LIMIT],
            to_attr="public_child_links",
        ),
        Prefetch(
            "parent_links",
            queryset=ResourceRelationship.objects.filter(public_q("parent__")).select_related("parent").order_by("pk"),
            to_attr="public_parent_links",
        ),
    )


class TopicSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Topic
        fields = ["id", "name", "slug", "parent"]


class TopicListSerializer(TopicSerializer):
    description = serializers.CharField(read_only=True)
    resource_count = serializers.IntegerField(read_only=True, help_text="Public resources in this topic.")

    class Meta(TopicSerializer.Meta):
        fields = [*TopicSerializer.Meta.fields, "description", "resource_count"]


class OfferorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Offeror
        fields = ["code", "name", "url"]


class OfferorListSerializer(OfferorSerializer):
    resource_count = serializers.IntegerField(read_only=True)

    class Meta(OfferorSerializer.Meta):
        fields = [*OfferorSerializer.Meta.fields, "description", "resource_count"]


class PlatformSerializer(serializers.ModelSerializer):
    class Meta:
        model = Platform
        fields = ["code", "name", "url"]


class PlatformListSerializer(PlatformSerializer):
    resource_count = serializers.IntegerField(read_only=True)

    class Meta(PlatformSerializer.Meta):
        fields = [*PlatformSerializer.Meta.fields, "resource_count"]


class DepartmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["code", "name", "school"]


class DepartmentListSerializer(DepartmentSerializer):
    resource_count = serializers.IntegerField(read_only=True)

    class Meta(DepartmentSerializer.Meta):
        fields = [*DepartmentSerializer.Meta.fields, "resource_count"]


class InstructorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Instructor
        fields = ["id", "full_name", "first_name", "last_name"]


class PriceSerializer(serializers.Serializer):
    amount = serializers.CharField()
    currency = serializers.CharField(required=False, allow_blank=True)
    label = serializers.CharField(required=False, allow_blank=True)


class RunSerializer(serializers.ModelSerializer):
    prices = PriceSerializer(many=True, read_only=True)
    instructors = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Run
        fields = [
            "run_id",
            "title",
            "start_date",
            "end_date",
            "enrollment_start",
            "enrollment_end",
            "semester",
            "year",
            "pace",
            "delivery",
            "location",
            "prices",
            "instructors",
            "enrollment_url",
        ]


class ImageSerializer(serializers.Serializer):
    url = serializers.CharField(
        help_text="Absolute URL of the image on this site: an editor's image, else the imported image once stored "
        "(the remote original is `source_image_url`)."
    )
    alt = serializers.CharField(allow_blank=True)


class ResourceSummarySerializer(serializers.ModelSerializer):
    """A light reference to another resource (children, parents)."""

    page_url = serializers.SerializerMethodField(help_text="The resource's page on this site.")

    class Meta:
        model = LearningResource
        fields = ["id", "resource_type", "title", "slug", "page_url"]

    @extend_schema_field(OpenApiTypes.URI)
    def get_page_url(self, obj) -> str:
        request = self.context.get("request")
        path = obj.get_absolute_url()
        return request.build_absolute_uri(path) if request else path


class LinkedResourceSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    relation_type = serializers.CharField()
    resource = ResourceSummarySerializer()


class FieldSelectionMixin:
    """`?fields=id,title` (or the `fields` context/keyword) keeps only the named fields of the output."""

    def __init__(self, *args, fields=None, **kwargs):
        super().__init__(*args, **kwargs)
        if fields is None:
            fields = self.context.get("fields")
        if fields:
            for name in set(self.fields) - set(fields):
                self.fields.pop(name)


class LearningResourceSerializer(FieldSelectionMixin, serializers.ModelSerializer):
    """A public learning resource: its facts, lookups, ordered instructors and published runs.

    Use with `public_resources_queryset()`; pass `fields=[...]` (or context["fields"]) to keep only some fields.
    """

    page_url = serializers.SerializerMethodField(help_text="The resource's page on this site.")
    image = serializers.SerializerMethodField()
    source_image_url = serializers.CharField(
        source="image_url", read_only=True, help_text="The image URL the source gave (never shown on pages)."
    )
    topics = TopicSerializer(many=True, read_only=True)
    departments = DepartmentSerializer(many=True, read_only=True)
    offered_by = OfferorSerializer(read_only=True)
    platform = PlatformSerializer(read_only=True)
    instructors = serializers.SerializerMethodField()
    runs = serializers.SerializerMethodField()
    languages = serializers.ListField(child=serializers.CharField(), read_only=True)
    course_numbers = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = LearningResource
        fields = [
            "id",
            "resource_type",
            "title",
            "slug",
            "page_url",
            "url",
            "description",
            "image",
            "source_image_url",
            "media_url",
            "transcript_url",
            "languages",
            "course_numbers",
            "topics",
            "departments",
            "offered_by",
            "platform",
            "instructors",
            "certification",
            "certification_type",
            "free",
            "min_price",
            "max_price",
            "currency",
            "delivery",
            "format",
            "pace",
            "duration",
            "duration_seconds",
            "time_commitment",
            "level",
            "license",
            "availability",
            "published_at",
            "next_start_date",
            "view_count",
            "featured",
            "runs",
            "source",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_page_url(self, obj) -> str:
        request = self.context.get("request")
        path = obj.get_absolute_url()
        return request.build_absolute_uri(path) if request else path

    @extend_schema_field(ImageSerializer(allow_null=True))
    def get_image(self, obj):
        # The original file on this site (an editor's image, else the stored import; never the remote URL):
        # renditions would cost a query each; clients size images themselves.
        image = shown_image(obj)
        if image is None:
            return None
        url = image.file.url
        request = self.context.get("request")
        if request and url.startswith("/"):
            url = request.build_absolute_uri(url)
        return {"url": url, "alt": obj.image_alt or image.title}

    @extend_schema_field(InstructorSerializer(many=True))
    def get_instructors(self, obj):
        links = getattr(obj, "ordered_instructor_links", None)
        if links is None:
            links = obj.instructor_links.select_related("instructor").order_by("position")
        return InstructorSerializer([link.instructor for link in links], many=True).data

    @extend_schema_field(RunSerializer(many=True))
    def get_runs(self, obj):
        runs = getattr(obj, "public_runs", None)
        if runs is None:
            runs = obj.runs.filter(published=True).order_by("start_date", "run_id")
        return RunSerializer(runs, many=True).data


class LearningResourceDetailSerializer(LearningResourceSerializer):
    """A resource with its full description, public children in order and public parents."""

    children = serializers.SerializerMethodField(
        help_text=f"The first {DETAIL_CHILDREN_LIMIT} public children in order (courses, episodes, videos); "
        "all of them at /<id>/items/."
    )
    parents = serializers.SerializerMethodField(help_text="Public resources this one belongs to.")

    class Meta(LearningResourceSerializer.Meta):
        fields = [*LearningResourceSerializer.Meta.fields, "full_description", "extra", "children", "parents"]
        read_only_fields = fields

    def _links(self, obj, attr, related, side):
        links = getattr(obj, attr, None)
        if links is None:
            links = getattr(obj, related).filter(public_q(f"{side}__")).select_related(side).order_by("position", "pk")
        return [
            {"position": link.position, "relation_type": link.relation_type, "resource": getattr(link, side)}
            for link in links
        ]

    @extend_schema_field(LinkedResourceSerializer(many=True))
    def get_children(self, obj):
        data = self._links(obj, "public_child_links", "child_links", "child")
        return LinkedResourceSerializer(data, many=True, context=self.context).data

    @extend_schema_field(LinkedResourceSerializer(many=True))
    def get_parents(self, obj):
        data = self._links(obj, "public_parent_links", "parent_links", "parent")
        return LinkedResourceSerializer(data, many=True, context=self.context).data


class ProgramItemSerializer(LearningResourceSerializer):
    """A child of a program, learning path, podcast or playlist, with its position there."""

    position = serializers.IntegerField(read_only=True, help_text="Order within the parent (0 first).")

    class Meta(LearningResourceSerializer.Meta):
        fields = ["position", *LearningResourceSerializer.Meta.fields]
        read_only_fields = fields


def annotate_public_resource_count(queryset: QuerySet, relation: str = "resources") -> QuerySet:
    """Annotate lookups with `resource_count`: how many public resources use them."""
    return queryset.annotate(resource_count=Count(relation, filter=public_q(f"{relation}__"), distinct=True))


class SimilarResourcesSerializer(serializers.Serializer):
    """The response of /resources/{id}/similar/ (schema only)."""

    count = serializers.IntegerField()
    results = LearningResourceSerializer(many=True, help_text="Most similar first.")
