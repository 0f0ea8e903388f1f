"""地方創生會報 meetings as records, with agendas; decisions taken at a meeting

Every existing decision named its meeting in free text with a date. Each distinct
(meeting text, date) becomes one meeting, keeping the text as its name so published
cases still name their meeting the same way; its number is read from the text
(「第 12 次」) when it is there and not taken twice, and left empty otherwise.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

NUMBER = re.compile(r"第\s*([0-9０-９]+)\s*次")


def _kind(text: str) -> str:
    return "working" if "工作會議" in text else "council"


def _number(text: str) -> int | None:
    found = NUMBER.search(text)
    return int(found.group(1)) if found else None


def upgrade() -> None:
    op.create_table(
        "meeting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("number", sa.Integer(), nullable=True),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('council', 'working')", name=op.f("ck_meeting_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting")),
        sa.UniqueConstraint("kind", "number", name=op.f("uq_meeting_kind")),
    )
    op.create_table(
        "agenda_item",
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("added_by_id", sa.Integer(), nullable=False),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["meeting.id"], name=op.f("fk_agenda_item_meeting_id_meeting")),
        sa.ForeignKeyConstraint(["proposal_id"], ["proposal.id"], name=op.f("fk_agenda_item_proposal_id_proposal")),
        sa.ForeignKeyConstraint(
            ["added_by_id"], ["user_account.id"], name=op.f("fk_agenda_item_added_by_id_user_account")
        ),
        sa.PrimaryKeyConstraint("meeting_id", "proposal_id", name=op.f("pk_agenda_item")),
    )
    with op.batch_alter_table("agenda_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agenda_item_proposal_id"), ["proposal_id"], unique=False)

    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.add_column(sa.Column("meeting_id", sa.Integer(), nullable=True))
    _meetings_from_decisions()
    with _rows_pointing_at_decisions_parked(), op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.alter_column("meeting_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(batch_op.f("fk_decision_meeting_id_meeting"), "meeting", ["meeting_id"], ["id"])
        batch_op.create_index(batch_op.f("ix_decision_meeting_id"), ["meeting_id"], unique=False)


@contextmanager
def _rows_pointing_at_decisions_parked() -> Iterator[None]:
    """SQLite adds the constraint by rebuilding the decision table, and dropping the old
    one with foreign keys on fails while rows of other tables (matched resources,
    ministry offers) point at it. Those rows wait in temporary tables meanwhile, and
    come back unchanged: the rebuilt table keeps every decision id."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        yield
        return
    tables = [name for (name,) in bind.execute(sa.text("SELECT name FROM sqlite_master WHERE type = 'table'"))]
    children = [
        name
        for name in tables
        if any(row[2] == "decision" for row in bind.execute(sa.text(f'PRAGMA foreign_key_list("{name}")')))
    ]
    for name in children:
        bind.execute(sa.text(f'CREATE TEMP TABLE "parked_{name}" AS SELECT * FROM "{name}"'))
        bind.execute(sa.text(f'DELETE FROM "{name}"'))
    yield
    for name in children:
        bind.execute(sa.text(f'INSERT INTO "{name}" SELECT * FROM "parked_{name}"'))
        bind.execute(sa.text(f'DROP TABLE "parked_{name}"'))


def _meetings_from_decisions() -> None:
    """One meeting per distinct (meeting text, date) of the existing decisions."""
    bind = op.get_bind()
    decision = sa.table(
        "decision", sa.column("id"), sa.column("meeting"), sa.column("decided_on"), sa.column("meeting_id")
    )
    meeting = sa.table(
        "meeting",
        sa.column("id"),
        sa.column("kind"),
        sa.column("number"),
        sa.column("held_on"),
        sa.column("name"),
        sa.column("note"),
        sa.column("created_at"),
    )
    pairs = bind.execute(
        sa.select(decision.c.meeting, decision.c.decided_on)
        .distinct()
        .order_by(decision.c.decided_on, decision.c.meeting)
    ).all()
    taken: set[tuple[str, int]] = set()
    now = datetime.now(UTC).replace(tzinfo=None)
    for text, held_on in pairs:
        kind = _kind(text)
        number = _number(text)
        if number is not None and (kind, number) in taken:
            number = None
        if number is not None:
            taken.add((kind, number))
        meeting_id = bind.execute(
            sa.insert(meeting)
            .values(kind=kind, number=number, held_on=held_on, name=text, note="", created_at=now)
            .returning(meeting.c.id)
        ).scalar_one()
        bind.execute(
            sa.update(decision)
            .where(decision.c.meeting == text, decision.c.decided_on == held_on)
            .values(meeting_id=meeting_id)
        )


def downgrade() -> None:
    with _rows_pointing_at_decisions_parked(), op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_decision_meeting_id"))
        batch_op.drop_constraint(batch_op.f("fk_decision_meeting_id_meeting"), type_="foreignkey")
        batch_op.drop_column("meeting_id")
    with op.batch_alter_table("agenda_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agenda_item_proposal_id"))
    op.drop_table("agenda_item")
    op.drop_table("meeting")
