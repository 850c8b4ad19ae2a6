"""The catalogue loader, the only writer of learning-resource rows. See `load_resources`."""

from .core import BATCH_SIZE, HASH_VERSION, ResourceLoader, content_hash, load_resources
from .result import LoadResult

__all__ = ["BATCH_SIZE", "HASH_VERSION", "LoadResult", "ResourceLoader", "content_hash", "load_resources"]
