"""The Ask stream read by a real HTTP client from a live server: events arrive in order as they are produced, and a
provider that fails mid-answer ends the stream with an error event (the connection closes, nothing hangs)."""

import json
import time

from django.core.cache import cache

import httpx
import pytest

from catalog.factories import CourseFactory

from .ask_standin import ChatStandIn, text_reply

pytestmark = pytest.mark.django_db(transaction=True)


def read_events(url: str, body: dict, timeout: float = 15.0) -> tuple[list[tuple[str, dict]], float]:
    """POST and read the SSE stream line by line; returns the events and the time to the first byte."""
    events, name, started, first_byte = [], None, time.monotonic(), None
    with httpx.stream("POST", url, json=body, headers={"Accept": "text/event-stream"}, timeout=timeout) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if first_byte is None:
                first_byte = time.monotonic() - started
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                events.append((name, json.loads(line[6:])))
    return events, first_byte


@pytest.fixture
def catalogue(reindex, settings):
    cache.clear()
    settings.ASK_MODEL = ""
    course = CourseFactory(title="Python for data analysis", description="<p>Pandas for beginners.</p>")
    reindex()
    return course


def test_a_real_http_client_reads_the_extractive_stream(live_server, catalogue):
    events, first_byte = read_events(f"{live_server.url}/api/v1/ask/", {"question": "python data analysis"})
    names = [name for name, _ in events]
    assert names[0] == "start" and names[-2:] == ["citations", "done"] and "delta" in names
    assert events[0][1]["mode"] == "extractive"
    assert [c["resource_id"] for c in events[-2][1]["citations"]] == [catalogue.pk]
    assert first_byte < 5  # generous on a busy machine; bench/bench_ask.py measures it properly

    # A follow-up over HTTP continues the same conversation.
    conversation_id = events[0][1]["conversation_id"]
    follow_up, _ = read_events(
        f"{live_server.url}/api/v1/ask/", {"question": "any free ones?", "conversation_id": conversation_id}
    )
    assert follow_up[0][1]["conversation_id"] == conversation_id


def test_a_provider_cut_off_mid_answer_ends_the_http_stream_with_an_error_event(live_server, catalogue, settings):
    standin = ChatStandIn().start()
    settings.ASK_MODEL, settings.ASK_BASE_URL, settings.ASK_API_KEY = "standin-1", standin.url, "k"
    standin.queue(text_reply("Half an answer and then", pieces=4, cut_after=3))
    try:
        started = time.monotonic()
        events, _ = read_events(f"{live_server.url}/api/v1/ask/", {"question": "python"})
    finally:
        standin.stop()
    names = [name for name, _ in events]
    assert names[0] == "start" and "delta" in names and names[-1] == "error"
    assert time.monotonic() - started < 10
