"""records that cannot be rewritten: guard triggers and the audit hash chain

Adds `prev_hash` and `hash` to audit events and fills them for the events already
written, then installs triggers on audit_event, revision and review that refuse every
UPDATE and DELETE (and TRUNCATE on PostgreSQL), whoever sends it.

The hashing below is a frozen copy of portal.domain.audit_chain at the time of this
migration, so that this migration keeps producing the same chain whatever later code
does; tests check that the two agree.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

GENESIS = "0" * 64
PROTECTED = {"audit_event": "稽核紀錄", "revision": "提案版本", "review": "審查評分"}
HINT = "這類紀錄寫入後不可變更；必要的結構變更請依 README「Records that cannot be rewritten」的程序進行"

POSTGRES_FUNCTION = f"""
CREATE FUNCTION refuse_history_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '%（%）寫入後不可%', TG_ARGV[0], TG_TABLE_NAME,
        CASE TG_OP WHEN 'UPDATE' THEN '修改' WHEN 'DELETE' THEN '刪除' ELSE '清空' END
        USING ERRCODE = 'integrity_constraint_violation', HINT = '{HINT}';
END;
$$
"""


def _hash(row: sa.Row[tuple[object, ...]], prev_hash: str) -> str:
    at: datetime = row.at
    at_text = at.replace(tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    fields = [
        "audit-event/1",
        at_text,
        row.actor_id,
        row.actor_label,
        row.action,
        row.proposal_id,
        row.from_state,
        row.to_state,
        row.reason,
        prev_hash,
    ]
    data = json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def _chain_existing_events() -> None:
    events = sa.table(
        "audit_event",
        sa.column("id", sa.Integer),
        sa.column("at", sa.DateTime),
        sa.column("actor_id", sa.Integer),
        sa.column("actor_label", sa.String),
        sa.column("action", sa.String),
        sa.column("proposal_id", sa.Integer),
        sa.column("from_state", sa.String),
        sa.column("to_state", sa.String),
        sa.column("reason", sa.Text),
        sa.column("prev_hash", sa.String),
        sa.column("hash", sa.String),
    )
    bind = op.get_bind()
    prev_hash = GENESIS
    for row in bind.execute(sa.select(events).order_by(events.c.id)).all():
        own = _hash(row, prev_hash)
        bind.execute(events.update().where(events.c.id == row.id).values(prev_hash=prev_hash, hash=own))
        prev_hash = own


def _install_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES_FUNCTION)
        for table, label in PROTECTED.items():
            for kind, when, each in (
                ("update", "UPDATE", "ROW"),
                ("delete", "DELETE", "ROW"),
                ("truncate", "TRUNCATE", "STATEMENT"),
            ):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{kind} BEFORE {when} ON {table} "
                    f"FOR EACH {each} EXECUTE FUNCTION refuse_history_change('{label}')"
                )
        return
    for table, label in PROTECTED.items():
        for kind, when, verb in (("update", "UPDATE", "修改"), ("delete", "DELETE", "刪除")):
            op.execute(
                f"CREATE TRIGGER {table}_no_{kind} BEFORE {when} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{label}（{table}）寫入後不可{verb}：{HINT}'); END"
            )


def _drop_triggers() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    kinds = ("update", "delete", "truncate") if postgresql else ("update", "delete")
    for table in PROTECTED:
        for kind in kinds:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{kind}" + (f" ON {table}" if postgresql else ""))
    if postgresql:
        op.execute("DROP FUNCTION IF EXISTS refuse_history_change()")


def upgrade() -> None:
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
    _chain_existing_events()
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_audit_event_prev_hash"), ["prev_hash"])
    _install_triggers()


def downgrade() -> None:
    _drop_triggers()
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_audit_event_prev_hash"), type_="unique")
        batch_op.drop_column("hash")
        batch_op.drop_column("prev_hash")
