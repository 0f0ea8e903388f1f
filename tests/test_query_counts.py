"""Every list, dashboard, ranking, review-management and export page issues the same
number of SQL statements with 10 proposals as with 200, and shows the rows it should.

Each page is asked for as each role that sees it, in two databases built the same way
but for their size (tests/bulk.py); the statements are counted on the app's engine."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, select
from sqlalchemy.orm import Session, selectinload

from portal import db, listing
from portal.db.models import AuditEvent, OutboxMessage, Proposal, Review, Revision, User
from portal.domain import permissions as perm
from portal.domain.states import State
from tests import bulk
from tests.conftest import PASSWORD, PASSWORD_HASH, Auth, TemplateDatabase, make_app

SMALL, LARGE = 10, 200
TITLE = re.compile(r"地方創生計畫第 \d+ 號")


@contextmanager
def counted(app: Flask) -> Iterator[list[str]]:
    """The SQL statements the app's engine executes inside the block."""
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    engine = db.database(app).engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


class Portal:
    """A portal with `n` bulk proposals, and one signed-in client per role."""

    def __init__(self, folder: Path, template_db: TemplateDatabase, n: int) -> None:
        folder.mkdir()
        template_db.copy_to(folder)
        self.app = make_app(folder)
        with db.database(self.app).session() as session:
            self.cast = bulk.cast(session, PASSWORD_HASH)
            bulk.proposals(session, self.cast, n)
        self.clients = {}
        for role in ("township", "county", "reviewer", "admin"):
            client = self.app.test_client()
            user: User = getattr(self.cast, role)
            assert Auth(client).login(user.email, PASSWORD).status_code == 302
            self.clients[role] = client

    def session(self) -> Session:
        return db.database(self.app).session()

    def get(self, role: str, path: str) -> tuple[list[str], str]:
        """(statements issued, body) of one page, which must answer 200."""
        with counted(self.app) as statements:
            response = self.clients[role].get(path)
        assert response.status_code == 200, (role, path, response.status_code)
        return statements, response.get_data(as_text=True)

    def visible(self, role: str) -> list[Proposal]:
        """The proposals `role` may see by the permission rules, judged one by one."""
        with self.session() as session:
            user = session.get(User, getattr(self.cast, role).id)
            everything = session.scalars(
                select(Proposal).options(selectinload(Proposal.participants), selectinload(Proposal.assignments))
            )
            return [p for p in everything if perm.can_view(user, p)]

    def close(self) -> None:
        db.database(self.app).engine.dispose()


@pytest.fixture(scope="module")
def portals(tmp_path_factory: pytest.TempPathFactory, template_db: TemplateDatabase) -> Iterator[dict[int, Portal]]:
    folder = tmp_path_factory.mktemp("query-counts")
    built = {n: Portal(folder / str(n), template_db, n) for n in (SMALL, LARGE)}
    yield built
    for portal in built.values():
        portal.close()


def _titles(body: str) -> int:
    return len(TITLE.findall(body))


def _ranked(portal: Portal) -> int:
    with portal.session() as session:
        reviewed = session.scalars(
            select(Review.proposal_id)
            .join(Revision, Review.revision_id == Revision.id)
            .join(Proposal, Proposal.id == Revision.proposal_id)
            .where(Proposal.cycle == "2026", Revision.number == Proposal.revision_count)
            .distinct()
        )
        return len(list(reviewed))


def _page(count: int) -> int:
    return min(count, listing.PAGE_SIZE)


def _reviewer_rows(portal: Portal) -> int:
    return len(portal.visible("reviewer"))


def _manage_rows(portal: Portal) -> int:
    states = {State.FORWARDED, State.IN_REVIEW}
    with portal.session() as session:
        return _page(len(list(session.scalars(select(Proposal.id).where(Proposal.status.in_(states))))))


def _events(portal: Portal) -> int:
    with portal.session() as session:
        return _page(len(list(session.scalars(select(AuditEvent.id)))))


def _users(portal: Portal) -> int:
    with portal.session() as session:
        return len(list(session.scalars(select(User.id))))


def _json_rows(body: str) -> int:
    return len(json.loads(body)["rows"])


def _csv_rows(body: str) -> int:
    return len(body.strip().splitlines()) - 1


def _time_rows(body: str) -> int:
    return body.count("<time datetime=")


