"""Helpers for the conversation tests: LINE events beyond text (postback, follow), one exchange through the signed
webhook and the fake LINE API, LINE's message limits, and a second server process for cross-process and browser
tests."""

from __future__ import annotations

import atexit
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from tests.conftest import FAKE_LINE, ROOT, fully_ready, now_ms, post_webhook, text_event, webhook_body
from tests.line_schema import assert_valid

# LINE's limits (../shared/line/FACTS.md)
ALT_TEXT_LIMIT = 1500
BUBBLE_BYTES = 30_000
CAROUSEL_BYTES = 50_000
FLEX_LABEL = 40
QUICK_REPLY_LABEL = 20
QUICK_REPLY_ITEMS = 13
POSTBACK_DATA = 300
URI_LENGTH = 1000
URI_SCHEMES = ("http", "https", "line", "tel")


def new_user() -> str:
    return "U" + uuid.uuid4().hex


def _base(event_type: str, user: str) -> dict:
    return {
        "type": event_type,
        "mode": "active",
        "timestamp": now_ms(),
        "source": {"type": "user", "userId": user},
        "webhookEventId": uuid.uuid4().hex.upper()[:26],
        "deliveryContext": {"isRedelivery": False},
        "replyToken": uuid.uuid4().hex,
    }


def postback_event(data: str, *, user: str) -> dict:
    return _base("postback", user) | {"postback": {"data": data}}


def location_event(latitude: float, longitude: float, *, user: str) -> dict:
    """A location the user shared (LINE sends the title and address it shows, and the coordinates)."""
    message = {"type": "location", "id": uuid.uuid4().hex[:18], "title": "我的位置", "address": "臺中市",
               "latitude": latitude, "longitude": longitude}
    return _base("message", user) | {"message": message}


def follow_event(*, user: str) -> dict:
    return _base("follow", user) | {"follow": {"isUnblocked": False}}


def say(client, line, text: str, *, user: str) -> dict:
    """Send a text message through the signed webhook; the one reply LINE received (validated)."""
    return exchange(client, line, text_event(text, user=user))


def tap(client, line, data: str, *, user: str) -> dict:
    """Tap a button (postback) through the signed webhook; the one reply LINE received (validated)."""
    return exchange(client, line, postback_event(data, user=user))


def exchange(client, line, event: dict) -> dict:
    response = post_webhook(client, webhook_body(event))
    assert response.status_code == 200, response.text
    replies = line.wait_for_replies(1, token=event["replyToken"])
    assert len(replies) == 1, f"expected one reply to {event['type']}, got {len(replies)}"
    body = replies[0].body
    assert_valid(body, "ReplyMessageRequest")
    for message in body["messages"]:
        assert_within_limits(message)
    return body


def only_message(body: dict) -> dict:
    assert len(body["messages"]) == 1
    return body["messages"][0]


def actions(node) -> list[dict]:
    """Every action object inside a message (buttons, tappable texts, quick replies)."""
    found = []
    if isinstance(node, dict):
        if "type" in node and node.get("type") in ("postback", "uri", "message") and "label" in node:
            found.append(node)
        for value in node.values():
            found += actions(value)
    elif isinstance(node, list):
        for value in node:
            found += actions(value)
    return found


def flex_texts(node) -> list[str]:
    """The text of every flex text component, in order."""
    if isinstance(node, dict):
        own = [node["text"]] if node.get("type") == "text" and "text" in node else []
        return own + [t for key, value in node.items() if key != "action" for t in flex_texts(value)]
    if isinstance(node, list):
        return [t for value in node for t in flex_texts(value)]
    return []


def quick_labels(message: dict) -> list[str]:
    return [item["action"]["label"] for item in message.get("quickReply", {}).get("items", [])]


def quick_data(message: dict, label: str) -> str:
    return next(i["action"]["data"] for i in message["quickReply"]["items"] if i["action"]["label"] == label)


def assert_within_limits(message: dict) -> None:
    """The limits LINE enforces with a 400 that its OpenAPI schema does not express."""
    if message["type"] == "text":
        assert len(message["text"]) <= 5000
    if message["type"] == "flex":
        assert 0 < len(message["altText"]) <= ALT_TEXT_LIMIT
        # As the SDK sends it: JSON with non-ASCII escaped (the larger of the two encodings). A bubble ≤ 30 KB, a
        # carousel ≤ 50 KB with each of its bubbles ≤ 30 KB.
        contents = message["contents"]
        bubbles = contents["contents"] if contents["type"] == "carousel" else [contents]
        assert all(len(json.dumps(b).encode()) <= BUBBLE_BYTES for b in bubbles)
        assert len(json.dumps(contents).encode()) <= (CAROUSEL_BYTES if contents["type"] == "carousel" else BUBBLE_BYTES)
    if message["type"] == "location":
        assert 0 < len(message["title"]) <= 100 and 0 < len(message["address"]) <= 100
    quick_items = message.get("quickReply", {}).get("items", [])
    assert len(quick_items) <= QUICK_REPLY_ITEMS
    for item in quick_items:
        assert len(item["action"]["label"]) <= QUICK_REPLY_LABEL, item["action"]["label"]
    for action in actions(message.get("contents", {})):
        assert len(action["label"]) <= FLEX_LABEL, action["label"]
    for action in actions(message):
        if action["type"] == "postback":
            assert len(action["data"]) <= POSTBACK_DATA, action["data"]
            assert len(action.get("displayText", "")) <= 300
        if action["type"] == "uri":
            assert urlsplit(action["uri"]).scheme in URI_SCHEMES, action["uri"]
            assert len(action["uri"]) <= URI_LENGTH


# --- a second server process ----------------------------------------------------------------------------------


class LiveServer:
    """`uvicorn app.main:app` in its own process, on the tests' database and fake LINE (same environment)."""

    def __init__(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = Path(os.environ["DATA_DIR"]) / f"live-server-{self.port}.log"
        self._process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=ROOT, env={**os.environ, "LINE_API_BASE_URL": FAKE_LINE.url},
            stdout=self.log.open("w"), stderr=subprocess.STDOUT,
        )
        atexit.register(self.stop)

    def wait_ready(self, timeout: float = 300) -> LiveServer:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self._process.poll() is None, f"server exited:\n{self.log.read_text()[-3000:]}"
            try:
                response = httpx.get(f"{self.url}/readyz", timeout=2)
                if fully_ready(response.status_code, response.json()):
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise AssertionError(f"server not ready in {timeout}s:\n{self.log.read_text()[-3000:]}")

    def post_webhook(self, body: bytes) -> httpx.Response:
        from tests.conftest import sign

        headers = {"Content-Type": "application/json", "X-Line-Signature": sign(body)}
        return httpx.post(f"{self.url}/callback", content=body, headers=headers, timeout=10)

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self._process.kill()


_live: LiveServer | None = None


def live_server() -> LiveServer:
    """One second server process for the whole test run, started on first use."""
    global _live
    if _live is None:
        _live = LiveServer()
    return _live.wait_ready()
