"""Browser tests: Playwright drives Debian's chromium against a real Learnhub, served the way production serves it.

The site (`browser_site`, once per session) is a separate installation, not pytest-django's test database:
production settings (DEBUG off, WhiteNoise, secure cookies), gunicorn with 2 workers and a django-q2 worker per
queue, on its own database — a SQLite file, or a PostgreSQL database named after `DATABASE_URL`'s with a
`_browser` suffix when the suite runs on PostgreSQL — migrated and loaded with the demo content. Tests change it
only through the browser, HTTP, or `browser_site.manage(...)` (a management command against the same database),
and each test uses names of its own, so the tests do not depend on their order.

Fixtures:
- `browser`: one chromium for the session (`LEARNHUB_CHROMIUM`, else `chromium` on the PATH; Playwright never
  downloads a browser);
- `desktop` / `phone`: a new page at 1280x800 / 390x844 (a touch phone); `page_at` is parametrised over both
  (`page_at.width_name` is "desktop" or "phone");
- `admin_page`: a desktop page signed in to the Wagtail admin as the demo admin;
- `axe_violations(page)`: axe-core's serious and critical violations on the page as it is.
Each page's last state is saved as a screenshot in var/test-artifacts/browser/ (not committed).
"""

from __future__ import annotations

import contextlib
import html
import http.server
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.support.network import free_port

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "var" / "test-artifacts" / "browser"
QUEUES = ("default", "content", "embeddings")
ADMIN_USER = "admin"
ADMIN_PASSWORD = "browser-tests-admin-pw"  # noqa: S105 - a throwaway site on loopback
WIDTHS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


def pytest_collection_modifyitems(items):
    for item in items:
        if "/tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


def chromium_path() -> str:
    path = os.environ.get("LEARNHUB_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.fail(
            "Debian's chromium is not installed: the browser tests need it (`make browser-deps`, or "
            "`apt-get install chromium`; LEARNHUB_CHROMIUM=/path/to/chrome for another build)",
            pytrace=False,
        )
    return path


@dataclass
class BrowserSite:
    """The running site: its URL, its environment, and a way to run its management commands."""

    url: str
    env: dict[str, str]
    workdir: Path
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    admin_user: str = ADMIN_USER
    admin_password: str = ADMIN_PASSWORD

    def manage(self, *args: str, check: bool = True, timeout: float = 600) -> subprocess.CompletedProcess:
        """`manage.py ARGS` against the site's database; its output is returned (and shown when it fails)."""
        result = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=REPO, env=self.env, capture_output=True, text=True,
            timeout=timeout,
        )  # fmt: skip
        if check and result.returncode != 0:
            command = " ".join(args)
            raise AssertionError(f"manage.py {command} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        return result

    def shell(self, code: str) -> str:
        """Run Python in `manage.py shell -c` against the site's database and return what it printed."""
        return self.manage("shell", "-c", code).stdout

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        request = urllib.request.Request(self.url + path, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers), exc.read()

    def log(self, name: str) -> str:
        path = self.workdir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""


def _database_url(workdir: Path) -> tuple[str, str | None]:
    """The site's database URL, and the PostgreSQL database to drop afterwards (None on SQLite)."""
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith(("postgres://", "postgresql://")):
        return f"sqlite:///{workdir / 'site.sqlite3'}", None
    parts = urlsplit(base)
    name = f"{parts.path.lstrip('/') or 'learnhub'}_browser_{os.getpid()}"
    _postgres(base, f'DROP DATABASE IF EXISTS "{name}"')
    _postgres(base, f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path="/" + name)), name


def _postgres(url: str, statement: str) -> None:
    import psycopg

    parts = urlsplit(url)
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as connection:
        connection.execute(statement)


def _wait_until_answering(site: BrowserSite, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name, process in site.processes.items():
            if process.poll() is not None:
                output = site.log(name)[-4000:]
                raise RuntimeError(f"{name} exited with {process.returncode} during start-up:\n{output}")
        try:
            status, _, _ = site.get("/health/readiness/")
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"the browser-test site did not answer within {timeout:.0f} s:\n{site.log('web')[-4000:]}")


def _stop(processes, grace: float = 8.0) -> None:
    """SIGTERM every process group at once, then SIGKILL the groups still running after the grace period."""
    processes = [p for p in processes if p.poll() is None]
    for process in processes:
        os.killpg(process.pid, 15)
    deadline = time.monotonic() + grace
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait()


class HeadlessFrontend:
    """A stand-in for the Next.js frontend's preview route, over real HTTP: GET /preview?content_type=..&token=..
    fetches the draft from the site's `/api/v2/page_preview/` and renders its title and its blocks' headings and
    resource titles, as the frontend would."""

    def __init__(self, port: int):
        self.url = f"http://127.0.0.1:{port}/preview"
        self.site_url = ""
        frontend = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                query = urlsplit(self.path).query
                api = f"{frontend.site_url}/api/v2/page_preview/?{query}"
                try:
                    with urllib.request.urlopen(api, timeout=30) as response:  # noqa: S310 - loopback
                        page = json.load(response)
                    body = frontend.render(page)
                    status = 200
                except urllib.error.HTTPError as exc:
                    body, status = f"<h1>Preview failed: {exc.code}</h1>", 502
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @staticmethod
    def render(page: dict) -> str:
        parts = [f"<h1>{html.escape(page.get('title', ''))}</h1>"]
        for block in page.get("body", []):
            value = block.get("value")
            if isinstance(value, dict):
                if value.get("heading"):
                    parts.append(f"<h2>{html.escape(str(value['heading']))}</h2>")
                for resource in value.get("resources", []) or []:
                    parts.append(f"<p class=resource>{html.escape(resource.get('title', ''))}</p>")
        return "<!doctype html><title>Frontend preview</title><main>" + "".join(parts) + "</main>"


