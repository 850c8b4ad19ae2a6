"""HTTP caching for public responses: shared-cache Cache-Control, ETag and 304 Not Modified.

A public response (GET/HEAD, status 200, anonymous visitor, no cookie set, no preview, no Cache-Control chosen by
the view) gets::

    Cache-Control: public, max-age=0, s-maxage=<CACHE_MAX_AGE>, stale-while-revalidate=<CACHE_STALE_WHILE_REVALIDATE>
    ETag: "<hash of the body>"

and a request whose If-None-Match matches gets 304 Not Modified with no body. Browsers revalidate every time
(max-age=0, cheap with the ETag); a CDN keeps the page for CACHE_MAX_AGE seconds and serves it stale while it
refetches. Signed-in visitors get `Cache-Control: private, no-store` and `Vary: Cookie` so that no cache keeps their
view.

Three ways to use it:

- a function view::

      @cache_public
      def browse(request): ...

- a class-based view (Django or DRF)::

      class ResourceViewSet(PublicCacheMixin, viewsets.ReadOnlyModelViewSet): ...
      # or: path("x/", cache_public(MyView.as_view()))

- a Wagtail page: override `serve` in the page class (previews are never cached)::

      from cms.caching import apply_public_cache

      class BasePage(Page):
          def serve(self, request, *args, **kwargs):
              return apply_public_cache(request, super().serve(request, *args, **kwargs))

Responses that are rendered lazily (TemplateResponse, DRF Response) are hashed after rendering, so the body the
client receives is the one hashed.
"""

import functools
import hashlib

from django.conf import settings
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import quote_etag

SAFE_METHODS = ("GET", "HEAD")


def _is_anonymous(request) -> bool:
    user = getattr(request, "user", None)
    return not (user is not None and user.is_authenticated)


def _is_public_request(request) -> bool:
    return request.method in SAFE_METHODS and not getattr(request, "is_preview", False) and _is_anonymous(request)


def public_cache_control() -> dict:
    """The Cache-Control directives of a public response (from CACHE_MAX_AGE / CACHE_STALE_WHILE_REVALIDATE)."""
    return {
        "public": True,
        "max_age": 0,
        "s_maxage": settings.CACHE_MAX_AGE,
        "stale_while_revalidate": settings.CACHE_STALE_WHILE_REVALIDATE,
    }


def body_etag(content: bytes) -> str:
    """A strong ETag (quoted) for a response body."""
    return quote_etag(hashlib.blake2b(content, digest_size=16).hexdigest())


def _finish(request, response):
    if response.status_code != 200 or response.streaming or response.has_header("Cache-Control"):
        return response
    if not _is_public_request(request):
        if request.method in SAFE_METHODS:
            # Personalised (signed-in or preview) views must never be kept by a shared cache, nor by the browser
            # (a shared computer), even when the response sets a cookie (a signed-in page's CSRF token).
            patch_cache_control(response, private=True, no_store=True)
            patch_vary_headers(response, ("Cookie",))
        return response
    if response.cookies:
        return response
    patch_cache_control(response, **public_cache_control())
    # Pages differ for signed-in visitors; caches must not hand an anonymous copy to them or vice versa.
    patch_vary_headers(response, ("Cookie",))
    if not response.has_header("ETag"):
        response.headers["ETag"] = body_etag(response.content)
    conditional = get_conditional_response(request, etag=response.headers["ETag"], response=response)
    return conditional


def apply_public_cache(request, response):
    """Add public caching headers (and answer If-None-Match with 304) when `response` is public.

    Safe to call on a lazily rendered response: the work happens after it renders.
    """
    if getattr(response, "is_rendered", True) is False:
        # A post-render callback that returns a response replaces the original one (used for the 304).
        response.add_post_render_callback(lambda rendered: _finish(request, rendered))
        return response
    return _finish(request, response)


def cache_public(view_func):
    """View decorator: public Cache-Control, ETag and 304 for anonymous GET/HEAD responses (see module doc)."""

    @functools.wraps(view_func)
    def wrapper(request, *args, **kwargs):
        return apply_public_cache(request, view_func(request, *args, **kwargs))

    return wrapper


class PublicCacheMixin:
    """For class-based views (including DRF views and viewsets): apply `cache_public` to every response."""

    def dispatch(self, request, *args, **kwargs):
        response = super().dispatch(request, *args, **kwargs)
        # DRF replaces self.request with its own Request; it shares `user` with the Django request.
        return apply_public_cache(getattr(self, "request", request), response)
