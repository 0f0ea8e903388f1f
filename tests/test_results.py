"""Results of the follow-up: which values count as accepted, the published case file's
result fields, the showcase's case page, statistics and open data built from them, the
NDC's yearly export, and that nothing internal reaches proposals/ or build/."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import operations, publish, results, snapshot
from portal.config import PROJECT_ROOT
from portal.db.models import (
    AuditEvent,
    CaseClosing,
    CounselEntry,
    CounselIssue,
    ProgressReport,
    Proposal,
    YearEndReopening,
    YearEndReview,
)
from portal.domain.workflow import Action
from portal.results import CaseResults, ClosingFacts, YearRating, YearValue
from portal.showcase import create_showcase_app
from portal.snapshot import Actual, Case, Closing, Kpi, Standing
from tests.conftest import Factory
from tests.test_publish import Desk, expected_case, untimed
from tests.test_query_counts import counted
from tests.test_wizard import flashes

FORMULA = '=HYPERLINK("http://x","y")'
# Text kept only inside the portal; none of it may reach a case file or the built site.
REVIEW_INTERNAL = "YEAREND-INTERNAL-檢核內部意見"
REVIEW_TO_TOWNSHIP = "YEAREND-TO-TOWNSHIP-給公所的檢核意見"
COUNSEL_NOTE = "COUNSEL-NOTE-內部輔導紀錄"
COUNSEL_ISSUE = "COUNSEL-ISSUE-內部問題"
REPORT_TEXT = "REPORT-TEXT-報告說明"
REOPEN_REASON = "REOPEN-REASON-重新開啟理由"
# Values reported but never accepted: not in the accepted list, on an unreviewed
# report, on a reopened review.
NOT_ACCEPTED = 987654.25
UNREVIEWED = 13579.75
REOPENED = 24680.5


@pytest.fixture
def desk(app: Flask, make: Factory, session: Session) -> Desk:
    return Desk(app, make, session)


class FollowUp:
    """Builds a case's follow-up rows directly, as the follow-up pages would leave them."""

    def __init__(self, desk: Desk, proposal: Proposal) -> None:
        self.desk, self.session, self.proposal = desk, desk.session, proposal
        self.revision_id = publish.approval_of(desk.session, proposal).revision_id

    def report(
        self, year: int, number: int, kpis: dict[int, float | None], statuses: dict[int, str] | None = None
    ) -> ProgressReport:
        content = {
            "kpis": [{"index": i, "actual": v, "source": REPORT_TEXT, "note": REPORT_TEXT} for i, v in kpis.items()],
            "businesses": [{"index": i, "status": s, "note": REPORT_TEXT} for i, s in (statuses or {}).items()],
            "received": [{"source": "private", "year": year, "amount": 1800, "note": REPORT_TEXT}],
            "summary": REPORT_TEXT,
        }
        report = ProgressReport(
            proposal_id=self.proposal.id,
            revision_id=self.revision_id,
            year=year,
            number=number,
            content=content,
            submitted_by_id=self.desk.township.id,
        )
        self.session.add(report)
        self.session.flush()
        return report

    def review(self, report: ProgressReport, rating: str, accepted: list[int]) -> YearEndReview:
        review = YearEndReview(
            proposal_id=self.proposal.id,
            report_id=report.id,
            reviewer_id=self.desk.reviewers[0].id,
            rating=rating,
            comment_to_township=REVIEW_TO_TOWNSHIP,
            internal_comment=REVIEW_INTERNAL,
            accepted_kpis=accepted,
        )
        self.session.add(review)
        self.session.flush()
        return review

    def reopen(self, review: YearEndReview) -> None:
        self.session.add(YearEndReopening(review_id=review.id, reason=REOPEN_REASON, reopened_by_id=self.desk.admin.id))
        self.session.flush()

    def close(self, rating: str, lessons: str) -> None:
        self.session.add(
            CaseClosing(
                proposal_id=self.proposal.id,
                rating=rating,
                lessons=lessons,
                review=REVIEW_INTERNAL,
                closed_by_id=self.desk.admin.id,
            )
        )
        self.session.flush()

    def counsel_note(self) -> None:
        entry = CounselEntry(
            proposal_id=self.proposal.id,
            kind="visit",
            held_on=date(2026, 5, 1),
            place="埔里鎮愛蘭里",
            attendees=self.desk.reviewers[0].name,
            notes=COUNSEL_NOTE,
            visible_to_township=False,
            author_id=self.desk.reviewers[0].id,
        )
        self.session.add(entry)
        self.session.flush()
        self.session.add(
            CounselIssue(proposal_id=self.proposal.id, entry_id=entry.id, description=COUNSEL_ISSUE, owner="township")
        )
        self.session.flush()

    def two_years(self) -> None:
        """2026 reviewed (KPI 0 accepted, KPI 1 not); 2027's first report reviewed then
        reopened, its amendment unreviewed; 2028 reported and unreviewed."""
        first = self.report(2026, 1, {0: 12, 1: NOT_ACCEPTED}, {0: "in_progress", 1: "not_started"})
        self.review(first, "on_track", [0])
        reopened = self.report(2027, 1, {0: REOPENED, 1: REOPENED}, {0: "done", 1: "delayed"})
        self.reopen(self.review(reopened, "off_track", [0, 1]))
        self.amendment = self.report(2027, 2, {0: 21, 1: 11.25}, {0: "done", 1: "in_progress"})
        self.report(2028, 1, {0: UNREVIEWED, 1: UNREVIEWED}, {0: "done", 1: "done"})


