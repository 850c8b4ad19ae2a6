"""Template helpers for the catalogue pages: JSON-LD, query strings, durations and prices."""

import json

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.html import format_html
from django.utils.safestring import mark_safe

import nh3

register = template.Library()

# As django.utils.html.json_script: nothing in the data can close the <script> element or open a comment.
_JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.simple_tag
def jsonld(data) -> str:
    """`<script type="application/ld+json">` with `data` safely serialised (json_script escaping)."""
    payload = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).translate(_JSON_SCRIPT_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(payload))  # noqa: S308


@register.simple_tag(takes_context=True)
def query_string(context, **changes) -> str:
    """The current query string with `changes` applied (None removes a key), e.g. {% query_string page=2 %}."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.simple_tag(takes_context=True)
def without_filter(context, name, value) -> str:
    """The current query string without one facet value (for "remove this filter" links), back at page 1."""
    params = context["request"].GET.copy()
    params.setlist(name, [v for v in params.getlist(name) if v != value])
    params.pop("page", None)
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.filter
def duration(seconds) -> str:
    """1:02:03 → "1 h 2 min"; 125 → "2 min"."""
    if not seconds:
        return ""
    hours, rest = divmod(int(seconds), 3600)
    minutes = rest // 60
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{max(minutes, 1)} min"


@register.filter
def price(value) -> str:
    """A run's price dict ({"amount": "99.00", "currency": "USD", "label": "Verified"}) as text."""
    if not isinstance(value, dict) or value.get("amount") in (None, ""):
        return ""
    amount = str(value["amount"])
    text = "Free" if amount.replace(".", "").strip("0") == "" else f"{amount} {value.get('currency', '')}".strip()
    label = value.get("label")
    return f"{label}: {text}" if label else text


@register.filter
def clean_html(value) -> str:
    """Stored descriptions are sanitised on import; sanitise again on output in case an edit bypassed that."""
    if not value:
        return ""
    return mark_safe(nh3.clean(str(value), link_rel="noopener noreferrer nofollow"))  # noqa: S308
