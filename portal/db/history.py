"""The records that cannot be rewritten: audit events, revisions and reviews.

Migration 0005 puts triggers on these tables that refuse every UPDATE and DELETE (and,
on PostgreSQL, TRUNCATE), whoever sends it. This module appends audit events to the
hash chain one writer at a time, tells which triggers are missing, and gives schema
changes that must touch these tables a documented, audited way to lift the triggers.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, text
from sqlalchemy.orm import Session

from portal.db.models import AuditEvent, utcnow
from portal.domain.audit_chain import GENESIS, event_hash

# Table -> what it holds, as the triggers' messages name it.
PROTECTED = {
    "audit_event": "稽核紀錄",
    "revision": "提案版本",
    "review": "審查評分",
    # Migration 0011: the follow-up of approved cases.
    "counsel_entry": "輔導紀錄",
    "progress_report": "執行進度報告",
    "yearend_review": "年底檢核",
    "yearend_reopening": "重新開啟年底檢核",
    "case_closing": "結案檢討",
}
# One key for the whole database: every transaction that appends to the chain takes it.
CHAIN_LOCK_KEY = 0x41554454  # "AUDT"
# The columns an event's hash covers (its id is not known before it is inserted).
CONTENT = ("at", "actor_id", "actor_label", "action", "proposal_id", "from_state", "to_state", "reason", "prev_hash")


def expected_triggers(dialect: str) -> set[str]:
    """The trigger names migration 0005 creates on this kind of database."""
    kinds = ("no_update", "no_delete", "no_truncate") if dialect == "postgresql" else ("no_update", "no_delete")
    return {f"{table}_{kind}" for table in PROTECTED for kind in kinds}


def _trigger_rows(connection: Connection) -> list[tuple[str, str, str, bool]]:
    """(name, table, definition, enabled) of every trigger on the protected tables."""
    tables = list(PROTECTED)
    if connection.dialect.name == "postgresql":
        rows = connection.execute(
            text(
                "SELECT t.tgname, c.relname, pg_get_triggerdef(t.oid), t.tgenabled <> 'D' "
                "FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE NOT t.tgisinternal AND c.relname = ANY(:tables) "
                "AND c.relnamespace = to_regnamespace(current_schema())::oid"
            ),
            {"tables": tables},
        )
        return [(r[0], r[1], r[2], bool(r[3])) for r in rows]
    rows = connection.execute(
        text("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name")
    )
    return [(r[0], r[1], r[2], True) for r in rows if r[1] in PROTECTED]


def missing_triggers(connection: Connection) -> list[str]:
    """Names of the guard triggers that are absent or disabled, sorted; empty when all hold."""
    present = {name for name, _table, _sql, enabled in _trigger_rows(connection) if enabled}
    return sorted(expected_triggers(connection.dialect.name) - present)


def drop_triggers(connection: Connection) -> list[str]:
    """Drop every trigger on the protected tables; returns their definitions to restore."""
    rows = _trigger_rows(connection)
    for name, table, _sql, _enabled in rows:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f'DROP TRIGGER "{name}" ON "{table}"')
        else:
            connection.exec_driver_sql(f'DROP TRIGGER "{name}"')
    return [sql for _name, _table, sql, _enabled in rows]


def restore_triggers(connection: Connection, definitions: list[str]) -> None:
    for definition in definitions:
        connection.exec_driver_sql(definition)


def lock_chain(connection: Connection) -> None:
    """Make this transaction the chain's only writer until it commits or rolls back.

    PostgreSQL: a transaction-level advisory lock. SQLite: the database's write lock,
    taken before the last hash is read (the driver starts a transaction only at the
    first write, so a transaction that has not written yet starts one explicitly)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK_KEY})
    elif connection.dialect.name == "sqlite":
        raw: Any = connection.connection.driver_connection
        if not raw.in_transaction:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def last_hash(connection: Connection) -> str:
    found = connection.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))
    return found or GENESIS


def _hash_of(values: dict[str, Any]) -> str:
    return event_hash(
        at=values["at"],
        actor_id=values["actor_id"],
        actor_label=values["actor_label"],
        action=values["action"],
        proposal_id=values["proposal_id"],
        from_state=values["from_state"],
        to_state=values["to_state"],
        reason=values["reason"],
        prev_hash=values["prev_hash"],
    )


def seal(session: Session, event: AuditEvent) -> AuditEvent:
    """Chain `event` to the newest event and insert it.

    Flushes first, so that changes made earlier in the transaction (and events appended
    earlier in it) are written, then takes the chain lock, reads the last hash and
    inserts: no other writer can append between the read and the insert."""
    session.flush()
    connection = session.connection()
    lock_chain(connection)
    event.prev_hash = last_hash(connection)
    event.hash = _hash_of({column: getattr(event, column) for column in CONTENT})
    session.add(event)
    session.flush()
    return event


def append_event(connection: Connection, action: str, reason: str, *, at: datetime | None = None) -> int:
    """Append a system event through a plain connection (for migrations); returns its id."""
    lock_chain(connection)
    values: dict[str, Any] = {
        "at": at or utcnow(),
        "actor_id": None,
        "actor_label": "系統（資料庫遷移）",
        "action": action,
        "proposal_id": None,
        "from_state": None,
        "to_state": None,
        "reason": reason,
        "prev_hash": last_hash(connection),
    }
    values["hash"] = _hash_of(values)
    inserted = connection.execute(insert(AuditEvent).values(**values).returning(AuditEvent.id))
    return int(inserted.scalar_one())


@contextmanager
def lifted(connection: Connection, reason: str) -> Iterator[None]:
    """Lift the guards for a schema change that must touch the protected tables.

    The triggers are read back from the database, dropped, re-created exactly as they
    were when the block ends, and an audit event `guards_lifted` records `reason`.
    Run it inside a migration, whose transaction makes all of it one change."""
    if not reason.strip():
        raise ValueError("a reason is required to lift the guards on the protected tables")
    definitions = drop_triggers(connection)
    yield
    restore_triggers(connection, definitions)
    append_event(connection, "guards_lifted", reason.strip())