# --- which values are accepted -------------------------------------------------------------


def test_only_the_standing_reviews_accepted_values_count(desk: Desk, session: Session) -> None:
    proposal = desk.approved()
    follow = FollowUp(desk, proposal)
    follow.two_years()

    assert results.case_results(session, [proposal.id]) == {
        proposal.id: CaseResults(
            actuals=((YearValue(2026, 12),), ()),
            businesses={0: "in_progress", 1: "not_started"},
            latest=YearRating(2026, "on_track"),
            closing=None,
        )
    }


def test_a_new_review_of_the_amendment_stands_and_closing_is_read(desk: Desk, session: Session) -> None:
    proposal = desk.approved()
    follow = FollowUp(desk, proposal)
    follow.two_years()
    follow.review(follow.amendment, "at_risk", [0, 1])
    follow.close("at_risk", "先找到營運主體，再談硬體。")

    assert results.case_results(session, [proposal.id])[proposal.id] == CaseResults(
        actuals=((YearValue(2026, 12), YearValue(2027, 21)), (YearValue(2027, 11.25),)),
        businesses={0: "done", 1: "in_progress"},
        latest=YearRating(2027, "at_risk"),
        closing=ClosingFacts("at_risk", "先找到營運主體，再談硬體。"),
    )


def test_a_reported_null_and_a_kpi_the_case_lacks_are_left_out(desk: Desk, session: Session) -> None:
    proposal = desk.approved()
    follow = FollowUp(desk, proposal)
    follow.review(follow.report(2026, 1, {0: None, 1: 9, 7: 40}, {5: "done"}), "on_track", [0, 1, 7])

    assert results.case_results(session, [proposal.id])[proposal.id] == CaseResults(
        actuals=((), (YearValue(2026, 9),)), businesses={}, latest=YearRating(2026, "on_track")
    )


def test_a_case_without_approval_or_follow_up_has_empty_results(desk: Desk, session: Session, make: Factory) -> None:
    approved = desk.approved()
    draft = make.proposal(desk.township)

    assert results.case_results(session, [approved.id, draft.id]) == {
        approved.id: CaseResults(actuals=((), ())),
        draft.id: CaseResults(),
    }


def test_results_of_many_cases_take_as_many_queries_as_one(app: Flask, desk: Desk, session: Session) -> None:
    cases = [desk.approved(title=f"埔里第{n}案") for n in range(3)]
    for proposal in cases:
        FollowUp(desk, proposal).two_years()
    session.commit()

    with counted(app) as one:
        results.case_results(session, [cases[0].id])
    with counted(app) as three:
        found = results.case_results(session, [p.id for p in cases])

    assert (len(one), len(three)) == (3, 3)
    assert [found[p.id].actuals for p in cases] == [((YearValue(2026, 12),), ())] * 3


# --- the published case file -----------------------------------------------------------------


