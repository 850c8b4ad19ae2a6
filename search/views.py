"""The learner's search page (/search/): server-rendered results, facets, sort, snippets and pagination."""

from urllib.parse import urlencode

from django.shortcuts import render
from django.views.decorators.http import require_GET

from cms.caching import apply_public_cache

from .engines import SORTS, SearchUnavailable
from .facets import FACET_KEYS
from .service import DEFAULT_MODE, MODES, SearchParams, parse_params, run_search


def _query_string(params: SearchParams, **changes) -> str:
    """The query string of `params` with `changes` (filters given as a full dict under "filters")."""
    filters = changes.pop("filters", params.filters)
    values = {"q": params.q, "mode": params.mode, "sort": params.sort, "page": params.page, **changes}
    pairs = [(key, value) for key, value in values.items() if value not in ("", None)]
    if values.get("mode") == DEFAULT_MODE:
        pairs = [(key, value) for key, value in pairs if key != "mode"]
    if values.get("sort") == "relevance":
        pairs = [(key, value) for key, value in pairs if key != "sort"]
    if values.get("page") == 1:
        pairs = [(key, value) for key, value in pairs if key != "page"]
    for key in FACET_KEYS:
        pairs.extend((key, value) for value in filters.get(key, []))
    return "?" + urlencode(pairs) if pairs else "?"


def _toggle(filters: dict[str, list[str]], key: str, value: str) -> dict[str, list[str]]:
    updated = {facet: list(values) for facet, values in filters.items()}
    current = updated.setdefault(key, [])
    if value in current:
        current.remove(value)
    else:
        current.append(value)
    return updated


def _nest(options):
    """Order a hierarchical facet's options parent first, children (depth 1) right after it."""
    values = {option.value for option in options}
    children: dict[str, list] = {}
    roots = []
    for option in options:
        option.depth = 0
        if option.parent and option.parent in values:
            children.setdefault(option.parent, []).append(option)
        else:
            roots.append(option)
    ordered = []

    def add(option, depth):
        if depth > 5:
            return
        option.depth = depth
        ordered.append(option)
        for child in children.get(option.value, []):
            add(child, depth + 1)

    for root in roots:
        add(root, 0)
    return ordered


def promotions_for(query: str) -> list[dict]:
    """Editors' picks (wagtail.contrib.search_promotions) for the query, read-only: Wagtail's `Query.get`
    would create a row, and a search request never writes."""
    if not query.strip():
        return []
    from wagtail.contrib.search_promotions.models import SearchPromotion

    from modelsearch.utils import normalise_query_string

    picks = (
        SearchPromotion.objects.filter(query__query_string=normalise_query_string(query))
        .select_related("page")
        .order_by("sort_order")
    )
    result = []
    for pick in picks:
        if pick.page_id and not (pick.page.live and not pick.page.get_view_restrictions().exists()):
            continue
        url = pick.page.url if pick.page_id else pick.external_link_url
        if url:
            result.append({"title": pick.title, "url": url, "description": pick.description})
    return result


@require_GET
def search(request):
    params = parse_params(request.GET)
    try:
        result = run_search(params)
    except SearchUnavailable:
        response = render(request, "search/unavailable.html", {"params": params}, status=503)
        response["Cache-Control"] = "no-store"
        return response
    for facet in result.facets:
        facet.options = _nest(facet.options)
        for option in facet.options:
            option.url = _query_string(params, page=1, filters=_toggle(params.filters, facet.key, option.value))
    page_links = []
    if result.num_pages > 1:
        first = max(1, params.page - 3)
        last = min(result.num_pages, params.page + 3)
        page_links = [(number, _query_string(params, page=number)) for number in range(first, last + 1)]
    selected = [
        (facet.key, option.label, option.url) for facet in result.facets for option in facet.options if option.selected
    ]
    context = {
        "params": params,
        "result": result,
        "sorts": [(key, label, _query_string(params, sort=key, page=1)) for key, label in SORTS.items()],
        "modes": list(MODES.items()),
        "page_links": page_links,
        "previous_url": _query_string(params, page=params.page - 1) if result.has_previous else "",
        "next_url": _query_string(params, page=params.page + 1) if result.has_next else "",
        "selected": selected,
        "promotions": promotions_for(params.q) if params.page == 1 else [],
        "clear_url": _query_string(params, page=1, filters={}),
        "did_you_mean_url": _query_string(
            SearchParams(q=result.did_you_mean, filters=params.filters, sort=params.sort, mode=params.mode), page=1
        )
        if result.did_you_mean
        else "",
    }
    response = render(request, "search/search.html", context)
    # Public (CDN) caching for anonymous visitors only: a signed-in visitor's page is personal (issue 16).
    return apply_public_cache(request, response)
