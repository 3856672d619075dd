"""What was said, stored for staff and evaluation with personal data masked and users pseudonymised."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from app.db import utcnow


class ConversationTurn(SQLModel, table=True):
    """One citizen message and how the bot answered it."""

    __tablename__ = "conversation_turn"

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16, description="line | api | simulator")
    user_pseudonym: str | None = Field(default=None, max_length=64, index=True)
    line_message_id: str | None = Field(default=None, max_length=64, index=True)  # to honour `unsend`
    text: str | None = Field(default=None, description="What the citizen typed, personal data masked; None once unsent")
    language: str | None = Field(default=None, max_length=8)
    kind: str = Field(max_length=16, index=True, description="answer | clarify | fallback | smalltalk | flow | media")
    intent: str | None = Field(default=None, max_length=32)
    service_id: str | None = Field(default=None, max_length=80, index=True)
    candidates: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    confidence: float | None = None
    created_at: dt.datetime = Field(default_factory=utcnow, index=True)


class Feedback(SQLModel, table=True):
    __tablename__ = "feedback"

    id: int | None = Field(default=None, primary_key=True)
    user_pseudonym: str | None = Field(default=None, max_length=64, index=True)
    service_id: str | None = Field(default=None, max_length=80, index=True)
    turn_id: int | None = Field(default=None, foreign_key="conversation_turn.id")
    helpful: bool
    created_at: dt.datetime = Field(default_factory=utcnow, index=True)


class UserState(SQLModel, table=True):
    """Per-user conversation state, shared by processes: the language, what the conversation is about (the services
    last answered, the aspect last asked, facts the person stated), an eligibility check under way, staff handoff.
    The topic and facts are forgotten after a quiet period (`conversation_memory_minutes`)."""

    __tablename__ = "user_state"

    user_pseudonym: str = Field(primary_key=True, max_length=64)
    language: str | None = Field(default=None, max_length=8)
    flow: str | None = Field(default=None, max_length=32)
    flow_service_id: str | None = Field(default=None, max_length=80)
    flow_step: int = 0
    flow_answers: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    topic_service_ids: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    topic_aspect: str | None = Field(default=None, max_length=16)
    facts: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    handoff_requested_at: dt.datetime | None = None
    updated_at: dt.datetime = Field(default_factory=utcnow)
