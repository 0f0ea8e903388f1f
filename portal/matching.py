"""Operations of matching (媒合): what a ministry sees, its offers, and the NDC's confirmation.

A ministry account reads the screened cases through `ministry_cases` and `aggregate`,
which carry means and totals only: no reviewer, no single review, no comment. Like
`portal.review`, these flush but never commit and raise a DomainError when refused.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from portal import notifications, operations, review
from portal.db.models import (
    Decision,
    MatchedResource,
    MatchOffer,
    Programme,
    Proposal,
    Review,
    Revision,
    User,
)
from portal.domain import matching, scoring
from portal.domain import permissions as perm
from portal.domain.errors import DomainError, PermissionDenied
from portal.domain.roles import Role
from portal.domain.states import State
from portal.domain.workflow import Action
from portal.reference import store as reference_store

# The states in which a ministry may see a case at all (perm.ministry_can_view decides).
SHOWN_STATES = (State.IN_REVIEW, *perm.MINISTRY_DECIDED)


@dataclass(frozen=True)
class Aggregate:
    """A case's scores as the ranking shows them, with nobody's name and no single review."""

    means: dict[str, float | None]
    total: float | None
    review_count: int
    screening: scoring.Screening | None

    @property
    def screened(self) -> bool:
        return self.screening is not None and self.screening.proceed


def aggregates(session: Session, proposal_ids: Sequence[int]) -> dict[int, Aggregate]:
    """Each proposal's aggregate over the standing reviews of its current revision: one query."""
    rubric = review.rubric()
    reviews: dict[int, list[Review]] = defaultdict(list)
    if proposal_ids:
        for r in session.scalars(
            select(Review)
            .join(Revision, Review.revision_id == Revision.id)
            .join(Proposal, Revision.proposal_id == Proposal.id)
            .where(Revision.number == Proposal.revision_count, Proposal.id.in_(proposal_ids), Review.standing())
        ):
            reviews[r.proposal_id].append(r)
    found = {}
    for proposal_id in proposal_ids:
        scores = review.scores_of(reviews[proposal_id])
        summaries = scoring.summarise(rubric, scores)
        means = {code: s.mean for code, s in summaries.items()}
        found[proposal_id] = Aggregate(
            means=means,
            total=scoring.weighted_total(rubric, means),
            review_count=len(scores),
            screening=scoring.screen(
                rubric, summaries, [s.cross_domain for s in scores], [s.cross_ministry for s in scores]
            )
            if scores
            else None,
        )
    return found


def ministry_cases(session: Session, user: User) -> list[tuple[Proposal, Aggregate]]:
    """The cases a ministry account may read, newest change first, with their aggregates."""
    if user.role != Role.MINISTRY:
        return []
    proposals = list(
        session.scalars(
            select(Proposal)
            .options(joinedload(Proposal.lead_township), selectinload(Proposal.participants))
            .where(Proposal.status.in_(SHOWN_STATES))
            .order_by(Proposal.updated_at.desc(), Proposal.id.desc())
        )
    )
    found = aggregates(session, [p.id for p in proposals])
    return [(p, found[p.id]) for p in proposals if perm.ministry_can_view(user, p, found[p.id].screened)]


def ministry_case(session: Session, user: User, proposal_id: int) -> tuple[Proposal, Aggregate] | None:
    """One case and its aggregate, or None when the ministry account may not read it."""
    proposal = session.get(Proposal, proposal_id)
    if proposal is None or user.role != Role.MINISTRY:
        return None
    found = aggregates(session, [proposal.id])[proposal.id]
    return (proposal, found) if perm.ministry_can_view(user, proposal, found.screened) else None


def offers_of(session: Session, proposal: Proposal) -> list[MatchOffer]:
    return list(
        session.scalars(
            select(MatchOffer)
            .options(joinedload(MatchOffer.programme), joinedload(MatchOffer.proposed_by))
            .where(MatchOffer.proposal_id == proposal.id)
            .order_by(MatchOffer.id)
        )
    )


def ministry_programmes(session: Session, user: User) -> list[Programme]:
    """The active programmes of the account's own ministry that have not ended: the only
    ones it may offer."""
    year = reference_store.this_year()
    return [
        p
        for p in session.scalars(
            select(Programme)
            .where(Programme.ministry == user.ministry, Programme.active.is_(True))
            .order_by(Programme.id)
        )
        if not p.validity.ended(year)
    ]


# --- the duplicate-subsidy check -------------------------------------------------------------


