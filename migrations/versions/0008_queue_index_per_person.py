"""webhook_event: one index on (person, status, time) in place of the one on the person alone, so that a claim's
question "has this person an earlier event unfinished?" costs one index lookup however stale the statistics are

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 12:00:00

"""
from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_webhook_event_user_status_time", "webhook_event", ["user_pseudonym", "status", "event_time"])
    op.drop_index("ix_webhook_event_user_pseudonym", table_name="webhook_event")


def downgrade() -> None:
    op.create_index("ix_webhook_event_user_pseudonym", "webhook_event", ["user_pseudonym"])
    op.drop_index("ix_webhook_event_user_status_time", table_name="webhook_event")
