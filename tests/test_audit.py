"""Records that cannot be rewritten: the database's guards, the audit hash chain, and
`portal audit verify`. Every test runs on the backend the suite runs on."""

from __future__ import annotations

import re
import sqlite3
import threading
from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import Connection, Engine, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal import audit, db, operations, review
from portal.db import history, migrate
from portal.db.models import (
    AuditEvent,
    CaseClosing,
    CounselEntry,
    ProgressReport,
    Review,
    YearEndReopening,
    YearEndReview,
)
from portal.domain.audit_chain import GENESIS, ChainBreak, ChainedEvent, ChainState, check, event_hash
from portal.domain.roles import Role
from tests.conftest import Auth, Factory
from tests.test_demo import run_demo
from tests.test_review import Round, scores

# table -> (label, a column to change) of every record the database refuses to change.
PROTECTED = {
    "audit_event": ("稽核紀錄", "reason = 'x'"),
    "revision": ("提案版本", "title = 'x'"),
    "review": ("審查評分", "confidence = 1"),
    "counsel_entry": ("輔導紀錄", "notes = 'x'"),
    "progress_report": ("執行進度報告", "number = 9"),
    "yearend_review": ("年底檢核", "rating = 'off_track'"),
    "yearend_reopening": ("重新開啟年底檢核", "reason = 'x'"),
    "case_closing": ("結案檢討", "lessons = 'x'"),
}
# The key column of the tables whose key is not `id`.
KEYS = {"yearend_reopening": "review_id", "case_closing": "proposal_id"}
VERB = {"UPDATE": "修改", "DELETE": "刪除"}


def engine_of(app: Flask) -> Engine:
    return db.database(app).engine


def dialect(app: Flask) -> str:
    return engine_of(app).dialect.name


@pytest.fixture
def reviewed(app: Flask, make: Factory, session: Session) -> Review:
    """A proposal submitted, forwarded, assigned and scored, then followed up (a counselling
    entry, a progress report, its year-end review reopened, a closing): one row in every
    protected table. The follow-up rows are written directly: the guards do not ask why."""
    world = Round(app, make, session)
    reviewer = world.reviewers[0]
    proposal = world.in_review(reviewer)
    review = world.score(proposal, reviewer, scores(4, 4, 4))
    report = ProgressReport(
        proposal_id=proposal.id,
        revision_id=review.revision_id,
        year=2026,
        number=1,
        content={},
        submitted_by_id=proposal.created_by_id,
    )
    yearend = YearEndReview(
        proposal_id=proposal.id, report=report, reviewer_id=reviewer.id, rating="on_track", accepted_kpis=[]
    )
    session.add_all(
        [
            CounselEntry(proposal_id=proposal.id, kind="visit", held_on=date(2026, 5, 1), author_id=reviewer.id),
            report,
            yearend,
            CaseClosing(proposal_id=proposal.id, rating="on_track", lessons="經驗", closed_by_id=reviewer.id),
        ]
    )
    session.flush()
    session.add(YearEndReopening(review_id=yearend.id, reason="數值更正", reopened_by_id=reviewer.id))
    session.commit()
    return review


def statement(table: str, verb: str, row_id: int) -> str:
    change, key = PROTECTED[table][1], KEYS.get(table, "id")
    if verb == "UPDATE":
        return f"UPDATE {table} SET {change} WHERE {key} = {row_id}"
    return f"DELETE FROM {table} WHERE {key} = {row_id}"


def row_id(session: Session, reviewed: Review, table: str) -> int:
    if table == "review":
        return reviewed.id
    if table == "revision":
        return reviewed.revision_id
    if table == "audit_event":
        return int(session.scalar(select(AuditEvent.id).order_by(AuditEvent.id)) or 0)
    key = KEYS.get(table, "id")
    return int(session.execute(text(f"SELECT min({key}) FROM {table}")).scalar() or 0)


def refusal(error: BaseException) -> str:
    """The trigger's message without the hint after it (SQLite adds it after a colon)."""
    return str(error).splitlines()[0].split("：")[0]


