"""A local stand-in of the OpenAI chat-completions protocol for the Ask tests: a real HTTP server in a thread that
plays scripted responses — streamed text, tool calls, usage — and misbehaves on request (slow, cut off
mid-stream, 429 with Retry-After, error statuses). It records every request body for assertions."""

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    status: int = 200
    headers: dict = field(default_factory=dict)
    frames: list[dict] = field(default_factory=list)
    delay: float = 0.0  # before each frame
    cut_after: int | None = None  # drop the connection after this many frames (no finish, no [DONE])
    body: dict | None = None  # for error statuses


def _chunk(delta: dict | None = None, finish: str | None = None, usage: dict | None = None) -> dict:
    chunk = {"id": "chatcmpl-standin", "object": "chat.completion.chunk", "created": 0, "model": "standin-1"}
    chunk["choices"] = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]
    if usage:
        chunk["usage"] = usage
    return chunk


def text_reply(text: str, *, pieces: int = 4, prompt_tokens: int = 50, completion_tokens: int = 20, **options) -> Reply:
    size = max(1, -(-len(text) // pieces))
    frames = [_chunk({"role": "assistant", "content": ""})]
    frames += [_chunk({"content": text[i : i + size]}) for i in range(0, len(text), size)]
    frames.append(_chunk({}, finish="stop"))
    frames.append(
        _chunk(
            usage={
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            }
        )
    )
    return Reply(frames=frames, **options)


def tool_reply(*calls: tuple[str, str], prompt_tokens: int = 40, completion_tokens: int = 10) -> Reply:
    """Each call is (name, raw arguments text); the arguments arrive split over two chunks, as real servers do."""
    frames = [_chunk({"role": "assistant", "content": None})]
    for index, (name, arguments) in enumerate(calls):
        half = len(arguments) // 2
        frames.append(
            _chunk(
                {
                    "tool_calls": [
                        {
                            "index": index,
                            "id": f"call_{index}",
                            "type": "function",
                            "function": {"name": name, "arguments": arguments[:half]},
                        }
                    ]
                }
            )
        )
        frames.append(_chunk({"tool_calls": [{"index": index, "function": {"arguments": arguments[half:]}}]}))
    frames.append(_chunk({}, finish="tool_calls"))
    frames.append(
        _chunk(usage={"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens, "total_tokens": 0})
    )
    return Reply(frames=frames)


def error_reply(status: int, message: str = "error", headers: dict | None = None) -> Reply:
    return Reply(status=status, headers=headers or {}, body={"error": {"message": message, "type": "standin"}})


class ChatStandIn:
    def __init__(self):
        self.replies: deque[Reply] = deque()
        self.requests: list[dict] = []
        self.request_times: list[float] = []
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                stand_in.requests.append(body)
                stand_in.request_times.append(time.monotonic())
                reply = stand_in.replies.popleft() if stand_in.replies else error_reply(500, "no reply scripted")
                if reply.status != 200:
                    data = json.dumps(reply.body or {}).encode()
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for key, value in reply.headers.items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(data)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.end_headers()
                try:
                    for number, frame in enumerate(reply.frames):
                        if reply.cut_after is not None and number >= reply.cut_after:
                            self.wfile.flush()
                            self.connection.shutdown(2)  # the connection drops mid-answer
                            return
                        if reply.delay:
                            time.sleep(reply.delay)
                        self.wfile.write(f"data: {json.dumps(frame)}\n\n".encode())
                        self.wfile.flush()
                    self.wfile.write(b"data: [DONE]\n\n")
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
                    return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def queue(self, *replies: Reply) -> "ChatStandIn":
        self.replies.extend(replies)
        return self

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
