"""Sanitising imported HTML (descriptions, news bodies) with nh3 before it is stored or shown.

Links and images are kept; relative URLs are resolved against the page they came from so they still work on
our site; scripts, styles, event handlers and non-web URL schemes (javascript:, data:, vbscript:) are removed.
"""

from html import unescape
from urllib.parse import urljoin

import nh3

ALLOWED_TAGS = frozenset(nh3.ALLOWED_TAGS) - {"area", "map", "center", "acronym", "strike", "tt"}
ALLOWED_ATTRIBUTES = {
    **{tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items() if tag in ALLOWED_TAGS},
    "a": {"href", "hreflang", "title"},
    "img": {"src", "alt", "title", "width", "height"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
URL_ATTRIBUTES = frozenset({"href", "src", "cite"})


def clean_html(html: str | None, base_url: str | None = None) -> str:
    """Return `html` with only safe markup left; relative `href`/`src` resolved against `base_url` when given.

    Plain text passes through (HTML-escaped where needed); None and "" give "".
    """
    if not html:
        return ""

    def resolve(tag: str, attribute: str, value: str) -> str | None:
        if attribute in URL_ATTRIBUTES:
            value = value.strip()
            if not value:
                return None
            if base_url and not value.startswith("#"):
                return urljoin(base_url, value)
        return value

    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=resolve,
        url_schemes=set(URL_SCHEMES),
        clean_content_tags={"script", "style"},
        link_rel="noopener noreferrer",
    ).strip()


def html_to_text(fragment: str | None) -> str:
    """The text of an HTML fragment with all markup removed (for search and plain-text summaries)."""
    if not fragment:
        return ""
    # A space before every tag keeps words of adjacent blocks apart ("<p>A</p><p>B</p>" → "A B").
    spaced = fragment.replace("<", " <")
    return " ".join(unescape(nh3.clean(spaced, tags=set(), clean_content_tags={"script", "style"})).split())
