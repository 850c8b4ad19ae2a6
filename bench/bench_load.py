#!/usr/bin/env python
"""Load test: the public pages and APIs under wrk while a 10,000-record import and an embedding job run.

    .venv/bin/python bench/bench_load.py [--duration 60] [--connections 32] [--records 10000]
    .venv/bin/python bench/bench_load.py --duration 10 --connections 4 --records 1000        # a quick check
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/bench_load.py

Needs wrk (`apt-get install wrk`). Everything runs on this machine and talks to 127.0.0.1 only:
1. a scratch database (a SQLite file in a temporary folder, or a `<name>_load_<pid>` database created next to
   DATABASE_URL's), migrated, with `load_demo_content` (the public pages, 300 resources, news, events) and
   `collectstatic` (into the usual gitignored static_collected/); the demo's import schedules and its embedding
   schedule are removed so that no worker reaches outside the machine and only the measured jobs run;
2. gunicorn as the Dockerfile starts it (cms.settings.production, DEBUG off, 3 sync workers, max-requests 1000)
   on a free loopback port, and one django-q2 cluster per queue (default, content, embeddings) on the same
   database: `manage.py qcluster` with bench_import.py's JSON Lines source registered first;
3. at the same moment: wrk (bench_load.lua rotating over the public pages and APIs), an import of a generated
   snapshot queued on the content queue (`enqueue_import`), and an embedding job queued on the embeddings queue
   (what `manage.py embed --all --async` queues); whenever that job ends while the load runs, a "changed" job
   follows (at most every --embed-interval s), so embedding goes on through the whole load and takes in what the
   import commits; after the load, a last "changed" job runs if the import finished after the last one;
4. while wrk runs, the logs of gunicorn and the workers are watched for "database is locked", tracebacks,
   gunicorn worker timeouts and ERROR lines; after it, the import and the last embedding job are awaited (bounded
   by --settle-timeout).

Reports requests, req/s, latency p50/p95/p99 (wrk, client side), non-2xx/3xx responses and socket errors, the
server's per-endpoint status counts and p95 (gunicorn's access log), the ImportRun (status, duration, counts,
how much of it overlapped the load) and the EmbeddingRuns, and the log lines found. Exits 1 when a request
failed, a log problem was found, or the import or an embedding job did not succeed, so it can serve as a gate.
Every process it started is stopped (SIGTERM to its process group, SIGKILL after a timeout), also on Ctrl-C or
failure, and the scratch database and folder are deleted (--keep keeps the folder with the logs).
"""

import argparse
import contextlib
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

from load_processes import INFORMATIONAL, LOG_PATTERNS, LogWatch, Processes, free_port, uptime  # noqa: E402

LUA_SCRIPT = BENCH / "bench_load.lua"
SOURCE = "bench-jsonl"  # bench_import.py's JSON Lines source
QUEUES = ("default", "content", "embeddings")
SEARCH_WORDS = ("machine learning", "calculus", "economics podcast", "python", "data science", "neuroscience")
# Service URLs are emptied so the test measures the embedded single-machine setup whatever the shell has set.
SERVICE_VARIABLES = ("REDIS_URL", "OPENSEARCH_URL", "QDRANT_URL", "TIKA_SERVER_URL", "OPENAI_API_KEY", "SENTRY_DSN")


def log(message: str) -> None:
    print(message, flush=True)


# --- Scratch database and environment -------------------------------------------------------------------------


def create_database(scratch: Path) -> tuple[str, str | None]:
    """The scratch DATABASE_URL, and the PostgreSQL admin URL to drop it with (None for SQLite)."""
    given = os.environ.get("DATABASE_URL", "")
    if not given.startswith(("postgres://", "postgresql://", "pgsql://")):
        return f"sqlite:///{scratch / 'db.sqlite3'}", None
    import psycopg

    parts = urlsplit(given)
    name = f"{(parts.path.lstrip('/') or 'postgres')}_load_{os.getpid()}"
    admin_url = urlunsplit(("postgresql", parts.netloc, parts.path, "", ""))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, "")), admin_url


