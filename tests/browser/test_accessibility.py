"""Accessibility, the way assistive technology meets the site: axe-core on every public page type at desktop and
phone width (0 serious or critical violations), and the keyboard (every interactive element reachable by Tab, each
with a visible focus indicator, the highlighted autocomplete row included)."""

import pytest
from playwright.sync_api import expect

from .learner_pages import PAGE_TYPES, keyboard_walk, public_pages


@pytest.fixture(scope="module")
def pages(browser_site):
    return public_pages(browser_site)


@pytest.mark.parametrize("page_type", PAGE_TYPES)
def test_no_serious_or_critical_axe_violations(page_at, pages, page_type, axe_violations):
    response = page_at.goto(pages[page_type])
    assert response.status == 200, f"{pages[page_type]} answered {response.status}"
    violations = axe_violations(page_at)
    assert violations == [], f"{page_type} ({pages[page_type]}) at {page_at.width_name} width: {violations}"


def test_no_axe_violations_with_the_suggestions_open(page_at, axe_violations):
    page = page_at
    page.goto("/")
    page.locator("#home-search-q").press_sequentially("dat", delay=40)
    expect(page.locator("#search-suggestions [role=option]").first).to_be_visible()
    page.keyboard.press("ArrowDown")
    assert axe_violations(page) == []


@pytest.mark.parametrize("path_name", ["home", "catalogue", "search", "resource"])
def test_every_interactive_element_is_reachable_by_keyboard_with_visible_focus(page_at, pages, path_name):
    page = page_at
    page.goto(pages[path_name])
    walk = keyboard_walk(page)
    assert walk["total"] > 5, f"{path_name}: only {walk['total']} interactive elements found"
    assert walk["unreached"] == [], f"{path_name} at {page.width_name}: never reached by Tab: {walk['unreached']}"
    assert walk["invisible"] == [], f"{path_name} at {page.width_name}: focus not visible on {walk['invisible']}"


def test_the_highlighted_suggestion_shows_focus(desktop):
    page = desktop
    page.goto("/")
    box = page.locator("#home-search-q")
    box.focus()
    box.press_sequentially("dat", delay=40)
    options = page.locator("#search-suggestions [role=option]")
    expect(options.first).to_be_visible()
    box.press("ArrowDown")
    highlighted = page.locator("#search-suggestions [aria-selected=true]")
    expect(highlighted).to_have_count(1)
    expect(box).to_have_attribute("aria-activedescendant", highlighted.get_attribute("id"))
    expect(box).to_be_focused()
    outline = highlighted.evaluate("el => [getComputedStyle(el).outlineStyle, getComputedStyle(el).outlineWidth]")
    assert outline[0] != "none" and float(outline[1].rstrip("px")) >= 2, outline
    if options.count() > 1:
        box.press("ArrowDown")  # the ring moves with the highlight: one row at a time
        expect(options.nth(1)).to_have_attribute("aria-selected", "true")
        expect(options.nth(0)).to_have_attribute("aria-selected", "false")
        expect(highlighted).to_have_count(1)
