"""The home page's own blocks (topic links, upcoming events) and the demo's home sections."""

import datetime

from django.utils import timezone

import pytest

from catalog.factories import CourseFactory, TopicFactory
from cms.blocks import HomeStreamBlock, TopicBrowseBlock
from cms.blocks.catalogue import topics_with_counts
from cms.demo import ensure_home_sections, home_sections
from cms.models import HomePage

pytestmark = pytest.mark.django_db


def test_topic_counts_include_subtopics_and_only_public_resources():
    science = TopicFactory(name="Science", slug="science")
    physics = TopicFactory(name="Physics", slug="physics", parent=science)
    art = TopicFactory(name="Art", slug="art")
    TopicFactory(name="Empty", slug="empty")
    both = CourseFactory(topics=[science, physics])  # counted once under Science
    CourseFactory(topics=[physics])
    CourseFactory(topics=[science], unpublished=True)
    CourseFactory(topics=[art], is_hidden=True)
    CourseFactory(topics=[art])
    assert both.is_public

    top = topics_with_counts(count=10)
    assert [(t.slug, t.resource_count) for t in top] == [("science", 2), ("art", 1)]  # no subtopics, no empty ones
    assert [(t.slug, t.resource_count) for t in topics_with_counts(["physics", "nope", "art"])] == [
        ("physics", 2),
        ("art", 1),
    ]
    assert [t.slug for t in topics_with_counts(count=1)] == ["science"]


def test_topic_block_renders_links_to_topic_pages():
    CourseFactory(topics=[TopicFactory(name="Zymurgy Studies", slug="zymurgy-studies")])
    block = TopicBrowseBlock()
    html = block.render(block.to_python({"heading": "Browse by topic", "topics": [], "count": 5}))
    assert 'href="/catalog/topics/zymurgy-studies/"' in html, html
    assert "Zymurgy Studies" in html and ">1<" in html.replace(" ", "")
    api = block.get_api_representation(block.to_python({"heading": "T", "topics": ["zymurgy-studies"], "count": 5}))
    assert api["topics"] == [{"name": "Zymurgy Studies", "slug": "zymurgy-studies", "resource_count": 1}]


def test_upcoming_events_block_lists_events_that_have_not_ended(home_page):
    from news.blocks import UpcomingEventsBlock
    from news.models import EventPage, EventsIndexPage

    index = EventsIndexPage(title="Events", slug="events")
    home_page.add_child(instance=index)
    now = timezone.now()
    for title, days in (("Past fair", -3), ("Soon talk", 2), ("Later workshop", 9)):
        start = now + datetime.timedelta(days=days)
        event = EventPage(title=title, slug=title.lower().replace(" ", "-"), start=start, online=True)
        index.add_child(instance=event)
    block = UpcomingEventsBlock()
    html = block.render(block.to_python({"heading": "Upcoming events", "count": 5}))
    assert "Soon talk" in html and "Later workshop" in html and "Past fair" not in html
    assert html.index("Soon talk") < html.index("Later workshop")
    assert 'href="/events/"' in html  # "All events"


def test_demo_home_sections_are_valid_and_left_alone_once_edited(home_page):
    CourseFactory(topics=["Chemistry"], title="A chemistry course")
    stream_block = HomeStreamBlock()
    value = stream_block.to_python(home_sections())
    stream_block.clean(value)  # every section passes the editor's validation
    kinds = [child.block_type for child in value]
    assert kinds.count("resource_query") == 4 and {"topics", "latest_news", "upcoming_events"} <= set(kinds)

    ensure_home_sections(home_page, lambda message: None)
    home = HomePage.objects.get(pk=home_page.pk)
    assert [child.block_type for child in home.body] == kinds
    assert home.live and not home.has_unpublished_changes

    home.body = home_sections()[:1]  # an editor keeps one section only
    home.save_revision().publish()
    ensure_home_sections(home, lambda message: None)
    assert len(HomePage.objects.get(pk=home.pk).body) == 1


def test_home_page_shows_a_search_box_and_its_sections(client, home_page):
    CourseFactory(topics=["Chemistry"], title="A chemistry course")
    ensure_home_sections(home_page, lambda message: None)
    html = client.get("/").content.decode()
    assert 'role="search"' in html and 'data-suggest-url="/api/v1/search/suggest/"' in html
    assert "<title>Learnhub · Learn something new</title>" in html
    for heading in ("Starting soon", "New in the catalogue", "Browse by topic", "Popular", "Free to learn"):
        assert f">{heading}</h2>" in html
    assert "A chemistry course" in html
