"""The HTTP transport against a real local server (pytest-httpserver)."""

import time

import pytest
from werkzeug.wrappers import Response

from importers.errors import ImportFetchError, UnsafeURLError
from importers.transports.http import HttpClient, check_url, clear_token_cache


@pytest.fixture
def http(allow_local_http):
    with HttpClient(timeout=2, retries=2, backoff=0) as client:
        yield client


def test_paginate_next_follows_links(http, httpserver):
    httpserver.expect_request("/api/courses/", query_string="page=2").respond_with_json({"results": [3], "next": None})
    httpserver.expect_request("/api/courses/", query_string="").respond_with_json(
        {"results": [1, 2], "next": httpserver.url_for("/api/courses/?page=2")}
    )
    pages = list(http.paginate_next(httpserver.url_for("/api/courses/")))
    assert [response.json()["results"] for _, response in pages] == [[1, 2], [3]]
    assert pages[1][0].endswith("/api/courses/?page=2")


def test_paginate_next_refuses_a_loop(http, httpserver):
    httpserver.expect_request("/loop").respond_with_json({"results": [], "next": httpserver.url_for("/loop")})
    with pytest.raises(ImportFetchError, match="loops back"):
        list(http.paginate_next(httpserver.url_for("/loop")))


def test_paginate_pages_stops_on_empty_page(http, httpserver):
    for page, items in ((1, [{"a": 1}]), (2, [{"a": 2}]), (3, [])):
        httpserver.expect_request("/feed", query_string=f"page={page}").respond_with_json(items)
    pages = list(http.paginate_pages(httpserver.url_for("/feed")))
    assert [response.json() for _, response in pages] == [[{"a": 1}], [{"a": 2}]]


def test_retries_on_503_then_succeeds(http, httpserver):
    httpserver.expect_ordered_request("/flaky").respond_with_data("busy", status=503)
    httpserver.expect_ordered_request("/flaky").respond_with_data("busy", status=503)
    httpserver.expect_ordered_request("/flaky").respond_with_json({"ok": True})
    assert http.get_json(httpserver.url_for("/flaky")) == {"ok": True}
    assert len(httpserver.log) == 3


def test_gives_up_after_retries_with_status_and_url(http, httpserver):
    httpserver.expect_request("/down").respond_with_data("maintenance", status=503)
    with pytest.raises(ImportFetchError) as info:
        http.get(httpserver.url_for("/down"))
    assert info.value.status == 503 and "/down" in str(info.value) and "3 attempts" in str(info.value)
    assert len(httpserver.log) == 3


def test_404_is_not_retried(http, httpserver):
    httpserver.expect_request("/missing").respond_with_data("no", status=404)
    with pytest.raises(ImportFetchError, match="HTTP 404"):
        http.get(httpserver.url_for("/missing"))
    assert len(httpserver.log) == 1


def test_etag_304_reuses_the_previous_document(http, httpserver):
    url = httpserver.url_for("/courses.json")
    httpserver.expect_ordered_request("/courses.json").respond_with_data(
        b'{"results": []}', headers={"ETag": '"v1"', "Last-Modified": "Sat, 21 Nov 2026 10:00:00 GMT"}
    )
    first = http.fetch_document(url, "courses.json")
    assert first.metadata["etag"] == '"v1"'

    httpserver.expect_ordered_request("/courses.json", headers={"If-None-Match": '"v1"'}).respond_with_data(
        b"", status=304
    )
    with HttpClient(timeout=2, retries=0, backoff=0, previous={url: first}) as client:
        second = client.fetch_document(url, "courses.json")
    assert second.content == b'{"results": []}'
    assert second.metadata["not_modified"] is True
    assert httpserver.log[-1][0].headers["If-Modified-Since"] == "Sat, 21 Nov 2026 10:00:00 GMT"


