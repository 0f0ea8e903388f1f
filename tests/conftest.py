"""Fixtures: an app on a throwaway database, clients, and account factories.

The database is a temporary SQLite file, or, when PORTAL_DATABASE_URL names a PostgreSQL
server (`postgresql+psycopg://user:pw@host:port/db`, a role that may create databases),
a database of its own on that server for each test, cloned from a migrated template."""

from __future__ import annotations

import hashlib
import itertools
import os
import re
import shutil
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from portal import accounts, create_app, db, operations
from portal.cli import initialise
from portal.db.models import Proposal, Round, User
from portal.domain.proposal import ProposalType
from portal.domain.roles import Role
from tests.documents import complete_document

# The newest migration, by its file name: the one `portal init` must reach.
HEAD = max(
    f.name.split("_", 1)[0] for f in (Path(__file__).parent.parent / "portal/db/migrations/versions").glob("0*.py")
)

PASSWORD = "tea-fields-at-dawn"
# Hashing costs tens of milliseconds by design; tests share one hash of PASSWORD.
PASSWORD_HASH = accounts.hash_password(PASSWORD)
# 南投縣埔里鎮 and its neighbour 國姓鄉; 臺東縣 達仁鄉 is in another county.
PULI, GUOXING, DAREN = "10008020", "10008100", "10014150"


def versioned(name: str) -> str:
    """A static file's link as the portal and the showcase write it (portal/static_versions.py):
    its path with the first 12 hex digits of its SHA-256."""
    digest = hashlib.sha256((Path(__file__).resolve().parent.parent / "portal" / "static" / name).read_bytes())
    return f"{name}?v={digest.hexdigest()[:12]}"


NANTOU, TAITUNG = "10008", "10014"


class SqliteDatabases:
    """Each test folder's database is the file portal.db in it."""

    postgresql = False

    def url(self, folder: Path) -> str:
        return f"sqlite:///{folder / 'portal.db'}"

    def save_template(self, folder: Path) -> None:
        """`folder`'s database becomes the template that `clone` copies."""
        self.template = (folder / "portal.db").read_bytes()

    def clone(self, folder: Path) -> None:
        (folder / "portal.db").write_bytes(self.template)

    def copy(self, source: Path, folder: Path) -> None:
        """`folder` gets a copy of `source`'s database, with its write-ahead log if one was left."""
        for name in ("portal.db", "portal.db-wal"):
            if (source / name).exists():
                shutil.copyfile(source / name, folder / name)

    def drop_since(self, mark: int) -> None:
        """Files go with their temporary folder."""

    def mark(self) -> int:
        return 0

    def close(self) -> None:
        pass


LOCK_TIMEOUT_MS = 60_000


