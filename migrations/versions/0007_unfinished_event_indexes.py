"""webhook_event: partial indexes on the unfinished events, which every claim searches

The full indexes on event_time and user_pseudonym made each claim walk past the finished events kept for retention
(and, on PostgreSQL, their dead row versions): over 100 ms a claim once a few thousand events had been answered. The
index on status goes: SQLite searched by it and sorted, instead of reading the partial index in order.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 10:00:00

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNFINISHED = sa.text("status IN ('pending', 'processing')")


def upgrade() -> None:
    op.create_index("ix_webhook_event_unfinished", "webhook_event", ["event_time"],
                    postgresql_where=UNFINISHED, sqlite_where=UNFINISHED)
    op.create_index("ix_webhook_event_unfinished_user", "webhook_event", ["user_pseudonym", "event_time"],
                    postgresql_where=UNFINISHED, sqlite_where=UNFINISHED)
    op.drop_index("ix_webhook_event_event_time", table_name="webhook_event")
    op.drop_index("ix_webhook_event_user_pseudonym", table_name="webhook_event")
    op.drop_index("ix_webhook_event_status", table_name="webhook_event")


def downgrade() -> None:
    op.create_index("ix_webhook_event_status", "webhook_event", ["status"])
    op.create_index("ix_webhook_event_user_pseudonym", "webhook_event", ["user_pseudonym"])
    op.create_index("ix_webhook_event_event_time", "webhook_event", ["event_time"])
    op.drop_index("ix_webhook_event_unfinished_user", table_name="webhook_event")
    op.drop_index("ix_webhook_event_unfinished", table_name="webhook_event")
