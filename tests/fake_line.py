"""A local fake of the LINE Messaging API: a real HTTP server on 127.0.0.1 that records what the bot sends.

The SDK is pointed at it with LINE_API_BASE_URL. Tests script its answers (e.g. "the next reply gets a 500") to
exercise retries and errors. Reply tokens are single use, as on LINE: a token that got a reply is answered
`Invalid reply token` the next time. Also used by the load benchmark: LINE forbids load-testing the real platform.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: dict | None
    at: float = field(default_factory=time.monotonic)


class FakeLine:
    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.requests: list[Recorded] = []
        self.scripted: list[tuple[int, dict]] = []  # answers to give, in order, before the normal 200s
        self.reply_delay = 0.0
        self.delays: list[float] = []  # seconds to hold the next replies, in order (then reply_delay)
        self._spent: set[str] = set()
        self.profile_language: str | None = None
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._server = ThreadingHTTPServer((host, port), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeLine:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.scripted.clear()
            self.delays.clear()
        self.reply_delay = 0.0
        self.profile_language = None

    def replies(self, token: str | None = None) -> list[Recorded]:
        with self._lock:
            found = [r for r in self.requests if r.path == "/v2/bot/message/reply"]
        return [r for r in found if token is None or (r.body or {}).get("replyToken") == token]

    def wait_for_replies(self, count: int, token: str | None = None, timeout: float = 20.0) -> list[Recorded]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.replies(token)
            if len(found) >= count:
                return found
            time.sleep(0.02)
        return self.replies(token)

    def _answer(self, recorded: Recorded) -> tuple[int, dict]:
        is_reply = recorded.path == "/v2/bot/message/reply"
        token = (recorded.body or {}).get("replyToken") if is_reply else None
        with self._lock:
            self.requests.append(recorded)
            if token in self._spent:
                return 400, {"message": "Invalid reply token"}
            if self.scripted:
                status, answer = self.scripted.pop(0)
                if token and 200 <= status < 300:
                    self._spent.add(token)
                return status, answer
            if token:
                self._spent.add(token)
            delay = self.delays.pop(0) if is_reply and self.delays else self.reply_delay if is_reply else 0.0
        if is_reply:
            if delay:
                time.sleep(delay)
            return 200, {"sentMessages": [{"id": str(next(self._ids))} for _ in (recorded.body or {}).get("messages", [])]}
        if recorded.path.startswith("/v2/bot/profile/"):
            profile = {"userId": recorded.path.rsplit("/", 1)[-1], "displayName": "Test"}
            if self.profile_language:
                profile["language"] = self.profile_language
            return 200, profile
        return 200, {}

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = None
                recorded = Recorded(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                status, payload = fake._answer(recorded)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("X-Line-Request-Id", f"fake-{next(fake._ids)}")
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = _serve

            def log_message(self, *_args) -> None:  # quiet: tests read `requests`, not stderr
                pass

        return Handler
