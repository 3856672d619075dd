"""Staff accounts of the console and the login attempts that rate-limit guessing.

Attempts live in the database, not in process memory, so the lock holds across every server process and restarts.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlmodel import Field, SQLModel

from app.db import utcnow


class StaffRole(StrEnum):
    """Each role can do everything the roles before it can."""

    editor = "editor"  # edits drafts and example phrasings
    publisher = "publisher"  # also publishes, rolls back and unpublishes
    admin = "admin"  # also manages staff accounts

    @property
    def rank(self) -> int:
        return list(StaffRole).index(self)

    def allows(self, needed: StaffRole) -> bool:
        return self.rank >= needed.rank


class StaffUser(SQLModel, table=True):
    __tablename__ = "staff_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=80, unique=True, index=True)
    password_hash: str = Field(max_length=255)
    role: StaffRole
    active: bool = True
    # Part of every session cookie; raising it (password change, role change, deactivation) ends existing sessions.
    session_epoch: int = 0
    created_at: dt.datetime = Field(default_factory=utcnow)
    last_login_at: dt.datetime | None = None


class LoginAttempt(SQLModel, table=True):
    __tablename__ = "login_attempt"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=80, index=True)
    ip: str = Field(max_length=64, index=True)
    succeeded: bool
    at: dt.datetime = Field(default_factory=utcnow, index=True)
