"""The search page's "Ask" panel in chromium: the answer streams in (Server-Sent Events read with fetch), cites
catalogue resources that link to their pages, takes feedback and follow-ups; without JavaScript the same form posts
and an HTML answer page comes back."""

import re

from playwright.sync_api import expect

MODE = re.compile(r"Extractive answer|Answer written by")
# The site's first question in a worker loads the query encoder and catches its vector replica up: allow for it.
FIRST_ANSWER_MS = 90_000


def ask(page, question: str):
    page.fill("#ask-question", question)
    page.get_by_role("button", name="Ask", exact=True).click()


def test_the_ask_panel_streams_an_answer_with_citations_and_takes_feedback(desktop, browser_site):
    page = desktop
    page.goto("/search/")
    page.locator("summary", has_text="Ask Learnhub").click()
    ask(page, "I want to learn machine learning")
    expect(page.locator("[data-ask-mode]")).to_have_text(MODE)
    citations = page.locator("[data-ask-citations] li")
    expect(citations.first).to_be_visible(timeout=FIRST_ANSWER_MS)
    expect(page.locator("[data-ask-text]")).to_contain_text(re.compile(r"\[R\d+\]"))
    conversation = page.locator("[data-ask-conversation]").input_value()
    assert re.fullmatch(r"[0-9a-f-]{36}", conversation)

    page.get_by_role("button", name="Helpful", exact=True).click()
    expect(page.locator("[data-ask-feedback]")).to_contain_text("Thank you")
    recorded = browser_site.shell(
        "from search.ask.models import AskMessage; "
        f"print(AskMessage.objects.filter(conversation_id='{conversation}').values_list('feedback', flat=True)[0])"
    )
    assert recorded.strip().splitlines()[-1] == "1"  # (after the shell's own line about auto-imports)

    # A follow-up continues the same conversation.
    ask(page, "any free ones?")
    expect(page.locator("[data-ask-mode]")).to_have_text(MODE)
    expect(page.locator("[data-ask-feedback]")).to_be_visible(timeout=FIRST_ANSWER_MS)
    assert page.locator("[data-ask-conversation]").input_value() == conversation
    count = browser_site.shell(
        "from search.ask.models import AskMessage; "
        f"print(AskMessage.objects.filter(conversation_id='{conversation}').count())"
    )
    assert count.strip().splitlines()[-1] == "2"

    # A citation leads to the resource's page.
    link = citations.first.locator("a")
    title = link.inner_text().rsplit(" [", 1)[0]
    link.click()
    expect(page.locator("h1")).to_contain_text(title[:20])


def test_the_ask_form_works_without_javascript(new_page):
    page = new_page("desktop", javascript=False)
    page.goto("/search/")
    page.locator("summary", has_text="Ask Learnhub").click()
    ask(page, "machine learning")
    expect(page.locator("h1")).to_have_text("Ask Learnhub", timeout=FIRST_ANSWER_MS)
    expect(page.locator(".ask-panel__mode")).to_have_text(MODE)
    expect(page.locator("ol a").first).to_be_visible()
    # The answer page offers a follow-up in the same conversation.
    assert re.fullmatch(r"[0-9a-f-]{36}", page.locator("input[name=conversation_id]").input_value())
