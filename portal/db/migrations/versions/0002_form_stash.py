"""form stash

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "form_stash",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=300), nullable=False),
        sa.Column(
            "form",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_form_stash_user_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_form_stash")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_form_stash_token_hash")),
    )
    with op.batch_alter_table("form_stash", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_form_stash_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("form_stash", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_form_stash_user_id"))

    op.drop_table("form_stash")
