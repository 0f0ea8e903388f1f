"""Yearly progress reports (執行進度報告): drafts, submission, amendments, due dates and reminders.

The township writes one report per approved case and year, section by section into a
ReportDraft; submitting freezes it as a ProgressReport (number 1, then an amendment is
the next number, the earlier kept). The NDC sets each year's due date (ReportRound);
`portal reports remind` tells the editors before it, and the home page flags reports
past it. Like the other operations these flush, never commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from portal import db, notifications, operations
from portal.cli_error import CliError
from portal.db.models import (
    CaseClosing,
    Decision,
    OutboxMessage,
    ProgressReport,
    Proposal,
    ReportDraft,
    ReportReminder,
    ReportRound,
    Revision,
    Township,
    User,
    YearEndReopening,
    YearEndReview,
    utcnow,
)
from portal.domain import brief, followup, funding
from portal.domain import permissions as perm
from portal.domain import rounds as rules
from portal.domain.errors import DomainError, PermissionDenied
from portal.domain.roles import Role
from portal.domain.workflow import Action, Audience

DEFAULT_REMINDER_DAYS = "14,3"
# The parts of a report's content, in the order the form asks for them.
SECTIONS = ("kpis", "businesses", "received", "summary")
# How many late reports the home page lists; the count says how many there are in all.
DASHBOARD_LIMIT = 50


# --- the approved case a report is about ---------------------------------------------------


@dataclass(frozen=True)
class ApprovedCase:
    """What a report points into: the approved revision's KPIs, businesses and budget
    lines, and the years the case reports on."""

    decision: Decision
    revision: Revision
    years: tuple[int, ...]

    @property
    def kpis(self) -> list[dict[str, Any]]:
        return [k for k in self.revision.content.get("kpis") or [] if isinstance(k, dict)]

    @property
    def businesses(self) -> list[dict[str, Any]]:
        items = (self.revision.content.get("businesses") or {}).get("items") or []
        return [b for b in items if isinstance(b, dict)]

    @property
    def lines(self) -> list[dict[str, Any]]:
        lines = (self.revision.content.get("resources") or {}).get("lines") or []
        return [line for line in lines if isinstance(line, dict)]


def _case_of(decision: Decision, revision: Revision) -> ApprovedCase:
    years = followup.report_years(funding.period(revision.content), decision.decided_on)
    return ApprovedCase(decision, revision, years)


def approved_case(session: Session, proposal: Proposal) -> ApprovedCase | None:
    """The case as approved: its latest approving decision and that revision."""
    decision = operations.approval(session, proposal)
    if decision is None:
        return None
    revision = session.get(Revision, decision.revision_id)
    assert revision is not None
    return _case_of(decision, revision)


def planned(case: ApprovedCase) -> dict[tuple[str, int], int]:
    """Planned money by (source, year) from the approved funding table, both kinds summed."""
    found: dict[tuple[str, int], int] = {}
    for (_kind, source, year), amount in funding.cells(case.lines, brief.SOURCES).items():
        found[(source, year)] = found.get((source, year), 0) + amount
    return found


@dataclass(frozen=True)
class MoneyRow:
    source: str
    year: int
    planned: int
    received: int


def money_rows(case: ApprovedCase, received: Iterable[dict[str, Any]], year: int) -> list[MoneyRow]:
    """Planned against received per source and year, in the funding table's order: the
    plan of the report's year, and every source and year money was reported for."""
    got: dict[tuple[str, int], int] = {}
    for row in received:
        source, when, amount = row.get("source"), row.get("year"), row.get("amount")
        if isinstance(source, str) and isinstance(when, int) and isinstance(amount, int):
            got[(source, when)] = got.get((source, when), 0) + amount
    plan = {key: amount for key, amount in planned(case).items() if key[1] == year or key in got}
    order = list(brief.SOURCES)
    keys = sorted(set(plan) | set(got), key=lambda k: (order.index(k[0]) if k[0] in order else 99, k[1]))
    return [MoneyRow(s, y, plan.get((s, y), 0), got.get((s, y), 0)) for s, y in keys]


# --- due dates --------------------------------------------------------------------------


