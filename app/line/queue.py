"""Durable webhook event handling: store, de-duplicate, claim, answer once, recover after a crash.

An event is committed to the database before LINE gets its 200. Its `webhookEventId` is the primary key, so a
redelivery or a duplicate (also one arriving at another server process) is dropped at insert. A process answers an
event only after claiming it with a conditional UPDATE, so two processes never both reply. Events a dead process
had stored or claimed are picked up by the sweeper of any live process: answered while the reply token can still be
valid, recorded as missed after that.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import socket
from collections.abc import Iterable

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.db import utcnow
from app.line.models import EventStatus, WebhookEvent
from app.privacy import pseudonymise

log = logging.getLogger(__name__)

WORKER_ID = f"{socket.gethostname()}:{os.getpid()}"
# A claim older than this belongs to a process that died mid-event; any process may take the event over.
STALE_CLAIM = dt.timedelta(seconds=30)
MAX_ATTEMPTS = 3


def event_id(raw: dict) -> str:
    """LINE's webhookEventId; events without one (old payloads) get a stable hash of their content."""
    given = raw.get("webhookEventId")
    if isinstance(given, str) and given:
        return given[:64]
    return "sha256:" + hashlib.sha256(json.dumps(raw, sort_keys=True).encode()).hexdigest()[:57]


def event_time(raw: dict) -> dt.datetime:
    timestamp = raw.get("timestamp")
    if isinstance(timestamp, int | float) and timestamp > 0:
        return dt.datetime.fromtimestamp(timestamp / 1000, dt.UTC)
    return utcnow()


def store_events(session: Session, events: Iterable[dict]) -> list[str]:
    """Store new events (commit is the caller's); return the ids that were new. Duplicates are skipped."""
    new_ids: list[str] = []
    for raw in events:
        if not isinstance(raw, dict):
            log.warning("ignored a webhook event that is not an object")
            continue
        eid = event_id(raw)
        if eid in new_ids or session.get(WebhookEvent, eid) is not None:
            log.info("duplicate event %s dropped (redelivery=%s)", eid, _is_redelivery(raw))
            continue
        source = raw.get("source") if isinstance(raw.get("source"), dict) else {}
        record = WebhookEvent(
            id=eid,
            event_type=str(raw.get("type", "unknown"))[:40],
            mode=str(raw.get("mode", "active"))[:16],
            payload=json.dumps(raw, ensure_ascii=False),
            reply_token=raw.get("replyToken") if isinstance(raw.get("replyToken"), str) else None,
            user_pseudonym=pseudonymise(source.get("userId")),
            event_time=event_time(raw),
            is_redelivery=_is_redelivery(raw),
        )
        try:
            with session.begin_nested():  # another process may insert the same id at the same moment
                session.add(record)
        except IntegrityError:
            log.info("duplicate event %s dropped (stored by another process)", eid)
            continue
        new_ids.append(eid)
    return new_ids


def _is_redelivery(raw: dict) -> bool:
    context = raw.get("deliveryContext")
    return bool(isinstance(context, dict) and context.get("isRedelivery"))


def claim(session: Session, eid: str, worker: str = WORKER_ID) -> WebhookEvent | None:
    """Take an event for processing; None when another process has it or it is finished."""
    now = utcnow()
    result = session.execute(
        update(WebhookEvent)
        .where(
            WebhookEvent.id == eid,
            WebhookEvent.attempts < MAX_ATTEMPTS,
            or_(
                WebhookEvent.status == EventStatus.pending,
                and_(WebhookEvent.status == EventStatus.processing, WebhookEvent.claimed_at < now - STALE_CLAIM),
            ),
        )
        .values(status=EventStatus.processing, claimed_by=worker, claimed_at=now, attempts=WebhookEvent.attempts + 1)
    )
    session.commit()
    if result.rowcount != 1:
        return None
    return session.get(WebhookEvent, eid, populate_existing=True)


def finish(
    session: Session, eid: str, status: EventStatus, *, request_id: str | None = None, error: str | None = None
) -> None:
    """Record the outcome and drop the payload: once handled, the message text is not kept here."""
    event = session.get(WebhookEvent, eid)
    if event is None:
        return
    event.status = status
    event.processed_at = utcnow()
    event.line_request_id = request_id
    event.error = error[:500] if error else None
    event.payload = None
    event.reply_token = None
    session.add(event)
    session.commit()


def unfinished_ids(session: Session, *, settled_before: dt.datetime) -> list[str]:
    """Events no live process is handling: pending since before `settled_before`, or claimed by a dead process."""
    now = utcnow()
    rows = session.execute(
        select(WebhookEvent.id)
        .where(
            WebhookEvent.attempts < MAX_ATTEMPTS,
            or_(
                and_(WebhookEvent.status == EventStatus.pending, WebhookEvent.received_at < settled_before),
                and_(WebhookEvent.status == EventStatus.processing, WebhookEvent.claimed_at < now - STALE_CLAIM),
            ),
        )
        .order_by(WebhookEvent.received_at)
        .limit(500)
    )
    return [row[0] for row in rows]


def give_up_exhausted(session: Session) -> int:
    """Events that failed MAX_ATTEMPTS times are marked failed instead of being retried forever."""
    result = session.execute(
        update(WebhookEvent)
        .where(
            WebhookEvent.attempts >= MAX_ATTEMPTS,
            WebhookEvent.status.in_([EventStatus.pending, EventStatus.processing]),
            or_(WebhookEvent.claimed_at.is_(None), WebhookEvent.claimed_at < utcnow() - STALE_CLAIM),
        )
        .values(status=EventStatus.failed, payload=None, reply_token=None, error="gave up after repeated failures")
    )
    session.commit()
    return result.rowcount or 0


def reply_token_expired(event: WebhookEvent, ttl_seconds: int) -> bool:
    event_at = event.event_time if event.event_time.tzinfo else event.event_time.replace(tzinfo=dt.UTC)
    return utcnow() - event_at > dt.timedelta(seconds=ttl_seconds)
