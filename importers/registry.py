"""The source registry: one place that knows every source by name."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from .errors import SourceNotFound

if TYPE_CHECKING:
    from .sources.base import Source

logger = logging.getLogger(__name__)

_REGISTRY: dict[str, type[Source]] = {}
# Callables that register sources kept in the database (e.g. feeds configured in the admin); asked on a miss.
_PROVIDERS: list = []
_asking_providers = False

KINDS = ("catalogue", "news", "media", "content")


def register(cls: type[Source]) -> type[Source]:
    """Class decorator: register a Source subclass under its `name` (a later registration replaces it)."""
    name = getattr(cls, "name", None)
    if not name or not isinstance(name, str):
        raise TypeError(f"{cls.__qualname__} needs a string `name` to be registered")
    if getattr(cls, "kind", None) not in KINDS:
        raise TypeError(
            f"{cls.__qualname__}.kind must be one of {', '.join(KINDS)}; got {getattr(cls, 'kind', None)!r}"
        )
    _REGISTRY[name] = cls
    return cls


def unregister(name: str) -> None:
    """Remove a source (tests register fake sources and clean up after themselves)."""
    _REGISTRY.pop(name, None)


def _ensure_loaded() -> None:
    # Importing the package imports every source module, which registers them.
    from . import sources  # noqa: F401


def add_source_provider(provider) -> None:
    """Register a callable that registers more sources (from the database); it runs when a name is not found."""
    if provider not in _PROVIDERS:
        _PROVIDERS.append(provider)


def get_source_class(name: str) -> type[Source]:
    _ensure_loaded()
    global _asking_providers
    if name not in _REGISTRY and not _asking_providers:
        _asking_providers = True  # a provider may look names up itself
        try:
            for provider in _PROVIDERS:
                try:
                    provider()
                except Exception:  # no database yet, or none allowed: the name is just not found
                    logger.debug("source provider %r failed", provider, exc_info=True)
        finally:
            _asking_providers = False
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY)) or "none"
        raise SourceNotFound(f"unknown import source {name!r}; registered sources: {known}") from None


def get_source(name: str, config: dict | None = None) -> Source:
    """An instance of the source registered as `name`, configured from settings (and `config` overrides)."""
    return get_source_class(name)(config)


def all_sources() -> list[type[Source]]:
    """Every registered source class, sorted by name."""
    _ensure_loaded()
    return [_REGISTRY[name] for name in sorted(_REGISTRY)]


def is_registered(name: str) -> bool:
    _ensure_loaded()
    return name in _REGISTRY