def all_rounds(session: Session) -> list[ReportRound]:
    return list(session.scalars(select(ReportRound).order_by(ReportRound.year.desc())))


def due_dates(session: Session) -> dict[int, date]:
    return {r.year: r.due_on for r in session.scalars(select(ReportRound))}


def set_round(session: Session, actor: User, year: int, due_on: date) -> ReportRound:
    """Set (or change) the due date of every case's report on `year`. Audited."""
    if not perm.is_admin(actor):
        raise PermissionDenied("只有國發會可以設定執行進度報告期限。")
    if due_on.year < year:
        raise DomainError(f"{year} 年的報告期限不能早於該年度（{rules.slash(due_on)}）。")
    item = session.get(ReportRound, year)
    before = f"（原為 {rules.slash(item.due_on)}）" if item is not None else ""
    if item is None:
        item = ReportRound(year=year, due_on=due_on)
        session.add(item)
    item.due_on, item.set_by_id, item.set_at = due_on, actor.id, utcnow()
    session.flush()
    operations.audit(session, actor, "report_round_set", reason=f"{year} 年報告期限 {rules.slash(due_on)}{before}")
    return item


# --- writing a report -------------------------------------------------------------------


class ReportConflict(DomainError):
    """The draft was saved elsewhere after this form was opened; nothing was written."""

    def __init__(self, current_version: int) -> None:
        super().__init__("這份報告在您編輯時已被另一個分頁或同事儲存，這次沒有儲存。您輸入的內容都還在下方。")
        self.current_version = current_version


class ReportInvalid(DomainError):
    """Submission refused; `problems` are by the field they belong beside."""

    def __init__(self, problems: list[followup.ReportProblem]) -> None:
        super().__init__(f"報告還有 {len(problems)} 個地方需要修正，這次沒有送出。")
        self.problems = problems


AMEND_REFUSED = "這份報告已完成年底檢核；需由輔導團重新開啟檢核後才能修正。"


def reports_of(session: Session, proposal: Proposal, year: int | None = None) -> list[ProgressReport]:
    """Submitted reports, by year then number."""
    query = select(ProgressReport).where(ProgressReport.proposal_id == proposal.id)
    if year is not None:
        query = query.where(ProgressReport.year == year)
    return list(session.scalars(query.order_by(ProgressReport.year, ProgressReport.number)))


def review_facts(session: Session, proposal: Proposal, year: int) -> list[followup.ReviewFact]:
    rows = session.execute(
        select(YearEndReview.id, ProgressReport.number, YearEndReopening.review_id)
        .join(ProgressReport, YearEndReview.report_id == ProgressReport.id)
        .outerjoin(YearEndReopening, YearEndReopening.review_id == YearEndReview.id)
        .where(YearEndReview.proposal_id == proposal.id, ProgressReport.year == year)
    )
    return [followup.ReviewFact(review_id, number, reopened is not None) for review_id, number, reopened in rows]


def check_writable(session: Session, proposal: Proposal, actor: User, year: int) -> ApprovedCase:
    """The case if `actor` may write its report on `year` now; raise with the reason otherwise."""
    closed = operations.is_closed(session, proposal)
    followup.plan_step(actor, proposal, followup.Step.REPORT_SUBMIT, closed=closed)
    case = approved_case(session, proposal)
    if case is None:
        raise DomainError("這件提案沒有核定紀錄，不能填寫執行進度報告。")
    if year not in case.years:
        span = f"{case.years[0]}–{case.years[-1]} 年" if case.years else "未定"
        raise DomainError(f"這件提案的執行期間是 {span}，沒有 {year} 年的報告。")
    latest = _latest_number(session, proposal, year)
    if latest and followup.is_reviewed(review_facts(session, proposal, year), latest):
        raise DomainError(AMEND_REFUSED)
    return case


def _latest_number(session: Session, proposal: Proposal, year: int) -> int:
    found = session.scalar(
        select(func.max(ProgressReport.number)).where(
            ProgressReport.proposal_id == proposal.id, ProgressReport.year == year
        )
    )
    return int(found or 0)


