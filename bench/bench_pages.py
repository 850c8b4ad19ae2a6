#!/usr/bin/env python
"""Pages and APIs side by side with Wagtail's reference site, bakerydemo, on the same machine (issue 15).

    .venv/bin/python bench/bench_pages.py                          # Learnhub at 10k resources vs bakerydemo
    .venv/bin/python bench/bench_pages.py --alone 1000,100000      # and Learnhub alone at those sizes
    .venv/bin/python bench/bench_pages.py --duration 5 --rounds 1  # a quick look

Needs wrk (`apt-get install wrk`) and network access to PyPI the first time (bakerydemo's own virtualenv).
1. bakerydemo: ../shared/anchors/bakerydemo is copied to var/bench/bakerydemo (never changed in place), given a
   virtualenv of its own and the `perf` settings its anchor README gives (DEBUG off), migrated, loaded with
   `load_initial_data` and collectstatic'ed — once; later runs reuse it.
2. Learnhub: a scratch SQLite database (or a PostgreSQL one beside DATABASE_URL's) under production settings,
   migrated, `load_demo_content`, then N generated resources through the catalogue loader (tasks inline, so the
   search index holds them), collectstatic.
3. Both under gunicorn with 2 sync workers on loopback, each warmed (every path twice). Then --rounds rounds: each
   pair (Learnhub path, bakerydemo path) is measured alternately with wrk (1 thread, --connections connections,
   --duration s). Per pair: req/s (median over rounds), p50/p95 latency, the ratio and the SQL queries of a warm
   request on each side (bench/count_queries.py, Django's test client, the same way on both).
Prints a Markdown table for bench/RESULTS.md. Every process is stopped and the scratch folder removed (--keep).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(BENCH))

from bench_load import create_database, drop_database, manage, scratch_environment  # noqa: E402
from load_processes import Processes, free_port  # noqa: E402

ANCHOR = ROOT.parent / "shared" / "anchors" / "bakerydemo"
BAKERY = ROOT / "var" / "bench" / "bakerydemo"
BAKERY_PACKAGES = [
    "Django>=5.2,<5.3", "wagtail>=7.4,<7.5", "python-dotenv", "wagtail-font-awesome-svg>=1,<2",
    "django-debug-toolbar>=4.2,<5", "django-extensions>=4.1,<5", "django-csp>=3.8,<4", "dj-database-url", "gunicorn",
]  # fmt: skip
BAKERY_SETTINGS = (
    'from .base import *  # noqa\nDEBUG = False\nALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]\n'
)
WRK_SCRIPT = """
done = function(summary, latency, requests)
  local seconds = summary.duration / 1e6
  io.write(string.format('{"requests": %d, "rps": %.2f, "p50_ms": %.2f, "p95_ms": %.2f, "errors": %d}\\n',
    summary.requests, summary.requests / seconds, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
      + summary.errors.status))
end
"""


def log(message: str) -> None:
    print(message, flush=True)


# --- bakerydemo ---------------------------------------------------------------------------------------------


def bakery_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SECRET_KEY", "ALLOWED_HOSTS"}}
    env.update({"DJANGO_SETTINGS_MODULE": "bakerydemo.settings.perf", "PYTHONUNBUFFERED": "1"})
    env.pop("VIRTUAL_ENV", None)
    return env


def bakery_python() -> str:
    return str(BAKERY / ".venv" / "bin" / "python")


def prepare_bakery() -> None:
    ready = BAKERY / ".learnhub-bench-ready"
    if ready.exists():
        log(f"bakerydemo: ready in {BAKERY}")
        return
    if not ANCHOR.is_dir():
        raise SystemExit(f"bakerydemo is not at {ANCHOR} (../shared/anchors/bakerydemo)")
    log(f"bakerydemo: copying {ANCHOR} to {BAKERY}")
    shutil.rmtree(BAKERY, ignore_errors=True)
    shutil.copytree(ANCHOR, BAKERY, ignore=shutil.ignore_patterns(".git", "node_modules"))
    (BAKERY / "bakerydemo" / "settings" / "perf.py").write_text(BAKERY_SETTINGS)
    python = shutil.which("python3.11") or sys.executable
    steps = [
        ([python, "-m", "venv", ".venv"], "virtualenv"),
        ([bakery_python(), "-m", "pip", "install", "-q", *BAKERY_PACKAGES], "pip install"),
        ([bakery_python(), "manage.py", "migrate", "--no-input"], "migrate"),
        ([bakery_python(), "manage.py", "load_initial_data"], "load_initial_data"),
        ([bakery_python(), "manage.py", "collectstatic", "--no-input", "-v0"], "collectstatic"),
    ]
    for argv, title in steps:
        started = time.perf_counter()
        result = subprocess.run(argv, cwd=BAKERY, env=bakery_env(), capture_output=True, text=True)
        if result.returncode:
            raise SystemExit(f"bakerydemo {title} failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
        log(f"  bakerydemo {title:<20} {time.perf_counter() - started:6.1f} s")
    ready.write_text("ok\n")


def bakery_blog_post(port: int) -> str:
    """A blog post's path, found through bakerydemo's own pages API."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/pages/?type=blog.BlogPage&limit=1") as response:
        item = json.load(response)["items"][0]
    return urllib.parse.urlsplit(item["meta"]["html_url"]).path


