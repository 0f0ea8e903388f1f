"""The counselling log of approved cases: visits, meetings and calls, and the issues they raise.

Like the other operations these flush, never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session, selectinload

from portal import notifications, operations
from portal.db.models import (
    CounselEntry,
    CounselIssue,
    Proposal,
    ProposalTownship,
    User,
    utcnow,
)
from portal.domain import followup
from portal.domain.errors import DomainError
from portal.domain.followup import IssueOwner, IssueStatus, LogKind, Step
from portal.domain.roles import Role
from portal.domain.workflow import Audience

MAX_ISSUES = 5
# Column and form budgets, in characters.
PLACE_MAX = 120
DESCRIPTION_MAX = 200
RESOLUTION_MAX = 1000
# How many overdue issues the home page lists before it says there are more.
DASHBOARD_LIMIT = 20


class CounselError(DomainError):
    """An entry or a resolution was refused; `field` names the input it is about
    (`held_on`, `notes`, `issues-1-due_on`, …)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class IssueInput:
    """An issue (問題) raised by an entry: what, who must act on it, by when."""

    description: str
    owner: str
    due_on: date | None = None


def _check_entry(held_on: date, decided_on: date | None, notes: str, place: str, issues: list[IssueInput]) -> None:
    today = operations.taiwan_today()
    if held_on > today:
        raise CounselError(f"日期不能是未來的日期（今天是 {today.isoformat()}）。", field="held_on")
    if decided_on is not None and held_on < decided_on:
        raise CounselError(f"日期不能早於核定日期 {decided_on.isoformat()}。", field="held_on")
    if len(place) > PLACE_MAX:
        raise CounselError(f"地點請在 {PLACE_MAX} 字以內。", field="place")
    if not notes:
        raise CounselError("請填寫紀錄內容。", field="notes")
    if len(issues) > MAX_ISSUES:
        raise CounselError(f"一筆紀錄最多提出 {MAX_ISSUES} 項問題。", field="issues")
    owners = {o.value for o in IssueOwner}
    for n, issue in enumerate(issues):
        if not issue.description.strip():
            raise CounselError("請填寫問題內容。", field=f"issues-{n}-description")
        if len(issue.description.strip()) > DESCRIPTION_MAX:
            raise CounselError(f"問題內容請在 {DESCRIPTION_MAX} 字以內。", field=f"issues-{n}-description")
        if issue.owner not in owners:
            raise CounselError("請選擇負責處理的單位。", field=f"issues-{n}-owner")
        if issue.due_on is not None and issue.due_on < held_on:
            raise CounselError(f"期限不能早於紀錄日期 {held_on.isoformat()}。", field=f"issues-{n}-due_on")


def add_entry(
    session: Session,
    proposal: Proposal,
    actor: User,
    *,
    kind: LogKind,
    held_on: date,
    place: str,
    attendees: str,
    notes: str,
    visible_to_township: bool,
    issues: list[IssueInput],
) -> CounselEntry:
    """Log a visit, meeting or call of the case's counselling team with the issues it
    raised (at most five), all in one flush: the entry is written once.

    Refused unless `actor` counsels the approved, open case; the date may be neither in
    the future nor before the approval. Side effects: an audit event (its reason names
    only the date and kind of an entry marked for the township, nothing of an internal
    one) and, for an entry marked for the township, a message to the case's editors."""
    with operations.refuse_stale():
        operations.lock_proposal(session, proposal)
        step = followup.plan_step(actor, proposal, Step.LOG, closed=operations.is_closed(session, proposal))
        decision = operations.approval(session, proposal)
        notes, place, attendees = notes.strip(), place.strip(), attendees.strip()
        _check_entry(held_on, decision.decided_on if decision else None, notes, place, issues)
        entry = CounselEntry(
            proposal_id=proposal.id,
            kind=LogKind(kind).value,
            held_on=held_on,
            place=place,
            attendees=attendees,
            notes=notes,
            visible_to_township=visible_to_township,
            author_id=actor.id,
        )
        session.add(entry)
        for issue in issues:
            session.add(
                CounselIssue(
                    proposal_id=proposal.id,
                    entry=entry,
                    description=issue.description.strip(),
                    owner=issue.owner,
                    due_on=issue.due_on,
                    status=IssueStatus.OPEN.value,
                )
            )
        session.flush()
        what = f"{held_on.isoformat()} {LogKind(kind).label}"
        operations.audit(
            session,
            actor,
            step.step.value,
            proposal=proposal,
            reason=f"{what}{f'，提出 {len(issues)} 項問題' if issues else ''}（公所可見）"
            if visible_to_township
            else "",
        )
        if visible_to_township:
            _tell_editors(session, proposal, actor, what, issues)
        return entry