def drop_database(database_url: str, admin_url: str | None) -> None:
    if admin_url is None:
        return  # SQLite: the file goes with the scratch folder
    import psycopg

    name = urlsplit(database_url).path.lstrip("/")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def scratch_environment(database_url: str, scratch: Path) -> dict[str, str]:
    """Production settings on the scratch database, with every file the processes write under `scratch`."""
    env = dict(os.environ)
    env.update(dict.fromkeys(SERVICE_VARIABLES, ""))
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "cms.settings.production",
            "DATABASE_URL": database_url,
            "SECRET_KEY": "bench-load-" + os.urandom(32).hex(),
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",  # plain HTTP on loopback, as docker-compose.yml sets it
            "MEDIA_ROOT": str(scratch / "media"),
            "SNAPSHOT_ROOT": str(scratch / "snapshots"),
            "QDRANT_EDGE_PATH": str(scratch / "qdrant"),
            "LOG_FORMAT": "text",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def manage(env: dict[str, str], scratch: Path, *command: str) -> float:
    """Run `manage.py <command>` to completion (output in scratch/<command>.log) and return its seconds."""
    started = time.perf_counter()
    log_path = scratch / f"{command[0]}.log"
    with log_path.open("wb") as out:
        result = subprocess.run(
            [sys.executable, "manage.py", *command], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    if result.returncode:
        tail = log_path.read_text(errors="replace").splitlines()[-20:]
        raise RuntimeError(f"manage.py {' '.join(command)} failed ({result.returncode}):\n" + "\n".join(tail))
    return time.perf_counter() - started


def prepare_site(env: dict[str, str], scratch: Path) -> None:
    for command in (("migrate", "--no-input"), ("load_demo_content",), ("collectstatic", "--no-input")):
        seconds = manage(env, scratch, *command)
        log(f"  manage.py {' '.join(command):<28} {seconds:6.1f} s")


def setup_django(env: dict[str, str]) -> None:
    """This process uses the scratch database too: to queue the jobs and read their runs."""
    os.environ.update(env)
    import django

    django.setup()
    logging.getLogger("django-q").setLevel(logging.WARNING)  # not a line per queued task here


def remove_outside_schedules() -> int:
    """Drop the demo's import schedules (they fetch public URLs) and its embedding schedule (ours is measured)."""
    from django.db.models import Q

    from django_q.models import Schedule

    deleted, _ = Schedule.objects.filter(Q(name__startswith="import:") | Q(name="embeddings")).delete()
    return deleted


def public_paths(slugs: int) -> list[str]:
    """The pages and APIs wrk rotates over; resource pages and search words vary so no one response dominates."""
    from catalog.models import LearningResource

    resources = list(LearningResource.objects.public().order_by("pk").values_list("slug", flat=True)[:slugs])
    if not resources:
        raise RuntimeError("the demo content has no public resource")
    words = [w.replace(" ", "+") for w in SEARCH_WORDS]
    paths = []
    for i, slug in enumerate(resources):
        word = words[i % len(words)]
        paths += ["/", "/explore/", "/catalog/", f"/catalog/{slug}/", f"/search/?q={word}", "/news/", "/events/"]
        paths += ["/api/v1/resources/", f"/api/v1/search/?q={word}", "/api/v2/pages/"]
    return paths


def endpoint_of(path: str) -> str:
    """The endpoint a request path belongs to, for the per-endpoint table."""
    base = path.split("?", 1)[0]
    if base.startswith("/catalog/") and base != "/catalog/":
        return "/catalog/<slug>/"
    return base + ("?q=…" if "?q=" in path else "")


# --- Processes ----------------------------------------------------------------------------------------------


def start_gunicorn(processes: Processes, env: dict[str, str], port: int, workers: int) -> None:
    """gunicorn as the Dockerfile's CMD starts it, on loopback, with an access log of status, ms and request."""
    processes.start(
        "gunicorn",
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "cms.wsgi:application",
            f"--bind=127.0.0.1:{port}",
            f"--workers={workers}",
            "--max-requests=1000",
            "--max-requests-jitter=100",
            f"--access-logfile={processes.scratch / 'access.log'}",
            "--access-logformat=%(s)s %(M)s %(r)s",
            "--no-control-socket",  # the default control socket is one path per user: others' servers use it too
        ],
        env,
    )


def start_workers(processes: Processes, env: dict[str, str]) -> None:
    for queue in QUEUES:
        processes.start(f"qcluster-{queue}", [sys.executable, __file__, "--qcluster"], {**env, "Q_CLUSTER_NAME": queue})


def run_qcluster() -> None:
    """`manage.py qcluster` with the benchmark's source registered (django-q2 forks its workers from here)."""
    import django

    django.setup()
    from django.core.management import call_command

    from bench_import import register_source

    register_source()
    call_command("qcluster")


