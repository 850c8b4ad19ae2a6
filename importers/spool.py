"""Records spooled to a temporary file between transform and load.

A run transforms its whole snapshot before the loader writes anything, so a document that turns out to be
unreadable halfway through fails the run with the catalogue untouched, while the loader still commits one batch
at a time (short write transactions that never hold SQLite's lock for a whole import). Records are pickled one
after another into a file that is never named on disk (removed by the OS even after kill -9) and read back once.
"""

from __future__ import annotations

import pickle
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from django.conf import settings

# Records stay in memory up to this many bytes of pickles, then go to a file under IMPORT_TEMP_DIR.
IN_MEMORY_BYTES = 16 * 1024 * 1024


class RecordSpool:
    """Write records once with `extend`, then iterate over them once."""

    def __init__(self):
        directory = Path(settings.IMPORT_TEMP_DIR)
        directory.mkdir(parents=True, exist_ok=True)
        self._file = tempfile.SpooledTemporaryFile(max_size=IN_MEMORY_BYTES, dir=directory)  # noqa: SIM115
        self.count = 0

    def extend(self, records: Iterable, on_record: Callable[[int], None] | None = None) -> int:
        for record in records:
            # One pickle per record (a shared Pickler's memo would not match a shared Unpickler's after clearing).
            pickle.dump(record, self._file, protocol=pickle.HIGHEST_PROTOCOL)
            self.count += 1
            if on_record is not None:
                on_record(self.count)
        return self.count

    def __iter__(self) -> Iterator:
        self._file.seek(0)
        for _ in range(self.count):
            yield pickle.load(self._file)  # noqa: S301 - our own records, written by this process above

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> RecordSpool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
