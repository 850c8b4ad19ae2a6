"""The search API: /api/v1/search/ and /api/v1/search/suggest/ (same parameters as the search page), and
/api/v1/search/content/ (content-file chunks by meaning, grouped by resource: context for an AI assistant)."""

from django.conf import settings
from django.utils.cache import patch_cache_control

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from .engines import SORTS, SearchUnavailable
from .facets import FACETS
from .semantic import CONTENT_LIMIT, CONTENT_MAX, VectorSearchUnavailable, content_search
from .serializers import (
    ContentSearchResponseSerializer,
    SearchErrorSerializer,
    SearchResponseSerializer,
    SuggestionSerializer,
)
from .service import MAX_PAGE_SIZE, MODES, SearchParameterError, parse_params, run_search, suggest

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


def _unavailable():
    response = Response(
        {"errors": {"search": "search is unavailable right now (the search engine did not answer); try again shortly"}},
        status=503,
    )
    response["Cache-Control"] = "no-store"
    return response


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
    throttle_scope = "search"  # cms.accounts.throttling: API_THROTTLE_SEARCH_*

    @extend_schema(
        operation_id="search",
        summary="Search resources, pages and news",
        description="`mode=hybrid` (default) fuses the keyword and the meaning rankings (reciprocal rank fusion). "
        "`mode=lexical` matches any of the words (ranked by how many and where: title, then "
        "topics, instructors and offeror, then description, then content files), tolerates typos, expands "
        "synonyms. `mode=semantic` ranks resources by meaning (embedding similarity) and covers learning resources "
        "only (news and pages have no embeddings; hybrid lists them by their keyword rank). Semantic and hybrid "
        "compute totals and facets over their best 200 matches per ranking. When vectors are unavailable they "
        "answer with lexical results, `mode_used: lexical` and a `notice`. An empty `q` browses (lexically). "
        "`no_close_match: true` means nothing matched well: `results` then hold only the nearest few. "
        "Facet counts for each facet apply the other facets' selections.",
        parameters=[
            OpenApiParameter("q", OpenApiTypes.STR, description="What to search for (up to 200 characters used)."),
            OpenApiParameter(
                "mode",
                OpenApiTypes.STR,
                enum=list(MODES),
                description="hybrid (default, keywords and meaning), lexical (keywords) or semantic (meaning).",
            ),
            OpenApiParameter("sort", OpenApiTypes.STR, enum=list(SORTS), description="Default: relevance."),
            OpenApiParameter("page", OpenApiTypes.INT, description="1-based; pages past the end are empty."),
            OpenApiParameter("page_size", OpenApiTypes.INT, description=f"1–{MAX_PAGE_SIZE}, default 20."),
            *FACET_PARAMETERS,
        ],
        responses={200: SearchResponseSerializer, 400: SearchErrorSerializer, 503: SearchErrorSerializer},
        tags=["search"],
    )
    def get(self, request):
        try:
            params = parse_params(request.query_params, strict=True)
        except SearchParameterError as error:
            return Response({"errors": error.errors}, status=400)
        try:
            result = run_search(params)
        except SearchUnavailable:
            return _unavailable()
        data = {
            "query": params.q,
            "count": result.total,
            "count_capped": result.total_capped,
            "facet_counts_estimated": result.facets_estimated,
            "page": params.page,
            "page_size": params.page_size,
            "num_pages": result.num_pages,
            "sort": params.sort,
            "did_you_mean": result.did_you_mean,
            "mode": params.mode,
            "mode_used": result.mode_used,
            "notice": result.notice,
            "no_close_match": bool(result.no_close_match),
            "results": result.hits,
            "facets": result.facets,
        }
        return _cache(Response(SearchResponseSerializer(data).data))


class ContentSearchAPIView(APIView):
    """Passages of course files that answer a question, grouped by resource."""

    authentication_classes = []
    throttle_scope = "search"  # cms.accounts.throttling: API_THROTTLE_SEARCH_*

    @extend_schema(
        operation_id="search_content",
        summary="Search course content files by meaning",
        description="Embeds `q` and returns the closest chunks of the content files (lecture notes, transcripts, "
        "pages, ...) of public resources, grouped by resource, resources ordered by their best chunk. "
        "Meant as retrieval context for an AI assistant. Takes the search's facet filters. Answers 503 when "
        "the vector store or the encoder is unavailable.",
        parameters=[
            OpenApiParameter("q", OpenApiTypes.STR, required=True, description="What to look for (required)."),
            OpenApiParameter(
                "limit", OpenApiTypes.INT, description=f"Chunks to return: 1–{CONTENT_MAX}, default {CONTENT_LIMIT}."
            ),
            *FACET_PARAMETERS,
        ],
        responses={200: ContentSearchResponseSerializer, 400: SearchErrorSerializer, 503: SearchErrorSerializer},
        tags=["search"],
    )
    def get(self, request):
        errors = {}
        try:
            params = parse_params(request.query_params, strict=True)
        except SearchParameterError as error:
            errors.update(error.errors)
            params = parse_params(request.query_params)
        if not params.q:
            errors["q"] = "required: the text to find passages for"
        limit = CONTENT_LIMIT
        raw_limit = request.query_params.get("limit", "").strip()
        if raw_limit:
            try:
                limit = int(raw_limit)
            except ValueError:
                errors["limit"] = f"expected a whole number, got {raw_limit[:40]!r}"
            else:
                if not 1 <= limit <= CONTENT_MAX:
                    errors["limit"] = f"must be between 1 and {CONTENT_MAX}, got {limit}"
        if errors:
            return Response({"errors": errors}, status=400)
        try:
            groups = content_search(params.q, params.filters, limit=limit)
        except VectorSearchUnavailable:
            return Response(
                {"errors": {"search": "content search is unavailable right now (vector store or encoder); try later"}},
                status=503,
            )
        data = {"query": params.q, "count": sum(len(group.chunks) for group in groups), "results": groups}
        return _cache(Response(ContentSearchResponseSerializer(data).data))


class SuggestAPIView(APIView):
    """Autocomplete for the search box."""

    authentication_classes = []
    throttle_scope = "suggest"  # cms.accounts.throttling: API_THROTTLE_SUGGEST_*

    @extend_schema(
        operation_id="search_suggest",
        summary="Autocomplete a search query",
        description="Word completions from the index's vocabulary and titles matching what was typed so far "
        "(the last word is a prefix).",
        parameters=[OpenApiParameter("q", OpenApiTypes.STR, description="What was typed so far.")],
        responses={200: SuggestionSerializer, 503: SearchErrorSerializer},
        tags=["search"],
    )
    def get(self, request):
        try:
            result = suggest(request.query_params.get("q", ""), limit=8)
        except SearchUnavailable:
            return _unavailable()
        return _cache(Response(SuggestionSerializer(result).data))
