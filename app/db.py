"""Database engine and sessions. SQLite is the embedded default; PostgreSQL runs the same code in production.

The schema is owned by Alembic (`migrations/`): `migrate()` brings any database to the newest revision, so a fresh
checkout started with plain `uvicorn app.main:app` creates what it needs.
"""

from __future__ import annotations

import datetime as dt
import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

from app.config import PROJECT_ROOT, get_settings


def utcnow() -> dt.datetime:
    """Timezone-aware UTC now: every timestamp in the database is stored in UTC."""
    return dt.datetime.now(dt.UTC)


TAIPEI = dt.timezone(dt.timedelta(hours=8), "Asia/Taipei")


def taipei_today() -> dt.date:
    """The day it is for the citizen: which figure is in force and which window is open is decided in Taiwan's
    time, not the server's."""
    return dt.datetime.now(TAIPEI).date()


def as_utc(moment: dt.datetime) -> dt.datetime:
    """A stored timestamp as aware UTC (SQLite hands back naive UTC)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def make_engine(database_url: str) -> Engine:
    if database_url.startswith("sqlite"):
        path = database_url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(database_url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # several server processes share one file
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL survives a killed process
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_engine(database_url, pool_pre_ping=True, pool_size=10, max_overflow=20)


@lru_cache
def get_engine() -> Engine:
    return make_engine(get_settings().database_url)


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def migrate(database_url: str | None = None) -> None:
    """Upgrade the database to the newest Alembic revision (idempotent; safe with several processes starting)."""
    from alembic import command
    from alembic.config import Config

    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", (database_url or get_settings().database_url).replace("%", "%%"))
    with startup_lock():
        command.upgrade(config, "head")


@contextmanager
def startup_lock() -> Iterator[None]:
    """Processes starting together on one machine take turns to migrate and seed (re-entrant per process).

    Across machines, PostgreSQL's advisory lock in migrations/env.py and the database's unique keys do the same job.
    """
    if _held.get("startup"):
        yield
        return
    data_dir = get_settings().data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(data_dir / ".startup.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        _held["startup"] = True
        try:
            yield
        finally:
            _held["startup"] = False


_held: dict[str, bool] = {}


def is_reachable(engine: Engine | None = None) -> bool:
    try:
        with (engine or get_engine()).connect() as connection:
            connection.exec_driver_sql("SELECT 1")
        return True
    except Exception:
        return False