def _tell_editors(session: Session, proposal: Proposal, actor: User, what: str, issues: list[IssueInput]) -> None:
    """The township (or the authoring county) hears of an entry marked for it; nobody
    outside the team hears of an internal one."""
    title = proposal.title or "未命名提案"
    lines = [
        f"提案：{title}（{proposal.lead_township.full_name}）",
        f"輔導團登錄了一筆輔導紀錄：{what}",
    ]
    lines += [
        f"・問題：{i.description.strip()}（{IssueOwner(i.owner).label}"
        + (f"，期限 {i.due_on.isoformat()}）" if i.due_on else "）")
        for i in issues
    ]
    lines.append("請到提案的「執行追蹤」頁查看。")
    people = notifications.recipients(session, proposal, [Audience.EDITORS])
    notifications.queue(
        session, proposal, [u for u in people if u.id != actor.id], Step.LOG.value, "新的輔導紀錄", "\n".join(lines)
    )


def resolve_issue(session: Session, issue: CounselIssue, actor: User, resolution: str) -> CounselIssue:
    """Mark an open issue resolved, saying how. Refused unless `actor` counsels the case
    (also after it is closed). Side effect: an audit event naming the issue by number."""
    proposal = issue.proposal
    with operations.refuse_stale():
        operations.lock_proposal(session, proposal)
        step = followup.plan_step(actor, proposal, Step.ISSUE_RESOLVE, closed=operations.is_closed(session, proposal))
        session.refresh(issue)
        resolution = resolution.strip()
        if not resolution:
            raise CounselError("請說明問題如何解決。", field="resolution")
        if len(resolution) > RESOLUTION_MAX:
            raise CounselError(f"解決方式請在 {RESOLUTION_MAX} 字以內。", field="resolution")
        if issue.status != IssueStatus.OPEN:
            raise CounselError("這項問題已經標示為解決。", field="resolution")
        issue.status = IssueStatus.RESOLVED.value
        issue.resolution = resolution
        issue.resolved_by_id = actor.id
        issue.resolved_at = utcnow()
        session.flush()
        operations.audit(session, actor, step.step.value, proposal=proposal, reason=f"輔導問題 #{issue.id}")
        return issue


def panel(session: Session, proposal: Proposal, user: User) -> dict[str, Any]:
    """What the case's follow-up page shows of this part to `user`, as template context.

    The team, the NDC and the counties involved read every entry; the townships involved
    read only the entries marked for them, with their issues; anyone else reads none.
    Three queries whatever the log's length (closing, entries, their issues)."""
    internal = followup.reads_internal_log(user, proposal)
    township = not internal and followup.reads_township_log(user, proposal)
    entries: list[CounselEntry] = []
    if internal or township:
        query = (
            select(CounselEntry)
            .where(CounselEntry.proposal_id == proposal.id)
            .options(selectinload(CounselEntry.issues))
            .order_by(CounselEntry.held_on.desc(), CounselEntry.id.desc())
        )
        if township:
            query = query.where(CounselEntry.visible_to_township.is_(True))
        entries = list(session.scalars(query))
    today = operations.taiwan_today()
    counsels = followup.counsels(user, proposal)
    return {
        "counsel_shown": internal or township,
        "counsel_internal": internal,
        "counsel_entries": entries,
        "counsel_overdue": {
            i.id for e in entries for i in e.issues if followup.issue_overdue(i.status, i.due_on, today)
        },
        "counsel_can_write": counsels and not operations.is_closed(session, proposal),
        "counsel_can_resolve": counsels,
    }


def dashboard(session: Session, user: User) -> dict[str, Any]:
    """What the home page flags of this part to `user`, as template context: open issues
    past their due date, every case's for the NDC, for a county those of the cases its
    townships lead or take part in; nobody else. One query."""
    if user.role == Role.ADMIN:
        scope = None
    elif user.role == Role.COUNTY and user.county_code:
        partner = exists().where(
            ProposalTownship.proposal_id == Proposal.id,
            func.substr(ProposalTownship.township_code, 1, 5) == user.county_code,
        )
        scope = or_(Proposal.county_code == user.county_code, partner)
    else:
        return {"counsel_overdue_issues": [], "counsel_overdue_more": False}
    query = (
        select(CounselIssue, Proposal.title)
        .join(Proposal, Proposal.id == CounselIssue.proposal_id)
        .where(CounselIssue.status == IssueStatus.OPEN.value, CounselIssue.due_on < operations.taiwan_today())
        .order_by(CounselIssue.due_on, CounselIssue.id)
        .limit(DASHBOARD_LIMIT + 1)
    )
    if scope is not None:
        query = query.where(scope)
    rows = [(issue, title) for issue, title in session.execute(query)]
    return {"counsel_overdue_issues": rows[:DASHBOARD_LIMIT], "counsel_overdue_more": len(rows) > DASHBOARD_LIMIT}
