"""Cached serialised resources for the API lists: one light query for the page, the rest from the cache.

    representations(resources, serializer_class, context) -> list[dict]

`resources` are the page's resources, loaded with their `pk`, `updated_at` and `stored_image_id` only. Each
one's representation is cached under its id, its `updated_at`, its stored image, the serializer, the selected
fields and the site's scheme and host (the representation holds absolute URLs); the misses are loaded in one pass
with everything the serializer reads (`public_resources_queryset()`), serialised and cached.

Why it is safe without invalidation messages: every change a representation shows bumps the resource's
`updated_at` in the database (the loader when a record's content, runs and lookups included, changes; admin saves;
lookup edits, `catalog.lookup_sync`) or, for the image the image task stores, its `stored_image_id`; and the page's
ids, `updated_at` and `stored_image_id` are read from the database on every request, so a changed resource misses
its old entry in every process, whatever the cache backend. What is public is decided by that same query: a cached
representation is only ever served for a resource the request's own query found public.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache

from .serializers import public_resources_queryset

VERSION = 1  # bump when a serializer's output changes shape
LIST_KEY_FIELDS = ("pk", "updated_at", "stored_image")  # what the page query loads: what the key is made of


def cache_key(resource, serializer_class, fields, site: str) -> str:
    selection = hashlib.blake2s(",".join(fields or ()).encode(), digest_size=6).hexdigest()
    stamp = resource.updated_at.timestamp() if resource.updated_at else 0
    image = resource.stored_image_id or 0  # stored by a task after the load, without touching updated_at
    return f"api:resource:{VERSION}:{serializer_class.__name__}:{selection}:{site}:{resource.pk}:{stamp}:{image}"


def representations(resources, serializer_class, context) -> list[dict]:
    """The serialised `resources`, in order, from the cache where possible (see the module's docstring)."""
    seconds = getattr(settings, "API_REPRESENTATION_CACHE_SECONDS", 3600)
    request = context.get("request")
    site = f"{request.scheme}://{request.get_host()}" if request else "-"
    keys = {resource.pk: cache_key(resource, serializer_class, context.get("fields"), site) for resource in resources}
    cached = cache.get_many(list(keys.values())) if seconds else {}
    missing = [pk for pk, key in keys.items() if key not in cached]
    if missing:
        fields = context.get("fields")
        loading_context = {**context, "fields": [*fields, "id"]} if fields and "id" not in fields else context
        loaded = public_resources_queryset().filter(pk__in=missing)
        fresh = {item["id"]: item for item in serializer_class(loaded, many=True, context=loading_context).data}
        if loading_context is not context:
            fresh = {pk: {k: v for k, v in item.items() if k != "id"} for pk, item in fresh.items()}
        for pk in missing:
            if pk in fresh:
                cached[keys[pk]] = fresh[pk]
        if seconds:
            cache.set_many({keys[pk]: fresh[pk] for pk in missing if pk in fresh}, timeout=seconds)
    return [cached[keys[resource.pk]] for resource in resources if keys[resource.pk] in cached]
