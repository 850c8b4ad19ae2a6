"""Whether this process found its vectors unavailable a moment ago.

With no vectors (the store empty or down, the encoder missing) every semantic or hybrid search would pay the
keyword ranking and a failed vector search before the keyword search it falls back to. After a failure the process
remembers it for UNAVAILABLE_SECONDS, for that store object only (a reconfigured or replaced store is tried at
once), and searches answer by keywords without trying the vectors. Embedding into a store in this process forgets
it too (`manage.py embed`, tasks run inline, tests).
"""

import threading
import time

UNAVAILABLE_SECONDS = 5.0

_lock = threading.Lock()
_state: dict[str, object] = {"until": 0.0, "store": None, "reason": ""}


def remember_unavailable(store, reason: str) -> None:
    """`store` (the configured store object, or None when it could not be opened) failed: say so for a while."""
    with _lock:
        _state.update(until=time.monotonic() + UNAVAILABLE_SECONDS, store=store, reason=reason)


def unavailable_reason(store) -> str:
    """Why `store` was found unavailable less than UNAVAILABLE_SECONDS ago, or "" (then try it)."""
    with _lock:
        if _state["store"] is store and time.monotonic() < _state["until"]:
            return str(_state["reason"])
    return ""


def forget_unavailable() -> None:
    """Try the vectors again on the next search."""
    with _lock:
        _state.update(until=0.0, store=None, reason="")
