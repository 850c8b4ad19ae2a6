"""`make run`'s supervisor (scripts/run.py): a Ctrl-C stops the web server and every worker, quietly and in time."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings

import pytest

from tests.cms.test_tasks import database_url_of_test_database
from tests.conftest import REPO_ROOT
from tests.support.network import free_port

QUEUES = ("default", "content", "embeddings")


def descendants(pid: int) -> set[int]:
    """Every live process below `pid` (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] != "Z":
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads the process tree from /proc")
def test_ctrl_c_stops_the_server_and_every_worker_within_10_seconds(transactional_db, tmp_path):
    log = tmp_path / "run.log"
    port = free_port()
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        "DJANGO_SETTINGS_MODULE": "cms.settings.dev",
        "DATABASE_URL": database_url_of_test_database(),
        "SECRET_KEY": settings.SECRET_KEY,
        "Q_WORKERS": "1",
        "QDRANT_EDGE_PATH": str(tmp_path / "qdrant"),
    }
    runner = subprocess.Popen(
        [sys.executable, "scripts/run.py", "--no-prepare", "--port", str(port), "--log", str(log)],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        # Every cluster reports itself running (its workers, monitor and pusher are up) before the interrupt.
        wait_for(
            lambda: log.exists() and all(f"[{queue}] running." in log.read_text() for queue in QUEUES),
            120,
            "the web server and the three clusters to start",
        )
        processes = descendants(runner.pid)
        assert len(processes) >= 4 * 1 + 3 * 3, f"expected the server and three clusters, found {len(processes)}"
        started = time.monotonic()
        runner.send_signal(signal.SIGINT)
        output, _ = runner.communicate(timeout=10)
        stopped_in = time.monotonic() - started
    finally:
        if runner.poll() is None:
            runner.kill()
            for pid in descendants(runner.pid):
                os.kill(pid, signal.SIGKILL)
    assert runner.returncode == 0, output
    assert stopped_in < 10
    wait_for(lambda: not any(alive(pid) for pid in processes), 2, "every child to be gone")
    assert "Learnhub is running" in output
    assert "Stopped." in output
    everything = output + log.read_text()
    assert "Traceback" not in everything
    assert "RecursionError" not in everything
    assert "Segmentation fault" not in everything


def test_a_busy_port_is_reported_in_one_line(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "scripts/run.py", "--no-prepare", "--port", str(port), "--log", str(tmp_path / "log")],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"Port {port} on 127.0.0.1 is in use (another `make run`?). Stop that, or choose another port: "
        "make run PORT=8001"
    ]
