"""Priority townships (優先推動地區) in the workflow: the badge with its kind on the
county's list, review management, the ranking (with its filter and export), the
decision page and the wizard; the hint for a regional proposal whose lead is not an
intermediate town. The list is a test list imported here, never shipped data."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from portal import operations, review
from portal.db.models import PriorityArea, Proposal, ProposalTownship, Township, User
from portal.domain.priority import regional_lead_hint
from portal.domain.proposal import ProposalType
from portal.domain.roles import Role
from portal.domain.workflow import Action
from portal.reference.store import import_priority
from tests.conftest import DAREN, GUOXING, NANTOU, PULI, Auth, Factory
from tests.test_review import Round, scores, text_of, world  # noqa: F401 (world is a fixture)
from tests.test_wizard import Tab, section_path

NANTOU_CITY = "10008010"  # not on the test list
# A made-up list for the tests: three townships, one of each kind.
TEST_LIST = f"code,kind\n{PULI},中介城鎮\n{GUOXING},農山漁村\n{DAREN},原鄉\n"
HINT_GUOXING = (
    "區域型提案通常由中介城鎮擔任主提案鄉鎮，帶動周邊鄉鎮；南投縣國姓鄉是優先推動地區的農山漁村，不是中介城鎮。"
    "這只是提醒，不影響儲存或送出。"
)


def load_test_list(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "priority-test-list.csv"
    path.write_text(TEST_LIST, encoding="utf-8")
    import_priority(session, path)
    session.commit()


def badges(fragment: str) -> list[str]:
    return re.findall(r'<span class="badge priority">優先推動地區・(.*?)</span>', fragment)


def row_of(page: str, title: str) -> str:
    """The table row (or list item) that names `title`."""
    match = re.search(rf"<tr>(?:(?!</tr>).)*?{re.escape(title)}.*?</tr>", page, re.S)
    assert match, f"no row for {title}"
    return match.group(0)


# --- the rules ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("proposal_type", "kind", "loaded", "expected"),
    [
        ("regional", "農山漁村", True, HINT_GUOXING),
        (
            "regional",
            None,
            True,
            "區域型提案通常由中介城鎮擔任主提案鄉鎮，帶動周邊鄉鎮；南投縣國姓鄉不在優先推動地區的中介城鎮名單中。"
            "這只是提醒，不影響儲存或送出。",
        ),
        ("regional", "中介城鎮", True, None),
        ("regional", None, False, None),  # nothing is known before the list is imported
        ("township", "農山漁村", True, None),
        ("thematic", "農山漁村", True, None),
    ],
)
def test_regional_lead_hint_rule(proposal_type: str, kind: str | None, loaded: bool, expected: str | None) -> None:
    assert regional_lead_hint(proposal_type, "南投縣國姓鄉", kind, loaded) == expected


def test_priority_kinds_lead_first_then_participants_once_each(session: Session, tmp_path: Path) -> None:
    load_test_list(session, tmp_path)
    lead = session.get(Township, GUOXING)
    assert lead is not None
    proposal = Proposal(lead_township=lead)
    proposal.participants = [
        ProposalTownship(township_code=code, township=session.get(Township, code))
        for code in (DAREN, PULI, NANTOU_CITY, DAREN)
    ]

    assert proposal.priority_kinds == ["農山漁村", "原鄉", "中介城鎮"]


# --- the lists and pages -------------------------------------------------------------------


@pytest.fixture
def cases(world: Round, make: Factory, session: Session, tmp_path: Path) -> dict[str, Proposal]:  # noqa: F811
    """Three forwarded Nantou proposals, led from a 中介城鎮, a 農山漁村 and a township
    not on the list, each scored by one reviewer; the test list imported."""
    load_test_list(session, tmp_path)
    guoxing = make.user(Role.TOWNSHIP, township=GUOXING)
    nantou_city = make.user(Role.TOWNSHIP, township=NANTOU_CITY)
    made = {"埔里": world.in_review(world.reviewers[0], title="埔里中介案")}
    for key, author, lead in (("國姓", guoxing, GUOXING), ("南投", nantou_city, NANTOU_CITY)):
        proposal = make.proposal(author, lead=lead, title=f"{key}測試案")
        operations.apply_transition(session, proposal, Action.SUBMIT, author)
        operations.apply_transition(session, proposal, Action.FORWARD, world.county)
        review.assign(session, proposal, world.admin, [world.reviewers[0].id])
        session.commit()
        made[key] = proposal
    for given, proposal in zip(((5, 5, 5), (4, 4, 4), (3, 3, 3)), made.values(), strict=True):
        world.score(
            proposal, world.reviewers[0], dict(zip(("feasibility", "creativity", "spillover"), given, strict=True))
        )
    return made


def test_county_list_shows_the_kind_badge(world: Round, cases: dict[str, Proposal]) -> None:  # noqa: F811
    page = world.get(world.county, "/").get_data(as_text=True)

    assert [badges(row_of(page, t)) for t in ("埔里中介案", "國姓測試案", "南投測試案")] == [
        ["中介城鎮"],
        ["農山漁村"],
        [],
    ]


def test_review_management_shows_the_kind_badge(world: Round, cases: dict[str, Proposal]) -> None:  # noqa: F811
    page = world.get(world.admin, f"/review/manage?cycle={cases['埔里'].cycle}").get_data(as_text=True)

    assert [badges(row_of(page, t)) for t in ("埔里中介案", "國姓測試案", "南投測試案")] == [
        ["中介城鎮"],
        ["農山漁村"],
        [],
    ]


def test_decision_page_shows_the_kind_badge(world: Round, cases: dict[str, Proposal]) -> None:  # noqa: F811
    page = world.get(world.admin, f"/review/decide/{cases['國姓'].id}").get_data(as_text=True)
    header = page[page.index("<h1>") : page.index("</section>")]

    assert badges(header) == ["農山漁村"]


@pytest.mark.parametrize(
    ("query", "titles"),
    [
        ("", ["埔里中介案", "國姓測試案", "南投測試案"]),
        ("&priority=any", ["埔里中介案", "國姓測試案"]),
        ("&priority=農山漁村", ["國姓測試案"]),
        ("&priority=原鄉", []),
        ("&priority=nonsense", ["埔里中介案", "國姓測試案", "南投測試案"]),  # an unknown value filters nothing
    ],
)
def test_ranking_filter_by_priority(
    world: Round,  # noqa: F811
    cases: dict[str, Proposal],
    query: str,
    titles: list[str],
) -> None:
    cycle = cases["埔里"].cycle
    page = world.get(world.admin, f"/review/ranking?cycle={cycle}{query}").get_data(as_text=True)
    body = json.loads(text_of(world.get(world.admin, f"/review/ranking.json?cycle={cycle}{query}")))

    tbody = page[page.index("<tbody>") : page.index("</tbody>")]
    shown = re.findall(r'<a href="/proposals/\d+">([^<]*)</a>', tbody)
    assert shown == titles
    assert [row["title"] for row in body["rows"]] == titles
    # The rank stays the rank in the whole round.
    everything = ["埔里中介案", "國姓測試案", "南投測試案"]
    assert [row["rank"] for row in body["rows"]] == [everything.index(t) + 1 for t in titles]


def test_ranking_rows_carry_the_badge_and_the_filter_form(
    world: Round,  # noqa: F811
    cases: dict[str, Proposal],
) -> None:
    page = world.get(world.admin, f"/review/ranking?cycle={cases['埔里'].cycle}&priority=any").get_data(as_text=True)

    assert [badges(row_of(page, t)) for t in ("埔里中介案", "國姓測試案")] == [["中介城鎮"], ["農山漁村"]]
    options = re.findall(r'<option value="([^"]*)"( selected)?>', page[page.index('id="filter-priority"') :])
    assert options[:5] == [("", ""), ("any", " selected"), ("中介城鎮", ""), ("原鄉", ""), ("農山漁村", "")]


def test_ranking_csv_carries_the_kind(world: Round, cases: dict[str, Proposal]) -> None:  # noqa: F811
    body = world.get(world.admin, f"/review/ranking.csv?cycle={cases['埔里'].cycle}").get_data().decode("utf-8-sig")
    reader = csv.DictReader(io.StringIO(body))
    rows = [(row["提案名稱"], row["主提案鄉鎮市區"], row["優先推動地區"]) for row in reader]

    assert reader.fieldnames is not None and reader.fieldnames[3:5] == ["主提案鄉鎮市區", "優先推動地區"]
    assert rows == [
        ("埔里中介案", "南投縣埔里鎮", "中介城鎮"),
        ("國姓測試案", "南投縣國姓鄉", "農山漁村"),
        ("南投測試案", "南投縣南投市", ""),
    ]


def test_ranking_has_no_priority_filter_before_the_list_is_imported(world: Round) -> None:  # noqa: F811
    page = world.get(world.admin, "/review/ranking?cycle=2026").get_data(as_text=True)

    assert 'id="filter-priority"' not in page


# --- the wizard ----------------------------------------------------------------------------------


@pytest.fixture
def county(make: Factory, auth: Auth) -> User:
    user = make.user(Role.COUNTY, county=NANTOU)
    auth.login(user.email)
    return user


def regional(make: Factory, author: User, lead: str) -> Proposal:
    return make.proposal(author, lead=lead, proposal_type=ProposalType.REGIONAL, title="南投山城區域計畫")


def test_wizard_shows_the_badge_on_the_task_list_and_each_section(
    make: Factory, county: User, auth: Auth, session: Session, tmp_path: Path
) -> None:
    load_test_list(session, tmp_path)
    proposal = regional(make, county, PULI)

    overview = auth.client.get(f"/proposals/{proposal.id}/edit").get_data(as_text=True)
    section = auth.client.get(section_path(proposal.id, "dna")).get_data(as_text=True)

    assert (badges(overview), badges(section)) == (["中介城鎮"], ["中介城鎮"])


def test_regional_lead_not_an_intermediate_town_gets_a_hint_and_still_saves(
    make: Factory, county: User, auth: Auth, session: Session, tmp_path: Path
) -> None:
    load_test_list(session, tmp_path)
    proposal = regional(make, county, GUOXING)
    tab = Tab(auth.client, section_path(proposal.id, "basics"))
    hint = re.search(r'<p class="hint priority-hint" id="lead-priority-hint">(.*?)</p>', tab.page)

    saved = tab.press()

    assert hint is not None and hint.group(1) == HINT_GUOXING
    assert (saved.status_code, saved.location) == (302, section_path(proposal.id, "basics"))


@pytest.mark.parametrize("lead", [PULI, None])
def test_no_hint_for_an_intermediate_town_lead_or_without_a_list(
    make: Factory, county: User, auth: Auth, session: Session, tmp_path: Path, lead: str | None
) -> None:
    if lead is not None:
        load_test_list(session, tmp_path)
    proposal = regional(make, county, lead or GUOXING)

    page = auth.client.get(section_path(proposal.id, "basics")).get_data(as_text=True)

    assert "priority-hint" not in page
    assert session.query(PriorityArea).count() == (3 if lead else 0)
