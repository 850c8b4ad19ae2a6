"""Stopping a run cleanly when its process is told to stop.

SIGTERM (a deploy, `docker stop`, django-q2 recycling a worker past its timeout) and SIGINT (Ctrl-C) raise
`ImportInterrupted` inside the run, so the runner can record why the run stopped and free its source before the
process exits. kill -9 cannot be caught: the run's heartbeat stops and the sweeper (`importers.recovery`) tells.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class ImportInterrupted(BaseException):  # noqa: N818 - like KeyboardInterrupt, not an error of the import
    """The process running an import was told to stop; `signal_name` says how."""

    def __init__(self, signal_name: str):
        self.signal_name = signal_name
        super().__init__(f"interrupted by {signal_name}")


@contextmanager
def interruptible() -> Iterator[None]:
    """Turn SIGTERM into ImportInterrupted while the block runs (main thread only: signals are delivered
    there; a run in another thread is left to the sweeper)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):
        raise ImportInterrupted(signal.Signals(signum).name)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
