"""Reference programmes and their validity years: an ended programme is not offered and
is refused next to its field (wizard resources step, decision's matched resources), a
year outside a programme's run is refused, old cases that named one still read, and
the admin page edits and shows the years."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from portal import matching, operations
from portal.db import make_engine, migrate
from portal.db.models import MatchOffer, Programme, Proposal, User
from portal.domain.errors import DomainError
from portal.domain.programmes import Validity, refusal
from portal.domain.roles import Role
from portal.domain.workflow import Action
from portal.reference import read_csv
from portal.reference.store import programme_offer
from tests.conftest import PULI, Auth, Factory, empty_database_url
from tests.test_matching import SBIR, Matching
from tests.test_review import Round, decision_form, world  # noqa: F401 (world is a fixture)
from tests.test_wizard import Tab, field_errors, read_form, section_path

SMART = "普及智慧城鄉生活應用計畫（智慧城鄉）"  # 107–109年 (2018–2020)
TOWN_HEART = "城鎮之心工程計畫（前瞻基礎建設-城鄉建設）"  # 2017–2024
SUSTAIN = "打造永續共好地方創生計畫(114至117年)（地方創生3.0）"  # 2025–2028
RURAL = "農村再生（第二期/第三期實施計畫）"  # no end year in a public source
LOCAL = "城鄉在地共好能量提升計畫（114-117年）"  # 2025–2028
SMART_ENDED = "「普及智慧城鄉生活應用計畫（智慧城鄉）」已於 109 年（2020）結束，不能再選用，請改選執行中的計畫。"


# --- the rules, as plain functions ------------------------------------------------------------


@pytest.mark.parametrize(
    ("validity", "label"),
    [
        (Validity(2018, 2020), "107–109年（2018–2020）"),
        (Validity(2021, None), "110年起（2021–）"),
        (Validity(None, 2024), "至113年（–2024）"),
        (Validity(None, None), "期程未載明"),
    ],
)
def test_validity_label_gives_minguo_and_gregorian_years(validity: Validity, label: str) -> None:
    assert validity.label() == label


@pytest.mark.parametrize(
    ("validity", "year", "this_year", "expected"),
    [
        (Validity(2018, 2020), 2026, 2026, "「X」已於 109 年（2020）結束，不能再選用，請改選執行中的計畫。"),
        # Ended is judged against this year, whatever year the line names.
        (Validity(2018, 2020), 2019, 2026, "「X」已於 109 年（2020）結束，不能再選用，請改選執行中的計畫。"),
        (Validity(2025, 2028), 2024, 2026, "「X」的執行期間為 114–117年（2025–2028），2024 年（113 年）不在期間內。"),
        (Validity(2025, 2028), 2029, 2026, "「X」的執行期間為 114–117年（2025–2028），2029 年（118 年）不在期間內。"),
        (Validity(2025, 2028), 2028, 2026, None),
        (Validity(2025, 2028), None, 2026, None),
        (Validity(2018, 2020), 2020, 2020, None),
        (Validity(None, None), 2040, 2026, None),
    ],
)
def test_refusal_of_ended_programme_or_year_outside_its_run(
    validity: Validity, year: int | None, this_year: int, expected: str | None
) -> None:
    assert refusal("X", validity, year, this_year) == expected


# --- the shipped list ---------------------------------------------------------------------------


def test_shipped_list_has_no_strategy_plan_or_meeting_and_every_row_a_validity_source() -> None:
    rows = read_csv("programmes.csv")
    names = [row["programme"] for row in rows]

    assert list(rows[0]) == ["ministry", "programme", "valid_from", "valid_to", "validity_source", "notes"]

    assert "地方創生國家戰略計畫" not in names
    assert not [n for n in names if "會報" in n]
    assert [row["programme"] for row in rows if not row["validity_source"].strip()] == []
    # Years are Gregorian, and an end never comes before a start.
    for row in rows:
        start, end = row["valid_from"], row["valid_to"]
        assert all(re.fullmatch(r"(19|20)[0-9]{2}", y) for y in (start, end) if y), row["programme"]
        assert not (start and end) or int(start) <= int(end), row["programme"]
    by_name = {row["programme"]: (row["valid_from"], row["valid_to"]) for row in rows}
    assert by_name[SMART] == ("2018", "2020")
    assert by_name[SUSTAIN] == ("2025", "2028")


def test_loaded_programmes_carry_years_and_source(session: Session) -> None:
    smart = session.scalars(select(Programme).where(Programme.name == SMART)).one()

    assert (smart.valid_from, smart.valid_to, smart.validity.ended(2026)) == (2018, 2020, True)
    assert "nodeid=37050" in smart.validity_source


def test_offer_leaves_out_ended_and_retired_programmes(session: Session) -> None:
    session.add(Programme(ministry="國家發展委員會", name="地方創生國家戰略計畫", active=False))
    session.commit()

    offer = programme_offer(session, 2026)
    offered = [name for name, _ in offer.offered]

    assert SMART not in offered and TOWN_HEART not in offered and "地方創生國家戰略計畫" not in offered
    assert SUSTAIN in offered and RURAL in offered
    assert ("", "") not in offer.offered
    assert dict(offer.offered)[SUSTAIN] == f"國家發展委員會：{SUSTAIN}（114–117年（2025–2028））"
    assert dict(offer.options(SMART))[SMART] == (
        f"行政院科技會報/經濟部等：{SMART}（107–109年（2018–2020））（已結束，不能再選用）"
    )
    assert offer.refusal("地方創生國家戰略計畫", 2026) == "「地方創生國家戰略計畫」已停用，不能再選用，請改選其他計畫。"


# --- the wizard's resources step ----------------------------------------------------------------


@pytest.fixture
def township(make: Factory, auth: Auth) -> User:
    user = make.user(Role.TOWNSHIP, township=PULI)
    auth.login(user.email)
    return user


@pytest.fixture
def draft(make: Factory, township: User) -> Proposal:
    return make.proposal(township)


def programme_options(page: str) -> list[str]:
    select_html = re.search(r'<select[^>]*name="lines-0-programme".*?</select>', page, re.S)
    assert select_html, "no programme select on the page"
    return re.findall(r'<option[^>]*value="([^"]*)"', select_html.group(0))


def test_wizard_does_not_offer_an_ended_programme(auth: Auth, draft: Proposal) -> None:
    page = auth.client.get(section_path(draft.id, "resources")).get_data(as_text=True)
    options = programme_options(page)

    assert (SMART in options, TOWN_HEART in options, SUSTAIN in options, RURAL in options) == (
        False,
        False,
        True,
        True,
    )
    assert f"國家發展委員會：{SUSTAIN}（114–117年（2025–2028））" in page


@pytest.mark.parametrize(
    ("programme", "year", "message"),
    [
        (SMART, "2026", SMART_ENDED),
        (SUSTAIN, "2029", f"「{SUSTAIN}」的執行期間為 114–117年（2025–2028），2029 年（118 年）不在期間內。"),
    ],
)
def test_wizard_refuses_ended_programme_or_year_outside_its_run_next_to_the_field(
    auth: Auth, draft: Proposal, session: Session, programme: str, year: str, message: str
) -> None:
    before = session.get(Proposal, draft.id)
    assert before is not None
    saved_before = before.content["resources"]
    tab = Tab(auth.client, section_path(draft.id, "resources"))
    # A crafted post, or a page opened before the programme ended, can still send it.
    tab.type({"lines-0-programme": programme, "lines-0-year": year})

    response = tab.press()

    assert response.status_code == 400
    assert field_errors(tab.page).get("lines-0-programme") == [message]
    assert tab.fields["lines-0-year"] == year  # what was typed is kept
    session.expire_all()
    after = session.get(Proposal, draft.id)
    assert after is not None and after.content["resources"] == saved_before


def test_draft_that_named_an_ended_programme_still_shows_it(auth: Auth, draft: Proposal, session: Session) -> None:
    content = copy.deepcopy(draft.content)
    content["resources"]["lines"][0]["programme"] = SMART
    draft.content = content
    session.commit()

    page = auth.client.get(section_path(draft.id, "resources")).get_data(as_text=True)

    assert re.search(
        rf'<option selected value="{re.escape(SMART)}">[^<]*（已結束，不能再選用）</option>', page
    ) or re.search(rf'<option value="{re.escape(SMART)}" selected>[^<]*（已結束，不能再選用）</option>', page)


def test_submitted_case_naming_ended_and_retired_programmes_still_renders(
    make: Factory, township: User, auth: Auth, session: Session
) -> None:
    # As migration 0010 leaves an existing database: the strategy plan kept, not offered.
    session.add(Programme(ministry="國家發展委員會", name="地方創生國家戰略計畫", active=False))
    proposal = make.proposal(township)
    content = copy.deepcopy(proposal.content)
    lines = content["resources"]["lines"]
    lines[0]["programme"] = SMART
    lines.append({**lines[0], "programme": "地方創生國家戰略計畫", "amount": 500})
    proposal.content = content
    operations.apply_transition(session, proposal, Action.SUBMIT, township)
    session.commit()

    brief = auth.client.get(f"/proposals/{proposal.id}/revisions/1/brief")
    text = brief.get_data(as_text=True)

    assert brief.status_code == 200
    assert (SMART in text, "地方創生國家戰略計畫" in text) == (True, True)


# --- the decision's matched resources ---------------------------------------------------------------


def test_decision_refuses_ended_programme_next_to_the_field(world: Round) -> None:  # noqa: F811
    proposal = world.in_review(world.reviewers[0])
    world.score(proposal, world.reviewers[0], {"feasibility": 5, "creativity": 5, "spillover": 5})
    client = world.browser(world.admin).client
    tab = Tab(client, f"/review/decide/{proposal.id}")
    assert SMART not in tab.page
    tab.type(
        decision_form(**{"resources-0-programme": SMART, "resources-0-amount": "1000", "resources-0-year": "2026"})
    )

    response = tab.press()

    assert response.status_code == 200
    assert field_errors(tab.page).get("resources-0-programme") == [SMART_ENDED]
    assert world.fresh(proposal).status == "in_review"


# --- the admin page ------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(make: Factory, auth: Auth) -> FlaskClient:
    auth.login(make.user(Role.ADMIN).email)
    return auth.client


def edit_programme(client: FlaskClient, programme_id: int, typed: dict[str, str]) -> tuple[TestResponse, str]:
    """Open a programme's admin page, type `typed`, press 儲存; the response and the page shown."""
    path = f"/admin/programmes/{programme_id}"
    fields, _names = read_form(client.get(path).get_data(as_text=True), action=path)
    for name, value in typed.items():
        fields.setlist(name, [value])
    response = client.post(path, data=fields)
    return response, response.get_data(as_text=True)


