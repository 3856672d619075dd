"""places: service points kept in the database like services (drafts staff edit, published versions)

The rows are filled at start from knowledge/places/ when both tables are empty (app.main.prepare_database), so a
database made before this revision keeps answering with the places it had from the files.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 10:00:00

"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "place_draft",
        sa.Column("place_id", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.PrimaryKeyConstraint("place_id"),
    )
    op.create_table(
        "place_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("place_id", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("published_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("published_by", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("place_id", "version"),
    )
    with op.batch_alter_table("place_version", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_place_version_place_id"), ["place_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("place_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_place_version_place_id"))
    op.drop_table("place_version")
    op.drop_table("place_draft")
