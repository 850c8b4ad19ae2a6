"""The Content-Security-Policy in chromium (cms/security_headers.py): the public pages, the API docs and the admin
work under it with zero violations and no console errors.

Violations are collected from `securitypolicyviolation` events in every frame (an init script, which the policy
does not govern) and from chromium's console ("Refused to ..." messages are console errors)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.learner_pages import public_pages
from tests.browser.test_editor import explore_page_id, search_chooser, shell_value

COLLECT = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__csp.push(`${event.effectiveDirective} blocked ${event.blockedURI || "inline"} `
    + `at ${event.sourceFile || document.location.pathname}:${event.lineNumber}`);
});
"""
# Console noise that is not about the policy and not an error of ours.
# 404s: the production-like site serves no media (demo renditions); ERR_NAME_NOT_RESOLVED: the test machine has no
# internet (Redoc's Google Fonts, Wagtail's update check: the policy allows both; a blocked request would be a
# violation, which is checked first).
IGNORED_CONSOLE = (
    re.compile(r"Failed to load resource: the server responded with a status of 404"),
    re.compile(r"Failed to load resource: net::ERR_(NAME_NOT_RESOLVED|INTERNET_DISCONNECTED)"),
    re.compile(r"Error fetching https://releases\.wagtail\.org/latest\.txt\. Error: TypeError: Failed to fetch"),
)


class Watch:
    """Collect CSP violations and console errors of a page (all frames)."""

    def __init__(self, page):
        self.page = page
        self.console: list[str] = []
        page.context.add_init_script(COLLECT)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.console.append(f"page error: {error}"))

    def _console(self, message):
        if message.type == "error" and not any(pattern.search(message.text) for pattern in IGNORED_CONSOLE):
            self.console.append(f"{self.page.url}: {message.text}")

    def violations(self) -> list[str]:
        # This site's frames only: a third-party frame (a video embed, unreachable offline) may never get a document
        # to evaluate in; violations inside it would be its own policy's anyway.
        origin = re.match(r"https?://[^/]+", self.page.url).group(0)
        found = []
        for frame in self.page.frames:
            if frame.url.startswith(origin):
                found += frame.evaluate("window.__csp || []")
        return found

    def assert_clean(self, where: str):
        self.page.wait_for_load_state("load")
        self.page.wait_for_timeout(300)  # violations are reported as events after the element was parsed
        violations = self.violations()
        assert violations == [], f"{where}: CSP violations {violations}"
        assert self.console == [], f"{where}: console errors {self.console}"


@pytest.fixture
def watched(desktop):
    return Watch(desktop)


def test_public_pages_raise_no_violation(watched, browser_site):
    page = watched.page
    pages = public_pages(browser_site)
    for name in (
        "home",
        "landing",
        "catalogue",
        "resource",
        "search",
        "news_index",
        "news_page",
        "events_index",
        "event",
        "topic",
    ):
        response = page.goto(pages[name])
        assert response.ok, name
        assert "script-src 'self';" in response.headers["content-security-policy"] + ";"
        assert "camera=()" in response.headers["permissions-policy"]
        watched.assert_clean(f"{name} ({pages[name]})")
    # The resource page's JSON-LD is a data block: present, and no violation (checked above).
    page.goto(pages["resource"])
    assert page.locator("script[type='application/ld+json']").count() >= 1
    watched.assert_clean("resource JSON-LD")


def test_search_autocomplete_and_the_ask_panel_work_under_the_policy(watched):
    page = watched.page
    page.goto("/")
    page.locator("#home-search-q").press_sequentially("dat", delay=40)
    expect(page.locator("#search-suggestions [role=option]").first).to_be_visible()
    watched.assert_clean("home with suggestions")
    page.goto("/search/?q=data")
    page.locator("summary", has_text="Ask Learnhub").click()
    page.fill("#ask-question", "I want to learn data analysis")
    page.get_by_role("button", name="Ask", exact=True).click()
    # The panel's script (now static/js/ask.js) ran: the answer box opened and says which mode answered.
    expect(page.locator("[data-ask-mode]")).to_have_text(
        re.compile(r"Extractive answer|Answer written by"), timeout=90_000
    )
    watched.assert_clean("search page with the ask panel")


def test_api_docs_work_under_the_policy(watched):
    page = watched.page
    page.goto("/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Learnhub API")
    watched.assert_clean("/api/docs/")
    page.goto("/api/docs/pages/")
    expect(page.locator(".swagger-ui .info .title")).to_be_visible()
    watched.assert_clean("/api/docs/pages/")
    page.goto("/api/redoc/")
    expect(page.locator(".api-info h1, h1").first).to_contain_text("Learnhub API", timeout=30_000)
    watched.assert_clean("/api/redoc/")


@pytest.fixture
def watched_admin(admin_page):
    # The sign-in happened before the watch: add the collector and reload what is open.
    watch = Watch(admin_page)
    admin_page.reload()
    return watch


def test_admin_pages_raise_no_violation(watched_admin, browser_site):
    page = watched_admin.page
    response = page.goto("/admin/")
    assert "'unsafe-inline'" in response.headers["content-security-policy"]
    watched_admin.assert_clean("dashboard")
    for path in (
        "/admin/images/multiple/add/",
        "/admin/imports/",
        "/admin/imports/csv_catalog/",
        "/admin/pages/",
        "/django-admin/",
    ):
        assert page.goto(path).ok, path
        watched_admin.assert_clean(path)


def test_page_editor_streamfield_and_resource_chooser_raise_no_violation(watched_admin, browser_site):
    page, site = watched_admin.page, browser_site
    course = shell_value(
        site,
        "import json; from catalog.models import LearningResource as R; "
        "c = R.objects.public().filter(resource_type='course').order_by('title').first(); "
        "print('VALUE=' + json.dumps([c.pk, c.title]))",
    )
    page.goto(f"/admin/pages/{explore_page_id(site)}/edit/")
    resource_lists = page.locator("[data-contentpath=body] [data-contentpath]").filter(
        has=page.locator("[data-contentpath=resources]")
    )
    before = resource_lists.count()
    page.locator("[data-contentpath=body] button[title='Insert a block']").last.click()
    page.get_by_role("option", name=re.compile(r"^Resource list")).click()
    expect(resource_lists).to_have_count(before + 1)  # the new block, not the demo's, whatever the machine's speed
    block = resource_lists.last
    block.get_by_role("button", name=re.compile("Choose a catalogue resource")).first.click()
    results = search_chooser(page, course[1], "")
    expect(results.get_by_role("link", name=course[1]).first).to_be_visible()
    watched_admin.assert_clean("page editor with the resource chooser")
    # Wagtail's live preview panel (an iframe of the site itself) and the settings panel's date widgets.
    page.keyboard.press("Escape")
    watched_admin.assert_clean("page editor after the chooser")