def test_admin_sees_each_programmes_years(admin_client: FlaskClient) -> None:
    page = admin_client.get("/admin/reference").get_data(as_text=True)
    row = re.search(rf"<tr><td>[^<]*</td><td>{re.escape(SMART)}</td>(.*?)</tr>", page)

    assert row is not None
    cells = re.findall(r"<td>(.*?)</td>", row.group(1))
    assert cells[:2] == ["107–109年（2018–2020），已結束", "否"]


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        (("2025", "2028"), (2025, 2028)),
        (("114", "117"), (2025, 2028)),  # 民國 years are taken as such
        (("", ""), (None, None)),
    ],
)
def test_admin_edits_validity_years(
    admin_client: FlaskClient, session: Session, typed: tuple[str, str], stored: tuple[int | None, int | None]
) -> None:
    programme = session.scalars(select(Programme).where(Programme.name == RURAL)).one()
    response, _page = edit_programme(
        admin_client, programme.id, {"valid_from": typed[0], "valid_to": typed[1], "validity_source": "農業部公告"}
    )

    assert (response.status_code, response.location) == (302, "/admin/reference#programmes")
    session.expire_all()
    edited = session.get(Programme, programme.id)
    assert edited is not None
    assert (edited.valid_from, edited.valid_to, edited.validity_source) == (*stored, "農業部公告")


