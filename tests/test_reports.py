"""Yearly progress reports: the guided form and its drafts, submission and amendments,
every refusal, the due-date page, reminders and late flags."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal import operations, reports, review
from portal.config import ConfigError, resolve
from portal.db.models import (
    AuditEvent,
    CaseClosing,
    OutboxMessage,
    ProgressReport,
    Proposal,
    ReportDraft,
    ReportReminder,
    ReportRound,
    User,
    YearEndReopening,
    YearEndReview,
)
from portal.domain.errors import DomainError, PermissionDenied
from portal.domain.roles import Role
from portal.domain.workflow import Action
from tests.conftest import DAREN, GUOXING, TAITUNG, Auth, Factory
from tests.documents import complete_document
from tests.test_publish import RURAL, Desk
from tests.test_query_counts import counted
from tests.test_wizard import (
    RESTORED_FLASH,
    STASHED_FLASH,
    Tab,
    expire_login,
    field_errors,
    flashes,
    log_in_at,
    typed_values,
)

YEAR = 2026  # tests.documents.GOOD's businesses run 2026-03 to 2028-06
NOT_A_NUMBER = "請填寫數字（可為負數或小數），例如 -3 或 12.5；不要加單位或文字。"
CONFLICT = "這份報告在您編輯時已被另一個分頁或同事儲存，這次沒有儲存。您輸入的內容都還在下方。"


@pytest.fixture
def desk(app: Flask, make: Factory, session: Session) -> Desk:
    made = Desk(app, make, session)
    session.commit()  # its meeting: requests must not wait for the test's write lock
    return made


def approve(desk: Desk, content: dict[str, Any] | None = None) -> Proposal:
    """A case approved through the real operations, with `content` (GOOD by default)."""
    proposal = desk.make.proposal(desk.township, participating=[GUOXING])
    proposal.content = content or complete_document()
    operations.apply_transition(desk.session, proposal, Action.SUBMIT, desk.township)
    operations.apply_transition(desk.session, proposal, Action.FORWARD, desk.county)
    review.assign(desk.session, proposal, desk.admin, [r.id for r in desk.reviewers])
    with desk.app.app_context():
        rubric = review.rubric()
    scores = {criterion.code: 5 for criterion in rubric.criteria}
    for reviewer in desk.reviewers:
        review.submit_review(
            desk.session,
            proposal,
            reviewer,
            rubric,
            review.ReviewInput(scores, True, True, 3, comment_to_township="", internal_comment=""),
        )
    review.decide(
        desk.session,
        proposal,
        desk.admin,
        outcome="approve",
        reasons="核定",
        meeting=desk.meeting,
        resources=[review.Resource(programme=RURAL[1], amount=8000, year=2026)],
        private_investment=0,
    )
    desk.session.commit()
    return proposal


def browser(app: Flask, user: User) -> Auth:
    auth = Auth(app.test_client())
    auth.login(user.email)
    return auth


def step_path(proposal: Proposal, step: str, year: int = YEAR) -> str:
    return f"/proposals/{proposal.id}/reports/{year}/{step}"


def draft_content(session: Session, proposal: Proposal, year: int = YEAR) -> dict[str, Any] | None:
    session.expire_all()
    draft = session.scalar(select(ReportDraft).where(ReportDraft.proposal_id == proposal.id, ReportDraft.year == year))
    return draft.content if draft else None


def counts(session: Session) -> tuple[int, int, int]:
    """Drafts, reports and audit events: what a refusal must leave as it was."""
    session.expire_all()
    return (
        session.scalar(select(func.count()).select_from(ReportDraft)) or 0,
        session.scalar(select(func.count()).select_from(ProgressReport)) or 0,
        session.scalar(select(func.count()).select_from(AuditEvent)) or 0,
    )


KPIS_SAVED = [
    {"index": 0, "actual": 12, "source": "勞保投保資料", "note": ""},
    {"index": 1, "actual": 15.5, "source": "", "note": "寒害較少"},
]
BUSINESSES_SAVED = [
    {"index": 0, "status": "in_progress", "note": ""},
    {"index": 1, "status": "not_started", "note": ""},
]


def write_report(session: Session, proposal: Proposal, township: User, year: int = YEAR) -> ProgressReport:
    """Save every section through the operations, then submit."""
    for section, value in (("kpis", KPIS_SAVED), ("businesses", BUSINESSES_SAVED), ("received", [])):
        draft = reports.draft_of(session, proposal, year)
        reports.save_draft(
            session, proposal, township, year, section, value, opened_at=draft.lock_version if draft else 0
        )
    report = reports.submit(session, proposal, township, year, "今年完成加工廠設計。")
    session.commit()
    return report


# --- the guided form ------------------------------------------------------------------------


def test_kpi_step_saves_the_draft_with_negative_and_decimal_values(desk: Desk, app: Flask, session: Session) -> None:
    proposal = approve(desk)
    tab = Tab(browser(app, desk.township).client, step_path(proposal, "kpis"))
    tab.type(
        {"rows-0-actual": "12", "rows-0-source": "勞保投保資料", "rows-1-actual": "１５.５", "rows-1-note": "寒害較少"}
    )

    saved = tab.press()

    assert (saved.status_code, saved.location) == (302, step_path(proposal, "kpis"))
    assert draft_content(session, proposal) == {"kpis": KPIS_SAVED}


def test_a_word_in_a_number_field_is_an_error_beside_it_and_nothing_is_saved(
    desk: Desk, app: Flask, session: Session
) -> None:
    proposal = approve(desk)
    tab = Tab(browser(app, desk.township).client, step_path(proposal, "kpis"))
    tab.type({"rows-0-actual": "十二人", "rows-1-actual": "8", "rows-1-note": "留著"})
    typed = typed_values(tab.fields)

    refused = tab.press()

    assert refused.status_code == 400
    assert field_errors(tab.page) == {"rows-0-actual": [NOT_A_NUMBER]}
    assert typed_values(tab.fields) == typed
    assert draft_content(session, proposal) is None


def test_money_received_a_word_in_the_amount_is_refused_beside_it(desk: Desk, app: Flask, session: Session) -> None:
    proposal = approve(desk)
    tab = Tab(browser(app, desk.township).client, step_path(proposal, "received"))
    # The planned cells of the approved funding table are offered first.
    offered = [(tab.fields.get(f"rows-{n}-source"), tab.fields.get(f"rows-{n}-year")) for n in range(3)]
    tab.type({"rows-0-amount": "一千八"})

    refused = tab.press()

    assert offered[0] == ("central", "2026")
    assert refused.status_code == 400
    assert list(field_errors(tab.page)) == ["rows-0-amount"]
    assert tab.fields.get("rows-0-amount") == "一千八"
    assert draft_content(session, proposal) is None


def test_a_save_from_a_stale_copy_keeps_the_input_and_never_overwrites(
    desk: Desk, app: Flask, session: Session
) -> None:
    proposal = approve(desk)
    client = browser(app, desk.township).client
    first, second = Tab(client, step_path(proposal, "kpis")), Tab(client, step_path(proposal, "kpis"))
    first.type({"rows-0-actual": "12", "rows-0-source": "勞保投保資料", "rows-1-actual": "15.5"})
    assert first.press().status_code == 302
    second.type({"rows-0-actual": "30", "rows-1-actual": "-2"})
    typed = typed_values(second.fields)

    refused = second.press()
    shown = second.page
    kept = draft_content(session, proposal)
    overwritten = second.press()

    assert refused.status_code == 409
    assert CONFLICT in shown
    assert {k: v for k, v in typed.items() if k != "overwrite"} == {
        k: v for k, v in typed_values(second.fields).items() if k != "overwrite"
    }
    assert kept == {
        "kpis": [
            {"index": 0, "actual": 12, "source": "勞保投保資料", "note": ""},
            {"index": 1, "actual": 15.5, "source": "", "note": ""},
        ]
    }
    # Only after pressing 以我的內容覆蓋 on the conflict page does the second copy win.
    assert overwritten.status_code == 302
    assert draft_content(session, proposal) == {
        "kpis": [
            {"index": 0, "actual": 30, "source": "", "note": ""},
            {"index": 1, "actual": -2, "source": "", "note": ""},
        ]
    }


def test_stale_save_conflict_message_is_shown(desk: Desk, app: Flask, session: Session) -> None:
    proposal = approve(desk)
    client = browser(app, desk.township).client
    first, second = Tab(client, step_path(proposal, "businesses")), Tab(client, step_path(proposal, "businesses"))
    first.type({"rows-0-status": "in_progress"})
    first.press()
    second.type({"rows-0-status": "delayed", "rows-0-note": "用地取得延後"})

    refused = second.press()

    assert refused.status_code == 409
    assert CONFLICT in second.page
    assert (second.fields.get("rows-0-status"), second.fields.get("rows-0-note")) == ("delayed", "用地取得延後")
    assert draft_content(session, proposal) == {
        "businesses": [{"index": 0, "status": "in_progress", "note": ""}, {"index": 1, "status": "", "note": ""}]
    }


def test_login_expiry_stashes_the_report_and_restores_it(desk: Desk, app: Flask, session: Session) -> None:
    proposal = approve(desk)
    auth = browser(app, desk.township)
    path = step_path(proposal, "kpis")
    tab = Tab(auth.client, path)
    expire_login(session, desk.township.id)
    tab.type({"rows-0-actual": "-3", "rows-0-note": "逾時前打的字"})
    typed = typed_values(tab.fields)

    expired = tab.press()
    shown, logged_in = log_in_at(auth.client, expired.location, desk.township.email)
    restored = Tab(auth.client, logged_in.location)

    assert shown == [("warning", STASHED_FLASH)]
    assert flashes(restored.page) == [("info", RESTORED_FLASH)]
    assert typed_values(restored.fields) == typed
    assert draft_content(session, proposal) is None
    assert restored.press().status_code == 302
    assert (draft_content(session, proposal) or {})["kpis"][0] == {
        "index": 0,
        "actual": -3,
        "source": "",
        "note": "逾時前打的字",
    }


def test_a_kpi_with_baseline_minus_1000_and_target_2_takes_a_negative_actual(desk: Desk, session: Session) -> None:
    content = complete_document()
    content["kpis"][0].update(indicator="人口社會增加", unit="人", baseline=-1000, target=2)
    proposal = approve(desk, content)
    reports.save_draft(
        session,
        proposal,
        desk.township,
        YEAR,
        "kpis",
        [{"index": 0, "actual": -640, "source": "戶政遷入遷出統計", "note": ""}],
        opened_at=0,
    )

    report = reports.submit(session, proposal, desk.township, YEAR, "人口流失減緩。")
    session.commit()

    assert (report.number, report.content["kpis"]) == (
        1,
        [{"index": 0, "actual": -640, "source": "戶政遷入遷出統計", "note": ""}],
    )


# --- submitting and amending ------------------------------------------------------------------


def test_submit_through_the_check_page_freezes_report_1(desk: Desk, app: Flask, session: Session) -> None:
    proposal = approve(desk)
    client = browser(app, desk.township).client
    tab = Tab(client, step_path(proposal, "kpis"))
    tab.type(
        {"rows-0-actual": "12", "rows-0-source": "勞保投保資料", "rows-1-actual": "15.5", "rows-1-note": "寒害較少"}
    )
    tab.press("next")
    tab = Tab(client, step_path(proposal, "businesses"))
    tab.type({"rows-0-status": "in_progress", "rows-1-status": "not_started"})
    tab.press("next")
    check = Tab(client, step_path(proposal, "check"))
    check.type({"summary": "今年完成加工廠設計。"})

    sent = check.press("submit")

    session.expire_all()
    report = session.scalars(select(ProgressReport)).one()
    assert (sent.status_code, sent.location) == (302, f"/proposals/{proposal.id}/reports/{YEAR}/v1")
    assert (report.year, report.number, report.content) == (
        YEAR,
        1,
        {"kpis": KPIS_SAVED, "businesses": BUSINESSES_SAVED, "received": [], "summary": "今年完成加工廠設計。"},
    )
    assert draft_content(session, proposal) is None
    event = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).one()
    assert (event.action, event.proposal_id, event.reason) == ("report_submit", proposal.id, "2026 年第 1 版")
    told = session.scalars(select(OutboxMessage.recipient_id).where(OutboxMessage.event == "report_submit")).all()
    assert sorted(told) == sorted([*(r.id for r in desk.reviewers), desk.county.id])


def test_submit_without_a_summary_is_refused_beside_it(desk: Desk, app: Flask, session: Session) -> None:
    proposal = approve(desk)
    reports.save_draft(session, proposal, desk.township, YEAR, "kpis", KPIS_SAVED, opened_at=0)
    session.commit()
    before = counts(session)
    check = Tab(browser(app, desk.township).client, step_path(proposal, "check"))

    refused = check.press("submit")

    assert refused.status_code == 400
    assert field_errors(check.page) == {"summary": ["請填寫本年度執行概況。"]}
    assert counts(session) == before


def test_amend_makes_report_2_and_keeps_1(desk: Desk, session: Session) -> None:
    proposal = approve(desk)
    first = write_report(session, proposal, desk.township)
    reports.save_draft(
        session,
        proposal,
        desk.township,
        YEAR,
        "kpis",
        [{"index": 0, "actual": 14, "source": "", "note": ""}],
        opened_at=0,
    )

    second = reports.submit(session, proposal, desk.township, YEAR, "更正工作機會人數。")
    session.commit()

    kept = reports.reports_of(session, proposal, YEAR)
    assert [(r.number, r.content["kpis"][0]["actual"], r.content["summary"]) for r in kept] == [
        (1, 12, "今年完成加工廠設計。"),
        (2, 14, "更正工作機會人數。"),
    ]
    # The amendment's draft started from report 1: the sections not changed carry over.
    assert second.content["businesses"] == first.content["businesses"] == BUSINESSES_SAVED
    actions = session.scalars(
        select(AuditEvent.action).where(AuditEvent.proposal_id == proposal.id).order_by(AuditEvent.id)
    ).all()
    assert actions[-2:] == ["report_submit", "report_amend"]


def review_report(session: Session, report: ProgressReport, reviewer: User) -> YearEndReview:
    item = YearEndReview(
        proposal_id=report.proposal_id,
        report_id=report.id,
        reviewer_id=reviewer.id,
        rating="on_track",
        accepted_kpis=[0],
    )
    session.add(item)
    session.commit()
    return item


def test_amend_is_refused_after_a_standing_review_and_allowed_after_reopening(desk: Desk, session: Session) -> None:
    proposal = approve(desk)
    report = write_report(session, proposal, desk.township)
    reviewed = review_report(session, report, desk.reviewers[0])
    before = counts(session)

    with pytest.raises(DomainError) as refused:
        reports.save_draft(session, proposal, desk.township, YEAR, "kpis", KPIS_SAVED, opened_at=0)
    session.rollback()
    assert str(refused.value) == reports.AMEND_REFUSED
    assert counts(session) == before

    session.add(YearEndReopening(review_id=reviewed.id, reason="公所更正數字", reopened_by_id=desk.reviewers[0].id))
    session.commit()
    reports.save_draft(session, proposal, desk.township, YEAR, "summary", "更正", opened_at=0)
    amended = reports.submit(session, proposal, desk.township, YEAR, "更正。")
    session.commit()
    assert amended.number == 2


def test_submit_is_refused_after_a_review_even_with_a_draft_from_before(desk: Desk, session: Session) -> None:
    proposal = approve(desk)
    report = write_report(session, proposal, desk.township)
    reports.save_draft(session, proposal, desk.township, YEAR, "summary", "修正中", opened_at=0)
    session.commit()
    review_report(session, report, desk.reviewers[0])
    before = counts(session)

    with pytest.raises(DomainError, match=reports.AMEND_REFUSED):
        reports.submit(session, proposal, desk.township, YEAR, "修正")
    session.rollback()

    assert counts(session) == before


def close(session: Session, proposal: Proposal, admin: User) -> None:
    session.add(CaseClosing(proposal_id=proposal.id, rating="on_track", lessons="先整合", closed_by_id=admin.id))
    session.commit()


# --- refusals, through the operations --------------------------------------------------------


def test_a_kpi_the_approved_case_does_not_have_is_a_check_problem(desk: Desk, session: Session) -> None:
    proposal = approve(desk)
    reports.save_draft(
        session,
        proposal,
        desk.township,
        YEAR,
        "kpis",
        [{"index": 7, "actual": 3, "source": "", "note": ""}],
        opened_at=0,
    )
    session.commit()
    before = counts(session)

    with pytest.raises(reports.ReportInvalid) as refused:
        reports.submit(session, proposal, desk.township, YEAR, "概況")
    session.rollback()

    assert [(p.field, p.message) for p in refused.value.problems] == [("kpis-0-actual", "核定的提案沒有這項 KPI。")]
    assert counts(session) == before


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("year", "這件提案的執行期間是 2026–2028 年，沒有 2030 年的報告。"),
        ("not_approved", "提案目前為「已送出（待縣市審閱）」，核定後才能送出執行進度報告。"),
        ("closed", "這件提案已結案，不能再送出執行進度報告。"),
        ("not_editor", "您的帳號不能對這件提案執行「送出執行進度報告」。"),
    ],
)
def test_refusals_write_nothing(desk: Desk, session: Session, case: str, message: str) -> None:
    actor, year = desk.township, YEAR
    if case == "not_approved":
        proposal = desk.make.proposal(desk.township)
        operations.apply_transition(session, proposal, Action.SUBMIT, desk.township)
        session.commit()
    else:
        proposal = approve(desk)
    if case == "year":
        year = 2030
    if case == "closed":
        session.add(
            CaseClosing(proposal_id=proposal.id, rating="on_track", lessons="先整合", closed_by_id=desk.admin.id)
        )
        session.commit()
    if case == "not_editor":
        actor = desk.county
    before = counts(session)

    with pytest.raises(DomainError) as refused:
        reports.save_draft(session, proposal, actor, year, "kpis", KPIS_SAVED, opened_at=0)
    session.rollback()
    with pytest.raises(DomainError):
        reports.submit(session, proposal, actor, year, "概況")
    session.rollback()

    assert str(refused.value) == message
    assert isinstance(refused.value, PermissionDenied) == (case == "not_editor")
    assert counts(session) == before


def test_the_form_of_another_role_refuses_with_the_reason(desk: Desk, app: Flask, session: Session) -> None:
    proposal = approve(desk)
    client = browser(app, desk.county).client

    page = client.get(step_path(proposal, "kpis"), follow_redirects=True)

    assert flashes(page.get_data(as_text=True))[0] == ("error", "您的帳號不能對這件提案執行「送出執行進度報告」。")
    assert draft_content(session, proposal) is None


# --- the follow-up panel and the read-only report ---------------------------------------------


def panel_rows(client: FlaskClient, proposal: Proposal) -> list[list[str]]:
    import re

    page = client.get(f"/proposals/{proposal.id}/followup").get_data(as_text=True)
    section = page.split('id="reports"', 1)[1].split("</section>", 1)[0]
    rows = re.findall(r'<tr id="reports-\d+">(.*?)</tr>', section, re.S)
    return [
        [" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in rows
    ]


def test_panel_shows_each_year_with_its_state_and_history(desk: Desk, app: Flask, session: Session) -> None:
    proposal = approve(desk)
    session.add(ReportRound(year=YEAR, due_on=date(2027, 1, 31)))
    session.commit()
    write_report(session, proposal, desk.township)
    reports.save_draft(session, proposal, desk.township, 2027, "summary", "草擬中", opened_at=0)
    session.commit()
    report = reports.reports_of(session, proposal)[0]
    when = report.submitted_at.astimezone(operations.TAIWAN).strftime("%Y-%m-%d %H:%M")
    name = desk.township.name

    township_rows = panel_rows(browser(app, desk.township).client, proposal)
    reviewer_rows = panel_rows(browser(app, desk.reviewers[0]).client, proposal)

    assert township_rows == [
        ["2026（115年）", "2027-01-31", "已送出 v1", f"v1 （{name}，{when}）", "修正報告 2026"],
        ["2027（116年）", "尚未設定", "草稿", "—", "繼續填寫 2027"],
        ["2028（117年）", "尚未設定", "尚未填寫", "—", "填寫報告 2028"],
    ]
    assert reviewer_rows == [row[:4] for row in township_rows]


def test_report_page_is_read_only_for_followers_and_hidden_from_others(
    desk: Desk, app: Flask, make: Factory, session: Session
) -> None:
    proposal = approve(desk)
    write_report(session, proposal, desk.township)
    path = f"/proposals/{proposal.id}/reports/{YEAR}/v1"
    stranger = make.user(Role.TOWNSHIP, township=DAREN)

    page = browser(app, desk.county).client.get(path).get_data(as_text=True)

    assert "今年完成加工廠設計。" in page
    assert "<form" not in page.split("<main", 1)[1]
    assert browser(app, stranger).client.get(path).status_code == 404


# --- the due-date page ------------------------------------------------------------------------


def test_due_date_page_is_for_admins_only(desk: Desk, app: Flask) -> None:
    assert browser(app, desk.township).client.get("/admin/report-rounds").status_code == 403
    assert browser(app, desk.reviewers[0]).client.get("/admin/report-rounds").status_code == 403


def test_admin_sets_and_changes_a_due_date_audited(desk: Desk, session: Session) -> None:
    client = desk.browser.client
    token = desk.browser.csrf("/admin/report-rounds")

    first = client.post("/admin/report-rounds", data={"year": "2026", "due_on": "2027-01-31", "csrf_token": token})
    second = client.post("/admin/report-rounds", data={"year": "2026", "due_on": "2027-02-15", "csrf_token": token})
    page = client.get("/admin/report-rounds").get_data(as_text=True)

    session.expire_all()
    assert (first.status_code, second.status_code) == (302, 302)
    assert [(r.year, r.due_on, r.set_by_id) for r in session.scalars(select(ReportRound))] == [
        (2026, date(2027, 2, 15), desk.admin.id)
    ]
    reasons = session.scalars(
        select(AuditEvent.reason).where(AuditEvent.action == "report_round_set").order_by(AuditEvent.id)
    ).all()
    assert reasons == ["2026 年報告期限 2027/01/31", "2026 年報告期限 2027/02/15（原為 2027/01/31）"]
    assert "2027/02/15" in page


def test_due_date_form_refuses_a_word_and_keeps_the_input(desk: Desk, session: Session) -> None:
    token = desk.browser.csrf("/admin/report-rounds")
    page = desk.browser.client.post(
        "/admin/report-rounds", data={"year": "今年", "due_on": "2027-01-31", "csrf_token": token}
    )

    html = page.get_data(as_text=True)
    assert page.status_code == 400
    assert list(field_errors(html)) == ["year"]
    assert 'value="今年"' in html and 'value="2027-01-31"' in html
    assert session.scalars(select(ReportRound)).all() == []


def test_rounds_page_links_to_the_due_dates(desk: Desk) -> None:
    page = desk.browser.client.get("/admin/rounds/").get_data(as_text=True)
    assert '<a href="/admin/report-rounds">執行進度報告期限</a>' in page


# --- reminders and late flags -----------------------------------------------------------------


def test_reminders_go_once_to_editors_of_cases_without_a_report(desk: Desk, make: Factory, session: Session) -> None:
    today = operations.taiwan_today()
    waiting = approve(desk)
    filed = approve(desk)
    write_report(session, filed, desk.township)
    colleague = make.user(Role.TOWNSHIP, township=waiting.lead_township_code)
    session.add(ReportRound(year=YEAR, due_on=today + timedelta(days=10)))
    session.commit()

    first = reports.send_reminders(session, today, (14, 3))
    again = reports.send_reminders(session, today, (14, 3))
    later = reports.send_reminders(session, today + timedelta(days=8), (14, 3))
    session.commit()

    sent = session.scalars(select(ReportReminder).order_by(ReportReminder.id)).all()
    assert (first, again, later) == (2, 0, 2)
    assert [(r.proposal_id, r.recipient_id, r.days_before) for r in sent] == [
        (waiting.id, desk.township.id, 14),
        (waiting.id, colleague.id, 14),
        (waiting.id, desk.township.id, 3),
        (waiting.id, colleague.id, 3),
    ]
    message = session.get(OutboxMessage, sent[0].message_id)
    assert message is not None and message.subject == (
        f"【地方創生提案】{waiting.title}：2026 年執行進度報告期限 {today + timedelta(days=10):%Y/%m/%d}（還有 10 天）"
    )


def test_remind_command_reads_its_days_from_the_setting(
    desk: Desk, app: Flask, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    approve(desk)
    today = operations.taiwan_today()
    session.add(ReportRound(year=YEAR, due_on=today + timedelta(days=20)))
    session.commit()
    app.config["REPORT_REMINDER_DAYS"] = "30"

    result = app.test_cli_runner().invoke(args=["reports", "remind"])
    app.config["REPORT_REMINDER_DAYS"] = "soon"
    bad = app.test_cli_runner().invoke(args=["reports", "remind"])

    assert (result.exit_code, result.output) == (
        0,
        f"{today:%Y/%m/%d}：已將 1 則執行進度報告期限提醒放入通知佇列（提前 30 天）。\n",
    )
    assert bad.exit_code == 1
    assert "PORTAL_REPORT_REMINDER_DAYS" in bad.output


def late_on_home(app: Flask, user: User) -> list[str]:
    import re

    page = browser(app, user).client.get("/").get_data(as_text=True)
    if 'id="reports-late"' not in page:
        return []
    section = page.split('id="reports-late"', 1)[1].split("</section>", 1)[0]
    return [" ".join(re.sub(r"<[^>]+>", " ", li).split()) for li in re.findall(r"<li>(.*?)</li>", section, re.S)]


def test_late_reports_are_flagged_for_the_township_its_county_and_the_ndc(
    desk: Desk, app: Flask, make: Factory, session: Session
) -> None:
    proposal = approve(desk)
    due = operations.taiwan_today() - timedelta(days=1)
    session.add(ReportRound(year=YEAR, due_on=due))
    session.commit()
    elsewhere = make.user(Role.COUNTY, county=TAITUNG)
    line = f"{proposal.title} ：2026 年報告（南投縣埔里鎮，期限 {due.isoformat()}） 逾期未交"

    before = {u.email: late_on_home(app, u) for u in (desk.township, desk.county, desk.admin, elsewhere)}
    write_report(session, proposal, desk.township)
    after = late_on_home(app, desk.admin)

    assert before == {
        desk.township.email: [line],
        desk.county.email: [line],
        desk.admin.email: [line],
        elsewhere.email: [],
    }
    assert after == []


def test_late_flags_skip_closed_cases(desk: Desk, session: Session) -> None:
    proposal = approve(desk)
    today = operations.taiwan_today()
    session.add(ReportRound(year=YEAR, due_on=today - timedelta(days=1)))
    session.commit()
    late_before, count_before = reports.late_reports(session, desk.admin, today)
    close(session, proposal, desk.admin)

    assert ([(r.proposal.id, r.year) for r in late_before], count_before) == ([(proposal.id, YEAR)], 1)
    assert reports.late_reports(session, desk.admin, today) == ([], 0)


def test_late_flags_take_the_same_queries_for_one_case_or_many(desk: Desk, app: Flask, session: Session) -> None:
    today = operations.taiwan_today()
    session.add(ReportRound(year=YEAR, due_on=today - timedelta(days=1)))
    approve(desk)
    with counted(app) as one:
        late, _ = reports.late_reports(session, desk.admin, today)
        assert [r.proposal.lead_township.full_name for r in late] == ["南投縣埔里鎮"]
    approve(desk)
    approve(desk)
    session.expire_all()
    assert desk.admin.role == Role.ADMIN  # loaded again before counting
    with counted(app) as three:
        late, count = reports.late_reports(session, desk.admin, today)
        assert [r.proposal.lead_township.full_name for r in late] == ["南投縣埔里鎮"] * 3

    assert (count, len(one), len(three)) == (3, 3, 3)


def test_money_rows_offer_planned_cells_not_yet_reported(desk: Desk, app: Flask, session: Session) -> None:
    proposal = approve(desk)
    client = browser(app, desk.township).client
    tab = Tab(client, step_path(proposal, "received"))
    planned = [
        (tab.fields.get(f"rows-{n}-source"), tab.fields.get(f"rows-{n}-year"))
        for n in range(20)
        if tab.knows(f"rows-{n}-source")
    ]
    tab.type({"rows-0-amount": "1800", "rows-0-note": "已撥付"})
    assert tab.press().status_code == 302

    again = Tab(client, step_path(proposal, "received"))
    offered = [
        (again.fields.get(f"rows-{n}-source"), again.fields.get(f"rows-{n}-year"), again.fields.get(f"rows-{n}-amount"))
        for n in range(20)
        if again.knows(f"rows-{n}-source")
    ]

    assert draft_content(session, proposal) == {
        "received": [{"source": planned[0][0], "year": int(planned[0][1] or 0), "amount": 1800, "note": "已撥付"}]
    }
    assert offered == [(planned[0][0], planned[0][1], "1800"), *((s, y, "") for s, y in planned[1:])]


def test_an_expired_form_token_keeps_the_input_and_saves_nothing(desk: Desk, app: Flask, session: Session) -> None:
    proposal = approve(desk)
    tab = Tab(browser(app, desk.township).client, step_path(proposal, "kpis"))
    tab.type({"csrf_token": "not-a-token", "rows-0-actual": "12", "rows-0-note": "留著"})

    shown = tab.press()

    assert shown.status_code == 200
    assert flashes(tab.page) == [("warning", "頁面開啟太久，安全驗證已更新。您輸入的內容都還在，請再按一次「儲存」。")]
    assert (tab.fields.get("rows-0-actual"), tab.fields.get("rows-0-note")) == ("12", "留著")
    assert draft_content(session, proposal) is None
    assert tab.press().status_code == 302  # the page now carries a fresh token
    assert (draft_content(session, proposal) or {})["kpis"][0]["actual"] == 12


def test_a_post_by_someone_not_the_editor_is_refused_with_the_reason(desk: Desk, app: Flask, session: Session) -> None:
    proposal = approve(desk)
    auth = browser(app, desk.county)
    token = auth.csrf(f"/proposals/{proposal.id}/followup")

    refused = auth.client.post(step_path(proposal, "kpis"), data={"csrf_token": token, "rows-0-actual": "12"})

    assert refused.status_code == 403
    assert flashes(refused.get_data(as_text=True)) == [("error", "您的帳號不能對這件提案執行「送出執行進度報告」。")]
    assert draft_content(session, proposal) is None


def test_an_implausible_year_or_version_is_not_found(desk: Desk, app: Flask, session: Session) -> None:
    proposal = approve(desk)
    write_report(session, proposal, desk.township)
    client = browser(app, desk.township).client
    paths = ["reports/2026/v1", "reports/2026/v99999", "reports/99999/kpis", f"reports/{2**64}/check"]

    statuses = {path: client.get(f"/proposals/{proposal.id}/{path}").status_code for path in paths}

    assert statuses == {paths[0]: 200, paths[1]: 404, paths[2]: 404, paths[3]: 404}


def table_rows(page: str, caption: str) -> list[list[str]]:
    import re

    table = page.split(f"<caption>{caption}</caption>", 1)[1].split("</table>", 1)[0]
    body = table.split("<tbody>", 1)[1]
    return [
        [" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def test_report_page_shows_money_received_beside_the_plan_of_its_year(desk: Desk, app: Flask, session: Session) -> None:
    proposal = approve(desk)
    received = [
        {"source": "central", "year": 2026, "amount": 1800, "note": ""},
        {"source": "county", "year": 2026, "amount": 500, "note": "縣府配合款"},
    ]
    reports.save_draft(session, proposal, desk.township, YEAR, "received", received, opened_at=0)
    reports.submit(session, proposal, desk.township, YEAR, "概況")
    session.commit()

    page = browser(app, desk.reviewers[0]).client.get(f"/proposals/{proposal.id}/reports/{YEAR}/v1")

    # The plan's 民間投資 of 2027 belongs to the 2027 report.
    assert table_rows(page.get_data(as_text=True), "經費實際到位與計畫（單位：新臺幣千元）") == [
        ["中央部會計畫", "2026（115年）", "8,000", "1,800"],
        ["縣市政府", "2026（115年）", "0", "500"],
    ]


def test_threads_saving_at_once_each_acknowledged_save_is_a_version(desk: Desk, app: Flask, session: Session) -> None:
    import threading

    from portal import db

    proposal = approve(desk)
    acknowledged: list[tuple[int, str]] = []
    refused: list[str] = []
    crashed: list[str] = []
    start = threading.Barrier(4)

    def save(name: str) -> None:
        with db.database(app).session() as own:
            start.wait()
            for number in range(5):
                own.expire_all()
                case = own.get(Proposal, proposal.id)
                township = own.get(User, desk.township.id)
                assert case is not None and township is not None
                draft = reports.draft_of(own, case, YEAR)
                value = f"{name} 第 {number} 次"
                try:
                    saved = reports.save_draft(
                        own, case, township, YEAR, "summary", value, opened_at=draft.lock_version if draft else 0
                    )
                    own.commit()
                except DomainError as error:
                    own.rollback()
                    refused.append(type(error).__name__)
                except Exception as error:  # counted, so that the test shows it
                    own.rollback()
                    crashed.append(repr(error))
                else:
                    acknowledged.append((saved.lock_version, value))

    threads = [threading.Thread(target=save, args=(f"分頁{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    acknowledged.sort()
    assert crashed == []
    assert [version for version, _ in acknowledged] == list(range(1, len(acknowledged) + 1))
    assert (len(acknowledged) + len(refused), set(refused) <= {"ReportConflict"}) == (20, True)
    assert draft_content(session, proposal) == {"summary": acknowledged[-1][1]}


def test_report_reminder_days_setting_checked_at_start(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as refused:
        resolve(tmp_path, {"ENV": "testing"}, {"PORTAL_REPORT_REMINDER_DAYS": "14,-3"})

    assert (
        str(refused.value)
        == "PORTAL_REPORT_REMINDER_DAYS：提醒天數必須是 0 到 365 的整數，以逗號分隔（例如 7,1），目前有「-3」"
    )
