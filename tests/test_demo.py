"""`portal demo`: accounts for every role, proposals at every stage, safe to run twice.

The demo runs once for the module (`demo`); each test gets a copy of its database as
its `app`, and reads the published files and the build from the shared run's folder."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal import db, operations, reports, snapshot
from portal.db import models
from portal.db.models import (
    AgendaItem,
    CaseClosing,
    CoSignature,
    CounselIssue,
    Decision,
    MatchedResource,
    Meeting,
    PriorityArea,
    Programme,
    Proposal,
    ReportRound,
    Revision,
    Round,
    User,
    YearEndReview,
)
from portal.demo import demo_cases
from portal.reference.store import programme_offer
from tests.conftest import Auth, TemplateDatabase, copy_database, make_app

LOGIN_LINE = re.compile(r"^\s+\S+\s+(\S+@demo\.example\.org)\s+([A-Za-z0-9]{12})\b", re.M)


def run_demo(app: Flask) -> dict[str, str]:
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    return dict(LOGIN_LINE.findall(result.output))


@dataclass(frozen=True)
class DemoRun:
    """One `portal demo` run: its folder (database, proposals/, build/) and what it printed."""

    folder: Path
    output: str

    @property
    def logins(self) -> dict[str, str]:
        return dict(LOGIN_LINE.findall(self.output))

    @property
    def proposals(self) -> Path:
        return self.folder / "proposals"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, template_db: TemplateDatabase) -> DemoRun:
    """The demo run once for the whole module."""
    folder = tmp_path_factory.mktemp("demo")
    template_db.copy_to(folder)
    app = make_app(folder)
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    db.database(app).engine.dispose()
    return DemoRun(folder, result.output)


@pytest.fixture
def app(tmp_path: Path, demo: DemoRun) -> Iterator[Flask]:
    """The portal on a copy of the demo's database, for one test to read or change."""
    copy_database(demo.folder, tmp_path)
    application = make_app(tmp_path)
    yield application
    db.database(application).engine.dispose()


CASES = demo_cases()
PUBLISHED = [case for case in CASES if case["stage"] == "published"]


def test_demo_covers_every_stage_of_the_flow(session: Session) -> None:
    stages = Counter(session.scalars(select(Proposal.status)))
    assert stages == {
        "draft": 2,  # one never submitted, one being revised after a revision request
        "submitted": 1,
        "returned": 1,
        "forwarded": 1,
        "in_review": 1,
        "revision_requested": 1,
        "approved": 1,
        "not_approved": 1,
        "published": 16,
    }
    assert session.scalar(select(func.count()).select_from(PriorityArea)) == 0


def test_demo_has_a_revision_in_progress(session: Session) -> None:
    revising = session.scalars(select(Proposal).where(Proposal.status == "draft", Proposal.revision_count > 0)).one()
    assert (revising.title, revising.revision_count) == ("南庄山城共學：賽夏與客家文化深度旅遊計畫", 1)


def test_demo_has_an_account_for_each_role(demo: DemoRun, session: Session) -> None:
    roles = Counter(session.scalars(select(User.role).where(User.email.in_(demo.logins))))

    # Each case's lead township has an account, and so has each county taking part.
    townships = {case["lead_township"] for case in CASES}
    counties = {code[:5] for case in CASES for code in [case["lead_township"], *case.get("participating", [])]}
    assert (len(townships), len(counties)) == (25, 18)
    assert roles == {"admin": 1, "reviewer": 3, "township": 25, "county": 18, "ministry": 1}


def test_demo_printed_password_logs_in(demo: DemoRun, client: FlaskClient) -> None:
    logins = demo.logins
    email = "township-10008020@demo.example.org"

    response = Auth(client).login(email, logins[email])
    dashboard = client.get("/").get_data(as_text=True)

    assert (response.status_code, response.location) == (302, "/")
    assert "埔里" in dashboard and "南投縣埔里鎮" in dashboard


def test_demo_twice_adds_nothing_and_renews_passwords(demo: DemoRun, app: Flask, session: Session) -> None:
    first = demo.logins
    counts = [session.scalar(select(func.count()).select_from(m)) for m in (Proposal, Revision, User)]

    second = run_demo(app)

    assert [session.scalar(select(func.count()).select_from(m)) for m in (Proposal, Revision, User)] == counts
    assert first.keys() == second.keys()
    assert all(first[e] != second[e] for e in first)