def with_results(case: Case, closed: bool = True) -> Case:
    """`expected_case` with the results of `two_years` plus a review of the amendment."""
    kpis = case.kpis
    return dataclasses.replace(
        case,
        kpis=(
            dataclasses.replace(kpis[0], actuals=(Actual(2026, 12), Actual(2027, 21))),
            dataclasses.replace(kpis[1], actuals=(Actual(2027, 11.25),)),
        ),
        businesses=(
            dataclasses.replace(case.businesses[0], status="done"),
            dataclasses.replace(case.businesses[1], status="in_progress"),
        ),
        progress=Standing(2027, "at_risk"),
        closing=Closing("at_risk", "先找到營運主體，再談硬體。") if closed else None,
    )


def test_published_file_carries_the_accepted_results(desk: Desk) -> None:
    proposal = desk.approved()
    follow = FollowUp(desk, proposal)
    follow.two_years()
    follow.review(follow.amendment, "at_risk", [0, 1])
    follow.close("at_risk", "先找到營運主體，再談硬體。")
    desk.session.commit()

    desk.move(proposal, "publish")

    path = desk.file_of(proposal)
    slug = f"puli-township-{proposal.id}"
    assert untimed(snapshot.load(path)) == with_results(expected_case(slug, publish.today()))
    front = path.read_text("utf-8").split("\n---\n", 1)[0]
    assert "  yearly: {}\n  actuals:\n  - year: 2026\n    value: 12\n  - year: 2027\n    value: 21\n" in front
    assert "  - social_participation\n  status: in_progress\nresources:" in front
    assert "progress:\n  year: 2027\n  rating: at_risk\nclosing:\n  rating: at_risk\n" in front


def test_a_case_without_results_is_written_as_before(desk: Desk) -> None:
    proposal = desk.approved()

    desk.move(proposal, "publish")

    text = desk.file_of(proposal).read_text("utf-8")
    assert [word for word in ("actuals", "status:", "progress", "closing") if word in text] == []


def test_republish_button_writes_new_results_and_dates_only_changed_files(desk: Desk, session: Session) -> None:
    proposal = desk.approved()
    first_day = date(2026, 1, 5)
    operations.apply_transition(session, proposal, Action.PUBLISH, desk.admin)
    publish.commit(session, [publish.stage_case(session, proposal, desk.proposals_dir, on=first_day)])
    follow = FollowUp(desk, desk.fresh(proposal))
    follow.two_years()
    follow.review(follow.amendment, "at_risk", [0, 1])
    follow.close("at_risk", "先找到營運主體，再談硬體。")
    session.commit()

    def press() -> list[tuple[str, str]]:
        token = desk.browser.csrf("/admin/results")
        page = desk.browser.client.post("/admin/results/republish", data={"csrf_token": token}, follow_redirects=True)
        return flashes(page.get_data(as_text=True))

    after = "。請到「公開展示網站」重新產生網站，公開網站才會改變。"
    assert press() == [("success", f"已更新公開案例檔：共 1 件已公開案例：新增 0、更新 1、未變更 0{after}")]
    slug = f"puli-township-{proposal.id}"
    written = snapshot.load(desk.file_of(proposal))
    assert untimed(written) == with_results(expected_case(slug, first_day, publish.today()))
    # New results are news: the file carries the time they were written; the first
    # publication, made for a given day, has none.
    assert (written.published_at, written.updated_at is not None) == (None, True)
    assert press() == [("success", f"已更新公開案例檔：共 1 件已公開案例：新增 0、更新 0、未變更 1{after}")]
    events = session.scalars(select(AuditEvent.reason).where(AuditEvent.action == "results_republish")).all()
    assert len(events) == 2


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda c: dataclasses.replace(
                c, kpis=(dataclasses.replace(c.kpis[0], actuals=(Actual(2027, 1), Actual(2026, 2))), c.kpis[1])
            ),
            "欄位「kpis[0].actuals[1].year」必須晚於前一筆的 2027 年（每年一筆，依年度排列）",
        ),
        (
            lambda c: dataclasses.replace(
                c,
                kpis=(dataclasses.replace(c.kpis[0], actuals=(Actual(2026, "很多"),)), c.kpis[1]),  # type: ignore[arg-type]
            ),
            "欄位「kpis[0].actuals[0].value」必須是數字",
        ),
        (
            lambda c: dataclasses.replace(
                c, businesses=(dataclasses.replace(c.businesses[0], status="finished"), c.businesses[1])
            ),
            "欄位「businesses[0].status」的「finished」不是已知的事業執行狀態"
            "（可用：not_started、in_progress、done、delayed、cancelled）",
        ),
        (
            lambda c: dataclasses.replace(c, progress=Standing(2026, "great")),
            "欄位「progress.rating」的「great」不是已知的檢核結果（可用：on_track、at_risk、off_track）",
        ),
        (lambda c: dataclasses.replace(c, progress=Standing(12, "on_track")), "欄位「progress.year」不可小於 1900"),
    ],
)
def test_bad_result_fields_are_refused_naming_the_field(tmp_path: Path, change: Any, message: str) -> None:
    path = tmp_path / "2026" / "puli-township-7.md"
    path.parent.mkdir()
    path.write_text(snapshot.dump(change(with_results(expected_case("puli-township-7", date(2026, 11, 2))))), "utf-8")

    with pytest.raises(snapshot.SnapshotError) as caught:
        snapshot.load(path)

    assert caught.value.message == message


