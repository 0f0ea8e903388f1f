"""`portal backup` and `portal restore`: a backup taken while another thread keeps
writing restores to the same rows and files; a damaged backup and an occupied target are
refused without changing anything. Runs on the database under test (SQLite, or
PostgreSQL with PORTAL_DATABASE_URL)."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import MetaData, select

from portal import db, operations
from portal.backup import BackupError, find_tool, libpq_connection
from portal.cli import initialise
from portal.db.models import User
from portal.domain.proposal import ProposalType
from portal.domain.roles import Role
from tests.conftest import POSTGRESQL, PULI, Factory, make_app


def _postgres_tools() -> bool:
    try:
        for name in ("pg_dump", "pg_restore", "psql"):
            find_tool(name)
    except BackupError:
        return False
    return True


pytestmark = pytest.mark.skipif(
    POSTGRESQL and not _postgres_tools(),
    reason="pg_dump, pg_restore or psql is neither on PATH nor in /usr/lib/postgresql/*/bin: "
    "install the PostgreSQL client to test backups on PostgreSQL",
)

CASE_FILE = "2026/puli-eco-town.md"
CASE_TEXT = "---\ntitle: 埔里生態城鄉共好計畫\n---\n\n## 我的DNA\n\n𥕢 與 𡘙 的故鄉。\n"
UPLOAD = "plans/budget.pdf"
UPLOAD_BYTES = bytes(range(256)) * 40


class Writer(threading.Thread):
    """Creates draft proposals (each with its audit event) until stopped."""

    def __init__(self, app: Flask, author_id: int) -> None:
        super().__init__(daemon=True)
        self.app = app
        self.author_id = author_id
        self.written = 0
        self.error: BaseException | None = None
        self.stopping = threading.Event()

    def run(self) -> None:
        try:
            with db.database(self.app).session() as session:
                author = session.get(User, self.author_id)
                assert author is not None
                while not self.stopping.is_set():
                    operations.create_proposal(
                        session,
                        author,
                        cycle="2026",
                        proposal_type=ProposalType.TOWNSHIP,
                        lead_township_code=PULI,
                        title=f"寫入中的提案 {self.written} 𥕢",
                    )
                    session.commit()
                    self.written += 1
                    time.sleep(0.002)
        except BaseException as error:  # reported by wait_for and stop
            self.error = error

    def wait_for(self, count: int) -> None:
        deadline = time.monotonic() + 60
        while self.written < count and self.error is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert self.error is None, repr(self.error)
        assert self.written >= count, f"the writer wrote only {self.written} of {count} proposals"

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=60)
        assert self.error is None, repr(self.error)


def rows(app: Flask) -> dict[str, list[dict[str, Any]]]:
    """Every table's rows, in primary-key order."""
    engine = db.database(app).engine
    metadata = MetaData()
    metadata.reflect(engine)
    with engine.connect() as connection:
        found = {
            name: [
                dict(row._mapping)
                for row in connection.execute(select(table).order_by(*(table.primary_key.columns or table.columns)))
            ]
            for name, table in metadata.tables.items()
        }
    engine.dispose()
    return found


def files(folder: Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in folder.rglob("*") if path.is_file()}


@pytest.fixture
def source(app: Flask, make: Factory) -> Flask:
    """The portal with an account, a published case file and an uploaded file."""
    make.user(Role.TOWNSHIP, township=PULI)
    case = Path(app.config["PROPOSALS_DIR"]) / CASE_FILE
    case.parent.mkdir(parents=True)
    case.write_text(CASE_TEXT, encoding="utf-8")
    upload = Path(app.config["UPLOAD_DIR"]) / UPLOAD
    upload.parent.mkdir(parents=True)
    upload.write_bytes(UPLOAD_BYTES)
    return app


@pytest.fixture
def target(tmp_path: Path) -> Iterator[Flask]:
    """A second portal on an empty database and empty folders."""
    (tmp_path / "target").mkdir()
    application = make_app(tmp_path / "target")
    yield application
    db.database(application).engine.dispose()


def backup(app: Flask, destination: Path) -> dict[str, Any]:
    result = app.test_cli_runner().invoke(args=["backup", str(destination)])
    assert result.exit_code == 0, result.output
    manifest: dict[str, Any] = json.loads((destination / "manifest.json").read_text(encoding="utf-8"))
    return manifest


