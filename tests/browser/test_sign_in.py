"""Signing in and out of the site with a local password, at desktop and phone width (issue 16)."""

import re

from playwright.sync_api import expect

PASSWORD = "browser-learner-pw-16"  # noqa: S105 - a throwaway site on loopback


def make_learner(site, username: str) -> None:
    site.shell(
        "from django.contrib.auth import get_user_model; "
        f"get_user_model().objects.filter(username={username!r}).delete(); "
        f"get_user_model().objects.create_user({username!r}, {username + '@example.org'!r}, {PASSWORD!r})"
    )


def account_nav(page):
    return page.get_by_role("navigation", name="Account")


def test_sign_in_and_out_with_a_password(page_at, browser_site, axe_violations):
    page = page_at
    username = f"learner-{page.width_name}"
    make_learner(browser_site, username)

    page.goto("/catalog/")
    account_nav(page).get_by_role("link", name="Sign in").click()
    page.wait_for_url(re.compile(r"/accounts/login/\?next=/catalog/"))
    expect(page.get_by_role("heading", name="Sign in", level=1)).to_be_visible()
    assert axe_violations(page) == []

    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("correct username and password")

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(re.compile(r"/catalog/$"))
    nav = account_nav(page)
    expect(nav.get_by_role("button", name="Sign out")).to_be_visible()
    expect(nav.get_by_role("link", name="My learning")).to_have_attribute("href", "/my/")
    expect(nav.get_by_role("link", name="Sign in")).to_have_count(0)
    # The header fits the screen: nothing pushes the page wider than the viewport.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert axe_violations(page) == []

    nav.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/$"))
    expect(account_nav(page).get_by_role("link", name="Sign in")).to_be_visible()
    expect(account_nav(page).get_by_role("button", name="Sign out")).to_have_count(0)
    page.goto("/accounts/logout/")
    expect(page.get_by_text("You are signed out.")).to_be_visible()