def draft_of(session: Session, proposal: Proposal, year: int) -> ReportDraft | None:
    return session.scalar(select(ReportDraft).where(ReportDraft.proposal_id == proposal.id, ReportDraft.year == year))


def starting_content(session: Session, proposal: Proposal, year: int) -> dict[str, Any]:
    """What a new draft starts from: the latest submitted report of the year (an
    amendment changes it), or nothing."""
    latest = session.scalar(
        select(ProgressReport)
        .where(ProgressReport.proposal_id == proposal.id, ProgressReport.year == year)
        .order_by(ProgressReport.number.desc())
        .limit(1)
    )
    return dict(latest.content) if latest is not None else {}


def save_draft(
    session: Session,
    proposal: Proposal,
    actor: User,
    year: int,
    section: str,
    value: Any,
    *,
    opened_at: int,
    overwrite: int | None = None,
) -> ReportDraft:
    """Save one section of the year's draft. `opened_at` is the draft's version when the
    form was opened (0: there was none); a save from an older copy raises ReportConflict
    unless `overwrite` names the version the user saw on the conflict page."""
    if section not in SECTIONS:
        raise DomainError("報告沒有這一節。")
    # Saves of one case wait for each other, so the version read below is the latest.
    operations.lock_proposal(session, proposal)
    check_writable(session, proposal, actor, year)
    draft = draft_of(session, proposal, year)
    current = draft.lock_version if draft is not None else 0
    if current not in (opened_at, overwrite):
        raise ReportConflict(current)
    if draft is None:
        start = starting_content(session, proposal, year)
        draft = ReportDraft(proposal_id=proposal.id, year=year, content=start, updated_by_id=actor.id)
        session.add(draft)
    draft.content = {**draft.content, section: value}
    draft.updated_by_id, draft.updated_at = actor.id, utcnow()
    try:
        with operations.refuse_stale("這份報告"):
            session.flush()
    except IntegrityError as error:  # another tab created the draft at the same moment
        raise ReportConflict(current) from error
    except operations.StaleRecord as error:
        raise ReportConflict(current) from error
    return draft


def submit(session: Session, proposal: Proposal, actor: User, year: int, summary: str) -> ProgressReport:
    """Freeze the year's draft as the next numbered report: number 1 is a submission,
    a later one an amendment (refused while the latest report's year-end review stands).
    Deletes the draft, audits the step and tells the case's reviewers and county."""
    operations.lock_proposal(session, proposal)
    case = check_writable(session, proposal, actor, year)
    draft = draft_of(session, proposal, year)
    if draft is None:
        raise DomainError(f"{year} 年的報告還沒有填寫任何內容。")
    content = {**draft.content, "summary": summary.strip()}
    content.setdefault("kpis", [])
    content.setdefault("businesses", [])
    content.setdefault("received", [])
    problems = followup.check_report(content, len(case.kpis), len(case.businesses), case.years, year)
    if not content["summary"]:
        problems.append(followup.ReportProblem("summary", "請填寫本年度執行概況。"))
    if problems:
        raise ReportInvalid(problems)
    number = _latest_number(session, proposal, year) + 1
    step = followup.Step.REPORT_AMEND if number > 1 else followup.Step.REPORT_SUBMIT
    report = ProgressReport(
        proposal_id=proposal.id,
        revision_id=case.revision.id,
        year=year,
        number=number,
        content=content,
        submitted_by_id=actor.id,
    )
    session.add(report)
    session.delete(draft)
    with operations.refuse_stale("這份報告"):
        session.flush()
    operations.audit(session, actor, step.value, proposal=proposal, reason=report.label)
    notifications.queue_step(session, proposal, followup.STEPS[step], actor, f"{step.label}（{report.label}）")
    return report


# --- what the pages show ----------------------------------------------------------------


@dataclass
class YearRow:
    """One report year of a case on its follow-up page."""

    year: int
    due_on: date | None
    state: str  # "none" | "draft" | "submitted" | "late"
    label: str
    reports: list[ProgressReport] = field(default_factory=list)
    writable: str = ""  # why the editor cannot write ("" when they can)


STATE_LABELS = {"none": "尚未填寫", "draft": "草稿", "late": "逾期未交"}


