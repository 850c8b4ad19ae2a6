"""A small Tika server stand-in speaking the REST protocol the `tika` client uses (PUT /rmeta/text, GET /version).

It extracts for real, with Tika in process (iscc-tika), so the server code path is tested on real documents over
real HTTP. Unparseable input gets HTTP 422 like Tika server.
"""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path.rstrip("/") == "/version":
            self._send(200, b"Apache Tika 3.2.3 (learnhub stand-in)", "text/plain")
        else:
            self._send(404, b"not found", "text/plain")

    def do_PUT(self):
        if self.path != "/rmeta/text":
            self._send(404, b"not found", "text/plain")
            return
        data = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.requests.append(self.path)
        import iscc_tika

        try:
            text, metadata = iscc_tika.Extractor().extract_bytes_to_string(bytearray(data))
        except Exception as exc:
            self._send(422, str(exc).encode(), "text/plain")
            return
        record = {
            key: value[0] if isinstance(value, list) and len(value) == 1 else value
            for key, value in dict(metadata).items()
        }
        record["X-TIKA:content"] = text
        self._send(200, json.dumps([record]).encode(), "application/json")


class TikaStandIn:
    def __init__(self):
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.requests = []
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def requests(self) -> list[str]:
        return self.server.requests

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
