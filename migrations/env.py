"""Alembic environment: the metadata of every domain's models, the URL from the app's settings."""

from alembic import context
from sqlalchemy import text
from sqlmodel import SQLModel

import app.console.models  # noqa: F401  (registers tables on SQLModel.metadata)
import app.conversation.models  # noqa: F401
import app.knowledge.models  # noqa: F401
import app.line.models  # noqa: F401
from app.config import get_settings
from app.db import make_engine

config = context.config
target_metadata = SQLModel.metadata
# Several server processes may start at once against one PostgreSQL: one migrates, the others wait for it.
MIGRATION_LOCK_ID = 724_3001


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or get_settings().database_url


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = make_engine(_url())
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_lock(:id)"), {"id": MIGRATION_LOCK_ID})
            connection.commit()
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": MIGRATION_LOCK_ID})
            connection.commit()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
