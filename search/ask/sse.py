"""Server-Sent Events framing of Ask's events, and the JSON form built from the same events."""

import json
from collections.abc import Iterable, Iterator

from .answer import Event


def sse_frame(event: Event) -> bytes:
    data = json.dumps(event.data, ensure_ascii=False, default=str)
    return f"event: {event.name}\ndata: {data}\n\n".encode()


def sse_stream(events: Iterable[Event]) -> Iterator[bytes]:
    # A comment line first: proxies and clients see bytes at once, before retrieval starts.
    yield b": ask\n\n"
    for event in events:
        yield sse_frame(event)


def collect(events: Iterable[Event]) -> dict:
    """Run the events to the end and gather them into the JSON answer."""
    answer: dict = {"answer": "", "citations": [], "dropped_citations": 0, "error": ""}
    text = []
    for event in events:
        if event.name == "start":
            answer.update(event.data)
        elif event.name == "delta":
            text.append(event.data.get("text", ""))
        elif event.name == "citations":
            answer["citations"] = event.data.get("citations", [])
            answer["dropped_citations"] = event.data.get("dropped", 0)
        elif event.name == "done":
            answer.update(event.data)
        elif event.name == "error":
            answer["error"] = event.data.get("message", "")
    answer["answer"] = "".join(text)
    return answer
