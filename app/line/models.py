"""Webhook events as received: stored before LINE gets its 200, so an acknowledged event is never lost. The table is
also the queue the answer workers take events from."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from app.db import utcnow


class EventStatus(StrEnum):
    pending = "pending"  # stored, not yet handled
    processing = "processing"  # claimed by one answer worker, which renews its lease while it works
    done = "done"  # handled (replied, or nothing to send)
    missed = "missed"  # the reply token had expired before we could answer
    failed = "failed"  # handling raised; see `error`


class WebhookEvent(SQLModel, table=True):
    __tablename__ = "webhook_event"
    # A claim asks, for each event it considers, whether the same person has an earlier one unfinished. One index
    # answers that for one person whatever the statistics say: planned from a quiet spell's (nothing waiting), the
    # status index looked selective and PostgreSQL read all of it for every event of a backlog.
    __table_args__ = (Index("ix_webhook_event_user_status_time", "user_pseudonym", "status", "event_time"),)

    # LINE's webhookEventId: the primary key is what makes redeliveries and duplicates collapse into one event,
    # across every server process sharing the database.
    id: str = Field(primary_key=True, max_length=64)
    event_type: str = Field(max_length=40)
    mode: str = Field(default="active", max_length=16)
    # Kept until the event is handled (the reply needs it), then cleared: it is personal data.
    payload: str | None = None
    reply_token: str | None = Field(default=None, max_length=255)
    # The reply, saved in the same transaction as the conversation's change (an eligibility check's next step, a
    # logged turn). A retry after a timeout or a dead worker sends this again instead of answering a second time.
    reply_messages: list | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    user_pseudonym: str | None = Field(default=None, max_length=64)
    # LINE's timestamp: decides whether the reply token may still be valid, and the order events are answered in.
    event_time: dt.datetime = Field(index=True)
    received_at: dt.datetime = Field(default_factory=utcnow)
    is_redelivery: bool = False
    status: EventStatus = Field(default=EventStatus.pending, index=True)
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_at: dt.datetime | None = None
    # A live worker renews this every few seconds; once it has passed, the worker is taken for dead and any other
    # worker may take the event over.
    lease_expires_at: dt.datetime | None = None
    attempts: int = 0
    processed_at: dt.datetime | None = None
    line_request_id: str | None = Field(default=None, max_length=64)
    error: str | None = None


class WebhookOutcomeTotal(SQLModel, table=True):
    """How many events ended in each way (`app.line.queue.OUTCOMES`), for events already deleted by retention: the
    metrics' totals are these plus the rows still kept, so they only ever grow."""

    __tablename__ = "webhook_outcome_total"

    outcome: str = Field(primary_key=True, max_length=20)
    count: int = 0