def chain_rows(session: Session) -> list[tuple[int, str, str]]:
    query = select(AuditEvent.id, AuditEvent.prev_hash, AuditEvent.hash).order_by(AuditEvent.id)
    return [(row.id, row.prev_hash, row.hash) for row in session.execute(query)]


def expected_chain(session: Session) -> list[tuple[int, str, str]]:
    """The chain recomputed here from each event's content, independently of the stored hashes."""
    expected = []
    prev = GENESIS
    for event in session.scalars(select(AuditEvent).order_by(AuditEvent.id)):
        own = event_hash(
            at=event.at,
            actor_id=event.actor_id,
            actor_label=event.actor_label,
            action=event.action,
            proposal_id=event.proposal_id,
            from_state=event.from_state,
            to_state=event.to_state,
            reason=event.reason,
            prev_hash=prev,
        )
        expected.append((event.id, prev, own))
        prev = own
    return expected


def tamper(app: Flask, sql: str) -> None:
    """Run `sql` with the guards dropped, as someone with rights over the schema could."""
    with engine_of(app).begin() as connection:
        definitions = history.drop_triggers(connection)
        connection.exec_driver_sql(sql)
        history.restore_triggers(connection, definitions)


def audit_some(session: Session, count: int) -> list[int]:
    ids = [operations.audit(session, None, "user_add", reason=f"帳號{n}").id for n in range(count)]
    session.commit()
    return ids


# --- the database refuses changes ---------------------------------------------------------


@pytest.mark.parametrize("verb", ["UPDATE", "DELETE"])
@pytest.mark.parametrize("table", list(PROTECTED))
def test_protected_table_raw_sql_through_session_is_refused(
    session: Session, reviewed: Review, table: str, verb: str
) -> None:
    # Arrange
    target = row_id(session, reviewed, table)

    # Act
    with pytest.raises(IntegrityError) as raised:
        session.execute(text(statement(table, verb, target)))
    session.rollback()

    # Assert
    assert refusal(raised.value.orig) == f"{PROTECTED[table][0]}（{table}）寫入後不可{VERB[verb]}"
    assert session.execute(text(f"SELECT count(*) FROM {table} WHERE {KEYS.get(table, 'id')} = {target}")).scalar() == 1


def dbapi_integrity_errors() -> tuple[type[Exception], ...]:
    """The DB-API errors a refused statement raises: SQLite's, and psycopg's when it is
    installed (the PostgreSQL extra; the SQLite run does not need it)."""
    try:
        import psycopg
    except ImportError:
        return (sqlite3.IntegrityError,)
    return (sqlite3.IntegrityError, psycopg.IntegrityError)


@pytest.mark.parametrize("verb", ["UPDATE", "DELETE"])
@pytest.mark.parametrize("table", list(PROTECTED))
def test_protected_table_raw_sql_through_dbapi_connection_is_refused(
    app: Flask, session: Session, reviewed: Review, table: str, verb: str
) -> None:
    # Arrange
    target = row_id(session, reviewed, table)
    where = f"WHERE {KEYS.get(table, 'id')} = {target}"
    before = session.execute(text(f"SELECT * FROM {table} {where}")).one()
    raw = engine_of(app).raw_connection()

    # Act
    try:
        cursor = raw.cursor()
        with pytest.raises(dbapi_integrity_errors()) as raised:
            cursor.execute(statement(table, verb, target))
        raw.rollback()
    finally:
        raw.close()

    # Assert
    assert refusal(raised.value) == f"{PROTECTED[table][0]}（{table}）寫入後不可{VERB[verb]}"
    assert session.execute(text(f"SELECT * FROM {table} {where}")).one() == before


@pytest.mark.parametrize("table", list(PROTECTED))
def test_protected_table_truncate_on_postgresql_is_refused(app: Flask, reviewed: Review, table: str) -> None:
    if dialect(app) != "postgresql":
        pytest.skip("TRUNCATE exists on PostgreSQL only (SQLite's DELETE without WHERE is tested above)")

    # Act
    with pytest.raises(IntegrityError) as raised, engine_of(app).begin() as connection:
        connection.exec_driver_sql(f"TRUNCATE {table} CASCADE")

    # Assert
    assert refusal(raised.value.orig) == f"{PROTECTED[table][0]}（{table}）寫入後不可清空"