def test_admin_refuses_end_before_start_next_to_the_field(admin_client: FlaskClient, session: Session) -> None:
    programme = session.scalars(select(Programme).where(Programme.name == RURAL)).one()
    response, page = edit_programme(admin_client, programme.id, {"valid_from": "2025", "valid_to": "2020"})

    assert response.status_code == 200
    assert field_errors(page) == {"valid_to": ["結束年不可早於起始年"]}
    session.expire_all()
    unchanged = session.get(Programme, programme.id)
    assert unchanged is not None and (unchanged.valid_from, unchanged.valid_to) == (None, None)


# --- a ministry's offers -------------------------------------------------------------------------------


@pytest.fixture
def ministry_world(app: Flask, make: Factory, session: Session) -> Matching:
    return Matching(app, make, session)


def test_ministry_cannot_offer_an_ended_programme_or_a_year_outside_its_run(
    ministry_world: Matching, session: Session
) -> None:
    ended = ministry_world.programme(SBIR)
    ended.valid_to = 2020  # as an admin would record it
    session.commit()
    screened = ministry_world.screened("通過篩選的提案")

    with pytest.raises(DomainError) as ended_refusal:
        ministry_world.offer(screened, SBIR, year=2027)
    session.rollback()
    with pytest.raises(DomainError) as year_refusal:
        ministry_world.offer(screened, LOCAL, year=2030)
    session.rollback()
    offered = [p.name for p in matching.ministry_programmes(session, ministry_world.ministry)]

    assert (str(ended_refusal.value), str(year_refusal.value)) == (
        f"「{SBIR}」已於 109 年（2020）結束，不能再選用，請改選執行中的計畫。",
        f"「{LOCAL}」的執行期間為 114–117年（2025–2028），2030 年（119 年）不在期間內。",
    )
    assert (SBIR in offered, LOCAL in offered) == (False, True)
    assert session.scalars(select(MatchOffer)).all() == []