def test_closing_without_lessons_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "2026" / "puli-township-7.md"
    path.parent.mkdir()
    text = snapshot.dump(with_results(expected_case("puli-township-7", date(2026, 11, 2))))
    path.write_text(re.sub(r"\n  lessons: [^\n]*", "", text), "utf-8")

    with pytest.raises(snapshot.SnapshotError) as caught:
        snapshot.load(path)

    assert caught.value.message == "缺少欄位「closing.lessons」"


# --- the showcase ------------------------------------------------------------------------------

PAGE_KPIS = (
    Kpi("新增工作機會", "全職勞保投保人數", "人", 0, 2025, 45, 2028, "+", actuals=(Actual(2026, 18),)),
    Kpi("養殖損失率", "年損失比例", "%", 18.5, 2025, 8, 2028, "-", actuals=(Actual(2026, 20), Actual(2027, 13.25))),
    Kpi("海岸線變化", "相對基準線", "公尺", -1000, 2025, 2, 2028, "+", actuals=(Actual(2027, -499),)),
    Kpi("青年返鄉/移居人數", "設籍人數", "人", 0, 2025, 30, 2028, "+", actuals=(Actual(2027, 60),)),
    Kpi("觀光旅遊人次", "年遊客數", "人次", 1000, 2025, 5000, 2028, "+"),
)


def page_case(slug: str = "puli-township-7") -> Case:
    case = expected_case(slug, date(2026, 11, 2))
    return dataclasses.replace(
        case,
        kpis=PAGE_KPIS,
        businesses=(dataclasses.replace(case.businesses[0], status="delayed"), case.businesses[1]),
        progress=Standing(2027, "at_risk"),
        closing=Closing("on_track", "先找到營運主體。\n再談硬體。"),
    )


def write_cases(root: Path, *cases: Case) -> Path:
    folder = root / "proposals"
    for case in cases:
        path = folder / case.cycle / f"{case.slug}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(snapshot.dump(case), "utf-8")
    return folder


def site(folder: Path) -> Flask:
    return create_showcase_app({"CONTENT_DIR": str(PROJECT_ROOT / "content"), "PROPOSALS_DIR": str(folder)})


def plain(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html)).strip()


def results_section(html: str) -> str:
    match = re.search(r'<section class="results".*?</section>', html, re.S)
    assert match is not None
    return match.group(0)


def kpi_rows(section: str) -> list[tuple[str, str | None, str | None]]:
    """Each KPI's text (without the bar's fallback), and its bar's value and label."""
    rows = []
    for item in re.findall(r"<li>(.*?)</li>", section.split('<ul class="kpi-results">')[1].split("</ul>")[0], re.S):
        bar = re.search(r'<progress max="100" value="(\d+)" aria-label="([^"]*)">', item)
        text = plain(re.sub(r"<progress.*?</progress>", "", item, flags=re.S))
        rows.append((text, bar.group(1) if bar else None, bar.group(2) if bar else None))
    return rows


