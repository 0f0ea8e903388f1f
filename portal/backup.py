"""`portal backup DEST` and `portal restore SRC`: the database, `proposals/` and the
uploads in one folder with a manifest, taken while the portal keeps writing.

A backup folder holds `manifest.json`, the database (`database.sqlite3`, made with
SQLite's online backup API, or `database.pgdump`, `pg_dump --format=custom`) and the
files under `proposals/` and `uploads/`. The manifest names when it was made, the kind of
database, its Alembic revision, the rows of every table and the size and SHA-256 of
every file. The row counts come from the same snapshot as the copy (one read
transaction on SQLite, an exported snapshot shared with `pg_dump` on PostgreSQL).

Restoring checks everything first (every file's hash, no file added, SQLite's
`PRAGMA integrity_check` or `pg_restore --list`, the row counts), refuses a target that
holds data unless forced, and then restores everything or nothing: the SQLite file and
the folders are staged beside their targets and swapped in by renames; PostgreSQL is
loaded in one transaction that ends by checking the row counts.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import secrets
import shutil
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError
from alembic.util import CommandError
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import URL, make_url

from portal import db
from portal.cli_error import CliError
from portal.db import migrate

MANIFEST = "manifest.json"
FORMAT = 1
SQLITE_FILE = "database.sqlite3"
POSTGRES_FILE = "database.pgdump"
# The folders a backup holds: name in the backup -> the setting naming the live folder.
FOLDERS = {"proposals": "PROPOSALS_DIR", "uploads": "UPLOAD_DIR"}
POSTGRES_BIN = "/usr/lib/postgresql/*/bin"
CHUNK = 1 << 20

Progress = Callable[[str], None]


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why, in Chinese."""


@dataclass(frozen=True)
class Summary:
    kind: str
    revision: str | None
    tables: dict[str, int]
    files: int
    size: int
    seconds: float

    def text(self) -> str:
        rows = sum(self.tables.values())
        label = "SQLite" if self.kind == "sqlite" else "PostgreSQL"
        return (
            f"資料庫 {label}（版本 {self.revision or '無'}，{len(self.tables)} 個資料表共 {rows} 筆）、"
            f"{self.files} 個檔案、{self.size / 1e6:.1f} MB，{self.seconds:.1f} 秒"
        )


# --- helpers ------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _copy(source: Path, target: Path) -> str:
    """Copy one file, owner-only, and return the SHA-256 of what was written."""
    digest = hashlib.sha256()
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with source.open("rb") as reader, os.fdopen(descriptor, "wb") as writer:
        while chunk := reader.read(CHUNK):
            digest.update(chunk)
            writer.write(chunk)
    return digest.hexdigest()


def _files(folder: Path) -> Iterator[Path]:
    """Regular files under `folder`, sorted; never a publish's half-written temporary file."""
    if not folder.is_dir():
        return
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink() and not (path.name.startswith(".") and path.name.endswith(".tmp")):
            yield path


def _holds_data(folder: Path) -> bool:
    """A folder with any file but hidden placeholders such as `.gitkeep`."""
    return any(not path.name.startswith(".") for path in _files(folder))


def _kind(url: str) -> str:
    name = make_url(url).get_backend_name()
    if name not in ("sqlite", "postgresql"):
        raise BackupError(f"不支援的資料庫種類「{name}」：只能備份 SQLite 或 PostgreSQL")
    return name


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("PORTAL_DATABASE_URL 沒有指向 SQLite 檔案，無法備份或還原")
    return Path(database)


def _read_only(path: Path) -> sqlite3.Connection:
    """Open a copy without writing anything beside it (no -wal or -shm file)."""
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)


def _sqlite_tables(connection: sqlite3.Connection) -> dict[str, int]:
    names = [
        row[0]
        for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]
    return {name: int(connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]) for name in names}


def _sqlite_revision(connection: sqlite3.Connection, tables: dict[str, int]) -> str | None:
    if "alembic_version" not in tables:
        return None
    row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    return str(row[0]) if row else None


def find_tool(name: str, search_path: str | None = None, roots: list[str] | None = None) -> str:
    """`pg_dump`, `pg_restore` or `psql`: on PATH, else the newest in /usr/lib/postgresql."""
    found = shutil.which(name, path=os.environ.get("PATH", "") if search_path is None else search_path)
    if found:
        return found
    candidates = sorted(
        (Path(folder) / name for pattern in (roots or [POSTGRES_BIN]) for folder in glob.glob(pattern)),
        key=lambda path: [int(part) if part.isdigit() else 0 for part in path.parent.parent.name.split(".")],
    )
    existing = [path for path in candidates if path.is_file() and os.access(path, os.X_OK)]
    if existing:
        return str(existing[-1])
    raise BackupError(
        f"找不到 {name}：請安裝 PostgreSQL 用戶端程式（Debian／Ubuntu：apt-get install postgresql-client），"
        "版本不低於資料庫伺服器"
    )