def wait_until_ready(port: int, processes: Processes, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if processes.exited():
            raise RuntimeError(f"a process exited while starting: {processes.exited()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/liveness/", timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    raise RuntimeError(f"gunicorn did not answer on 127.0.0.1:{port} within {timeout:.0f} s")


def wait_for_empty_queues(timeout: float = 180.0) -> float:
    """Let the workers finish what the demo content queued (index updates), so the load starts from quiet."""
    from django.db import connection

    from django_q.brokers import get_broker

    started = time.monotonic()
    while time.monotonic() - started < timeout:
        pending = sum(get_broker(queue).queue_size() + get_broker(queue).lock_size() for queue in QUEUES)
        connection.close()
        if not pending:
            return time.monotonic() - started
        time.sleep(1)
    raise RuntimeError(f"the task queues still held {pending} tasks after {timeout:.0f} s")


def check_paths(port: int, paths: list[str], rounds: int) -> None:
    """Every distinct endpoint answers 200 before the load (a broken page fails fast and plainly), `rounds` times
    so that each web worker has likely served it once (the first request of a worker imports and fills caches)."""
    seen = {}
    for path in paths:
        seen.setdefault(endpoint_of(path), path)
    for path in list(seen.values()) * rounds:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=60) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status} before the load started")


# --- The jobs -----------------------------------------------------------------------------------------------


@dataclass
class Jobs:
    """The measured jobs: one import on the content queue, and embedding jobs on the embeddings queue.

    The first embedding job is `embed_mode` (what `manage.py embed --all --async` queues); whenever one finishes
    while the load runs, a "changed" job follows (at most one every `embed_interval` s, a tight schedule), so an
    embedding job runs through the whole load whether the import commits in batches or all at the end. After the
    load, one last "changed" job embeds what the import committed after the last job had finished.
    """

    snapshot: Path
    embed_mode: str
    embed_interval: float
    embed_after_pk: int = 0
    import_task: str = ""
    embed_tasks: list[tuple[str, float]] = field(default_factory=list)  # (task id, monotonic time queued)
    done_at: dict[str, float] = field(default_factory=dict)  # task id -> monotonic time first seen finished
    task_errors: dict[str, str] = field(default_factory=dict)  # task id -> error of a task that failed
    import_run: object = None
    embedding_runs: list = field(default_factory=list)
    own_errors: list[str] = field(default_factory=list)  # this process's database errors while following the jobs

    def start(self) -> None:
        from importers.tasks import enqueue_import
        from search.models import EmbeddingRun

        last = EmbeddingRun.objects.order_by("-pk").first()
        self.embed_after_pk = last.pk if last else 0
        self.import_task = enqueue_import(SOURCE, file=str(self.snapshot))
        self._queue_embedding(self.embed_mode)

    def _queue_embedding(self, mode: str) -> None:
        from cms.tasks import enqueue

        task_id = enqueue(
            "search.vectors.jobs.run_embedding_job",
            mode,
            trigger="command",
            queue="embeddings",
            task_name=f"vectors: embed {mode}",
        )
        self.embed_tasks.append((task_id, time.monotonic()))

    def refresh(self, load_running: bool) -> None:
        """Read the tasks and runs; queue the next embedding job when one is due. A database error (SQLite's
        "database is locked" when queueing) is recorded as a finding, not a reason to stop the load."""
        from django.db import DatabaseError, connection

        try:
            self._refresh(load_running)
        except DatabaseError as exc:
            self.own_errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            connection.close()

    def _refresh(self, load_running: bool) -> None:
        from django_q.models import Task

        from importers.models import ImportRun
        from search.models import EmbeddingRun

        ids = [self.import_task, *(task_id for task_id, _ in self.embed_tasks)]
        finished = {task.id: task for task in Task.objects.filter(id__in=ids)}
        for task_id, task in finished.items():
            if task_id not in self.done_at:
                self.done_at[task_id] = time.monotonic()
                if not task.success:
                    self.task_errors[task_id] = str(task.result)[-500:]
        self.import_run = ImportRun.objects.filter(source=SOURCE).order_by("-pk").first()
        self.embedding_runs = list(EmbeddingRun.objects.filter(pk__gt=self.embed_after_pk).order_by("pk"))
        if self._embedding_due(load_running):
            self._queue_embedding("changed")

    def _embedding_due(self, load_running: bool) -> bool:
        last_task, queued_at = self.embed_tasks[-1]
        if last_task not in self.done_at:
            return False
        if load_running:
            return time.monotonic() - queued_at >= self.embed_interval
        # After the load: a job reads resources in key order until none is left, so it took in every row the
        # import had committed before it finished; one more is due only if the import finished after it.
        last_run = self.embedding_runs[-1] if self.embedding_runs else None
        import_end = self.import_run.finished_at if self.import_run else None
        if import_end is None or last_run is None or last_run.finished_at is None:
            return False
        return import_end > last_run.finished_at

    @property
    def settled(self) -> bool:
        """The import and the last embedding job are done, and no further embedding job is due."""
        last_embedding = self.embed_tasks[-1][0]
        finished = self.import_task in self.done_at and last_embedding in self.done_at
        return finished and not self._embedding_due(load_running=False)


