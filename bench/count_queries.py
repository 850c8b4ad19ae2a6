#!/usr/bin/env python
"""Count the SQL queries each path costs, warm (the second request), in whichever Django project runs it.

    cd PROJECT && DJANGO_SETTINGS_MODULE=... python /path/to/bench/count_queries.py PATH [PATH ...]

Prints one JSON object: {path: {"status": int, "queries": int}}. Used by bench_pages.py for Learnhub and for
bakerydemo alike (standard library and Django only), so both sides are counted the same way: Django's test client
in one process, the path requested twice, the second request's queries counted.
"""

import json
import os
import sys


def main(paths: list[str]) -> int:
    sys.path.insert(0, os.getcwd())
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    counts = {}
    for path in paths:
        client.get(path)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        counts[path] = {"status": response.status_code, "queries": len(queries.captured_queries)}
    print(json.dumps(counts))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
