"""The database queue of webhook events: answer workers claim, renew, finish; nothing acknowledged is lost.

Workers claim the oldest claimable events in one statement (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so workers on
several machines never wait for each other; SQLite's single writer serialises the same statement). A claim is a lease
the worker renews while it works: when a worker dies, its lease runs out within seconds and any other worker takes the
event over. An event whose reply token can no longer be valid is recorded as missed instead of being answered late;
an event that failed MAX_ATTEMPTS times is recorded as failed. Finished events are kept for a retention period (a
redelivery of one is still recognised), then deleted; their counts stay in `webhook_outcome_total`.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from typing import cast

from sqlalchemy import CursorResult, Table, and_, bindparam, case, delete, exists, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from app.db import as_utc, utcnow
from app.line.models import EventStatus, WebhookEvent, WebhookOutcomeTotal
from app.privacy import mask_personal_data

MAX_ATTEMPTS = 3
FINISHED = (EventStatus.done, EventStatus.missed, EventStatus.failed)
# How a finished event ended, as the metrics count it: a reply LINE accepted, nothing to send (unfollow, unsend,
# standby), a reply that was not sent (LINE refused it, or no answer from LINE while the token lived), missed, failed.
OUTCOMES = ("replied", "nothing_to_send", "not_sent", "missed", "failed")
_OUTCOME = case(
    (col(WebhookEvent.status) == EventStatus.missed, "missed"),
    (col(WebhookEvent.status) == EventStatus.failed, "failed"),
    (col(WebhookEvent.error).is_not(None), "not_sent"),
    (col(WebhookEvent.line_request_id).is_not(None), "replied"),
    else_="nothing_to_send",
)


def _any(session: Session, condition) -> bool:
    """A read first: an idle worker's UPDATE that matches nothing would still take SQLite's write lock, and the web
    process's intake would wait for it."""
    return session.scalar(select(col(WebhookEvent.id)).where(condition).limit(1)) is not None


def new_worker_id() -> str:
    """host:pid and a random part: unique even when a pid is reused after a restart."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"[:64]


_earlier = aliased(WebhookEvent)


def _claimable(now: dt.datetime):
    return and_(
        col(WebhookEvent.attempts) < MAX_ATTEMPTS,
        or_(
            col(WebhookEvent.status) == EventStatus.pending,
            and_(col(WebhookEvent.status) == EventStatus.processing, col(WebhookEvent.lease_expires_at) < now),
        ),
        # One person's messages are answered in the order they were sent, one at a time: the answer to 「是」 in an
        # eligibility check depends on the question before it.
        ~exists().where(
            col(_earlier.user_pseudonym) == col(WebhookEvent.user_pseudonym),
            col(_earlier.status).in_([EventStatus.pending, EventStatus.processing]),
            or_(col(_earlier.event_time) < col(WebhookEvent.event_time),
                and_(col(_earlier.event_time) == col(WebhookEvent.event_time),
                     col(_earlier.id) < col(WebhookEvent.id))),
        ),
    )


def claim_batch(session: Session, worker: str, limit: int, *, lease_seconds: float,
                in_hand: Collection[str] = ()) -> list[WebhookEvent]:
    """Up to `limit` events for this worker, oldest first (commits). Not the events the worker has `in_hand`: when
    a starved worker renewed a lease too late, taking the event again would answer it twice at once."""
    now = utcnow()
    claimable = and_(_claimable(now), col(WebhookEvent.id).not_in(in_hand)) if in_hand else _claimable(now)
    if not _any(session, claimable):
        return []
    # Chosen once, in a CTE the database must materialise, and locked there. As a subquery of the UPDATE,
    # PostgreSQL planned it from statistics of a quiet spell (nothing waiting) as the inner side of a loop: run
    # again for every row, it took more events than asked, in a time growing with the square of the backlog. The
    # rows it returns need no second test: locked FOR UPDATE, PostgreSQL has checked them again as they are now;
    # SQLite runs the whole statement under its one write lock.
    oldest = (
        select(col(WebhookEvent.id))
        .where(claimable)
        .order_by(col(WebhookEvent.event_time))
        .limit(limit)
        .with_for_update(skip_locked=True)
        .cte("oldest")
        .prefix_with("MATERIALIZED")
    )
    claimed = session.scalars(
        update(WebhookEvent)
        .where(col(WebhookEvent.id).in_(select(oldest.c.id)))
        .values(status=EventStatus.processing, claimed_by=worker, claimed_at=now,
                lease_expires_at=now + dt.timedelta(seconds=lease_seconds), attempts=col(WebhookEvent.attempts) + 1)
        .returning(WebhookEvent),
        execution_options={"synchronize_session": False, "populate_existing": True},
    ).all()
    session.commit()
    return sorted(claimed, key=lambda event: as_utc(event.event_time))


def waiting(session: Session, limit: int) -> list[WebhookEvent]:
    """The oldest events not yet claimed (read only)."""
    return list(session.scalars(select(WebhookEvent).where(col(WebhookEvent.status) == EventStatus.pending)
                                .order_by(col(WebhookEvent.event_time)).limit(limit)))


def renew_leases(session: Session, worker: str, event_ids: list[str], *, lease_seconds: float) -> None:
    """A live worker keeps the events it is answering (commits)."""
    if not event_ids:
        return
    session.execute(
        update(WebhookEvent)
        .where(col(WebhookEvent.id).in_(event_ids), col(WebhookEvent.claimed_by) == worker,
               col(WebhookEvent.status) == EventStatus.processing)
        .values(lease_expires_at=utcnow() + dt.timedelta(seconds=lease_seconds))
    )
    session.commit()


def save_reply(session: Session, eid: str, messages: list[dict]) -> None:
    """The reply, in the caller's transaction: the one that changed the conversation (no commit here)."""
    # The Core table: the ORM's update by primary key costs more than writing the row.
    table: Table = WebhookEvent.__table__  # type: ignore[attr-defined]  # set by SQLAlchemy, not declared by SQLModel
    session.execute(update(table).where(table.c.id == eid).values(reply_messages=messages))