# --- The load -----------------------------------------------------------------------------------------------


def run_wrk(processes, env, port, paths, args, watch: LogWatch, jobs: Jobs) -> tuple[dict, float, float]:
    """Run wrk to its end, reading the logs and the jobs' runs every two seconds; returns its figures and window."""
    argv = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s", f"--timeout={args.timeout}s"]
    argv += ["-s", str(LUA_SCRIPT), f"http://127.0.0.1:{port}", "--", *paths]
    started = time.monotonic()
    wrk = processes.start("wrk", argv, env)
    deadline = started + args.duration + args.timeout + 30
    while wrk.poll() is None:
        if time.monotonic() > deadline:
            raise RuntimeError("wrk did not finish in time")
        time.sleep(2)
        watch.scan()
        jobs.refresh(load_running=True)
    ended = time.monotonic()
    output = processes.logs["wrk"].read_text(errors="replace")
    if wrk.returncode:
        raise RuntimeError(f"wrk failed ({wrk.returncode}):\n{output}")
    for line in output.splitlines():
        if line.startswith("WRK_JSON "):
            return json.loads(line.removeprefix("WRK_JSON ")), started, ended
    raise RuntimeError(f"wrk printed no WRK_JSON line:\n{output}")


def wait_for_jobs(jobs: Jobs, watch: LogWatch, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    jobs.refresh(load_running=False)
    while not jobs.settled and time.monotonic() < deadline:
        time.sleep(2)
        watch.scan()
        jobs.refresh(load_running=False)


def server_endpoints(access_log: Path, offset: int) -> dict[str, dict]:
    """Per endpoint: status counts and server-side milliseconds of the requests logged in gunicorn's access log
    ("status ms request") from `offset` on."""
    endpoints: dict[str, dict] = {}
    with access_log.open("rb") as handle:
        handle.seek(offset)
        lines = handle.read().decode(errors="replace").splitlines()
    for line in lines:
        parts = line.split()
        if len(parts) < 4 or not parts[0].isdigit():
            continue
        entry = endpoints.setdefault(endpoint_of(parts[3]), {"statuses": {}, "ms": []})
        entry["statuses"][parts[0]] = entry["statuses"].get(parts[0], 0) + 1
        entry["ms"].append(int(parts[1]))
    return endpoints


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))] if ordered else 0.0


# --- Report -------------------------------------------------------------------------------------------------


