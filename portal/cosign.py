"""Co-signing cross-county plans: a partner county agrees to take part (同意參與) in a
submitted revision, or withdraws its agreement until the lead county has forwarded it.

The rules are in `portal.domain.cosign`; forwarding checks them in
`operations.apply_transition`. Like the other operations these flush, never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from portal import notifications, operations
from portal.db.models import CoSignature, County, Proposal, User, utcnow
from portal.domain import cosign as rules
from portal.domain import permissions as perm
from portal.domain.errors import DomainError, PermissionDenied
from portal.domain.roles import Role
from portal.domain.states import State


@dataclass(frozen=True)
class PartnerStatus:
    """One partner county on the proposal page: agreed (by whom, when) or still to agree."""

    code: str
    name: str
    signed_by: str | None = None
    signed_at: datetime | None = None
    revision: str | None = None


def partners(session: Session, proposal: Proposal) -> list[PartnerStatus]:
    """Every partner county of a cross-county plan with its standing agreement, if any;
    empty for a plan within one county."""
    codes = sorted(proposal.partner_county_codes)
    if not codes:
        return []
    names = {
        code: name for code, name in session.execute(select(County.code, County.name_zh).where(County.code.in_(codes)))
    }
    standing = proposal.cosigned_county_codes
    latest: dict[str, CoSignature] = {}
    rows = session.scalars(
        select(CoSignature)
        .options(joinedload(CoSignature.signed_by), joinedload(CoSignature.revision))
        .where(CoSignature.proposal_id == proposal.id, CoSignature.withdrawn_at.is_(None))
        .order_by(CoSignature.id)
    )
    for signature in rows:
        latest[signature.county_code] = signature
    result = []
    for code in codes:
        found = latest.get(code)
        if found is None or code not in standing:
            result.append(PartnerStatus(code, names.get(code, code)))
        else:
            result.append(
                PartnerStatus(code, names.get(code, code), found.signed_by.name, found.signed_at, found.revision.label)
            )
    return result


def can_sign(actor: User, proposal: Proposal) -> bool:
    return (
        perm.is_partner_county(actor, proposal)
        and State(proposal.status) in rules.SIGNABLE
        and actor.county_code not in proposal.cosigned_county_codes
    )


def can_withdraw(actor: User, proposal: Proposal) -> bool:
    return (
        perm.is_partner_county(actor, proposal)
        and State(proposal.status) in rules.SIGNABLE
        and actor.county_code in proposal.cosigned_county_codes
    )


def _check(actor: User, proposal: Proposal, what: str) -> None:
    if not perm.is_partner_county(actor, proposal):
        raise PermissionDenied(f"只有合作鄉鎮市區所在的其他縣市政府可以{what}。")
    if State(proposal.status) not in rules.SIGNABLE:
        raise DomainError(f"提案目前為「{proposal.state.label}」，只有已送出、尚未轉送國發會的提案可以{what}。")


def sign(session: Session, proposal: Proposal, actor: User) -> CoSignature:
    """Record `actor`'s county agreeing to the current revision. Side effects: an audit
    event and a message to the lead county and the authors."""
    with operations.refuse_stale():
        operations.lock_proposal(session, proposal)
        _check(actor, proposal, "同意參與")
        revision = proposal.current_revision
        assert revision is not None  # a submitted proposal has one
        if actor.county_code in proposal.cosigned_county_codes:
            raise DomainError(f"貴縣市已同意參與這件提案的 {revision.label}，不必再同意一次。")
        now = utcnow()
        signature = CoSignature(
            proposal_id=proposal.id,
            revision_id=revision.id,
            county_code=actor.county_code,
            signed_by_id=actor.id,
            signed_at=now,
        )
        session.add(signature)
        county = actor.county.name_zh if actor.county else actor.county_code
        operations.audit(
            session, actor, "cosign", proposal=proposal, reason=f"{county}同意參與 {revision.label}", at=now
        )
        _tell_lead(session, proposal, actor, "cosign", f"{county}已同意參與")
        proposal.updated_at = now
        session.flush()
        return signature


def withdraw(session: Session, proposal: Proposal, actor: User, reason: str) -> None:
    """Withdraw `actor`'s county's agreement while the case has not been forwarded; the
    record stays, stamped. Side effects: an audit event with the reason, and a message
    to the lead county and the authors."""
    if not reason.strip():
        raise DomainError("撤回同意參與需要填寫理由。")
    with operations.refuse_stale():
        operations.lock_proposal(session, proposal)
        _check(actor, proposal, "撤回同意參與")
        if actor.county_code not in proposal.cosigned_county_codes:
            raise DomainError("貴縣市目前沒有同意參與這件提案，沒有可撤回的同意。")
        now = utcnow()
        rows = session.scalars(
            select(CoSignature).where(
                CoSignature.proposal_id == proposal.id,
                CoSignature.county_code == actor.county_code,
                CoSignature.withdrawn_at.is_(None),
            )
        )
        for row in rows:
            row.withdrawn_at, row.withdrawn_by_id = now, actor.id
        county = actor.county.name_zh if actor.county else actor.county_code
        operations.audit(
            session, actor, "cosign_withdraw", proposal=proposal, reason=f"{county}：{reason.strip()}", at=now
        )
        _tell_lead(session, proposal, actor, "cosign_withdraw", f"{county}撤回同意參與：{reason.strip()}")
        proposal.updated_at = now
        session.flush()


def _tell_lead(session: Session, proposal: Proposal, actor: User, event: str, what: str) -> None:
    """The lead county forwards, and the authors answer for the plan: both hear of it."""
    authors = (
        User.county_code == proposal.author_county_code
        if proposal.author_county_code
        else User.township_code == proposal.lead_township_code
    )
    lead_county = (User.role == Role.COUNTY) & (User.county_code == proposal.county_code)
    people = session.scalars(
        select(User).where(User.active.is_(True), lead_county | authors, User.id != actor.id).order_by(User.id)
    )
    notifications.queue(session, proposal, people, event, what)
