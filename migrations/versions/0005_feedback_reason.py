"""feedback: what was wrong with an answer rated 👎 (a reason, a comment in the person's next message), and whether
staff have dealt with it

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 12:00:00

"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=True))
        batch_op.add_column(sa.Column("comment_requested_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("comment_turn_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("resolved_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("resolved_by", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True))
        batch_op.create_foreign_key("fk_feedback_comment_turn_id_conversation_turn", "conversation_turn",
                                    ["comment_turn_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_constraint("fk_feedback_comment_turn_id_conversation_turn", type_="foreignkey")
        batch_op.drop_column("resolved_by")
        batch_op.drop_column("resolved_at")
        batch_op.drop_column("comment_turn_id")
        batch_op.drop_column("comment_requested_at")
        batch_op.drop_column("reason")