def report(figures, window, jobs: Jobs, watch: LogWatch, endpoints, args) -> list[str]:
    """Print the figures; return the reasons the run fails as a gate (none: it passed)."""
    started, ended = window
    seconds = figures["duration_us"] / 1e6
    socket_errors = sum(figures[k] for k in ("connect", "read", "write", "timeout"))
    errors = figures["non_2xx_3xx"] + socket_errors
    statuses = ", ".join(f"{code}: {n}" for code, n in sorted(figures["statuses"].items()))
    log(f"\nLoad: {args.duration} s, {args.connections} connections, {args.threads} wrk threads")
    log(f"  requests     {figures['requests']} ({figures['requests'] / seconds:.1f} req/s); statuses {statuses}")
    log(
        f"  latency      p50 {figures['p50_us'] / 1000:.1f} ms, p95 {figures['p95_us'] / 1000:.1f} ms, "
        f"p99 {figures['p99_us'] / 1000:.1f} ms, max {figures['max_us'] / 1000:.1f} ms"
    )
    log(f"  errors       {errors} (non-2xx/3xx {figures['non_2xx_3xx']}, socket errors {socket_errors})")

    log("\nServer side during the load (gunicorn access log):")
    log(f"  {'endpoint':<28} {'requests':>8} {'p50 ms':>7} {'p95 ms':>7}  statuses")
    for name, entry in sorted(endpoints.items()):
        codes = ", ".join(f"{c}: {n}" for c, n in sorted(entry["statuses"].items()))
        log(
            f"  {name:<28} {len(entry['ms']):>8} {percentile(entry['ms'], 50):>7.0f} "
            f"{percentile(entry['ms'], 95):>7.0f}  {codes}"
        )

    failures = []
    if errors:
        failures.append(f"{errors} failed requests")
    failures += report_import(jobs, started, ended)
    failures += report_embedding(jobs, started)

    log("\nLogs (gunicorn, workers):")
    for label in LOG_PATTERNS:
        found = watch.total(label)
        where = ", ".join(f"{name} {n}" for (name, lab), n in sorted(watch.counts.items()) if lab == label)
        log(f"  {label:<22} {found}" + (f" ({where})" if where else ""))
        for sample in watch.samples.get(label, []):
            log(f"      {sample}")
        if found and label not in INFORMATIONAL:
            failures.append(f"{found} log lines: {label}")
    if watch.exceptions:
        log("  exceptions the tracebacks ended with:")
        for line, n in sorted(watch.exceptions.items(), key=lambda item: -item[1])[:8]:
            log(f"    {n:>5} x {line}")
    return failures


def report_import(jobs: Jobs, started: float, ended: float) -> list[str]:
    run = jobs.import_run
    error = jobs.task_errors.get(jobs.import_task)
    if run is None:
        log(f"\nImport: no ImportRun was recorded; the task: {error or 'not finished'}")
        return ["the import did not run"]
    duration = f"{run.duration:.1f} s" if run.duration is not None else "still running"
    log(
        f"\nImport #{run.pk} ({run.source}): {run.get_status_display()}, {duration}; records {run.records}, "
        f"created {run.created}, updated {run.updated}, unchanged {run.unchanged}, failed {run.failed}"
    )
    if run.timings:
        log(f"  stages {run.timings}")
    if run.message:
        log(f"  message: {run.message[:500]}")
    done = jobs.done_at.get(jobs.import_task)
    if done is not None:
        overlap = "finished during the load" if done <= ended else "ran through the whole load"
        log(f"  {overlap} (seen finished {done - started:.0f} s after the load started)")
    if error:
        log(f"  the task failed: {error}")
    return [] if run.status == "succeeded" and not run.failed else [f"import {run.status} ({run.failed} failed)"]


def report_embedding(jobs: Jobs, started: float) -> list[str]:
    from django.utils import timezone

    runs = jobs.embedding_runs
    errors = [jobs.task_errors[task_id] for task_id, _ in jobs.embed_tasks if task_id in jobs.task_errors]
    log(f"\nEmbedding jobs: {len(jobs.embed_tasks)} queued, {len(runs)} ran")
    for run in runs:
        end = run.finished_at or timezone.now()
        log(
            f"  #{run.pk} {run.mode:<7} {run.get_status_display():<9} {(end - run.started_at).total_seconds():6.1f} s"
            f"{'' if run.finished_at else ' so far'}: {run.resources_embedded} resources, {run.files_embedded} "
            f"files ({run.chunks_embedded} chunks){'; ' + run.error[:300] if run.error else ''}"
        )
    if runs:
        log(
            f"  {sum(r.resources_embedded for r in runs)} resources embedded in all; {run.encoder}, {run.store}; "
            f"the last seen finished {jobs.done_at.get(jobs.embed_tasks[-1][0], time.monotonic()) - started:.0f} s "
            "after the load started"
        )
    for error in errors:
        log(f"  a task failed: {error}")
    for error in jobs.own_errors[:5]:
        log(f"  bench_load.py's own database error while following the jobs: {error}")
    failures = [f"embedding run #{run.pk} {run.status}" for run in runs if run.status != "succeeded"]
    if not runs:
        failures.append("no embedding job ran")
    if errors:
        failures.append(f"{len(errors)} embedding tasks failed")
    if jobs.own_errors:
        failures.append(f"{len(jobs.own_errors)} database errors in bench_load.py itself")
    return failures


# --- Main ---------------------------------------------------------------------------------------------------