def test_case_page_shows_direction_aware_progress_from_the_file(tmp_path: Path) -> None:
    client = site(write_cases(tmp_path, page_case())).test_client()

    section = results_section(client.get("/cases/puli-township-7/").get_data(as_text=True))

    assert kpi_rows(section) == [
        (
            "新增工作機會 現況 0人（2025） → 最新採認 18人（2026） → 目標 45人（2028） 40 %",
            "40",
            "達成目標進度：新增工作機會",
        ),
        (
            "養殖損失率 現況 18.5%（2025） → 最新採認 13.25%（2027） → 目標 8%（2028） 50 % "
            "歷年採認：2026 20%、2027 13.25%",
            "50",
            "達成目標進度：養殖損失率",
        ),
        (
            "海岸線變化 現況 -1000公尺（2025） → 最新採認 -499公尺（2027） → 目標 2公尺（2028） 50 %",
            "50",
            "達成目標進度：海岸線變化",
        ),
        (
            "青年返鄉/移居人數 現況 0人（2025） → 最新採認 60人（2027） → 目標 30人（2028） 100 % 已達成",
            "100",
            "達成目標進度：青年返鄉/移居人數",
        ),
        ("觀光旅遊人次 現況 1000人次（2025） → 尚無採認數值 → 目標 5000人次（2028）", None, None),
    ]
    rest = plain(section.split("</ul>", 1)[1])
    assert plain(section.split('<ul class="kpi-results">')[0]) == (
        "執行成果 最新年底檢核：2027 年・需關注 僅顯示輔導團年底檢核時採認的數值。"
    )
    assert rest == "事業執行狀態 山城共享加工中心：延後 經驗分享 結案評等：符合進度 先找到營運主體。 再談硬體。"


def test_a_value_that_moved_away_from_the_target_shows_an_empty_bar(tmp_path: Path) -> None:
    kpi = dataclasses.replace(PAGE_KPIS[1], actuals=(Actual(2026, 20),))
    case = dataclasses.replace(page_case(), kpis=(kpi,))
    client = site(write_cases(tmp_path, case)).test_client()

    section = results_section(client.get("/cases/puli-township-7/").get_data(as_text=True))

    assert kpi_rows(section) == [
        (
            "養殖損失率 現況 18.5%（2025） → 最新採認 20%（2026） → 目標 8%（2028） 0 % 與目標方向相反",
            "0",
            "達成目標進度：養殖損失率",
        )
    ]


def test_english_case_page_has_english_labels(tmp_path: Path) -> None:
    client = site(write_cases(tmp_path, page_case())).test_client()

    section = results_section(client.get("/en/cases/puli-township-7/").get_data(as_text=True))

    assert kpi_rows(section)[3] == (
        "青年返鄉/移居人數 Baseline 0 人 (2025) → Accepted 60 人 (2027) → Target 30 人 (2028) 100 % Reached",
        "100",
        "Progress toward the target of 青年返鄉/移居人數",
    )
    assert plain(section.split("</ul>", 1)[1]) == (
        "Businesses 山城共享加工中心: Delayed Lessons learned (case closed) Closing review: On track "
        "先找到營運主體。 再談硬體。"
    )


def test_a_case_without_results_has_no_results_section(tmp_path: Path) -> None:
    client = site(write_cases(tmp_path, expected_case("puli-township-7", date(2026, 11, 2)))).test_client()

    html = client.get("/cases/puli-township-7/").get_data(as_text=True)

    assert ('class="results"' in html, "執行成果" in html) == (False, False)


def stats_cases() -> tuple[Case, Case]:
    base = expected_case("puli-township-7", date(2026, 11, 2))
    jobs, loss = base.kpis
    first = dataclasses.replace(
        base,
        kpis=(
            dataclasses.replace(jobs, yearly={2026: 10}, actuals=(Actual(2026, 12), Actual(2027, 30))),
            Kpi("民間投資金額", "累計投資", "千元", 0, 2025, 9000, 2028, "+", actuals=(Actual(2026, 2500),)),
            dataclasses.replace(loss, actuals=(Actual(2026, 9),)),
        ),
    )
    second = dataclasses.replace(
        base,
        slug="puli-township-8",
        kpis=(
            dataclasses.replace(jobs, baseline=5, target=25, actuals=(Actual(2026, 9),)),
            Kpi("青年返鄉/移居人數", "設籍人數", "人", 0, 2025, 30, 2028, "+", actuals=(Actual(2027, 4),)),
            # A falling KPI of the same name does not count.
            Kpi("新增工作機會", "減少", "人", 50, 2025, 10, 2028, "-", actuals=(Actual(2026, 40),)),
        ),
    )
    return first, second


