"""Template helpers for the catalogue pages: JSON-LD, query strings, durations, prices and language names."""

import json
from decimal import Decimal, InvalidOperation

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.html import format_html
from django.utils.safestring import mark_safe

import langcodes
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


# Currencies shown with a symbol; any other is shown with its ISO code after the amount ("2,950 CHF").
CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "CAD": "CA$", "AUD": "A$"}


def _amount(value) -> Decimal | None:
    try:
        return Decimal(str(value).replace(",", "").strip())
    except (InvalidOperation, ValueError):
        return None


@register.filter
def money(amount, currency="USD") -> str:
    """An amount for people: 2950 USD → "$2,950", 49.5 EUR → "€49.50", 0 → "Free", 300 CHF → "300 CHF"."""
    number = _amount(amount) if amount not in (None, "") else None
    if number is None:
        return ""
    if number == 0:
        return "Free"
    places = 0 if number == number.to_integral_value() else 2
    digits = f"{number:,.{places}f}"
    code = (currency or "").strip().upper()
    symbol = CURRENCY_SYMBOLS.get(code)
    if symbol:
        return f"-{symbol}{digits[1:]}" if number < 0 else f"{symbol}{digits}"
    return f"{digits} {code}".strip()


@register.filter
def price(value) -> str:
    """A run's price dict ({"amount": "99.00", "currency": "USD", "label": "Verified"}) as text: "Verified: $99"."""
    if not isinstance(value, dict) or value.get("amount") in (None, ""):
        return ""
    text = money(value["amount"], value.get("currency") or "")
    if not text:
        return ""
    label = value.get("label")
    return f"{label}: {text}" if label else text


@register.filter
def price_range(resource) -> str:
    """A resource's cost: "Free", "$2,950", "$1,000–$2,950", or "Paid" when no price is known."""
    if resource.free:
        return "Free"
    low = money(resource.min_price, resource.currency) if resource.min_price is not None else ""
    if not low or low == "Free":
        return "Paid"
    high = money(resource.max_price, resource.currency) if resource.max_price is not None else ""
    return f"{low}–{high}" if high and high != low and resource.max_price > resource.min_price else low


@register.filter
def language_name(code) -> str:
    """An ISO language code as its English name: "en" → "English", "pt-BR" → "Portuguese (Brazil)"."""
    code = str(code or "").strip()
    if not code:
        return ""
    try:
        language = langcodes.Language.get(code)
    except (ValueError, LookupError):
        return code
    name = language.display_name() if language.is_valid() else ""
    return code if not name or name.lower().startswith("unknown") else name


@register.filter
def language_names(codes) -> str:
    """A list of language codes as names: ["en", "es"] → "English, Spanish"."""
    return ", ".join(language_name(code) for code in codes or [] if code)


@register.filter
def clean_html(value) -> str:
    """Stored descriptions are sanitised on import; sanitise again on output in case an edit bypassed that."""
    if not value:
        return ""
    return mark_safe(nh3.clean(str(value), link_rel="noopener noreferrer nofollow"))  # noqa: S308
