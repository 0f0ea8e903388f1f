"""Proposal lists in a bounded number of queries: who sees what, as one SQL condition,
the filters, one page of rows with what the page shows loaded alongside, and the
permission facts of that page computed from one query of conflicts.

`portal.domain.permissions.can_view` judges one proposal and stays the rule; the
condition here says the same thing in SQL, so that a list never loads the proposals it
does not show (tests/test_listing.py holds the two to the same answers).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, false, func, or_, select, true
from sqlalchemy.orm import Session, defer, joinedload, selectinload

from portal.db.models import Conflict, PriorityArea, Proposal, ProposalTownship, ReviewAssignment, Township
from portal.domain import permissions as perm
from portal.domain.roles import Role
from portal.domain.states import State

PAGE_SIZE = 50
# Page links shown either side of the current page, besides the first and the last.
PAGE_WINDOW = 2
SEARCH_MAX = 60


def _never_submitted_draft() -> ColumnElement[bool]:
    return and_(Proposal.status == State.DRAFT.value, Proposal.revision_count == 0)


def _participates(township_code: str) -> ColumnElement[bool]:
    return exists().where(ProposalTownship.proposal_id == Proposal.id, ProposalTownship.township_code == township_code)


def visible_condition(session: Session, user: perm.Actor) -> ColumnElement[bool]:
    """`permissions.can_view` as a WHERE clause. A reviewer's conflicts of interest are
    read first (one query) and become part of the clause."""
    never_submitted = _never_submitted_draft()
    if user.role == Role.TOWNSHIP and user.township_code:
        editor = and_(Proposal.author_county_code.is_(None), Proposal.lead_township_code == user.township_code)
        involved = or_(Proposal.lead_township_code == user.township_code, _participates(user.township_code))
        return or_(editor, and_(involved, ~never_submitted))
    if user.role == Role.COUNTY and user.county_code:
        editor = Proposal.author_county_code == user.county_code
        partner = exists().where(
            ProposalTownship.proposal_id == Proposal.id,
            func.substr(ProposalTownship.township_code, 1, 5) == user.county_code,
        )
        involved = or_(Proposal.county_code == user.county_code, partner)
        return or_(editor, and_(involved, ~never_submitted))
    if user.role == Role.REVIEWER:
        assigned = exists().where(ReviewAssignment.proposal_id == Proposal.id, ReviewAssignment.reviewer_id == user.id)
        visible = Proposal.status.in_([s.value for s in perm.REVIEWER_VISIBLE])
        return and_(assigned, visible, ~_conflicted(session, user.id))
    if user.role == Role.ADMIN:
        return ~never_submitted
    return false()


def _conflicted(session: Session, reviewer_id: int) -> ColumnElement[bool]:
    """The proposals a reviewer's conflicts cover, as `permissions.conflict_applies` says:
    every township involved and the county of each."""
    rows = list(session.execute(select(Conflict.scope, Conflict.code).where(Conflict.reviewer_id == reviewer_id)))
    counties = [code for scope, code in rows if scope == "county"]
    townships = [code for scope, code in rows if scope == "township"]
    ids = [int(code) for scope, code in rows if scope == "proposal" and code.isascii() and code.isdigit()]
    participant = ProposalTownship.proposal_id == Proposal.id
    return or_(
        false(),
        *([Proposal.id.in_(ids)] if ids else []),
        *(
            [
                Proposal.lead_township_code.in_(townships),
                exists().where(participant, ProposalTownship.township_code.in_(townships)),
            ]
            if townships
            else []
        ),
        *(
            [
                Proposal.county_code.in_(counties),
                func.substr(Proposal.lead_township_code, 1, 5).in_(counties),
                exists().where(participant, func.substr(ProposalTownship.township_code, 1, 5).in_(counties)),
            ]
            if counties
            else []
        ),
    )


@dataclass(frozen=True)
class Filters:
    """What an admin or county narrows a list to; empty values filter nothing."""

    cycle: str = ""
    state: str = ""
    county: str = ""
    priority: str = ""
    search: str = ""

    @classmethod
    def from_args(cls, args: Any) -> Filters:
        def value(name: str, limit: int = 20) -> str:
            text = str(args.get(name, "") or "").strip()
            return text[:limit]

        state = value("state")
        return cls(
            cycle=value("cycle"),
            state=state if state in {s.value for s in State} else "",
            county=value("county"),
            priority=value("priority"),
            search=value("q", SEARCH_MAX),
        )

    def args(self) -> dict[str, str]:
        """The filters as query arguments, for page links."""
        named = {"cycle": self.cycle, "state": self.state, "county": self.county, "priority": self.priority}
        return {k: v for k, v in (named | {"q": self.search}).items() if v}

    def condition(self) -> ColumnElement[bool]:
        clauses: list[ColumnElement[bool]] = []
        if self.cycle:
            clauses.append(Proposal.cycle == self.cycle)
        if self.state:
            clauses.append(Proposal.status == self.state)
        if self.county:
            clauses.append(Proposal.county_code == self.county)
        if self.priority:
            # A proposal counts when its lead or any participating township is a priority area.
            areas = select(PriorityArea.township_code)
            if self.priority != "any":
                areas = areas.where(PriorityArea.kind == self.priority)
            clauses.append(
                or_(
                    Proposal.lead_township_code.in_(areas),
                    exists().where(
                        ProposalTownship.proposal_id == Proposal.id, ProposalTownship.township_code.in_(areas)
                    ),
                )
            )
        if self.search:
            clauses.append(contains(Proposal.title, self.search))
        return and_(true(), *clauses)


def contains(column: Any, text: str) -> ColumnElement[bool]:
    """`column` holds `text`, case-insensitively, with LIKE's wildcards taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.ilike(f"%{escaped}%", escape="\\")  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Page:
    """One page of a list and the links to its neighbours."""

    number: int
    size: int
    total: int

    @classmethod
    def of(cls, number: int, total: int, size: int = PAGE_SIZE) -> Page:
        """Page `number` of `total` rows; a page past the last one is the last one."""
        last = max((total + size - 1) // size, 1)
        return cls(number=min(number, last), size=size, total=total)

    @property
    def pages(self) -> int:
        return max((self.total + self.size - 1) // self.size, 1)

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    def links(self, window: int = PAGE_WINDOW) -> list[int | None]:
        """Page numbers to link: the first, the last and `window` either side of the
        current one; None marks a gap."""
        wanted = {1, self.pages, *range(self.number - window, self.number + window + 1)}
        shown = sorted(n for n in wanted if 1 <= n <= self.pages)
        links: list[int | None] = []
        for n in shown:
            last = links[-1] if links else None
            if last is not None and n - last > 1:
                links.append(None)
            links.append(n)
        return links


def page_number(value: Any) -> int:
    text = str(value or "").strip()
    return int(text) if text.isascii() and text.isdigit() and 0 < len(text) <= 9 and int(text) > 0 else 1


def with_shown(query: Select[Proposal]) -> Select[Proposal]:
    """Load what a list row shows and what the permission rules read, alongside."""
    return query.options(
        defer(Proposal.content),
        joinedload(Proposal.lead_township).joinedload(Township.county),
        # The priority badge reads the kind of the lead and of every participant.
        joinedload(Proposal.lead_township).joinedload(Township.priority),
        selectinload(Proposal.participants).joinedload(ProposalTownship.township).joinedload(Township.priority),
        selectinload(Proposal.assignments),
        selectinload(Proposal.round),
    )


def paginate(
    session: Session, condition: ColumnElement[bool], number: int, size: int = PAGE_SIZE
) -> tuple[list[Proposal], Page]:
    """The proposals matching `condition`, newest change first, one page of them; a page
    past the last one shows the last one."""
    total = session.scalar(select(func.count()).select_from(Proposal).where(condition)) or 0
    page = Page.of(number, total, size)
    query = (
        with_shown(select(Proposal).where(condition))
        .order_by(Proposal.updated_at.desc(), Proposal.id.desc())
        .offset(page.offset)
        .limit(size)
    )
    return list(session.scalars(query).unique()), page


@dataclass(frozen=True)
class Facts:
    """A proposal's permission facts, with its reviewers' conflicts already worked out:
    `permissions` and `workflow` take it in place of the model."""

    id: int
    status: str
    lead_township_code: str
    county_code: str
    author_county_code: str | None
    participating_codes: frozenset[str]
    reviewer_ids: frozenset[int]
    revision_count: int
    conflicted_reviewer_ids: frozenset[int] = field(default_factory=frozenset)


def page_facts(session: Session, proposals: Sequence[Proposal]) -> dict[int, Facts]:
    """Permission facts of each proposal shown, from one query of the conflicts of
    every reviewer assigned to any of them."""
    reviewer_ids = {a.reviewer_id for p in proposals for a in p.assignments}
    conflicts: list[Conflict] = []
    if reviewer_ids:
        conflicts = list(session.scalars(select(Conflict).where(Conflict.reviewer_id.in_(reviewer_ids))))
    facts = {}
    for p in proposals:
        base = Facts(
            id=p.id,
            status=p.status,
            lead_township_code=p.lead_township_code,
            county_code=p.county_code,
            author_county_code=p.author_county_code,
            participating_codes=frozenset(t.township_code for t in p.participants),
            reviewer_ids=frozenset(a.reviewer_id for a in p.assignments),
            revision_count=p.revision_count,
        )
        blocked = frozenset(
            c.reviewer_id
            for c in conflicts
            if c.reviewer_id in base.reviewer_ids and perm.conflict_applies(c.scope, c.code, p.id, base)
        )
        facts[p.id] = Facts(**{**base.__dict__, "conflicted_reviewer_ids": blocked})
    return facts


def visible_page(
    session: Session, user: perm.Actor, filters: Filters, number: int, size: int = PAGE_SIZE
) -> tuple[list[Proposal], Page, dict[int, Facts]]:
    """One page of the proposals `user` may see, filtered, with their permission facts."""
    proposals, page = paginate(session, and_(visible_condition(session, user), filters.condition()), number, size)
    return proposals, page, page_facts(session, proposals)


def priority_kinds(session: Session) -> list[str]:
    """The kinds of priority area imported; empty until the list is loaded."""
    return list(session.scalars(select(PriorityArea.kind).distinct().order_by(PriorityArea.kind)))


def cycles(session: Session) -> list[str]:
    return list(session.scalars(select(Proposal.cycle).distinct().order_by(Proposal.cycle.desc())))


def titles(session: Session, ids: Iterable[str]) -> dict[str, str]:
    """Titles of the proposals named by id (as text), e.g. in proposal-scoped conflicts."""
    wanted = [int(i) for i in ids if i.isascii() and i.isdigit() and len(i) <= 18]
    if not wanted:
        return {}
    return {
        str(pid): title
        for pid, title in session.execute(select(Proposal.id, Proposal.title).where(Proposal.id.in_(wanted)))
    }
