"""Saved searches: created from what /search/ shows (query, facet filters, mode), renamed, re-scheduled, deleted.

Contract: `params_from(data)` reads /search/ parameters (the same parser as the page); `create_saved_search(user,
params, name=, frequency=)` stores them; `set_frequency(saved, frequency)` changes the digest setting (and restarts
its "new since" mark); `search_url(saved)` is the /search/ URL that shows it again; `unsubscribe(user_id,
saved_id=None)` turns digests off. Refusals raise `SavedSearchError` with a message for the learner.
"""

from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone

from search.facets import FACET_KEYS, FACETS_BY_KEY
from search.service import DEFAULT_MODE, MODES, SearchParams, parse_params

from .models import DigestFrequency, SavedSearch

MAX_SAVED_SEARCHES = 50


class SavedSearchError(ValueError):
    """A saved search could not be created or changed; the message says why."""


def params_from(data) -> SearchParams:
    return parse_params(data)


def default_name(params: SearchParams) -> str:
    parts = [f"“{params.q}”"] if params.q else []
    for key, values in params.filters.items():
        facet = FACETS_BY_KEY.get(key)
        if facet:
            parts.append(f"{facet.label}: {', '.join(facet.value_label(value) for value in values)}")
    return ("; ".join(parts) or "Everything")[:200]


def describe(saved: SavedSearch) -> str:
    """The search in words: query and filters (for pages and emails)."""
    return default_name(SearchParams(q=saved.query, filters=saved.filters))


def search_params(saved: SavedSearch, **overrides) -> SearchParams:
    return SearchParams(
        q=saved.query,
        filters={key: list(values) for key, values in (saved.filters or {}).items() if key in FACET_KEYS},
        mode=saved.mode if saved.mode in MODES else DEFAULT_MODE,
        **overrides,
    )


def search_url(saved: SavedSearch) -> str:
    pairs = [("q", saved.query)] if saved.query else []
    if saved.mode != DEFAULT_MODE:
        pairs.append(("mode", saved.mode))
    for key in FACET_KEYS:
        pairs.extend((key, value) for value in (saved.filters or {}).get(key, []))
    return reverse("search:search") + ("?" + urlencode(pairs) if pairs else "")


def _frequency(value) -> str:
    if value not in DigestFrequency.values:
        raise SavedSearchError(f"Choose how often to email: {', '.join(DigestFrequency.values)}.")
    return value


def create_saved_search(user, params: SearchParams, *, name: str = "", frequency: str = DigestFrequency.OFF):
    frequency = _frequency(frequency)
    if not params.q and not params.filters:
        raise SavedSearchError("Search for something or choose a filter before saving the search.")
    if SavedSearch.objects.filter(owner=user).count() >= MAX_SAVED_SEARCHES:
        raise SavedSearchError(f"You have {MAX_SAVED_SEARCHES} saved searches, the most one account may have.")
    return SavedSearch.objects.create(
        owner=user,
        name=(name or "").strip()[:200] or default_name(params),
        query=params.q,
        filters=params.filters,
        mode=params.mode,
        frequency=frequency,
        digest_since=timezone.now(),
    )


def set_frequency(saved: SavedSearch, frequency: str) -> None:
    frequency = _frequency(frequency)
    if frequency == saved.frequency:
        return
    saved.frequency = frequency
    saved.digest_since = timezone.now()
    saved.save(update_fields=["frequency", "digest_since", "updated_at"])


def unsubscribe(user_id: int, saved_id: int | None = None) -> int:
    """Turn digests off for one saved search of the user, or all of them; returns how many changed."""
    searches = SavedSearch.objects.filter(owner_id=user_id).exclude(frequency=DigestFrequency.OFF)
    if saved_id is not None:
        searches = searches.filter(pk=saved_id)
    return searches.update(frequency=DigestFrequency.OFF, digest_since=timezone.now(), updated_at=timezone.now())
