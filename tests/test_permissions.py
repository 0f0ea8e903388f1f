"""The permission table: each role against its own and another township's proposals."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pytest

from portal.domain import permissions as perm
from portal.domain.proposal import ProposalType
from portal.domain.roles import Role
from portal.domain.states import State

OWN_T, OTHER_T, PARTNER_T = "10008020", "10014150", "10008100"
OWN_C, OTHER_C = "10008", "10014"


@dataclass
class Person:
    id: int
    role: str
    township_code: str | None = None
    county_code: str | None = None


@dataclass
class Case:
    status: str
    lead_township_code: str = OWN_T
    county_code: str = OWN_C
    author_county_code: str | None = None
    participating_codes: set[str] = field(default_factory=set)
    reviewer_ids: set[int] = field(default_factory=set)
    revision_count: int = 0
    conflicted_reviewer_ids: set[int] = field(default_factory=set)


TOWNSHIP = Person(1, Role.TOWNSHIP, township_code=OWN_T)
OTHER_TOWNSHIP = Person(2, Role.TOWNSHIP, township_code=OTHER_T)
PARTNER = Person(3, Role.TOWNSHIP, township_code=PARTNER_T)
COUNTY = Person(4, Role.COUNTY, county_code=OWN_C)
OTHER_COUNTY = Person(5, Role.COUNTY, county_code=OTHER_C)
REVIEWER = Person(6, Role.REVIEWER)
OTHER_REVIEWER = Person(7, Role.REVIEWER)
ADMIN = Person(8, Role.ADMIN)

EVERYONE = [
    TOWNSHIP,
    OTHER_TOWNSHIP,
    PARTNER,
    COUNTY,
    OTHER_COUNTY,
    REVIEWER,
    OTHER_REVIEWER,
    ADMIN,
]


def case(status: State, **kwargs: object) -> Case:
    return Case(status.value, participating_codes={PARTNER_T}, reviewer_ids={REVIEWER.id}, **kwargs)  # type: ignore[arg-type]


def who(predicate: object, proposal: Case) -> set[int]:
    return {p.id for p in EVERYONE if predicate(p, proposal)}  # type: ignore[operator]


@pytest.mark.parametrize(
    ("proposal", "viewers"),
    [
        # A draft never submitted stays with its authors.
        (case(State.DRAFT), {TOWNSHIP.id}),
        # Once submitted: the township, its partner, its county and the NDC.
        (case(State.SUBMITTED, revision_count=1), {TOWNSHIP.id, PARTNER.id, COUNTY.id, ADMIN.id}),
        # A draft being revised after a return is still known to the county and the NDC.
        (case(State.DRAFT, revision_count=1), {TOWNSHIP.id, PARTNER.id, COUNTY.id, ADMIN.id}),
        (case(State.FORWARDED, revision_count=1), {TOWNSHIP.id, PARTNER.id, COUNTY.id, ADMIN.id}),
        # Reviewers see only what is assigned to them, from review on.
        (
            case(State.IN_REVIEW, revision_count=1),
            {TOWNSHIP.id, PARTNER.id, COUNTY.id, REVIEWER.id, ADMIN.id},
        ),
        (
            case(State.APPROVED, revision_count=1),
            {TOWNSHIP.id, PARTNER.id, COUNTY.id, REVIEWER.id, ADMIN.id},
        ),
    ],
    ids=["draft", "submitted", "revising", "forwarded", "in_review", "approved"],
)
def test_can_view_by_role_and_state(proposal: Case, viewers: set[int]) -> None:
    assert who(perm.can_view, proposal) == viewers


@pytest.mark.parametrize(
    ("proposal", "editors"),
    [
        (case(State.DRAFT), {TOWNSHIP.id}),
        (case(State.DRAFT, revision_count=2), {TOWNSHIP.id}),
        (case(State.SUBMITTED, revision_count=1), set()),
        (case(State.RETURNED, revision_count=1), set()),
        (case(State.APPROVED, revision_count=1), set()),
        # A county-authored regional proposal is edited by that county, not the township.
        (case(State.DRAFT, author_county_code=OWN_C), {COUNTY.id}),
    ],
    ids=["draft", "revising", "submitted", "returned", "approved", "county-authored"],
)
def test_can_edit_only_drafts_by_authors(proposal: Case, editors: set[int]) -> None:
    assert who(perm.can_edit, proposal) == editors


def test_county_authored_draft_hidden_from_lead_township() -> None:
    proposal = case(State.DRAFT, author_county_code=OWN_C)

    assert who(perm.can_view, proposal) == {COUNTY.id}


@pytest.mark.parametrize(
    ("person", "proposal_type", "county", "allowed"),
    [
        (TOWNSHIP, ProposalType.TOWNSHIP, OWN_C, True),
        (TOWNSHIP, ProposalType.REGIONAL, OWN_C, True),
        (COUNTY, ProposalType.TOWNSHIP, OWN_C, False),
        (COUNTY, ProposalType.REGIONAL, OWN_C, True),
        (COUNTY, ProposalType.THEMATIC, OWN_C, True),
        (COUNTY, ProposalType.REGIONAL, OTHER_C, False),
        (REVIEWER, ProposalType.TOWNSHIP, OWN_C, False),
        (ADMIN, ProposalType.TOWNSHIP, OWN_C, False),
    ],
)
def test_can_create(person: Person, proposal_type: ProposalType, county: str, allowed: bool) -> None:
    assert perm.can_create(person, proposal_type, county) is allowed


def test_admin_only_pages() -> None:
    allowed = {
        p.id for p in EVERYONE if perm.can_manage_users(p) and perm.can_read_audit_log(p) and perm.can_edit_reference(p)
    }
    anyone = {
        p.id for p in EVERYONE if perm.can_manage_users(p) or perm.can_read_audit_log(p) or perm.can_edit_reference(p)
    }

    assert (allowed, anyone) == ({ADMIN.id}, {ADMIN.id})


def cross_county(status: State, **kwargs: object) -> Case:
    """A plan OWN_T (南投縣) leads, with OTHER_T (臺東縣) taking part beside PARTNER_T."""
    return replace(case(status, **kwargs), participating_codes={PARTNER_T, OTHER_T})


@pytest.mark.parametrize(
    ("proposal", "viewers", "partner_counties"),
    [
        # Never submitted: still with its authors, the partner county included.
        (cross_county(State.DRAFT), {TOWNSHIP.id}, {OTHER_COUNTY.id}),
        (
            cross_county(State.SUBMITTED, revision_count=1),
            {TOWNSHIP.id, OTHER_TOWNSHIP.id, PARTNER.id, COUNTY.id, OTHER_COUNTY.id, ADMIN.id},
            {OTHER_COUNTY.id},
        ),
        # Within one county there is no partner county.
        (
            case(State.SUBMITTED, revision_count=1),
            {TOWNSHIP.id, PARTNER.id, COUNTY.id, ADMIN.id},
            set(),
        ),
    ],
    ids=["draft", "submitted", "one-county"],
)
def test_cross_county_plan_is_seen_by_every_county_involved(
    proposal: Case, viewers: set[int], partner_counties: set[int]
) -> None:
    assert (who(perm.can_view, proposal), who(perm.is_partner_county, proposal)) == (viewers, partner_counties)
