"""The Alembic migrations build exactly the schema the models describe: a model change without its migration fails
here, not on a production database."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlmodel import SQLModel

import app.console.models  # noqa: F401  (registers the tables, as migrations/env.py does)
import app.conversation.models  # noqa: F401
import app.knowledge.models  # noqa: F401
import app.line.models  # noqa: F401
from app.db import make_engine, migrate, utcnow
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


def test_a_conversation_from_before_revision_0007_keeps_its_last_service_and_awaited_comment(tmp_path):
    """What two queries per message used to read from the turn log and the ratings moved onto `user_state`: users
    with a history keep it across the upgrade."""
    with private_database(tmp_path) as url:
        migrate(url, revision="0006")
        engine = make_engine(url)
        try:
            with engine.begin() as connection:
                connection.execute(text(
                    "INSERT INTO user_state (user_pseudonym, flow_step, flow_answers, topic_service_ids, facts,"
                    " updated_at) VALUES ('u1', 0, '{}', '[]', '{}', :now), ('u2', 0, '{}', '[]', '{}', :now)"),
                    {"now": utcnow()})
                for service in ("wages-unpaid", "dispute-mediation", None):  # the newest with a service counts
                    connection.execute(text(
                        "INSERT INTO conversation_turn (channel, user_pseudonym, kind, service_id, candidates,"
                        " created_at) VALUES ('line', 'u1', 'answer', :service, '[]', :now)"),
                        {"service": service, "now": utcnow()})
                connection.execute(text(
                    "INSERT INTO feedback (user_pseudonym, service_id, helpful, reason, comment_requested_at,"
                    " created_at) VALUES ('u1', 'dispute-mediation', false, 'other', :asked, :asked)"),
                    {"asked": utcnow()})
            migrate(url)
            with engine.connect() as connection:
                rows = dict(connection.execute(text(
                    "SELECT user_pseudonym, last_service_id FROM user_state")).all())
                waiting = connection.execute(text(
                    "SELECT user_pseudonym FROM user_state WHERE comment_requested_at IS NOT NULL")).scalars().all()
        finally:
            engine.dispose()
    assert rows == {"u1": "dispute-mediation", "u2": None}
    assert waiting == ["u1"]