def test_demo_refused_in_production(tmp_path: object, template_db: object) -> None:
    app = make_app(tmp_path, ENV="production")  # type: ignore[arg-type]

    result = app.test_cli_runner().invoke(args=["demo"])

    assert (result.exit_code, result.output.strip()) == (
        1,
        "錯誤：正式環境（PORTAL_ENV=production）不可載入示範資料。",
    )


def test_demo_builds_the_showcase_with_its_published_cases(demo: DemoRun) -> None:
    build_dir = demo.folder / "build"

    cases = sorted(p.parent.name for p in (build_dir / "cases").glob("*/index.html"))

    assert len(cases) == 16
    assert cases == sorted(case["slug"] for case in PUBLISHED)
    assert f"開啟方式：python3 -m http.server -d {build_dir} 8000，再瀏覽 http://127.0.0.1:8000/" in demo.output


# Decided cases: approvals (and the rejection) at the 會報 of the case's own year, revision
# requests at today's working meeting.
OUTCOMES = {
    "approved": "approve",
    "published": "approve",
    "not_approved": "reject",
    "revision_requested": "request_revision",
    "revising": "request_revision",
}


def test_demo_takes_its_decisions_at_the_meetings_of_each_cases_year(session: Session) -> None:
    held = session.execute(
        select(Meeting.name, Meeting.held_on, Proposal.title, Decision.outcome, Decision.decided_on == Meeting.held_on)
        .join(Decision, Decision.meeting_id == Meeting.id)
        .join(Proposal, Proposal.id == Decision.proposal_id)
    )
    agenda = session.execute(
        select(Meeting.name, Proposal.title)
        .join(AgendaItem, AgendaItem.meeting_id == Meeting.id)
        .join(Proposal, Proposal.id == AgendaItem.proposal_id)
    )
    today = operations.taiwan_today()
    council = {
        "2024": ("第1次地方創生會報", date(2024, 8, 20)),
        "2025": ("第2次地方創生會報", date(2025, 8, 19)),
        "2026": ("第3次地方創生會報", today),
    }

    def meeting(case: dict[str, Any]) -> tuple[str, date]:
        return ("第1次地方創生會報工作會議", today) if case["stage"].startswith("revis") else council[case["cycle"]]

    decided = [case for case in CASES if case["stage"] in OUTCOMES]
    # Sorted here by code point: the databases' collations order Chinese differently.
    held_rows = sorted(tuple(row) for row in held)
    assert held_rows == sorted((*meeting(c), c["title"], OUTCOMES[c["stage"]], True) for c in decided)
    assert Counter(row[0] for row in held_rows) == {
        "第1次地方創生會報": 4,
        "第2次地方創生會報": 5,
        "第3次地方創生會報": 9,
        "第1次地方創生會報工作會議": 2,
    }
    assert sorted(tuple(row) for row in agenda) == sorted(
        (council[c["cycle"]][0], c["title"]) for c in decided if OUTCOMES[c["stage"]] == "approve"
    )


def test_demo_has_a_closed_round_with_the_decided_cases_and_an_open_one(session: Session) -> None:
    today = operations.taiwan_today()

    rounds = {r.name: r for r in session.scalars(select(Round))}
    by_round = Counter((p.round.name if p.round else None, p.status) for p in session.scalars(select(Proposal)))

    open_name = f"{today.year - 1911}年度第{2 if today.year == 2026 else 1}梯次"
    assert sorted(rounds) == sorted(["113年度第1梯次", "114年度第1梯次", "115年度第1梯次", open_name])
    assert (rounds["115年度第1梯次"].dates.is_open(today), rounds[open_name].dates.is_open(today)) == (False, True)
    assert by_round == {
        ("113年度第1梯次", "published"): 4,
        ("114年度第1梯次", "published"): 5,
        ("115年度第1梯次", "published"): 7,
        ("115年度第1梯次", "approved"): 1,
        ("115年度第1梯次", "not_approved"): 1,
        ("115年度第1梯次", "revision_requested"): 1,
        ("115年度第1梯次", "draft"): 1,
        (open_name, "draft"): 1,
        (open_name, "submitted"): 1,
        (open_name, "returned"): 1,
        (open_name, "forwarded"): 1,
        (open_name, "in_review"): 1,
    }