def year_rows(session: Session, proposal: Proposal, user: User, today: date) -> list[YearRow]:
    case = approved_case(session, proposal)
    if case is None:
        return []
    closed = operations.is_closed(session, proposal)
    dues = due_dates(session)
    submitted: dict[int, list[ProgressReport]] = {}
    for report in reports_of(session, proposal):
        submitted.setdefault(report.year, []).append(report)
    drafts = set(session.scalars(select(ReportDraft.year).where(ReportDraft.proposal_id == proposal.id)))
    rows = []
    for year in case.years:
        done = submitted.get(year, [])
        if year in drafts:
            state = "draft"
        elif done:
            state = "submitted"
        elif followup.is_late(dues.get(year), False, closed, today):
            state = "late"
        else:
            state = "none"
        label = f"已送出 v{done[-1].number}" if state == "submitted" else STATE_LABELS[state]
        if state == "draft" and done:
            label = f"已送出 v{done[-1].number}；修正草稿"
        elif state == "draft" and followup.is_late(dues.get(year), False, closed, today):
            label = "草稿（逾期未交）"
        row = YearRow(year, dues.get(year), state, label, done)
        if perm.is_editor(user, proposal):
            try:
                check_writable(session, proposal, user, year)
            except DomainError as error:
                row.writable = str(error)
        else:
            row.writable = "-"
        rows.append(row)
    return rows


def panel(session: Session, proposal: Proposal, user: User) -> dict[str, Any]:
    """What the case's follow-up page shows of this part to `user`, as template context."""
    if not followup.reads_reports(user, proposal):
        return {}
    return {
        "reports_years": year_rows(session, proposal, user, operations.taiwan_today()),
        "reports_editor": perm.is_editor(user, proposal),
    }


@dataclass(frozen=True)
class LateReport:
    proposal: Proposal
    year: int
    due_on: date


def late_reports(session: Session, user: User, today: date) -> tuple[list[LateReport], int]:
    """Reports past their due date without a submission, of the cases `user` follows
    (their township's, their county's, every one for the NDC): the first
    DASHBOARD_LIMIT and how many in all. Three queries whatever the number of cases."""
    dues = {year: due for year, due in due_dates(session).items() if due < today}
    if not dues:
        return [], 0
    query = (
        select(Proposal, Decision, Revision)
        .join(Decision, Decision.proposal_id == Proposal.id)
        .join(Revision, Revision.id == Decision.revision_id)
        .outerjoin(CaseClosing, CaseClosing.proposal_id == Proposal.id)
        .where(
            Proposal.status.in_([s.value for s in followup.FOLLOWED_STATES]),
            Decision.outcome == Action.APPROVE.value,
            CaseClosing.proposal_id.is_(None),
        )
        .order_by(Proposal.id, Decision.id)
        .options(joinedload(Proposal.lead_township).joinedload(Township.county))
    )
    if user.role == Role.TOWNSHIP:
        query = query.where(Proposal.lead_township_code == user.township_code, Proposal.author_county_code.is_(None))
    elif user.role == Role.COUNTY:
        query = query.where(Proposal.county_code == user.county_code)
    elif user.role != Role.ADMIN:
        return [], 0
    cases: dict[int, tuple[Proposal, ApprovedCase]] = {}
    for proposal, decision, revision in session.execute(query):
        cases[proposal.id] = (proposal, _case_of(decision, revision))  # the latest approval wins
    if not cases:
        return [], 0
    submitted = {
        (proposal_id, year)
        for proposal_id, year in session.execute(
            select(ProgressReport.proposal_id, ProgressReport.year)
            .where(ProgressReport.proposal_id.in_(cases), ProgressReport.year.in_(dues))
            .distinct()
        )
    }
    late = [
        LateReport(proposal, year, dues[year])
        for proposal, case in cases.values()
        for year in case.years
        if year in dues and followup.is_late(dues[year], (proposal.id, year) in submitted, False, today)
    ]
    late.sort(key=lambda r: (r.due_on, r.proposal.id))
    return late[:DASHBOARD_LIMIT], len(late)


