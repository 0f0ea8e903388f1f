"""co-signatures of cross-county proposals

A county with a participating township agrees to take part (同意參與) in a submitted
revision; a withdrawal keeps the row and stamps who withdrew it and when.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cosignature",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("revision_id", sa.Integer(), nullable=False),
        sa.Column("county_code", sa.String(length=5), nullable=False),
        sa.Column("signed_by_id", sa.Integer(), nullable=False),
        sa.Column("signed_at", sa.DateTime(), nullable=False),
        sa.Column("withdrawn_by_id", sa.Integer(), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["county_code"], ["county.code"], name=op.f("fk_cosignature_county_code_county")),
        sa.ForeignKeyConstraint(["proposal_id"], ["proposal.id"], name=op.f("fk_cosignature_proposal_id_proposal")),
        sa.ForeignKeyConstraint(["revision_id"], ["revision.id"], name=op.f("fk_cosignature_revision_id_revision")),
        sa.ForeignKeyConstraint(
            ["signed_by_id"], ["user_account.id"], name=op.f("fk_cosignature_signed_by_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["withdrawn_by_id"], ["user_account.id"], name=op.f("fk_cosignature_withdrawn_by_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cosignature")),
    )
    with op.batch_alter_table("cosignature", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cosignature_proposal_id"), ["proposal_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("cosignature", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cosignature_proposal_id"))
    op.drop_table("cosignature")
