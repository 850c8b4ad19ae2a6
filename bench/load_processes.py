"""The processes bench_load.py starts and the logs it watches: generic machinery, apart from what it measures."""

import contextlib
import os
import re
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent  # the processes run where manage.py is

LOG_PATTERNS = {
    "database is locked": re.compile(r"database is locked"),
    "traceback": re.compile(r"Traceback \(most recent call last\)"),
    "worker timeout": re.compile(r"WORKER TIMEOUT"),
    "ERROR/CRITICAL line": re.compile(r"\b(ERROR|CRITICAL)\b"),
    "WARNING line": re.compile(r"\bWARNING\b"),
}
# Reported, but no reason to fail (a warning may be expected, e.g. "similar resources unavailable").
INFORMATIONAL = {"WARNING line"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Processes:
    """Processes started in their own process group, so that each is stopped with everything it forked."""

    def __init__(self, scratch: Path):
        self.scratch = scratch
        self.started: dict[str, subprocess.Popen] = {}
        self.logs: dict[str, Path] = {}

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen:
        path = self.scratch / f"{name}.log"
        with path.open("wb") as out:
            process = subprocess.Popen(
                argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.started[name] = process
        self.logs[name] = path
        return process

    def exited(self) -> dict[str, int]:
        return {name: p.returncode for name, p in self.started.items() if p.poll() is not None}

    def stop_all(self, timeout: float = 20.0) -> None:
        for process in self.started.values():
            self._signal(process, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for process in self.started.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
        for process in self.started.values():
            self._signal(process, signal.SIGKILL)  # whatever is left of the group, even after its leader exited
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=5)

    @staticmethod
    def _signal(process: subprocess.Popen, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, sig)


@dataclass
class LogWatch:
    """Reads the processes' logs as they grow and counts the lines that show a problem, keeping a few samples."""

    files: dict[str, Path]
    offsets: dict[str, int] = field(default_factory=dict)
    counts: dict[tuple[str, str], int] = field(default_factory=dict)
    samples: dict[str, list[str]] = field(default_factory=dict)
    exceptions: dict[str, int] = field(default_factory=dict)  # each traceback's closing "Error: message" line
    in_traceback: set[str] = field(default_factory=set)

    def scan(self) -> None:
        for name, path in self.files.items():
            if not path.exists():
                continue
            with path.open("rb") as handle:
                handle.seek(self.offsets.get(name, 0))
                data = handle.read()
            complete = data.rfind(b"\n") + 1  # a line still being written is read next time
            self.offsets[name] = self.offsets.get(name, 0) + complete
            for line in data[:complete].decode(errors="replace").splitlines():
                self._match(name, line)

    def _match(self, name: str, line: str) -> None:
        if name in self.in_traceback and line.strip() and not line[0].isspace():
            self.in_traceback.discard(name)
            key = f"[{name}] {line.strip()[:300]}"
            self.exceptions[key] = self.exceptions.get(key, 0) + 1
        if LOG_PATTERNS["traceback"].search(line):
            self.in_traceback.add(name)
        for label, pattern in LOG_PATTERNS.items():
            if pattern.search(line):
                self.counts[(name, label)] = self.counts.get((name, label), 0) + 1
                kept = self.samples.setdefault(label, [])
                if len(kept) < 3:
                    kept.append(f"[{name}] {line.strip()[:300]}")

    def total(self, label: str) -> int:
        return sum(n for (_, found), n in self.counts.items() if found == label)


def uptime() -> str:
    """The load averages over 1, 5 and 15 minutes, as `uptime` prints them."""
    with contextlib.suppress(OSError):
        return ", ".join(Path("/proc/loadavg").read_text().split()[:3])
    return "?"
