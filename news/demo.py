"""Demo news: a news index with editor articles, an events index with upcoming and past events, and a few
imported-looking feed items (through the news loader, as an import would write them). Idempotent."""

import datetime

from django.db import transaction
from django.utils import timezone

from catalog.models import Topic
from cms.demo import ensure_home_page

from .loader import load_feed_items
from .models import EventPage, EventsIndexPage, NewsIndexPage, NewsPage

ARTICLES = [
    (
        "new-courses-this-autumn",
        "New courses this autumn",
        "Six new courses open for enrolment, from machine learning to urban planning.",
        ["Computer Science", "Engineering"],
        2,
    ),
    (
        "how-we-curate-the-catalogue",
        "How we curate the catalogue",
        "Editors and importers work together to keep every listing accurate.",
        [],
        9,
    ),
    (
        "learner-stories-career-changers",
        "Learner stories: career changers",
        "Three learners on how open courses helped them change careers.",
        ["Business"],
        20,
    ),
]

EVENTS = [
    ("open-house", "Virtual open house", 10, 1, "", True, "Prospective learners"),
    (
        "teaching-with-ai-workshop",
        "Teaching with AI: a workshop",
        24,
        3,
        "Building 10, MIT, Cambridge MA",
        False,
        "Educators",
    ),
    ("spring-symposium", "Spring learning symposium", -40, 6, "Kresge Auditorium, Cambridge MA", False, "Everyone"),
]


def _feed_items(now):
    day = datetime.timedelta(days=1)
    return {
        "ol_news": [
            {
                "guid": "https://medium.com/p/demo-1",
                "title": "Ten books from MIT faculty to expand your knowledge of teaching",
                "link": "https://medium.com/open-learning/ten-books-demo",
                "summary": "<p>From cognitive science to classroom practice: a reading list.</p>",
                "content": "<p>From cognitive science to classroom practice: a reading list.</p>"
                '<p><a href="/open-learning">More from MIT Open Learning</a></p>',
                "author": "MIT Open Learning",
                "published_at": (now - 1 * day).isoformat(),
                "categories": ["education", "teaching-and-learning"],
            },
            {
                "guid": "https://medium.com/p/demo-2",
                "title": "Meet the instructors behind MITx's newest courses",
                "link": "https://medium.com/open-learning/instructors-demo",
                "summary": "<p>Faculty talk about designing courses for learners everywhere.</p>",
                "author": "MIT Open Learning",
                "published_at": (now - 5 * day).isoformat(),
            },
        ],
        "mitpe_events": [
            {
                "guid": "demo-mitpe-event-1",
                "item_type": "event",
                "title": "Professional certificate open house",
                "link": "https://professional.mit.edu/events/demo-open-house",
                "summary": "Learn how the professional certificate programs work.",
                "published_at": (now - 3 * day).isoformat(),
                "starts_at": (now + 14 * day).isoformat(),
                "ends_at": (now + 14 * day + datetime.timedelta(hours=1)).isoformat(),
                "online": True,
                "location": "Online",
            }
        ],
    }


def _topics(names):
    return list(Topic.objects.filter(name__in=names)) if names else []


def ensure_news(home, now, log) -> NewsIndexPage:
    index = NewsIndexPage.objects.first()
    if index is None:
        index = NewsIndexPage(
            title="News",
            slug="news",
            introduction="Articles from our editors and news from across MIT Open Learning, newest first.",
        )
        home.add_child(instance=index)
        index.save_revision().publish()
        log("Created the news index /news/.")
    for slug, title, intro, topics, days_ago in ARTICLES:
        if NewsPage.objects.filter(slug=slug).exists():
            continue
        page = NewsPage(
            title=title,
            slug=slug,
            introduction=intro,
            search_description=intro,
            authors="Learnhub editors",
            date=now - datetime.timedelta(days=days_ago),
            body=[("rich_text", f"<p>{intro}</p><p>Read on for the details.</p>")],
        )
        index.add_child(instance=page)
        page.topics.set(_topics(topics))
        page.save_revision().publish()
        log(f"Created the news page {title!r}.")
    return index


def ensure_events(home, now, log) -> EventsIndexPage:
    index = EventsIndexPage.objects.first()
    if index is None:
        index = EventsIndexPage(title="Events", slug="events", introduction="Webinars, workshops and open houses.")
        home.add_child(instance=index)
        index.save_revision().publish()
        log("Created the events index /events/.")
    for slug, title, days, hours, location, online, audience in EVENTS:
        if EventPage.objects.filter(slug=slug).exists():
            continue
        start = (now + datetime.timedelta(days=days)).replace(hour=15, minute=0, second=0, microsecond=0)
        page = EventPage(
            title=title,
            slug=slug,
            start=start,
            end=start + datetime.timedelta(hours=hours),
            time_zone="America/New_York",
            location=location,
            online=online,
            online_url="https://mit.zoom.us/j/demo" if online else "",
            audience=audience,
            registration_url="https://example.org/register" if days > 0 else "",
            introduction=f"{title}: join us.",
            body=[("rich_text", f"<p>{title}. Everyone is welcome.</p>")],
        )
        index.add_child(instance=page)
        page.save_revision().publish()
        log(f"Created the {'upcoming' if days > 0 else 'past'} event {title!r}.")
    return index


def load_news(log) -> None:
    now = timezone.now()
    with transaction.atomic():
        home = ensure_home_page(log)
        ensure_news(home, now, log)
        ensure_events(home, now, log)
        for source, items in _feed_items(now).items():
            # Not a full snapshot: a real import of the source later replaces these.
            result = load_feed_items(source, items, full_snapshot=False)
            log(f"Feed items of {source}: {result.created} created, {result.unchanged + result.updated} kept.")
