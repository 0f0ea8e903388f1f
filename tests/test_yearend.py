"""The year-end review (年底檢核), its reopening and closing a case (結案): who may do
each, what is refused, what is audited and told, and what never reaches the township.

Reports are written straight into the table: submitting them is the reports part's own
operation, tested beside it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from portal import operations, review, yearend
from portal.db.models import (
    AuditEvent,
    CaseClosing,
    OutboxMessage,
    ProgressReport,
    User,
    YearEndReopening,
    YearEndReview,
)
from portal.domain import followup
from portal.domain.errors import DomainError, PermissionDenied
from portal.domain.followup import Step
from tests.conftest import PULI, Factory
from tests.test_review import TITLE, Round, scores, text_of
from tests.test_wizard import field_errors, flashes, visible_text

INTERNAL = "INTERNAL-SENTINEL-年底內部"
TO_TOWNSHIP = "請補充青年返鄉的資料來源。"
LESSONS = "先盤點閒置空間，再找經營團隊。"
TOWNSHIP_NAME = "南投縣埔里鎮"


def content(actuals: list[float | None] | None = None) -> dict[str, Any]:
    """A report in the shared schema: by default the first KPI has a value, the second none."""
    values = actuals if actuals is not None else [12, None]
    return {
        "kpis": [{"index": n, "actual": v, "source": "勞保投保資料", "note": ""} for n, v in enumerate(values)],
        "businesses": [
            {"index": 0, "status": "in_progress", "note": ""},
            {"index": 1, "status": "delayed", "note": ""},
        ],
        "received": [{"source": "central", "year": 2026, "amount": 1800, "note": ""}],
        "summary": "本年度執行概況",
    }


class Case:
    """An approved Puli case: reviewers[0] and [1] accompany it, [1] then declares a
    conflict, [2] is not assigned."""

    def __init__(self, app: Flask, make: Factory, session: Session) -> None:
        self.world = Round(app, make, session)
        self.session = session
        w = self.world
        self.township, self.county, self.admin = w.township, w.county, w.admin
        self.reviewer, self.conflicted, self.stranger = w.reviewers
        self.proposal = w.in_review(self.reviewer, self.conflicted)
        w.score(self.proposal, self.reviewer, scores(4, 4, 4))
        self.decision = review.decide(
            session, self.proposal, self.admin, outcome="approve", reasons="核定", meeting=w.meeting, resources=[]
        )
        session.commit()
        review.add_conflict(session, self.conflicted, "township", PULI, "任職公所顧問", self.admin)
        session.commit()
        self.people = {
            "reviewer": self.reviewer,
            "admin": self.admin,
            "township": self.township,
            "county": self.county,
            "stranger": self.stranger,
            "conflicted": self.conflicted,
        }

    def report(self, number: int = 1, year: int = 2026, actuals: list[float | None] | None = None) -> ProgressReport:
        report = ProgressReport(
            proposal_id=self.proposal.id,
            revision_id=self.decision.revision_id,
            year=year,
            number=number,
            content=content(actuals),
            submitted_by_id=self.township.id,
        )
        self.session.add(report)
        self.session.commit()
        return report

    def review(self, report: ProgressReport, actor: User | None = None, **given: Any) -> YearEndReview:
        written = yearend.review_report(
            self.session,
            report,
            actor or self.reviewer,
            given.get("rating", "on_track"),
            given.get("comment", TO_TOWNSHIP),
            given.get("internal", INTERNAL),
            given.get("accepted", [0]),
        )
        self.session.commit()
        return written

    def mark(self) -> tuple[int, int]:
        """The last audit event and message ids, to read what an act adds after them."""
        event = self.session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1)) or 0
        message = self.session.scalar(select(OutboxMessage.id).order_by(OutboxMessage.id.desc()).limit(1)) or 0
        return event, message

    def events_since(self, mark: tuple[int, int]) -> list[tuple[int | None, str, int | None, str]]:
        rows = self.session.scalars(select(AuditEvent).where(AuditEvent.id > mark[0]).order_by(AuditEvent.id))
        return [(e.actor_id, e.action, e.proposal_id, e.reason) for e in rows]

    def messages_since(self, mark: tuple[int, int]) -> list[tuple[int, str, str, str]]:
        rows = self.session.scalars(select(OutboxMessage).where(OutboxMessage.id > mark[1]).order_by(OutboxMessage.id))
        return [(m.recipient_id, m.event, m.subject, m.body) for m in rows]

    def count(self, model: type[Any]) -> int:
        self.session.expire_all()
        return len(list(self.session.scalars(select(model))))

    def post(self, user: User, path: str, data: dict[str, str], prefix: str = "") -> TestResponse:
        """Post as `user` with a valid form token under the form's prefix, following the redirect."""
        auth = self.world.browser(user)
        token = auth.csrf("/")
        name = f"{prefix}-csrf_token" if prefix else "csrf_token"
        return auth.client.post(path, data={**data, name: token}, follow_redirects=True)

    def page(self, user: User, path: str) -> str:
        response = self.world.get(user, path)
        assert response.status_code == 200, path
        return text_of(response)


