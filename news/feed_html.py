"""Imported feed HTML, tidied after sanitising: tracking pixels and the duplicated lead image go.

Feeds (Medium above all) end each post with a 1×1 "stat" image that reports every view to the publisher, and
start the body with the same picture the item already shows as its image. `tidy_feed_html` removes:
- tracking images: any declared width or height of 0 or 1 pixel, or a `src` on a known tracker
  (`TRACKERS`: host, and path prefix);
- the lead image: the first remaining image when it is the item's own image (same host and file name, whatever
  the size variant or query string), with a wrapper (link, paragraph, figure) the removal leaves empty; a figure's
  caption stays (it is usually the photo credit).

It works on `catalog.sanitize.clean_html` output, whose serialisation is regular (double-quoted attributes, `"`
escaped), so an `<img>` element is matched exactly.
"""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import urlsplit

# (host, path prefix): images there exist to count readers, not to be seen.
TRACKERS = (
    ("medium.com", "/_/stat"),
    ("feeds.feedburner.com", "/~r/"),
    ("feeds.feedburner.com", "/~ff/"),
    ("feeds.feedblitz.com", "/~/i/"),
    ("pixel.wp.com", "/"),
    ("stats.wordpress.com", "/"),
    ("www.google-analytics.com", "/"),
    ("google-analytics.com", "/"),
    ("pixel.quantserve.com", "/"),
    ("sb.scorecardresearch.com", "/"),
    ("www.facebook.com", "/tr"),
    ("pi.feedsportal.com", "/"),
    ("da.feedsportal.com", "/"),
)

_IMG = re.compile(r'<img\b(?P<attrs>(?:\s+[^\s=>/"]+(?:="[^"]*")?)*)\s*/?>', re.IGNORECASE)
_ATTR = re.compile(r'([^\s=>/"]+)(?:="([^"]*)")?')
# Wrappers an image removal can leave empty (repeated: a link in a paragraph in a figure).
_EMPTY = re.compile(r'<(a|p|figure|picture|span|div)\b(?:\s+[^\s=>/"]+(?:="[^"]*")?)*\s*>\s*</\1>', re.IGNORECASE)


def _attributes(text: str) -> dict[str, str]:
    return {name.lower(): unescape(value or "") for name, value in _ATTR.findall(text)}


def _pixels(value: str) -> int | None:
    match = re.match(r"\s*(\d+)", value or "")
    return int(match.group(1)) if match else None


def is_tracker(src: str) -> bool:
    parts = urlsplit(src.strip())
    host, path = (parts.hostname or "").lower(), parts.path or "/"
    return any(host == tracker_host and path.startswith(prefix) for tracker_host, prefix in TRACKERS)


def is_tracking_image(attributes: dict[str, str]) -> bool:
    """A 0/1-pixel image (by its declared width or height) or one served by a known tracker."""
    for name in ("width", "height"):
        size = _pixels(attributes.get(name, ""))
        if size is not None and size <= 1:
            return True
    return is_tracker(attributes.get("src", ""))


def same_image(first: str, second: str) -> bool:
    """Both URLs name the same picture: same host and file name (size variants and query strings aside)."""
    a, b = urlsplit(first.strip()), urlsplit(second.strip())
    if not a.hostname or (a.hostname or "").lower() != (b.hostname or "").lower():
        return False
    name_a, name_b = a.path.rstrip("/").rsplit("/", 1)[-1], b.path.rstrip("/").rsplit("/", 1)[-1]
    return bool(name_a) and name_a == name_b


def tidy_feed_html(html: str, *, lead_image_url: str = "") -> str:
    """`html` (sanitised) without tracking images and, when it repeats `lead_image_url` first, that image."""
    if not html or "<img" not in html.lower():
        return html
    first_seen = False

    def replace(match: re.Match) -> str:
        nonlocal first_seen
        attributes = _attributes(match.group("attrs"))
        if is_tracking_image(attributes):
            return ""
        if first_seen:
            return match.group(0)
        first_seen = True
        if lead_image_url and same_image(attributes.get("src", ""), lead_image_url):
            return ""
        return match.group(0)

    tidied = _IMG.sub(replace, html)
    if tidied == html:
        return html
    previous = None
    while previous != tidied:
        previous, tidied = tidied, _EMPTY.sub("", tidied)
    return tidied.strip()
