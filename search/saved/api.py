"""REST API of saved searches (/api/v1/saved-searches/): the signed-in user's own, nobody else's (404).

A saved search is what /search/ takes: `query`, `filters` (facet key → values) and `mode`, plus a `name` and the
digest `frequency` (off | daily | weekly). Writes are throttled in the API's `write` scope.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, viewsets
from rest_framework.exceptions import ValidationError

from catalog.api.lists import LearnerWriteThrottleMixin, ListPagination
from search.facets import FACET_KEYS
from search.service import MODES, SearchParameterError, parse_params

from . import service
from .models import DigestFrequency, SavedSearch


class SavedSearchSerializer(serializers.ModelSerializer):
    query = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    filters = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField(max_length=200)), required=False, default=dict
    )
    mode = serializers.ChoiceField(choices=list(MODES), required=False, default="hybrid")
    frequency = serializers.ChoiceField(choices=DigestFrequency.choices, required=False, default=DigestFrequency.OFF)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    search_url = serializers.SerializerMethodField()

    class Meta:
        model = SavedSearch
        fields = ["id", "name", "query", "filters", "mode", "frequency", "search_url", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]

    def get_search_url(self, saved) -> str:
        path = service.search_url(saved)
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path

    def validate_filters(self, value):
        unknown = sorted(set(value) - set(FACET_KEYS))
        if unknown:
            raise ValidationError(f"Unknown filter(s) {', '.join(unknown)}; expected some of {', '.join(FACET_KEYS)}.")
        return value


def _params(data: dict):
    raw = {"q": [data.get("query", "")], "mode": [data.get("mode", "hybrid")]}
    raw.update({key: list(values) for key, values in data.get("filters", {}).items()})
    try:
        return parse_params(raw, strict=True)
    except SearchParameterError as error:
        raise ValidationError(error.errors) from None


@extend_schema(tags=["saved searches"])
class SavedSearchViewSet(LearnerWriteThrottleMixin, viewsets.ModelViewSet):
    serializer_class = SavedSearchSerializer
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = ListPagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return SavedSearch.objects.none()
        return SavedSearch.objects.filter(owner=self.request.user)

    def perform_create(self, serializer):
        data = serializer.validated_data
        try:
            serializer.instance = service.create_saved_search(
                self.request.user, _params(data), name=data.get("name", ""), frequency=data["frequency"]
            )
        except service.SavedSearchError as error:
            raise ValidationError({"detail": str(error)}) from None

    def perform_update(self, serializer):
        saved = serializer.instance
        data = serializer.validated_data
        frequency = data.pop("frequency", None)
        if {"query", "filters", "mode"} & set(self.request.data):
            params = _params(
                {
                    "query": data.get("query", saved.query),
                    "filters": data.get("filters", saved.filters),
                    "mode": data.get("mode", saved.mode),
                }
            )
            saved.query, saved.filters, saved.mode = params.q, params.filters, params.mode
        if data.get("name", "").strip():
            saved.name = data["name"].strip()
        saved.save()
        if frequency:
            service.set_frequency(saved, frequency)
