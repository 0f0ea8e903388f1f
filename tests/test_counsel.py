"""The counselling log of approved cases: who writes it, who reads which entries, the
issues it raises and their overdue flags, its audit events and its messages."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from portal import cosign, counsel, db, operations, review
from portal.db.models import (
    AuditEvent,
    CaseClosing,
    CounselEntry,
    CounselIssue,
    Decision,
    OutboxMessage,
    Proposal,
    User,
)
from portal.domain.errors import DomainError, PermissionDenied
from portal.domain.followup import LogKind
from portal.domain.roles import Role
from portal.domain.workflow import Action
from tests.conftest import DAREN, GUOXING, TAITUNG, Factory
from tests.test_matching import SME, ministry_user
from tests.test_query_counts import counted
from tests.test_review import Round, scores, text_of
from tests.test_wizard import field_errors, flashes, read_form, visible_text

INTERNAL = "INTERNAL-SENTINEL-內部紀錄"
SHARED = "與公所討論青年工作站的場地"
INTERNAL_ISSUE = "INTERNAL-ISSUE-內部問題"
SHARED_ISSUE = "場地租約尚未簽訂"


class Case(Round):
    """The review world of tests/test_review.py with an approved case: reviewers 0 and 1
    accompany it, reviewer 2 does not; 國姓鄉 takes part and so does 臺東縣達仁鄉, whose
    county co-signed. Plus a ministry, the partner county and the partner township."""

    def __init__(self, app: Flask, make: Factory, session: Session) -> None:
        super().__init__(app, make, session)
        self.partner_county = make.user(Role.COUNTY, county=TAITUNG)
        self.partner_township = make.user(Role.TOWNSHIP, township=GUOXING)
        self.ministry = ministry_user(session, SME)
        self.other_county = make.user(Role.COUNTY, county="10002")
        self.companions = self.reviewers[:2]
        self.outsider = self.reviewers[2]
        self.proposal = self.approved()

    def approved(self, title: str = "埔里生態城鄉共好計畫") -> Proposal:
        proposal = self.make.proposal(self.township, title=title, participating=[GUOXING, DAREN])
        operations.apply_transition(self.session, proposal, Action.SUBMIT, self.township)
        cosign.sign(self.session, proposal, self.partner_county)
        operations.apply_transition(self.session, proposal, Action.FORWARD, self.county)
        review.assign(self.session, proposal, self.admin, [r.id for r in self.companions])
        self.session.commit()
        self.score(proposal, self.companions[0], scores(5, 5, 5))
        review.decide(
            self.session, proposal, self.admin, outcome="approve", reasons="", meeting=self.meeting, resources=[]
        )
        self.session.commit()
        return proposal

    def backdate(self, days: int) -> None:
        """The case was approved `days` ago (the meeting that decided it is today's)."""
        decision = self.session.scalars(select(Decision).where(Decision.proposal_id == self.proposal.id)).one()
        decision.decided_on = operations.taiwan_today() - timedelta(days=days)
        self.session.commit()

    def log(
        self,
        notes: str,
        *,
        visible: bool = False,
        issues: list[counsel.IssueInput] | None = None,
        held_on: date | None = None,
        actor: User | None = None,
    ) -> CounselEntry:
        entry = counsel.add_entry(
            self.session,
            self.proposal,
            actor or self.companions[0],
            kind=LogKind.VISIT,
            held_on=held_on or operations.taiwan_today(),
            place="埔里鎮公所",
            attendees="陳明哲委員、公所承辦人",
            notes=notes,
            visible_to_township=visible,
            issues=issues or [],
        )
        self.session.commit()
        return entry

    def both(self) -> None:
        """One internal entry and one marked for the township, each with an issue."""
        self.log(INTERNAL, issues=[counsel.IssueInput(INTERNAL_ISSUE, "counsel")])
        self.log(SHARED, visible=True, issues=[counsel.IssueInput(SHARED_ISSUE, "township")])

    def followup_page(self, user: User) -> str:
        return text_of(self.get(user, f"/proposals/{self.proposal.id}/followup"))


@pytest.fixture
def case(app: Flask, make: Factory, session: Session) -> Case:
    return Case(app, make, session)


def today() -> date:
    return operations.taiwan_today()


def issue_rows(session: Session, proposal: Proposal) -> list[tuple[object, ...]]:
    session.expire_all()
    issues = session.scalars(select(CounselIssue).where(CounselIssue.proposal_id == proposal.id).order_by("id"))
    return [(i.description, i.owner, i.due_on, i.status, i.resolution, i.resolved_by_id) for i in issues]


def type_into(fields: MultiDict[str, str], values: dict[str, str]) -> None:
    """Replace what the form holds, as typing into each input does."""
    for name, value in values.items():
        fields[name] = value


def entry_count(session: Session) -> int:
    session.expire_all()
    return len(session.scalars(select(CounselEntry)).all())


# --- adding an entry -----------------------------------------------------------------------


def test_add_entry_writes_the_entry_and_its_issues_in_one_go(case: Case, session: Session) -> None:
    due = today() + timedelta(days=30)
    entry = case.log(
        "勘察閒置校舍，討論整修時程。",
        visible=True,
        issues=[
            counsel.IssueInput(" 校舍產權移轉未完成 ", "county", due),
            counsel.IssueInput("青年培力經費尚未核撥", "ministry"),
        ],
    )

    session.expire_all()
    saved = session.get(CounselEntry, entry.id)
    assert saved is not None
    assert (
        saved.proposal_id,
        saved.kind,
        saved.held_on,
        saved.place,
        saved.attendees,
        saved.notes,
        saved.visible_to_township,
        saved.author_id,
    ) == (
        case.proposal.id,
        "visit",
        today(),
        "埔里鎮公所",
        "陳明哲委員、公所承辦人",
        "勘察閒置校舍，討論整修時程。",
        True,
        case.companions[0].id,
    )
    assert [(i.entry_id, i.description, i.owner, i.due_on, i.status) for i in saved.issues] == [
        (entry.id, "校舍產權移轉未完成", "county", due, "open"),
        (entry.id, "青年培力經費尚未核撥", "ministry", None, "open"),
    ]


def test_add_entry_through_the_follow_up_page_ignores_empty_issue_rows(case: Case, session: Session) -> None:
    due = (today() + timedelta(days=14)).isoformat()
    page = case.followup_page(case.companions[1])
    action = f"/proposals/{case.proposal.id}/counsel"
    fields, names = read_form(page, action)
    assert {"issues-0-description", "issues-2-due_on", "visible_to_township"} <= names
    type_into(
        fields,
        {
            "kind": "meeting",
            "held_on": today().isoformat(),
            "place": "南投縣政府",
            "attendees": "縣府、公所",
            "notes": "第一次輔導會議\n確認分工",
            "visible_to_township": "y",
            "issues-1-description": "召開地方說明會",
            "issues-1-owner": "township",
            "issues-1-due_on": due,
        },
    )
    shown = text_of(case.browser(case.companions[1]).client.post(action, data=fields, follow_redirects=True))

    assert flashes(shown) == [("success", f"已登錄 {today().isoformat()} 的會議紀錄。")]
    assert issue_rows(session, case.proposal) == [
        ("召開地方說明會", "township", date.fromisoformat(due), "open", "", None)
    ]
    entry = session.scalars(select(CounselEntry)).one()
    assert (entry.kind, entry.place, entry.notes, entry.visible_to_township, entry.author_id) == (
        "meeting",
        "南投縣政府",
        "第一次輔導會議\n確認分工",
        True,
        case.companions[1].id,
    )
    panel = visible_text(shown.split('id="counsel-heading"', 1)[1])
    assert (
        f"{today().isoformat()} 會議 公所可見 地點 南投縣政府 出席人員 縣府、公所 紀錄內容 第一次輔導會議 確認分工"
        in panel
    )
    assert f"召開地方說明會 鄉鎮市區公所 {due} 處理中" in panel


def test_a_refused_entry_is_shown_again_with_the_message_next_to_the_field_and_input_kept(
    case: Case, session: Session
) -> None:
    tomorrow = (today() + timedelta(days=1)).isoformat()
    action = f"/proposals/{case.proposal.id}/counsel"
    fields, _ = read_form(case.followup_page(case.admin), action)
    type_into(
        fields,
        {
            "held_on": tomorrow,
            "notes": "尚未發生的訪視",
            "issues-0-owner": "county",
            "issues-1-description": "缺少負責單位",
        },
    )
    response = case.browser(case.admin).client.post(action, data=fields)
    page = text_of(response)

    assert response.status_code == 200
    assert field_errors(page) == {
        "issues-0-description": ["請填寫問題內容，或清空這一列"],
        "issues-1-owner": ["請選擇負責處理的單位"],
    }
    again, _ = read_form(page, action)
    assert (again["held_on"], again["notes"], again["issues-1-description"], again["issues-0-owner"]) == (
        tomorrow,
        "尚未發生的訪視",
        "缺少負責單位",
        "county",
    )
    # With the rows fixed, the operation refuses the date, next to its field.
    type_into(fields, {"issues-0-owner": "", "issues-1-owner": "county"})
    page = text_of(case.browser(case.admin).client.post(action, data=fields))
    assert field_errors(page) == {"held_on": [f"日期不能是未來的日期（今天是 {today().isoformat()}）。"]}
    assert read_form(page, action)[0]["notes"] == "尚未發生的訪視"
    assert entry_count(session) == 0


# --- refusals --------------------------------------------------------------------------------


def test_an_entry_dated_before_the_approval_or_in_the_future_is_refused(case: Case, session: Session) -> None:
    case.backdate(10)
    approved_on = today() - timedelta(days=10)
    for held_on, message in [
        (approved_on - timedelta(days=1), f"日期不能早於核定日期 {approved_on.isoformat()}。"),
        (today() + timedelta(days=1), f"日期不能是未來的日期（今天是 {today().isoformat()}）。"),
    ]:
        with pytest.raises(counsel.CounselError) as caught:
            case.log("不該寫入", held_on=held_on)
        session.rollback()
        assert (str(caught.value), caught.value.field) == (message, "held_on")
    case.log("核定當天的訪視", held_on=approved_on)
    assert entry_count(session) == 1


def test_an_issue_due_before_its_entry_is_refused_naming_the_row(case: Case, session: Session) -> None:
    issues = [
        counsel.IssueInput("第一項", "township", today()),
        counsel.IssueInput("第二項", "county", today() - timedelta(days=1)),
    ]
    with pytest.raises(counsel.CounselError) as caught:
        case.log("訪視", issues=issues)
    session.rollback()
    assert (str(caught.value), caught.value.field) == (
        f"期限不能早於紀錄日期 {today().isoformat()}。",
        "issues-1-due_on",
    )
    assert (entry_count(session), issue_rows(session, case.proposal)) == (0, [])


def test_an_entry_on_a_case_not_approved_is_refused(case: Case, session: Session) -> None:
    pending = case.in_review(case.companions[0], title="審查中的提案")
    with pytest.raises(DomainError) as caught:
        counsel.add_entry(
            session,
            pending,
            case.companions[0],
            kind=LogKind.CALL,
            held_on=today(),
            place="",
            attendees="",
            notes="電話聯繫",
            visible_to_township=False,
            issues=[],
        )
    session.rollback()
    assert str(caught.value) == "提案目前為「輔導團審查中」，核定後才能登錄輔導紀錄。"
    assert entry_count(session) == 0


def test_an_entry_on_a_closed_case_is_refused_but_its_issues_can_still_be_resolved(
    case: Case, session: Session
) -> None:
    case.log("結案前的訪視", issues=[counsel.IssueInput("尚待處理", "township")])
    session.add(
        CaseClosing(proposal_id=case.proposal.id, rating="on_track", lessons="經驗", closed_by_id=case.admin.id)
    )
    session.commit()

    with pytest.raises(DomainError) as caught:
        case.log("結案後的訪視")
    session.rollback()
    issue = session.scalars(select(CounselIssue)).one()
    counsel.resolve_issue(session, issue, case.companions[1], "結案後補正完成")
    session.commit()

    assert str(caught.value) == "這件提案已結案，不能再登錄輔導紀錄。"
    assert entry_count(session) == 1
    assert issue_rows(session, case.proposal) == [
        ("尚待處理", "township", None, "resolved", "結案後補正完成", case.companions[1].id)
    ]
    assert "登錄輔導紀錄" not in visible_text(case.followup_page(case.admin))


@pytest.mark.parametrize("who", ["outsider", "county", "partner_county", "township", "ministry"])
def test_only_the_team_and_the_ndc_may_write(case: Case, session: Session, who: str) -> None:
    actor = getattr(case, who)
    with pytest.raises(PermissionDenied) as caught:
        case.log("不該寫入", actor=actor)
    session.rollback()
    assert str(caught.value) == "您的帳號不能對這件提案執行「登錄輔導紀錄」。"
    assert entry_count(session) == 0


@pytest.mark.parametrize(("who", "status"), [("outsider", 404), ("county", 403), ("township", 403), ("ministry", 404)])
def test_a_post_from_someone_who_may_not_write_is_refused_not_an_error(
    case: Case, session: Session, who: str, status: int
) -> None:
    """Those who cannot see the case get 404, as everywhere; those who can, 403."""
    browser = case.browser(getattr(case, who))
    token = browser.csrf("/notifications/")
    data = {"kind": "visit", "held_on": today().isoformat(), "notes": "不該寫入", "csrf_token": token}
    response = browser.client.post(f"/proposals/{case.proposal.id}/counsel", data=data)
    assert response.status_code == status
    assert entry_count(session) == 0


# --- who reads what ----------------------------------------------------------------------------

EVERYTHING = [(SHARED, [SHARED_ISSUE]), (INTERNAL, [INTERNAL_ISSUE])]
TOWNSHIP_PART = [(SHARED, [SHARED_ISSUE])]


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("admin", EVERYTHING),
        ("companion", EVERYTHING),
        ("county", EVERYTHING),
        ("partner_county", EVERYTHING),
        ("township", TOWNSHIP_PART),
        ("partner_township", TOWNSHIP_PART),
        ("outsider", []),
        ("ministry", []),
        ("other_county", []),
    ],
)
def test_each_reader_gets_the_entries_meant_for_them(
    case: Case, session: Session, who: str, expected: list[tuple[str, list[str]]]
) -> None:
    case.both()
    user = case.companions[1] if who == "companion" else getattr(case, who)
    shown = counsel.panel(session, case.proposal, user)
    read = [(e.notes, [i.description for i in e.issues]) for e in shown["counsel_entries"]]
    assert read == expected
    assert shown["counsel_can_write"] is (who in ("admin", "companion"))