class PostgresDatabases:
    """A database on the server for each test folder, named after this process.

    CREATE DATABASE ... TEMPLATE copies the migrated template with its reference data in
    a fraction of the time migrating takes, but creating and dropping a database still
    costs 0.2-2 s on a server that syncs to disk. So one thread works ahead: while a test
    runs it drops the databases of the tests before and prepares the next test's copy.
    DROP DATABASE ... WITH (FORCE) ends any connection a test left open."""

    postgresql = True

    def __init__(self, server_url: str) -> None:
        self.server = make_url(server_url)
        self.admin = create_engine(self.server, poolclass=NullPool, isolation_level="AUTOCOMMIT")
        self.prefix = f"portal_test_{os.getpid()}_"
        self.names: dict[Path, str] = {}
        self.created: list[str] = []
        self.numbers = itertools.count(1)
        self.template = ""
        self.worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="test-databases")
        self.spare: Future[str] | None = None
        self.drops: list[Future[None]] = []
        self._drop_leftovers()

    def _execute(self, statement: str) -> None:
        with self.admin.connect() as connection:
            connection.exec_driver_sql(statement)

    def _drop_leftovers(self) -> None:
        """Databases of earlier runs on this machine that ended without cleaning up."""
        with self.admin.connect() as connection:
            names = connection.execute(
                text("SELECT datname FROM pg_database WHERE datname LIKE 'portal\\_test\\_%'")
            ).scalars()
            stale = [
                name
                for name in names
                if (pid := re.fullmatch(r"portal_test_(\d+)_\w+", name)) and not _process_alive(int(pid[1]))
            ]
        for name in stale:
            self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _new(self, template: str) -> str:
        name = f"{self.prefix}{next(self.numbers)}"
        self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return name

    def _drop(self, name: str) -> None:
        self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _create(self, folder: Path, template: str) -> None:
        self._own(folder, self._new(template))

    def _own(self, folder: Path, name: str) -> None:
        self.names[folder] = name
        self.created.append(name)

    def url(self, folder: Path) -> str:
        """The database of `folder`; an empty one the first time the folder is seen."""
        if folder not in self.names:
            self._create(folder, "template0")
        # A test that waits for a lock its own process holds fails after a minute instead
        # of stopping the run.
        url = self.server.set(database=self.names[folder]).update_query_dict(
            {"options": f"-c lock_timeout={LOCK_TIMEOUT_MS}"}
        )
        return url.render_as_string(hide_password=False)

    def save_template(self, folder: Path) -> None:
        self.template = self.names[folder]

    def clone(self, folder: Path) -> None:
        """A copy made ahead of time if one is ready, and the next one started."""
        name = self.spare.result() if self.spare else self._new(self.template)
        self._own(folder, name)
        self.spare = self.worker.submit(self._new, self.template)

    def copy(self, source: Path, folder: Path) -> None:
        """`folder` gets a copy of `source`'s database, made from it as a template (no
        one may be connected to it); dropped with the test that made it."""
        self._create(folder, self.names[source])

    def mark(self) -> int:
        return len(self.created)

    def drop_since(self, mark: int) -> None:
        """Drop the databases made after `mark` (those of one test)."""
        while len(self.created) > mark:
            name = self.created.pop()
            self.drops.append(self.worker.submit(self._drop, name))
            self.names = {folder: known for folder, known in self.names.items() if known != name}

    def close(self) -> None:
        self.drop_since(0)
        if self.spare:
            self.drops.append(self.worker.submit(self._drop, self.spare.result()))
        self.worker.shutdown()
        if self.template:
            self._drop(self.template)
        self.admin.dispose()
        for drop in self.drops:
            drop.result()  # a failed drop is reported, not left unnoticed


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _databases() -> SqliteDatabases | PostgresDatabases:
    url = os.environ.get("PORTAL_DATABASE_URL", "")
    if not url:
        return SqliteDatabases()
    if not url.startswith("postgresql"):
        raise pytest.UsageError(f"PORTAL_DATABASE_URL must be a postgresql+psycopg:// URL, not {url!r}")
    return PostgresDatabases(url)


# Read once when the tests start; tests that change PORTAL_* variables do not move it.
DATABASES = _databases()
POSTGRESQL = DATABASES.postgresql


def pytest_report_header(config: pytest.Config) -> str:
    if isinstance(DATABASES, PostgresDatabases):
        server = DATABASES.server
        return f"database: PostgreSQL at {server.host}:{server.port}, a database per test (PORTAL_DATABASE_URL)"
    return "database: SQLite, a file per test (set PORTAL_DATABASE_URL to use PostgreSQL)"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not POSTGRESQL:
        return
    skip = pytest.mark.skip(reason="SQLite only (PORTAL_DATABASE_URL is PostgreSQL)")
    for item in items:
        if item.get_closest_marker("sqlite_only"):
            item.add_marker(skip)


def pytest_unconfigure(config: pytest.Config) -> None:
    DATABASES.close()


def empty_database_url(folder: Path) -> str:
    """A URL to an empty database of the backend under test, dropped after the test."""
    return DATABASES.url(folder)


def make_app(tmp_path: Path, **overrides: Any) -> Flask:
    settings: dict[str, Any] = {
        "ENV": "testing",
        "SECRET_KEY": "test-secret-key-not-for-production",
        "DATABASE_URL": DATABASES.url(tmp_path),
        "PROPOSALS_DIR": str(tmp_path / "proposals"),
        "CONTENT_DIR": str(tmp_path / "content"),
        "BUILD_DIR": str(tmp_path / "build"),
        "UPLOAD_DIR": str(tmp_path / "uploads"),
    }
    settings.update(overrides)
    return create_app(settings)