def dashboard(session: Session, user: User) -> dict[str, Any]:
    """What the home page flags of this part to `user`, as template context."""
    late, count = late_reports(session, user, operations.taiwan_today())
    return {"reports_late": late, "reports_late_count": count}


# --- reminders --------------------------------------------------------------------------


def _threshold(due_on: date, on: date, days: tuple[int, ...]) -> int | None:
    """The nearest reminder threshold the due date is within (a missed run still sends later)."""
    left = rules.days_left(due_on, on)
    within = [d for d in days if 0 <= left <= d]
    return min(within) if within else None


def send_reminders(session: Session, on: date, days: tuple[int, ...]) -> int:
    """Queue a reminder `days` before each year's due date to the editors of every
    followed, not closed case that reports on that year and has not submitted. Each
    (case, year, due date, threshold, account) is reminded once (ReportReminder).
    Returns how many messages were queued."""
    queued = 0
    for item in all_rounds(session):
        threshold = _threshold(item.due_on, on, days)
        if threshold is None:
            continue
        proposals = session.scalars(
            select(Proposal)
            .outerjoin(CaseClosing, CaseClosing.proposal_id == Proposal.id)
            .where(
                Proposal.status.in_([s.value for s in followup.FOLLOWED_STATES]),
                CaseClosing.proposal_id.is_(None),
                ~select(ProgressReport.id)
                .where(ProgressReport.proposal_id == Proposal.id, ProgressReport.year == item.year)
                .exists(),
            )
            .order_by(Proposal.id)
        ).all()
        for proposal in proposals:
            case = approved_case(session, proposal)
            if case is None or item.year not in case.years:
                continue
            sent = set(
                session.scalars(
                    select(ReportReminder.recipient_id).where(
                        ReportReminder.proposal_id == proposal.id,
                        ReportReminder.year == item.year,
                        ReportReminder.due_on == item.due_on,
                        ReportReminder.days_before == threshold,
                    )
                )
            )
            for user in notifications.recipients(session, proposal, [Audience.EDITORS]):
                if user.id in sent:
                    continue
                message = _reminder(proposal, item, on, user)
                session.add(message)
                session.flush()
                session.add(
                    ReportReminder(
                        proposal_id=proposal.id,
                        year=item.year,
                        due_on=item.due_on,
                        days_before=threshold,
                        recipient_id=user.id,
                        message_id=message.id,
                    )
                )
                queued += 1
    session.flush()
    return queued


def _reminder(proposal: Proposal, item: ReportRound, on: date, user: User) -> OutboxMessage:
    left = rules.days_left(item.due_on, on)
    when = "今天到期" if left == 0 else f"還有 {left} 天"
    title = proposal.title or "未命名提案"
    return OutboxMessage(
        recipient_id=user.id,
        event="report_reminder",
        proposal_id=proposal.id,
        subject=f"【地方創生提案】{title}：{item.year} 年執行進度報告期限 {rules.slash(item.due_on)}（{when}）",
        body="\n".join(
            [
                f"提案：{title}（{proposal.lead_township.full_name}）",
                f"{item.year} 年的執行進度報告請於 {rules.slash(item.due_on)} 前送出（{when}）。",
                "請到提案的「執行追蹤」頁面填寫 KPI 實際值、事業執行狀態與經費實際到位情形。",
            ]
        ),
    )


reports_group = AppGroup("reports", help="執行進度報告。")


@reports_group.command("remind")
def remind_command() -> None:
    """在執行進度報告期限前（PORTAL_REPORT_REMINDER_DAYS 天，預設 14,3）提醒尚未送出的公所；每則只送一次。"""
    try:
        days = rules.reminder_days(str(current_app.config.get("REPORT_REMINDER_DAYS", DEFAULT_REMINDER_DAYS)))
    except ValueError as error:
        raise CliError(f"PORTAL_REPORT_REMINDER_DAYS：{error}") from error
    dbs = db.session()
    on = operations.taiwan_today()
    queued = send_reminders(dbs, on, days)
    dbs.commit()
    click.echo(
        f"{rules.slash(on)}：已將 {queued} 則執行進度報告期限提醒放入通知佇列（提前 {'、'.join(map(str, days))} 天）。"
    )
