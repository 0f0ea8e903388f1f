"""Fixtures: an app on a temporary SQLite database, clients, and account factories."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy.orm import Session

from portal import accounts, create_app, db, operations
from portal.cli import initialise
from portal.db.models import Proposal, User
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
NANTOU, TAITUNG = "10008", "10014"


def make_app(tmp_path: Path, **overrides: Any) -> Flask:
    settings: dict[str, Any] = {
        "ENV": "testing",
        "SECRET_KEY": "test-secret-key-not-for-production",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'portal.db'}",
        "PROPOSALS_DIR": str(tmp_path / "proposals"),
        "CONTENT_DIR": str(tmp_path / "content"),
        "BUILD_DIR": str(tmp_path / "build"),
        "UPLOAD_DIR": str(tmp_path / "uploads"),
    }
    settings.update(overrides)
    return create_app(settings)


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated database with reference data, made once and copied for each test."""
    folder = tmp_path_factory.mktemp("template")
    app = make_app(folder)
    with app.app_context():
        initialise()
        db.database().engine.dispose()
    return folder / "portal.db"


@pytest.fixture
def app(tmp_path: Path, template_db: Path) -> Iterator[Flask]:
    """The portal on a copy of the template database.

    No app context is held open: requests made by the test client must each get their
    own, as in production (a shared context would share `g` between requests)."""
    (tmp_path / "portal.db").write_bytes(template_db.read_bytes())
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
