"""Curated content in the database: drafts staff edit, published versions citizens are answered from.

`knowledge/` files seed an empty database and are where exports land for review in git; at run time the published
versions here are the truth. Every publish is a new version, so history and rollback come for free.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.db import utcnow


class ServiceDraft(SQLModel, table=True):
    __tablename__ = "service_draft"

    service_id: str = Field(primary_key=True, max_length=80)
    data: dict = Field(sa_column=Column(JSON, nullable=False))
    updated_at: dt.datetime = Field(default_factory=utcnow)
    updated_by: str = Field(max_length=80)


class ServiceVersion(SQLModel, table=True):
    __tablename__ = "service_version"
    __table_args__ = (UniqueConstraint("service_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    service_id: str = Field(max_length=80, index=True)
    version: int
    data: dict = Field(sa_column=Column(JSON, nullable=False))
    published_at: dt.datetime = Field(default_factory=utcnow)
    published_by: str = Field(max_length=80)
    note: str | None = None


class PlaceDraft(SQLModel, table=True):
    """A service point's working copy (app.places.schemas.Place as JSON), kept and published like a service."""

    __tablename__ = "place_draft"

    place_id: str = Field(primary_key=True, max_length=80)
    data: dict = Field(sa_column=Column(JSON, nullable=False))
    updated_at: dt.datetime = Field(default_factory=utcnow)
    updated_by: str = Field(max_length=80)


class PlaceVersion(SQLModel, table=True):
    __tablename__ = "place_version"
    __table_args__ = (UniqueConstraint("place_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    place_id: str = Field(max_length=80, index=True)
    version: int
    data: dict = Field(sa_column=Column(JSON, nullable=False))
    published_at: dt.datetime = Field(default_factory=utcnow)
    published_by: str = Field(max_length=80)
    note: str | None = None


class Example(SQLModel, table=True):
    """An example phrasing of a service (`service_id`) or a conversational intent (`intent`)."""

    __tablename__ = "example"
    __table_args__ = (UniqueConstraint("service_id", "intent", "text"),)

    id: int | None = Field(default=None, primary_key=True)
    service_id: str | None = Field(default=None, max_length=80, index=True)
    intent: str | None = Field(default=None, max_length=32)
    text: str
    origin: str = Field(default="file", max_length=16, description="file | console | unanswered")
    created_at: dt.datetime = Field(default_factory=utcnow)


class ContentRevision(SQLModel, table=True):
    """One row whose counter goes up on every content change; each server process polls it to reload."""

    __tablename__ = "content_revision"

    id: int = Field(default=1, primary_key=True)
    revision: int = 0
    changed_at: dt.datetime = Field(default_factory=utcnow)


class AuditLog(SQLModel, table=True):
    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(default_factory=utcnow, index=True)
    actor: str = Field(max_length=80)
    action: str = Field(max_length=40)
    target: str = Field(max_length=120)
    detail: str | None = None
