"""after approval: counselling log, progress reports, year-end review, closing

Adds the records of a case's second half: counselling entries and the issues they
raise, the NDC's report due dates, report drafts, submitted progress reports, year-end
reviews and their reopenings, closing reviews, and the reminders already queued.

The submitted records (counselling entries, reports, reviews, reopenings, closings) get
the same guard triggers as revisions and reviews (0005): written once, never changed.
The trigger function is 0005's; on SQLite each trigger carries its own message.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

PROTECTED = {
    "counsel_entry": "輔導紀錄",
    "progress_report": "執行進度報告",
    "yearend_review": "年底檢核",
    "yearend_reopening": "重新開啟年底檢核",
    "case_closing": "結案檢討",
}
HINT = "這類紀錄寫入後不可變更；必要的結構變更請依 README「Records that cannot be rewritten」的程序進行"


def _install_triggers() -> None:
    postgresql_db = op.get_bind().dialect.name == "postgresql"
    for table, label in PROTECTED.items():
        if postgresql_db:
            for kind, when, each in (
                ("update", "UPDATE", "ROW"),
                ("delete", "DELETE", "ROW"),
                ("truncate", "TRUNCATE", "STATEMENT"),
            ):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{kind} BEFORE {when} ON {table} "
                    f"FOR EACH {each} EXECUTE FUNCTION refuse_history_change('{label}')"
                )
            continue
        for kind, when, verb in (("update", "UPDATE", "修改"), ("delete", "DELETE", "刪除")):
            op.execute(
                f"CREATE TRIGGER {table}_no_{kind} BEFORE {when} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{label}（{table}）寫入後不可{verb}：{HINT}'); END"
            )


def _drop_triggers() -> None:
    postgresql_db = op.get_bind().dialect.name == "postgresql"
    kinds = ("update", "delete", "truncate") if postgresql_db else ("update", "delete")
    for table in PROTECTED:
        for kind in kinds:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{kind}" + (f" ON {table}" if postgresql_db else ""))


def upgrade() -> None:
    op.create_table(
        "report_round",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("set_by_id", sa.Integer(), nullable=True),
        sa.Column("set_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["set_by_id"], ["user_account.id"], name=op.f("fk_report_round_set_by_id_user_account")
        ),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_report_round")),
    )
    op.create_table(
        "case_closing",
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("rating", sa.String(length=10), nullable=False),
        sa.Column("lessons", sa.Text(), nullable=False),
        sa.Column("review", sa.Text(), nullable=False),
        sa.Column("closed_by_id", sa.Integer(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["closed_by_id"], ["user_account.id"], name=op.f("fk_case_closing_closed_by_id_user_account")
        ),
        sa.ForeignKeyConstraint(["proposal_id"], ["proposal.id"], name=op.f("fk_case_closing_proposal_id_proposal")),
        sa.PrimaryKeyConstraint("proposal_id", name=op.f("pk_case_closing")),
    )
    op.create_table(
        "counsel_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("place", sa.String(length=120), nullable=False),
        sa.Column("attendees", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("visible_to_township", sa.Boolean(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["user_account.id"], name=op.f("fk_counsel_entry_author_id_user_account")
        ),
        sa.ForeignKeyConstraint(["proposal_id"], ["proposal.id"], name=op.f("fk_counsel_entry_proposal_id_proposal")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_counsel_entry")),
    )
    with op.batch_alter_table("counsel_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_counsel_entry_proposal_id"), ["proposal_id"], unique=False)

    op.create_table(
        "report_draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column(
            "content", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("updated_by_id", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("lock_version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["proposal_id"], ["proposal.id"], name=op.f("fk_report_draft_proposal_id_proposal")),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["user_account.id"], name=op.f("fk_report_draft_updated_by_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_draft")),
        sa.UniqueConstraint("proposal_id", "year", name=op.f("uq_report_draft_proposal_id")),
    )
    with op.batch_alter_table("report_draft", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_draft_proposal_id"), ["proposal_id"], unique=False)

    op.create_table(
        "counsel_issue",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("owner", sa.String(length=10), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("resolution", sa.Text(), nullable=False),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["counsel_entry.id"], name=op.f("fk_counsel_issue_entry_id_counsel_entry")
        ),
        sa.ForeignKeyConstraint(["proposal_id"], ["proposal.id"], name=op.f("fk_counsel_issue_proposal_id_proposal")),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"], ["user_account.id"], name=op.f("fk_counsel_issue_resolved_by_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_counsel_issue")),
    )
    with op.batch_alter_table("counsel_issue", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_counsel_issue_entry_id"), ["entry_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_counsel_issue_proposal_id"), ["proposal_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_counsel_issue_status"), ["status"], unique=False)

    op.create_table(
        "progress_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("revision_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column(
            "content", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("submitted_by_id", sa.Integer(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["proposal_id"], ["proposal.id"], name=op.f("fk_progress_report_proposal_id_proposal")),
        sa.ForeignKeyConstraint(["revision_id"], ["revision.id"], name=op.f("fk_progress_report_revision_id_revision")),
        sa.ForeignKeyConstraint(
            ["submitted_by_id"], ["user_account.id"], name=op.f("fk_progress_report_submitted_by_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_progress_report")),
        sa.UniqueConstraint("proposal_id", "year", "number", name=op.f("uq_progress_report_proposal_id")),
    )
    with op.batch_alter_table("progress_report", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_progress_report_proposal_id"), ["proposal_id"], unique=False)

    op.create_table(
        "report_reminder",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("days_before", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"], ["outbox_message.id"], name=op.f("fk_report_reminder_message_id_outbox_message")
        ),
        sa.ForeignKeyConstraint(["proposal_id"], ["proposal.id"], name=op.f("fk_report_reminder_proposal_id_proposal")),
        sa.ForeignKeyConstraint(
            ["recipient_id"], ["user_account.id"], name=op.f("fk_report_reminder_recipient_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_reminder")),
        sa.UniqueConstraint(
            "proposal_id", "year", "due_on", "days_before", "recipient_id", name=op.f("uq_report_reminder_proposal_id")
        ),
    )
    op.create_table(
        "yearend_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=False),
        sa.Column("rating", sa.String(length=10), nullable=False),
        sa.Column("comment_to_township", sa.Text(), nullable=False),
        sa.Column("internal_comment", sa.Text(), nullable=False),
        sa.Column(
            "accepted_kpis",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("reviewed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["proposal_id"], ["proposal.id"], name=op.f("fk_yearend_review_proposal_id_proposal")),
        sa.ForeignKeyConstraint(
            ["report_id"], ["progress_report.id"], name=op.f("fk_yearend_review_report_id_progress_report")
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"], ["user_account.id"], name=op.f("fk_yearend_review_reviewer_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_yearend_review")),
    )
    with op.batch_alter_table("yearend_review", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_yearend_review_proposal_id"), ["proposal_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_yearend_review_report_id"), ["report_id"], unique=False)

    op.create_table(
        "yearend_reopening",
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("reopened_by_id", sa.Integer(), nullable=False),
        sa.Column("reopened_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["reopened_by_id"], ["user_account.id"], name=op.f("fk_yearend_reopening_reopened_by_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["review_id"], ["yearend_review.id"], name=op.f("fk_yearend_reopening_review_id_yearend_review")
        ),
        sa.PrimaryKeyConstraint("review_id", name=op.f("pk_yearend_reopening")),
    )

    _install_triggers()


def downgrade() -> None:
    _drop_triggers()
    op.drop_table("yearend_reopening")
    with op.batch_alter_table("yearend_review", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_yearend_review_report_id"))
        batch_op.drop_index(batch_op.f("ix_yearend_review_proposal_id"))

    op.drop_table("yearend_review")
    op.drop_table("report_reminder")
    with op.batch_alter_table("progress_report", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_progress_report_proposal_id"))

    op.drop_table("progress_report")
    with op.batch_alter_table("counsel_issue", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_counsel_issue_status"))
        batch_op.drop_index(batch_op.f("ix_counsel_issue_proposal_id"))
        batch_op.drop_index(batch_op.f("ix_counsel_issue_entry_id"))

    op.drop_table("counsel_issue")
    with op.batch_alter_table("report_draft", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_draft_proposal_id"))

    op.drop_table("report_draft")
    with op.batch_alter_table("counsel_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_counsel_entry_proposal_id"))

    op.drop_table("counsel_entry")
    op.drop_table("case_closing")
    op.drop_table("report_round")
