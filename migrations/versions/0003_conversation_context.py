"""conversation context: the services and aspect a conversation is about, and the facts the person stated

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 20:10:00

"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("user_state", schema=None) as batch_op:
        batch_op.add_column(sa.Column("topic_service_ids", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("topic_aspect", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))
        batch_op.add_column(sa.Column("facts", sa.JSON(), nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("user_state", schema=None) as batch_op:
        batch_op.drop_column("facts")
        batch_op.drop_column("topic_aspect")
        batch_op.drop_column("topic_service_ids")
