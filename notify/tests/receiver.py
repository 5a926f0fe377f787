"""A group-robot endpoint for the tests: a real HTTP server on 127.0.0.1 in a thread.

It records every request (path, query, headers, JSON body) and answers as told: HTTP 500 or a
DingTalk/WeCom error code for the first `failures` requests, then `{"errcode": 0}`; optionally
slowly. With a `secret` it checks DingTalk's signature itself, from the timestamp and secret
(HMAC-SHA256, base64, URL-encoded), without the application's code, and answers a wrong or
missing one with DingTalk's errcode 310000 ("sign not match").
"""

import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Seen:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    raw: bytes
    body: Any
    signature_ok: bool | None  # None: the receiver has no secret

    @property
    def event_id(self) -> str:
        return self.headers.get("x-fugong-event-id", "")

    @property
    def content(self) -> str:
        """The message as a group would show it (DingTalk: title and text; WeCom: content)."""
        markdown = self.body.get("markdown", {}) if isinstance(self.body, dict) else {}
        return markdown.get("content") or f"{markdown.get('title')}\n{markdown.get('text')}"


@dataclass
class Receiver:
    failures: int = 0  # the first this many requests fail
    fail_with: str = "http"  # "http": HTTP 500; "errcode": HTTP 200 with errcode 300001
    secret: str = ""
    delay: float = 0.0  # seconds to wait before answering the first `slow` requests
    slow: int = 0
    hook: Callable[[Seen, int], None] | None = None  # called after recording, before answering
    after_answer: Callable[[Seen, int], None] | None = None  # called once the answer is sent
    raw_answer: bytes | None = None  # answer 200 with these bytes instead of JSON
    requests: list[Seen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    pause: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                receiver._handle(self)

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str = "/robot/send?access_token=tok-0123456789abcdef") -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def __enter__(self) -> "Receiver":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.pause.set()  # nothing may stay blocked on it
        self.server.shutdown()
        self.server.server_close()

    def _verify(self, query: dict[str, str]) -> bool | None:
        if not self.secret:
            return None
        timestamp, sign = query.get("timestamp", ""), query.get("sign", "")
        expected = base64.b64encode(
            hmac.new(
                self.secret.encode("utf-8"),
                f"{timestamp}\n{self.secret}".encode(),
                digestmod=hashlib.sha256,
            ).digest()
        ).decode()
        return bool(timestamp) and hmac.compare_digest(sign, expected)

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length)
        parts = urlsplit(handler.path)
        # parse_qs undoes the URL encoding of the signature, as DingTalk's server does.
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        seen = Seen(
            path=parts.path,
            query=query,
            headers={k.lower(): v for k, v in handler.headers.items()},
            raw=raw,
            body=body,
            signature_ok=self._verify(query),
        )
        with self.lock:
            self.requests.append(seen)
            number = len(self.requests)
        if self.hook is not None:
            self.hook(seen, number)
        if number <= self.slow:
            self.pause.wait(self.delay)
        answer: dict[str, Any]
        if number <= self.failures and self.fail_with == "http":
            status, answer = 500, {"message": "server error"}
        elif number <= self.failures:
            status, answer = 200, {"errcode": 300001, "errmsg": "busy"}
        elif seen.signature_ok is False:
            status, answer = 200, {"errcode": 310000, "errmsg": "sign not match"}
        else:
            status, answer = 200, {"errcode": 0, "errmsg": "ok"}
        data = json.dumps(answer).encode() if self.raw_answer is None else self.raw_answer
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
            handler.wfile.flush()
        except OSError:
            return  # the sender gave up waiting (a slow answer): nothing to answer
        if self.after_answer is not None:
            self.after_answer(seen, number)