# --- Learnhub -----------------------------------------------------------------------------------------------


PAGE_CACHE_SECONDS: int | None = None  # --page-cache-seconds; None: the settings' default


def learnhub_env(database_url: str, scratch: Path) -> dict[str, str]:
    """bench_load's production environment on the scratch database, answering Django's test client too."""
    env = scratch_environment(database_url, scratch)
    env.update({"ALLOWED_HOSTS": "127.0.0.1,testserver", "LOG_LEVEL": "WARNING"})
    if PAGE_CACHE_SECONDS is not None:
        env["PAGE_CACHE_SECONDS"] = str(PAGE_CACHE_SECONDS)
    return env


LOAD_RESOURCES = """
import time
from catalog.demo import generate_records
from catalog.loader import load_resources
n = {n}
started = time.perf_counter()
result = load_resources("bench-pages", generate_records(n, seed=20261205), full_snapshot=True)
print(f"loaded {{result.created}} created, {{result.failed}} failed in {{time.perf_counter() - started:.1f}} s")
"""


def prepare_learnhub(env: dict[str, str], scratch: Path, resources: int) -> None:
    for command in (("migrate", "--no-input"), ("load_demo_content",), ("collectstatic", "--no-input", "-v0")):
        log(f"  learnhub manage.py {' '.join(command):<26} {manage(env, scratch, *command):6.1f} s")
    if resources:
        started = time.perf_counter()
        code = LOAD_RESOURCES.format(n=resources)
        result = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, env={**env, "Q_SYNC": "true"},
            capture_output=True, text=True,
        )  # fmt: skip
        if result.returncode:
            raise SystemExit(f"loading {resources} resources failed:\n{result.stderr[-3000:]}")
        seconds = time.perf_counter() - started
        log(f"  learnhub {resources} generated resources: {result.stdout.strip()} ({seconds:.0f} s)")


def learnhub_resource_path(env: dict[str, str]) -> str:
    code = (
        "from catalog.models import LearningResource as R; "
        "print(R.objects.public().filter(resource_type='course').order_by('pk').values_list('slug', flat=True)[0])"
    )
    result = subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, env=env, capture_output=True,
                            text=True, check=True)  # fmt: skip
    return f"/catalog/{result.stdout.strip().splitlines()[-1]}/"


# --- Measuring ----------------------------------------------------------------------------------------------


