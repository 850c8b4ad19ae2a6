"""Vector stores behind one interface: an embedded qdrant-edge shard (default) and a Qdrant server.

Collections hold points with an id, a unit vector and a payload; payload fields used for filtering get an index:
an integer index for fields named `*_id` (they hold integer ids, which a keyword index would not hold), a keyword
index for the others.
Filters are a mapping of payload field → value or list of values (a list matches any of them); conditions on
different fields must all hold — the same semantics as the lexical engines' facets.
"""

from __future__ import annotations

import json
import logging
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

logger = logging.getLogger(__name__)


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


def index_types(fields: Iterable[str]) -> dict[str, str]:
    """The payload index type of each filtered field: "integer" for integer ids (`*_id`), else "keyword"."""
    return {name: "integer" if name.endswith("_id") else "keyword" for name in fields}


class VectorStore(ABC):
    """The operations the embedding jobs and searches need, implemented by both stores."""

    @abstractmethod
    def ensure_collection(self, name: str, dimensions: int, keyword_fields: Iterable[str] = ()) -> bool:
        """Create the collection if missing, or recreate it (empty) when its dimension differs.

        `keyword_fields` are the payload fields filtered on; each gets an index (see `index_types`), and an existing
        collection gets the indexes it lacks. Returns True when the collection was (re)created and is therefore empty.
        """

    @abstractmethod
    def upsert(self, name: str, points: Sequence[VectorPoint]) -> None: ...

    @abstractmethod
    def delete(self, name: str, ids: Sequence[PointId]) -> None: ...

    @abstractmethod
    def delete_where(self, name: str, filters: Mapping[str, Any]) -> None:
        """Delete every point whose payload matches `filters` (e.g. {"resource_id": 7})."""

    @abstractmethod
    def set_payload(self, name: str, filters: Mapping[str, Any], payload: Mapping[str, Any]) -> None:
        """Overwrite the keys of `payload` on every point matching `filters`; vectors and other keys stay."""

    @abstractmethod
    def payload_indexes(self, name: str) -> dict[str, str]:
        """The collection's payload indexes as {field: type} ("keyword", "integer", ...)."""

    @abstractmethod
    def search(
        self,
        name: str,
        vector: Sequence[float] | np.ndarray,
        *,
        limit: int = 10,
        filters: Mapping[str, Any] | None = None,
        with_payload: bool = True,
    ) -> list[Hit]:
        """The `limit` points nearest to `vector` among those matching `filters`, best first; with
        `with_payload=False` the hits' payloads are empty (cheaper when the point id is all the caller needs)."""

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
            UpdateOperation,
        )

        wanted = index_types(keyword_fields)
        meta = self._meta(name)
        if meta and meta["dimensions"] == dimensions:
            if meta.get("indexes") != wanted:  # made before integer ids had their own index: add what is missing
                shard = self._shard(name)
                have = self.payload_indexes(name)
                for field_name, kind in wanted.items():
                    if have.get(field_name) != kind:  # a new index of a field replaces the old one
                        shard.update(UpdateOperation.create_field_index(field_name, self._schema(kind)))
                shard.flush()
                self._path(name).joinpath(self.META).write_text(json.dumps({**meta, "indexes": wanted}))
            return False
        self.drop(name)
        path = self._path(name)
        path.mkdir(parents=True, exist_ok=True)
        shard = EdgeShard.create(
            str(path / "shard"), EdgeConfig(vectors=EdgeVectorParams(size=dimensions, distance=Distance.Cosine))
        )
        for field_name, kind in wanted.items():
            shard.update(UpdateOperation.create_field_index(field_name, self._schema(kind)))
        shard.flush()
        (path / self.META).write_text(
            json.dumps({"dimensions": dimensions, "keyword_fields": list(keyword_fields), "indexes": wanted})
        )
        with self._lock:
            self._shards[name] = shard
        return True

    @staticmethod
    def _schema(kind: str):
        from qdrant_edge import PayloadSchemaType

        return PayloadSchemaType.Integer if kind == "integer" else PayloadSchemaType.Keyword

    def has_indexes(self, name: str, keyword_fields: Iterable[str]) -> bool:
        """Whether the collection's recorded indexes are those `ensure_collection` would make (no shard access)."""
        meta = self._meta(name)
        return bool(meta) and meta.get("indexes") == index_types(keyword_fields)

    def payload_indexes(self, name):
        # PayloadSchemaType.Keyword → "keyword", as the Qdrant server names them
        return {
            field_name: str(info.data_type).rsplit(".", 1)[-1].lower()
            for field_name, info in self._shard(name).info().payload_schema.items()
        }

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

    def set_payload(self, name, filters, payload):
        from qdrant_edge import UpdateOperation

        shard = self._shard(name)
        shard.update(UpdateOperation.set_payload_by_filter(self._filter(filters), _payload(payload)))
        shard.flush()

    def search(self, name, vector, *, limit=10, filters=None, with_payload=True):
        from qdrant_edge import Query, QueryRequest

        shard = self._shard(name)
        points = shard.query(
            QueryRequest(
                query=Query.Nearest(_as_list(vector)),
                limit=limit,
                filter=self._filter(filters),
                with_payload=with_payload,
            )
        )
        return [Hit(id=p.id, score=float(p.score), payload=dict(p.payload or {})) for p in points]

    def count(self, name, filters=None):
        from qdrant_edge import CountRequest

        if self._meta(name) is None:
            return 0
        return self._shard(name).count(CountRequest(exact=True, filter=self._filter(filters)))

    def ids_where(self, name: str, filters: Mapping[str, Any]) -> list[PointId]:
        """The ids of the points whose payload matches `filters`."""
        from qdrant_edge import ScrollRequest

        shard, ids, offset = self._shard(name), [], None
        while True:
            records, offset = shard.scroll(
                ScrollRequest(offset=offset, limit=1000, filter=self._filter(filters), with_payload=False)
            )
            ids.extend(record.id for record in records)
            if offset is None:
                return ids

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