def libpq_connection(url: str) -> tuple[str, dict[str, str]]:
    """A libpq `key='value'` connection string without the password, and the environment
    carrying it (a password on the command line would show in the process list). The
    URL's query parameters (sslmode, options, …) are libpq's own keywords."""
    parsed: URL = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    fields: dict[str, str] = {}
    for key, value in (("host", parsed.host), ("port", parsed.port), ("user", parsed.username)):
        if value is not None:
            fields[key] = str(value)
    fields["dbname"] = str(parsed.database or "")
    for key, given in parsed.query.items():
        fields[key] = given if isinstance(given, str) else given[-1]

    def quoted(value: str) -> str:
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"

    return " ".join(f"{key}={quoted(value)}" for key, value in fields.items()), env


def _run(arguments: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(arguments, capture_output=True, text=True, env=env, check=False)


def _tail(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return "；".join(lines[-3:]) or "沒有訊息"


# --- backup -------------------------------------------------------------------------


def _backup_sqlite(url: str, target: Path) -> tuple[str | None, dict[str, int]]:
    """SQLite's online backup API in one step: one read transaction, so the copy is one
    consistent moment while other connections keep writing (WAL)."""
    source_path = _sqlite_path(url)
    if not source_path.is_file():
        raise BackupError(f"找不到資料庫檔案 {source_path}")
    source = sqlite3.connect(source_path, timeout=db.SQLITE_BUSY_TIMEOUT_MS / 1000)
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(descriptor)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
        # The copy stands alone: no write-ahead log beside it.
        copy.execute("PRAGMA journal_mode=DELETE")
    finally:
        copy.close()
        source.close()
    check = _read_only(target)
    try:
        tables = _sqlite_tables(check)
        return _sqlite_revision(check, tables), tables
    finally:
        check.close()


def _backup_postgres(target: Path) -> tuple[str | None, dict[str, int]]:
    """`pg_dump` on a snapshot exported by a transaction that also counts the rows."""
    pg_dump = find_tool("pg_dump")
    engine = db.database().engine
    conninfo, env = libpq_connection(engine.url.render_as_string(hide_password=False))
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection, connection.begin():
        snapshot = connection.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one()
        names = connection.exec_driver_sql(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        ).scalars()
        tables = {
            str(name): int(connection.exec_driver_sql(f'SELECT count(*) FROM public."{name}"').scalar_one())
            for name in list(names)
        }
        revision = None
        if "alembic_version" in tables:
            revision = connection.exec_driver_sql("SELECT version_num FROM public.alembic_version").scalar()
        result = _run(
            [pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--file={target}", f"--dbname={conninfo}"],
            env,
        )
    if result.returncode != 0:
        raise BackupError(f"pg_dump 失敗：{_tail(result.stderr)}")
    target.chmod(0o600)
    return (str(revision) if revision else None), tables


def backup(config: dict[str, Any], destination: Path, progress: Progress) -> Summary:
    """Write a complete backup folder at `destination`, or nothing at all."""
    started = time.monotonic()
    if destination.exists():
        raise BackupError(f"{destination} 已存在：請指定一個新的資料夾名稱（例如加上日期）")
    if not destination.parent.is_dir():
        raise BackupError(f"上層資料夾 {destination.parent} 不存在")
    kind = _kind(config["DATABASE_URL"])
    staging = destination.parent / f".{destination.name}.partial-{secrets.token_hex(4)}"
    staging.mkdir(mode=0o700)
    try:
        database_file = staging / (SQLITE_FILE if kind == "sqlite" else POSTGRES_FILE)
        progress("資料庫…")
        if kind == "sqlite":
            revision, tables = _backup_sqlite(config["DATABASE_URL"], database_file)
        else:
            revision, tables = _backup_postgres(database_file)
        files: dict[str, dict[str, Any]] = {
            database_file.name: {"size": database_file.stat().st_size, "sha256": _sha256(database_file)}
        }
        progress(f"資料庫：{len(tables)} 個資料表共 {sum(tables.values())} 筆")
        for name, setting in FOLDERS.items():
            source = Path(config[setting])
            count = 0
            for path in _files(source):
                relative = f"{name}/{path.relative_to(source).as_posix()}"
                digest = _copy(path, staging / relative)
                files[relative] = {"size": (staging / relative).stat().st_size, "sha256": digest}
                count += 1
            progress(f"{name}/：{count} 個檔案")
        manifest = {
            "format": FORMAT,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "database": {"kind": kind, "file": database_file.name, "revision": revision, "tables": tables},
            "files": files,
        }
        descriptor = os.open(staging / MANIFEST, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(manifest, handle, ensure_ascii=False, indent=2, sort_keys=True)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        staging.rename(destination)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    size = sum(int(entry["size"]) for entry in files.values())
    return Summary(kind, revision, tables, len(files) - 1, size, time.monotonic() - started)


# --- verify -------------------------------------------------------------------------


def _manifest(source: Path) -> dict[str, Any]:
    path = source / MANIFEST
    if not path.is_file():
        raise BackupError(f"{source} 不是備份資料夾：找不到 {MANIFEST}")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        database = manifest["database"]
        valid = (
            manifest["format"] == FORMAT
            and database["kind"] in ("sqlite", "postgresql")
            and database["file"] in manifest["files"]
            and all(isinstance(count, int) for count in database["tables"].values())
            and all({"size", "sha256"} <= set(entry) for entry in manifest["files"].values())
        )
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise BackupError(f"{MANIFEST} 無法讀取或格式不符（{type(error).__name__}）：備份已損壞") from error
    if not valid:
        raise BackupError(f"{MANIFEST} 格式不符（第 {FORMAT} 版）：備份已損壞或來自其他程式")
    return dict(manifest)


def verify(source: Path, known_revisions: ScriptDirectory | None = None) -> dict[str, Any]:
    """Every file as listed, nothing added, and a database that opens and is whole."""
    manifest = _manifest(source)
    listed: dict[str, dict[str, Any]] = manifest["files"]
    present = {path.relative_to(source).as_posix() for path in source.rglob("*") if path.is_file()} - {MANIFEST}
    missing = sorted(set(listed) - present)
    if missing:
        raise BackupError(f"備份缺少 {len(missing)} 個檔案（例如 {missing[0]}）：備份不完整")
    added = sorted(present - set(listed))
    if added:
        raise BackupError(f"備份中有清單沒有的檔案（例如 {added[0]}）：備份被改動過")
    for name, entry in sorted(listed.items()):
        path = source / name
        if path.stat().st_size != entry["size"] or _sha256(path) != entry["sha256"]:
            raise BackupError(f"備份檔案 {name} 的內容與清單不符（大小或 SHA-256）：備份已損壞")
    database = manifest["database"]
    path = source / database["file"]
    if database["kind"] == "sqlite":
        _verify_sqlite(path, database)
    else:
        result = _run([find_tool("pg_restore"), "--list", str(path)])
        if result.returncode != 0:
            raise BackupError(f"pg_restore --list 讀不了 {database['file']}：{_tail(result.stderr)}")
    revision = database["revision"]
    if known_revisions is not None and revision is not None:
        try:
            known_revisions.get_revision(revision)
        except (RevisionError, CommandError) as error:
            raise BackupError(f"備份的資料庫版本 {revision} 比這一版程式新：請先更新程式再還原") from error
    return manifest


def _verify_sqlite(path: Path, database: dict[str, Any]) -> None:
    try:
        connection = _read_only(path)
        try:
            result = [row[0] for row in connection.execute("PRAGMA integrity_check")]
            tables = _sqlite_tables(connection) if result == ["ok"] else {}
        finally:
            connection.close()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{database['file']} 不是完好的 SQLite 資料庫（{error}）：備份已損壞") from error
    if result != ["ok"]:
        raise BackupError(f"{database['file']} 沒有通過 integrity_check（{result[0]}）：備份已損壞")
    if tables != database["tables"]:
        raise BackupError(f"{database['file']} 的資料表筆數與清單不符：備份已損壞")


# --- restore ------------------------------------------------------------------------


def _sqlite_rows(path: Path) -> dict[str, int]:
    if not path.is_file():
        return {}
    connection = sqlite3.connect(path, timeout=db.SQLITE_BUSY_TIMEOUT_MS / 1000)
    try:
        return _sqlite_tables(connection)
    finally:
        connection.close()


def _postgres_rows() -> dict[str, int]:
    with db.database().engine.connect() as connection:
        names = list(
            connection.exec_driver_sql("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").scalars()
        )
        return {
            str(name): int(connection.exec_driver_sql(f'SELECT count(*) FROM public."{name}"').scalar_one())
            for name in names
        }


def occupied(config: dict[str, Any], kind: str) -> list[str]:
    """What the restore would overwrite: tables with rows and folders with files."""
    rows = _sqlite_rows(_sqlite_path(config["DATABASE_URL"])) if kind == "sqlite" else _postgres_rows()
    found = [
        f"資料表 {name}（{count} 筆）" for name, count in sorted(rows.items()) if count and name != "alembic_version"
    ]
    found += [f"資料夾 {config[setting]}" for setting in FOLDERS.values() if _holds_data(Path(config[setting]))]
    return found


def _stage_folder(source: Path, name: str, listed: dict[str, dict[str, Any]], target: Path, token: str) -> Path:
    staged = target.parent / f".{target.name}.restore-{token}"
    staged.mkdir(parents=True, mode=0o755)
    prefix = f"{name}/"
    for relative, entry in listed.items():
        if relative.startswith(prefix):
            destination = staged / relative[len(prefix) :]
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source / relative, destination)
            if _sha256(destination) != entry["sha256"]:
                raise BackupError(f"複製 {relative} 時內容改變了：未還原任何資料")
    return staged


def _swap(pairs: list[tuple[Path | None, Path]], token: str) -> None:
    """Rename every staged path over its target (a target without a staged path is only
    moved out of the way); on any failure put every target back as it was."""
    done: list[tuple[Path | None, Path, Path | None]] = []
    try:
        for staged, target in pairs:
            aside: Path | None = None
            if target.exists() or target.is_symlink():
                aside = target.parent / f".{target.name}.before-restore-{token}"
                target.rename(aside)
            done.append((staged, target, aside))
            if staged is not None:
                staged.rename(target)
    except OSError:
        for staged, target, aside in reversed(done):
            if staged is not None and target.exists() and not staged.exists():
                target.rename(staged)
            if aside is not None:
                aside.rename(target)
        raise
    for _staged, _target, aside in done:
        if aside is not None:
            if aside.is_dir():
                shutil.rmtree(aside)
            else:
                aside.unlink()


def _stage_sqlite(source: Path, manifest: dict[str, Any], target: Path, token: str) -> list[tuple[Path | None, Path]]:
    """The checked copy of the database beside its target; the old database's
    write-ahead log and shared memory go with it (moved aside, then removed)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staged = target.parent / f".{target.name}.restore-{token}"
    shutil.copyfile(source / manifest["database"]["file"], staged)
    staged.chmod(0o600)
    _verify_sqlite(staged, manifest["database"])
    stale: list[tuple[Path | None, Path]] = [
        (None, target.parent / f"{target.name}{suffix}") for suffix in ("-wal", "-shm", "-journal")
    ]
    return [*stale, (staged, target)]


PREAMBLE = """
DO $portal$
DECLARE r record;
BEGIN
  FOR r IN SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
             AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e') LOOP
    EXECUTE format('DROP %s IF EXISTS public.%I CASCADE',
      CASE r.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END,
      r.relname);
  END LOOP;
  FOR r IN SELECT p.oid::regprocedure::text AS signature FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
           WHERE n.nspname = 'public'
             AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e') LOOP
    EXECUTE format('DROP ROUTINE IF EXISTS %s CASCADE', r.signature);
  END LOOP;
  FOR r IN SELECT t.typname, t.typtype FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
           WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd')
             AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = t.oid AND d.deptype = 'e') LOOP
    EXECUTE format('DROP %s IF EXISTS public.%I CASCADE', CASE r.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END,
      r.typname);
  END LOOP;
END $portal$;
"""


def _count_check(tables: dict[str, int]) -> str:
    """SQL that aborts the restoring transaction unless every table has its rows."""
    lines = ["DO $portal$", "DECLARE found bigint;", "BEGIN"]
    for name, count in sorted(tables.items()):
        quoted = name.replace('"', '""')
        literal = name.replace("'", "''")
        lines.append(f'  SELECT count(*) INTO found FROM public."{quoted}";')
        lines.append(
            f"  IF found <> {int(count)} THEN RAISE EXCEPTION '{literal}: % rows, expected {int(count)}', found;"
        )
        lines.append("  END IF;")
    lines.append("END $portal$;")
    return "\n".join(lines) + "\n"


def _restore_postgres(source: Path, manifest: dict[str, Any], work: Path) -> None:
    """Empty the schema and load the dump in one transaction that checks the counts."""
    database = manifest["database"]
    conninfo, env = libpq_connection(db.database().engine.url.render_as_string(hide_password=False))
    script = work / "restore.sql"
    script.write_text(PREAMBLE, encoding="utf-8")
    with script.open("a", encoding="utf-8") as handle:
        result = subprocess.run(
            [find_tool("pg_restore"), "--no-owner", "--no-privileges", "--file=-", str(source / database["file"])],
            stdout=handle,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    if result.returncode != 0:
        raise BackupError(f"pg_restore 讀不了備份：{_tail(result.stderr)}")
    with script.open("a", encoding="utf-8") as handle:
        handle.write("\n" + _count_check(database["tables"]))
    db.database().engine.dispose()
    loaded = _run(
        [
            find_tool("psql"),
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "--single-transaction",
            "-d",
            conninfo,
            "-f",
            str(script),
        ],
        env,
    )
    if loaded.returncode != 0:
        raise BackupError(f"載入 PostgreSQL 失敗，資料庫維持原狀：{_tail(loaded.stderr)}")


def restore(config: dict[str, Any], source: Path, force: bool, progress: Progress) -> Summary:
    """Check the backup, then put back the database and the folders, all or nothing."""
    started = time.monotonic()
    engine = db.database().engine
    manifest = verify(source, ScriptDirectory.from_config(migrate.alembic_config(engine)))
    database = manifest["database"]
    progress(f"備份完整（{manifest['created']}，{len(manifest['files'])} 個檔案的 SHA-256 相符）。")
    kind = _kind(config["DATABASE_URL"])
    if database["kind"] != kind:
        raise BackupError(
            f"備份的資料庫是 {database['kind']}，目前設定的是 {kind}：請設定相同種類的 PORTAL_DATABASE_URL"
        )
    in_use = occupied(config, kind)
    engine.dispose()
    if in_use and not force:
        raise BackupError("還原目標已有資料，未做任何變更：" + "、".join(in_use) + "。確定要覆寫請加上 --force")
    token = secrets.token_hex(4)
    staged: list[tuple[Path | None, Path]] = []
    try:
        if kind == "sqlite":
            staged += _stage_sqlite(source, manifest, _sqlite_path(config["DATABASE_URL"]), token)
        for name, setting in FOLDERS.items():
            target = Path(config[setting])
            staged.append((_stage_folder(source, name, manifest["files"], target, token), target))
        progress("檔案已複製並核對。")
        if kind == "postgresql":
            work = Path(tempfile.mkdtemp(prefix="portal-restore-"))
            try:
                _restore_postgres(source, manifest, work)
            finally:
                shutil.rmtree(work, ignore_errors=True)
            progress("PostgreSQL 已載入並核對筆數。")
        _swap(staged, token)
    except BaseException:
        for path, _target in staged:
            if path is None:
                continue
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            elif path.exists():
                path.unlink()
        raise
    files = len(manifest["files"]) - 1
    size = sum(int(entry["size"]) for entry in manifest["files"].values())
    return Summary(kind, database["revision"], database["tables"], files, size, time.monotonic() - started)


# --- commands -----------------------------------------------------------------------


@click.command("backup")
@click.argument("destination", metavar="DEST", type=click.Path(path_type=Path))
@with_appcontext
def backup_command(destination: Path) -> None:
    """備份資料庫、proposals/ 與上傳檔案到新資料夾 DEST（入口網站可繼續運作）。"""
    try:
        summary = backup(current_app.config, destination, click.echo)
    except BackupError as error:
        raise CliError(str(error)) from error
    click.echo(f"備份完成：{destination}：{summary.text()}。")


@click.command("restore")
@click.argument("source", metavar="SRC", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="覆寫已有資料的資料庫與資料夾")
@with_appcontext
def restore_command(source: Path, force: bool) -> None:
    """從備份資料夾 SRC 還原（先核對完整性；全部還原或完全不變）。請先停止入口網站。"""
    try:
        summary = restore(current_app.config, source, force, click.echo)
    except BackupError as error:
        raise CliError(str(error)) from error
    click.echo(f"還原完成：{summary.text()}。")
    engine = db.database().engine
    if summary.revision != migrate.head_revision(engine):
        click.echo(
            f"備份的資料庫版本是 {summary.revision}，請執行 portal init 升級到 {migrate.head_revision(engine)}。"
        )
