"""Catalogue images come from the site itself: a page never makes a request to another host.

The first catalogue screen's resources get a third-party `image_url`; half of them also get an image stored on the
site (as importers.images stores one), the others are fetched by the site's own `fetch_resource_images` command,
which cannot reach that host (`.invalid`) and records why. Chromium then loads /catalog/, a resource page of each
kind and the search page while every request is recorded.
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import pytest

THIRD_PARTY = "https://images.thirdparty.invalid/photos/{}.jpg"
PLACEHOLDER = re.compile(r"/static/img/resource-placeholder(\.[0-9a-f]+)?\.svg$")

SETUP = """
import io, json
from PIL import Image
from django.core.files.images import ImageFile
from wagtail.images import get_image_model
from catalog.images import all_specs
from catalog.models import LearningResource
from importers.images import imported_collection

slugs = json.loads({slugs!r})
rows = list(LearningResource.objects.filter(slug__in=slugs).order_by("pk"))
for row in rows:
    LearningResource.objects.filter(pk=row.pk).update(image_url={url!r}.format(row.pk))
buffer = io.BytesIO()
Image.new("RGB", (1200, 675), (30, 90, 160)).save(buffer, format="PNG")
image = get_image_model()(title="browser-test image", collection=imported_collection())
image.file = ImageFile(buffer, name="browser-test.png")
image.save()
image.get_renditions(*all_specs())
stored = [row.pk for row in rows[::2]]
for pk in stored:
    LearningResource.objects.filter(pk=pk).update(
        stored_image=image, image_fetch_status="stored", image_fetched_url={url!r}.format(pk)
    )
print(json.dumps({{"stored": stored, "all": [row.pk for row in rows]}}))
"""

STATUS = """
import json
from catalog.models import LearningResource
rows = LearningResource.objects.filter(pk__in={ids!r}).values("pk", "slug", "image_fetch_status", "image_fetch_error")
print(json.dumps(list(rows)))
"""


def last_json(output: str):
    """The JSON line a shell snippet printed last (`shell` may print its auto-import count first)."""
    return json.loads(output.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def pictured(browser_site, browser):
    """Slugs of the first catalogue screen's resources, now with third-party image URLs: {"stored", "failed"}."""
    context = browser.new_context(base_url=browser_site.url)
    page = context.new_page()
    page.goto("/catalog/")
    hrefs = page.eval_on_selector_all(
        "main article a[href^='/catalog/'], main li a[href^='/catalog/']", "els => els.map(e => e.getAttribute('href'))"
    )
    context.close()
    slugs = sorted({m.group(1) for h in hrefs if (m := re.fullmatch(r"/catalog/([^/]+)/", h))})
    assert len(slugs) >= 6, f"the demo catalogue's first page lists too few resources: {slugs}"
    made = last_json(browser_site.shell(SETUP.format(slugs=json.dumps(slugs), url=THIRD_PARTY)))
    # The others go through the real fetch: the host cannot be reached, the reason is recorded.
    output = browser_site.manage("fetch_resource_images").stdout
    assert "failed" in output, output
    rows = last_json(browser_site.shell(STATUS.format(ids=made["all"])))
    stored = [r["slug"] for r in rows if r["pk"] in made["stored"]]
    failed = [r for r in rows if r["pk"] not in made["stored"]]
    assert failed and all(r["image_fetch_status"] == "failed" and r["image_fetch_error"] for r in failed), failed
    assert all("images.thirdparty.invalid" in r["image_fetch_error"] for r in failed), failed
    return {"stored": stored, "failed": [r["slug"] for r in failed]}


def record_requests(page) -> list[str]:
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    return urls


def visit(page, path: str) -> None:
    page.goto(path)
    # Lazy images load when they come near the viewport: scroll through the page.
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    page.wait_for_load_state("networkidle")


def other_hosts(urls: list[str], site_url: str) -> list[str]:
    site = urlsplit(site_url).netloc
    return [url for url in urls if urlsplit(url).scheme in ("http", "https") and urlsplit(url).netloc != site]


def test_catalogue_resource_and_search_pages_request_only_the_site(browser_site, page_at, pictured):
    page = page_at
    urls = record_requests(page)
    paths = [
        "/catalog/",
        f"/catalog/{pictured['stored'][0]}/",
        f"/catalog/{pictured['failed'][0]}/",
        "/search/?q=learning",
    ]
    for path in paths:
        visit(page, path)
        assert other_hosts(urls, browser_site.url) == [], f"{path} requested another host"

    # The stored images were shown responsively from the site, the others as the local placeholder.
    page.goto("/catalog/")
    images = page.eval_on_selector_all(
        "main img", "els => els.map(e => ({src: e.getAttribute('src'), srcset: e.getAttribute('srcset') || ''}))"
    )
    assert any(img["srcset"].count("/media/images/") >= 2 for img in images), images
    assert any(PLACEHOLDER.search(img["src"]) for img in images), images
    assert not any("thirdparty" in img["src"] + img["srcset"] for img in images)
    assert any("/media/images/" in url for url in urls)
    assert any(PLACEHOLDER.search(url) for url in urls)
    # ... and they load: the production-settings site serves its own renditions (media on local disk).
    page.wait_for_load_state("load")
    stored = page.eval_on_selector_all(
        "main img[srcset*='/media/images/']", "els => els.map(e => ({src: e.currentSrc, width: e.naturalWidth}))"
    )
    assert stored and all(img["width"] > 0 for img in stored), stored
