"""Marketing pages: resources' own pages fetched over real HTTP (pytest-httpserver) through the SSRF guard, their
main content sanitised into full_description through the loader's partial update; locks, dry runs, run history."""

import json

from django.core.management import call_command

import pytest

from catalog.loader import load_resources
from catalog.models import LearningResource
from catalog.signals import resources_changed
from importers.models import ImportRun
from importers.registry import get_source
from importers.runner import run_import
from importers.sources.marketing_pages import main_content

pytestmark = pytest.mark.django_db

PAGE = """<!doctype html>
<html><head><title>Applied Data Science | MIT xPRO</title><script>window.tracking = 1;</script></head>
<body>
<header><nav><a href="/">Home</a> <a href="/programs">All programs</a> <a href="/login">Sign in</a></nav></header>
<main>
  <article>
    <h1>Applied Data Science Program</h1>
    <p>This twelve-week program teaches the data science methods that organisations use to turn data into
       decisions: regression, classification, clustering and recommendation systems, with case studies from
       industry and hands-on projects in Python.</p>
    <p>Learners work through <a href="/programs/ads/syllabus">the syllabus</a> with MIT faculty, meet weekly in
       live sessions, and finish with a capstone project reviewed by practitioners.</p>
    <p onclick="steal()">Who should enrol: analysts, engineers and managers who want to lead data projects with
       confidence and speak the language of their data teams.</p>
    <script>steal()</script>
  </article>
</main>
<footer><p>Copyright MIT xPRO. Privacy policy. Accessibility. Cookie settings.</p></footer>
</body></html>"""

SHELL = """<!doctype html><html><head><title>App</title></head><body><div id="root"></div>
<script src="/bundle.js"></script></body></html>"""


def course(source_id, url, **fields):
    return {"resource_type": "course", "source_id": source_id, "title": f"Course {source_id}", "url": url, **fields}


@pytest.fixture
def site(httpserver, allow_local_http, settings):
    settings.MARKETING_PAGE_SOURCES = ["xpro"]
    settings.IMPORTER_HTTP_RETRIES = 0
    httpserver.expect_request("/programs/ads").respond_with_data(PAGE, content_type="text/html; charset=utf-8")
    httpserver.expect_request("/programs/locked").respond_with_data(PAGE, content_type="text/html")
    httpserver.expect_request("/programs/shell").respond_with_data(SHELL, content_type="text/html")
    httpserver.expect_request("/programs/json").respond_with_json({"not": "a page"})
    httpserver.expect_request("/programs/gone").respond_with_data("gone", status=404)
    load_resources(
        "xpro",
        [
            course("ads", httpserver.url_for("/programs/ads"), description="<p>Short summary.</p>"),
            course("locked", httpserver.url_for("/programs/locked")),
            course("shell", httpserver.url_for("/programs/shell")),
            course("json", httpserver.url_for("/programs/json")),
            course("gone", httpserver.url_for("/programs/gone")),
            # The cloud metadata address: the SSRF guard refuses it before any connection.
            course("private", "http://169.254.169.254/latest/meta-data/"),
        ],
    )
    load_resources("mitpe", [course("other", httpserver.url_for("/programs/ads"))])  # not a configured source
    LearningResource.objects.filter(source_id="locked").update(
        full_description="<p>Written by an editor.</p>", locked_fields=["full_description"]
    )
    return httpserver


def test_main_content_leaves_navigation_scripts_and_footer_out():
    html = main_content(PAGE.encode(), "https://xpro.mit.edu/programs/ads")
    assert "twelve-week program" in html and "capstone project" in html and "Who should enrol" in html
    assert '<a href="https://xpro.mit.edu/programs/ads/syllabus"' in html  # relative links made absolute
    for left_out in ("Sign in", "All programs", "Copyright", "Cookie settings", "<script", "steal()", "onclick"):
        assert left_out not in html
    assert main_content(SHELL.encode(), "https://example.org/") == ""
    assert main_content(b"", "") == ""