def test_backup_under_writes_restores_the_same_rows_and_files(
    source: Flask, make: Factory, target: Flask, tmp_path: Path
) -> None:
    author = make.user(Role.TOWNSHIP, township=PULI)
    writer = Writer(source, author.id)
    writer.start()
    try:
        writer.wait_for(20)
        at_start = writer.written
        result = source.test_cli_runner().invoke(args=["backup", str(tmp_path / "backup")])
        at_end = writer.written
        writer.wait_for(at_end + 20)
    finally:
        writer.stop()
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1].startswith(f"備份完成：{tmp_path / 'backup'}：資料庫 ")
    manifest = json.loads((tmp_path / "backup/manifest.json").read_text(encoding="utf-8"))

    restored_result = target.test_cli_runner().invoke(args=["restore", str(tmp_path / "backup")])

    assert restored_result.exit_code == 0, restored_result.output
    restored, live = rows(target), rows(source)
    assert set(restored) == set(live)
    assert {name: len(table) for name, table in restored.items()} == manifest["database"]["tables"]
    for name, table in restored.items():
        # One consistent moment: every table is the beginning of the live one (the
        # writer only appends), and untouched tables are whole.
        assert table == live[name][: len(table)], name
        if name not in ("proposal", "audit_event"):
            assert table == live[name], name
    # The moment lies between the backup's start and end, while the writer wrote (the
    # writer counts a proposal just after committing it: one more may be in).
    assert at_start <= len(restored["proposal"]) <= at_end + 1 < len(live["proposal"])
    created = {event["proposal_id"] for event in restored["audit_event"] if event["action"] == "create"}
    assert created == {proposal["id"] for proposal in restored["proposal"]}
    assert files(Path(target.config["PROPOSALS_DIR"])) == {CASE_FILE: CASE_TEXT.encode("utf-8")}
    assert files(Path(target.config["UPLOAD_DIR"])) == {UPLOAD: UPLOAD_BYTES}


def test_manifest_lists_every_file_with_its_hash(source: Flask, tmp_path: Path) -> None:
    manifest = backup(source, tmp_path / "backup")

    database_file = "database.pgdump" if POSTGRESQL else "database.sqlite3"
    assert manifest["format"] == 1
    assert manifest["database"]["kind"] == ("postgresql" if POSTGRESQL else "sqlite")
    assert manifest["database"]["file"] == database_file
    assert set(manifest["files"]) == {database_file, f"proposals/{CASE_FILE}", f"uploads/{UPLOAD}"}
    assert manifest["files"][f"uploads/{UPLOAD}"] == {
        "size": len(UPLOAD_BYTES),
        "sha256": hashlib.sha256(UPLOAD_BYTES).hexdigest(),
    }
    assert manifest["database"]["tables"]["user_account"] == 1
    assert manifest["database"]["tables"]["township"] == 368
    assert (tmp_path / "backup").stat().st_mode & 0o777 == 0o700


def test_backup_refuses_an_existing_destination(source: Flask, tmp_path: Path) -> None:
    (tmp_path / "old").mkdir()

    result = source.test_cli_runner().invoke(args=["backup", str(tmp_path / "old")])

    assert (result.exit_code, result.output) == (
        1,
        f"錯誤：{tmp_path / 'old'} 已存在：請指定一個新的資料夾名稱（例如加上日期）\n",
    )
    assert list((tmp_path / "old").iterdir()) == []


def _damage(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damaged", ["database", f"proposals/{CASE_FILE}", f"uploads/{UPLOAD}"])
def test_restore_refuses_a_backup_with_one_byte_changed(
    source: Flask, target: Flask, tmp_path: Path, damaged: str
) -> None:
    manifest = backup(source, tmp_path / "backup")
    name = manifest["database"]["file"] if damaged == "database" else damaged
    _damage(tmp_path / "backup" / name)

    result = target.test_cli_runner().invoke(args=["restore", str(tmp_path / "backup")])

    assert (result.exit_code, result.output) == (
        1,
        f"錯誤：備份檔案 {name} 的內容與清單不符（大小或 SHA-256）：備份已損壞\n",
    )
    assert rows(target) == {}
    assert not Path(target.config["PROPOSALS_DIR"]).exists()
    assert not Path(target.config["UPLOAD_DIR"]).exists()


def test_restore_refuses_a_backup_with_a_file_added(source: Flask, target: Flask, tmp_path: Path) -> None:
    backup(source, tmp_path / "backup")
    (tmp_path / "backup/uploads/extra.bin").write_bytes(b"\x00")

    result = target.test_cli_runner().invoke(args=["restore", str(tmp_path / "backup")])

    assert (result.exit_code, result.output) == (
        1,
        "錯誤：備份中有清單沒有的檔案（例如 uploads/extra.bin）：備份被改動過\n",
    )
    assert rows(target) == {}


@pytest.mark.sqlite_only
def test_restore_refuses_a_sqlite_copy_that_fails_the_integrity_check(
    source: Flask, target: Flask, tmp_path: Path
) -> None:
    """Hashes that match a damaged file (the manifest rewritten with it) still fail."""
    backup(source, tmp_path / "backup")
    database = tmp_path / "backup/database.sqlite3"
    database.write_bytes(database.read_bytes()[: 40 * 4096])
    manifest_path = tmp_path / "backup/manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["files"]["database.sqlite3"] = {
        "size": database.stat().st_size,
        "sha256": hashlib.sha256(database.read_bytes()).hexdigest(),
    }
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")

    result = target.test_cli_runner().invoke(args=["restore", str(tmp_path / "backup")])

    assert result.exit_code == 1
    assert result.output.startswith("錯誤：database.sqlite3 ")
    assert result.output.endswith("備份已損壞\n")
    assert rows(target) == {}


