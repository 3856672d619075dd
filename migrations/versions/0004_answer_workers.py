"""answer workers: a renewable lease per claimed event, the reply saved with the conversation's change, events
ordered by their time, outcome totals kept past retention

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 01:30:00

"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

def upgrade() -> None:
    with op.batch_alter_table("webhook_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lease_expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("reply_messages", sa.JSON(), nullable=True))
        batch_op.create_index(batch_op.f("ix_webhook_event_event_time"), ["event_time"], unique=False)
    op.create_table(
        "webhook_outcome_total",
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("outcome"),
    )


def downgrade() -> None:
    op.drop_table("webhook_outcome_total")
    with op.batch_alter_table("webhook_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_event_event_time"))
        batch_op.drop_column("reply_messages")
        batch_op.drop_column("lease_expires_at")

