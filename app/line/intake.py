"""What the web process does with a verified webhook body: check each event on its own, store the new ones, answer.

Only the fields the bot needs are read, each type-checked, so one malformed event (a numeric userId, a timestamp out
of range, a lone surrogate, a NUL byte, very deep nesting, an over-long reply token) costs only itself: it is logged
and skipped, and the other events of the batch are stored and answered. Events are inserted with `ON CONFLICT DO
NOTHING` on LINE's `webhookEventId`, so a redelivery, or the same event arriving at another web process at the same
moment, collapses into the event already stored.

Under load, the requests waiting to be stored are written together: one writer thread commits whatever has arrived
meanwhile in one transaction (group commit), and each request gets its 200 once its own events are committed. A
commit's cost is paid once per group instead of once per request, which is what lets one web process acknowledge
thousands of webhooks a second.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from app.db import storable_json, utcnow
from app.line.models import EventStatus, WebhookEvent
from app.privacy import pseudonymise

log = logging.getLogger(__name__)

# Deeper than any LINE event (a text message with mentions and emojis is five levels deep).
MAX_DEPTH = 32
MAX_REPLY_TOKEN = 255  # the column; LINE's tokens are 32 characters
# LINE's timestamps are milliseconds since 1970; beyond year 2286 a number is not a timestamp.
MAX_TIMESTAMP_MS = 10**13
MAX_TEXT = 5000  # LINE's limit for a text message: a longer one is not from LINE, and costs time to read


class MalformedEvent(ValueError):
    """An event the bot cannot store as it is: skipped on its own, the rest of the batch goes on."""


@dataclass(frozen=True)
class Intake:
    new: int
    duplicates: int
    malformed: int


@dataclass(frozen=True)
class Batch:
    """A webhook body's events, checked: the rows to store, and how many events could not be."""

    records: list[dict]
    repeated: int  # the same webhookEventId twice in one body
    malformed: int


def check(events: list) -> Batch:
    records: dict[str, dict] = {}
    malformed = repeated = 0
    for raw in events:
        try:
            record = to_record(raw)
        except MalformedEvent as exc:
            malformed += 1
            log.warning("skipped a malformed webhook event: %s", exc)
            continue
        if record["id"] in records:
            repeated += 1
            continue
        records[record["id"]] = record
    return Batch(list(records.values()), repeated, malformed)


def accept(session: Session, events: list) -> Intake:
    """Store the new events of one body (the caller commits)."""
    batch = check(events)
    stored = _insert_new(session, batch.records)
    return _intake(batch, stored)


def _intake(batch: Batch, stored: int) -> Intake:
    duplicates = batch.repeated + len(batch.records) - stored
    if duplicates:
        log.info("%d duplicate webhook event(s) dropped", duplicates)
    return Intake(new=stored, duplicates=duplicates, malformed=batch.malformed)


class GroupWriter:
    """Stores the batches of concurrent requests with one commit per group (see the module's docstring)."""

    MAX_GROUP = 500  # batches per transaction: bounds one commit's time

    def __init__(self, open_session: Callable[[], Session]):
        self._open_session = open_session
        self._waiting: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._write_forever, name="webhook-intake", daemon=True)
        self._thread.start()

    async def store(self, events: list) -> Intake:
        batch = check(events)
        if not batch.records:
            return _intake(batch, 0)
        loop = asyncio.get_running_loop()
        done: asyncio.Future = loop.create_future()
        self._waiting.put((batch, loop, done))
        return await done

    def close(self) -> None:
        self._waiting.put(None)
        self._thread.join(10)

    def _write_forever(self) -> None:
        while (first := self._waiting.get()) is not None:
            group = [first]
            while len(group) < self.MAX_GROUP:
                try:
                    item = self._waiting.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    self._waiting.put(None)  # finish this group, then stop
                    break
                group.append(item)
            self._write(group)

    def _write(self, group: list) -> None:
        try:
            with self._open_session() as session:
                inserted = _insert_or_ignore(session, [r for batch, _, _ in group for r in batch.records])
                session.commit()
            results: list[Intake | Exception] = []
            for batch, _, _ in group:  # an id in two bodies of the group (a redelivery racing) is new for one
                new = {r["id"] for r in batch.records} & inserted
                inserted -= new
                results.append(_intake(batch, len(new)))
        except Exception:  # one request's rows must not cost the others: each on its own
            log.exception("storing %d webhook bodies together failed; storing them one by one", len(group))
            results = [self._write_alone(batch) for batch, _, _ in group]
        for (_, loop, done), result in zip(group, results, strict=True):
            loop.call_soon_threadsafe(_settle, done, result)

    def _write_alone(self, batch: Batch) -> Intake | Exception:
        try:
            with self._open_session() as session:
                stored = _insert_new(session, batch.records)
                session.commit()
            return _intake(batch, stored)
        except Exception as exc:
            return exc


