"""The home page as a learner lands on it: a search box on the first screen, then the demo's editor-curated
sections (starting soon, new, topics, popular, free, programs, news, events), each leading somewhere; and the same
sections in the Wagtail editor, where editors change them."""

import re

from playwright.sync_api import expect

SECTIONS = (
    "Starting soon",
    "New in the catalogue",
    "Browse by topic",
    "Popular",
    "Free to learn",
    "Programs",
    "Latest news",
    "Upcoming events",
)


def test_home_page_title_search_box_and_sections(page_at):
    page = page_at
    page.goto("/")
    assert page.title() == "Learnhub · Learn something new"
    box = page.get_by_role("combobox", name=re.compile("Search courses"))
    expect(box).to_be_visible()
    top = box.bounding_box()
    assert top["y"] + top["height"] <= page.viewport_size["height"], "the search box is below the first screen"
    for heading in SECTIONS:
        section = page.locator("main section").filter(has=page.get_by_role("heading", name=heading, exact=True))
        expect(section).to_have_count(1)
        links = section.locator("a[href]")
        assert links.count() >= 1, f"the {heading!r} section links nowhere"


def test_a_topic_link_leads_to_as_many_resources_as_it_says(desktop):
    page = desktop
    page.goto("/")
    link = page.locator(".topic-grid a").first
    name = link.inner_text().split("\n")[0].strip()
    count = int(re.search(r"(\d+)", link.locator(".topic-grid__count").inner_text()).group(1))
    with page.expect_navigation():
        link.click()
    expect(page.locator("h1")).to_have_text(re.compile(re.escape(re.sub(r"\s*\d+$", "", name))))
    heading = page.locator("#results-heading").inner_text()
    total = int(re.search(r"of (\d+)", heading).group(1)) if " of " in heading else int(re.search(r"\d+", heading)[0])
    assert total == count, f"the home page says {count}, the topic page lists {total}"


def test_the_sections_are_blocks_editors_edit(admin_page, browser_site):
    page = admin_page
    home_id = browser_site.shell("from cms.models import HomePage; print(HomePage.objects.get().pk)").strip()
    page.goto(f"/admin/pages/{home_id.splitlines()[-1]}/edit/")
    headings = page.locator("input[name$='-value-heading']")
    expect(headings.first).to_be_attached()
    values = headings.evaluate_all("inputs => inputs.map(input => input.value)")
    assert set(SECTIONS) <= set(values), values
