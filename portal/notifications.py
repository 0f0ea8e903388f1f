"""Turning workflow events into messages in the outbox, one per recipient."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.db.models import OutboxMessage, Proposal, User
from portal.domain.followup import FollowStep
from portal.domain.roles import Role
from portal.domain.workflow import Audience, Transition


def recipients(session: Session, proposal: Proposal, audiences: Iterable[Audience]) -> list[User]:
    """The active accounts behind each audience, each once, in a stable order."""
    found: dict[int, User] = {}
    for audience in audiences:
        query = select(User).where(User.active.is_(True))
        if audience == Audience.EDITORS:
            if proposal.author_county_code:
                query = query.where(User.role == Role.COUNTY, User.county_code == proposal.author_county_code)
            else:
                query = query.where(User.role == Role.TOWNSHIP, User.township_code == proposal.lead_township_code)
        elif audience == Audience.COUNTY:
            query = query.where(User.role == Role.COUNTY, User.county_code == proposal.county_code)
        elif audience == Audience.PARTNERS:
            partners = proposal.partner_county_codes or {""}
            query = query.where(User.role == Role.COUNTY, User.county_code.in_(partners))
        elif audience == Audience.REVIEWERS:
            query = query.where(User.id.in_(proposal.reviewer_ids or {-1}))
        else:
            query = query.where(User.role == Role.ADMIN)
        for user in session.scalars(query.order_by(User.id)):
            found.setdefault(user.id, user)
    return list(found.values())


def queue(
    session: Session, proposal: Proposal, users: Iterable[User], event: str, what: str, body: str | None = None
) -> None:
    """One message about `proposal` to each of `users`: the subject names the proposal and
    `what` happened; the body, unless given, names the proposal and its lead township."""
    title = proposal.title or "未命名提案"
    text = body if body is not None else f"提案：{title}（{proposal.lead_township.full_name}）\n{what}"
    for user in users:
        session.add(
            OutboxMessage(
                recipient_id=user.id,
                event=event,
                proposal_id=proposal.id,
                subject=f"【地方創生提案】{title}：{what}",
                body=text,
            )
        )


def queue_to(session: Session, user: User, event: str, subject: str, body: str) -> OutboxMessage:
    """One message to one account that concerns no proposal (e.g. a password link)."""
    message = OutboxMessage(recipient_id=user.id, event=event, proposal_id=None, subject=subject, body=body)
    session.add(message)
    return message


def admins(session: Session) -> list[User]:
    """The NDC's active accounts."""
    return list(session.scalars(select(User).where(User.role == Role.ADMIN, User.active.is_(True)).order_by(User.id)))


# What a partner county of a cross-county plan is asked to do when the plan reaches it.
PARTNER_NOTE = "貴縣市有鄉鎮市區參與這件跨縣市提案：請到提案頁面按「同意參與」，主提案縣市才能轉送國發會。"


def queue_transition(
    session: Session, proposal: Proposal, transition: Transition, actor: User, reason: str
) -> list[OutboxMessage]:
    """Queue one message per recipient of `transition`; the actor is not told of their own act."""
    subject = f"【地方創生提案】{proposal.title or '未命名提案'}：{transition.label}"
    lines = [
        f"提案：{proposal.title or '未命名提案'}（{proposal.lead_township.full_name}）",
        f"動作：{transition.label}，由 {actor.name}（{actor.role_enum.label}）執行",
        f"目前狀態：{transition.target.label}",
    ]
    if reason.strip():
        lines.append(f"說明：{reason.strip()}")
    partners = proposal.partner_county_codes if Audience.PARTNERS in transition.notify else set()
    messages = [
        OutboxMessage(
            recipient_id=user.id,
            event=transition.action.value,
            proposal_id=proposal.id,
            subject=subject,
            body="\n".join(lines + ([PARTNER_NOTE] if user.county_code in partners else [])),
        )
        for user in recipients(session, proposal, transition.notify)
        if user.id != actor.id
    ]
    session.add_all(messages)
    return messages


def queue_step(
    session: Session, proposal: Proposal, step: FollowStep, actor: User, what: str, body: str | None = None
) -> None:
    """Tell the audiences of a follow-up step (portal.domain.followup.STEPS) what
    happened; the actor is not told of their own act."""
    people = recipients(session, proposal, [Audience(a) for a in step.notify])
    queue(session, proposal, [u for u in people if u.id != actor.id], step.step.value, what, body)