@pytest.fixture
def case(app: Flask, make: Factory, session: Session) -> Case:
    return Case(app, make, session)


def subject(what: str) -> str:
    return f"【地方創生提案】{TITLE}：{what}"


# --- reviewing ------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["reviewer", "admin"])
def test_review_writes_the_review_audits_it_and_tells_township_county_and_ndc(case: Case, who: str) -> None:
    # Arrange
    report = case.report()
    actor = case.people[who]
    mark = case.mark()

    # Act
    written = case.review(report, actor, rating="at_risk")

    # Assert
    assert (
        written.proposal_id,
        written.report_id,
        written.reviewer_id,
        written.rating,
        written.comment_to_township,
        written.internal_comment,
        written.accepted_kpis,
    ) == (case.proposal.id, report.id, actor.id, "at_risk", TO_TOWNSHIP, INTERNAL, [0])
    assert case.events_since(mark) == [(actor.id, "yearend_review", case.proposal.id, "2026 年第 1 版：需關注")]
    body = "\n".join(
        [
            f"提案：{TITLE}（{TOWNSHIP_NAME}）",
            "執行進度報告：2026 年第 1 版",
            "年底檢核結果：需關注",
            "採認 KPI 實際值：1 項",
            f"輔導團意見：{TO_TOWNSHIP}",
        ]
    )
    told = [case.township, case.county] + ([case.admin] if who == "reviewer" else [])
    assert case.messages_since(mark) == [
        (user.id, "yearend_review", subject("2026 年年底檢核：需關注"), body) for user in told
    ]


@pytest.mark.parametrize(
    ("who", "error"),
    [
        ("stranger", PermissionDenied),
        ("conflicted", PermissionDenied),
        ("township", PermissionDenied),
        ("county", PermissionDenied),
    ],
)
def test_review_refused_to_anyone_who_does_not_counsel_the_case(case: Case, who: str, error: type[DomainError]) -> None:
    report = case.report()
    mark = case.mark()

    with pytest.raises(error) as raised:
        case.review(report, case.people[who])

    case.session.rollback()
    assert str(raised.value) == "您的帳號不能對這件提案執行「年底檢核」。"
    assert (case.count(YearEndReview), case.events_since(mark), case.messages_since(mark)) == (0, [], [])


def test_second_review_of_the_same_report_is_refused(case: Case) -> None:
    report = case.report()
    case.review(report)

    with pytest.raises(DomainError) as raised:
        case.review(report, case.admin)

    case.session.rollback()
    assert str(raised.value) == "2026 年第 1 版已完成年底檢核；要修改，請先重新開啟年底檢核。"
    assert case.count(YearEndReview) == 1


def test_older_report_of_a_year_is_refused(case: Case) -> None:
    first = case.report(1)
    case.report(2)

    with pytest.raises(DomainError) as raised:
        case.review(first)

    case.session.rollback()
    assert str(raised.value) == "2026 年第 1 版已有修正版（2026 年第 2 版），請檢核最新的一版。"
    assert case.count(YearEndReview) == 0


@pytest.mark.parametrize(
    "accepted",
    [pytest.param([1], id="row-without-value"), pytest.param([2], id="no-such-kpi"), pytest.param([-1], id="negative")],
)
def test_accepted_kpis_must_be_rows_with_a_value(case: Case, accepted: list[int]) -> None:
    report = case.report()

    with pytest.raises(yearend.YearEndError) as raised:
        case.review(report, accepted=accepted)

    case.session.rollback()
    assert (str(raised.value), raised.value.field) == ("只能採認報告中有填寫實際值的 KPI。", "accepted_kpis")
    assert case.count(YearEndReview) == 0


def test_accepted_kpis_may_be_none_and_negative_values_count(case: Case) -> None:
    report = case.report(actuals=[-3, 0.5])

    assert yearend.acceptable_kpis(report) == [0, 1]
    assert case.review(report, accepted=[1, 0, 1]).accepted_kpis == [0, 1]


