"""reviewers' draft scores, and submitted scores changed before the decision

Adds `review_draft`, a reviewer's unsubmitted scoring form (mutable, optimistic
locking), and `review.replaces_id`: a changed score is a new review row naming the row
it replaces, never an UPDATE. The unique constraint (revision_id, reviewer_id) becomes
"one standing review": a partial unique index allows one first review per reviewer
and revision (`replaces_id IS NULL`), and `replaces_id` is unique, so every row is
replaced at most once and each chain ends in exactly one standing review. Partial
indexes work the same on SQLite (3.8+) and PostgreSQL.

The review table keeps its guard triggers. PostgreSQL alters the table in place, and
the triggers stay. SQLite re-creates the table to drop the constraint, which drops its
triggers, so they are lifted for the change and restored (`history.lifted`, audited);
a new database, with no review and no audit event yet, has nothing to protect and no
log to write to, and is migrated without the event.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from portal.db import history

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

FIRST_OF_REVIEWER = sa.text("replaces_id IS NULL")


@contextmanager
def _triggers_restored(bind: sa.Connection) -> Iterator[None]:
    definitions = history.drop_triggers(bind)
    yield
    history.restore_triggers(bind, definitions)


def _guards_lifted(reason: str) -> AbstractContextManager[None]:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return nullcontext()
    written = bind.scalar(sa.text("SELECT (SELECT COUNT(*) FROM review) + (SELECT COUNT(*) FROM audit_event)"))
    return history.lifted(bind, reason) if written else _triggers_restored(bind)


def upgrade() -> None:
    op.create_table(
        "review_draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("revision_id", sa.Integer(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=False),
        sa.Column(
            "form", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("lock_version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["proposal_id"], ["proposal.id"], name=op.f("fk_review_draft_proposal_id_proposal")),
        sa.ForeignKeyConstraint(["revision_id"], ["revision.id"], name=op.f("fk_review_draft_revision_id_revision")),
        sa.ForeignKeyConstraint(
            ["reviewer_id"], ["user_account.id"], name=op.f("fk_review_draft_reviewer_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_draft")),
        sa.UniqueConstraint("revision_id", "reviewer_id", name=op.f("uq_review_draft_revision_id")),
    )
    with op.batch_alter_table("review_draft", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_draft_proposal_id"), ["proposal_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_review_draft_reviewer_id"), ["reviewer_id"], unique=False)

    with _guards_lifted("0012：審查評分可於決定前修改（新增 replaces_id，每位委員每版一筆有效評分）"):
        with op.batch_alter_table("review", schema=None) as batch_op:
            batch_op.add_column(sa.Column("replaces_id", sa.Integer(), nullable=True))
            batch_op.drop_constraint("uq_review_revision_id", type_="unique")
            batch_op.create_unique_constraint(batch_op.f("uq_review_replaces_id"), ["replaces_id"])
            batch_op.create_foreign_key(batch_op.f("fk_review_replaces_id_review"), "review", ["replaces_id"], ["id"])
        op.create_index(
            "uq_review_first_of_reviewer",
            "review",
            ["revision_id", "reviewer_id"],
            unique=True,
            sqlite_where=FIRST_OF_REVIEWER,
            postgresql_where=FIRST_OF_REVIEWER,
        )


def downgrade() -> None:
    """Fails while a changed review exists: the old constraint allows one row per reviewer."""
    with _guards_lifted("0012 還原：審查評分回到每位委員每版一筆"):
        op.drop_index("uq_review_first_of_reviewer", table_name="review")
        with op.batch_alter_table("review", schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f("fk_review_replaces_id_review"), type_="foreignkey")
            batch_op.drop_constraint(batch_op.f("uq_review_replaces_id"), type_="unique")
            batch_op.create_unique_constraint("uq_review_revision_id", ["revision_id", "reviewer_id"])
            batch_op.drop_column("replaces_id")
    with op.batch_alter_table("review_draft", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_draft_reviewer_id"))
        batch_op.drop_index(batch_op.f("ix_review_draft_proposal_id"))
    op.drop_table("review_draft")
