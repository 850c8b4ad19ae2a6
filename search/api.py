"""The search API: /api/v1/search/ and /api/v1/search/suggest/ (same parameters as the search page)."""

from django.conf import settings
from django.utils.cache import patch_cache_control

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from .engines import SORTS
from .facets import FACETS
from .serializers import SearchErrorSerializer, SearchResponseSerializer, SuggestionSerializer
from .service import MAX_PAGE_SIZE, SearchParameterError, parse_params, run_search, suggest

FACET_PARAMETERS = [
    OpenApiParameter(
        facet.key,
        OpenApiTypes.STR,
        many=True,
        explode=True,
        description=f"{facet.label}: repeat (or separate with commas) to match any of several values; "
        "values of different facets must all match."
        + (" Selecting a topic also matches its subtopics." if facet.hierarchical else ""),
    )
    for facet in FACETS
]


def _cache(response):
    patch_cache_control(
        response,
        public=True,
        max_age=settings.CACHE_MAX_AGE,
        stale_while_revalidate=settings.CACHE_STALE_WHILE_REVALIDATE,
    )
    return response


class SearchAPIView(APIView):
    """Full-text search over the public catalogue, pages and news, with facets."""

    authentication_classes = []

    @extend_schema(
        operation_id="search",
        summary="Search resources, pages and news",
        description="Matches any of the words (ranked by how many and where: title, then topics, instructors and "
        "offeror, then description, then content files), tolerates typos, expands synonyms. An empty `q` "
        "browses. Facet counts for each facet apply the other facets' selections.",
        parameters=[
            OpenApiParameter("q", OpenApiTypes.STR, description="What to search for (up to 200 characters used)."),
            OpenApiParameter("sort", OpenApiTypes.STR, enum=list(SORTS), description="Default: relevance."),
            OpenApiParameter("page", OpenApiTypes.INT, description="1-based; pages past the end are empty."),
            OpenApiParameter("page_size", OpenApiTypes.INT, description=f"1–{MAX_PAGE_SIZE}, default 20."),
            *FACET_PARAMETERS,
        ],
        responses={200: SearchResponseSerializer, 400: SearchErrorSerializer},
        tags=["search"],
    )
    def get(self, request):
        try:
            params = parse_params(request.query_params, strict=True)
        except SearchParameterError as error:
            return Response({"errors": error.errors}, status=400)
        result = run_search(params)
        data = {
            "query": params.q,
            "count": result.total,
            "page": params.page,
            "page_size": params.page_size,
            "num_pages": result.num_pages,
            "sort": params.sort,
            "did_you_mean": result.did_you_mean,
            "results": result.hits,
            "facets": result.facets,
        }
        return _cache(Response(SearchResponseSerializer(data).data))


class SuggestAPIView(APIView):
    """Autocomplete for the search box."""

    authentication_classes = []

    @extend_schema(
        operation_id="search_suggest",
        summary="Autocomplete a search query",
        description="Word completions from the index's vocabulary and titles matching what was typed so far "
        "(the last word is a prefix).",
        parameters=[OpenApiParameter("q", OpenApiTypes.STR, description="What was typed so far.")],
        responses={200: SuggestionSerializer},
        tags=["search"],
    )
    def get(self, request):
        result = suggest(request.query_params.get("q", ""), limit=8)
        return _cache(Response(SuggestionSerializer(result).data))