def test_unknown_rating_is_refused_next_to_the_field(case: Case) -> None:
    report = case.report()

    with pytest.raises(yearend.YearEndError) as raised:
        case.review(report, rating="great")

    case.session.rollback()
    assert (str(raised.value), raised.value.field) == ("請選擇檢核結果。", "rating")


# --- reopening ------------------------------------------------------------------------------


def test_reopen_needs_a_reason(case: Case) -> None:
    written = case.review(case.report())

    with pytest.raises(DomainError) as raised:
        yearend.reopen(case.session, written, case.reviewer, "  ")

    case.session.rollback()
    assert str(raised.value) == "「重新開啟年底檢核」需要填寫理由。"
    assert case.count(YearEndReopening) == 0


def test_reopen_is_audited_tells_the_township_and_lets_a_new_review_be_written(case: Case) -> None:
    # Arrange
    report = case.report()
    first = case.review(report, rating="on_track")
    mark = case.mark()

    # Act
    reopening = yearend.reopen(case.session, first, case.admin, "實際值單位填錯")
    case.session.commit()

    # Assert
    assert (reopening.review_id, reopening.reason, reopening.reopened_by_id) == (
        first.id,
        "實際值單位填錯",
        case.admin.id,
    )
    assert case.events_since(mark) == [
        (case.admin.id, "yearend_reopen", case.proposal.id, "2026 年第 1 版：實際值單位填錯")
    ]
    body = "\n".join(
        [
            f"提案：{TITLE}（{TOWNSHIP_NAME}）",
            "2026 年第 1 版的年底檢核已重新開啟，公所可以修正後再送出執行進度報告。",
            "理由：實際值單位填錯",
        ]
    )
    told = [case.township, case.reviewer, case.conflicted]
    assert case.messages_since(mark) == [
        (u.id, "yearend_reopen", subject("2026 年年底檢核已重新開啟"), body) for u in told
    ]
    # The same report (or an amendment) can now be reviewed again; the old review is set aside.
    amended = case.report(2)
    second = case.review(amended, rating="off_track")
    panel = yearend.panel(case.session, case.proposal, case.reviewer)
    assert [(y.year, y.report.id, y.review.id if y.review else None) for y in panel["yearend_years"]] == [
        (2026, amended.id, second.id)
    ]
    assert [(label, r.reason) for label, r in panel["yearend_years"][0].reopened] == [
        ("2026 年第 1 版", "實際值單位填錯")
    ]


def test_a_reopened_review_cannot_be_reopened_again(case: Case) -> None:
    written = case.review(case.report())
    yearend.reopen(case.session, written, case.reviewer, "更正")
    case.session.commit()

    with pytest.raises(DomainError) as raised:
        yearend.reopen(case.session, written, case.reviewer, "再一次")

    case.session.rollback()
    assert str(raised.value) == "這份年底檢核已不是 2026 年目前有效的檢核，不能重新開啟。"
    assert case.count(YearEndReopening) == 1


def test_township_cannot_reopen(case: Case) -> None:
    written = case.review(case.report())

    with pytest.raises(PermissionDenied) as raised:
        yearend.reopen(case.session, written, case.township, "想修改")

    assert str(raised.value) == "您的帳號不能對這件提案執行「重新開啟年底檢核」。"


# --- what the township and the county never see -----------------------------------------------


def test_internal_comment_and_reviewer_name_stay_with_the_counselling_team(case: Case) -> None:
    # Arrange
    case.review(case.report())
    path = f"/proposals/{case.proposal.id}/followup"

    # Act
    pages = {who: case.page(case.people[who], path) for who in ("township", "county", "reviewer", "admin")}
    others = {
        (who, other): case.page(case.people[who], other)
        for who in ("township", "county")
        for other in ("/", f"/proposals/{case.proposal.id}", "/notifications/")
    }

    # Assert
    def shown(page: str) -> tuple[bool, bool, bool]:
        text = visible_text(page)
        return INTERNAL in text, case.reviewer.name in text, "檢核者 輔導團（" in text

    assert {who: shown(page) for who, page in pages.items()} == {
        "township": (False, False, True),
        "county": (False, False, True),
        "reviewer": (True, True, False),
        "admin": (True, True, False),
    }
    assert [key for key, page in others.items() if INTERNAL in page or case.reviewer.name in page] == []
    assert [m for m in case.session.scalars(select(OutboxMessage.body)) if INTERNAL in m] == []
    assert TO_TOWNSHIP in visible_text(pages["township"])


