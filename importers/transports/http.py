"""HTTP(S) transport for sources: timeouts, retries with backoff, pagination, OAuth2 client credentials,
conditional requests and an SSRF guard.

Every URL (and every redirect hop) is checked before it is fetched: it must be http(s) and must not resolve to
a private, loopback, link-local or otherwise non-public address unless its host is in
settings.IMPORTER_ALLOWED_HOSTS (host names, IP addresses or CIDR networks).
"""

from __future__ import annotations

import ipaddress
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

from django.conf import settings
from django.utils import timezone

import httpx

from ..errors import ImportFetchError, UnsafeURLError
from ..sources.base import SnapshotDocument, looks_like_html

RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
MAX_REDIRECTS = 5
USER_AGENT = "Learnhub-importer/1.0 (+https://github.com/learnhub)"


# --- SSRF guard -----------------------------------------------------------------------------------


def _allowed_entries() -> tuple[set[str], list[ipaddress._BaseNetwork]]:
    hosts: set[str] = set()
    networks: list[ipaddress._BaseNetwork] = []
    for entry in getattr(settings, "IMPORTER_ALLOWED_HOSTS", []) or []:
        entry = str(entry).strip().lower()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            hosts.add(entry)
    return hosts, networks


def _is_public(address: ipaddress._BaseAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


def check_url(url: str) -> None:
    """Raise UnsafeURLError unless `url` is http(s) and its host resolves only to public addresses (or is
    allow-listed in settings.IMPORTER_ALLOWED_HOSTS)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise UnsafeURLError(f"refused URL with scheme {parts.scheme or 'none'!r}; only http and https", url=url)
    host = (parts.hostname or "").lower()
    if not host:
        raise UnsafeURLError("refused URL without a host", url=url)
    hosts, networks = _allowed_entries()
    if host in hosts:
        return
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [literal]
    else:
        try:
            infos = socket.getaddrinfo(host, parts.port or (443 if parts.scheme == "https" else 80))
        except socket.gaierror as exc:
            raise ImportFetchError(f"cannot resolve host {host!r}: {exc.strerror or exc}", url=url) from None
        addresses = [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]
    for address in addresses:
        if any(address in network for network in networks):
            continue
        if not _is_public(address):
            raise UnsafeURLError(
                f"refused URL: {host} resolves to non-public address {address}; add the host to "
                "IMPORTER_ALLOWED_HOSTS if it is trusted",
                url=url,
            )


# --- OAuth2 token cache (process-wide: tokens outlive one client) ----------------------------------

_TOKENS: dict[tuple[str, str, str], tuple[str, float]] = {}
_TOKENS_LOCK = threading.Lock()


def clear_token_cache() -> None:
    with _TOKENS_LOCK:
        _TOKENS.clear()


class HttpClient:
    """A small, careful HTTP client for sources.

    `previous` maps URL → SnapshotDocument from the last stored snapshot; `fetch_document` then sends
    If-None-Match / If-Modified-Since and reuses the stored document on 304 Not Modified.
    """

    def __init__(
        self,
        *,
        timeout: float | None = None,
        retries: int | None = None,
        backoff: float | None = None,
        max_bytes: int | None = None,
        headers: dict | None = None,
        previous: dict[str, SnapshotDocument] | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.timeout = timeout if timeout is not None else settings.IMPORTER_HTTP_TIMEOUT
        self.retries = retries if retries is not None else settings.IMPORTER_HTTP_RETRIES
        self.backoff = backoff if backoff is not None else settings.IMPORTER_HTTP_BACKOFF
        self.max_bytes = max_bytes if max_bytes is not None else settings.IMPORTER_MAX_DOCUMENT_BYTES
        self.previous = dict(previous or {})
        self._sleep = sleep
        self._client = httpx.Client(
            timeout=self.timeout,
            follow_redirects=False,  # each hop is checked by the SSRF guard
            headers={"User-Agent": USER_AGENT, **(headers or {})},
            transport=transport,
        )
        self.requests_made = 0

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    # --- requests ---------------------------------------------------------------------------------

    def request(
        self,
        method: str,
        url: str,
        *,
        params: dict | None = None,
        headers: dict | None = None,
        data: Any = None,
        allow_statuses: tuple[int, ...] = (),
    ) -> httpx.Response:
        """Send a request with retries on network errors and 408/425/429/5xx, following redirects (each hop
        checked). Raises ImportFetchError naming the URL and status for any other 4xx/5xx."""
        attempt = 0
        while True:
            try:
                response = self._send_following_redirects(method, url, params=params, headers=headers, data=data)
            except UnsafeURLError:
                raise
            except httpx.TimeoutException as exc:
                if attempt >= self.retries:
                    raise ImportFetchError(
                        f"timed out after {self.timeout:g}s ({type(exc).__name__}, {attempt + 1} attempts)", url=url
                    ) from None
            except httpx.TransportError as exc:
                if attempt >= self.retries:
                    raise ImportFetchError(f"network error: {exc} ({attempt + 1} attempts)", url=url) from None
            else:
                status = response.status_code
                if status in allow_statuses or status < 400 and status not in RETRY_STATUSES:
                    return response
                if status not in RETRY_STATUSES or attempt >= self.retries:
                    raise ImportFetchError(
                        f"HTTP {status} {response.reason_phrase}{_snippet(response)}"
                        + (f" after {attempt + 1} attempts" if attempt else ""),
                        url=str(response.request.url),
                        status=status,
                    )
                retry_after = _retry_after(response)
                if retry_after is not None:
                    self._sleep(min(retry_after, 60.0))
                    attempt += 1
                    continue
            self._sleep(self.backoff * (2**attempt))
            attempt += 1

    def _send_following_redirects(self, method, url, *, params, headers, data) -> httpx.Response:
        for _ in range(MAX_REDIRECTS + 1):
            check_url(url)
            request = self._client.build_request(method, url, params=params, headers=headers, data=data)
            response = self._client.send(request, stream=True)
            try:
                if response.is_redirect and "location" in response.headers:
                    url = urljoin(str(request.url), response.headers["location"])
                    params = None  # the Location carries its own query
                    if response.status_code in (301, 302, 303):
                        method, data = "GET", None
                    continue
                self._read_capped(response)
            finally:
                response.close()
            self.requests_made += 1
            return response
        raise ImportFetchError(f"more than {MAX_REDIRECTS} redirects", url=url)

    def _read_capped(self, response: httpx.Response) -> None:
        declared = response.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self.max_bytes:
            raise ImportFetchError(
                f"response of {int(declared):,} bytes exceeds the limit of {self.max_bytes:,} bytes",
                url=str(response.request.url),
            )
        chunks, total = [], 0
        for chunk in response.iter_bytes():
            total += len(chunk)
            if total > self.max_bytes:
                raise ImportFetchError(
                    f"response exceeds the limit of {self.max_bytes:,} bytes", url=str(response.request.url)
                )
            chunks.append(chunk)
        response._content = b"".join(chunks)

    def get(
        self,
        url: str,
        params: dict | None = None,
        headers: dict | None = None,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> httpx.Response:
        """GET `url`. With `etag` / `last_modified` the request is conditional and a 304 is returned as is."""
        headers = dict(headers or {})
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        allow = (304,) if (etag or last_modified) else ()
        return self.request("GET", url, params=params, headers=headers, allow_statuses=allow)

    def post(self, url: str, data: Any = None, headers: dict | None = None) -> httpx.Response:
        return self.request("POST", url, data=data, headers=headers)

    def get_json(self, url: str, params: dict | None = None, headers: dict | None = None) -> Any:
        """GET and parse JSON; ImportFetchError saying so when the body is HTML, not UTF-8 or not JSON."""
        headers = {"Accept": "application/json", **(headers or {})}
        return parse_json_response(self.get(url, params=params, headers=headers))

    # --- documents and conditional requests ---------------------------------------------------------

    def fetch_document(
        self,
        url: str,
        name: str,
        *,
        params: dict | None = None,
        headers: dict | None = None,
        content_type: str | None = None,
    ) -> SnapshotDocument:
        """GET `url` as a snapshot document. When the previous snapshot holds this URL with an ETag or
        Last-Modified the request is conditional, and on 304 the stored document is reused."""
        full_url = str(httpx.URL(url, params=params)) if params else url
        previous = self.previous.get(full_url)
        etag = previous.metadata.get("etag") if previous else None
        last_modified = previous.metadata.get("last_modified") if previous else None
        response = self.get(url, params=params, headers=headers, etag=etag, last_modified=last_modified)
        if response.status_code == 304 and previous is not None:
            return SnapshotDocument(
                name=name,
                content=previous.content,
                content_type=previous.content_type,
                metadata={**previous.metadata, "not_modified": True, "checked_at": timezone.now().isoformat()},
            )
        return self.to_document(name, response, content_type=content_type, url=full_url)

    @staticmethod
    def to_document(
        name: str, response: httpx.Response, *, content_type: str | None = None, url: str | None = None
    ) -> SnapshotDocument:
        """A SnapshotDocument from a response, with url, status, etag, last_modified and fetched_at."""
        metadata = {
            "url": url or str(response.request.url),
            "status": response.status_code,
            "fetched_at": timezone.now().isoformat(),
        }
        if response.headers.get("etag"):
            metadata["etag"] = response.headers["etag"]
        if response.headers.get("last-modified"):
            metadata["last_modified"] = response.headers["last-modified"]
        ctype = content_type or response.headers.get("content-type", "application/octet-stream").split(";")[0]
        return SnapshotDocument(name=name, content=response.content, content_type=ctype.strip(), metadata=metadata)

    # --- pagination -------------------------------------------------------------------------------

    def paginate_next(
        self,
        url: str,
        next_key: str | None = "next",
        results_key: str | None = "results",
        *,
        params: dict | None = None,
        headers: dict | None = None,
        max_pages: int = 10_000,
    ) -> Iterator[tuple[str, httpx.Response]]:
        """Follow next links: `body[next_key]` (dotted for nested keys, e.g. "links.next") or, when
        `next_key` is None, the Link header's rel="next". Yields (url, response) for every page."""
        seen: set[str] = set()
        page_url: str | None = url
        pages = 0
        while page_url:
            if page_url in seen:
                raise ImportFetchError("pagination loops back to a page already fetched", url=page_url)
            seen.add(page_url)
            pages += 1
            if pages > max_pages:
                raise ImportFetchError(f"more than {max_pages} pages", url=page_url)
            response = self.get(page_url, params=params, headers=headers)
            current = str(response.request.url)
            if next_key is None:
                next_url = response.links.get("next", {}).get("url")
            else:
                body = parse_json_response(response)
                if results_key and isinstance(body, dict) and results_key not in body:
                    raise ImportFetchError(f"page has no {results_key!r} key", url=current)
                next_url = _dig(body, next_key) if isinstance(body, dict) else None
            yield current, response
            page_url = urljoin(current, next_url) if next_url else None
            params = None  # next links carry their own query

    def paginate_pages(
        self,
        url: str,
        page_param: str = "page",
        stop_on_empty: bool = True,
        *,
        start: int = 1,
        results_key: str | None = None,
        params: dict | None = None,
        headers: dict | None = None,
        is_last: Callable[[Any, httpx.Response], bool] | None = None,
        max_pages: int = 10_000,
    ) -> Iterator[tuple[str, httpx.Response]]:
        """Request page=start, start+1, ... With stop_on_empty, stop at the first page whose results (the
        body, or body[results_key]) are empty — that page is not yielded; `is_last(body, response)` can end
        the walk after a page too."""
        for page in range(start, start + max_pages):
            response = self.get(url, params={**(params or {}), page_param: page}, headers=headers)
            body = None
            if stop_on_empty or is_last:
                body = parse_json_response(response)
            if stop_on_empty:
                results = _dig(body, results_key) if results_key and isinstance(body, dict) else body
                if not results:
                    return
            yield str(response.request.url), response
            if is_last and is_last(body, response):
                return
        raise ImportFetchError(f"more than {max_pages} pages", url=url)

    # --- OAuth2 -----------------------------------------------------------------------------------

    def oauth2_token(self, token_url: str, client_id: str, client_secret: str, scope: str = "") -> str:
        """A client-credentials access token, cached (process-wide) until shortly before it expires."""
        if not client_id or not client_secret:
            raise ImportFetchError("OAuth2 client id and secret are not configured", url=token_url)
        key = (token_url, client_id, scope)
        with _TOKENS_LOCK:
            cached = _TOKENS.get(key)
            if cached and cached[1] > time.monotonic():
                return cached[0]
        data = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": client_secret}
        if scope:
            data["scope"] = scope
        response = self.post(token_url, data=data, headers={"Accept": "application/json"})
        body = parse_json_response(response)
        token = body.get("access_token") if isinstance(body, dict) else None
        if not token:
            raise ImportFetchError("token response has no access_token", url=token_url)
        expires_in = body.get("expires_in") or 3600
        try:
            expires_in = float(expires_in)
        except (TypeError, ValueError):
            expires_in = 3600.0
        with _TOKENS_LOCK:
            _TOKENS[key] = (token, time.monotonic() + max(expires_in - 30, 0))
        return token


def parse_json_response(response: httpx.Response) -> Any:
    """The response body as JSON, or ImportFetchError saying why not (HTML page, not UTF-8, invalid JSON)."""
    url = str(response.request.url)
    content = response.content
    if not content.strip():
        raise ImportFetchError("empty response body, expected JSON", url=url, status=response.status_code)
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFetchError(
            f"response body is not valid UTF-8 (byte 0x{content[exc.start]:02x} at offset {exc.start}), expected JSON",
            url=url,
        ) from None
    ctype = response.headers.get("content-type", "")
    if "html" in ctype or looks_like_html(text):
        raise ImportFetchError(
            f"expected JSON but got an HTML page (content-type {ctype or 'unknown'}){_snippet(response)}", url=url
        )
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportFetchError(f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}", url=url) from None


def _dig(body: Any, dotted: str | None) -> Any:
    if dotted is None:
        return body
    value = body
    for part in dotted.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    try:
        return max(float(value), 0.0)
    except ValueError:
        return None


def _snippet(response: httpx.Response) -> str:
    try:
        text = response.content[:200].decode("utf-8", "replace").strip()
    except Exception:  # noqa: BLE001 - a snippet is best effort
        return ""
    if not text:
        return ""
    if looks_like_html(text):
        return " (HTML error page)"
    return f": {' '.join(text.split())[:160]}"