def test_demo_has_cross_county_cases_co_signed_before_they_were_forwarded(session: Session) -> None:
    signed = session.execute(
        select(Proposal.title, Proposal.status, CoSignature.county_code, User.email, CoSignature.withdrawn_at)
        .join(CoSignature, CoSignature.proposal_id == Proposal.id)
        .join(User, User.id == CoSignature.signed_by_id)
        .order_by(CoSignature.id)
    )
    # 新竹縣北埔鄉 leads the first, with two townships of 苗栗縣; 臺中市東勢區 the second,
    # with 苗栗縣卓蘭鎮.
    assert [tuple(row) for row in signed] == [
        ("浪漫台三線客庄茶與農創串聯計畫", "forwarded", "10005", "county-10005@demo.example.org", None),
        (
            "大甲溪山城果鄉：東勢、新社、石岡與卓蘭水果產業區域計畫",
            "published",
            "10005",
            "county-10005@demo.example.org",
            None,
        ),
    ]


def test_demo_has_a_ministry_account_whose_offers_were_confirmed_on_approved_cases(
    demo: DemoRun, session: Session
) -> None:
    logins = demo.logins

    ministry = session.scalar(select(User).where(User.role == "ministry"))
    offers = session.execute(
        select(
            Proposal.title,
            Proposal.status,
            models.Programme.name,
            models.MatchOffer.amount,
            models.MatchOffer.year,
            models.Decision.outcome,
        )
        .join(models.MatchOffer, models.MatchOffer.proposal_id == Proposal.id)
        .join(models.Programme, models.MatchOffer.programme_id == models.Programme.id)
        .join(models.Decision, models.MatchOffer.decision_id == models.Decision.id)
        .order_by(models.MatchOffer.id)
    )
    sbir = "地方產業創新研發推動計畫（地方型SBIR）"

    assert ministry is not None
    assert (ministry.email in logins, ministry.ministry) == (True, "經濟部（中小及新創企業署）")
    assert sorted(tuple(row) for row in offers) == [
        ("望安綠蠵龜之島：花宅聚落慢活創生計畫", "published", sbir, 1000, 2027, "approve"),
        ("池上米鄉共好：稻作文化與有機循環創生計畫", "published", sbir, 1800, 2026, "approve"),
        (
            "池上米鄉共好：稻作文化與有機循環創生計畫",
            "published",
            "城鄉在地共好能量提升計畫（114-117年）",
            2000,
            2027,
            "approve",
        ),
        ("阿里山鄒族咖啡與達娜伊谷山林共管計畫", "published", sbir, 1200, 2026, "approve"),
    ]
    matched = session.execute(
        select(models.MatchedResource.programme, models.MatchedResource.amount).where(
            models.MatchedResource.ministry == ministry.ministry
        )
    )
    assert sorted(tuple(row) for row in matched) == [
        (sbir, 1000),
        (sbir, 1200),
        (sbir, 1800),
        ("城鄉在地共好能量提升計畫（114-117年）", 2000),
    ]


def test_demo_matches_only_running_programmes_and_an_old_case_still_names_an_ended_one(
    session: Session,
) -> None:
    programmes = {p.name: p for p in session.scalars(select(Programme))}
    this_year = programme_offer(session).year

    matched = list(session.scalars(select(MatchedResource)))
    assert matched, "the demo approves cases with matched programmes"
    assert [
        (m.programme, m.year)
        for m in matched
        if programmes[m.programme].validity.ended(this_year) or not programmes[m.programme].validity.covers(m.year)
    ] == []
    # The case sent back for naming 智慧城鄉 (ended 2020) still has it in its revision.
    kouhu = session.scalars(select(Proposal).where(Proposal.status == "revision_requested")).one()
    named = [line["programme"] for line in kouhu.revisions[-1].content["resources"]["lines"]]
    assert "普及智慧城鄉生活應用計畫（智慧城鄉）" in named
    assert session.scalar(select(func.count()).select_from(PriorityArea)) == 0  # the project ships no list


def test_demo_chishang_case_publishes_its_funding_table_with_the_hualien_taitung_fund(demo: DemoRun) -> None:
    case = snapshot.load(demo.proposals / "2026" / "chishang-rice-2026.md")

    assert case.resources.grid == {
        ("non", "central", 2026): 6300,
        ("non", "central", 2027): 3000,
        ("non", "township", 2026): 700,
        ("non", "hualien_taitung", 2027): 1000,
        ("self", "private", 2026): 5000,
        ("self", "private", 2027): 4000,
    }
    assert case.resources.table is not None
    assert [(s.kind, s.total) for s in case.resources.table.subtotals] == [("non", 11000), ("self", 9000)]


