"""Helpers for the learner-facing browser tests: the demo site's page of each public type, and page checks."""

from __future__ import annotations

import json

PAGE_TYPES = (
    "home",
    "landing",
    "program",
    "standard",
    "catalogue",
    "resource",
    "topic",
    "offeror",
    "search",
    "news_index",
    "news_page",
    "feed_item",
    "events_index",
    "event",
)

_FIND_PAGES = """
import json
from catalog.models import LearningResource, Offeror, Topic
from cms.models import LandingPage, ProgramPage, StandardPage
from news.models import EventPage, EventsIndexPage, FeedItem, NewsIndexPage, NewsPage
public = dict(resources__published=True, resources__hidden=False)
print(json.dumps({
    "home": "/",
    "landing": LandingPage.objects.live().public().order_by("path").first().url,
    "program": ProgramPage.objects.live().public().order_by("path").first().url,
    "standard": StandardPage.objects.live().public().order_by("path").first().url,
    "catalogue": "/catalog/",
    "resource": LearningResource.objects.public().filter(runs__isnull=False).order_by("pk").first().get_absolute_url(),
    "topic": "/catalog/topics/%s/" % Topic.objects.filter(**public).order_by("pk").first().slug,
    "offeror": "/catalog/offerors/%s/" % Offeror.objects.filter(**public).order_by("pk").first().code,
    "search": "/search/?q=data",
    "news_index": NewsIndexPage.objects.live().public().order_by("path").first().url,
    "news_page": NewsPage.objects.live().public().order_by("path").first().url,
    "feed_item": FeedItem.objects.public().order_by("pk").first().get_absolute_url(),
    "events_index": EventsIndexPage.objects.live().public().order_by("path").first().url,
    "event": EventPage.objects.live().public().order_by("path").first().url,
}))
"""


def public_pages(site) -> dict[str, str]:
    """Path of one page of each public page type on the demo site."""
    output = site.shell(_FIND_PAGES)
    pages = json.loads(output.strip().splitlines()[-1])
    missing = [name for name in PAGE_TYPES if not pages.get(name)]
    assert not missing, f"the demo site has no page of type {missing}"
    return pages


INTERACTIVE = (
    "a[href], button:not([disabled]), input:not([type=hidden]):not([disabled]), select:not([disabled]), "
    "textarea:not([disabled]), summary, [tabindex]:not([tabindex='-1'])"
)


def keyboard_walk(page, max_steps: int = 400) -> dict:
    """Tab through the page from the top: which rendered interactive elements were never reached, and which were
    reached without a visible focus indicator (an outline of at least 2 px, or a box-shadow)."""
    total = page.evaluate(
        """(selector) => {
            let n = 0;
            for (const el of document.querySelectorAll(selector)) {
                // Rendered and not inside a closed <details> (checkVisibility sees content-visibility).
                if (!el.checkVisibility({visibilityProperty: true})) continue;
                el.dataset.kbd = String(n++);
            }
            return n;
        }""",
        INTERACTIVE,
    )
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    reached, invisible = set(), []
    for _ in range(min(max_steps, total * 2 + 5)):
        page.keyboard.press("Tab")
        info = page.evaluate(
            """() => {
                const el = document.activeElement;
                if (!el || el === document.body) return null;
                const style = getComputedStyle(el);
                const visible = (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2)
                    || (style.boxShadow && style.boxShadow !== 'none');
                return {kbd: el.dataset.kbd ?? null, name: el.name || '', type: el.type || '', visible,
                        html: el.outerHTML.slice(0, 120)};
            }"""
        )
        if info is None:
            continue
        if info["kbd"] is not None:
            if info["kbd"] in reached:
                break  # wrapped around to the first element again
            reached.add(info["kbd"])
        if not info["visible"]:
            invisible.append(info["html"])
    unreached = page.evaluate(
        """(reached) => [...document.querySelectorAll('[data-kbd]')]
            .filter(el => !reached.includes(el.dataset.kbd))
            // A radio group is one tab stop: it is reached when one of its buttons was.
            .filter(el => !(el.type === 'radio'
                && [...document.querySelectorAll(`input[type=radio][name="${el.name}"]`)]
                    .some(other => reached.includes(other.dataset.kbd))))
            .map(el => el.outerHTML.slice(0, 120))""",
        sorted(reached),
    )
    return {"total": total, "unreached": unreached, "invisible": invisible}


def words_broken_across_lines(page, selector: str) -> list[str]:
    """Words of the elements matching `selector` that the browser split across two lines."""
    return page.evaluate(
        """(selector) => {
            const broken = [];
            for (const el of document.querySelectorAll(selector)) {
                if (el.getBoundingClientRect().width < 2) continue;  // visually hidden: read, not seen
                const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
                for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                    for (const match of node.textContent.matchAll(/\\S+/g)) {
                        const range = document.createRange();
                        range.setStart(node, match.index);
                        range.setEnd(node, match.index + match[0].length);
                        const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
                        if (tops.size > 1) broken.push(match[0]);
                    }
                }
            }
            return broken;
        }""",
        selector,
    )
