"""The demo's second half of a case's life (followup.yaml): cases of earlier years moved
to their own year's 會報, then their counselling log, yearly progress reports, year-end
reviews and closing, each through the portal's own operations."""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from portal import counsel, meetings, operations, reports, yearend
from portal.db.models import AgendaItem, CounselIssue, Decision, Meeting, Proposal, ReportRound, User
from portal.domain.followup import LogKind
from portal.domain.meetings import MeetingKind
from portal.domain.workflow import Action

FOLLOWUP = Path(__file__).with_name("followup.yaml")
# libyaml's parser where PyYAML has it (several times faster than the Python one, same data).
YAML_LOADER: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@cache
def plan() -> dict[str, Any]:
    """followup.yaml, read once per process (every approved case looks itself up in it)."""
    loaded: dict[str, Any] = yaml.load(FOLLOWUP.read_text("utf-8"), Loader=YAML_LOADER)
    return loaded


def report_rounds(session: Session, admin: User) -> None:
    """Each year's report due date, set once (a second demo run leaves them alone)."""
    for year, due in plan()["report_rounds"].items():
        if session.get(ReportRound, int(year)) is None:
            reports.set_round(session, admin, int(year), date.fromisoformat(due))


def follow(session: Session, proposal: Proposal, slug: str, admin: User) -> None:
    """Everything followup.yaml says happened to the newly approved case `slug`."""
    story = plan()["cases"].get(slug)
    if story is None:
        return
    if "decided" in story:
        _backdate(session, proposal, admin, story["decided"])
    companion = _companion(session, proposal)
    author = session.get(User, proposal.created_by_id)
    assert author is not None
    for item in story.get("log", []):
        _log(session, proposal, companion, item)
    for item in story.get("reports", []):
        _report(session, proposal, author, companion, item)
    closing = story.get("closing")
    if closing:
        yearend.close_case(session, proposal, admin, closing["rating"], closing["lessons"], closing["review"])


def _backdate(session: Session, proposal: Proposal, admin: User, decided: dict[str, Any]) -> None:
    """A demo does a year's work in a day, so its cases are all decided today; a case of
    an earlier year is moved to the 會報 of its own year, agenda item and all."""
    held_on = date.fromisoformat(decided["date"])
    number = int(decided["meeting"])
    meeting = session.scalar(
        select(Meeting).where(Meeting.kind == MeetingKind.COUNCIL.value, Meeting.number == number)
    ) or meetings.create_meeting(session, admin, kind=MeetingKind.COUNCIL, number=number, held_on=held_on, note="核定")
    decision = session.scalars(
        select(Decision)
        .where(Decision.proposal_id == proposal.id, Decision.outcome == Action.APPROVE.value)
        .order_by(Decision.id.desc())
    ).first()
    assert decision is not None
    session.execute(delete(AgendaItem).where(AgendaItem.proposal_id == proposal.id))
    session.add(AgendaItem(meeting_id=meeting.id, proposal_id=proposal.id, added_by_id=admin.id))
    decision.meeting_id, decision.meeting, decision.decided_on = meeting.id, meeting.name, held_on
    session.flush()


def _companion(session: Session, proposal: Proposal) -> User:
    """The reviewer who accompanies the case: its first assigned reviewer."""
    reviewer = session.get(User, min(proposal.reviewer_ids))
    assert reviewer is not None
    return reviewer


def _day(value: str) -> date:
    return operations.taiwan_today() if value == "today" else date.fromisoformat(value)


def _log(session: Session, proposal: Proposal, companion: User, item: dict[str, Any]) -> None:
    issues = [
        counsel.IssueInput(i["description"], i["owner"], date.fromisoformat(i["due"]) if i.get("due") else None)
        for i in item.get("issues", [])
    ]
    entry = counsel.add_entry(
        session,
        proposal,
        companion,
        kind=LogKind(item["kind"]),
        held_on=_day(item["date"]),
        place=item["place"],
        attendees=item["attendees"],
        notes=item["notes"],
        visible_to_township=bool(item["township"]),
        issues=issues,
    )
    rows = session.scalars(select(CounselIssue).where(CounselIssue.entry_id == entry.id).order_by(CounselIssue.id))
    for issue, typed in zip(rows, item.get("issues", []), strict=True):
        if typed.get("resolved"):
            counsel.resolve_issue(session, issue, companion, typed["resolved"])


def _report(session: Session, proposal: Proposal, author: User, companion: User, item: dict[str, Any]) -> None:
    year = int(item["year"])
    sources = item.get("sources", [])
    sections = {
        "kpis": [
            {"index": n, "actual": value, "source": sources[n] if n < len(sources) else "", "note": ""}
            for n, value in enumerate(item["kpis"])
        ],
        "businesses": [{"index": n, "status": status, "note": ""} for n, status in enumerate(item["businesses"])],
        "received": [{"note": "", **row} for row in item.get("received", [])],
    }
    version = 0
    for section, value in sections.items():
        version = reports.save_draft(session, proposal, author, year, section, value, opened_at=version).lock_version
    report = reports.submit(session, proposal, author, year, item["summary"])
    accepted = item.get("accept", [n for n, value in enumerate(item["kpis"]) if value is not None])
    given = item["review"]
    yearend.review_report(
        session, report, companion, given["rating"], given["comment"], given["internal"], list(accepted)
    )
