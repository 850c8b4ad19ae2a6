"""Imported feed HTML loses tracking pixels and the lead image repeated at the top of the body; nothing else."""

import re

import pytest

from catalog.sanitize import clean_html
from importers.registry import get_source
from news.feed_html import is_tracker, same_image, tidy_feed_html
from news.loader import load_feed_items
from news.models import FeedItem

LEAD = "https://cdn-images-1.medium.com/max/1024/1*abc.jpeg"


def tidy(html, lead=""):
    return tidy_feed_html(clean_html(html, base_url="https://blog.example.org/post"), lead_image_url=lead)


@pytest.mark.parametrize(
    "pixel",
    [
        '<img src="https://medium.com/_/stat?event=post.clientViewed&amp;postId=1" width="1" height="1" alt="">',
        '<img src="https://medium.com/_/stat?event=post.clientViewed&amp;postId=1">',  # no size: known tracker
        '<img src="https://feeds.feedburner.com/~r/Blog/~4/xyz" height="1" width="1" alt=""/>',
        '<img src="https://pixel.wp.com/b.gif?host=x" alt="" />',
        '<img src="https://counter.example.net/p.gif" width="1" height="1">',  # any host: 1x1
        '<img src="https://counter.example.net/p.gif" width="0" height="0">',
        '<img alt="" src="/t.gif" width="1px">',
    ],
)
def test_tracking_pixels_go_and_the_text_stays(pixel):
    html = f'<p>First <a href="https://example.org/x">link</a>.</p>{pixel}<p>Last words.</p>'
    out = tidy(html)
    assert "<img" not in out
    assert out == '<p>First <a href="https://example.org/x" rel="noopener noreferrer">link</a>.</p><p>Last words.</p>'


def test_real_images_stay():
    html = (
        '<p><img src="https://images.example.org/chart.png" alt="A chart" width="600" height="400"></p>'
        '<p><img src="https://images.example.org/second.png" alt="Second"></p>'
    )
    out = tidy(html, lead="https://images.example.org/hero.png")
    assert 'alt="A chart"' in out and 'alt="Second"' in out


def test_the_lead_image_repeated_first_goes_but_its_caption_stays():
    html = (
        "<h4>Intro</h4>"
        f'<figure><img alt="Orange books" src="{LEAD}" /><figcaption>Photo: iStock</figcaption></figure>'
        "<p><em>By Sara</em></p>"
        '<figure><img alt="Later" src="https://cdn-images-1.medium.com/max/1024/1*later.jpeg"></figure>'
    )
    out = tidy(html, lead=LEAD.replace("/max/1024/", "/max/2600/"))  # another size of the same picture
    assert "1*abc.jpeg" not in out
    assert "<figure><figcaption>Photo: iStock</figcaption></figure>" in out
    assert "<h4>Intro</h4>" in out and "<p><em>By Sara</em></p>" in out
    assert 'alt="Later"' in out


def test_an_emptied_link_and_paragraph_go_with_the_lead_image():
    html = f'<p><a href="https://blog.example.org/post"><img src="{LEAD}?w=300" alt=""></a></p><p>Story.</p>'
    assert tidy(html, lead=LEAD) == "<p>Story.</p>"


def test_only_the_first_image_is_compared_with_the_lead():
    html = f'<p><img src="https://x.example.org/other.png" alt="Other"></p><p><img src="{LEAD}" alt="Again"></p>'
    out = tidy(html, lead=LEAD)
    assert 'alt="Other"' in out and 'alt="Again"' in out  # later in the body, the picture is the author's choice


def test_helpers():
    assert is_tracker("https://medium.com/_/stat?event=x") and not is_tracker("https://medium.com/p/abc")
    assert same_image("https://a.example.org/x/1/photo.jpg", "http://A.example.org/y/photo.jpg?w=2")
    assert not same_image("https://a.example.org/photo.jpg", "https://b.example.org/photo.jpg")
    assert not same_image("", "")
    assert tidy_feed_html("") == "" and tidy_feed_html("<p>No images</p>") == "<p>No images</p>"


@pytest.mark.django_db
def test_the_loader_tidies_summary_and_content_and_drops_a_tracker_as_image():
    records = [
        {
            "guid": "a",
            "title": "Post A",
            "link": "https://blog.example.org/a",
            "image_url": LEAD,
            "summary": f'<p><img src="{LEAD}" alt=""></p><p>Summary A.</p>',
            "content": f'<figure><img src="{LEAD}"></figure><p>Body A.</p>'
            '<img src="https://medium.com/_/stat?event=post.clientViewed" width="1" height="1" alt="">',
        },
        {
            "guid": "b",
            "title": "Post B",
            "link": "https://blog.example.org/b",
            "image_url": "https://medium.com/_/stat?event=post.clientViewed&postId=b",
            "content": "<p>Body B.</p>",
        },
    ]
    result = load_feed_items("tidy-test", records)
    assert result.created == 2 and result.failed == 0
    a, b = FeedItem.objects.order_by("guid")
    assert a.summary == "<p>Summary A.</p>" and a.content == "<p>Body A.</p>" and a.image_url == LEAD
    assert b.image_url == "" and b.content == "<p>Body B.</p>"


@pytest.mark.realdata
@pytest.mark.django_db
def test_real_medium_posts_lose_the_stat_pixel_and_the_repeated_lead_image(realdata, snapshot_of):
    path = realdata / "news_events/medium_mit_news.rss"
    raw = path.read_text()
    assert raw.count("medium.com/_/stat") >= 2  # the sample has the pixels this test is about
    source = get_source("ol_news")
    items = list(source.transform(snapshot_of("ol_news", {"feed.xml": path})))
    load_feed_items("ol_news", items)

    rows = {row.guid: row for row in FeedItem.objects.all()}
    assert len(rows) == 3
    with_image = [row for row in rows.values() if row.image_url]
    assert len(with_image) == 2
    for row in rows.values():
        assert "_/stat" not in row.content and "_/stat" not in row.summary
        assert not re.search(r'width="1"|height="1"', row.content)
    for row in with_image:
        assert row.image_url.startswith("https://cdn-images-1.medium.com/")
        assert row.image_url not in row.content  # shown once, as the item's image
        assert "<figcaption>" in row.content  # the credit stays
    books = next(row for row in with_image if "Ten books" in row.title)
    assert "Photo: iStock" in books.content and "By Sara Feijo" in books.content
    assert "Here are 10 books written by faculty" in books.content
    # Every paragraph of the post is still there.
    original = items[[item["guid"] for item in items].index(books.guid)]["content"]
    assert books.content.count("<p>") == clean_html(original).count("<p>")


@pytest.mark.realdata
@pytest.mark.django_db
def test_real_atom_summaries_do_not_repeat_the_item_image(realdata, snapshot_of):
    source = get_source("ol_news")
    items = list(source.transform(snapshot_of("ol_news", {"feed.xml": realdata / "rss_atom/heise_developer.atom"})))
    load_feed_items("heise", items)
    rows = list(FeedItem.objects.filter(image_url__startswith="http://www.heise.de/"))
    assert len(rows) >= 10
    for row in rows:
        assert row.image_url not in row.summary and row.image_url not in row.content
        assert row.summary or row.content  # the text is kept
    assert sum(bool(re.sub(r"<[^>]+>", "", row.summary + row.content).strip()) for row in rows) == len(rows)