def test_panel_gives_the_internal_comment_only_to_those_who_counsel(case: Case) -> None:
    case.review(case.report())

    seen = {
        who: [
            (y.internal_comment, y.reviewer_label)
            for y in yearend.panel(case.session, case.proposal, case.people[who])["yearend_years"]
        ]
        for who in ("township", "county", "reviewer", "admin")
    }

    name = case.reviewer.name
    assert seen == {
        "township": [(None, "輔導團")],
        "county": [(None, "輔導團")],
        "reviewer": [(INTERNAL, name)],
        "admin": [(INTERNAL, name)],
    }


# --- closing --------------------------------------------------------------------------------


def test_admin_closes_the_case_once_with_an_audit_event_and_messages(case: Case) -> None:
    # Arrange
    mark = case.mark()

    # Act
    closing = yearend.close_case(case.session, case.proposal, case.admin, "on_track", f" {LESSONS} ", "整體符合進度")
    case.session.commit()

    # Assert
    assert (closing.proposal_id, closing.rating, closing.lessons, closing.review, closing.closed_by_id) == (
        case.proposal.id,
        "on_track",
        LESSONS,
        "整體符合進度",
        case.admin.id,
    )
    assert case.events_since(mark) == [(case.admin.id, "case_close", case.proposal.id, "結案：符合進度")]
    body = f"提案：{TITLE}（{TOWNSHIP_NAME}）\n國發會已辦理結案，結案評等：符合進度。\n結案後不再需要繳交執行進度報告。"
    told = [case.township, case.county, case.reviewer, case.conflicted]
    assert case.messages_since(mark) == [(u.id, "case_close", subject("已結案（符合進度）"), body) for u in told]
    with pytest.raises(DomainError) as again:
        yearend.close_case(case.session, case.proposal, case.admin, "on_track", LESSONS, "")
    case.session.rollback()
    assert str(again.value) == "這件提案已結案，不能再結案。"
    assert case.count(CaseClosing) == 1


@pytest.mark.parametrize("who", ["reviewer", "township", "county"])
def test_only_the_ndc_closes(case: Case, who: str) -> None:
    with pytest.raises(PermissionDenied) as raised:
        yearend.close_case(case.session, case.proposal, case.people[who], "on_track", LESSONS, "")

    case.session.rollback()
    assert str(raised.value) == "您的帳號不能對這件提案執行「結案」。"
    assert case.count(CaseClosing) == 0


def test_closing_needs_lessons_learned(case: Case) -> None:
    with pytest.raises(yearend.YearEndError) as raised:
        yearend.close_case(case.session, case.proposal, case.admin, "on_track", "   ", "")

    case.session.rollback()
    assert (str(raised.value), raised.value.field) == ("請填寫可供其他鄉鎮參考的經驗。", "lessons")
    assert case.count(CaseClosing) == 0


def test_after_closing_no_more_reviews_logs_or_reports(case: Case) -> None:
    report = case.report()
    yearend.close_case(case.session, case.proposal, case.admin, "at_risk", LESSONS, "")
    case.session.commit()

    with pytest.raises(DomainError) as raised:
        case.review(report)
    case.session.rollback()

    assert str(raised.value) == "這件提案已結案，不能再年底檢核。"
    refusals = {}
    for step, actor in [
        (Step.LOG, case.reviewer),
        (Step.REPORT_SUBMIT, case.township),
        (Step.REPORT_AMEND, case.township),
        (Step.YEAREND_REVIEW, case.reviewer),
    ]:
        with pytest.raises(DomainError) as refused:
            followup.plan_step(actor, case.proposal, step, closed=operations.is_closed(case.session, case.proposal))
        refusals[step] = str(refused.value)
    assert refusals == {
        Step.LOG: "這件提案已結案，不能再登錄輔導紀錄。",
        Step.REPORT_SUBMIT: "這件提案已結案，不能再送出執行進度報告。",
        Step.REPORT_AMEND: "這件提案已結案，不能再修正執行進度報告。",
        Step.YEAREND_REVIEW: "這件提案已結案，不能再年底檢核。",
    }
    assert yearend.waiting(case.session, case.reviewer) == []


# --- pages ----------------------------------------------------------------------------------


def review_path(report: ProgressReport) -> str:
    return f"/yearend/reports/{report.id}"


def checked_boxes(page: str) -> list[str]:
    """The values of the ticked accepted-KPI boxes."""
    boxes = re.findall(r'<input [^>]*name="accepted_kpis"[^>]*>', page)
    return sorted(re.findall(r'value="(\d+)"', b)[0] for b in boxes if " checked" in b)


