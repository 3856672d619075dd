"""Webhook events as received: stored before LINE gets its 200, so an acknowledged event is never lost."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlmodel import Field, SQLModel

from app.db import utcnow


class EventStatus(StrEnum):
    pending = "pending"  # stored, not yet handled
    processing = "processing"  # claimed by one server process
    done = "done"  # handled (replied, or nothing to send)
    missed = "missed"  # the reply token had expired before we could answer
    failed = "failed"  # handling raised; see `error`


class WebhookEvent(SQLModel, table=True):
    __tablename__ = "webhook_event"

    # LINE's webhookEventId: the primary key is what makes redeliveries and duplicates collapse into one event,
    # across every server process sharing the database.
    id: str = Field(primary_key=True, max_length=64)
    event_type: str = Field(max_length=40)
    mode: str = Field(default="active", max_length=16)
    # Kept until the event is handled (the reply needs it), then cleared: it is personal data.
    payload: str | None = None
    reply_token: str | None = Field(default=None, max_length=255)
    user_pseudonym: str | None = Field(default=None, max_length=64, index=True)
    event_time: dt.datetime  # LINE's timestamp: decides whether the reply token may still be valid
    received_at: dt.datetime = Field(default_factory=utcnow)
    is_redelivery: bool = False
    status: EventStatus = Field(default=EventStatus.pending, index=True)
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_at: dt.datetime | None = None
    attempts: int = 0
    processed_at: dt.datetime | None = None
    line_request_id: str | None = Field(default=None, max_length=64)
    error: str | None = None
