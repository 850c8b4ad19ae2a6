"""MIT Sloan Executive Education blog posts and webinars: Salesforce Aura answers → news items and events."""

import json
from datetime import datetime

import pytest

from importers.errors import ImportFetchError, TransformError
from importers.registry import get_source
from importers.runner import run_import
from importers.sources.sloan_news import webinar_start
from importers.transports.http import HttpClient
from news.models import FeedItem

from .fixtures import FIXTURES, snapshot_of, snapshot_with

BLOG = FIXTURES / "sloan_news" / "blog.json"
WEBINARS = FIXTURES / "sloan_news" / "webinars.json"


def items_of(source, path):
    instance = get_source(source, {"site_url": "https://exec.mit.edu"})
    records = list(instance.transform(snapshot_of(source, path)))
    return [r for r in records if isinstance(r, dict)], [r.errors[0] for r in records if not isinstance(r, dict)]


def test_blog_posts_become_news_items():
    items, rejected = items_of("sloan_news", BLOG)
    first = items[0]
    assert first["guid"] == "20Y6g000000TeSTAAA"
    assert first["title"] == "Leading with AI: What Executives Should Know"
    assert first["link"] == "https://exec.mit.edu/s/blog-post/leading-with-ai-20Y6g000000TeSTAAA"
    assert first["summary"] == "Five questions to ask before an AI project & how to answer them."
    assert first["content"] == "<p>AI projects fail for ordinary reasons.</p>"  # entity-encoded HTML decoded
    assert first["author"] == "Jane Doe"
    assert first["image_url"] == "https://exec.mit.edu/cms/delivery/media/MCIMAGE0001"
    assert first["image_alt"] == "A boardroom"
    assert first["categories"] == ["Artificial Intelligence", "Leadership"]
    assert first["published_at"] == "2024-05-20T14:00:00.000Z"
    assert [(e.source_id, e.field) for e in rejected] == [("20Y6g000000TeSTAAC", "contentUrlName")]


def test_webinars_become_online_events():
    items, rejected = items_of("sloan_webinars", WEBINARS)
    upcoming, recent = items
    assert upcoming["item_type"] == "event" and upcoming["online"] is True and upcoming["location"] == "Online"
    assert upcoming["starts_at"] == "2025-06-12T11:00:00-04:00"  # "June 12, 2025 | 11:00 AM - 12:00 PM ET"
    assert (
        upcoming["link"] == upcoming["registration_url"] == "https://exec.mit.edu/s/webinar-registration/future-of-work"
    )
    assert upcoming["categories"] == ["Webinar"]  # the listing's own topics are not subjects
    assert upcoming["image_alt"] == "Coming Soon"
    # No registration button: the webinar's own page.
    assert recent["link"] == "https://exec.mit.edu/s/webinar-post/negotiating-uncertain-times-20Y6g000000WeBAAB"
    assert recent["starts_at"] == "2024-11-14T13:00:00-05:00"  # "Nov. 14, 2024 | 1:00 PM ET"
    assert [(e.source_id, e.field) for e in rejected] == [
        ("MCWEBINAR0000000000003", "Image_Text"),
        ("MCWEBINAR0000000000004", "CTA_Button_URL"),
    ]
    assert "no webinar date in 'Date to be announced'" in rejected[0].message


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Thursday, June 12, 2025 | 11:00 AM - 12:00 PM ET", (2025, 6, 12, 11, 0)),
        ("Sept. 3, 2025", (2025, 9, 3, 0, 0)),
        ("Sep 3, 2025 2 PM", (2025, 9, 3, 14, 0)),
        ("December 3, 2024", (2024, 12, 3, 0, 0)),
        ("coming soon", None),
    ],
)
def test_webinar_start(text, expected):
    start = webinar_start(text)
    got = (start.year, start.month, start.day, start.hour, start.minute) if start else None
    assert got == expected
    if start:
        assert isinstance(start, datetime) and start.tzinfo is not None


@pytest.mark.parametrize(
    "content, message",
    [
        (b'{"exceptionEvent": true}', "expected a Salesforce Aura answer"),
        (
            json.dumps({"actions": [{"state": "ERROR", "error": [{"message": "bad fwuid"}]}]}).encode(),
            "every Aura action failed (ERROR: bad fwuid)",
        ),
        (b"<!DOCTYPE html><html></html>", "HTML page"),
    ],
)
def test_bad_answers_fail_the_run_with_a_reason(content, message):
    with pytest.raises(TransformError) as error:
        list(get_source("sloan_news").transform(snapshot_with("sloan_news", ("aura.json", content))))
    assert message in str(error.value) and "aura.json" in str(error.value)


@pytest.mark.django_db
def test_both_run_end_to_end_into_the_news_loader():
    news = run_import("sloan_news", file=str(BLOG), trigger="cli")
    assert news.status == "succeeded", news.message
    assert news.created == 2 and news.failed == 1
    webinars = run_import("sloan_webinars", file=str(WEBINARS), trigger="cli")
    assert webinars.status == "succeeded", webinars.message
    assert webinars.created == 2 and webinars.failed == 2
    event = FeedItem.objects.get(source="sloan_webinars", guid="MCWEBINAR0000000000001")
    assert event.item_type == "event" and event.starts_at.isoformat() == "2025-06-12T15:00:00+00:00"
    post = FeedItem.objects.get(source="sloan_news", guid="20Y6g000000TeSTAAA")
    assert post.item_type == "news" and post.categories == ["Artificial Intelligence", "Leadership"]


def test_extract_reads_the_framework_ids_then_posts_the_action(httpserver, allow_local_http):
    page = '<script>var x = "%7B%22fwuid%22%3A%22FW123%22%2C%22siteforce%3AcommunityApp%22%3A%22APP456%22%7D";</script>'
    httpserver.expect_request("/s/blog", method="GET").respond_with_data(page, content_type="text/html")
    httpserver.expect_request("/s/sfsites/aura", method="POST").respond_with_data(
        BLOG.read_bytes(), content_type="application/json"
    )
    source = get_source("sloan_news", {"site_url": httpserver.url_for("/")})
    with HttpClient() as http:
        documents = list(source.extract(http))
    assert [d.name for d in documents] == ["aura.json"]
    posted = httpserver.log[1][0].form
    assert json.loads(posted["aura.context"])["fwuid"] == "FW123"
    assert json.loads(posted["aura.context"])["loaded"] == {"APPLICATION@markup://siteforce:communityApp": "APP456"}
    assert json.loads(posted["message"])["actions"][0]["params"]["contentType"] == "Blog_Post"
    assert posted["aura.pageURI"] == "/s/blog"


def test_extract_says_when_the_page_changed(httpserver, allow_local_http):
    httpserver.expect_request("/s/webinars").respond_with_data("<html>new site</html>", content_type="text/html")
    source = get_source("sloan_webinars", {"site_url": httpserver.url_for("/")})
    with HttpClient() as http, pytest.raises(ImportFetchError) as error:
        list(source.extract(http))
    assert "fwuid" in str(error.value)