def start_gunicorn(processes: Processes, name: str, python: str, app: str, cwd: Path, env, port: int) -> None:
    """gunicorn with 2 sync workers on loopback, in its project's folder, in a process group of its own."""
    argv = [python, "-m", "gunicorn", app, f"--bind=127.0.0.1:{port}", "--workers=2", "--no-control-socket"]
    with (processes.scratch / f"{name}.log").open("wb") as out:
        processes.started[name] = subprocess.Popen(
            argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def wait_for(port: int, path: str, processes: Processes, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if processes.exited():
            raise SystemExit(f"a server exited while starting: {processes.exited()} (logs in {processes.scratch})")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.5)
    raise SystemExit(f"127.0.0.1:{port}{path} did not answer within {timeout:.0f} s")


def warm(port: int, paths: list[str]) -> None:
    for path in paths * 3:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            raise SystemExit(f"127.0.0.1:{port}{path} answered {exc.code}") from exc


def wrk(port: int, path: str, args, script: Path) -> dict:
    result = subprocess.run(
        ["wrk", "-t1", f"-c{args.connections}", f"-d{args.duration}s", "-s", str(script),
         f"http://127.0.0.1:{port}{path}"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(result.stdout.strip().splitlines()[-1])


def count_queries(python: str, cwd: Path, env: dict[str, str], paths: list[str]) -> dict:
    result = subprocess.run([python, str(BENCH / "count_queries.py"), *paths], cwd=cwd, env=env, capture_output=True,
                            text=True)  # fmt: skip
    if result.returncode:
        raise SystemExit(f"counting queries failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def measure(pairs, ports, args, script) -> dict[tuple[str, str], dict]:
    samples: dict[tuple[str, str], dict[str, list[dict]]] = {pair: {"learnhub": [], "bakery": []} for pair in pairs}
    for round_number in range(1, args.rounds + 1):
        for pair in pairs:
            for side, path in (("learnhub", pair[0]), ("bakery", pair[1])):
                if path is None:
                    continue
                samples[pair][side].append(wrk(ports[side], path, args, script))
        log(f"  round {round_number}/{args.rounds} done")
    return samples


def median(values: list[dict], key: str) -> float:
    return statistics.median(v[key] for v in values) if values else float("nan")


def table(pairs, samples, queries_l, queries_b, label: str, uncached_l=None) -> list[str]:
    lines = [
        f"#### {label}",
        "",
        "| Learnhub | req/s | p50 / p95 ms | SQL | bakerydemo | req/s | p50 / p95 ms | SQL | ratio (req/s) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for pair in pairs:
        ours, theirs = samples[pair]["learnhub"], samples[pair]["bakery"]
        rps_l, rps_b = median(ours, "rps"), median(theirs, "rps")
        ratio = f"**{rps_l / rps_b:.1f}×**" if theirs else "—"
        errors = {"Learnhub": sum(v["errors"] for v in ours), "bakerydemo": sum(v["errors"] for v in theirs)}
        errors_note = ", ".join(f"{count} on {side}" for side, count in errors.items() if count)
        lines.append(
            f"| `{pair[0]}` | {rps_l:.0f} | {median(ours, 'p50_ms'):.1f} / {median(ours, 'p95_ms'):.1f} | "
            f"{queries_l.get(pair[0], {}).get('queries', '—')}"
            + (f" ({uncached_l.get(pair[0], {}).get('queries', '—')})" if uncached_l else "")
            + " | "
            + (
                f"`{pair[1]}` | {rps_b:.0f} | {median(theirs, 'p50_ms'):.1f} / {median(theirs, 'p95_ms'):.1f} | "
                f"{queries_b.get(pair[1], {}).get('queries', '—')} | {ratio} |"
                if pair[1]
                else "— | | | | |"
            )
            + (f" (wrk errors: {errors_note})" if errors_note else "")
        )
    return lines


def run(args) -> list[str]:
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install wrk")
    scratch = Path(tempfile.mkdtemp(prefix="bench-pages-"))
    processes = Processes(scratch)
    script = scratch / "report.lua"
    script.write_text(WRK_SCRIPT)
    output: list[str] = []
    databases = []
    try:
        with_bakery = not args.no_bakery
        if with_bakery:
            prepare_bakery()
        sizes = [args.resources] + [int(n) for n in args.alone.split(",") if n]
        for index, size in enumerate(sizes):
            side_by_side = with_bakery and index == 0
            folder = scratch / f"learnhub-{size}"
            folder.mkdir()
            database_url, admin_url = create_database(folder)
            databases.append((database_url, admin_url))
            env = learnhub_env(database_url, folder)
            log(f"Learnhub with the demo content + {size} resources")
            prepare_learnhub(env, folder, size)
            ports = {"learnhub": free_port()}
            start_gunicorn(processes, f"learnhub-{size}", sys.executable, "cms.wsgi:application", ROOT, env,
                           ports["learnhub"])  # fmt: skip
            wait_for(ports["learnhub"], "/health/liveness/", processes)
            resource = learnhub_resource_path(env)
            bakery_paths = {}
            if side_by_side:
                ports["bakery"] = free_port()
                start_gunicorn(processes, "bakery", bakery_python(), "bakerydemo.wsgi:application", BAKERY,
                               bakery_env(), ports["bakery"])  # fmt: skip
                wait_for(ports["bakery"], "/", processes)
                bakery_paths = {"post": bakery_blog_post(ports["bakery"])}
            pairs = [
                (resource, bakery_paths.get("post")),
                ("/catalog/", "/blog/" if side_by_side else None),
                ("/explore/", "/" if side_by_side else None),
                ("/", "/" if side_by_side else None),
                ("/search/?q=calculus", "/search/?q=bread" if side_by_side else None),
                ("/news/", "/blog/" if side_by_side else None),
                ("/events/", "/blog/" if side_by_side else None),
                ("/api/v1/resources/", "/api/v2/pages/" if side_by_side else None),
                ("/api/v2/pages/", "/api/v2/pages/" if side_by_side else None),
                ("/search/?q=calculus&mode=hybrid", "/search/?q=bread" if side_by_side else None),
            ]
            warm(ports["learnhub"], [p[0] for p in pairs])
            queries_l = count_queries(sys.executable, ROOT, env, [p[0] for p in pairs])
            # The same requests with the anonymous page cache off: what the views themselves cost.
            uncached_l = count_queries(sys.executable, ROOT, {**env, "PAGE_CACHE_SECONDS": "0"}, [p[0] for p in pairs])
            queries_b = {}
            if side_by_side:
                warm(ports["bakery"], sorted({p[1] for p in pairs}))
                queries_b = count_queries(bakery_python(), BAKERY, bakery_env(), sorted({p[1] for p in pairs}))
            samples = measure(pairs, ports, args, script)
            label = (
                f"Learnhub (demo + {size:,} resources) vs bakerydemo" if side_by_side else f"Learnhub alone, {size:,}"
            )
            output += table(pairs, samples, queries_l, queries_b, label, uncached_l) + [""]
            for name in list(processes.started):
                if name.startswith("learnhub"):
                    proc = processes.started.pop(name)
                    Processes._signal(proc, 15)
                    proc.wait(timeout=20)
        settings = (
            f"gunicorn 2 sync workers each, wrk -t1 -c{args.connections} -d{args.duration}s, median of "
            f"{args.rounds} rounds, pairs alternated; {os.cpu_count()} cores; DATABASE_URL "
            f"{'PostgreSQL' if os.environ.get('DATABASE_URL', '').startswith('postgres') else 'SQLite'}; "
            f"PAGE_CACHE_SECONDS {args.page_cache_seconds if args.page_cache_seconds is not None else 'default'}; "
            f"load average at the end {', '.join(f'{x:.1f}' for x in os.getloadavg())}; Learnhub SQL: warm "
            f"(with the page cache off in brackets)"
        )
        output.append(settings)
        return output
    finally:
        processes.stop_all(timeout=10)
        for database_url, admin_url in databases:
            drop_database(database_url, admin_url)
        if args.keep:
            log(f"kept {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--resources", type=int, default=10_000, help="generated resources beside the demo")
    parser.add_argument("--alone", default="", help="comma-separated sizes to measure Learnhub alone at")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=2)
    parser.add_argument("--no-bakery", action="store_true", help="Learnhub only")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder (logs, databases)")
    parser.add_argument("--page-cache-seconds", type=int, default=None,
                        help="Learnhub PAGE_CACHE_SECONDS (0: views without the page cache)")  # fmt: skip
    args = parser.parse_args()
    global PAGE_CACHE_SECONDS
    PAGE_CACHE_SECONDS = args.page_cache_seconds
    lines = run(args)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
