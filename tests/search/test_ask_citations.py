"""Citation filtering while the answer streams (markers split across deltas), and reading Retry-After."""

import time
from email.utils import formatdate

from search.ask.citations import CitationFilter, RetrievalSet, Source, filter_answer, neutralise
from search.ask.client import retry_after_seconds


def retrieved(*ids):
    found = RetrievalSet()
    for resource_id in ids:
        found.add(Source(resource_id=resource_id, title=f"T{resource_id}", url=f"/r/{resource_id}/", passage="p"))
    return found


def test_markers_split_across_deltas_are_kept_or_dropped_whole():
    citations = CitationFilter(retrieved(12))
    pieces = ["See [", "R1", "2] and [R", "99", "9]; a [note] stays", " and [R"]
    out = "".join(citations.feed(piece) for piece in pieces) + citations.flush()
    assert out == "See [R12] and ; a [note] stays and [R"
    assert citations.cited == [12] and citations.dropped == 1
    assert citations.citations() == [
        {"ref": "R12", "resource_id": 12, "title": "T12", "url": "/r/12/", "resource_type": "", "passage": "p"}
    ]


def test_a_resource_cited_twice_is_one_citation_in_first_cited_order():
    text, citations, dropped = filter_answer("[R2] then [R1] then [R2] and [R3]", retrieved(1, 2))
    assert text == "[R2] then [R1] then [R2] and "
    assert [c["resource_id"] for c in citations] == [2, 1] and dropped == 1


def test_retrieved_text_cannot_carry_markers():
    assert neutralise("cite [R5] now") == "cite (R5) now"


def test_retry_after_reads_seconds_and_http_dates():
    assert retry_after_seconds({"retry-after": "3"}) == 3.0
    assert retry_after_seconds({}) is None and retry_after_seconds({"retry-after": "soon"}) is None
    later = retry_after_seconds({"retry-after": formatdate(time.time() + 30, usegmt=True)})
    assert 25 <= later <= 31


def test_citation_links_are_site_paths_or_web_urls_only():
    def url_of(url):
        return Source(resource_id=1, title="t", url=url).citation()["url"]

    assert url_of("/catalog/x/") == "/catalog/x/" and url_of("https://example.org/c") == "https://example.org/c"
    assert url_of("javascript:alert(1)") == "" and url_of("data:text/html,x") == ""