def test_review_page_ticks_rows_with_a_value_and_shows_progress(case: Case) -> None:
    report = case.report(actuals=[9, None])

    page = case.page(case.reviewer, review_path(report))

    assert checked_boxes(page) == ["0"]
    text = visible_text(page)
    # 新增工作機會 0 → 9 → 45: 20 %; 養殖損失率 has no value.
    assert "新增工作機會 0 → 9 → 45 人 20%" in text
    assert "養殖損失率 18.5 → — → 8 % —" in text
    assert "山城共享加工中心：進行中" in text and "四季慢遊遊程：延後" in text


def test_review_page_comment_needs_confirmation_and_keeps_input(case: Case) -> None:
    report = case.report()
    typed = {
        "rating": "at_risk",
        "comment_to_township": TO_TOWNSHIP,
        "internal_comment": INTERNAL,
        "accepted_kpis": "0",
    }

    refused = text_of(case.post(case.reviewer, review_path(report), typed))

    assert field_errors(refused)["confirm_comment"] == [
        "「給公所的意見」會提供給提案單位，請勾選確認；若只想給內部參考，請改寫在內部意見。"
    ]
    assert TO_TOWNSHIP in refused and INTERNAL in refused
    assert case.count(YearEndReview) == 0

    sent = text_of(case.post(case.reviewer, review_path(report), typed | {"confirm_comment": "y"}))

    assert flashes(sent) == [("success", "已送出2026 年第 1 版的年底檢核。")]
    case.session.expire_all()
    written = case.session.scalars(select(YearEndReview)).one()
    assert (written.rating, written.comment_to_township, written.internal_comment, written.accepted_kpis) == (
        "at_risk",
        TO_TOWNSHIP,
        INTERNAL,
        [0],
    )


def test_review_page_is_closed_to_townships_and_strangers(case: Case) -> None:
    report = case.report()

    statuses = {
        who: case.world.get(case.people[who], review_path(report)).status_code
        for who in ("township", "county", "stranger")
    }

    assert statuses == {"township": 403, "county": 403, "stranger": 404}


def test_reopen_form_on_the_followup_page(case: Case) -> None:
    written = case.review(case.report())
    path = f"/yearend/reviews/{written.id}/reopen"
    prefix = f"reopen{written.id}"

    refused = text_of(case.post(case.reviewer, path, {f"{prefix}-reason": ""}, prefix))
    done = text_of(case.post(case.reviewer, path, {f"{prefix}-reason": "數值更正"}, prefix))

    assert field_errors(refused) == {f"{prefix}-reason": ["請說明重新開啟的理由"]}
    assert flashes(done) == [("success", "已重新開啟2026 年第 1 版的年底檢核，並通知公所可以修正報告。")]
    assert case.count(YearEndReopening) == 1


def test_close_form_needs_the_confirmation_and_keeps_input(case: Case) -> None:
    path = f"/yearend/proposals/{case.proposal.id}/close"
    typed = {"close-rating": "on_track", "close-lessons": LESSONS, "close-review": "整體符合進度"}

    refused = text_of(case.post(case.admin, path, typed, "close"))
    closed = text_of(case.post(case.admin, path, typed | {"close-confirm": "y"}, "close"))

    assert field_errors(refused) == {
        "close-confirm": ["請勾選確認：結案後不再需要繳交執行進度報告，也不能再檢核或登錄輔導紀錄。"]
    }
    assert LESSONS in refused
    assert flashes(closed) == [("success", "已結案（符合進度）。")]
    assert f"可供其他鄉鎮參考的經驗 {LESSONS}" in visible_text(closed)
    assert case.world.get(case.township, path).status_code == 405


def test_waiting_list_shows_reports_the_reviewer_may_review(case: Case) -> None:
    report = case.report()
    later = case.report(1, year=2027)

    listed = {
        who: [r.id for r in yearend.waiting(case.session, case.people[who])]
        for who in ("reviewer", "stranger", "conflicted", "admin", "township")
    }
    home = visible_text(case.page(case.reviewer, "/"))
    page = visible_text(case.page(case.reviewer, "/yearend/"))

    both = [report.id, later.id]
    assert listed == {"reviewer": both, "stranger": [], "conflicted": [], "admin": both, "township": []}
    assert "待年底檢核：2 份執行進度報告" in home
    assert f"{TITLE} {TOWNSHIP_NAME} 2026 年第 1 版" in page
    case.review(report)
    assert len(yearend.waiting(case.session, case.reviewer)) == 1