def _messages(role: str) -> Callable[[Portal], int]:
    def count(portal: Portal) -> int:
        with portal.session() as session:
            recipient = getattr(portal.cast, role).id
            ids = session.scalars(select(OutboxMessage.id).where(OutboxMessage.recipient_id == recipient))
            return min(len(list(ids)), 200)

    return count


def _history(proposal_id: int) -> Callable[[Portal], int]:
    def count(portal: Portal) -> int:
        with portal.session() as session:
            return len(list(session.scalars(select(AuditEvent.id).where(AuditEvent.proposal_id == proposal_id))))

    return count


def _brief_title(proposal_id: int) -> Callable[[str], int]:
    return lambda body: body.count(f'<h1 id="brief-title">地方創生計畫第 {proposal_id} 號</h1>')


def _one(_portal: Portal) -> int:
    return 1


def _first_of(role: str) -> Callable[[Portal], int]:
    return lambda portal: _page(len(portal.visible(role)))


# (role, path, how rows are counted in the body, the number of rows expected)
PAGES: list[tuple[str, str, Callable[[str], int], Callable[[Portal], int]]] = [
    *((role, "/", _titles, _first_of(role)) for role in ("township", "county", "reviewer", "admin")),
    ("reviewer", "/review/", _titles, _reviewer_rows),
    ("admin", "/review/manage?cycle=2026", _titles, _manage_rows),
    ("admin", "/review/ranking?cycle=2026", _titles, lambda portal: _page(_ranked(portal))),
    ("admin", "/review/ranking.csv?cycle=2026", _csv_rows, _ranked),
    ("admin", "/review/ranking.json?cycle=2026", _json_rows, _ranked),
    ("admin", "/admin/audit", _time_rows, _events),
    # Every account but one's own can be disabled from the list.
    ("admin", "/admin/users", lambda body: body.count('name="shown"'), lambda portal: _users(portal) - 1),
    # One proposal's page and brief, as its authors, its county, a reviewer and the NDC
    # (tests/bulk.py: 1 is 埔里鎮's draft, 3 a returned 南投縣 case, 9 decided and
    # reviewed by the first reviewer, 5 in review).
    ("township", "/proposals/1", _time_rows, _history(1)),
    ("county", "/proposals/3", _time_rows, _history(3)),
    ("reviewer", "/proposals/9", _time_rows, _history(9)),
    ("admin", "/proposals/5", _time_rows, _history(5)),
    ("township", "/proposals/1/brief", _brief_title(1), _one),
    ("county", "/proposals/3/brief", _brief_title(3), _one),
    ("reviewer", "/proposals/9/brief", _brief_title(9), _one),
    ("admin", "/proposals/5/brief", _brief_title(5), _one),
    *((role, "/notifications/", _time_rows, _messages(role)) for role in ("township", "county", "reviewer", "admin")),
]


@pytest.mark.parametrize(("role", "path", "rows", "expected"), PAGES, ids=[f"{p[0]}:{p[1]}" for p in PAGES])
def test_list_page_issues_the_same_queries_for_10_and_200_proposals(
    portals: dict[int, Portal], role: str, path: str, rows: Callable[[str], int], expected: Callable[[Portal], int]
) -> None:
    statements = {}
    for n, portal in portals.items():
        statements[n], body = portal.get(role, path)
        assert rows(body) == expected(portal), (n, role, path)
    # On failure the message lists the statements of both sizes, to see which one repeats.
    assert len(statements[SMALL]) == len(statements[LARGE]), "\n\n".join(
        f"{n} proposals, {len(s)} statements:\n" + "\n".join(" ".join(q.split())[:120] for q in s)
        for n, s in statements.items()
    )


def test_ranking_pages_follow_the_export_order(portals: dict[int, Portal]) -> None:
    """Page 2 of the ranking continues where page 1 stopped, in the exports' order."""
    portal = portals[200]
    _, exported = portal.get("admin", "/review/ranking.json?cycle=2026")
    order = [(row["rank"], row["title"]) for row in json.loads(exported)["rows"]]
    shown = []
    for number in (1, 2):
        _, body = portal.get("admin", f"/review/ranking?cycle=2026&page={number}")
        shown += re.findall(r"<tr>\s*<td>(\d+)</td>\s*<td><a [^>]*>([^<]*)</a>", body)

    assert len(order) > listing.PAGE_SIZE
    assert [(int(rank), html.unescape(title)) for rank, title in shown] == order