# --- Embedded, shared between processes: a database log followed by per-process edge replicas -------


def _encode_id(point_id: PointId) -> str:
    return str(point_id)


def _decode_id(text: str) -> PointId:
    return int(text) if text.isdigit() else text


class ReplicaDirectory:
    """A folder `root/replica-N` that this process holds for its lifetime (an exclusive flock on `N.lock`).

    qdrant-edge shards belong to one process, so each process that searches keeps its own replica. Folders are
    reused: a restarted process takes a free one and only catches up on the changes it missed.
    """

    def __init__(self, root: Path):
        self.root = Path(root)
        self._handle = None
        self.path: Path | None = None

    def acquire(self) -> Path:
        import fcntl

        if self.path is not None:
            return self.path
        self.root.mkdir(parents=True, exist_ok=True)
        for number in range(1, 1000):
            handle = open(self.root / f"replica-{number}.lock", "a+")  # noqa: SIM115 - held for the process lifetime
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.close()
                continue
            self._handle, self.path = handle, self.root / f"replica-{number}"
            self.path.mkdir(exist_ok=True)
            return self.path
        raise VectorStoreError(f"no free vector replica folder under {self.root}")

    def release(self) -> None:
        if self._handle is not None:
            self._handle.close()
        self._handle = self.path = None


