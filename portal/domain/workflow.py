"""The table of allowed moves between proposal states, and the check before each move.

`plan` is the only judge of whether a move may happen. Applying it (status change,
revision, audit event, notifications) is `portal.operations.apply_transition`.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

from portal.domain import permissions as perm
from portal.domain.errors import DomainError, IllegalTransition, PermissionDenied
from portal.domain.states import OPEN_STATES, State


class Action(enum.StrEnum):
    SUBMIT = "submit"
    FORWARD = "forward"
    RETURN = "return"
    ASSIGN = "assign"
    APPROVE = "approve"
    REQUEST_REVISION = "request_revision"
    REJECT = "reject"
    REVISE = "revise"
    PUBLISH = "publish"
    UNPUBLISH = "unpublish"
    WITHDRAW = "withdraw"

    @property
    def label(self) -> str:
        return TRANSITIONS[self].label


class Audience(enum.StrEnum):
    """Who hears about a move; `portal.notifications` turns these into accounts."""

    EDITORS = "editors"
    COUNTY = "county"
    REVIEWERS = "reviewers"
    ADMINS = "admins"
    # The other counties of a cross-county plan, which co-sign it.
    PARTNERS = "partners"


Rule = Callable[[perm.Actor, perm.ProposalFacts], bool]


@dataclass(frozen=True)
class Transition:
    action: Action
    label: str
    sources: frozenset[State]
    target: State
    allowed: Rule
    needs_reason: bool
    notify: tuple[Audience, ...]


def _t(
    action: Action,
    label: str,
    sources: set[State] | frozenset[State],
    target: State,
    allowed: Rule,
    *notify: Audience,
    needs_reason: bool = False,
) -> Transition:
    return Transition(action, label, frozenset(sources), target, allowed, needs_reason, notify)


E, C, R, A = Audience.EDITORS, Audience.COUNTY, Audience.REVIEWERS, Audience.ADMINS
S = State

TRANSITIONS: dict[Action, Transition] = {
    t.action: t
    for t in (
        _t(Action.SUBMIT, "送出提案", {S.DRAFT}, S.SUBMITTED, perm.is_editor, C, Audience.PARTNERS),
        _t(Action.FORWARD, "轉送國發會", {S.SUBMITTED}, S.FORWARDED, perm.is_county_of, A, E),
        _t(
            Action.RETURN,
            "退回補件",
            {S.SUBMITTED},
            S.RETURNED,
            perm.is_county_of,
            E,
            needs_reason=True,
        ),
        _t(Action.ASSIGN, "分派輔導團審查", {S.FORWARDED}, S.IN_REVIEW, perm.is_admin, R, E),
        _t(Action.APPROVE, "核定", {S.IN_REVIEW}, S.APPROVED, perm.is_admin, E, C, R),
        _t(
            Action.REQUEST_REVISION,
            "修正後再提",
            {S.IN_REVIEW},
            S.REVISION_REQUESTED,
            perm.is_admin,
            E,
            C,
            R,
            needs_reason=True,
        ),
        _t(
            Action.REJECT,
            "不予核定",
            {S.IN_REVIEW},
            S.NOT_APPROVED,
            perm.is_admin,
            E,
            C,
            R,
            needs_reason=True,
        ),
        _t(
            Action.REVISE,
            "修改後重新提案",
            {S.RETURNED, S.REVISION_REQUESTED},
            S.DRAFT,
            perm.is_editor,
        ),
        _t(Action.PUBLISH, "公開於成果網站", {S.APPROVED}, S.PUBLISHED, perm.is_admin, E, C),
        _t(
            Action.UNPUBLISH,
            "取消公開",
            {S.PUBLISHED},
            S.APPROVED,
            perm.is_admin,
            E,
            C,
            needs_reason=True,
        ),
        _t(
            Action.WITHDRAW,
            "撤案",
            OPEN_STATES,
            S.WITHDRAWN,
            perm.can_withdraw,
            C,
            A,
            needs_reason=True,
        ),
    )
}


def plan(actor: perm.Actor, proposal: perm.ProposalFacts, action: Action, reason: str = "") -> Transition:
    """Return the move if `actor` may do `action` to `proposal` now; raise otherwise.

    Raises PermissionDenied when the actor may not see the proposal or make this move,
    IllegalTransition when the current state does not allow it, and DomainError when
    the move needs a reason and none was given.
    """
    if not perm.can_view(actor, proposal):
        raise PermissionDenied("您沒有權限處理這件提案。")
    transition = TRANSITIONS[action]
    current = State(proposal.status)
    if current not in transition.sources:
        raise IllegalTransition(f"提案目前為「{current.label}」，不能執行「{transition.label}」。")
    if not transition.allowed(actor, proposal):
        raise PermissionDenied(f"您的帳號不能對這件提案執行「{transition.label}」。")
    if transition.needs_reason and not reason.strip():
        raise DomainError(f"「{transition.label}」需要填寫理由。")
    return transition


def available_actions(actor: perm.Actor, proposal: perm.ProposalFacts) -> list[Action]:
    """The moves `actor` could make now, in table order, for buttons on a page."""
    if not perm.can_view(actor, proposal):
        return []
    current = State(proposal.status)
    return [t.action for t in TRANSITIONS.values() if current in t.sources and t.allowed(actor, proposal)]
