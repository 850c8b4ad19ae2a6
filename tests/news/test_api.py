"""REST API of imported items: /api/v1/news/items/."""

import datetime

from django.utils import timezone

import pytest

from catalog.factories import TopicFactory
from news.factories import FeedItemFactory

pytestmark = pytest.mark.django_db


def test_list_filters_and_hides_hidden(client):
    ai = TopicFactory(name="AI")
    FeedItemFactory(source="a", title="A", topics=[ai])
    FeedItemFactory(source="b", title="B")
    FeedItemFactory(source="b", title="Hidden", hidden=True)
    FeedItemFactory(source="b", title="Soon", event=True)
    FeedItemFactory(
        source="b",
        title="Over",
        event=True,
        starts_at=timezone.now() - datetime.timedelta(days=3),
        ends_at=timezone.now() - datetime.timedelta(days=2),
    )
    body = client.get("/api/v1/news/items/").json()
    assert body["count"] == 4
    assert "Hidden" not in {item["title"] for item in body["results"]}
    assert [i["title"] for i in client.get("/api/v1/news/items/?source=a").json()["results"]] == ["A"]
    assert [i["title"] for i in client.get("/api/v1/news/items/?topic=ai").json()["results"]] == ["A"]
    assert [i["title"] for i in client.get("/api/v1/news/items/?upcoming=true").json()["results"]] == ["Soon"]
    assert {i["title"] for i in client.get("/api/v1/news/items/?type=event").json()["results"]} == {"Soon", "Over"}
    item = client.get("/api/v1/news/items/?source=a").json()["results"][0]
    assert item["topics"] == ["AI"] and item["url"].startswith("/news/items/")


@pytest.mark.parametrize("rows", [10, 200])
def test_list_query_count_is_bounded(client, django_assert_max_num_queries, rows):
    ai = TopicFactory(name="AI")
    FeedItemFactory.create_batch(rows, topics=[ai])
    with django_assert_max_num_queries(4):
        response = client.get("/api/v1/news/items/?limit=100")
    assert len(response.json()["results"]) == min(rows, 100)


def test_detail_and_schema(client):
    item = FeedItemFactory()
    assert client.get(f"/api/v1/news/items/{item.pk}/").json()["title"] == item.title
    hidden = FeedItemFactory(hidden=True)
    assert client.get(f"/api/v1/news/items/{hidden.pk}/").status_code == 404
    schema = client.get("/api/schema/").content.decode()
    assert "/api/v1/news/items/" in schema
