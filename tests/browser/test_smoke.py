"""The browser suite's own check: the site it serves is the demo installation, and a page works in chromium."""

import re

from playwright.sync_api import expect


def test_catalogue_to_a_resource_page(page_at):
    page = page_at
    page.goto("/catalog/")
    first = page.locator("main a[href^='/catalog/']").filter(has_text=re.compile(r"\w")).first
    title = first.inner_text().strip()
    first.click()
    expect(page.locator("h1")).to_contain_text(title[:20])


def test_admin_sign_in(admin_page):
    expect(admin_page).to_have_url(re.compile(r"/admin/$"))
    expect(admin_page.get_by_role("link", name=re.compile("Pages"))).to_be_visible()