def test_upgraded_database_has_every_guard_trigger(app: Flask) -> None:
    # Act
    with engine_of(app).connect() as connection:
        missing = history.missing_triggers(connection)

    # Assert
    assert missing == []


def test_downgrade_below_guards_removes_triggers_and_hashes(app: Flask) -> None:
    # Arrange
    engine = engine_of(app)

    # Act
    migrate.downgrade(engine, "0004")

    # Assert
    with engine.begin() as connection:
        assert history.missing_triggers(connection) == sorted(history.expected_triggers(engine.dialect.name))
        columns = connection.execute(select(text("*")).select_from(text("audit_event")).limit(0)).keys()
        assert list(columns) == [
            "id", "at", "actor_id", "actor_label", "action", "proposal_id", "from_state", "to_state", "reason"
        ]  # fmt: skip


def test_upgrade_chains_events_written_before_the_guards(app: Flask, session: Session) -> None:
    # Arrange: events in a database from before migration 0005
    engine = engine_of(app)
    migrate.downgrade(engine, "0004")
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO audit_event (at, actor_label, action, reason) VALUES (:at, :label, :action, :reason)"),
            [
                {"at": datetime(2026, 1, 1, 1, 2, 3, 456789), "label": "x", "action": "create", "reason": "𥕢 one"},
                {"at": datetime(2026, 1, 2), "label": "系統", "action": "submit", "reason": ""},
            ],
        )

    # Act
    migrate.upgrade(engine)

    # Assert: the migration's hashes are the ones the portal computes
    assert chain_rows(session) == expected_chain(session)
    assert chain_rows(session)[0][2] == "c11b10a81524d6548a25211210cac8d9d44843fcd7c1f0596b2a982c672d24e1"
    assert audit.inspect(session).sound


# --- normal use never trips the guards ---------------------------------------------------


def test_demo_every_stage_and_publish_keep_chain_whole(app: Flask, session: Session, runner: FlaskCliRunner) -> None:
    # Act: the demo submits, returns, forwards, assigns, reviews, decides and publishes
    run_demo(app)
    result = runner.invoke(args=["audit", "verify"])

    # Assert
    rows = chain_rows(session)
    assert rows == expected_chain(session)
    head_id, _prev, head_hash = rows[-1]
    assert (result.exit_code, result.output) == (
        0,
        f"已檢查 {len(rows)} 筆稽核紀錄。\n雜湊鏈完整；防護觸發器齊全。最新一筆：{head_id}:{head_hash}\n",
    )


def test_audit_first_event_links_to_genesis_and_each_next_to_previous(session: Session) -> None:
    # Act
    ids = audit_some(session, 3)

    # Assert
    rows = chain_rows(session)
    assert [r[0] for r in rows] == ids
    assert rows == expected_chain(session)
    assert rows[0][1] == GENESIS


def test_decide_after_review_writes_chained_events(app: Flask, make: Factory, session: Session) -> None:
    # Arrange
    world = Round(app, make, session)
    proposal = world.in_review(world.reviewers[0])
    world.score(proposal, world.reviewers[0], scores(5, 5, 5))

    # Act
    review.decide(
        session,
        proposal,
        world.admin,
        outcome="approve",
        reasons="三高",
        meeting=world.meeting,
        resources=[],
    )
    session.commit()

    # Assert
    assert [e.action for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))][-2:] == [
        "review",
        "approve",
    ]
    assert chain_rows(session) == expected_chain(session)


