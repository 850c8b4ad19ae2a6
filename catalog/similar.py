"""Similar resources: an extension point that the search app fills with its vector search.

The catalogue never imports search (docs/architecture.md); search registers a provider at start-up
(`search.apps`), which answers with the ids of the resources most like a given one. Publicness is re-checked here on
every read, so a provider may cache ids.
"""

import logging
from collections.abc import Callable

from django.db.models import QuerySet

from catalog.models import LearningResource

logger = logging.getLogger(__name__)

SimilarProvider = Callable[[LearningResource, int], list[int]]
_providers: list[SimilarProvider] = []


class SimilarUnavailable(Exception):
    """No provider is installed, or it failed (e.g. the vector store is down)."""


def register_provider(provider: SimilarProvider) -> None:
    """Install `provider(resource, limit) -> [resource ids, best first]` (the last one registered wins)."""
    _providers.append(provider)


def similar_resources(resource: LearningResource, limit: int, queryset: QuerySet | None = None) -> list:
    """Up to `limit` public resources like `resource`, best first, taken from `queryset` (which may add
    select_related/prefetch_related for what the caller shows). Raises SimilarUnavailable."""
    if not _providers:
        raise SimilarUnavailable("no similar-resources provider is installed")
    try:
        # Twice as many as needed: some may have stopped being public since they were embedded.
        ids = _providers[-1](resource, limit * 2)
    except Exception as exc:  # whatever the provider's failure, the page or API shows that it is unavailable
        logger.warning("similar resources unavailable for resource %s: %s", resource.pk, exc)
        raise SimilarUnavailable(str(exc)) from exc
    ids = [pk for pk in ids if pk != resource.pk]
    if not ids:
        return []
    queryset = LearningResource.objects.public() if queryset is None else queryset
    by_id = queryset.filter(published=True, hidden=False).in_bulk(ids)
    return [by_id[pk] for pk in ids if pk in by_id][:limit]
