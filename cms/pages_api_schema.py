"""A hand-written OpenAPI 3 description of the pages API (Wagtail API v2), served at /api/v2/schema/.

drf-spectacular documents the REST API (/api/v1/); Wagtail's API views build their serializers per page type at
request time, which it cannot introspect, so this schema describes them instead (docs UI: /api/docs/pages/).
"""

from django.http import JsonResponse

from cms.caching import cache_public

PAGE_TYPES = ["cms.HomePage", "cms.LandingPage", "cms.ProgramPage", "cms.StandardPage"]

BLOCK_TYPES = {
    "heading": "{text, level, anchor}",
    "rich_text": "HTML (or Draftail JSON with ?rich_text_format=)",
    "image": "{image: {id, title, alt, url, width, height}, alt_text, caption, width}",
    "call_to_action": "{heading, text, button_label, link: {url, type}, style}",
    "quote": "{quote, attribution, role, image}",
    "statistics": "{heading, items: [{value, label}]}",
    "faq": "{heading, items: [{question, answer}]}",
    "embed": "{url, title, caption}",
    "resource_list": "{heading, introduction, layout, resources: [catalogue resource]}",
    "resource_query": "{heading, filters: {...}, resources: [catalogue resource — current results]}",
    "program_list": "{heading, programs: [catalogue resource]}",
    "card_grid": "{heading, cards: [{title, text, image, link}]}",
}


def _param(name, description, schema_type="string", required=False):
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": {"type": schema_type},
    }


LISTING_PARAMETERS = [
    _param("type", f"Page type, e.g. {', '.join(PAGE_TYPES)}; needed to filter on or ask for a type's fields."),
    _param("fields", "Comma-separated fields to add (`*` for all, `-name` to drop one), e.g. body,listing_image."),
    _param("child_of", "Only the children of this page id.", "integer"),
    _param("descendant_of", "Only the descendants of this page id.", "integer"),
    _param("search", "Full-text search."),
    _param("order", "Field to order by, `-` for descending, `random`."),
    _param("limit", "Page size (at most 100).", "integer"),
    _param("offset", "Items to skip.", "integer"),
    _param("slug", "Filter by slug."),
]

PAGE = {
    "type": "object",
    "description": "A page: `id`, `meta` (type, detail_url, html_url, slug, first_published_at, …), `title` and "
    "the page type's api_fields. StreamField blocks are `{type, value, id}`; catalogue blocks carry resolved "
    "resources in the catalogue API's representation (see /api/docs/). Block values: "
    + "; ".join(f"`{name}` → {shape}" for name, shape in BLOCK_TYPES.items()),
    "properties": {
        "id": {"type": "integer"},
        "meta": {"type": "object"},
        "title": {"type": "string"},
        "listing_title": {"type": "string"},
        "listing_summary": {"type": "string"},
        "listing_image_thumbnail": {"type": "object", "description": "{url, full_url, width, height, alt}"},
        "social_image_url": {"type": "object"},
        "search_description": {"type": "string"},
        "noindex": {"type": "boolean"},
        "body": {"type": "array", "items": {"type": "object"}},
    },
}

LISTING = {
    "type": "object",
    "properties": {
        "meta": {"type": "object", "properties": {"total_count": {"type": "integer"}}},
        "items": {"type": "array", "items": {"$ref": "#/components/schemas/Page"}},
    },
}


def _ok(schema_ref, description="OK"):
    return {"200": {"description": description, "content": {"application/json": {"schema": {"$ref": schema_ref}}}}}


SCHEMA = {
    "openapi": "3.0.3",
    "info": {
        "title": "Learnhub pages API (Wagtail API v2)",
        "version": "2",
        "description": "Pages, images and documents as the headless frontend reads them. Public responses carry "
        "Cache-Control (s-maxage, stale-while-revalidate) and an ETag; send If-None-Match for a 304.",
    },
    "paths": {
        "/api/v2/pages/": {
            "get": {
                "summary": "List live, public pages",
                "parameters": LISTING_PARAMETERS,
                "responses": _ok("#/components/schemas/PageListing"),
            }
        },
        "/api/v2/pages/{id}/": {
            "get": {
                "summary": "One page with all its fields (blocks resolved)",
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "responses": {**_ok("#/components/schemas/Page"), "404": {"description": "No live page"}},
            }
        },
        "/api/v2/pages/find/": {
            "get": {
                "summary": "Find a page by its path (for the frontend's router); redirects to its detail URL",
                "parameters": [_param("html_path", "The page's path, e.g. /programs/data-science/", required=True)],
                "responses": {
                    "302": {"description": "Redirect to /api/v2/pages/{id}/"},
                    "404": {"description": "No page"},
                },
            }
        },
        "/api/v2/page_preview/": {
            "get": {
                "summary": "A draft being previewed (headless preview)",
                "parameters": [
                    _param("content_type", "app_label.model, e.g. cms.landingpage", required=True),
                    _param("token", "The signed token from the preview URL", required=True),
                ],
                "responses": {
                    **_ok("#/components/schemas/Page"),
                    "400": {"description": "content_type or token missing"},
                    "403": {"description": "The token is not signed by this site"},
                    "404": {"description": "Unknown content type, or the preview expired"},
                },
            }
        },
        "/api/v2/images/": {
            "get": {
                "summary": "List images",
                "parameters": LISTING_PARAMETERS[1:2] + LISTING_PARAMETERS[5:8],
                "responses": {"200": {"description": "OK"}},
            }
        },
        "/api/v2/images/{id}/": {
            "get": {
                "summary": "One image",
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "responses": {"200": {"description": "OK"}, "404": {"description": "Not found"}},
            }
        },
        "/api/v2/documents/": {
            "get": {
                "summary": "List documents",
                "parameters": LISTING_PARAMETERS[5:8],
                "responses": {"200": {"description": "OK"}},
            }
        },
        "/api/v2/documents/{id}/": {
            "get": {
                "summary": "One document",
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "responses": {"200": {"description": "OK"}, "404": {"description": "Not found"}},
            }
        },
    },
    "components": {"schemas": {"Page": PAGE, "PageListing": LISTING}},
}


@cache_public
def pages_api_schema(request):
    return JsonResponse(SCHEMA)