def test_statistics_total_accepted_results_against_targets_by_year(tmp_path: Path) -> None:
    client = site(write_cases(tmp_path, *stats_cases())).test_client()

    html = client.get("/statistics/").get_data(as_text=True)

    section = re.search(r'<section class="stat card" aria-labelledby="results-heading">.*?</section>', html, re.S)
    assert section is not None
    rows = [
        [plain(cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", section.group(0))
    ]
    assert rows == [
        ["指標", "年度", "案例數", "實際", "目標"],
        ["新增工作機會（人）", "2026", "2", "16", "30"],
        ["新增工作機會（人）", "2027", "1", "30", "45"],
        ["新增工作機會（人）", "累計至今", "2", "34", "65"],
        ["青年返鄉/移居人數（人）", "2027", "1", "4", "30"],
        ["青年返鄉/移居人數（人）", "累計至今", "1", "4", "30"],
        ["民間投資金額（千元）", "2026", "1", "2,500", "9,000"],
        ["民間投資金額（千元）", "累計至今", "1", "2,500", "9,000"],
    ]
    # On a phone each row is a card (.stack) whose values name their column.
    labels = [re.findall(r'<td data-label="([^"]*)"', row) for row in re.findall(r"<tr>(.*?)</tr>", section.group(0))]
    assert 'class="table stack"' in section.group(0)
    assert labels[1:] == [["年度", "案例數", "實際", "目標"]] * 7


def test_statistics_say_so_when_nothing_was_accepted(tmp_path: Path) -> None:
    client = site(write_cases(tmp_path, expected_case("puli-township-7", date(2026, 11, 2)))).test_client()

    html = client.get("/en/statistics/").get_data(as_text=True)

    assert "Results against targets" in html and "No accepted results yet." in html


RESULT_FIELDS = ("kpi_actuals", "business_statuses", "progress_year", "progress_rating", "closing_rating")


def test_open_data_carries_accepted_actuals_statuses_and_ratings(tmp_path: Path) -> None:
    plain_case = expected_case("puli-township-8", date(2026, 11, 1))
    client = site(write_cases(tmp_path, page_case(), plain_case)).test_client()

    body = json.loads(client.get("/data/cases.json").get_data(as_text=True))
    text = client.get("/data/cases.csv").get_data(as_text=True)
    page = client.get("/data/").get_data(as_text=True).replace("_<wbr>", "_")

    found = {record["slug"]: {key: record[key] for key in RESULT_FIELDS} for record in body["cases"]}
    assert found == {
        "puli-township-7": {
            "kpi_actuals": "1:2026=18;2:2026=20;2:2027=13.25;3:2027=-499;4:2027=60",
            "business_statuses": "1:delayed",
            "progress_year": 2027,
            "progress_rating": "at_risk",
            "closing_rating": "on_track",
        },
        "puli-township-8": dict.fromkeys(RESULT_FIELDS),
    }
    header = next(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert [name for name in header if name in RESULT_FIELDS] == list(RESULT_FIELDS)
    assert [f"<code>{name}</code>" in page for name in RESULT_FIELDS] == [True] * 5


def test_open_data_json_lists_each_kpi_with_its_accepted_actuals_and_each_business_status(tmp_path: Path) -> None:
    case = page_case()
    client = site(write_cases(tmp_path, case)).test_client()

    record = client.get("/data/cases.json").get_json()["cases"][0]
    feature = client.get("/data/cases.geojson").get_json()["features"][0]

    assert record["kpis"] == [
        {
            "indicator": "新增工作機會",
            "kind": "outcome",
            "definition": "全職勞保投保人數",
            "unit": "人",
            "baseline": 0,
            "baseline_year": 2025,
            "baseline_source": "",
            "target": 45,
            "target_year": 2028,
            "direction": "+",
            "yearly": [],
            "actuals": [{"year": 2026, "value": 18}],
        },
        {
            "indicator": "養殖損失率",
            "kind": "outcome",
            "definition": "年損失比例",
            "unit": "%",
            "baseline": 18.5,
            "baseline_year": 2025,
            "baseline_source": "",
            "target": 8,
            "target_year": 2028,
            "direction": "-",
            "yearly": [],
            "actuals": [{"year": 2026, "value": 20}, {"year": 2027, "value": 13.25}],
        },
        {
            "indicator": "海岸線變化",
            "kind": "outcome",
            "definition": "相對基準線",
            "unit": "公尺",
            "baseline": -1000,
            "baseline_year": 2025,
            "baseline_source": "",
            "target": 2,
            "target_year": 2028,
            "direction": "+",
            "yearly": [],
            "actuals": [{"year": 2027, "value": -499}],
        },
        {
            "indicator": "青年返鄉/移居人數",
            "kind": "outcome",
            "definition": "設籍人數",
            "unit": "人",
            "baseline": 0,
            "baseline_year": 2025,
            "baseline_source": "",
            "target": 30,
            "target_year": 2028,
            "direction": "+",
            "yearly": [],
            "actuals": [{"year": 2027, "value": 60}],
        },
        {
            "indicator": "觀光旅遊人次",
            "kind": "outcome",
            "definition": "年遊客數",
            "unit": "人次",
            "baseline": 1000,
            "baseline_year": 2025,
            "baseline_source": "",
            "target": 5000,
            "target_year": 2028,
            "direction": "+",
            "yearly": [],
            "actuals": [],
        },
    ]
    assert record["businesses"] == [
        {
            "name": b.name,
            "where": b.where,
            "start": b.start,
            "end": b.end,
            "lead": b.lead,
            "strategies": list(b.strategies),
            "what": b.what,
            "how": b.how,
            "status": b.status,
        }
        for b in case.businesses
    ]
    assert [b["status"] for b in record["businesses"]] == ["delayed", None]
    assert feature["properties"] == record


# --- the NDC's export --------------------------------------------------------------------------


def test_year_export_lists_every_followed_case_and_kpi(desk: Desk, session: Session) -> None:
    reviewed = desk.approved()
    follow = FollowUp(desk, reviewed)
    follow.two_years()
    unreported = desk.approved(title=FORMULA)
    session.commit()

    rows = results.year_progress(session, 2026)
    amended = results.year_progress(session, 2027)

    place = {"township": "埔里鎮", "county": "南投縣"}
    jobs = {"kpi": "新增工作機會", "unit": "人", "baseline": 0, "target": 45}
    loss = {"kpi": "養殖損失率", "unit": "%", "baseline": 18.5, "target": 8}
    case = {"proposal_id": reviewed.id, "case": "埔里生態城鄉共好計畫", **place}
    other = {"proposal_id": unreported.id, "case": FORMULA, **place}
    assert rows == [
        case | jobs | {"reported": 12, "accepted": "是", "rating": "符合進度"},
        case | loss | {"reported": NOT_ACCEPTED, "accepted": "否", "rating": "符合進度"},
        other | jobs | {"reported": None, "accepted": "否", "rating": ""},
        other | loss | {"reported": None, "accepted": "否", "rating": ""},
    ]
    # 2027: the amendment is the current report; its review was reopened, none stands.
    assert [(r["reported"], r["accepted"], r["rating"]) for r in amended[:2]] == [(21, "否", ""), (11.25, "否", "")]
    assert results.year_progress(session, 2031) == []


def test_year_export_downloads_as_csv_and_json(desk: Desk, session: Session) -> None:
    FollowUp(desk, desk.approved()).two_years()
    desk.approved(title=FORMULA)
    session.commit()

    csv_response = desk.browser.client.get("/admin/results/2026.csv")
    json_response = desk.browser.client.get("/admin/results/2026.json")

    text = csv_response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    assert csv_response.headers["Content-Disposition"] == (
        "attachment; filename=\"progress-2026.csv\"; filename*=UTF-8''progress-2026.csv"
    )
    table = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert table[0] == [header for _, header in results.EXPORT_COLUMNS]
    assert [row[1:] for row in table[1:]] == [
        ["埔里生態城鄉共好計畫", "埔里鎮", "南投縣", "新增工作機會", "人", "0", "45", "12", "是", "符合進度"],
        [
            "埔里生態城鄉共好計畫",
            "埔里鎮",
            "南投縣",
            "養殖損失率",
            "%",
            "18.5",
            "8",
            str(NOT_ACCEPTED),
            "否",
            "符合進度",
        ],
        ["'" + FORMULA, "埔里鎮", "南投縣", "新增工作機會", "人", "0", "45", "", "否", ""],
        ["'" + FORMULA, "埔里鎮", "南投縣", "養殖損失率", "%", "18.5", "8", "", "否", ""],
    ]
    body = json.loads(json_response.get_data(as_text=True))
    assert (body["year"], body["fields"], body["rows"]) == (
        2026,
        dict(results.EXPORT_COLUMNS),
        results.year_progress(session, 2026),
    )


def test_year_export_takes_as_many_queries_for_many_cases(app: Flask, desk: Desk, session: Session) -> None:
    first = desk.approved()
    FollowUp(desk, first).two_years()
    session.commit()
    with counted(app) as one:
        results.year_progress(session, 2026)
    for n in range(3):
        FollowUp(desk, desk.approved(title=f"埔里第{n}案")).two_years()
    session.commit()

    with counted(app) as four:
        rows = results.year_progress(session, 2026)

    assert (len(one), len(four), len(rows)) == (4, 4, 8)


def test_year_export_refuses_a_year_out_of_range(desk: Desk) -> None:
    response = desk.browser.client.get("/admin/results/1800.csv")

    assert (response.status_code, response.mimetype) == (404, "text/html")


# --- nothing internal is published --------------------------------------------------------------


def test_no_internal_follow_up_text_or_unaccepted_value_reaches_proposals_or_build(
    desk: Desk, session: Session, tmp_path: Path
) -> None:
    proposal = desk.approved()
    follow = FollowUp(desk, proposal)
    follow.two_years()
    follow.counsel_note()
    follow.close("on_track", "先找到營運主體。")
    session.commit()
    desk.move(proposal, "publish")
    shutil.copytree(PROJECT_ROOT / "content", tmp_path / "content", dirs_exist_ok=True)
    token = desk.browser.csrf("/admin/showcase")
    desk.browser.client.post("/admin/showcase/rebuild", data={"csrf_token": token})

    build_dir = tmp_path / "build"
    case_page = build_dir / "cases" / f"puli-township-{proposal.id}" / "index.html"
    assert "最新採認 <strong>12人</strong>（2026）" in case_page.read_text("utf-8")
    private = [REVIEW_INTERNAL, REVIEW_TO_TOWNSHIP, COUNSEL_NOTE, COUNSEL_ISSUE, REPORT_TEXT, REOPEN_REASON]
    private += [str(NOT_ACCEPTED), str(UNREVIEWED), str(REOPENED), "11.25"]
    private += [person.name for person in desk.reviewers]
    files = [desk.file_of(proposal)] + [
        path
        for path in build_dir.rglob("*")
        if path.is_file() and path.suffix in {".html", ".xml", ".txt", ".json", ".csv", ".geojson"}
    ]
    leaks = {(path.name, value) for path in files for value in private if value in path.read_text("utf-8")}
    assert leaks == set()


def test_a_rebuild_after_republishing_shows_the_new_results(desk: Desk, session: Session, tmp_path: Path) -> None:
    proposal = desk.approved()
    desk.move(proposal, "publish")
    shutil.copytree(PROJECT_ROOT / "content", tmp_path / "content", dirs_exist_ok=True)
    case_page = tmp_path / "build" / "cases" / f"puli-township-{proposal.id}" / "index.html"

    def rebuild() -> str:
        desk.browser.client.post("/admin/showcase/rebuild", data={"csrf_token": desk.browser.csrf("/admin/showcase")})
        return case_page.read_text("utf-8")

    before = rebuild()
    follow = FollowUp(desk, desk.fresh(proposal))
    follow.review(follow.report(2026, 1, {0: 18}), "on_track", [0])
    session.commit()
    unchanged = rebuild()
    desk.browser.client.post("/admin/results/republish", data={"csrf_token": desk.browser.csrf("/admin/results")})
    after = rebuild()

    marker = "最新採認 <strong>18人</strong>（2026）"
    assert (marker in before, marker in unchanged, marker in after) == (False, False, True)