class EmbeddedVectorStore(VectorStore):
    """The default store: points live in the database (`search.StoredVector`), searches run on a local replica.

    Writes go to the database only, in one transaction per call, each stamped with the collection's next change
    number. Before reading, a process applies the changes after its replica's change number to its own qdrant-edge
    shard (one indexed query when nothing changed). So the web process and the embeddings worker share vectors
    without sharing shard files, which qdrant-edge does not allow (docs/decisions.md).
    """

    REPLICA_STATE = "learnhub-replica.json"
    SYNC_BATCH = 2000
    OPTIMIZE_AFTER = 5000  # build the HNSW index after applying this many points at once
    # A search never waits for more than this many changes to be applied: beyond it the replica catches up in a
    # background thread and searches report the store unavailable meanwhile (callers fall back to lexical search).
    INLINE_SYNC_LIMIT = 5000

    def __init__(self, root: Path | str):
        self.root = Path(root)
        self.replica_dir = ReplicaDirectory(self.root / "replicas")
        self._local: EdgeVectorStore | None = None
        self._lock = threading.RLock()  # guards the replica folder and the per-collection locks
        self._sync_locks: dict[str, threading.RLock] = {}
        self._catching_up: dict[str, threading.Thread] = {}
        self._states: dict[str, dict] = {}  # each replica collection's {"epoch", "seq"}, mirrored in its folder

    # -- database side --

    @staticmethod
    def _collection(name: str, *, for_update: bool = False):
        from search.models import VectorCollection

        queryset = VectorCollection.objects.select_for_update() if for_update else VectorCollection.objects
        try:
            return queryset.get(name=name)
        except VectorCollection.DoesNotExist:
            raise VectorStoreError(f"vector collection {name!r} does not exist; run `manage.py embed --all`") from None

    def _call(self, what: str, func, *args, **kwargs):
        from django.db import DatabaseError

        try:
            return func(*args, **kwargs)
        except DatabaseError as exc:
            raise VectorStoreError(f"vector {what} failed: {exc}") from exc

    def ensure_collection(self, name, dimensions, keyword_fields=()):
        from django.db import transaction

        from search.models import VectorCollection

        def ensure():
            with transaction.atomic():
                existing = VectorCollection.objects.select_for_update().filter(name=name).first()
                if existing and existing.dimensions == dimensions:
                    return False
                if existing:
                    existing.delete()
                VectorCollection.objects.create(
                    name=name, dimensions=dimensions, keyword_fields=list(keyword_fields), epoch=uuid.uuid4().hex
                )
                return True

        return self._call("collection setup", ensure)

    def _write(self, name: str, what: str, apply) -> None:
        from django.db import transaction

        def write():
            with transaction.atomic():
                collection = self._collection(name, for_update=True)
                collection.seq += 1
                apply(collection, collection.seq)
                collection.save(update_fields=["seq", "updated_at"])

        self._call(what, write)

    def upsert(self, name, points):
        from search.models import StoredVector

        if not points:
            return

        def apply(collection, seq):
            rows = {}
            for p in points:
                vector = np.asarray(p.vector, dtype="<f4")
                if vector.shape != (collection.dimensions,):
                    raise VectorStoreError(
                        f"point {p.id} has {vector.size} dimensions; collection {name!r} has {collection.dimensions}"
                    )
                rows[_encode_id(p.id)] = StoredVector(
                    collection=collection,
                    point_id=_encode_id(p.id),
                    vector=vector.tobytes(),
                    payload=_payload(p.payload),
                    seq=seq,
                )
            StoredVector.objects.bulk_create(
                list(rows.values()),
                batch_size=500,
                update_conflicts=True,
                unique_fields=["collection", "point_id"],
                update_fields=["vector", "payload", "seq"],
            )

        self._write(name, "upsert", apply)

    def _tombstone(self, collection, seq, point_ids: Sequence[str]) -> None:
        from search.models import StoredVector

        for start in range(0, len(point_ids), 500):
            StoredVector.objects.filter(collection=collection, point_id__in=point_ids[start : start + 500]).update(
                vector=None, payload={}, seq=seq
            )

    def delete(self, name, ids):
        if ids:
            self._write(name, "delete", lambda c, seq: self._tombstone(c, seq, [_encode_id(i) for i in ids]))

    def delete_where(self, name, filters):
        # The replica is the payload index: find the matching ids there, then tombstone them in the log.
        local = self._synced(name)
        ids = local.ids_where(name, filters)
        if ids:
            self.delete(name, ids)

    def set_payload(self, name, filters, payload):
        from search.models import StoredVector

        point_ids = [_encode_id(i) for i in self._synced(name).ids_where(name, filters)]
        if not point_ids:
            return
        values = _payload(payload)

        def apply(collection, seq):
            for start in range(0, len(point_ids), 500):
                rows = list(
                    StoredVector.objects.filter(
                        collection=collection, point_id__in=point_ids[start : start + 500], vector__isnull=False
                    ).only("pk", "payload")
                )
                for row in rows:
                    row.payload, row.seq = {**row.payload, **values}, seq
                StoredVector.objects.bulk_update(rows, ["payload", "seq"])

        self._write(name, "payload update", apply)

    def payload_indexes(self, name):
        """The indexes of this process's replica, which is what filters searches."""
        return self._synced(name).payload_indexes(name)

    def dimensions(self, name):
        from search.models import VectorCollection

        return self._call(
            "collection check",
            lambda: VectorCollection.objects.filter(name=name).values_list("dimensions", flat=True).first(),
        )

    def drop(self, name):
        from search.models import VectorCollection

        self._call("drop", lambda: VectorCollection.objects.filter(name=name).delete())
        with self._sync_lock(name):
            self._states.pop(name, None)
            if self._local is not None:
                self._local.drop(name)

    # -- replica side --

    def _local_store(self) -> EdgeVectorStore:
        with self._lock:
            if self._local is None:
                self._local = EdgeVectorStore(self.replica_dir.acquire())
            return self._local

    def _sync_lock(self, name: str) -> threading.RLock:
        with self._lock:
            return self._sync_locks.setdefault(name, threading.RLock())

    def _state_path(self, name: str) -> Path:
        return self._local_store().root / name / self.REPLICA_STATE

    def _read_state(self, name: str) -> dict:
        if name in self._states:
            return self._states[name]
        path = self._state_path(name)
        try:
            state = json.loads(path.read_text()) if path.is_file() else {}
        except ValueError:
            state = {}
        self._states[name] = state
        return state

    def _write_state(self, name: str, state: dict) -> None:
        self._state_path(name).write_text(json.dumps(state))
        self._states[name] = state

    def _synced(self, name: str) -> EdgeVectorStore:
        """This process's replica of `name`, brought up to the database's latest committed change."""
        from search.models import StoredVector

        with self._sync_lock(name):
            local = self._local_store()
            head = self._head(name)
            if head is None:
                local.drop(name)
                self._states.pop(name, None)
                raise VectorStoreError(f"vector collection {name!r} does not exist; run `manage.py embed --all`")
            state = self._read_state(name)
            if state.get("epoch") != head["epoch"] or state.get("seq", 0) > head["seq"]:
                local.drop(name)
            # Creates a missing replica, and adds indexes that a replica made by an older version lacks.
            if local.ensure_collection(name, head["dimensions"], head["keyword_fields"]):
                state = {"epoch": head["epoch"], "seq": 0}
                self._write_state(name, state)
            if state["seq"] == head["seq"]:
                return local
            # Each point has one row holding its latest state, so the rows changed after the replica's change
            # number are exactly what to apply, in any order: page through them by primary key.
            applied, last_pk = 0, 0
            while True:
                rows = self._call(
                    "sync",
                    lambda last_pk=last_pk: list(
                        StoredVector.objects.filter(
                            collection_id=head["pk"], seq__gt=state["seq"], seq__lte=head["seq"], pk__gt=last_pk
                        )
                        .order_by("pk")
                        .values_list("pk", "point_id", "vector", "payload")[: self.SYNC_BATCH]
                    ),
                )
                if not rows:
                    break
                local.upsert(
                    name,
                    [
                        VectorPoint(id=_decode_id(pid), vector=np.frombuffer(bytes(vec), dtype="<f4"), payload=payload)
                        for _pk, pid, vec, payload in rows
                        if vec is not None
                    ],
                )
                local.delete(name, [_decode_id(pid) for _pk, pid, vec, _payload in rows if vec is None])
                applied += len(rows)
                last_pk = rows[-1][0]
            if applied >= self.OPTIMIZE_AFTER:
                local.optimize(name)
            self._write_state(name, {"epoch": head["epoch"], "seq": head["seq"]})
            return local

    def sync(self, name: str) -> None:
        """Bring this process's replica up to date now, however far behind it is (jobs, warming, benchmarks)."""
        self._synced(name)

    def _head(self, name: str) -> dict | None:
        from search.models import VectorCollection

        return self._call(
            "sync",
            lambda: (
                VectorCollection.objects.filter(name=name)
                .values("pk", "dimensions", "keyword_fields", "epoch", "seq")
                .first()
            ),
        )

    def _pending(self, head: dict, state: dict) -> int:
        """How many points this replica lacks, counted up to INLINE_SYNC_LIMIT + 1 (a bounded query)."""
        from search.models import StoredVector

        after = state.get("seq", 0) if state.get("epoch") == head["epoch"] else 0
        rows = StoredVector.objects.filter(collection_id=head["pk"], seq__gt=after)
        return self._call("sync", lambda: rows[: self.INLINE_SYNC_LIMIT + 1].count())

    def _catch_up(self, name: str) -> None:
        from django.db import connection

        try:
            self._synced(name)
        except Exception:
            logger.exception("vector replica of %r failed to catch up", name)
        finally:
            connection.close()
            self._catching_up.pop(name, None)

    def _reader(self, name: str) -> EdgeVectorStore:
        """The replica for a search: one query when it is current; synced inline when few changes are pending, in
        the background when many are (searches meanwhile raise VectorStoreError and callers fall back)."""
        thread = self._catching_up.get(name)
        if thread is None:
            with self._sync_lock(name):
                local = self._local_store()
                head = self._head(name)
                if head is None:
                    return self._synced(name)  # drops the replica and raises "does not exist"
                state = self._read_state(name)
                if state == {"epoch": head["epoch"], "seq": head["seq"]} and local.has_indexes(
                    name, head["keyword_fields"]
                ):
                    return local
                if self._pending(head, state) > self.INLINE_SYNC_LIMIT:
                    thread = threading.Thread(target=self._catch_up, args=(name,), daemon=True, name=f"vectors-{name}")
                    self._catching_up[name] = thread
                    thread.start()
        if thread is not None:
            raise VectorStoreError(f"the vector replica of {name!r} is catching up with the database; try again soon")
        return self._synced(name)

    def search(self, name, vector, *, limit=10, filters=None, with_payload=True):
        return self._reader(name).search(name, vector, limit=limit, filters=filters, with_payload=with_payload)

    def count(self, name, filters=None):
        if self.dimensions(name) is None:
            return 0
        return self._reader(name).count(name, filters)

    def close(self) -> None:
        with self._lock:
            if self._local is not None:
                self._local.close()
                self._local = None
                self._states.clear()
            self.replica_dir.release()


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

        wanted = index_types(keyword_fields)
        collection = self._name(name)
        created = self.dimensions(name) != dimensions
        if created:
            self._call("delete collection", self.client.delete_collection, collection)
            self._call(
                "create collection",
                self.client.create_collection,
                collection,
                vectors_config=models.VectorParams(size=dimensions, distance=models.Distance.COSINE),
            )
            have = {}
        else:  # a collection made before integer ids had their own index gets it (a new index replaces the old)
            have = self.payload_indexes(name)
        for field_name, kind in wanted.items():
            if have.get(field_name) != kind:
                self._call(
                    "create payload index",
                    self.client.create_payload_index,
                    collection,
                    field_name=field_name,
                    field_schema=models.PayloadSchemaType(kind),
                    wait=True,
                )
        return created

    def payload_indexes(self, name):
        info = self._call("collection info", self.client.get_collection, self._name(name))
        return {
            field_name: str(getattr(schema.data_type, "value", schema.data_type))
            for field_name, schema in (info.payload_schema or {}).items()
        }

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

    def set_payload(self, name, filters, payload):
        from qdrant_client import models

        self._call(
            "payload update",
            self.client.set_payload,
            self._name(name),
            payload=_payload(payload),
            points=models.FilterSelector(filter=self._filter(filters)),
            wait=True,
        )

    def search(self, name, vector, *, limit=10, filters=None, with_payload=True):
        response = self._call(
            "query",
            self.client.query_points,
            self._name(name),
            query=_as_list(vector),
            limit=limit,
            query_filter=self._filter(filters),
            with_payload=with_payload,
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
    """The configured store: a Qdrant server when QDRANT_URL is set, else the embedded store under var/."""
    global _store
    if _store is None:
        if settings.QDRANT_URL:
            _store = QdrantServerStore(settings.QDRANT_URL, settings.QDRANT_API_KEY)
        else:
            _store = EmbeddedVectorStore(settings.QDRANT_EDGE_PATH)
    return _store


def reset_vector_store() -> None:
    """Forget the configured store (tests, and after settings change); an embedded store releases its replica."""
    global _store
    if _store is not None and hasattr(_store, "close"):
        _store.close()
    _store = None
