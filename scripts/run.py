"""`make run`: prepare the embedded installation, serve it with one django-q2 worker per queue, stop it cleanly.

1. The web server (`runserver`) starts while `manage.py load_demo_content --migrate` migrates the database and
   loads the demo content and the default schedules. Their output goes to the log file (var/log/run.log); the
   terminal gets one line.
2. Once the home page answers, a `qcluster` per queue starts and a short summary is printed (URLs, how to sign in,
   how to stop). From then on the terminal shows the web server's requests and anyone's warnings, errors and
   tracebacks (--verbose: every line); the log file has everything.
3. Every child runs in a process group of its own, so a Ctrl-C in the terminal reaches this script only. On
   SIGINT, SIGTERM or SIGHUP it sends one SIGTERM to each child (qcluster stops its own workers), waits up to
   --grace seconds, then SIGKILLs every process group that still has members; a second Ctrl-C kills at once. Exit
   status 0 after a requested stop, 1 when a child failed.

Standard library only; run with the project's interpreter: `.venv/bin/python scripts/run.py [--no-prepare]`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUEUES = ("default", "content", "embeddings")
# Before the site answers, a child's line is shown only if it looks like trouble.
TROUBLE = re.compile(r"\b(WARNING|ERROR|CRITICAL)\b|Traceback|Error\b|Exception\b")
# A line that starts a log record (text format) rather than continuing one.
NEW_RECORD = re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d|\[\d\d/\w{3}/\d{4} |\{")


def echo(message: str = "", end: str = "\n") -> None:
    """Print to the terminal; a terminal (or pipe) that went away never stops the clean-up of the children."""
    with contextlib.suppress(OSError):  # BrokenPipeError: e.g. `make run | tee`, and tee was interrupted first
        print(message, end=end, flush=True)


ADMIN_LINE = re.compile(r"admin user '(?P<user>[^']+)'(?P<rest>.*)", re.IGNORECASE)


class Runner:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.base_url = f"http://{args.host}:{args.port}"
        self.children: dict[str, subprocess.Popen] = {}
        self.threads: list[threading.Thread] = []
        self.stop_requested = threading.Event()
        self.signals = 0
        self.preparing: subprocess.Popen | None = None
        self.ready = False
        self.out_lock = threading.Lock()
        args.log.parent.mkdir(parents=True, exist_ok=True)
        # The log of this run only (the previous run's is replaced).
        self.log = open(args.log, "w", encoding="utf-8", errors="replace")  # noqa: SIM115 (closed in main)
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1", "DJANGO_RUNSERVER_HIDE_WARNING": "true"}

    # --- output ---------------------------------------------------------------------------------------------

    def say(self, message: str = "") -> None:
        with self.out_lock:
            echo(message)
            self.log.write(message + "\n")
            self.log.flush()

    def _pump(self, name: str, stream) -> None:
        """Copy a child's lines to the log file; show the web server's once the site answers, and any child's
        warnings, errors and tracebacks (a record's continuation lines follow it). --verbose shows everything."""
        width = max(len(n) for n in ("web", *QUEUES))
        showing = False
        for raw in iter(stream.readline, ""):
            line = raw.rstrip("\n")
            if NEW_RECORD.match(line) or not line.startswith((" ", "\t")) and not showing:
                showing = bool(TROUBLE.search(line))
            with self.out_lock:
                self.log.write(f"{name:>{width}} | {line}\n")
                self.log.flush()
                if showing or self.ready and (self.args.verbose or name == "web"):
                    echo(f"{name:>{width}} | {line}")
        stream.close()

    # --- signals --------------------------------------------------------------------------------------------

    def on_signal(self, signum, frame) -> None:
        self.signals += 1
        self.stop_requested.set()
        if self.preparing is not None and self.signals == 1:
            self.preparing.terminate()
        if self.signals == 2:
            # A second Ctrl-C: no more waiting.
            for child in self.children.values():
                self._killpg(child, signal.SIGKILL)

    @staticmethod
    def _killpg(child: subprocess.Popen, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(child.pid, signum)

    # --- steps ----------------------------------------------------------------------------------------------

    def manage(self, *argv: str) -> list[str]:
        return [sys.executable, str(ROOT / "manage.py"), *argv]

    def step(self, title: str, argv: list[str]) -> list[str] | None:
        """Run one preparation command, its output to the log file only; None when interrupted."""
        started = time.monotonic()
        echo(f"{title} …", end=" ")
        self.log.write(f"--- {title}: {' '.join(argv[1:])}\n")
        self.log.flush()
        step = subprocess.Popen(
            argv, cwd=ROOT, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True,
        )  # fmt: skip
        self.preparing = step
        output = []
        for line in iter(step.stdout.readline, ""):
            output.append(line)
            self.log.write(line)
        self.log.flush()
        step.wait()
        self.preparing = None
        if self.stop_requested.is_set():
            echo("interrupted")
            return None
        if step.returncode != 0:
            echo("failed")
            tail = "".join(output[-25:]).rstrip()
            self.say(f"{tail}\n\n{title} failed (exit status {step.returncode}); full log: {self.args.log}")
            raise SystemExit(1)
        echo(f"done in {time.monotonic() - started:.0f} s")
        return output

    def prepare_command(self) -> list[str]:
        return self.manage("load_demo_content", "--migrate")

    def start(self, name: str, argv: list[str], extra_env: dict[str, str] | None = None) -> None:
        child = subprocess.Popen(
            argv, cwd=ROOT, env={**self.env, **(extra_env or {})}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, start_new_session=True,
        )  # fmt: skip
        self.children[name] = child
        thread = threading.Thread(target=self._pump, args=(name, child.stdout), daemon=True)
        thread.start()
        self.threads.append(thread)

    def port_is_free(self) -> bool:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((self.args.host, self.args.port))
            except OSError:
                return False
        return True

    def wait_until_answering(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self.stop_requested.is_set():
            if self.dead_child():
                return False
            try:
                with urllib.request.urlopen(self.base_url + "/", timeout=5):  # noqa: S310 (our own local server)
                    return True
            except urllib.error.HTTPError as error:
                if error.code < 500:
                    return True  # it answers (a 404 without demo content is still an answer)
                time.sleep(0.25)
            except OSError:
                time.sleep(0.25)
        return False

    def dead_child(self) -> str | None:
        for name, child in self.children.items():
            if child.poll() is not None:
                return name
        return None

    def summary(self, admin_line: str | None, seconds: float) -> str:
        url = self.base_url
        if admin_line and (match := ADMIN_LINE.search(admin_line)):
            user, rest = match["user"], match["rest"]
            if password := re.search(r"with password '([^']+)'", rest):
                sign_in = f"user {user}, password {password[1]} (new: shown this once)"
            elif "DEMO_ADMIN_PASSWORD" in rest:
                sign_in = f"user {user}, password DEMO_ADMIN_PASSWORD"
            else:
                sign_in = f"user {user}, the password shown on the first run"
        else:
            sign_in = "an existing account"
        lines = [
            "",
            f"Learnhub is running ({seconds:.0f} s to the first page):",
            f"  site        {url}/",
            f"  admin       {url}/admin/   {sign_in}; `make admin` sets a new password",
            f"  catalogue   {url}/catalog/   search {url}/search/",
            f"  API         {url}/api/docs/   health {url}/health/full/",
            f"  workers     {', '.join(QUEUES)} (django-q2, starting)",
            f"  log         {self.args.log} (here: requests, warnings and errors; `make run VERBOSE=1`: all)",
            "Press Ctrl-C to stop the server and the workers.",
            "",
        ]
        return "\n".join(lines)

    def stop(self) -> None:
        """SIGTERM once to each process, wait up to the grace period, then SIGKILL what is left of each group."""
        running = {name: child for name, child in self.children.items() if child.poll() is None}
        if running:
            echo(f"\nStopping {', '.join(running)} …")
        for child in running.values():
            with contextlib.suppress(ProcessLookupError):
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.args.grace
        while time.monotonic() < deadline and any(child.poll() is None for child in self.children.values()):
            time.sleep(0.1)
        for name, child in self.children.items():
            if child.poll() is None:
                self.say(f"{name} did not stop within {self.args.grace:.0f} s: killed")
            # Whatever is left in the group (a worker whose parent already exited) goes too.
            self._killpg(child, signal.SIGKILL)
            try:
                child.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.say(f"{name} (pid {child.pid}) could not be killed")
        for thread in self.threads:
            thread.join(timeout=2)

    def run(self) -> int:
        started = time.monotonic()
        if not self.port_is_free():
            print(
                f"Port {self.args.port} on {self.args.host} is in use (another `make run`?). Stop that, or choose "
                f"another port: make run PORT=8001",
                file=sys.stderr,
            )
            return 1
        admin_line = None
        # The web server starts (imports, system checks) while the database is prepared.
        self.start("web", self.manage("runserver", "--noreload", f"{self.args.host}:{self.args.port}"))
        if not self.args.no_prepare:
            output = self.step("Migrating, loading the demo content and schedules", self.prepare_command())
            if output is None:
                return 0
            admin_line = next((line.strip() for line in output if ADMIN_LINE.search(line)), None)
        status = 0
        if self.wait_until_answering(self.args.timeout):
            seconds = time.monotonic() - started
            # The workers start once the first page is served, so they do not slow it down.
            for queue in QUEUES:
                self.start(queue, self.manage("qcluster"), {"Q_CLUSTER_NAME": queue})
            self.say(self.summary(admin_line, seconds))
            with self.out_lock:
                self.ready = True
        elif not self.stop_requested.is_set():
            name = self.dead_child()
            self.say(
                f"{name} exited with status {self.children[name].returncode} during start-up"
                if name
                else f"the site did not answer at {self.base_url}/ within {self.args.timeout:.0f} s"
            )
            self.say(f"Full log: {self.args.log}")
            status = 1
        while status == 0 and not self.stop_requested.wait(0.2):
            if name := self.dead_child():
                self.say(f"{name} exited with status {self.children[name].returncode}; stopping the others")
                status = 1
        self.stop()
        echo("Stopped.")
        return status


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--no-prepare", action="store_true", help="skip migrate and the demo loader")
    parser.add_argument("--grace", type=float, default=8.0, help="seconds to wait for a clean stop before SIGKILL")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for the first page")
    parser.add_argument("--verbose", action="store_true", help="show every line of the server and the workers")
    parser.add_argument("--log", type=Path, default=ROOT / "var" / "log" / "run.log", help="where every line goes")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    runner = Runner(parse_args(argv))
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, runner.on_signal)
    try:
        return runner.run()
    finally:
        if runner.children:
            runner.stop()
        runner.log.close()


if __name__ == "__main__":
    sys.exit(main())