def test_the_township_page_shows_only_marked_entries_and_no_internal_words(case: Case) -> None:
    case.both()
    township = case.followup_page(case.township)
    county = case.followup_page(case.county)

    for word in (INTERNAL, INTERNAL_ISSUE, "僅輔導團與國發會", "登錄輔導紀錄", "標示為已解決"):
        assert word not in township
    assert SHARED in township and SHARED_ISSUE in township
    for word in (INTERNAL, INTERNAL_ISSUE, SHARED, "僅輔導團與國發會", "公所可見"):
        assert word in county
    assert "登錄輔導紀錄" not in visible_text(county)
    assert case.get(case.outsider, f"/proposals/{case.proposal.id}/followup").status_code == 404


def test_the_panel_reads_the_log_in_the_same_number_of_queries_however_long(
    case: Case, app: Flask, session: Session
) -> None:
    def statements() -> int:
        with app.test_request_context(), counted(app) as seen:
            dbs = db.session()
            proposal = dbs.get(Proposal, case.proposal.id)
            user = dbs.get(User, case.county.id)
            assert proposal is not None and user is not None
            proposal.reviewer_ids  # noqa: B018 (loads what permission checks read)
            proposal.conflicted_reviewer_ids  # noqa: B018
            before = len(seen)
            counsel.panel(dbs, proposal, user)
            return len(seen) - before

    case.both()
    few = statements()
    for n in range(6):
        case.log(f"第 {n} 次訪視", issues=[counsel.IssueInput(f"問題 {n}", "township")])
    assert statements() == few


