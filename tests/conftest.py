"""Test set-up: a real database (SQLite, or PostgreSQL when TEST_DATABASE_URL is set), a real fake LINE API server
on 127.0.0.1, and the app with its real content and retrieval engine.

Environment is set before `app` is imported, because settings are read once per process.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import os
import shutil
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
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


def fully_ready(status: int, readiness: dict) -> bool:
    """Tests expect the complete engine's answers; a first start answers from the words alone until it is built."""
    return status == 200 and readiness.get("answering_from") == "complete"


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


@contextmanager
def answer_worker(runtime):
    """A real answer worker on the test database, in a thread of the test process: it answers from the app's own
    content (tests patch it in place), claims through the same queue as `python -m app worker` does."""
    from app.config import get_settings
    from app.line.client import LineApi
    from app.line.worker import AnswerWorker

    ready, stopping = threading.Event(), {}

    async def run() -> None:
        stopping["event"], stopping["loop"] = asyncio.Event(), asyncio.get_running_loop()
        line = LineApi(get_settings())
        await line.start()
        ready.set()
        try:
            await AnswerWorker(runtime, line, get_settings()).run(stopping["event"])
        finally:
            await line.close()

    thread = threading.Thread(target=asyncio.run, args=(run(),), name="answer-worker", daemon=True)
    thread.start()
    assert ready.wait(30), "the answer worker did not start"
    try:
        yield
    finally:
        stopping["loop"].call_soon_threadsafe(stopping["event"].set)
        thread.join(30)


def _readiness(test_client) -> tuple[int, dict]:
    response = test_client.get("/readyz")
    return response.status_code, response.json()


@pytest.fixture(scope="session")
def client():
    from fastapi.testclient import TestClient

    from app.main import app

    with TestClient(app) as test_client:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and not fully_ready(*_readiness(test_client)):
            time.sleep(0.2)
        assert fully_ready(*_readiness(test_client)), _readiness(test_client)
        with answer_worker(app.state.runtime):
            yield test_client


@pytest.fixture
def line():
    FAKE_LINE.reset()
    yield FAKE_LINE
    FAKE_LINE.reset()


@pytest.fixture(scope="session")
def seeded_database(tmp_path_factory) -> Path:
    """A SQLite file with the schema and the curated content, made once: tests work on copies of it (`session`)."""
    from sqlmodel import Session, SQLModel

    from app.db import make_engine
    from app.knowledge.service import load_from_files, seed_database

    path = tmp_path_factory.mktemp("seeded") / "seeded.db"
    engine = make_engine(f"sqlite:///{path}")
    SQLModel.metadata.create_all(engine)
    with Session(engine) as db:
        seed_database(db, load_from_files(ROOT / "knowledge", ROOT / "intents"))
        db.commit()
    engine.dispose()  # the last connection closed: the write-ahead log is folded into the file, which is complete
    return path


@pytest.fixture
def session(tmp_path, seeded_database):
    """A session on a SQLite database of the test's own holding the curated content. A copy of the seeded file costs
    milliseconds where seeding costs about half a second, for each of the console's content tests."""
    from sqlmodel import Session

    from app.db import make_engine

    path = tmp_path / "seeded.db"
    shutil.copyfile(seeded_database, path)
    engine = make_engine(f"sqlite:///{path}")
    with Session(engine, expire_on_commit=False) as db:
        yield db
    engine.dispose()