def test_concurrent_writers_append_one_unforked_chain(app: Flask, session: Session) -> None:
    # Arrange: several sessions, each its own connection, released at the same moment
    threads_count, per_thread = 6, 15
    start = threading.Barrier(threads_count)
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            with db.database(app).session() as own:
                start.wait()
                for n in range(per_thread):
                    operations.audit(own, None, "user_add", reason=f"w{worker}-{n}")
                    if n % 3 == 2:
                        own.commit()  # several events in some transactions, one in others
                own.commit()
        except BaseException as error:  # reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(threads_count)]

    # Act
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Assert
    assert errors == []
    reasons = sorted(session.scalars(select(AuditEvent.reason).where(AuditEvent.action == "user_add")))
    assert reasons == sorted(f"w{w}-{n}" for w in range(threads_count) for n in range(per_thread))
    assert chain_rows(session) == expected_chain(session)
    assert audit.inspect(session).chain.checked == len(chain_rows(session))


# --- portal audit verify ---------------------------------------------------------------


def test_verify_untampered_chain_exits_zero(session: Session, runner: FlaskCliRunner) -> None:
    # Arrange
    ids = audit_some(session, 4)
    head = session.scalar(select(AuditEvent.hash).where(AuditEvent.id == ids[-1]))

    # Act
    result = runner.invoke(args=["audit", "verify"])

    # Assert
    assert (result.exit_code, result.output) == (
        0,
        f"已檢查 4 筆稽核紀錄。\n雜湊鏈完整；防護觸發器齊全。最新一筆：{ids[-1]}:{head}\n",
    )


def test_verify_empty_log_exits_zero(runner: FlaskCliRunner) -> None:
    # Act
    result = runner.invoke(args=["audit", "verify"])

    # Assert
    assert (result.exit_code, result.output) == (0, "已檢查 0 筆稽核紀錄。\n雜湊鏈完整（尚無紀錄）；防護觸發器齊全。\n")


def test_verify_changed_event_is_named_and_exits_one(app: Flask, session: Session, runner: FlaskCliRunner) -> None:
    # Arrange
    ids = audit_some(session, 5)
    tamper(app, f"UPDATE audit_event SET reason = '改過的說明' WHERE id = {ids[2]}")

    # Act
    result = runner.invoke(args=["audit", "verify"])

    # Assert
    assert (result.exit_code, result.output) == (
        1,
        f"已檢查 5 筆稽核紀錄。\n錯誤：雜湊鏈在紀錄 #{ids[2]} 斷開：內容與其雜湊不符（紀錄被改動）\n",
    )


def test_verify_deleted_event_breaks_link_of_next(app: Flask, session: Session, runner: FlaskCliRunner) -> None:
    # Arrange
    ids = audit_some(session, 5)
    tamper(app, f"DELETE FROM audit_event WHERE id = {ids[1]}")

    # Act
    result = runner.invoke(args=["audit", "verify"])

    # Assert
    assert (result.exit_code, result.output) == (
        1,
        f"已檢查 4 筆稽核紀錄。\n錯誤：雜湊鏈在紀錄 #{ids[2]} 斷開："
        "與前一筆紀錄的連結不符（前一筆紀錄被刪除、插入或改動）\n",
    )


def test_verify_missing_trigger_exits_one(app: Flask, session: Session, runner: FlaskCliRunner) -> None:
    # Arrange
    audit_some(session, 1)
    on = " ON review" if dialect(app) == "postgresql" else ""
    with engine_of(app).begin() as connection:
        connection.exec_driver_sql(f"DROP TRIGGER review_no_delete{on}")

    # Act
    result = runner.invoke(args=["audit", "verify"])

    # Assert
    assert (result.exit_code, result.output) == (
        1,
        "已檢查 1 筆稽核紀錄。\n錯誤：資料庫缺少防護觸發器：review_no_delete\n",
    )