def matched_elsewhere(session: Session, programme: str, year: int) -> list[matching.Matched]:
    """Every approved decision's matched resource of `programme` in `year`, with its case's townships."""
    rows = session.execute(
        select(MatchedResource, Proposal)
        .join(Decision, MatchedResource.decision_id == Decision.id)
        .join(Proposal, Decision.proposal_id == Proposal.id)
        .options(joinedload(Proposal.lead_township), selectinload(Proposal.participants))
        .where(
            MatchedResource.programme == programme,
            MatchedResource.year == year,
            Decision.outcome == Action.APPROVE.value,
            Proposal.status.in_(list(perm.MINISTRY_DECIDED)),
        )
    ).unique()
    return [
        matching.Matched(
            proposal_id=p.id,
            title=p.title,
            lead=p.lead_township.full_name,
            townships=frozenset(perm.involved_townships(p)),
            programme=m.programme,
            year=m.year,
            amount=m.amount,
        )
        for m, p in rows
    ]


def duplicate_warnings(session: Session, proposal: Proposal, programme: str, year: int) -> list[str]:
    """Warnings (never refusals) for matching `programme` in `year` to `proposal`."""
    found = matching.duplicates(
        proposal.id, perm.involved_townships(proposal), programme, year, matched_elsewhere(session, programme, year)
    )
    return [matching.warning(programme, year, other) for other in found]


# --- offers and confirmation -----------------------------------------------------------------


def offer(
    session: Session, proposal: Proposal, actor: User, *, programme_id: int, amount: int, year: int, note: str = ""
) -> tuple[MatchOffer, list[str]]:
    """A ministry proposes one of its programmes for a screened case; the NDC is told.

    Returns the offer and the duplicate-subsidy warnings, which refuse nothing."""
    found = ministry_case(session, actor, proposal.id)
    if found is None or not perm.can_offer_match(actor, proposal, found[1].screened):
        raise PermissionDenied("只有通過三高篩選、仍在審查中的提案，才能由部會提出媒合計畫。")
    programme = session.get(Programme, programme_id)
    if programme is None or programme.ministry != actor.ministry or not programme.active:
        raise DomainError(f"請從{actor.ministry}仍在受理的計畫中選擇。")
    if not 1 <= amount <= matching.AMOUNT_MAX:
        raise DomainError(f"金額必須是 1 到 {matching.AMOUNT_MAX:,} 的整數（千元）。")
    if not matching.FIRST_YEAR <= year <= matching.LAST_YEAR:
        raise DomainError(f"年度必須在 {matching.FIRST_YEAR} 到 {matching.LAST_YEAR} 之間。")
    refused = reference_store.programme_offer(session).refusal(programme.name, year)
    if refused:  # an ended programme, or a year outside its run
        raise DomainError(refused)
    made = MatchOffer(
        proposal_id=proposal.id,
        programme_id=programme.id,
        amount=amount,
        year=year,
        note=note.strip(),
        proposed_by_id=actor.id,
    )
    session.add(made)
    session.flush()
    what = f"{programme.ministry}「{programme.name}」{year} 年 {amount:,} 千元"
    operations.audit(session, actor, "match_offer", proposal=proposal, reason=what)
    warnings = duplicate_warnings(session, proposal, programme.name, year)
    body = [f"提案：{proposal.title}（{proposal.lead_township.full_name}）", f"部會提議媒合：{what}"]
    if made.note:
        body.append(f"說明：{made.note}")
    body += warnings
    body.append("請在做成決定時確認是否納入媒合資源。")
    admins = notifications.admins(session)
    notifications.queue(session, proposal, admins, "match_offer", f"{programme.ministry}提議媒合計畫", "\n".join(body))
    return made, warnings


def pending_offers(session: Session, proposal: Proposal) -> list[MatchOffer]:
    """The ministries' offers for the case that no decision has confirmed yet."""
    return [o for o in offers_of(session, proposal) if o.decision_id is None]


def confirm(session: Session, decision: Decision, offer_ids: Sequence[int]) -> list[str]:
    """Put the chosen offers into an approval's matched resources.

    Returns the duplicate-subsidy warnings for every matched resource of the decision,
    whether the NDC typed it in or confirmed it from an offer."""
    proposal = session.get(Proposal, decision.proposal_id)
    assert proposal is not None
    if offer_ids:
        if decision.outcome != Action.APPROVE.value:
            raise DomainError("只有核定的提案才能納入部會提議的媒合計畫。")
        pending = {o.id: o for o in pending_offers(session, proposal)}
        if any(i not in pending for i in offer_ids):
            raise DomainError("部會的媒合提議已被確認過或不屬於這件提案，請重新整理頁面。")
        for offer_id in dict.fromkeys(offer_ids):
            chosen = pending[offer_id]
            programme = chosen.programme
            decision.resources.append(
                MatchedResource(
                    programme=programme.name, ministry=programme.ministry, amount=chosen.amount, year=chosen.year
                )
            )
            chosen.decision_id = decision.id
        session.flush()
    return [w for r in decision.resources for w in duplicate_warnings(session, proposal, r.programme, r.year)]