def test_demo_published_case_has_yearly_kpi_targets_and_benefits(demo: DemoRun) -> None:
    case = snapshot.load(demo.proposals / "2026" / "wangan-turtle-island-2026.md")

    assert [(k.indicator, k.yearly, k.baseline_source) for k in case.kpis if k.yearly] == [
        ("觀光旅遊人次", {2026: 45000, 2027: 50000}, "交通船售票統計"),
        ("人口社會增加", {2026: -60, 2027: -30}, "戶政遷入遷出統計"),
    ]
    assert case.benefits == ("保存花宅聚落咾咕石古厝風貌與傳統修復工法", "凝聚島民守護綠蠵龜產卵沙灘的共識")


def test_demo_publishes_its_cases_from_three_cycles_each_under_a_round_of_its_own_year(
    demo: DemoRun, session: Session
) -> None:
    published = session.scalars(select(Proposal).where(Proposal.status == "published"))
    filed = sorted(
        (p.content["meta"]["slug"], p.cycle, p.round.name, p.round.cycle, p.round.submission_opens, p.round.report_due)
        for p in published
        if p.round is not None
    )
    cases = [snapshot.load(path) for path in sorted(demo.proposals.glob("*/*.md"))]

    def year(case: dict[str, Any]) -> int:
        return int(case["cycle"])

    assert Counter(case["cycle"] for case in PUBLISHED) == {"2024": 4, "2025": 5, "2026": 7}
    assert filed == sorted(
        (c["slug"], c["cycle"], f"{year(c) - 1911}年度第1梯次", c["cycle"], date(year(c), 3, 1), date(year(c), 12, 31))
        for c in PUBLISHED
    )
    # Each file sits under its case's cycle, in its lead township's county; the period
    # runs from the first business's start to the last one's end, which is what the
    # follow-up's yearly reports cover.
    assert [
        (
            f"{c.cycle}/{c.slug}.md",
            min(b.start for b in c.businesses),
            max(b.end for b in c.businesses),
            c.county.code,
        )
        for c in cases
    ] == sorted(
        (
            f"{c['cycle']}/{c['slug']}.md",
            min(b["start"] for b in c["businesses"]["items"]),
            max(b["end"] for b in c["businesses"]["items"]),
            c["lead_township"][:5],
        )
        for c in PUBLISHED
    )
    assert [(c.slug, c.county.name) for c in cases if c.slug.startswith(("lieyu", "pingxi"))] == [
        ("lieyu-taro-2024", "金門縣"),
        ("pingxi-mining-village-2026", "新北市"),
    ]


def test_demo_published_cases_fill_every_facet_of_the_showcase(demo: DemoRun) -> None:
    """All seven regions, the three types, the three cycles and the five strategies,
    some with English titles and some without."""
    cases = [snapshot.load(path) for path in sorted(demo.proposals.glob("*/*.md"))]

    assert Counter(c.region for c in cases) == {
        "北北基宜": 2,
        "桃竹苗": 2,
        "中彰投": 2,
        "雲嘉南": 2,
        "高高屏": 2,
        "花東": 3,
        "澎金馬": 3,
    }
    assert Counter(c.type for c in cases) == {"township": 13, "regional": 2, "thematic": 1}
    assert Counter(code for c in cases for code in c.strategies) == {
        "hometown_investment": 15,
        "technology": 13,
        "ministry_resources": 12,
        "social_participation": 16,
        "brand": 16,
    }
    assert sum(1 for c in cases if c.title_en) == 13
    assert len({c.county.code for c in cases}) == 15


def test_demo_new_cases_have_kpis_that_fall_and_one_from_a_negative_baseline(demo: DemoRun) -> None:
    root = demo.proposals

    pingxi = snapshot.load(root / "2026" / "pingxi-mining-village-2026.md")
    lieyu = snapshot.load(root / "2024" / "lieyu-taro-2024.md")

    assert [(k.indicator, k.baseline, k.target, k.direction, k.yearly) for k in pingxi.kpis[:2]] == [
        ("空屋數", 52, 30, "-", {2026: 46, 2027: 38}),
        ("人口社會增加", -68, -20, "+", {2026: -55, 2027: -40}),
    ]
    assert [(k.indicator, k.baseline_year, k.target_year, k.yearly) for k in lieyu.kpis] == [
        ("產值", 2023, 2025, {2024: 2500}),
        ("新增工作機會", 2023, 2025, {2024: 4}),
        ("閒置古厝數", 2023, 2025, {2024: 11}),
        ("人口社會增加", 2023, 2025, {2024: -25}),
    ]


