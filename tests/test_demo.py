"""`portal demo`: accounts for every role, proposals at every stage, safe to run twice."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal import operations, snapshot
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
from portal.reference.store import programme_offer
from tests.conftest import Auth, make_app

LOGIN_LINE = re.compile(r"^\s+\S+\s+(\S+@demo\.example\.org)\s+([A-Za-z0-9]{12})\b", re.M)


def run_demo(app: Flask) -> dict[str, str]:
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    return dict(LOGIN_LINE.findall(result.output))


def test_demo_covers_every_stage_of_the_flow(app: Flask, session: Session) -> None:
    run_demo(app)

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
        "published": 6,
    }
    assert session.scalar(select(func.count()).select_from(PriorityArea)) == 0


def test_demo_has_a_revision_in_progress(app: Flask, session: Session) -> None:
    run_demo(app)

    revising = session.scalars(select(Proposal).where(Proposal.status == "draft", Proposal.revision_count > 0)).one()
    assert (revising.title, revising.revision_count) == ("南庄山城共學：賽夏與客家文化深度旅遊計畫", 1)


def test_demo_has_an_account_for_each_role(app: Flask, session: Session) -> None:
    logins = run_demo(app)

    roles = Counter(session.scalars(select(User.role).where(User.email.in_(logins))))
    assert roles == {"admin": 1, "reviewer": 3, "township": 15, "county": 14, "ministry": 1}


def test_demo_printed_password_logs_in(app: Flask, client: FlaskClient) -> None:
    logins = run_demo(app)
    email = "township-10008020@demo.example.org"

    response = Auth(client).login(email, logins[email])
    dashboard = client.get("/").get_data(as_text=True)

    assert (response.status_code, response.location) == (302, "/")
    assert "埔里" in dashboard and "南投縣埔里鎮" in dashboard


def test_demo_twice_adds_nothing_and_renews_passwords(app: Flask, session: Session) -> None:
    first = run_demo(app)
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


def test_demo_builds_the_showcase_with_its_published_cases(app: Flask, tmp_path: Path) -> None:
    result = app.test_cli_runner().invoke(args=["demo"])

    build_dir = tmp_path / "build"
    cases = sorted(p.parent.name for p in (build_dir / "cases").glob("*/index.html"))
    assert cases == [
        "alishan-tsou-coffee-2025",
        "chishang-rice-2026",
        "lieyu-taro-2024",
        "pingxi-mining-village-2026",
        "ruisui-pomelo-2025",
        "wangan-turtle-island-2026",
    ]
    assert f"開啟方式：python3 -m http.server -d {build_dir} 8000，再瀏覽 http://127.0.0.1:8000/" in result.output


def test_demo_takes_its_decisions_at_the_meetings_of_each_cases_year(app: Flask, session: Session) -> None:
    run_demo(app)

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
    # Sorted here by code point: the databases' collations order Chinese differently.
    assert sorted(tuple(row) for row in held) == [
        ("第1次地方創生會報", date(2024, 8, 20), "烈嶼芋頭共好：小金門芋作加工與閩南古厝再生計畫", "approve", True),
        ("第1次地方創生會報工作會議", today, "南庄山城共學：賽夏與客家文化深度旅遊計畫", "request_revision", True),
        ("第1次地方創生會報工作會議", today, "口湖鹹水共生：養殖漁業升級與濕地旅遊計畫", "request_revision", True),
        ("第2次地方創生會報", date(2025, 8, 19), "瑞穗文旦與溫泉小鎮：果園接班與溫泉街再生計畫", "approve", True),
        ("第2次地方創生會報", date(2025, 8, 19), "阿里山鄒族咖啡與達娜伊谷山林共管計畫", "approve", True),
        ("第3次地方創生會報", today, "平溪礦村再生：老屋共居與天燈之外的慢遊計畫", "approve", True),
        ("第3次地方創生會報", today, "望安綠蠵龜之島：花宅聚落慢活創生計畫", "approve", True),
        ("第3次地方創生會報", today, "池上米鄉共好：稻作文化與有機循環創生計畫", "approve", True),
        ("第3次地方創生會報", today, "豐濱海稻田與阿美族海洋部落觀光計畫", "reject", True),
        ("第3次地方創生會報", today, "霧臺魯凱石板屋與神山愛玉部落經濟計畫", "approve", True),
    ]
    assert sorted(tuple(row) for row in agenda) == [
        ("第1次地方創生會報", "烈嶼芋頭共好：小金門芋作加工與閩南古厝再生計畫"),
        ("第2次地方創生會報", "瑞穗文旦與溫泉小鎮：果園接班與溫泉街再生計畫"),
        ("第2次地方創生會報", "阿里山鄒族咖啡與達娜伊谷山林共管計畫"),
        ("第3次地方創生會報", "平溪礦村再生：老屋共居與天燈之外的慢遊計畫"),
        ("第3次地方創生會報", "望安綠蠵龜之島：花宅聚落慢活創生計畫"),
        ("第3次地方創生會報", "池上米鄉共好：稻作文化與有機循環創生計畫"),
        ("第3次地方創生會報", "霧臺魯凱石板屋與神山愛玉部落經濟計畫"),
    ]


def test_demo_has_a_closed_round_with_the_decided_cases_and_an_open_one(app: Flask, session: Session) -> None:
    run_demo(app)
    today = operations.taiwan_today()

    rounds = {r.name: r for r in session.scalars(select(Round))}
    by_round = Counter((p.round.name if p.round else None, p.status) for p in session.scalars(select(Proposal)))

    open_name = f"{today.year - 1911}年度第{2 if today.year == 2026 else 1}梯次"
    assert sorted(rounds) == sorted(["113年度第1梯次", "114年度第1梯次", "115年度第1梯次", open_name])
    assert (rounds["115年度第1梯次"].dates.is_open(today), rounds[open_name].dates.is_open(today)) == (False, True)
    assert by_round == {
        ("113年度第1梯次", "published"): 1,
        ("114年度第1梯次", "published"): 2,
        ("115年度第1梯次", "published"): 3,
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


def test_demo_has_a_cross_county_case_co_signed_before_it_was_forwarded(app: Flask, session: Session) -> None:
    run_demo(app)

    signed = session.execute(
        select(Proposal.title, Proposal.status, CoSignature.county_code, User.email, CoSignature.withdrawn_at)
        .join(CoSignature, CoSignature.proposal_id == Proposal.id)
        .join(User, User.id == CoSignature.signed_by_id)
    )
    # 新竹縣北埔鄉 leads; 苗栗縣 has two of the participating townships.
    assert [tuple(row) for row in signed] == [
        ("浪漫台三線客庄茶與農創串聯計畫", "forwarded", "10005", "county-10005@demo.example.org", None)
    ]


def test_demo_has_a_ministry_account_whose_offers_were_confirmed_on_approved_cases(
    app: Flask, session: Session
) -> None:
    logins = run_demo(app)

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
    app: Flask, session: Session
) -> None:
    run_demo(app)
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


def test_demo_chishang_case_publishes_its_funding_table_with_the_hualien_taitung_fund(app: Flask) -> None:
    run_demo(app)

    case = snapshot.load(Path(app.config["PROPOSALS_DIR"]) / "2026" / "chishang-rice-2026.md")

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


def test_demo_published_case_has_yearly_kpi_targets_and_benefits(app: Flask) -> None:
    run_demo(app)

    case = snapshot.load(Path(app.config["PROPOSALS_DIR"]) / "2026" / "wangan-turtle-island-2026.md")

    assert [(k.indicator, k.yearly, k.baseline_source) for k in case.kpis if k.yearly] == [
        ("觀光旅遊人次", {2026: 45000, 2027: 50000}, "交通船售票統計"),
        ("人口社會增加", {2026: -60, 2027: -30}, "戶政遷入遷出統計"),
    ]
    assert case.benefits == ("保存花宅聚落咾咕石古厝風貌與傳統修復工法", "凝聚島民守護綠蠵龜產卵沙灘的共識")


def test_demo_publishes_six_cases_from_three_cycles_each_under_a_round_of_its_own_year(
    app: Flask, session: Session
) -> None:
    run_demo(app)
    root = Path(app.config["PROPOSALS_DIR"])

    published = session.scalars(select(Proposal).where(Proposal.status == "published"))
    filed = sorted(
        (p.content["meta"]["slug"], p.cycle, p.round.name, p.round.cycle, p.round.submission_opens, p.round.report_due)
        for p in published
        if p.round is not None
    )
    cases = [snapshot.load(path) for path in sorted(root.glob("*/*.md"))]

    assert filed == [
        ("alishan-tsou-coffee-2025", "2025", "114年度第1梯次", "2025", date(2025, 3, 1), date(2025, 12, 31)),
        ("chishang-rice-2026", "2026", "115年度第1梯次", "2026", date(2026, 3, 1), date(2026, 12, 31)),
        ("lieyu-taro-2024", "2024", "113年度第1梯次", "2024", date(2024, 3, 1), date(2024, 12, 31)),
        ("pingxi-mining-village-2026", "2026", "115年度第1梯次", "2026", date(2026, 3, 1), date(2026, 12, 31)),
        ("ruisui-pomelo-2025", "2025", "114年度第1梯次", "2025", date(2025, 3, 1), date(2025, 12, 31)),
        ("wangan-turtle-island-2026", "2026", "115年度第1梯次", "2026", date(2026, 3, 1), date(2026, 12, 31)),
    ]
    # Each file sits under its case's cycle; the period runs from the first business's
    # start to the last one's end, which is what the follow-up's yearly reports cover.
    assert [
        (
            f"{c.cycle}/{c.slug}.md",
            min(b.start for b in c.businesses),
            max(b.end for b in c.businesses),
            c.county.name,
        )
        for c in cases
    ] == [
        ("2024/lieyu-taro-2024.md", "2024-03", "2025-12", "金門縣"),
        ("2025/alishan-tsou-coffee-2025.md", "2025-02", "2027-12", "嘉義縣"),
        ("2025/ruisui-pomelo-2025.md", "2025-02", "2027-12", "花蓮縣"),
        ("2026/chishang-rice-2026.md", "2026-01", "2028-12", "臺東縣"),
        ("2026/pingxi-mining-village-2026.md", "2026-03", "2028-12", "新北市"),
        ("2026/wangan-turtle-island-2026.md", "2026-01", "2028-12", "澎湖縣"),
    ]


def test_demo_new_cases_have_kpis_that_fall_and_one_from_a_negative_baseline(app: Flask) -> None:
    run_demo(app)
    root = Path(app.config["PROPOSALS_DIR"])

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


def test_demo_follows_its_cases_up_after_approval(app: Flask, session: Session) -> None:
    """Two years of accepted progress, one year, a case at risk, a closed case, and a
    counselling log with an open issue past its due date."""
    run_demo(app)

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
        ("lieyu-taro-2024", 2024, 1, "on_track", 4),
        ("lieyu-taro-2024", 2025, 1, "on_track", 4),
        ("pingxi-mining-village-2026", 2026, 1, "on_track", 3),
        ("ruisui-pomelo-2025", 2025, 1, "at_risk", 5),
    ]
    assert closed == [("lieyu-taro-2024", "on_track")]
    assert open_issues == [
        ("ruisui-pomelo-2025", "county", date(2026, 6, 30), True),
        ("ruisui-pomelo-2025", "township", date(2026, 3, 31), True),
    ]
    assert due == {2024: date(2025, 1, 31), 2025: date(2026, 1, 31), 2026: date(2027, 1, 31)}


def test_demo_published_files_carry_the_accepted_results(app: Flask) -> None:
    run_demo(app)
    root = Path(app.config["PROPOSALS_DIR"])

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
