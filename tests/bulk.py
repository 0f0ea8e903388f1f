"""Many proposals at once, written as rows through the models: for the query-count
tests and bench/portal_queries.py. Deterministic: the same `n` gives the same data.

The proposals are spread over every state, half of them over eight townships of four
counties and half over the whole country;
some are regional with participating townships, those past the county have
revisions, assigned reviewers and reviews of their current revision, and some
reviewers have conflicts of interest; a few regional cases are written by their county."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal import accounts, operations
from portal.db.models import (
    Conflict,
    OutboxMessage,
    Proposal,
    ProposalTownship,
    Review,
    ReviewAssignment,
    Revision,
    Township,
    User,
)
from portal.domain.proposal import ProposalType
from portal.domain.roles import Role
from portal.domain.states import State
from tests.documents import complete_document

# 南投縣 (埔里鎮, 國姓鄉, 仁愛鄉, 信義鄉), 臺東縣 (達仁鄉, 臺東市), 宜蘭縣 (礁溪鄉), 雲林縣 (虎尾鎮).
TOWNSHIPS = ("10008020", "10008100", "10008130", "10008120", "10014150", "10014010", "10002050", "10009030")
PULI, NANTOU = "10008020", "10008"
STATES = (
    State.DRAFT,
    State.SUBMITTED,
    State.RETURNED,
    State.FORWARDED,
    State.IN_REVIEW,
    State.IN_REVIEW,
    State.REVISION_REQUESTED,
    State.APPROVED,
    State.NOT_APPROVED,
    State.DRAFT,
    State.WITHDRAWN,
)
REVIEWED = frozenset({State.IN_REVIEW, State.REVISION_REQUESTED, State.APPROVED, State.NOT_APPROVED})
CRITERIA = ("feasibility", "creativity", "spillover")
START = datetime(2026, 3, 1, tzinfo=UTC)


@dataclass
class Cast:
    """One account of each role that sees proposal lists, plus extra reviewers."""

    township: User
    county: User
    reviewer: User
    admin: User
    reviewers: list[User]


def cast(session: Session, password_hash: str) -> Cast:
    def user(role: Role, n: int, **scope: str) -> User:
        made = accounts.create_user(
            session, email=f"bulk-{role.value}{n}@example.org", name=f"{role.label}{n}", role=role, **scope
        )
        made.password_hash = password_hash
        return made

    reviewers = [user(Role.REVIEWER, n, affiliation=f"輔導團{n}") for n in range(4)]
    people = Cast(
        township=user(Role.TOWNSHIP, 0, township_code=PULI),
        county=user(Role.COUNTY, 0, county_code=NANTOU),
        reviewer=reviewers[0],
        admin=user(Role.ADMIN, 0),
        reviewers=reviewers,
    )
    # The first reviewer is affiliated with 臺東縣: assigned cases there stay hidden from them.
    session.add(Conflict(reviewer_id=reviewers[0].id, scope="county", code="10014", reason="曾任職"))
    session.add(Conflict(reviewer_id=reviewers[1].id, scope="township", code="10008100", reason="居住地"))
    session.commit()
    return people


def proposals(session: Session, people: Cast, n: int, *, cycle: str = "2026", audit: bool = True) -> None:
    """Add `n` proposals, their revisions, assignments, reviews, notifications and (when
    `audit`) one audit event each."""
    document = complete_document()
    # Titles carry the proposal's number, counting on from the proposals already there.
    first = (session.scalar(select(func.count()).select_from(Proposal)) or 0) + 1
    # Every other case is led from anywhere in the country, as in a real round.
    everywhere = list(session.scalars(select(Township.code).order_by(Township.code)))
    for i in range(n):
        lead = TOWNSHIPS[i % len(TOWNSHIPS)] if i % 2 == 0 else everywhere[(i * 7) % len(everywhere)]
        state = STATES[i % len(STATES)]
        regional = i % 3 == 0
        revisions = 0 if state == State.DRAFT and i % 2 == 0 else 1 + i % 2
        if state != State.DRAFT and revisions == 0:
            revisions = 1
        at = START + timedelta(minutes=i)
        proposal = Proposal(
            cycle=cycle,
            type=(ProposalType.REGIONAL if regional else ProposalType.TOWNSHIP).value,
            title=f"地方創生計畫第 {first + i} 號",
            status=state.value,
            lead_township_code=lead,
            county_code=lead[:5],
            # Every sixth regional case is written by its county.
            author_county_code=lead[:5] if regional and i % 6 == 3 else None,
            created_by_id=people.township.id,
            created_at=at,
            updated_at=at,
            content=document,
            revision_count=revisions,
        )
        if regional:
            others = [t for t in TOWNSHIPS if t != lead]
            proposal.participants = [
                ProposalTownship(township_code=others[i % len(others)]),
                ProposalTownship(township_code=others[(i + 3) % len(others)]),
            ]
        session.add(proposal)
        session.flush()
        for number in range(1, revisions + 1):
            session.add(
                Revision(
                    proposal_id=proposal.id,
                    number=number,
                    title=proposal.title,
                    content=document,
                    participating_codes=sorted(proposal.participating_codes),
                    created_by_id=people.township.id,
                )
            )
        session.flush()
        if state in REVIEWED or (state == State.FORWARDED and i % 2):
            panel = [people.reviewers[(i + k) % len(people.reviewers)] for k in range(2)]
            for reviewer in panel:
                session.add(ReviewAssignment(proposal_id=proposal.id, reviewer_id=reviewer.id))
            if state in REVIEWED:
                current = proposal.revisions[-1]
                for k, reviewer in enumerate(panel):
                    written = Review(
                        proposal_id=proposal.id,
                        revision_id=current.id,
                        reviewer_id=reviewer.id,
                        rubric_version="test",
                        scores={c: 1 + (i + k + j) % 5 for j, c in enumerate(CRITERIA)},
                        cross_domain=bool(i % 2),
                        cross_ministry=None,
                        confidence=2,
                        comment_to_township="請補充在地青年的參與方式。" if k == 0 else "",
                    )
                    session.add(written)
                    if i % 3 == 0 and k == 0:
                        # Every third case's first score was changed before the decision:
                        # pages count the standing review only.
                        session.flush()
                        session.add(
                            Review(
                                proposal_id=proposal.id,
                                revision_id=current.id,
                                reviewer_id=reviewer.id,
                                replaces_id=written.id,
                                rubric_version="test",
                                scores={c: 1 + (i + k + j + 1) % 5 for j, c in enumerate(CRITERIA)},
                                cross_domain=not i % 2,
                                cross_ministry=None,
                                confidence=3,
                                comment_to_township="請補充在地青年的參與方式與時程。",
                            )
                        )
        for user in (people.township, people.county, people.reviewer, people.admin):
            session.add(
                OutboxMessage(
                    recipient_id=user.id, event="submit", proposal_id=proposal.id, subject=proposal.title, body="—"
                )
            )
        if audit:
            action = "return" if state == State.RETURNED else "create"
            operations.audit(session, people.township, action, proposal=proposal, reason="請補充 KPI 的現況值。")
    session.commit()