class TemplateDatabase:
    """A migrated database with reference data, made once per run."""

    def copy_to(self, folder: Path) -> None:
        """Give `folder` (as used by make_app) a database of its own, a copy of this one."""
        DATABASES.clone(folder)


def copy_database(source: Path, folder: Path) -> None:
    """Give `folder` a database of its own, a copy of the one `source` has now (made by a
    wider-scoped fixture, so that the per-test drop leaves it for the next test; every
    engine on it disposed)."""
    DATABASES.copy(source, folder)


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> TemplateDatabase:
    folder = tmp_path_factory.mktemp("template")
    app = make_app(folder)
    with app.app_context():
        initialise()
        db.database().engine.dispose()
    DATABASES.save_template(folder)
    return TemplateDatabase()


@pytest.fixture(autouse=True)
def _drop_test_databases() -> Iterator[None]:
    """Databases a test made (on PostgreSQL) are dropped when it ends."""
    mark = DATABASES.mark()
    yield
    DATABASES.drop_since(mark)


@pytest.fixture
def app(tmp_path: Path, template_db: TemplateDatabase) -> Iterator[Flask]:
    """The portal on a copy of the template database.

    No app context is held open: requests made by the test client must each get their
    own, as in production (a shared context would share `g` between requests)."""
    template_db.copy_to(tmp_path)
    application = make_app(tmp_path)
    yield application
    db.database(application).engine.dispose()


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    """The test's own database session, separate from the ones requests use."""
    with db.database(app).session() as test_session:
        yield test_session


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


class Factory:
    """Creates accounts and proposals through the real operations."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.count = 0

    def user(
        self,
        role: Role,
        *,
        township: str | None = None,
        county: str | None = None,
        name: str = "",
        password: str | None = PASSWORD,
    ) -> User:
        self.count += 1
        user = accounts.create_user(
            self.session,
            email=f"{role.value}{self.count}@example.org",
            name=name or f"{role.label}{self.count}",
            role=role,
            township_code=township,
            county_code=county,
        )
        if password:
            user.password_hash = PASSWORD_HASH if password == PASSWORD else accounts.hash_password(password)
        self.session.commit()
        return user

    def proposal(
        self,
        author: User,
        *,
        lead: str = PULI,
        title: str = "埔里生態城鄉共好計畫",
        proposal_type: ProposalType = ProposalType.TOWNSHIP,
        participating: list[str] | None = None,
        complete: bool = True,
    ) -> Proposal:
        """A draft; `complete` fills every section so that it can be submitted."""
        proposal = operations.create_proposal(
            self.session,
            author,
            cycle="2026",
            proposal_type=proposal_type,
            lead_township_code=lead,
            title=title,
            participating_codes=participating,
        )
        if complete:
            proposal.content = complete_document()
        self.session.commit()
        return proposal

    def round(
        self,
        name: str = "115年度第1梯次",
        *,
        opened: int = -30,
        closes: int = 15,
        forwarding: int = 30,
        report: int = 90,
    ) -> Round:
        """A round of this year whose dates are days from today (Taiwan): by default
        open, its township submission closing in 15 days."""
        today = operations.taiwan_today()
        item = Round(
            name=name,
            cycle=str(today.year),
            submission_opens=today + timedelta(days=opened),
            submission_closes=today + timedelta(days=closes),
            forwarding_closes=today + timedelta(days=forwarding),
            report_due=today + timedelta(days=report),
        )
        self.session.add(item)
        self.session.commit()
        return item


@pytest.fixture
def make(session: Session) -> Factory:
    return Factory(session)


class Auth:
    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def csrf(self, path: str) -> str:
        html = self.client.get(path).get_data(as_text=True)
        match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
            r'name="csrf_token" value="([^"]+)"', html
        )
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def login(self, email: str, password: str = PASSWORD) -> Any:
        token = self.csrf("/auth/login")
        return self.client.post("/auth/login", data={"email": email, "password": password, "csrf_token": token})

    def logout(self) -> Any:
        token = self.csrf("/")
        return self.client.post("/auth/logout", data={"csrf_token": token})


@pytest.fixture
def auth(client: FlaskClient) -> Auth:
    return Auth(client)
