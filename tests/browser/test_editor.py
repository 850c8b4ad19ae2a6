"""Editor journeys in the Wagtail admin: build a landing page section with the resource chooser, preview it,
publish it; schedule a page and watch the site's workers publish it by themselves."""

import json
import re
import secrets
import time
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import expect


def shell_value(site, code: str, key: str = "VALUE"):
    """Run `code` (which prints `KEY=<json>`) in the site's shell and return the JSON value."""
    out = site.shell(code)
    line = next(line for line in out.splitlines() if line.startswith(f"{key}="))
    return json.loads(line.removeprefix(f"{key}="))


def explore_page_id(site) -> int:
    return shell_value(
        site,
        "import json; from cms.models import LandingPage; "
        "print('VALUE=' + json.dumps(LandingPage.objects.get(slug='explore').pk))",
    )


def search_chooser(page, query: str, resource_type: str):
    """Search the open resource chooser modal ("" = "All types"); returns its results once they have arrived."""
    modal = page.locator(".modal-dialog")

    def is_this_search(response):
        if "/catalog-resource-chooser/results/" not in response.url:
            return False
        params = parse_qs(urlsplit(response.url).query, keep_blank_values=True)
        return params.get("q") == [query] and params.get("resource_type", [""]) == [resource_type]

    with page.expect_response(is_this_search) as answer:
        modal.locator("select[name=resource_type]").select_option(resource_type)
        modal.locator("input[name=q]").fill(query)
    assert answer.value.ok
    if resource_type == "":
        assert "resource_type=" in answer.value.url  # what "All types" sends: an empty filter
    results = modal.locator("#search-results")
    expect(results.locator("[role=alert]")).to_be_visible()
    return results


def test_build_preview_and_publish_a_resource_list_on_the_landing_page(admin_page, browser_site, headless_frontend):
    page, site = admin_page, browser_site
    marker = secrets.token_hex(3)
    course, program = shell_value(
        site,
        "import json; from catalog.models import LearningResource as R; "
        "c = R.objects.public().filter(resource_type='course').order_by('title').first(); "
        "p = R.objects.public().filter(resource_type='program').order_by('title').first(); "
        "print('VALUE=' + json.dumps([[c.pk, c.title], [p.pk, p.title]]))",
    )
    page_id = explore_page_id(site)
    heading = f"Editor picks {marker}"

    page.goto(f"/admin/pages/{page_id}/edit/")
    # Add a "Resource list" block at the end of the body.
    resource_lists = (
        page.locator("[data-contentpath=body] [data-contentpath]")
        .filter(has=page.locator("[data-contentpath=heading] input"))
        .filter(has=page.locator("[data-contentpath=resources]"))
    )
    before = resource_lists.count()  # the demo's landing page has one already
    page.locator("[data-contentpath=body] button[title='Insert a block']").last.click()
    page.get_by_role("option", name=re.compile(r"^Resource list")).click()
    # Wait for the new block: taken before it rendered, `.last` was the demo's block, whose first resource the chooser
    # then replaced (seen on a busy machine: the published list held the demo's resources too).
    expect(resource_lists).to_have_count(before + 1)
    block = resource_lists.nth(before)
    block.locator("[data-contentpath=heading] input").fill(heading)

    # The chooser: "All types" finds resources of every type; a type narrows the search to that type.
    block.get_by_role("button", name=re.compile("Choose a catalogue resource")).first.click()
    results = search_chooser(page, course[1], "")  # "All types": sends resource_type= (empty)
    expect(results).to_contain_text(course[1])
    results = search_chooser(page, program[1], "")
    expect(results).to_contain_text(program[1])
    results = search_chooser(page, program[1], "course")  # a type narrows the search
    expect(results).not_to_contain_text(re.compile("There (is|are) .* match"))
    results = search_chooser(page, course[1], "course")
    expect(results).to_contain_text(course[1])
    results.get_by_role("link", name=course[1]).first.click()
    expect(page.locator(".modal-dialog")).to_have_count(0)
    expect(block).to_contain_text(course[1])

    # Save a draft, then preview it server-rendered (the draft view).
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".messages")).to_contain_text(re.compile("has been (updated|saved)"))
    page.goto(f"/admin/pages/{page_id}/view_draft/")
    expect(page.locator("main")).to_contain_text(heading)
    expect(page.locator("main")).to_contain_text(course[1])
    # The headless preview: the edit form's data goes to the admin's preview (as its preview panel sends it), the
    # "headless" mode hands the frontend (a stand-in over real HTTP, conftest) a token, and the frontend renders
    # the draft from /api/v2/page_preview/.
    page.goto(f"/admin/pages/{page_id}/edit/")
    preview_url = f"/admin/pages/{page_id}/edit/preview/"
    posted = page.evaluate(
        """async (url) => {
            const form = document.querySelector('#page-edit-form');
            const response = await fetch(url, {method: 'POST', body: new FormData(form)});
            return (await response.json()).is_valid;
        }""",
        preview_url,
    )
    assert posted is True
    page.goto(preview_url + "?mode=headless")
    client_url = re.search(re.escape(headless_frontend.url) + r"[^\"'\s<>]*", page.content())
    assert client_url, "the headless preview mode names the frontend's preview URL"
    page.goto(client_url.group(0).replace("&amp;", "&"))
    expect(page.locator("main")).to_contain_text(heading)
    expect(page.locator("main")).to_contain_text(course[1])
    status, _, live = site.get("/explore/")
    assert heading not in live.decode()  # a draft is not public

    # Publish: the choice is on the page and in the pages API.
    page.goto(f"/admin/pages/{page_id}/edit/")
    page.locator("footer .w-dropdown__toggle").first.click()
    page.get_by_role("button", name="Publish").click()
    expect(page.locator(".messages")).to_contain_text("published")
    page.goto("/explore/")
    section = page.locator("section.resource-list").filter(has_text=heading)
    expect(section).to_contain_text(course[1])
    status, _, api = site.get(f"/api/v2/pages/{page_id}/")
    blocks = [b for b in json.loads(api)["body"] if b["type"] == "resource_list" and b["value"]["heading"] == heading]
    assert blocks and [r["id"] for r in blocks[0]["value"]["resources"]] == [course[0]]