def test_a_run_stores_the_main_content_as_full_description(site, django_capture_on_commit_callbacks):
    received = []

    def receiver(sender, changed_ids, removed_ids, **kwargs):
        received.extend(changed_ids)

    resources_changed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            run = run_import("marketing_pages", trigger="cli")
    finally:
        resources_changed.disconnect(receiver)

    assert run.status == ImportRun.Status.SUCCEEDED, run.message
    rows = {row.source_id: row for row in LearningResource.objects.all()}
    ads = rows["ads"]
    assert "twelve-week program" in ads.full_description and "Sign in" not in ads.full_description
    assert "<script" not in ads.full_description and "onclick" not in ads.full_description
    assert ads.description == "<p>Short summary.</p>"  # the catalogue source's summary stays
    assert received == [ads.pk]

    locked = rows["locked"]
    assert locked.full_description == "<p>Written by an editor.</p>"
    assert "twelve-week program" in locked.source_values["full_description"]
    assert rows["other"].full_description == ""  # mitpe's pages are not read

    errors = {e["source_id"]: e["message"] for e in run.errors}
    assert set(errors) == {"shell", "json", "gone", "private"}
    assert "non-public address 169.254.169.254" in errors["private"]
    assert "404" in errors["gone"]
    assert "not HTML (content type application/json)" in errors["json"]
    assert "no main content" in errors["shell"]
    assert (run.records, run.updated, run.failed) == (6, 2, 4)
    for name in ("shell", "json", "gone", "private"):
        assert rows[name].full_description == ""

    # Five pages fetched on the test server (the private address never left the process), mitpe's not among them.
    paths = sorted(request.path for request, _ in site.log)
    assert paths == ["/programs/ads", "/programs/gone", "/programs/json", "/programs/locked", "/programs/shell"]
    index = json.loads(next(d for d in run.snapshot.documents if d["name"] == "pages.json") and _index(run))
    assert {entry["source_id"] for entry in index} == {"ads", "locked", "shell", "json", "gone", "private"}


def _index(run):
    from importers.snapshots import SnapshotStore

    snapshot = SnapshotStore().load(run.snapshot)
    return snapshot.document("pages.json").content


def test_a_dry_run_writes_nothing_and_says_what_would_change(site):
    run = run_import("marketing_pages", trigger="cli", dry_run=True)
    assert run.status == ImportRun.Status.SUCCEEDED and run.dry_run
    assert run.diff["would_update_count"] == 2
    assert {example["source_id"] for example in run.diff["would_update"]} == {"ads", "locked"}
    assert not LearningResource.objects.filter(full_description__contains="twelve-week").exists()


def test_a_later_catalogue_load_keeps_the_pages_description(site):
    run_import("marketing_pages", trigger="cli")
    load_resources(
        "xpro",
        [course("ads", site.url_for("/programs/ads"), title="Applied Data Science (new run)")],
        full_snapshot=False,
    )
    row = LearningResource.objects.get(source_id="ads")
    assert row.title == "Applied Data Science (new run)" and "twelve-week program" in row.full_description


def test_not_configured_scheduled_runs_are_skipped_not_failed(settings):
    settings.MARKETING_PAGE_SOURCES = []
    run = run_import("marketing_pages", trigger="schedule")
    assert run.status == ImportRun.Status.SKIPPED
    assert run.message == "not configured: no catalogue source's pages are read: set MARKETING_PAGE_SOURCES"
    cli = run_import("marketing_pages", trigger="cli")  # asked for by hand: a clear failure
    assert cli.status == ImportRun.Status.FAILED and "set MARKETING_PAGE_SOURCES" in cli.message
    assert get_source("marketing_pages", {"sources": ["xpro"]}).not_configured() == ""


def test_listed_with_its_schedule(settings):
    from io import StringIO

    out = StringIO()
    call_command("import", "--list", stdout=out)
    assert "marketing_pages" in out.getvalue()