def test_verify_anchor_detects_recomputed_chain(app: Flask, session: Session, runner: FlaskCliRunner) -> None:
    # Arrange: an anchor noted, then the whole chain rewritten consistently
    ids = audit_some(session, 3)
    noted = f"{ids[1]}:{session.scalar(select(AuditEvent.hash).where(AuditEvent.id == ids[1]))}"
    session.rollback()  # end the read, whose lock would keep DROP TRIGGER waiting on PostgreSQL
    with engine_of(app).begin() as connection:
        definitions = history.drop_triggers(connection)
        connection.exec_driver_sql(f"UPDATE audit_event SET reason = '改寫' WHERE id = {ids[0]}")
        rechain(connection)
        history.restore_triggers(connection, definitions)

    # Act
    result = runner.invoke(args=["audit", "verify", "--anchor", noted])

    # Assert
    assert (result.exit_code, result.output) == (
        1,
        f"已檢查 3 筆稽核紀錄。\n錯誤：紀錄 #{ids[1]} 的雜湊與錨點不符（整條鏈被重新計算過）\n",
    )


def test_verify_anchor_still_matching_exits_zero(session: Session, runner: FlaskCliRunner) -> None:
    # Arrange
    ids = audit_some(session, 2)
    noted = f"{ids[0]}:{session.scalar(select(AuditEvent.hash).where(AuditEvent.id == ids[0]))}"

    # Act
    result = runner.invoke(args=["audit", "verify", "--anchor", noted])

    # Assert
    assert result.exit_code == 0
    assert result.output.splitlines()[1].startswith("雜湊鏈完整；防護觸發器齊全。")


def test_verify_anchor_badly_written_is_explained(session: Session, runner: FlaskCliRunner) -> None:
    # Act
    result = runner.invoke(args=["audit", "verify", "--anchor", "12-abc"])

    # Assert
    assert (result.exit_code, result.output) == (
        1,
        "已檢查 0 筆稽核紀錄。\n錯誤：錨點「12-abc」格式應為 紀錄編號:64 位十六進位雜湊，例如 120:3f5a…\n",
    )


def rechain(connection: Connection) -> None:
    """Recompute every hash, as a forger who can drop the triggers would."""
    prev = GENESIS
    rows = connection.execute(
        select(*[getattr(AuditEvent, c) for c in ("id", *history.CONTENT)]).order_by(AuditEvent.id)
    )
    for row in rows.all():
        values: dict[str, Any] = dict(row._mapping) | {"prev_hash": prev}
        own = event_hash(**{k: v for k, v in values.items() if k != "id"})
        connection.execute(
            text("UPDATE audit_event SET prev_hash = :prev, hash = :own WHERE id = :id"),
            {"prev": prev, "own": own, "id": row.id},
        )
        prev = own


# --- lifting the guards for a schema change ------------------------------------------------


def test_lifted_allows_change_then_restores_guards_and_records_it(app: Flask, session: Session) -> None:
    # Arrange
    ids = audit_some(session, 2)
    engine = engine_of(app)

    # Act
    with engine.begin() as connection, history.lifted(connection, "0099：合併說明欄位"):
        during = history.missing_triggers(connection)

    # Assert
    assert during == sorted(history.expected_triggers(engine.dialect.name))
    with engine.connect() as connection:
        assert history.missing_triggers(connection) == []
    last = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert last is not None
    assert (last.id > ids[-1], last.action, last.actor_label, last.reason) == (
        True,
        "guards_lifted",
        "系統（資料庫遷移）",
        "0099：合併說明欄位",
    )
    assert audit.inspect(session).sound


def test_lifted_batch_migration_of_review_keeps_rows_and_guards(app: Flask, reviewed: Review, session: Session) -> None:
    # Arrange: the README's example, run the way a migration runs it
    engine = engine_of(app)
    session.rollback()

    # Act
    with engine.begin() as connection:
        context = MigrationContext.configure(connection, opts={"render_as_batch": engine.dialect.name == "sqlite"})
        with (
            history.lifted(connection, "0007：審查評分加上 rubric_id 欄位"),
            Operations(context).batch_alter_table("review") as batch_op,
        ):
            batch_op.add_column(sa.Column("rubric_id", sa.Integer(), nullable=True))

    # Assert
    with engine.connect() as connection:
        assert history.missing_triggers(connection) == []
        assert connection.execute(text("SELECT id, rubric_id FROM review")).all() == [(reviewed.id, None)]
    assert audit.inspect(session).sound
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.exec_driver_sql(f"DELETE FROM review WHERE id = {reviewed.id}")


