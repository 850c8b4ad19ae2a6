"""A learner's account journey in a real browser, at desktop and phone width: sign in with a local password through
/accounts/login/ (from the resource page's Save link), save a resource to a list, find it on My learning, save a
search, change nothing else, sign out."""

import re

from playwright.sync_api import expect

PASSWORD = "learner-journey-pw"  # noqa: S105 - a throwaway site on loopback


def create_learner(site, username: str) -> None:
    site.shell(
        "from django.contrib.auth import get_user_model\n"
        f"get_user_model().objects.filter(username={username!r}).delete()\n"
        f"get_user_model().objects.create_user({username!r}, {username + '@example.org'!r}, {PASSWORD!r})"
    )


def a_public_resource(site) -> tuple[str, str]:
    out = site.shell(
        "from catalog.models import LearningResource\n"
        "r = LearningResource.objects.public().filter(resource_type='course').order_by('pk').first()\n"
        "print('RESOURCE|' + r.get_absolute_url() + '|' + r.title)"
    )
    line = next((line for line in out.splitlines() if line.startswith("RESOURCE|")), None)
    assert line, f"no public course in the browser site: {out!r}"
    _, url, title = line.split("|", 2)
    return url, title


def test_learner_saves_a_resource_and_a_search_then_signs_out(page_at, browser_site, axe_violations):
    page = page_at
    username = f"journey-{page.width_name}"
    create_learner(browser_site, username)
    url, title = a_public_resource(browser_site)

    # A visitor's Save is a link to the sign-in page, which brings the learner back.
    response = page.goto(url)
    assert response.status == 200, (url, response.status)
    page.locator("[data-save-to-list] a", has_text="Save").click()
    page.wait_for_url(re.compile(r"/accounts/login/\?next="))
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(re.escape(url) + "$"))

    # Signed in: Save posts in place (site.js) and says where it saved.
    page.locator("form[data-save-form] button[type=submit]").click()
    expect(page.locator("[data-save-status]")).to_contain_text("Saved to “Saved”")
    assert axe_violations(page) == []

    # My learning lists it; the page is never publicly cached.
    response = page.goto("/my/")
    assert "no-store" in response.headers["cache-control"]
    expect(page.get_by_role("heading", name="My learning")).to_be_visible()
    expect(page.locator("main")).to_contain_text(title)
    page.get_by_role("link", name=re.compile("Manage “Saved”")).click()
    expect(page.locator("main ol.learner-list__items")).to_contain_text(title)
    assert axe_violations(page) == []
    page.goto("/my/")

    # Save a search from /search/.
    page.goto("/search/?q=data&mode=lexical")
    page.get_by_role("link", name=re.compile("Save this search")).click()
    page.wait_for_url(re.compile(r"/my/searches/new/"))
    page.select_option("select[name=frequency]", "daily")
    page.get_by_role("button", name="Save search").click()
    page.wait_for_url(re.compile(r"/my/$"))
    saved = page.locator(".saved-search", has_text="data")
    expect(saved).to_be_visible()
    expect(saved.locator("select[name=frequency]")).to_have_value("daily")
    assert axe_violations(page) == []

    # Sign out: My learning asks to sign in again.
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
    page.goto("/my/")
    page.wait_for_url(re.compile(r"/accounts/login/\?next=/my/"))