@dataclass(frozen=True)
class Outcome:
    status: EventStatus
    request_id: str | None = None
    error: str | None = None


def finish(session: Session, worker: str, outcomes: list[tuple[str, Outcome]]) -> None:
    """Record how events ended, in one transaction for all of them (commits). A finished event's payload, token and
    reply are dropped: once handled, the message text is not kept here. A `pending` outcome hands the event back for
    another attempt, payload kept. Only the worker holding an event's lease may finish it: after a lease was lost
    to another worker, the late outcome of the first is not written over the second's."""
    # The Core table, not the class: an executemany UPDATE keyed on `eid` is not ORM's bulk update by primary key.
    table: Table = WebhookEvent.__table__  # type: ignore[attr-defined]  # set by SQLAlchemy, not declared by SQLModel
    mine = and_(table.c.id == bindparam("eid"), table.c.claimed_by == worker)
    now = utcnow()
    finished = [{"eid": eid, "new_status": o.status, "new_error": _short(o.error), "request_id": o.request_id}
                for eid, o in outcomes if o.status is not EventStatus.pending]
    retried = [{"eid": eid, "new_error": _short(o.error)} for eid, o in outcomes if o.status is EventStatus.pending]
    if finished:
        session.execute(update(table).where(mine).values(
            status=bindparam("new_status"), error=bindparam("new_error"), line_request_id=bindparam("request_id"),
            processed_at=now, lease_expires_at=None, payload=None, reply_token=None, reply_messages=None), finished)
    if retried:
        session.execute(update(table).where(mine).values(
            status=EventStatus.pending, error=bindparam("new_error"), lease_expires_at=None), retried)
    session.commit()


def _short(error: str | None) -> str | None:
    """An error as stored: an exception's text can quote what the person wrote."""
    return mask_personal_data(error, limit=None)[:500] if error else None