# --- resolving ---------------------------------------------------------------------------------


def test_resolving_an_issue_stamps_how_who_and_when_and_is_audited(case: Case, session: Session) -> None:
    case.log("訪視", issues=[counsel.IssueInput("場地", "township")])
    issue = session.scalars(select(CounselIssue)).one()
    path = f"/proposals/{case.proposal.id}/counsel/issues/{issue.id}/resolve"

    empty = text_of(case.post(case.companions[0], path, {f"resolve-{issue.id}-resolution": "  "}))
    assert field_errors(empty) == {f"resolve-{issue.id}-resolution": ["請說明問題如何解決"]}
    page = text_of(case.post(case.companions[0], path, {f"resolve-{issue.id}-resolution": "已簽訂租約"}))

    assert flashes(page) == [("success", "已將問題標示為解決。")]
    assert issue_rows(session, case.proposal) == [
        ("場地", "township", None, "resolved", "已簽訂租約", case.companions[0].id)
    ]
    assert session.get(CounselIssue, issue.id).resolved_at is not None  # type: ignore[union-attr]
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "issue_resolve")).all()
    assert [(e.actor_id, e.proposal_id, e.reason) for e in events] == [
        (case.companions[0].id, case.proposal.id, f"輔導問題 #{issue.id}")
    ]
    again = text_of(case.post(case.companions[0], path, {f"resolve-{issue.id}-resolution": "再一次"}))
    assert "標示為已解決" not in visible_text(again)
    with pytest.raises(counsel.CounselError):
        counsel.resolve_issue(session, issue, case.admin, "再一次")
    session.rollback()


