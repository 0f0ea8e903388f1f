"""Operations on 地方創生會報 meetings: recording them, their agendas of screened
proposals, and the decisions taken at them.

Like `portal.operations`, these flush but never commit; each raises a DomainError
(with a message for the user) and changes nothing when refused."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from portal import operations, review
from portal.db.models import AgendaItem, Decision, Meeting, Proposal, Review, Revision, User
from portal.domain import permissions as perm
from portal.domain import scoring
from portal.domain.errors import DomainError, PermissionDenied
from portal.domain.meetings import MeetingKind, date_problem, meeting_name, too_early
from portal.domain.states import State


class MeetingError(DomainError):
    """A meeting was refused; `field` names the input it is about."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def _require_admin(actor: User) -> None:
    if not perm.is_admin(actor):
        raise PermissionDenied("只有國發會秘書單位可以管理會報會議。")


def create_meeting(
    session: Session, actor: User, *, kind: MeetingKind, number: int, held_on: date, note: str = ""
) -> Meeting:
    """Record a meeting; its number is unique among meetings of its kind."""
    _require_admin(actor)
    if number < 1:
        raise MeetingError("次別必須是 1 以上的整數。", field="number")
    problem = date_problem(held_on)
    if problem:
        raise MeetingError(problem, field="held_on")
    if _taken(session, kind, number):
        raise MeetingError(_taken_message(kind, number), field="number")
    meeting = Meeting(kind=kind.value, number=number, held_on=held_on, name=meeting_name(kind, number), note=note)
    try:
        with session.begin_nested():
            session.add(meeting)
            session.flush()
    except IntegrityError as error:  # the same number recorded at once from another tab
        raise MeetingError(_taken_message(kind, number), field="number") from error
    operations.audit(session, actor, "meeting_add", reason=f"{meeting.name}（{held_on.isoformat()}）")
    return meeting


def _taken(session: Session, kind: MeetingKind, number: int) -> Meeting | None:
    return session.scalar(select(Meeting).where(Meeting.kind == kind.value, Meeting.number == number))


def _taken_message(kind: MeetingKind, number: int) -> str:
    return f"第 {number} 次{kind.label}已經登錄過；同一種會議的次別不能重複，請確認次別。"


def get_meeting(session: Session, meeting_id: int | None) -> Meeting:
    meeting = session.get(Meeting, meeting_id) if meeting_id is not None else None
    if meeting is None:
        raise MeetingError("找不到這次會議，請重新選擇。", field="meeting")
    return meeting


def all_meetings(session: Session) -> list[Meeting]:
    """Every meeting, the latest first."""
    return list(session.scalars(select(Meeting).order_by(Meeting.held_on.desc(), Meeting.id.desc())))


def refuse_if_too_early(meeting: Meeting, proposal: Proposal) -> None:
    submitted = review.submitted_on(proposal)
    problem = too_early(meeting.held_on, submitted) if submitted else None
    if problem:
        raise MeetingError(problem, field="meeting")


# --- agenda -------------------------------------------------------------------------------


def screened(session: Session, rubric: scoring.Rubric) -> list[Proposal]:
    """Proposals in review whose current revision passed the 三高 screening (進行後續媒合),
    oldest first: the cases the NDC may put on a meeting's agenda."""
    rows = session.execute(
        select(Proposal, Review)
        .join(Revision, Revision.proposal_id == Proposal.id)
        .join(Review, Review.revision_id == Revision.id)
        .where(Proposal.status == State.IN_REVIEW, Revision.number == Proposal.revision_count, Review.standing())
        .order_by(Proposal.id, Review.id)
    )
    proposals: dict[int, Proposal] = {}
    reviews: dict[int, list[Review]] = defaultdict(list)
    for proposal, written in rows:
        proposals[proposal.id] = proposal
        reviews[proposal.id].append(written)
    passed = []
    for proposal_id, proposal in proposals.items():
        scores = review.scores_of(reviews[proposal_id])
        result = scoring.screen(
            rubric,
            scoring.summarise(rubric, scores),
            [s.cross_domain for s in scores],
            [s.cross_ministry for s in scores],
        )
        if result is not None and result.proceed:
            passed.append(proposal)
    return passed


def add_to_agenda(
    session: Session, meeting: Meeting, proposal: Proposal, actor: User, rubric: scoring.Rubric
) -> AgendaItem:
    """Put a proposal that passed the screen of `rubric` on a meeting's agenda."""
    _require_admin(actor)
    if proposal not in screened(session, rubric):
        raise MeetingError("只有仍在審查中、目前版本通過三高篩選（進行後續媒合）的提案可以列入議程。", field="proposal")
    if session.get(AgendaItem, (meeting.id, proposal.id)) is not None:
        raise MeetingError(f"「{proposal.title}」已經列在{meeting.name}的議程。", field="proposal")
    refuse_if_too_early(meeting, proposal)
    item = AgendaItem(meeting_id=meeting.id, proposal_id=proposal.id, added_by_id=actor.id)
    try:
        with session.begin_nested():
            session.add(item)
            session.flush()
    except IntegrityError as error:  # added at once from another tab
        raise MeetingError(f"「{proposal.title}」已經列在{meeting.name}的議程。", field="proposal") from error
    operations.audit(session, actor, "agenda_add", proposal=proposal, reason=meeting.name)
    return item


def agenda(session: Session, meeting: Meeting) -> list[Proposal]:
    """The proposals on the meeting's agenda, in the order they were added."""
    return list(
        session.scalars(
            select(Proposal)
            .join(AgendaItem, AgendaItem.proposal_id == Proposal.id)
            .options(joinedload(Proposal.lead_township))
            .where(AgendaItem.meeting_id == meeting.id)
            .order_by(AgendaItem.added_at, Proposal.id)
        )
    )


def decisions_at(session: Session, meeting: Meeting) -> list[tuple[Decision, Proposal]]:
    """The decisions taken at the meeting, each with its proposal, in the order taken."""
    rows = session.execute(
        select(Decision, Proposal)
        .join(Proposal, Proposal.id == Decision.proposal_id)
        .where(Decision.meeting_id == meeting.id)
        .order_by(Decision.id)
    )
    return [(decision, proposal) for decision, proposal in rows]
