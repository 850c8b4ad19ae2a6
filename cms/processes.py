"""Which process runs a job, and whether it still does: for runs that must be found when their process dies.

An owner is "host:pid". On the same host a pid can be checked (a zombie — killed but not yet reaped — counts as
gone); another host's process cannot, and only a heartbeat's age tells.
"""

from __future__ import annotations

import os
import socket


def process_owner() -> str:
    """host:pid of this process."""
    return f"{socket.gethostname()}:{os.getpid()}"[:255]


def process_exists(pid: int) -> bool:
    """True while process `pid` runs on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rpartition(")")[2].split()[0] != "Z"
    except (OSError, IndexError):  # no /proc (not Linux): trust kill()
        return True


def owner_is_dead(owner: str) -> bool:
    """True when `owner` (host:pid) is a process of this host that no longer runs; False when unknown."""
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    return not process_exists(int(pid))