def miss_expired(session: Session, *, ttl_seconds: float) -> int:
    """Events still waiting whose reply token is older than its life: recorded as missed, not lost (commits)."""
    now = utcnow()
    expired = and_(col(WebhookEvent.reply_token).is_not(None),
                   col(WebhookEvent.event_time) < now - dt.timedelta(seconds=ttl_seconds), _claimable(now))
    return _end(session, expired, EventStatus.missed, "reply token expired before the event could be answered", now)


def give_up_exhausted(session: Session) -> int:
    """Events that failed MAX_ATTEMPTS times are marked failed instead of being retried forever (commits)."""
    now = utcnow()
    exhausted = and_(
        col(WebhookEvent.attempts) >= MAX_ATTEMPTS,
        or_(col(WebhookEvent.status) == EventStatus.pending,
            and_(col(WebhookEvent.status) == EventStatus.processing, col(WebhookEvent.lease_expires_at) < now)),
    )
    return _end(session, exhausted, EventStatus.failed, "gave up after repeated failures", now)


def _end(session: Session, condition, status: EventStatus, error: str, now: dt.datetime) -> int:
    """Events no worker will answer, finished as `status` with their text dropped; how many (commits)."""
    if not _any(session, condition):
        return 0
    result = cast(CursorResult, session.execute(
        update(WebhookEvent)
        .where(condition)
        .values(status=status, processed_at=now, payload=None, reply_token=None, reply_messages=None,
                lease_expires_at=None, error=error)
    ))
    session.commit()
    return result.rowcount or 0


def delete_finished(session: Session, *, older_than: dt.timedelta) -> int:
    """Retention: finished events past it are deleted and added to the outcome totals, in one transaction (commits).
    Only rows this statement deleted are counted, so workers doing this at once never count one twice."""
    deleted = session.scalars(
        delete(WebhookEvent)
        .where(col(WebhookEvent.status).in_(FINISHED), col(WebhookEvent.processed_at) < utcnow() - older_than)
        .returning(_OUTCOME)
    ).all()
    counts: dict[str, int] = {}
    for outcome in deleted:
        counts[outcome] = counts.get(outcome, 0) + 1
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    for outcome, count in counts.items():
        insert = dialect.insert(WebhookOutcomeTotal).values(outcome=outcome, count=count)
        session.execute(insert.on_conflict_do_update(
            index_elements=["outcome"], set_={"count": col(WebhookOutcomeTotal.count) + insert.excluded.count}))
    session.commit()
    return len(deleted)


@dataclass(frozen=True)
class Backlog:
    waiting: int  # stored, not claimed
    in_progress: int  # claimed by a worker
    oldest_waiting_seconds: float  # age of the oldest event not yet answered (0 when none)
    totals: dict[str, int]  # every event ever finished, by outcome (OUTCOMES)


def backlog(session: Session) -> Backlog:
    """What the metrics show: across every worker and machine, since the database is the queue."""
    unfinished = dict(session.execute(
        select(col(WebhookEvent.status), func.count())
        .where(col(WebhookEvent.status).in_([EventStatus.pending, EventStatus.processing]))
        .group_by(col(WebhookEvent.status))).all())
    live = dict(session.execute(
        select(_OUTCOME, func.count()).where(col(WebhookEvent.status).in_(FINISHED)).group_by(_OUTCOME)).all())
    archived = dict(session.execute(select(col(WebhookOutcomeTotal.outcome), col(WebhookOutcomeTotal.count))).all())
    oldest = session.scalar(select(func.min(col(WebhookEvent.event_time)))
                            .where(col(WebhookEvent.status).in_([EventStatus.pending, EventStatus.processing])))
    return Backlog(
        waiting=unfinished.get(EventStatus.pending, 0),
        in_progress=unfinished.get(EventStatus.processing, 0),
        oldest_waiting_seconds=max(0.0, (utcnow() - as_utc(oldest)).total_seconds()) if oldest else 0.0,
        totals={outcome: live.get(outcome, 0) + archived.get(outcome, 0) for outcome in OUTCOMES},
    )


def reply_deadline(event: WebhookEvent, ttl_seconds: float) -> dt.datetime:
    """Until when the event's reply token can still be valid."""
    return as_utc(event.event_time) + dt.timedelta(seconds=ttl_seconds)
