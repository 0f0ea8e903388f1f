"""Who may see and change what: every view and operation asks these functions.

They take plain objects (the database models satisfy the protocols below), so the
rules can be tested without an app.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol

from portal.domain.proposal import ProposalType
from portal.domain.roles import Role
from portal.domain.states import State


class Actor(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def role(self) -> str: ...
    @property
    def township_code(self) -> str | None: ...
    @property
    def county_code(self) -> str | None: ...


class ProposalFacts(Protocol):
    @property
    def status(self) -> str: ...
    @property
    def lead_township_code(self) -> str: ...
    @property
    def county_code(self) -> str: ...
    @property
    def author_county_code(self) -> str | None: ...
    @property
    def participating_codes(self) -> Collection[str]: ...
    @property
    def reviewer_ids(self) -> Collection[int]: ...
    @property
    def revision_count(self) -> int: ...
    @property
    def conflicted_reviewer_ids(self) -> Collection[int]: ...


# Reviewers see a proposal from assignment on, never before.
REVIEWER_VISIBLE = frozenset(
    {State.IN_REVIEW, State.REVISION_REQUESTED, State.APPROVED, State.NOT_APPROVED, State.PUBLISHED}
)


def is_editor(user: Actor, proposal: ProposalFacts) -> bool:
    """The authoring side: the lead township's staff, or the county that wrote it."""
    if proposal.author_county_code:
        return user.role == Role.COUNTY and user.county_code == proposal.author_county_code
    return user.role == Role.TOWNSHIP and user.township_code == proposal.lead_township_code


def _never_submitted_draft(proposal: ProposalFacts) -> bool:
    return proposal.status == State.DRAFT and proposal.revision_count == 0


def can_view(user: Actor, proposal: ProposalFacts) -> bool:
    """Drafts that were never submitted stay with their authors."""
    if is_editor(user, proposal):
        return True
    if user.role == Role.TOWNSHIP:
        # The lead of a county-authored case and every participating township.
        return user.township_code in involved_townships(proposal) and not _never_submitted_draft(proposal)
    if user.role == Role.COUNTY:
        # The lead's county and, for a cross-county plan, every partner county.
        return user.county_code in involved_counties(proposal) and not _never_submitted_draft(proposal)
    if user.role == Role.REVIEWER:
        return (
            user.id in proposal.reviewer_ids
            and user.id not in proposal.conflicted_reviewer_ids
            and proposal.status in REVIEWER_VISIBLE
        )
    if user.role == Role.ADMIN:
        return not _never_submitted_draft(proposal)
    return False


def involved_townships(proposal: ProposalFacts) -> set[str]:
    """The lead township and every participating one."""
    return {proposal.lead_township_code, *proposal.participating_codes}


def involved_counties(proposal: ProposalFacts) -> set[str]:
    """The counties of every township involved. A township's code starts with its
    county's five digits (the reference data and case files are checked for this)."""
    return {proposal.county_code, *(code[:5] for code in involved_townships(proposal))}


def conflict_applies(scope: str, code: str, proposal_id: int, proposal: ProposalFacts) -> bool:
    """Whether a reviewer's conflict (an affiliation or a declaration) covers `proposal`.
    Affiliations cover every township the proposal involves and every county they are
    in, not only the lead's."""
    if scope == "county":
        return code in involved_counties(proposal)
    if scope == "township":
        return code in involved_townships(proposal)
    return scope == "proposal" and code == str(proposal_id)


def can_review(user: Actor, proposal: ProposalFacts) -> bool:
    """Scoring is for assigned, unconflicted reviewers while the proposal is in review."""
    return (
        user.role == Role.REVIEWER
        and user.id in proposal.reviewer_ids
        and user.id not in proposal.conflicted_reviewer_ids
        and proposal.status == State.IN_REVIEW
    )


def can_edit(user: Actor, proposal: ProposalFacts) -> bool:
    """Content changes only in draft, and only by the authoring side."""
    return proposal.status == State.DRAFT and is_editor(user, proposal)


def can_create(user: Actor, proposal_type: ProposalType, lead_county_code: str) -> bool:
    """Townships propose for themselves; counties author regional and thematic cases."""
    if user.role == Role.TOWNSHIP:
        return True
    if user.role == Role.COUNTY:
        return proposal_type != ProposalType.TOWNSHIP and user.county_code == lead_county_code
    return False


def is_county_of(user: Actor, proposal: ProposalFacts) -> bool:
    return user.role == Role.COUNTY and user.county_code == proposal.county_code


def is_partner_county(user: Actor, proposal: ProposalFacts) -> bool:
    """A county other than the lead's with a participating township: it co-signs."""
    return (
        user.role == Role.COUNTY
        and user.county_code is not None
        and user.county_code != proposal.county_code
        and user.county_code in involved_counties(proposal)
    )


def is_admin(user: Actor, proposal: ProposalFacts | None = None) -> bool:
    return user.role == Role.ADMIN


def can_withdraw(user: Actor, proposal: ProposalFacts) -> bool:
    return is_editor(user, proposal) or is_admin(user)


def can_manage_users(user: Actor) -> bool:
    return user.role == Role.ADMIN


def can_read_audit_log(user: Actor) -> bool:
    return user.role == Role.ADMIN


def can_edit_reference(user: Actor) -> bool:
    return user.role == Role.ADMIN


# --- ministries (部會) ---------------------------------------------------------------------

# A ministry reads a case from the moment the 三高 screening sends it on to matching
# (進行後續媒合) while it is in review, and every approved case; never drafts, cases
# still with the county, cases sent back, rejected or withdrawn. It never uses
# `can_view`: its pages show the brief and aggregated scores, never the review pages.
MINISTRY_DECIDED = frozenset({State.APPROVED, State.PUBLISHED})


def ministry_can_view(user: Actor, proposal: ProposalFacts, screened: bool) -> bool:
    """`screened`: the current revision's reviews pass the 三高 screening (scoring.screen)."""
    if user.role != Role.MINISTRY:
        return False
    if proposal.status == State.IN_REVIEW:
        return screened
    return proposal.status in MINISTRY_DECIDED


def can_offer_match(user: Actor, proposal: ProposalFacts, screened: bool) -> bool:
    """Ministries propose programmes between screening and the NDC's decision."""
    return user.role == Role.MINISTRY and proposal.status == State.IN_REVIEW and screened
