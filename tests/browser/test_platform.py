"""The platform as production serves it: compressed HTML, SITE_URL in links and the API, branded error pages,
favicon and manifest, and Imports admin tables that fit a 1280 px screen."""

import gzip
import json
import re

import pytest
from playwright.sync_api import expect


def test_catalogue_html_is_compressed_to_at_most_10_kb(browser_site):
    status, headers, body = browser_site.get("/catalog/", headers={"Accept-Encoding": "gzip"})
    assert status == 200 and headers.get("Content-Encoding") == "gzip"
    assert len(body) <= 10 * 1024, f"/catalog/ is {len(body)} bytes compressed"
    assert b"<html" in gzip.decompress(body)


def test_links_and_the_pages_api_use_site_url(browser_site):
    site_url = browser_site.env["SITE_URL"]
    status, _, body = browser_site.get("/api/v2/pages/?type=cms.LandingPage")
    assert status == 200
    urls = [item["meta"]["html_url"] for item in json.loads(body)["items"]]
    assert urls and all(url.startswith(site_url + "/") for url in urls), urls
    _, _, sitemap = browser_site.get("/sitemap.xml")
    locations = re.findall(r"<loc>([^<]+)</loc>", sitemap.decode())
    assert locations and all(loc.startswith(site_url + "/") for loc in locations)
    assert "http://localhost" not in sitemap.decode()


def test_a_missing_page_is_the_branded_404(page_at):
    response = page_at.goto("/no-such-page-here/")
    assert response.status == 404
    expect(page_at.locator("h1")).to_have_text("We couldn't find that page")
    expect(page_at.get_by_role("searchbox")).to_be_visible()
    page_at.get_by_role("searchbox").fill("python")
    page_at.get_by_role("searchbox").press("Enter")
    expect(page_at).to_have_url(re.compile(r"/search/\?q=python"))


def test_favicon_and_manifest_are_served(desktop, browser_site):
    desktop.goto("/")
    for selector in ("link[rel=icon][type='image/svg+xml']", "link[rel=manifest]", "link[rel=apple-touch-icon]"):
        href = desktop.locator(selector).first.get_attribute("href")
        assert browser_site.get(href)[0] == 200, href
    manifest_href = desktop.locator("link[rel=manifest]").get_attribute("href")
    manifest = json.loads(browser_site.get(manifest_href)[2])
    base = manifest_href.rsplit("/", 1)[0]
    for icon in manifest["icons"]:
        assert browser_site.get(f"{base}/{icon['src']}")[0] == 200, icon
    assert browser_site.get("/favicon.ico")[0] == 200  # redirected to the static icon


@pytest.fixture(scope="module")
def import_history(browser_site, tmp_path_factory):
    """A real run and a dry run of csv_catalog, so that the Imports tables have rows with long messages."""
    path = tmp_path_factory.mktemp("imports") / "catalogue-export-with-a-rather-long-file-name.csv"
    rows = [
        f"wide-{n},Course number {n} with a long title,<p>x</p>,https://courses.example.org/wide-{n}/,course"
        for n in range(3)
    ]
    path.write_text("id,title,description,url,resource_type\n" + "\n".join(rows) + "\n")
    browser_site.manage("import", "csv_catalog", "--file", str(path), "--no-progress")
    browser_site.manage("import", "csv_catalog", "--file", str(path), "--dry-run", "--force", "--no-progress")


@pytest.mark.parametrize("path", ["/admin/imports/", "/admin/imports/csv_catalog/"])
def test_imports_admin_fits_a_1280_px_screen(admin_page, import_history, path):
    admin_page.goto(path)
    expect(admin_page.locator("table.listing").first).to_be_visible()
    overflow = admin_page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{path} is {overflow} px wider than the window"
    text = admin_page.locator("main").inner_text()
    assert "needs_review" not in text and "succeeded:" not in text
