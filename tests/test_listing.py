"""Proposal lists: the SQL visibility rule agrees with `permissions.can_view`, and the
filters and pages of the home list."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from portal import accounts, listing
from portal.db.models import PriorityArea, Proposal, User
from portal.domain import permissions as perm
from portal.domain.roles import Role
from tests import bulk
from tests.conftest import DAREN, GUOXING, PASSWORD_HASH, TAITUNG, Auth

TITLE = re.compile(r"地方創生計畫第 (\d+) 號")


@pytest.fixture
def people(session: Session) -> bulk.Cast:
    cast = bulk.cast(session, PASSWORD_HASH)
    bulk.proposals(session, cast, 120)
    return cast


def _user(session: Session, role: Role, **scope: str) -> User:
    made = accounts.create_user(
        session, email=f"{role.value}-{len(scope)}-{sorted(scope.values())}@example.org", name="甲", role=role, **scope
    )
    made.password_hash = PASSWORD_HASH
    session.commit()
    return made


def test_sql_visibility_agrees_with_can_view_for_every_kind_of_account(session: Session, people: bulk.Cast) -> None:
    others = [
        _user(session, Role.TOWNSHIP, township_code=GUOXING),
        _user(session, Role.TOWNSHIP, township_code=DAREN),
        _user(session, Role.COUNTY, county_code=TAITUNG),
    ]
    everyone = [people.township, people.county, people.admin, *people.reviewers, *others]
    proposals = list(
        session.scalars(
            select(Proposal).options(selectinload(Proposal.participants), selectinload(Proposal.assignments))
        )
    )
    for user in everyone:
        by_rule = {p.id for p in proposals if perm.can_view(user, p)}
        by_sql = set(session.scalars(select(Proposal.id).where(listing.visible_condition(session, user))))
        assert by_sql == by_rule, (user.role, user.email)
        assert by_rule  # each account sees something, so the comparison means something


def _listed(client: FlaskClient, path: str) -> list[int]:
    response = client.get(path)
    assert response.status_code == 200
    return [int(n) for n in TITLE.findall(response.get_data(as_text=True))]


def _login(client: FlaskClient, user: User) -> None:
    assert Auth(client).login(user.email).status_code == 302


def _expected(session: Session, user: User, **where: object) -> list[int]:
    """Ids the admin list should show, newest change first, by the rules in Python."""
    proposals = session.scalars(select(Proposal).order_by(Proposal.updated_at.desc(), Proposal.id.desc()))
    return [p.id for p in proposals if perm.can_view(user, p) and all(getattr(p, k) == v for k, v in where.items())]


def test_admin_list_pages_through_every_visible_proposal_once(
    client: FlaskClient, session: Session, people: bulk.Cast
) -> None:
    _login(client, people.admin)
    expected = _expected(session, people.admin)
    assert len(expected) > listing.PAGE_SIZE
    pages = -(-len(expected) // listing.PAGE_SIZE)
    shown = [n for page in range(1, pages + 1) for n in _listed(client, f"/?page={page}")]
    assert shown == expected
    # A page past the last shows the last; a page that is not a number shows the first.
    assert _listed(client, "/?page=999") == expected[(pages - 1) * listing.PAGE_SIZE :]
    assert _listed(client, "/?page=abc") == expected[: listing.PAGE_SIZE]


def test_admin_filters_by_state_county_cycle_and_title(
    client: FlaskClient, session: Session, people: bulk.Cast
) -> None:
    _login(client, people.admin)
    assert _listed(client, "/?state=in_review") == _expected(session, people.admin, status="in_review")
    assert _listed(client, f"/?county={TAITUNG}") == _expected(session, people.admin, county_code=TAITUNG)[:50]
    assert _listed(client, "/?cycle=2025") == []
    assert _listed(client, "/?q=第 12 號") == [12]
    # % and _ are matched as themselves, not as wildcards.
    assert _listed(client, "/?q=%25") == []
    assert _listed(client, "/?q=_") == []
    assert _listed(client, "/?state=nonsense") == _expected(session, people.admin)[:50]


def test_priority_filter_appears_once_the_list_is_loaded(
    client: FlaskClient, session: Session, people: bulk.Cast
) -> None:
    _login(client, people.admin)
    assert 'id="filter-priority"' not in client.get("/").get_data(as_text=True)
    session.add(PriorityArea(township_code=DAREN, kind="原鄉"))
    session.commit()
    page = client.get("/").get_data(as_text=True)
    assert '<label for="filter-priority">優先推動地區</label>' in page
    involved = [
        p.id
        for p in session.scalars(select(Proposal).order_by(Proposal.updated_at.desc(), Proposal.id.desc()))
        if DAREN in perm.involved_townships(p) and perm.can_view(people.admin, p)
    ]
    assert _listed(client, "/?priority=原鄉") == involved[:50]
    assert _listed(client, "/?priority=any") == involved[:50]
    assert _listed(client, "/?priority=農山漁村") == []


def test_page_links_keep_the_filters_and_show_a_window(client: FlaskClient, people: bulk.Cast) -> None:
    assert listing.Page(number=7, size=10, total=200).links() == [1, None, 5, 6, 7, 8, 9, None, 20]
    assert listing.Page(number=1, size=50, total=120).links() == [1, 2, 3]
    _login(client, people.admin)
    page = client.get("/?cycle=2026&page=1").get_data(as_text=True)
    assert 'href="/?page=2&amp;cycle=2026" rel="next"' in page
    assert '<span aria-current="page">1</span>' in page


def test_township_list_paginates_without_filters(client: FlaskClient, session: Session, people: bulk.Cast) -> None:
    bulk.proposals(session, people, 300)
    _login(client, people.township)
    expected = _expected(session, people.township)
    assert len(expected) > listing.PAGE_SIZE
    # A township's own list ignores filter arguments.
    assert _listed(client, "/?state=in_review") == expected[: listing.PAGE_SIZE]
    assert 'id="filter-state"' not in client.get("/").get_data(as_text=True)


def test_county_list_has_the_cross_county_cases_its_townships_take_part_in(session: Session, people: bulk.Cast) -> None:
    taitung = _user(session, Role.COUNTY, county_code=TAITUNG)
    proposals = session.scalars(select(Proposal).options(selectinload(Proposal.participants)))
    partner_cases = {
        p.id
        for p in proposals
        if p.county_code != TAITUNG
        and any(code.startswith(TAITUNG) for code in p.participating_codes)
        and not (p.status == "draft" and p.revision_count == 0)
    }

    listed = session.scalars(
        select(Proposal.id).where(listing.visible_condition(session, taitung), Proposal.county_code != TAITUNG)
    )

    assert set(listed) == partner_cases
    assert len(partner_cases) > 5  # the bulk data has such cases, so the comparison means something
