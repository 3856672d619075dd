"""user_state: the service last shown to the user, and whether a comment (after 「其他」) may be awaited, kept on the
row every message reads anyway: looking both up in the turn log and the ratings cost each message two queries

Filled from the turn log and the ratings for the users who already have them.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 10:00:00

"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("user_state", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_service_id", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True))
        batch_op.add_column(sa.Column("comment_requested_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    op.execute(
        "UPDATE user_state SET last_service_id = (SELECT t.service_id FROM conversation_turn t"
        " WHERE t.user_pseudonym = user_state.user_pseudonym AND t.service_id IS NOT NULL ORDER BY t.id DESC LIMIT 1)"
    )
    op.execute(
        "UPDATE user_state SET comment_requested_at = (SELECT max(f.comment_requested_at) FROM feedback f"
        " WHERE f.user_pseudonym = user_state.user_pseudonym AND f.reason = 'other' AND f.comment_turn_id IS NULL)"
    )


def downgrade() -> None:
    with op.batch_alter_table("user_state", schema=None) as batch_op:
        batch_op.drop_column("comment_requested_at")
        batch_op.drop_column("last_service_id")