# --- the migration of an existing database --------------------------------------------------------------


def test_migration_retires_the_two_rows_and_gives_shipped_rows_their_years(tmp_path: Path) -> None:
    # Arrange: the programme table as shipped before validity years, with the two rows
    # that fund nothing and one an admin added.
    engine = make_engine(empty_database_url(tmp_path))
    migrate.upgrade(engine, "0009")
    rows = [
        ("國家發展委員會", "地方創生國家戰略計畫", True),
        ("國家發展委員會", "行政院地方創生會報 工作會議（審查/核定地方創生計畫）", True),
        ("行政院科技會報/經濟部等", SMART, True),
        ("行政院農業委員會（現農業部）", RURAL, True),
        ("某部", "自訂計畫", False),
    ]
    with engine.begin() as connection:
        for ministry, name, seeded in rows:
            connection.execute(
                text(
                    "INSERT INTO programme (ministry, name, notes, active, seed_key, lock_version)"
                    " VALUES (:ministry, :name, '', :active, :key, 1)"
                ),
                {"ministry": ministry, "name": name, "active": True, "key": f"{ministry}｜{name}" if seeded else None},
            )

    # Act
    migrate.upgrade(engine)

    # Assert
    with engine.connect() as connection:
        after = connection.execute(
            text("SELECT name, active, valid_from, valid_to, validity_source <> '' FROM programme ORDER BY id")
        ).all()
    engine.dispose()
    assert [tuple(row) for row in after] == [
        ("地方創生國家戰略計畫", False, None, None, False),
        ("行政院地方創生會報 工作會議（審查/核定地方創生計畫）", False, None, None, False),
        (SMART, True, 2018, 2020, True),
        (RURAL, True, None, None, True),
        ("自訂計畫", True, None, None, False),
    ]