def test_a_county_cannot_resolve_an_issue(case: Case, session: Session) -> None:
    case.log("訪視", issues=[counsel.IssueInput("場地", "county")])
    issue = session.scalars(select(CounselIssue)).one()
    path = f"/proposals/{case.proposal.id}/counsel/issues/{issue.id}/resolve"
    response = case.post(case.county, path, {f"resolve-{issue.id}-resolution": "縣府自行處理"})
    assert response.status_code == 403
    assert issue_rows(session, case.proposal)[0][3] == "open"


# --- overdue flags -------------------------------------------------------------------------------


def overdue_list(page: str) -> list[str]:
    section = re.search(r'<section class="card" id="counsel-overdue".*?</section>', page, re.S)
    if section is None:
        return []
    return [visible_text(item) for item in re.findall(r"<li>(.*?)</li>", section.group(0), re.S)]


def test_open_issues_past_due_are_flagged_for_the_ndc_and_the_counties_not_the_township(
    case: Case, session: Session
) -> None:
    case.backdate(40)
    late = today() - timedelta(days=10)
    case.log(
        "一個月前的訪視",
        held_on=today() - timedelta(days=30),
        visible=True,
        issues=[
            counsel.IssueInput("場地租約尚未簽訂", "township", late),
            counsel.IssueInput("今天到期，尚未逾期", "county", today()),
            counsel.IssueInput("已解決的問題", "counsel", late),
        ],
    )
    solved = session.scalars(select(CounselIssue).where(CounselIssue.description == "已解決的問題")).one()
    counsel.resolve_issue(session, solved, case.admin, "完成")
    session.commit()
    flagged = [f"埔里生態城鄉共好計畫：場地租約尚未簽訂（鄉鎮市區公所，期限 {late.isoformat()}）已逾期"]

    for user in (case.admin, case.county, case.partner_county):
        assert overdue_list(text_of(case.get(user, "/"))) == flagged
    for user in (case.township, case.other_county, case.companions[0]):
        assert overdue_list(text_of(case.get(user, "/"))) == []
    case_page = visible_text(case.followup_page(case.township))
    assert f"場地租約尚未簽訂 鄉鎮市區公所 {late.isoformat()} 已逾期 處理中" in case_page
    assert f"今天到期，尚未逾期 縣市政府 {today().isoformat()} 處理中" in case_page