def test_restore_without_force_leaves_an_occupied_target_alone(source: Flask, make: Factory, tmp_path: Path) -> None:
    backup(source, tmp_path / "backup")
    backed_up = rows(source)
    author = make.user(Role.TOWNSHIP, township=PULI)
    make.proposal(author, title="備份之後的提案")
    (Path(source.config["PROPOSALS_DIR"]) / CASE_FILE).write_text("changed", encoding="utf-8")
    changed = rows(source)

    refused = source.test_cli_runner().invoke(args=["restore", str(tmp_path / "backup")])

    assert refused.exit_code == 1
    lines = refused.output.splitlines()
    assert lines[0].startswith("備份完整（")
    assert lines[1].startswith("錯誤：還原目標已有資料，未做任何變更：")
    assert "資料表 proposal（1 筆）、" in lines[1] and "資料表 user_account（2 筆）、" in lines[1]
    assert lines[1].endswith(
        f"資料夾 {source.config['PROPOSALS_DIR']}、資料夾 {source.config['UPLOAD_DIR']}。確定要覆寫請加上 --force"
    )
    assert rows(source) == changed

    forced = source.test_cli_runner().invoke(args=["restore", "--force", str(tmp_path / "backup")])

    assert forced.exit_code == 0, forced.output
    assert rows(source) == backed_up
    assert files(Path(source.config["PROPOSALS_DIR"])) == {CASE_FILE: CASE_TEXT.encode("utf-8")}
    assert not list(Path(source.config["PROPOSALS_DIR"]).parent.glob(".*restore*"))


def test_restore_refuses_a_target_folder_with_files(source: Flask, target: Flask, tmp_path: Path) -> None:
    backup(source, tmp_path / "backup")
    folder = Path(target.config["UPLOAD_DIR"])
    folder.mkdir(parents=True)
    (folder / "kept.txt").write_text("mine", encoding="utf-8")

    result = target.test_cli_runner().invoke(args=["restore", str(tmp_path / "backup")])

    assert result.exit_code == 1
    refusal = f"錯誤：還原目標已有資料，未做任何變更：資料夾 {folder}。確定要覆寫請加上 --force"
    assert result.output.splitlines()[1] == refusal
    assert files(folder) == {"kept.txt": b"mine"}
    assert rows(target) == {}


def test_missing_postgresql_tool_is_named(tmp_path: Path) -> None:
    with pytest.raises(BackupError) as raised:
        find_tool("pg_dump", search_path=str(tmp_path), roots=[str(tmp_path / "*/bin")])
    assert str(raised.value) == (
        "找不到 pg_dump：請安裝 PostgreSQL 用戶端程式（Debian／Ubuntu：apt-get install postgresql-client），"
        "版本不低於資料庫伺服器"
    )


def test_restore_that_fails_its_row_count_check_changes_nothing(source: Flask, target: Flask, tmp_path: Path) -> None:
    """The counts are checked last on PostgreSQL, inside the loading transaction: its
    failure leaves the old schema, rows and folders in place."""
    backup(source, tmp_path / "backup")
    manifest_path = tmp_path / "backup/manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["database"]["tables"]["township"] += 1
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    with target.app_context():
        initialise()
        db.database().engine.dispose()
    kept = Path(target.config["PROPOSALS_DIR"]) / "kept.md"
    kept.parent.mkdir(parents=True)
    kept.write_text("mine", encoding="utf-8")
    before = rows(target)

    result = target.test_cli_runner().invoke(args=["restore", "--force", str(tmp_path / "backup")])

    assert result.exit_code == 1
    if POSTGRESQL:
        assert result.output.splitlines()[-1].startswith("錯誤：載入 PostgreSQL 失敗，資料庫維持原狀：")
        assert "township: 368 rows, expected 369" in result.output
    else:
        assert result.output == "錯誤：database.sqlite3 的資料表筆數與清單不符：備份已損壞\n"
    assert rows(target) == before
    assert files(kept.parent) == {"kept.md": b"mine"}
    assert sorted(path.name for path in (tmp_path / "target").iterdir() if path.name.startswith(".")) == []


def test_postgresql_tools_get_a_libpq_connection_string_without_the_password() -> None:
    conninfo, env = libpq_connection(
        "postgresql+psycopg://portal:pa%27ss@db.internal:5433/portal?options=-c+lock_timeout%3D5000&sslmode=require"
    )

    assert conninfo == (
        "host='db.internal' port='5433' user='portal' dbname='portal' options='-c lock_timeout=5000' sslmode='require'"
    )
    assert env["PGPASSWORD"] == "pa'ss"