def test_demo_follows_its_cases_up_after_approval(session: Session) -> None:
    """Two years of accepted progress, one year, a case at risk, a closed case, and a
    counselling log with an open issue past its due date."""

    def slug(proposal_id: int) -> str:
        proposal = session.get(Proposal, proposal_id)
        assert proposal is not None
        return str(proposal.content["meta"]["slug"])

    reviewed = sorted(
        (slug(r.proposal_id), r.report.year, r.report.number, r.rating, len(r.accepted_kpis))
        for r in session.scalars(select(YearEndReview))
    )
    closed = [(slug(c.proposal_id), c.rating) for c in session.scalars(select(CaseClosing))]
    open_issues = sorted(
        (slug(i.proposal_id), i.owner, i.due_on, i.due_on is not None and i.due_on < operations.taiwan_today())
        for i in session.scalars(select(CounselIssue).where(CounselIssue.status == "open"))
    )
    due = {r.year: r.due_on for r in session.scalars(select(ReportRound))}

    assert reviewed == [
        ("alishan-tsou-coffee-2025", 2025, 1, "on_track", 5),
        ("alishan-tsou-coffee-2025", 2026, 1, "on_track", 5),
        ("chishang-rice-2026", 2026, 1, "on_track", 5),
        ("dongshi-fruit-valley-2025", 2025, 1, "on_track", 4),
        ("fangyuan-oyster-2024", 2024, 1, "on_track", 4),
        ("fangyuan-oyster-2024", 2025, 1, "on_track", 4),
        ("keelung-badouzi-2025", 2025, 1, "on_track", 3),
        ("lieyu-taro-2024", 2024, 1, "on_track", 4),
        ("lieyu-taro-2024", 2025, 1, "on_track", 4),
        ("pingxi-mining-village-2026", 2026, 1, "on_track", 3),
        ("ruisui-pomelo-2025", 2025, 1, "at_risk", 5),
        ("yuanli-rush-weaving-2024", 2024, 1, "on_track", 3),
        ("yuanli-rush-weaving-2024", 2025, 1, "at_risk", 3),
    ]
    assert closed == [("lieyu-taro-2024", "on_track")]
    assert open_issues == [
        ("ruisui-pomelo-2025", "county", date(2026, 6, 30), True),
        ("ruisui-pomelo-2025", "township", date(2026, 3, 31), True),
    ]
    assert due == {2024: date(2025, 1, 31), 2025: date(2026, 1, 31), 2026: date(2027, 1, 31)}
    # Two cases have not reported: the NDC's home page lists their three late reports.
    admin = session.scalars(select(User).where(User.role == "admin")).one()
    late, count = reports.late_reports(session, admin, operations.taiwan_today())
    assert [(slug(r.proposal.id), r.year, r.due_on) for r in late] == [
        ("linbian-wax-apple-2024", 2024, date(2025, 1, 31)),
        ("linbian-wax-apple-2024", 2025, date(2026, 1, 31)),
        ("south-link-slow-food-2025", 2025, date(2026, 1, 31)),
    ]
    assert count == 3


def test_demo_published_files_carry_the_accepted_results(demo: DemoRun) -> None:
    root = demo.proposals

    alishan = snapshot.load(root / "2025" / "alishan-tsou-coffee-2025.md")
    lieyu = snapshot.load(root / "2024" / "lieyu-taro-2024.md")
    pingxi = snapshot.load(root / "2026" / "pingxi-mining-village-2026.md")

    assert [(k.indicator, [(a.year, a.value) for a in k.actuals]) for k in alishan.kpis] == [
        ("產值", [(2025, 5800), (2026, 8900)]),
        ("新增工作機會", [(2025, 7), (2026, 14)]),
        ("青年返鄉/移居人數", [(2025, 6), (2026, 11)]),
        ("觀光旅遊人次", [(2025, 11500), (2026, 15800)]),
        ("人口社會增加", [(2025, -72), (2026, -48)]),
    ]
    assert (lieyu.progress, lieyu.closing is not None) == (snapshot.Standing(2025, "on_track"), True)
    # The team did not accept the tour count: it is not published.
    assert [(k.indicator, [a.value for a in k.actuals]) for k in pingxi.kpis] == [
        ("空屋數", [48]),
        ("人口社會增加", [-60]),
        ("觀光旅遊人次", []),
        ("新增工作機會", [2]),
    ]
