"""Database engine and sessions. SQLite is the embedded default; PostgreSQL runs the same code in production.

The schema is owned by Alembic (`migrations/`): `migrate()` brings any database to the newest revision, so a fresh
checkout started with plain `uvicorn app.main:app` creates what it needs.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import re
import sqlite3
import time
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


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def storable(text: str) -> str:
    """Text as every database can store it: PostgreSQL refuses NUL in text, and a lone surrogate (a broken \\ud800
    escape in JSON) cannot be encoded as UTF-8. Neither is something a person typed, so NUL is dropped and a lone
    surrogate becomes U+FFFD, instead of refusing a message over an invisible character."""
    return _LONE_SURROGATE.sub("\ufffd", text.replace("\x00", ""))


def storable_json(value: object, max_depth: int) -> tuple[object, bool]:
    """Parsed JSON with every string `storable`, NaN and Infinity as null (not JSON, though `json` reads and writes
    them), and whatever lies deeper than `max_depth` as null; True when something was that deep."""
    too_deep = False

    def clean(item: object, depth: int) -> object:
        nonlocal too_deep
        if depth > max_depth:
            too_deep = True
            return None
        if isinstance(item, str):
            return storable(item)
        if isinstance(item, dict):
            return {clean(key, depth + 1): clean(inner, depth + 1) for key, inner in item.items()}
        if isinstance(item, list):
            return [clean(inner, depth + 1) for inner in item]
        if isinstance(item, float) and (item != item or item in (float("inf"), float("-inf"))):
            return None
        return item

    return clean(value, 0), too_deep


TAIPEI = dt.timezone(dt.timedelta(hours=8), "Asia/Taipei")


def taipei_today() -> dt.date:
    """The day it is for the citizen: which figure is in force and which window is open is decided in Taiwan's
    time, not the server's."""
    return dt.datetime.now(TAIPEI).date()


def as_utc(moment: dt.datetime) -> dt.datetime:
    """A stored timestamp as aware UTC (SQLite hands back naive UTC)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


# A SQLite writer waits this long for the write lock held by another connection (another process, or a thread).
BUSY_TIMEOUT_SECONDS = 30.0
LOCKED_RETRY_SECONDS = 0.0005
CHECKPOINT_PATIENCE_MS = 100
SQLITE_BUSY = 5  # plain "database is locked"; SQLITE_BUSY_SNAPSHOT (517) cannot succeed by waiting


def _while_locked(call, *args):
    deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
    while True:
        try:
            return call(*args)
        except sqlite3.OperationalError as exc:
            if getattr(exc, "sqlite_errorcode", None) != SQLITE_BUSY or time.monotonic() > deadline:
                raise
            time.sleep(LOCKED_RETRY_SECONDS)


class _PromptCursor(sqlite3.Cursor):
    """Waits for the write lock by retrying every half millisecond. SQLite's own busy handler backs off to sleeps of
    up to 100 ms, so with the web process and answer workers each holding the lock for a millisecond at a time, a
    writer would sleep far longer than the lock is held. A statement that got SQLITE_BUSY did nothing, and the first
    write of a transaction is where the lock is taken (pysqlite begins the transaction there), so it is safe to
    run again."""

    def execute(self, sql, parameters=()):
        return _while_locked(super().execute, sql, parameters)

    def executemany(self, sql, seq_of_parameters):
        rows = list(seq_of_parameters)
        return _while_locked(super().executemany, sql, rows)


class _PromptConnection(sqlite3.Connection):
    def cursor(self, factory=_PromptCursor):
        return super().cursor(factory)


def make_engine(database_url: str) -> Engine:
    if database_url.startswith("sqlite"):
        path = database_url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(database_url, connect_args={"check_same_thread": False, "timeout": 0,
                                                           "factory": _PromptConnection})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # several server processes share one file
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL survives a killed process
            cursor.execute("PRAGMA busy_timeout=0")  # _PromptCursor waits instead
            cursor.execute("PRAGMA foreign_keys=ON")
            # Erased text (a cleared payload, an unsent message) is overwritten with zeros, not only unlinked. Debian's
            # SQLite is built with this on; a build without SQLITE_SECURE_DELETE would leave the text in free space.
            cursor.execute("PRAGMA secure_delete=ON")
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


def migrate(database_url: str | None = None, revision: str = "head") -> None:
    """Upgrade the database to the newest (or the given) Alembic revision (idempotent; safe with several processes
    starting)."""
    from alembic import command
    from alembic.config import Config

    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", (database_url or get_settings().database_url).replace("%", "%%"))
    with startup_lock():
        command.upgrade(config, revision)


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


def checkpoint_wal(engine: Engine | None = None) -> bool:
    """Copy SQLite's write-ahead log into the database file and empty it, so text erased from a table does not
    linger in the log's old pages (a no-op on PostgreSQL, whose VACUUM does this job). False when readers or writers
    kept the log busy: the next call finishes it."""
    engine = engine or get_engine()
    if engine.dialect.name != "sqlite":
        return True
    with engine.connect() as connection:
        # While it waits for readers, a TRUNCATE checkpoint holds back every writer (the webhook's intake among
        # them): it gives up after a moment instead, and the next call tries again.
        connection.exec_driver_sql(f"PRAGMA busy_timeout={CHECKPOINT_PATIENCE_MS}")
        try:
            busy, _pages, _copied = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
        finally:
            connection.exec_driver_sql("PRAGMA busy_timeout=0")
    return not busy


def is_reachable(engine: Engine | None = None) -> bool:
    try:
        with (engine or get_engine()).connect() as connection:
            connection.exec_driver_sql("SELECT 1")
        return True
    except Exception:
        return False