def test_a_scheduled_page_goes_live_by_itself(admin_page, browser_site):
    """The editor schedules a page a little ahead; the site's django-q workers run wagtail:publish_scheduled."""
    page, site = admin_page, browser_site
    slug = f"scheduled-{secrets.token_hex(3)}"
    go_live = shell_value(
        site,
        "import json, datetime; from django.utils import timezone; "
        "at = timezone.localtime() + datetime.timedelta(seconds=130); "
        "print('VALUE=' + json.dumps(at.strftime('%Y-%m-%d %H:%M')))",
    )
    home_id = shell_value(
        site, "import json; from cms.models import HomePage; print('VALUE=' + json.dumps(HomePage.objects.first().pk))"
    )

    page.goto(f"/admin/pages/add/cms/landingpage/{home_id}/")
    title = f"Scheduled {slug.removeprefix('scheduled-')}"
    page.locator("#id_title").fill(title)  # the slug follows the title: scheduled-<hex>
    # The go-live time (a minute granularity in the admin): +130 s, rounded down, so due within 70-130 s: on a busy
    # machine (CI runs two suites at once) filling the form took over 10 s, and the page went live on publishing.
    page.get_by_role("button", name=re.compile("Status|Toggle status", re.I)).first.click()
    page.get_by_role("button", name=re.compile("Set schedule|Edit schedule", re.I)).first.click()
    page.locator("#id_go_live_at").fill(go_live)
    page.locator("#id_go_live_at").press("Tab")  # the date picker's pop-up may cover the dialog's button
    page.get_by_role("button", name=re.compile("Save schedule", re.I)).dispatch_event("click")
    page.locator("footer .w-dropdown__toggle").first.click()
    page.get_by_role("button", name=re.compile("^Publish|^Schedule to publish", re.I)).first.click()
    expect(page.locator(".messages")).to_contain_text(re.compile("scheduled for publishing", re.I))

    assert site.get(f"/{slug}/")[0] == 404  # not live yet
    deadline = time.monotonic() + 200
    status = 404
    while time.monotonic() < deadline and status != 200:
        time.sleep(5)
        status = site.get(f"/{slug}/")[0]
    assert status == 200, (
        f"the page scheduled for {go_live} was not published by the workers:\n{site.log('default')[-3000:]}"
    )
    page.goto(f"/{slug}/")
    expect(page.locator("h1")).to_contain_text(title)