def _settle(done: asyncio.Future, result: Intake | Exception) -> None:
    if done.cancelled():
        return
    if isinstance(result, Exception):
        done.set_exception(result)
    else:
        done.set_result(result)


def to_record(raw: object) -> dict:
    """The row for one event, from type-checked fields only; MalformedEvent when it cannot be stored."""
    if not isinstance(raw, dict):
        raise MalformedEvent("not an object")
    clean, too_deep = storable_json(raw, MAX_DEPTH)
    if too_deep:
        raise MalformedEvent(f"nested deeper than {MAX_DEPTH} levels")
    assert isinstance(clean, dict)  # cleaning keeps an object an object
    message = clean.get("message")
    if isinstance(message, dict) and isinstance(message.get("text"), str):
        message["text"] = message["text"][:MAX_TEXT]
    source = value if isinstance(value := clean.get("source"), dict) else {}
    user_id = source.get("userId")
    token = clean.get("replyToken")
    if isinstance(token, str) and len(token) > MAX_REPLY_TOKEN:
        log.warning("a reply token of %d characters is not LINE's: the event is stored without it", len(token))
        token = None
    return {
        "id": event_id(clean),
        "event_type": _text(clean.get("type"), "unknown", 40),
        "mode": _text(clean.get("mode"), "active", 16),
        "payload": json.dumps(clean, ensure_ascii=False),
        "reply_token": token if isinstance(token, str) and token else None,
        "user_pseudonym": pseudonymise(user_id) if isinstance(user_id, str) else None,
        "event_time": event_time(clean),
        "received_at": utcnow(),
        "is_redelivery": _is_redelivery(clean),
        "status": EventStatus.pending,
        "attempts": 0,
    }


def event_id(raw: dict) -> str:
    """LINE's webhookEventId; events without one (old payloads) get a stable hash of their content."""
    given = raw.get("webhookEventId")
    if isinstance(given, str) and given:
        return given[:64]
    return "sha256:" + hashlib.sha256(json.dumps(raw, sort_keys=True).encode()).hexdigest()[:57]


def event_time(raw: dict) -> dt.datetime:
    """When LINE says the event happened; the time of arrival when the field is missing or not a timestamp."""
    timestamp = raw.get("timestamp")
    if isinstance(timestamp, int | float) and not isinstance(timestamp, bool) and 0 < timestamp < MAX_TIMESTAMP_MS:
        return dt.datetime.fromtimestamp(timestamp / 1000, dt.UTC)
    return utcnow()


def _text(value: object, default: str, limit: int) -> str:
    return value[:limit] if isinstance(value, str) and value else default


def _is_redelivery(raw: dict) -> bool:
    context = raw.get("deliveryContext")
    return bool(isinstance(context, dict) and context.get("isRedelivery") is True)


def _insert_new(session: Session, records: list[dict]) -> int:
    """Insert, skipping ids already stored; the number inserted. One statement for the batch; should it fail, each
    event is tried on its own so that one bad row does not cost the others."""
    if not records:
        return 0
    try:
        with session.begin_nested():
            return len(_insert_or_ignore(session, records))
    except SQLAlchemyError:
        log.exception("storing a batch of %d events failed; storing them one by one", len(records))
    stored = 0
    for record in records:
        try:
            with session.begin_nested():
                stored += len(_insert_or_ignore(session, [record]))
        except SQLAlchemyError as exc:
            log.error("webhook event %s could not be stored: %s", record["id"], type(exc).__name__)
    return stored


def _insert_or_ignore(session: Session, records: list[dict]) -> set[str]:
    """The ids inserted; ids already stored are skipped (and so are repeats within `records`)."""
    if not records:
        return set()
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(WebhookEvent).on_conflict_do_nothing(index_elements=["id"]).returning(WebhookEvent.id)
    return set(session.scalars(statement, records).all())