# --- audit events and messages ---------------------------------------------------------------------


def test_an_entry_for_the_township_tells_its_editors_and_an_internal_one_tells_nobody(
    case: Case, session: Session
) -> None:
    due = today() + timedelta(days=7)
    before = session.scalar(select(OutboxMessage.id).order_by(OutboxMessage.id.desc()).limit(1)) or 0
    case.log(INTERNAL, issues=[counsel.IssueInput(INTERNAL_ISSUE, "counsel")])
    case.log(SHARED, visible=True, issues=[counsel.IssueInput(SHARED_ISSUE, "township", due)])

    messages = session.scalars(select(OutboxMessage).where(OutboxMessage.id > before)).all()
    assert [(m.recipient_id, m.event, m.subject, m.body) for m in messages] == [
        (
            case.township.id,
            "counsel_log",
            "【地方創生提案】埔里生態城鄉共好計畫：新的輔導紀錄",
            "\n".join(
                [
                    "提案：埔里生態城鄉共好計畫（南投縣埔里鎮）",
                    f"輔導團登錄了一筆輔導紀錄：{today().isoformat()} 現地勘察",
                    f"・問題：{SHARED_ISSUE}（鄉鎮市區公所，期限 {due.isoformat()}）",
                    "請到提案的「執行追蹤」頁查看。",
                ]
            ),
        )
    ]
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "counsel_log").order_by("id")).all()
    assert [(e.actor_id, e.proposal_id, e.reason) for e in events] == [
        (case.companions[0].id, case.proposal.id, ""),
        (case.companions[0].id, case.proposal.id, f"{today().isoformat()} 現地勘察，提出 1 項問題（公所可見）"),
    ]
    assert INTERNAL not in text_of(case.get(case.township, f"/proposals/{case.proposal.id}"))


