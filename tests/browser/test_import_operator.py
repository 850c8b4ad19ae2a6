"""The import operator's journey in the Wagtail admin, against the served site: the Imports dashboard → a source →
a dry run → a shrunk snapshot stops for review showing the true number it would unpublish (not just the 20
examples) → approve → the catalogue changes for learners."""

from __future__ import annotations

import json
import re
import time

from playwright.sync_api import expect

SOURCE = "csv_catalog"
PREFIX = "operator-journey"  # this test's own source ids
FULL, KEPT = 40, 10  # 30 of 40 missing: over the 50 % guard, and more than the 20 examples a run keeps


def catalogue_csv(rows: int) -> str:
    lines = ["id,title,url,description"]
    lines += [
        f"{PREFIX}-{n:03d},Operator journey course {n:03d},https://example.org/{PREFIX}/{n:03d}/,A course."
        for n in range(rows)
    ]
    return "\n".join(lines) + "\n"


def query(site, expression: str) -> str:
    """A value read from the site's database (the tests change it only through the browser)."""
    code = (
        "from catalog.models import LearningResource as R; from importers.models import ImportRun; "
        f"mine = R.objects.filter(source={SOURCE!r}, source_id__startswith={PREFIX!r}); print({expression})"
    )
    return site.shell(code).strip().splitlines()[-1]  # after the shell's own "N objects imported" line


def settled_run(site, after: int, *, timeout: float = 120) -> tuple[int, str]:
    """The id and status of the first run of the source newer than run `after`, once the worker has settled it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = query(
            site,
            f"next(([r.pk, r.status] for r in ImportRun.objects.filter(source={SOURCE!r}, pk__gt={after})"
            ".order_by('pk') if r.status not in ('running', 'waiting')), None)",
        )
        if found != "None":
            pk, status = json.loads(found.replace("'", '"'))
            return pk, status
        time.sleep(1)
    raise AssertionError(f"no settled run of {SOURCE} after #{after} within {timeout:.0f} s")


def test_dry_run_review_and_approve(admin_page, browser_site):
    site, page = browser_site, admin_page
    full = site.workdir / "operator-full.csv"
    full.write_text(catalogue_csv(FULL))
    site.manage("import", SOURCE, "--file", str(full), "--no-progress")
    assert query(site, "mine.filter(published=True).count()") == str(FULL)
    shrunk = site.workdir / "operator-shrunk.csv"
    shrunk.write_text(catalogue_csv(KEPT))
    last = int(query(site, f"ImportRun.objects.filter(source={SOURCE!r}).latest('pk').pk"))

    # The dashboard lists the source; its page takes the export's location in the source's settings.
    page.goto("/admin/imports/")
    page.locator(f"a[href='/admin/imports/{SOURCE}/']").first.click()
    expect(page).to_have_url(re.compile(rf"/admin/imports/{SOURCE}/$"))
    page.check("input[name=enabled]")
    page.fill("textarea[name=config]", json.dumps({"path": str(shrunk)}))
    page.click("button[name=save_settings]")
    expect(page.locator("textarea[name=config]")).to_have_value(re.compile(re.escape(str(shrunk))))

    # A dry run: nothing changes, and its page gives the true total that would be unpublished.
    page.get_by_role("button", name="Dry run", exact=True).first.click()
    dry, status = settled_run(site, last)
    assert status == "succeeded"
    page.goto(f"/admin/imports/runs/{dry}/")
    expect(page.locator("#diff-would_unpublish")).to_have_text("30 would be unpublished (showing 20)")
    expect(page.locator("#diff-would_unpublish + .imports-table table tbody tr")).to_have_count(20)
    expect(page.locator("#run-guard")).to_contain_text("guard: 30 of 40 (75%) > 50% limit → would stop for review")
    assert query(site, "mine.filter(published=True).count()") == str(FULL)

    # The real run stops for review: nothing unpublished, the true number shown.
    page.goto(f"/admin/imports/{SOURCE}/")
    page.get_by_role("button", name="Run now", exact=True).click()
    stopped, status = settled_run(site, dry)
    assert status == "needs_review"
    page.goto(f"/admin/imports/runs/{stopped}/")
    expect(page.locator("#review")).to_be_visible()
    expect(page.locator("#diff-would_unpublish")).to_have_text("30 would be unpublished (showing 20)")
    assert query(site, "mine.filter(published=True).count()") == str(FULL)

    # Approve: the same snapshot is imported with force, and learners no longer find the missing courses.
    gone = query(site, f"mine.get(source_id='{PREFIX}-039').slug")
    expect_status = site.get(f"/catalog/{gone}/")[0]
    assert expect_status == 200
    page.get_by_role("button", name="Approve and import").click()
    replay, status = settled_run(site, stopped)
    assert status == "succeeded"
    page.goto(f"/admin/imports/runs/{replay}/")
    expect(page.locator("#diff-would_unpublish")).to_have_text("30 unpublished (showing 20)")
    assert query(site, "mine.filter(published=True).count()") == str(KEPT)
    assert site.get(f"/catalog/{gone}/")[0] == 404
    kept = query(site, f"mine.get(source_id='{PREFIX}-000').slug")
    page.goto(f"/catalog/{kept}/")
    expect(page.locator("h1")).to_contain_text("Operator journey course 000")