def test_lifted_without_reason_is_refused_and_keeps_guards(app: Flask) -> None:
    # Act
    with (
        pytest.raises(ValueError, match="a reason is required"),
        engine_of(app).begin() as connection,
        history.lifted(connection, "  "),
    ):
        pass  # pragma: no cover

    # Assert
    with engine_of(app).connect() as connection:
        assert history.missing_triggers(connection) == []


# --- the admin audit page ---------------------------------------------------------------


def chain_notice(html: str) -> str:
    match = re.search(r'<div class="flash (\w+)" id="chain-state"[^>]*>(.*?)</div>', html, re.S)
    assert match, "no chain state on the page"
    return f"{match.group(1)}: " + re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(2))).strip()


def test_admin_audit_page_shows_whole_chain(make: Factory, session: Session, auth: Auth) -> None:
    # Arrange
    admin = make.user(Role.ADMIN)
    audit_some(session, 3)
    auth.login(admin.email)

    # Act
    html = auth.client.get("/admin/audit").get_data(as_text=True)

    # Assert
    assert chain_notice(html) == (
        "success: 雜湊鏈 完整：3 筆紀錄逐筆重算，雜湊全部相符。 資料庫拒絕修改與刪除紀錄的防護觸發器齊全。"
    )


def test_admin_audit_page_shows_broken_link(app: Flask, make: Factory, session: Session, auth: Auth) -> None:
    # Arrange
    admin = make.user(Role.ADMIN)
    ids = audit_some(session, 3)
    tamper(app, f"UPDATE audit_event SET action = 'user_disable' WHERE id = {ids[1]}")
    auth.login(admin.email)

    # Act
    html = auth.client.get("/admin/audit").get_data(as_text=True)

    # Assert
    assert chain_notice(html) == (
        f"error: 雜湊鏈 在紀錄 #{ids[1]} 斷開：內容與其雜湊不符（紀錄被改動）。共 3 筆紀錄。"
        " 資料庫拒絕修改與刪除紀錄的防護觸發器齊全。"
    )


# --- the chain rules on plain data -------------------------------------------------------


def chained(count: int) -> list[ChainedEvent]:
    events, prev = [], GENESIS
    for n in range(1, count + 1):
        content: dict[str, Any] = {
            "at": datetime(2026, 3, n, 8, 0, tzinfo=UTC),
            "actor_id": n,
            "actor_label": f"人{n}",
            "action": "submit",
            "proposal_id": 7,
            "from_state": "draft",
            "to_state": "submitted",
            "reason": "",
        }
        own = event_hash(**content, prev_hash=prev)
        events.append(ChainedEvent(id=n * 10, **content, prev_hash=prev, hash=own))
        prev = own
    return events


def test_check_whole_chain_reports_head() -> None:
    # Arrange
    events = chained(3)

    # Act
    state = check(events)

    # Assert
    assert state == ChainState(checked=3, first_break=None, head_id=30, head_hash=events[-1].hash)


def test_check_swapped_events_break_at_first_swapped() -> None:
    # Arrange
    first, second, third = chained(3)

    # Act
    state = check([first, third, second])

    # Assert
    assert state.first_break == ChainBreak(30, "與前一筆紀錄的連結不符（前一筆紀錄被刪除、插入或改動）")


def test_event_hash_naive_time_is_read_as_utc() -> None:
    # Arrange
    fields: dict[str, Any] = {
        "actor_id": None,
        "actor_label": "x",
        "action": "create",
        "proposal_id": None,
        "from_state": None,
        "to_state": None,
        "reason": "𥕢 one",
        "prev_hash": GENESIS,
    }

    # Act
    naive = event_hash(at=datetime(2026, 1, 1, 1, 2, 3, 456789), **fields)
    aware = event_hash(at=datetime(2026, 1, 1, 9, 2, 3, 456789, tzinfo=operations.TAIWAN), **fields)

    # Assert
    assert naive == aware == "c11b10a81524d6548a25211210cac8d9d44843fcd7c1f0596b2a982c672d24e1"
