"""`{% save_search_url params %}`: the link behind "Save this search" on /search/ (search/_save_search.html)."""

from urllib.parse import urlencode

from django import template
from django.urls import reverse

from search.facets import FACET_KEYS

register = template.Library()


@register.simple_tag
def save_search_url(params) -> str:
    pairs = [("q", params.q)] if params.q else []
    pairs.append(("mode", params.mode))
    for key in FACET_KEYS:
        pairs.extend((key, value) for value in params.filters.get(key, []))
    return reverse("saved_searches:create") + "?" + urlencode(pairs)
