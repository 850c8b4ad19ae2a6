"""Vector stores behind one interface: an embedded qdrant-edge shard (default) and a Qdrant server.

Collections hold points with an id, a unit vector and a payload; payload fields used for filtering get an index.
Filters are a mapping of payload field → value or list of values (a list matches any of them); conditions on
different fields must all hold — the same semantics as the lexical engines' facets.
"""

from __future__ import annotations

import json
import shutil
import threading
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings

import numpy as np


class VectorStoreError(Exception):
    """The vector store failed (server down, shard unreadable); lexical search is unaffected."""


PointId = int | str


@dataclass
class VectorPoint:
    id: PointId
    vector: Sequence[float] | np.ndarray
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass
class Hit:
    id: PointId
    score: float
    payload: dict[str, Any]


def chunk_point_id(*parts: object) -> str:
    """A stable UUID for a point that has no integer id of its own (e.g. one chunk of one content file)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "learnhub:" + ":".join(map(str, parts))))


class VectorStore(ABC):
    """The operations the embedding jobs and searches need, implemented by both stores."""

    @abstractmethod
    def ensure_collection(self, name: str, dimensions: int, keyword_fields: Iterable[str] = ()) -> bool:
        """Create the collection if missing, or recreate it (empty) when its dimension differs.

        Returns True when the collection was (re)created and is therefore empty.
        """

    @abstractmethod
    def upsert(self, name: str, points: Sequence[VectorPoint]) -> None: ...

    @abstractmethod
    def delete(self, name: str, ids: Sequence[PointId]) -> None: ...

    @abstractmethod
    def delete_where(self, name: str, filters: Mapping[str, Any]) -> None:
        """Delete every point whose payload matches `filters` (e.g. {"resource_id": 7})."""

    @abstractmethod
    def search(
        self,
        name: str,
        vector: Sequence[float] | np.ndarray,
        *,
        limit: int = 10,
        filters: Mapping[str, Any] | None = None,
    ) -> list[Hit]: ...

    @abstractmethod
    def count(self, name: str, filters: Mapping[str, Any] | None = None) -> int: ...

    @abstractmethod
    def dimensions(self, name: str) -> int | None:
        """The collection's vector size, or None when it does not exist."""

    @abstractmethod
    def drop(self, name: str) -> None: ...


def _as_list(vector) -> list[float]:
    return vector.tolist() if isinstance(vector, np.ndarray) else list(vector)


def _keyword(value):
    """Booleans are stored and matched as "true"/"false": qdrant-edge does not match JSON booleans."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple | set):
        return [_keyword(v) for v in value]
    return value


def _payload(payload: Mapping[str, Any]) -> dict[str, Any]:
    return {key: _keyword(value) for key, value in payload.items()}


def _conditions(filters: Mapping[str, Any] | None) -> list[tuple[str, Any, bool]]:
    """(field, value(s), is_any) triples in the stores' shared filter semantics."""
    return [
        (key, _keyword(list(value)), True) if isinstance(value, list | tuple | set) else (key, _keyword(value), False)
        for key, value in (filters or {}).items()
    ]


# --- Embedded: qdrant-edge ----------------------------------------------------------------------


