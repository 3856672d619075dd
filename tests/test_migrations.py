"""The Alembic migrations build exactly the schema the models describe: a model change without its migration fails
here, not on a production database."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import app.console.models  # noqa: F401  (registers the tables, as migrations/env.py does)
import app.conversation.models  # noqa: F401
import app.knowledge.models  # noqa: F401
import app.line.models  # noqa: F401
from app.db import make_engine, migrate
from tests.servers import private_database


def test_migrations_match_the_models(tmp_path):
    with private_database(tmp_path) as url:
        migrate(url)
        engine = make_engine(url)
        try:
            with engine.connect() as connection:
                differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
        finally:
            engine.dispose()
    assert differences == []
