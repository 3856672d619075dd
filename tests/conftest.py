"""Test set-up: a real database (SQLite, or PostgreSQL when TEST_DATABASE_URL is set), a real fake LINE API server
on 127.0.0.1, and the app with its real content and retrieval engine.

Environment is set before `app` is imported, because settings are read once per process.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from tests.fake_line import FakeLine

CHANNEL_SECRET = "test-channel-secret-0123456789ab"
ROOT = Path(__file__).resolve().parents[1]
WORK_DIR = Path(tempfile.mkdtemp(prefix="laborbot-tests-"))
FAKE_LINE = FakeLine().start()

os.environ.update(
    {
        "DATABASE_URL": os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{WORK_DIR / 'test.db'}",
        "DATA_DIR": str(WORK_DIR),
        # The index is built once per machine and reused across runs (rebuilt whenever content changes).
        "INDEX_DIR": os.environ.get("TEST_INDEX_DIR", str(ROOT / "data" / "test-index")),
        "LINE_CHANNEL_SECRET": CHANNEL_SECRET,
        "LINE_CHANNEL_ACCESS_TOKEN": "test-access-token",
        "LINE_API_BASE_URL": FAKE_LINE.url,
        "LINE_TIMEOUT_SECONDS": "2",
        "PSEUDONYM_KEY": "test-pseudonym-key",
        "SESSION_SECRET": "test-session-secret",
        "CONTENT_POLL_SECONDS": "0.5",
    }
)


def reset_postgres(url: str) -> None:
    """A clean schema for this run: the tests own the `test` database they are pointed at."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


if os.environ["DATABASE_URL"].startswith("postgresql"):
    reset_postgres(os.environ["DATABASE_URL"])


def sign(body: bytes, secret: str = CHANNEL_SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def now_ms() -> int:
    return int(time.time() * 1000)


def text_event(text: str, *, user: str = "U" + "1" * 32, event_id: str | None = None, token: str | None = None,
               redelivery: bool = False, mode: str = "active", message_id: str | None = None) -> dict:
    return {
        "type": "message",
        "mode": mode,
        "timestamp": now_ms(),
        "source": {"type": "user", "userId": user},
        "webhookEventId": event_id or uuid.uuid4().hex.upper()[:26],
        "deliveryContext": {"isRedelivery": redelivery},
        "replyToken": token or uuid.uuid4().hex,
        "message": {"id": message_id or str(uuid.uuid4().int)[:18], "type": "text", "quoteToken": "q", "text": text},
    }


def webhook_body(*events: dict) -> bytes:
    return json.dumps({"destination": "U" + "0" * 32, "events": list(events)}, ensure_ascii=False).encode()


def post_webhook(client, body: bytes, signature: str | None = "sign"):
    headers = {"Content-Type": "application/json"}
    if signature == "sign":
        headers["X-Line-Signature"] = sign(body)
    elif signature is not None:
        headers["X-Line-Signature"] = signature
    return client.post("/callback", content=body, headers=headers)


@pytest.fixture(scope="session")
def client():
    from fastapi.testclient import TestClient

    from app.main import app

    with TestClient(app) as test_client:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and test_client.get("/readyz").status_code != 200:
            time.sleep(0.2)
        assert test_client.get("/readyz").status_code == 200, test_client.get("/readyz").json()
        yield test_client


@pytest.fixture
def line():
    FAKE_LINE.reset()
    yield FAKE_LINE
    FAKE_LINE.reset()
