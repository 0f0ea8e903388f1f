"""Operations that change proposals. Views and the CLI call these, never the models.

Each function flushes but does not commit: the caller commits once, so a failure
anywhere leaves nothing half-written.
"""

from __future__ import annotations

import copy
from datetime import datetime

from sqlalchemy.orm import Session

from portal import notifications
from portal.db.models import (
    AuditEvent,
    Proposal,
    ProposalTownship,
    Revision,
    Township,
    User,
    utcnow,
)
from portal.domain import permissions as perm
from portal.domain.errors import DomainError, PermissionDenied
from portal.domain.proposal import ProposalType, empty_document
from portal.domain.states import State
from portal.domain.workflow import TRANSITIONS, Action, Transition, plan

# Audit actions that are not workflow moves, with their labels.
OTHER_ACTIONS = {
    "create": "建立提案",
    "user_add": "新增帳號",
    "user_disable": "停用帳號",
    "user_enable": "啟用帳號",
    "password_link": "發出設定密碼連結",
    "programme_add": "新增部會計畫",
    "programme_edit": "修改部會計畫",
    "priority_import": "匯入優先推動地區",
}


def action_labels() -> dict[str, str]:
    """Every audit action with its Chinese label, workflow moves first."""
    return {a.value: t.label for a, t in TRANSITIONS.items()} | OTHER_ACTIONS


def audit(
    session: Session,
    actor: User | None,
    action: str,
    *,
    proposal: Proposal | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
    reason: str = "",
    at: datetime | None = None,
) -> AuditEvent:
    """Append an audit event; `actor` None means the command line or the system."""
    event = AuditEvent(
        at=at or utcnow(),
        actor_id=actor.id if actor else None,
        actor_label=f"{actor.name} <{actor.email}>" if actor else "系統（命令列）",
        action=action,
        proposal_id=proposal.id if proposal else None,
        from_state=from_state,
        to_state=to_state,
        reason=reason.strip(),
    )
    session.add(event)
    return event


def create_proposal(
    session: Session,
    actor: User,
    *,
    cycle: str,
    proposal_type: ProposalType,
    lead_township_code: str,
    title: str = "",
    participating_codes: list[str] | None = None,
) -> Proposal:
    """Start a draft. Townships propose for themselves; a county's draft is its own."""
    lead = session.get(Township, lead_township_code)
    if lead is None:
        raise DomainError(f"找不到鄉鎮市區代碼「{lead_township_code}」")
    if not perm.can_create(actor, proposal_type, lead.county_code):
        raise PermissionDenied("您的帳號不能建立這種提案。")
    if actor.role == "township" and actor.township_code != lead.code:
        raise PermissionDenied("鄉鎮市區公所只能以自己的鄉鎮市區為主提案單位。")
    proposal = Proposal(
        cycle=cycle,
        type=proposal_type.value,
        title=title.strip(),
        lead_township_code=lead.code,
        county_code=lead.county_code,
        author_county_code=actor.county_code if actor.role == "county" else None,
        created_by_id=actor.id,
        content=empty_document(),
    )
    proposal.lead_township = lead
    set_participants(session, proposal, participating_codes or [])
    session.add(proposal)
    session.flush()
    audit(session, actor, "create", proposal=proposal, to_state=State.DRAFT)
    return proposal


def set_participants(session: Session, proposal: Proposal, codes: list[str]) -> None:
    """Replace the participating townships; unknown codes are refused, the lead is skipped."""
    unique = [c for c in dict.fromkeys(codes) if c != proposal.lead_township_code]
    unknown = [c for c in unique if session.get(Township, c) is None]
    if unknown:
        raise DomainError(f"找不到鄉鎮市區代碼「{'、'.join(unknown)}」")
    proposal.participants = [ProposalTownship(township_code=c) for c in unique]


def apply_transition(
    session: Session, proposal: Proposal, action: Action, actor: User, reason: str = ""
) -> Transition:
    """Move `proposal` by `action`, after `workflow.plan` allowed it.

    Side effects, all in the caller's transaction:
    - the proposal's status (and updated time) change to the transition's target;
    - on submit, an immutable revision v1, v2, ... of the current content is frozen;
    - an audit event records actor, UTC time, from, to and reason;
    - one outbox message is queued for each person the transition notifies.
    Raises DomainError (or a subclass) and changes nothing when the move is refused.
    """
    transition = plan(actor, proposal, action, reason)
    from_state = proposal.status
    now = utcnow()
    if action == Action.SUBMIT:
        proposal.revision_count += 1
        session.add(
            Revision(
                proposal_id=proposal.id,
                number=proposal.revision_count,
                title=proposal.title,
                content=copy.deepcopy(proposal.content),
                participating_codes=sorted(proposal.participating_codes),
                created_at=now,
                created_by_id=actor.id,
            )
        )
    proposal.status = transition.target.value
    proposal.updated_at = now
    audit(
        session,
        actor,
        action.value,
        proposal=proposal,
        from_state=from_state,
        to_state=transition.target.value,
        reason=reason,
        at=now,
    )
    notifications.queue_transition(session, proposal, transition, actor, reason)
    session.flush()
    return transition