@pytest.fixture(scope="session")
def headless_frontend():
    frontend = HeadlessFrontend(free_port())
    yield frontend
    frontend.server.shutdown()


# The site's installation in one Django process (`make run`'s steps: migrate, demo content, admin password) while
# collectstatic, which only reads static/ and writes static_collected/, runs beside it: four `manage.py` processes in
# a row spent their start-ups and left the second core idle while WhiteNoise compressed the files.
INSTALL = (
    "from django.core.management import call_command; "
    "call_command('load_demo_content', migrate=True); "
    "call_command('demo_admin')"
)


def _install(site: BrowserSite) -> None:
    collect = subprocess.Popen(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"], cwd=REPO, env=site.env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        site.shell(INSTALL)
    finally:
        output, _ = collect.communicate(timeout=600)
    if collect.returncode != 0:
        raise AssertionError(f"manage.py collectstatic failed ({collect.returncode}):\n{output}")


@pytest.fixture(scope="session")
def browser_site(tmp_path_factory, headless_frontend):
    workdir = tmp_path_factory.mktemp("browser-site")
    port = free_port()
    headless_frontend.site_url = f"http://127.0.0.1:{port}"
    database_url, pg_name = _database_url(workdir)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cms.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SITE_URL": f"http://127.0.0.1:{port}",
        "SECURE_SSL_REDIRECT": "0",
        "DATABASE_URL": database_url,
        "MEDIA_ROOT": str(workdir / "media"),
        "SNAPSHOT_ROOT": str(workdir / "snapshots"),
        "QDRANT_EDGE_PATH": str(workdir / "qdrant"),
        "IMPORT_TEMP_DIR": str(workdir / "tmp"),
        "DEMO_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "HEADLESS_PREVIEW_CLIENT_URL": headless_frontend.url,
        "Q_WORKERS": "1",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("REDIS_URL", None)
    site = BrowserSite(url=f"http://127.0.0.1:{port}", env=env, workdir=workdir)
    try:
        _install(site)
        commands = {
            "web": [sys.executable, "-m", "gunicorn", "cms.wsgi", "--workers", "2", "--bind", f"127.0.0.1:{port}"],
            **{queue: [sys.executable, "manage.py", "qcluster"] for queue in QUEUES},
        }
        for name, argv in commands.items():
            log = (workdir / f"{name}.log").open("w")
            extra = {"Q_CLUSTER_NAME": name} if name in QUEUES else {}
            site.processes[name] = subprocess.Popen(
                argv, cwd=REPO, env={**env, **extra}, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        _wait_until_answering(site, timeout=120)
        yield site
    finally:
        _stop(site.processes.values())
        if pg_name:
            _postgres(os.environ["DATABASE_URL"], f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=["--disable-gpu"])
        yield chromium
        chromium.close()


def _artifact_name(request, suffix: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid.split("tests/browser/", 1)[-1])
    return ARTIFACTS / f"{name}{suffix}.png"


@pytest.fixture
def new_page(browser, browser_site, request):
    """`new_page(width_name="desktop", javascript=True)`: a fresh browser context and page on the site."""
    contexts = []

    def make(width_name: str = "desktop", javascript: bool = True):
        options = {"viewport": WIDTHS[width_name], "base_url": browser_site.url, "java_script_enabled": javascript}
        if width_name == "phone":
            options.update(is_mobile=True, has_touch=True, device_scale_factor=2)
        context = browser.new_context(**options)
        context.set_default_timeout(15_000)
        contexts.append((width_name, context))
        page = context.new_page()
        page.width_name = width_name
        return page

    yield make
    for index, (width_name, context) in enumerate(contexts):
        for page in context.pages:
            with contextlib.suppress(Exception):  # an artefact, never a reason to fail
                page.screenshot(path=str(_artifact_name(request, f"-{index}-{width_name}")), full_page=True)
        context.close()


@pytest.fixture
def desktop(new_page):
    return new_page("desktop")


@pytest.fixture
def phone(new_page):
    return new_page("phone")


@pytest.fixture(params=list(WIDTHS))
def page_at(new_page, request):
    return new_page(request.param)


def sign_in(page, site: BrowserSite, next_path: str = "/admin/"):
    page.goto(f"/admin/login/?next={next_path}")
    page.fill("input[name=username]", site.admin_user)
    page.fill("input[name=password]", site.admin_password)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/admin/"))
    return page


@pytest.fixture
def admin_page(new_page, browser_site):
    return sign_in(new_page("desktop"), browser_site)


@pytest.fixture(scope="session")
def axe_violations():
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()

    def run(page, impacts=("serious", "critical")) -> list[dict]:
        results = axe.run(page)
        return [
            {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in results.response["violations"]
            if v.get("impact") in impacts
        ]

    return run
