"""rounds (梯次) with deadlines, reminders sent, and each proposal's round

Creates one round per distinct `proposal.cycle` already in the database and points each
proposal to it. A migrated round covers its whole calendar year (submission and
forwarding close on 31 December, the year-end report is due the following 31 January),
so rounds of different years never overlap; the NDC can edit them afterwards.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _migrated_round(cycle: str) -> dict[str, object]:
    """The round standing for a calendar-year cycle: 2026 becomes 「115年度梯次」."""
    year = int(cycle) if cycle.isascii() and cycle.isdigit() and len(cycle) == 4 else datetime.now(UTC).year
    return {
        "name": f"{year - 1911}年度梯次" if cycle == str(year) else f"{cycle} 梯次",
        "cycle": cycle,
        "submission_opens": date(year, 1, 1),
        "submission_closes": date(year, 12, 31),
        "forwarding_closes": date(year, 12, 31),
        "report_due": date(year + 1, 1, 31),
        "created_at": datetime.now(UTC).replace(tzinfo=None),
    }


def upgrade() -> None:
    round_table = op.create_table(
        "round",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("cycle", sa.String(length=20), nullable=False),
        sa.Column("submission_opens", sa.Date(), nullable=False),
        sa.Column("submission_closes", sa.Date(), nullable=False),
        sa.Column("forwarding_closes", sa.Date(), nullable=False),
        sa.Column("report_due", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_round")),
        sa.UniqueConstraint("name", name=op.f("uq_round_name")),
    )
    op.create_table(
        "round_reminder",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("deadline", sa.String(length=20), nullable=False),
        sa.Column("deadline_on", sa.Date(), nullable=False),
        sa.Column("days_before", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["round_id"], ["round.id"], name=op.f("fk_round_reminder_round_id_round")),
        sa.ForeignKeyConstraint(
            ["recipient_id"], ["user_account.id"], name=op.f("fk_round_reminder_recipient_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["outbox_message.id"], name=op.f("fk_round_reminder_message_id_outbox_message")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_round_reminder")),
        sa.UniqueConstraint(
            "round_id",
            "deadline",
            "deadline_on",
            "days_before",
            "recipient_id",
            name=op.f("uq_round_reminder_round_id"),
        ),
    )
    if op.get_bind().dialect.name == "sqlite":
        # Adding the column in place: the batch way would copy the proposal table and
        # drop the old one, which the rows pointing to proposals (revisions, audit
        # events, ...) refuse while foreign keys are enforced.
        op.execute(
            "ALTER TABLE proposal ADD COLUMN round_id INTEGER"
            " CONSTRAINT fk_proposal_round_id_round REFERENCES round (id)"
        )
    else:
        op.add_column("proposal", sa.Column("round_id", sa.Integer(), nullable=True))
        op.create_foreign_key(op.f("fk_proposal_round_id_round"), "proposal", "round", ["round_id"], ["id"])
    op.create_index(op.f("ix_proposal_round_id"), "proposal", ["round_id"], unique=False)

    connection = op.get_bind()
    proposal = sa.table("proposal", sa.column("id", sa.Integer()), sa.column("cycle"), sa.column("round_id"))
    cycles = connection.execute(sa.select(proposal.c.cycle).distinct().order_by(proposal.c.cycle)).scalars().all()
    for cycle in cycles:
        round_id = connection.execute(
            round_table.insert().values(**_migrated_round(cycle)).returning(round_table.c.id)
        ).scalar_one()
        connection.execute(proposal.update().where(proposal.c.cycle == cycle).values(round_id=round_id))


def downgrade() -> None:
    # On SQLite this copies the proposal table (a column in a foreign key cannot be
    # dropped in place), which works only while no other rows point to proposals.
    op.drop_index(op.f("ix_proposal_round_id"), table_name="proposal")
    with op.batch_alter_table("proposal", schema=None) as batch_op:
        if op.get_bind().dialect.name != "sqlite":
            # SQLite does not report the name of a constraint added with the column;
            # copying the table without the column leaves the constraint out anyway.
            batch_op.drop_constraint(batch_op.f("fk_proposal_round_id_round"), type_="foreignkey")
        batch_op.drop_column("round_id")
    op.drop_table("round_reminder")
    op.drop_table("round")
