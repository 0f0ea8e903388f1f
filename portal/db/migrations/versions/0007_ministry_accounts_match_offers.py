"""ministry accounts and their match offers

Adds `user_account.ministry` (a ministry account's ministry) and the `match_offer`
table: programmes a ministry proposes to match to a screened proposal.

A ministry account must name its ministry and no other account may. PostgreSQL gets
the CHECK constraint the model declares. SQLite cannot add a constraint without
rebuilding user_account, and that rebuild drops a table other rows point to, which
SQLite refuses while foreign keys are enforced; it gets two triggers with the same rule.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

RULE = "(NEW.role = 'ministry') != (NEW.ministry IS NOT NULL)"


def upgrade() -> None:
    op.add_column("user_account", sa.Column("ministry", sa.String(length=60), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.create_check_constraint(
            op.f("ck_user_account_ministry_scope"), "user_account", "(role = 'ministry') = (ministry IS NOT NULL)"
        )
    else:
        for when in ("INSERT", "UPDATE"):
            op.execute(
                f"CREATE TRIGGER user_account_ministry_scope_{when.lower()} BEFORE {when} ON user_account "
                f"WHEN {RULE} BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: ministry_scope'); END"
            )

    op.create_table(
        "match_offer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("proposed_by_id", sa.Integer(), nullable=False),
        sa.Column("proposed_at", sa.DateTime(), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["decision_id"], ["decision.id"], name=op.f("fk_match_offer_decision_id_decision")),
        sa.ForeignKeyConstraint(["programme_id"], ["programme.id"], name=op.f("fk_match_offer_programme_id_programme")),
        sa.ForeignKeyConstraint(["proposal_id"], ["proposal.id"], name=op.f("fk_match_offer_proposal_id_proposal")),
        sa.ForeignKeyConstraint(
            ["proposed_by_id"], ["user_account.id"], name=op.f("fk_match_offer_proposed_by_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_offer")),
    )
    with op.batch_alter_table("match_offer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_match_offer_proposal_id"), ["proposal_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("match_offer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_match_offer_proposal_id"))
    op.drop_table("match_offer")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(op.f("ck_user_account_ministry_scope"), "user_account", type_="check")
        op.drop_column("user_account", "ministry")
    else:
        for when in ("INSERT", "UPDATE"):
            op.execute(f"DROP TRIGGER IF EXISTS user_account_ministry_scope_{when.lower()}")
        op.drop_column("user_account", "ministry")
