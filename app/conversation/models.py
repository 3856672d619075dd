"""What was said, stored for staff and evaluation with personal data masked and users pseudonymised."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

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


class FeedbackReason(StrEnum):
    """What was wrong with an answer rated 👎, as the citizen chose it."""

    wrong_answer = "wrong_answer"  # 答非所問
    wrong_information = "wrong_information"  # 資料有誤
    unclear = "unclear"  # 看不懂
    other = "other"  # 其他: the citizen's next message says what


class Feedback(SQLModel, table=True):
    """One rating per answer (the turn it is linked to); a 👎 can carry a reason and a comment for staff."""

    __tablename__ = "feedback"

    id: int | None = Field(default=None, primary_key=True)
    user_pseudonym: str | None = Field(default=None, max_length=64, index=True)
    service_id: str | None = Field(default=None, max_length=80, index=True)
    turn_id: int | None = Field(default=None, foreign_key="conversation_turn.id")
    helpful: bool
    reason: str | None = Field(default=None, max_length=24)  # a FeedbackReason, once the citizen chose one
    # 「其他」 was tapped then: the person's next text message (within the conversation memory) is the comment.
    comment_requested_at: dt.datetime | None = None
    # The comment is that message's own turn, so it is masked and erased on unsend like every message.
    comment_turn_id: int | None = Field(default=None, foreign_key="conversation_turn.id")
    resolved_at: dt.datetime | None = None  # staff dealt with it: it leaves the unanswered questions
    resolved_by: str | None = Field(default=None, max_length=80)
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
    # The service last shown (what 「你回答錯了」 is about); not forgotten with the topic, like the turn log it mirrors.
    last_service_id: str | None = Field(default=None, max_length=80)
    # 「其他」 was tapped after a 👎: the next text message may be the comment (the rating itself says for what).
    comment_requested_at: dt.datetime | None = None
    updated_at: dt.datetime = Field(default_factory=utcnow)
