"""What a conversation is about, kept between messages in the user's `UserState` row (so any server process that
receives the next message carries on): the services last answered, the aspect last asked, and the facts the person
has stated. A follow-up with no service of its own (「那要帶什麼」, "Where do I go?") is understood against it.

It is forgotten after `conversation_memory_minutes` without a message, and at once on 「重新開始」. What people said
about themselves (age, district …) is not kept past that even when they never write again: every process clears
quiet conversations once a minute (`forget_quiet`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import String, cast, or_, update
from sqlmodel import Session, col

from app.conversation.models import UserState
from app.db import as_utc, utcnow
from app.knowledge.schemas import Service
from app.knowledge.service import KnowledgeBase


@dataclass(frozen=True)
class Context:
    topic: Service | None = None  # the service the conversation is about (the one answered last), still published
    others: tuple[Service, ...] = ()  # the other services it may be about (offered beside a clarification, a pair)
    aspect: str | None = None  # the part of it asked last
    facts: dict = field(default_factory=dict)  # what the person said about themselves (app.nlu.facts)


def load(state: UserState | None, kb: KnowledgeBase, *, memory_minutes: float,
         now: dt.datetime | None = None) -> Context:
    """The conversation so far; empty for anonymous callers, and after a quiet period (which also forgets it)."""
    if state is None:
        return Context()
    if (now or utcnow()) - as_utc(state.updated_at) > dt.timedelta(minutes=memory_minutes):
        forget(state)
        return Context()
    published = {s.id: s for s in kb.published}
    services = [published[i] for i in state.topic_service_ids if i in published]
    return Context(services[0] if services else None, tuple(services[1:3]), state.topic_aspect, dict(state.facts or {}))


def remember(state: UserState | None, *, services: list[str], aspect: str | None, facts: Mapping[str, Any]) -> None:
    """After an answer: what it was about. Facts add up over the conversation; a later statement wins."""
    if state is None:
        return
    if services:  # an answer's services, or a clarification's choices (the likeliest first)
        state.topic_service_ids, state.topic_aspect = services, aspect
    if facts:
        state.facts = {**(state.facts or {}), **facts}


def forget(state: UserState) -> None:
    state.topic_service_ids, state.topic_aspect, state.facts = [], None, {}


def forget_quiet(session: Session, *, memory_minutes: float, now: dt.datetime | None = None) -> int:
    """Clear every conversation quiet for longer than `memory_minutes`; the number cleared."""
    cutoff = (now or utcnow()) - dt.timedelta(minutes=memory_minutes)
    # JSON has no equality in PostgreSQL: compare the stored text, which is what json.dumps wrote.
    remembering = or_(col(UserState.topic_aspect).is_not(None), cast(UserState.topic_service_ids, String) != "[]",
                      cast(UserState.facts, String) != "{}")
    result = session.exec(
        update(UserState).where(col(UserState.updated_at) < cutoff, remembering)
        .values(topic_service_ids=[], topic_aspect=None, facts={})
    )
    return result.rowcount or 0