class EdgeVectorStore(VectorStore):
    """One qdrant-edge shard per collection, in a folder under `root` (QDRANT_EDGE_PATH).

    A shard's files belong to one open store at a time (its write-ahead log is locked); see docs/decisions.md
    for how the embedded setup shares vectors between the web and worker processes.
    """

    META = "learnhub-collection.json"

    def __init__(self, root: Path | str):
        self.root = Path(root)
        self._shards: dict[str, Any] = {}
        self._lock = threading.Lock()

    def _path(self, name: str) -> Path:
        return self.root / name

    def _meta(self, name: str) -> dict | None:
        meta = self._path(name) / self.META
        return json.loads(meta.read_text()) if meta.is_file() else None

    def _shard(self, name: str):
        from qdrant_edge import EdgeShard

        with self._lock:
            if name not in self._shards:
                if self._meta(name) is None:
                    raise VectorStoreError(f"vector collection {name!r} does not exist; run `manage.py embed --all`")
                self._shards[name] = EdgeShard.load(str(self._path(name) / "shard"))
            return self._shards[name]

    def close(self) -> None:
        """Release every open shard (a shard's files may be opened by one store at a time)."""
        for name in list(self._shards):
            self._close(name)

    def _close(self, name: str) -> None:
        with self._lock:
            shard = self._shards.pop(name, None)
        if shard is not None:
            shard.close()

    def ensure_collection(self, name, dimensions, keyword_fields=()):
        from qdrant_edge import (
            Distance,
            EdgeConfig,
            EdgeShard,
            EdgeVectorParams,
            PayloadSchemaType,
            UpdateOperation,
        )

        meta = self._meta(name)
        if meta and meta["dimensions"] == dimensions:
            return False
        self.drop(name)
        path = self._path(name)
        path.mkdir(parents=True, exist_ok=True)
        shard = EdgeShard.create(
            str(path / "shard"), EdgeConfig(vectors=EdgeVectorParams(size=dimensions, distance=Distance.Cosine))
        )
        for field_name in keyword_fields:
            shard.update(UpdateOperation.create_field_index(field_name, PayloadSchemaType.Keyword))
        shard.flush()
        (path / self.META).write_text(json.dumps({"dimensions": dimensions, "keyword_fields": list(keyword_fields)}))
        with self._lock:
            self._shards[name] = shard
        return True

    @staticmethod
    def _filter(filters: Mapping[str, Any] | None):
        from qdrant_edge import FieldCondition, Filter, MatchAny, MatchValue

        if not filters:
            return None
        return Filter(
            must=[
                FieldCondition(key=key, match=MatchAny(any=value) if is_any else MatchValue(value=value))
                for key, value, is_any in _conditions(filters)
            ]
        )

    def upsert(self, name, points):
        from qdrant_edge import Point, UpdateOperation

        if not points:
            return
        shard = self._shard(name)
        shard.update(
            UpdateOperation.upsert_points(
                [Point(id=p.id, vector=_as_list(p.vector), payload=_payload(p.payload)) for p in points]
            )
        )
        shard.flush()

    def delete(self, name, ids):
        from qdrant_edge import UpdateOperation

        if ids:
            shard = self._shard(name)
            shard.update(UpdateOperation.delete_points(list(ids)))
            shard.flush()

    def delete_where(self, name, filters):
        from qdrant_edge import UpdateOperation

        shard = self._shard(name)
        shard.update(UpdateOperation.delete_points_by_filter(self._filter(filters)))
        shard.flush()

    def search(self, name, vector, *, limit=10, filters=None):
        from qdrant_edge import Query, QueryRequest

        shard = self._shard(name)
        points = shard.query(
            QueryRequest(
                query=Query.Nearest(_as_list(vector)), limit=limit, filter=self._filter(filters), with_payload=True
            )
        )
        return [Hit(id=p.id, score=float(p.score), payload=dict(p.payload or {})) for p in points]

    def count(self, name, filters=None):
        from qdrant_edge import CountRequest

        if self._meta(name) is None:
            return 0
        return self._shard(name).count(CountRequest(exact=True, filter=self._filter(filters)))

    def optimize(self, name: str) -> None:
        """Merge segments and build the HNSW index (after a large upload); searches are exact until then."""
        shard = self._shard(name)
        shard.optimize()
        shard.flush()

    def dimensions(self, name):
        meta = self._meta(name)
        return meta["dimensions"] if meta else None

    def drop(self, name):
        self._close(name)
        shutil.rmtree(self._path(name), ignore_errors=True)


# --- Server: qdrant-client ------------------------------------------------------------------------