@pytest.mark.parametrize(
    ("typed", "errors"),
    [
        ({"held_on": "2026-02-30"}, {"held_on": ["不是有效的日期值。"]}),
        ({"kind": "party"}, {"kind": ["不是有效的選擇。"]}),
        (
            {"issues-0-description": "期限打錯", "issues-0-owner": "county", "issues-0-due_on": "明天"},
            {"issues-0-due_on": ["不是有效的日期值。"]},
        ),
        (
            {"issues-0-description": "負責單位不在清單", "issues-0-owner": "mayor"},
            {"issues-0-owner": ["不是有效的選擇。"]},
        ),
        ({"notes": "   "}, {"notes": ["請填寫紀錄內容"]}),
    ],
)
def test_bad_input_is_refused_next_to_its_field_without_writing(
    case: Case, session: Session, typed: dict[str, str], errors: dict[str, list[str]]
) -> None:
    action = f"/proposals/{case.proposal.id}/counsel"
    fields, _ = read_form(case.followup_page(case.admin), action)
    type_into(fields, {"notes": "訪視紀錄"} | typed)
    response = case.browser(case.admin).client.post(action, data=fields)
    shown = field_errors(text_of(response))

    assert (response.status_code, shown) == (200, errors)
    assert entry_count(session) == 0


def test_the_township_history_lists_only_entries_marked_for_it(case: Case) -> None:
    case.log(INTERNAL)
    case.log(SHARED, visible=True)

    def logged(user: User) -> list[str]:
        page = case.get(user, f"/proposals/{case.proposal.id}").get_data(as_text=True)
        history = page[page.index('id="history-heading"') :]
        return re.findall(r"登錄輔導紀錄(?:\s*<br><span class=\"hint\">([^<]*)</span>)?", history)

    shared = f"{today().isoformat()} 現地勘察（公所可見）"
    assert logged(case.township) == [shared]
    assert logged(case.county) == ["", shared]


def test_home_page_leads_those_who_follow_an_approved_case_to_its_follow_up(case: Case) -> None:
    followup_link = f'<a class="nowrap" href="/proposals/{case.proposal.id}/followup">執行追蹤</a>'

    shown = {
        who: followup_link in case.get(getattr(case, who), "/").get_data(as_text=True)
        for who in ("township", "county", "admin", "outsider")
    }

    assert shown == {"township": True, "county": True, "admin": True, "outsider": False}
