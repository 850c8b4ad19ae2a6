#!/usr/bin/env python
"""Benchmark Ask's extractive path (no language model): time to the first streamed byte and to the first answer
text of POST /api/v1/ask/, read by a real HTTP client from a threaded WSGI server in this process.

    .venv/bin/python bench/bench_ask.py [--n 1000] [--repeat 3] [--append]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_ask .venv/bin/python bench/bench_ask.py

Runs on a scratch database (Django's test database for DATABASE_URL), migrated, then dropped: `--n` demo records
(`catalog.demo.generate_records`) loaded with `load_resources` and indexed with the database engine's rebuild.
One warm-up question (it loads the query encoder the hybrid search tries first), then each question of QUESTIONS
`--repeat` times. Target: first streamed byte ≤ 1 s. `--append` adds the results to bench/RESULTS.md.
"""

import argparse
import os
import statistics
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.test")

QUESTIONS = [
    "I want to learn data analysis in Python, free, no background",
    "an introductory course on machine learning",
    "podcasts about economics",
    "how do neural networks learn?",
    "free courses on climate and energy",
    "something on supply chain management for beginners",
    "advanced linear algebra",
    "underwater basket weaving",
]


def setup_scratch_database():
    import django

    django.setup()
    from django.db import connection

    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    return connection, old_name


def serve():
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    server = ThreadedWSGIServer(("127.0.0.1", 0), Quiet, allow_reuse_address=True)
    server.set_app(WSGIHandler())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server


def ask_once(client, url: str, question: str) -> tuple[float, float, float, int]:
    """(first byte, first answer text, whole answer) in seconds, and the number of citations."""
    import json

    started = time.perf_counter()
    first_byte = first_text = None
    citations = 0
    with client.stream("POST", url, json={"question": question}, headers={"Accept": "text/event-stream"}) as response:
        response.raise_for_status()
        name = None
        for line in response.iter_lines():
            now = time.perf_counter() - started
            if first_byte is None:
                first_byte = now
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                if name == "delta" and first_text is None:
                    first_text = now
                if name == "citations":
                    citations = len(json.loads(line[6:])["citations"])
    return first_byte, first_text, time.perf_counter() - started, citations


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1000, help="demo records in the catalogue (default 1000)")
    parser.add_argument("--repeat", type=int, default=3, help="passes over the questions (default 3)")
    parser.add_argument("--append", action="store_true", help="append the results to bench/RESULTS.md")
    args = parser.parse_args()
    connection, old_name = setup_scratch_database()
    server = None
    try:
        from django.conf import settings

        import httpx

        from catalog.demo import generate_records
        from catalog.loader import load_resources
        from search.documents import all_documents, document_count
        from search.engines import get_engine

        settings.ASK_MODEL = ""  # the extractive path
        settings.ASK_RATE_PER_MINUTE = settings.ASK_RATE_PER_DAY = 0  # the bench is one learner asking a lot
        settings.ALLOWED_HOSTS = ["*"]
        started = time.perf_counter()
        load_resources("demo", generate_records(args.n))
        get_engine("database").rebuild(all_documents(), total=document_count())
        took = time.perf_counter() - started
        print(f"Ask bench on {connection.vendor}: {args.n} records loaded and indexed in {took:.1f} s")
        server = serve()
        url = f"http://127.0.0.1:{server.server_address[1]}/api/v1/ask/"
        with httpx.Client(timeout=60) as client:
            warm = ask_once(client, url, "warm up: calculus")
            print(
                f"  warm-up: first byte {warm[0] * 1000:.0f} ms, first text {warm[1] * 1000:.0f} ms, "
                f"whole {warm[2] * 1000:.0f} ms"
            )
            samples = [ask_once(client, url, question) for _ in range(args.repeat) for question in QUESTIONS]
        first_bytes = [s[0] * 1000 for s in samples]
        first_texts = [s[1] * 1000 for s in samples]
        wholes = [s[2] * 1000 for s in samples]
        load = os.getloadavg()[0]
        summary = (
            f"| {connection.vendor} | {args.n} | {len(samples)} | {statistics.median(first_bytes):.0f} / "
            f"{pct(first_bytes, 0.95):.0f} ms | {statistics.median(first_texts):.0f} / "
            f"{pct(first_texts, 0.95):.0f} ms | "
            f"{statistics.median(wholes):.0f} / {pct(wholes, 0.95):.0f} ms | {load:.1f} |"
        )
        print(
            f"  first byte  p50 {statistics.median(first_bytes):6.0f} ms  p95 {pct(first_bytes, 0.95):6.0f} ms  "
            "(target <= 1000 ms)"
        )
        print(f"  first text  p50 {statistics.median(first_texts):6.0f} ms  p95 {pct(first_texts, 0.95):6.0f} ms")
        print(f"  whole       p50 {statistics.median(wholes):6.0f} ms  p95 {pct(wholes, 0.95):6.0f} ms")
        print(f"  load average {load:.1f}")
        if args.append:
            append_results(summary)
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)


HEADER = """
## Ask, extractive path (`bench/bench_ask.py`)

`.venv/bin/python bench/bench_ask.py --append` — POST /api/v1/ask/ with no language model configured, read as
Server-Sent Events by httpx from a threaded WSGI server in the same process, on a scratch database with demo
records; 8 questions × 3 passes after one warm-up. "First byte" is the stream's opening comment (sent before
retrieval), "first text" the first `delta` event (after the search ran), "whole" the `done` event.
Target: first streamed byte ≤ 1 s.

| database | records | questions | first byte p50/p95 | first text p50/p95 | whole p50/p95 | load avg | measured |
|---|---|---|---|---|---|---|---|
"""


def append_results(row: str) -> None:
    """Add `row` to the Ask section's table (created at the end of RESULTS.md the first time)."""
    path = ROOT / "bench" / "RESULTS.md"
    text = path.read_text()
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    if "## Ask, extractive path" not in text:
        text = text.rstrip("\n") + "\n" + HEADER
    lines = text.rstrip("\n").split("\n")
    section = next(i for i, line in enumerate(lines) if line.startswith("## Ask, extractive path"))
    last_row = max(i for i, line in enumerate(lines) if i > section and line.startswith("|"))
    lines.insert(last_row + 1, f"{row} {stamp} |")
    path.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