class QdrantServerStore(VectorStore):
    """A Qdrant server (QDRANT_URL, QDRANT_API_KEY) through qdrant-client; collections are prefixed."""

    def __init__(self, url: str = "", api_key: str = "", *, prefix: str = "learnhub", client=None):
        from qdrant_client import QdrantClient

        self.client = client or QdrantClient(url=url, api_key=api_key or None, timeout=30)
        self.prefix = prefix

    def _name(self, name: str) -> str:
        return f"{self.prefix}_{name}" if self.prefix else name

    def _call(self, what: str, func, *args, **kwargs):
        try:
            return func(*args, **kwargs)
        except VectorStoreError:
            raise
        except Exception as exc:  # connection refused, HTTP errors, timeouts: one error type for the caller
            raise VectorStoreError(f"Qdrant {what} failed: {exc}") from exc

    def ensure_collection(self, name, dimensions, keyword_fields=()):
        from qdrant_client import models

        if self.dimensions(name) == dimensions:
            return False
        collection = self._name(name)
        self._call("delete collection", self.client.delete_collection, collection)
        self._call(
            "create collection",
            self.client.create_collection,
            collection,
            vectors_config=models.VectorParams(size=dimensions, distance=models.Distance.COSINE),
        )
        for field_name in keyword_fields:
            self._call(
                "create payload index",
                self.client.create_payload_index,
                collection,
                field_name=field_name,
                field_schema=models.PayloadSchemaType.KEYWORD,
            )
        return True

    @staticmethod
    def _filter(filters):
        from qdrant_client import models

        if not filters:
            return None
        return models.Filter(
            must=[
                models.FieldCondition(
                    key=key, match=models.MatchAny(any=value) if is_any else models.MatchValue(value=value)
                )
                for key, value, is_any in _conditions(filters)
            ]
        )

    def upsert(self, name, points):
        from qdrant_client import models

        if points:
            self._call(
                "upsert",
                self.client.upsert,
                self._name(name),
                points=[
                    models.PointStruct(id=p.id, vector=_as_list(p.vector), payload=_payload(p.payload)) for p in points
                ],
                wait=True,
            )

    def delete(self, name, ids):
        from qdrant_client import models

        if ids:
            self._call(
                "delete",
                self.client.delete,
                self._name(name),
                points_selector=models.PointIdsList(points=list(ids)),
                wait=True,
            )

    def delete_where(self, name, filters):
        from qdrant_client import models

        self._call(
            "delete",
            self.client.delete,
            self._name(name),
            points_selector=models.FilterSelector(filter=self._filter(filters)),
            wait=True,
        )

    def search(self, name, vector, *, limit=10, filters=None):
        response = self._call(
            "query",
            self.client.query_points,
            self._name(name),
            query=_as_list(vector),
            limit=limit,
            query_filter=self._filter(filters),
            with_payload=True,
        )
        return [Hit(id=p.id, score=float(p.score), payload=dict(p.payload or {})) for p in response.points]

    def count(self, name, filters=None):
        if self.dimensions(name) is None:
            return 0
        return self._call(
            "count", self.client.count, self._name(name), count_filter=self._filter(filters), exact=True
        ).count

    def dimensions(self, name):
        collection = self._name(name)
        if not self._call("collection check", self.client.collection_exists, collection):
            return None
        info = self._call("collection info", self.client.get_collection, collection)
        return info.config.params.vectors.size

    def drop(self, name):
        self._call("delete collection", self.client.delete_collection, self._name(name))


_store: VectorStore | None = None


def get_vector_store() -> VectorStore:
    """The configured store: a Qdrant server when QDRANT_URL is set, else the embedded shard folder."""
    global _store
    if _store is None:
        if settings.QDRANT_URL:
            _store = QdrantServerStore(settings.QDRANT_URL, settings.QDRANT_API_KEY)
        else:
            _store = EdgeVectorStore(settings.QDRANT_EDGE_PATH)
    return _store