def test_timeout_is_reported(allow_local_http, httpserver):
    def slow(request):
        time.sleep(1.0)
        return Response("late")

    httpserver.expect_request("/slow").respond_with_handler(slow)
    with HttpClient(timeout=0.2, retries=1, backoff=0) as client, pytest.raises(ImportFetchError, match="timed out"):
        client.get(httpserver.url_for("/slow"))


def test_html_instead_of_json(http, httpserver):
    httpserver.expect_request("/api").respond_with_data(
        "<!DOCTYPE html><html><body>Log in</body></html>", content_type="text/html"
    )
    with pytest.raises(ImportFetchError, match="expected JSON but got an HTML page"):
        http.get_json(httpserver.url_for("/api"))


def test_non_utf8_body(http, httpserver):
    httpserver.expect_request("/latin").respond_with_data(
        '{"title": "Caf\u00e9"}'.encode("latin-1"), content_type="application/json"
    )
    with pytest.raises(ImportFetchError, match=r"not valid UTF-8 \(byte 0xe9 at offset 14\)"):
        http.get_json(httpserver.url_for("/latin"))


def test_invalid_json_says_where(http, httpserver):
    httpserver.expect_request("/trunc").respond_with_data('{"results": [1, 2', content_type="application/json")
    with pytest.raises(ImportFetchError, match="invalid JSON at line 1 column"):
        http.get_json(httpserver.url_for("/trunc"))


def test_oversized_response_is_refused(allow_local_http, httpserver):
    httpserver.expect_request("/big").respond_with_data(b"x" * 5000)
    with HttpClient(retries=0, max_bytes=1000) as client, pytest.raises(ImportFetchError, match="exceeds the limit"):
        client.get(httpserver.url_for("/big"))


def test_oauth2_client_credentials_token_is_cached(http, httpserver):
    clear_token_cache()
    httpserver.expect_request("/token", method="POST").respond_with_json(
        {"access_token": "abc", "expires_in": 3600, "token_type": "Bearer"}
    )
    token_url = httpserver.url_for("/token")
    assert http.oauth2_token(token_url, "id", "secret") == "abc"
    assert http.oauth2_token(token_url, "id", "secret") == "abc"
    assert len(httpserver.log) == 1
    body = httpserver.log[0][0].get_data(as_text=True)
    assert "grant_type=client_credentials" in body and "client_id=id" in body
    clear_token_cache()


def test_redirect_to_a_private_address_is_refused(settings, httpserver):
    # localhost is trusted, 127.0.0.1 is not: the redirect hop is checked too.
    settings.IMPORTER_ALLOWED_HOSTS = ["localhost"]
    httpserver.expect_request("/go").respond_with_data("", status=302, headers={"Location": "http://127.0.0.1:1/x"})
    url = httpserver.url_for("/go").replace("127.0.0.1", "localhost").replace("::1", "localhost")
    with HttpClient(retries=0) as client, pytest.raises(UnsafeURLError, match="127.0.0.1"):
        client.get(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://localhost:8000/admin",
        "http://10.1.2.3/",
        "http://192.168.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0/",
        "file:///etc/passwd",
        "ftp://example.org/x",
    ],
)
def test_ssrf_guard_refuses_private_addresses(settings, url):
    settings.IMPORTER_ALLOWED_HOSTS = []
    with pytest.raises(UnsafeURLError, match="refused"):
        check_url(url)


def test_ssrf_guard_allow_list_hosts_and_networks(settings):
    settings.IMPORTER_ALLOWED_HOSTS = ["127.0.0.1", "10.0.0.0/8"]
    check_url("http://127.0.0.1:9000/x")
    check_url("http://10.20.30.40/")
    with pytest.raises(UnsafeURLError):
        check_url("http://192.168.1.1/")


def test_public_address_is_allowed(settings):
    settings.IMPORTER_ALLOWED_HOSTS = []
    check_url("http://93.184.215.14/")  # a public literal: no DNS needed