def prepare(args, env: dict[str, str], scratch: Path) -> tuple[list[str], Path]:
    """The site on the scratch database; returns the paths wrk requests and the snapshot to import."""
    prepare_site(env, scratch)
    setup_django(env)
    from bench_import import write_snapshot

    log(f"  removed {remove_outside_schedules()} schedules (demo imports, embedding schedule)")
    paths = public_paths(args.resource_pages)
    started = time.perf_counter()
    snapshot = write_snapshot(args.records, 1, scratch)
    size = snapshot.stat().st_size / 1e6
    log(f"  snapshot of {args.records} records ({size:.1f} MB) in {time.perf_counter() - started:.1f} s")
    return paths, snapshot


def start_services(args, env: dict[str, str], processes: Processes, paths: list[str]) -> int:
    """gunicorn and the workers, answering and idle; returns gunicorn's port."""
    port = free_port()
    start_gunicorn(processes, env, port, args.web_workers)
    start_workers(processes, env)
    wait_until_ready(port, processes)
    log(f"  gunicorn on 127.0.0.1:{port}; queues drained in {wait_for_empty_queues():.1f} s")
    check_paths(port, paths, args.web_workers)
    return port


def load_test(args, scratch: Path, processes: Processes) -> list[str]:
    """Set up, run the load with the jobs, report; returns the reasons the run fails as a gate."""
    database_url, admin_url = create_database(scratch)
    try:
        env = scratch_environment(database_url, scratch)
        log(f"Load test on {database_url.split(':', 1)[0]} (scratch {scratch}); load average {uptime()}")
        paths, snapshot = prepare(args, env, scratch)
        port = start_services(args, env, processes, paths)

        watch = LogWatch({name: path for name, path in processes.logs.items() if name != "wrk"})
        watch.scan()  # what the processes logged while starting counts too
        jobs = Jobs(snapshot, args.embed_mode, args.embed_interval)
        access_offset = (scratch / "access.log").stat().st_size  # the table covers the load, not the pre-check
        log(f"Load starts; load average {uptime()}")
        jobs.start()
        figures, started, ended = run_wrk(processes, env, port, paths, args, watch, jobs)
        log(f"Load done; load average {uptime()}; waiting for the jobs (at most {args.settle_timeout:.0f} s)")
        wait_for_jobs(jobs, watch, args.settle_timeout)
        watch.scan()
        endpoints = server_endpoints(scratch / "access.log", access_offset)
        failures = report(figures, (started, ended), jobs, watch, endpoints, args)
        exited = {name: code for name, code in processes.exited().items() if name != "wrk"}
        if exited:
            failures.append(f"processes exited during the run: {exited}")
        return failures
    finally:
        # A second Ctrl-C must not cut the clean-up short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        processes.stop_all()
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        drop_database(database_url, admin_url)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=60, help="seconds of load (default 60)")
    parser.add_argument("--connections", type=int, default=32, help="open connections (default 32)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--timeout", type=int, default=30, help="wrk's per-request timeout in s (default 30)")
    parser.add_argument("--records", type=int, default=10_000, help="records in the imported snapshot (10000)")
    parser.add_argument("--embed-mode", choices=("all", "changed"), default="all", help="first embedding job (all)")
    parser.add_argument("--embed-interval", type=float, default=10, help="min s between embedding jobs (10)")
    parser.add_argument("--web-workers", type=int, default=3, help="gunicorn workers (the Dockerfile's 3)")
    parser.add_argument("--resource-pages", type=int, default=20, help="distinct resource pages in the rotation")
    parser.add_argument("--settle-timeout", type=float, default=900, help="max s to await the jobs after the load")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder (logs, snapshot, SQLite file)")
    parser.add_argument("--qcluster", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args()


def interrupt(signum, frame):
    """SIGTERM is handled like Ctrl-C, so the finally clauses stop the processes and delete the scratch data."""
    raise KeyboardInterrupt


def main() -> int:
    args = parse_args()
    if args.qcluster:
        run_qcluster()
        return 0
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")
    signal.signal(signal.SIGTERM, interrupt)
    scratch = Path(tempfile.mkdtemp(prefix="learnhub-load-"))
    processes = Processes(scratch)
    try:
        failures = load_test(args, scratch, processes)
    except KeyboardInterrupt:
        failures = ["interrupted (every process started was stopped)"]
    finally:
        if args.keep:
            log(f"Scratch folder kept: {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    log(f"\nLoad average at the end {uptime()}")
    if failures:
        log("FAILED: " + "; ".join(failures))
        return 1
    log("PASSED: no failed request, no log problem, import and embedding job succeeded")
    return 0


if __name__ == "__main__":
    sys.exit(main())
