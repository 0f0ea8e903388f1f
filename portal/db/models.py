"""SQLAlchemy models: reference data, accounts, proposals, revisions, audit and outbox."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ColumnElement,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    event,
    exists,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    aliased,
    mapped_column,
    object_mapper,
    object_session,
    relationship,
)

from portal.domain import cosign as cosign_rules
from portal.domain.followup import IssueOwner, LogKind, Rating
from portal.domain.meetings import MeetingKind
from portal.domain.permissions import conflict_applies
from portal.domain.programmes import Validity
from portal.domain.proposal import ProposalType
from portal.domain.roles import Role
from portal.domain.rounds import RoundDates
from portal.domain.states import State


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC; always hands back timezone-aware UTC values, also on SQLite."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


Document = JSON().with_variant(JSONB(), "postgresql")

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


# --- reference data -----------------------------------------------------------------


class Region(Base):
    __tablename__ = "region"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(20), unique=True)
    position: Mapped[int]
    counties: Mapped[list[County]] = relationship(back_populates="region", order_by="County.position")


class County(Base):
    __tablename__ = "county"
    code: Mapped[str] = mapped_column(String(5), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(20), unique=True)
    name_en: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(10))
    position: Mapped[int]
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    region: Mapped[Region] = relationship(back_populates="counties")
    townships: Mapped[list[Township]] = relationship(back_populates="county", order_by="Township.code")


class Township(Base):
    __tablename__ = "township"
    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    county_code: Mapped[str] = mapped_column(ForeignKey("county.code"), index=True)
    name_zh: Mapped[str] = mapped_column(String(20))
    name_en: Mapped[str] = mapped_column(String(60))
    zip: Mapped[str] = mapped_column(String(3))
    kind: Mapped[str] = mapped_column(String(10))
    county: Mapped[County] = relationship(back_populates="townships")
    # The NDC's priority kind of this township, once the list is imported; lists load it
    # with the township (joinedload), never one query per row.
    priority: Mapped[PriorityArea | None] = relationship(viewonly=True, uselist=False)

    @property
    def full_name(self) -> str:
        return f"{self.county.name_zh}{self.name_zh}"


class PriorityArea(Base):
    """The NDC's priority townships (優先推動地區); empty until an admin imports the list."""

    __tablename__ = "priority_area"
    township_code: Mapped[str] = mapped_column(ForeignKey("township.code"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    township: Mapped[Township] = relationship()


class Strategy(Base):
    """One of the five strategies (五支箭) every business concept is tagged with."""

    __tablename__ = "strategy"
    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(20))
    name_en: Mapped[str] = mapped_column(String(60))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int]


class Programme(Base):
    """A ministry programme that can fund a business; admins keep this list current."""

    __tablename__ = "programme"
    __table_args__ = (UniqueConstraint("ministry", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    ministry: Mapped[str] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(120))
    notes: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The Gregorian years the programme runs; None where no public source states it.
    valid_from: Mapped[int | None] = mapped_column(Integer)
    valid_to: Mapped[int | None] = mapped_column(Integer)
    validity_source: Mapped[str] = mapped_column(Text, default="", server_default="")
    # "ministry｜programme" as shipped in programmes.csv; None for rows admins added.
    seed_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    # Raised on every edit; an edit form that names an older value is refused as stale.
    lock_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": lock_version}  # noqa: RUF012 (read once by the mapper)

    @property
    def validity(self) -> Validity:
        return Validity(self.valid_from, self.valid_to)


# --- accounts -----------------------------------------------------------------------


class User(Base):
    __tablename__ = "user_account"
    __allow_unmapped__ = True
    __table_args__ = (
        CheckConstraint("(role = 'township') = (township_code IS NOT NULL)", name="township_scope"),
        CheckConstraint("(role = 'county') = (county_code IS NOT NULL)", name="county_scope"),
        CheckConstraint("(role = 'ministry') = (ministry IS NOT NULL)", name="ministry_scope"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    role: Mapped[str] = mapped_column(String(20))
    township_code: Mapped[str | None] = mapped_column(ForeignKey("township.code"))
    county_code: Mapped[str | None] = mapped_column(ForeignKey("county.code"))
    affiliation: Mapped[str] = mapped_column(String(120), default="")
    # A ministry account's ministry, spelt as in Programme.ministry (e.g. 經濟部).
    ministry: Mapped[str | None] = mapped_column(String(60))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    township: Mapped[Township | None] = relationship()
    county: Mapped[County | None] = relationship()

    # Set by the login manager to the server-side session this request runs in.
    current_session: UserSession | None = None

    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    @property
    def scope_label(self) -> str:
        if self.township is not None:
            return self.township.full_name
        if self.county is not None:
            return self.county.name_zh
        if self.ministry is not None:
            return self.ministry
        return self.affiliation

    # Flask-Login's user interface.
    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str | None:
        """Flask-Login keeps the server-side session's token in the cookie, not the id."""
        return self.current_session.token if self.current_session else None


class UserSession(Base):
    """A login. The cookie carries its token; revoking the row ends the login everywhere."""

    __tablename__ = "user_session"
    __allow_unmapped__ = True
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    user: Mapped[User] = relationship()

    # The raw token exists only in the request that created or presented it.
    token: str | None = None


class PasswordToken(Base):
    """A one-time link to set a password: for new accounts and resets."""

    __tablename__ = "password_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    user: Mapped[User] = relationship()


class LoginThrottle(Base):
    """Failed logins per e-mail address, shared by every worker through the database."""

    __tablename__ = "login_throttle"
    key: Mapped[str] = mapped_column(String(254), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


# --- proposals ----------------------------------------------------------------------


class Round(Base):
    """A call for proposals (梯次) the NDC opens: townships submit between the opening
    and closing dates, counties forward until theirs, the year-end report is due at the
    last. `cycle` is the year the round belongs to, under which its cases are grouped
    (ranking, published files, showcase); it is set when the round is created."""

    __tablename__ = "round"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    cycle: Mapped[str] = mapped_column(String(20))
    submission_opens: Mapped[date] = mapped_column(Date)
    submission_closes: Mapped[date] = mapped_column(Date)
    forwarding_closes: Mapped[date] = mapped_column(Date)
    report_due: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def dates(self) -> RoundDates:
        return RoundDates(self.submission_opens, self.submission_closes, self.forwarding_closes, self.report_due)


class ProposalTownship(Base):
    """A participating township of a regional or thematic proposal."""

    __tablename__ = "proposal_township"
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id"), primary_key=True)
    township_code: Mapped[str] = mapped_column(ForeignKey("township.code"), primary_key=True)
    township: Mapped[Township] = relationship()


class Proposal(Base):
    __tablename__ = "proposal"
    id: Mapped[int] = mapped_column(primary_key=True)
    cycle: Mapped[str] = mapped_column(String(20), index=True)
    # None only for proposals made outside the portal's pages (tests, scripts): no deadlines apply.
    round_id: Mapped[int | None] = mapped_column(ForeignKey("round.id"), index=True)
    type: Mapped[str] = mapped_column(String(20), default=ProposalType.TOWNSHIP.value)
    title: Mapped[str] = mapped_column(String(120), default="")
    status: Mapped[str] = mapped_column(String(30), default=State.DRAFT.value, index=True)
    lead_township_code: Mapped[str] = mapped_column(ForeignKey("township.code"), index=True)
    county_code: Mapped[str] = mapped_column(ForeignKey("county.code"), index=True)
    author_county_code: Mapped[str | None] = mapped_column(ForeignKey("county.code"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    content: Mapped[dict[str, Any]] = mapped_column(Document, default=dict)
    # Raised by every UPDATE and checked in its WHERE clause (optimistic locking): an
    # update from a stale copy of the row matches nothing and fails instead of overwriting.
    lock_version: Mapped[int] = mapped_column(Integer, default=1)
    revision_count: Mapped[int] = mapped_column(Integer, default=0)

    __mapper_args__ = {"version_id_col": lock_version}  # noqa: RUF012 (read once by the mapper)

    lead_township: Mapped[Township] = relationship(foreign_keys=[lead_township_code])
    county: Mapped[County] = relationship(foreign_keys=[county_code])
    created_by: Mapped[User] = relationship()
    round: Mapped[Round | None] = relationship()
    participants: Mapped[list[ProposalTownship]] = relationship(cascade="all, delete-orphan")
    revisions: Mapped[list[Revision]] = relationship(back_populates="proposal", order_by="Revision.number")
    assignments: Mapped[list[ReviewAssignment]] = relationship(back_populates="proposal")

    @property
    def state(self) -> State:
        return State(self.status)

    @property
    def type_enum(self) -> ProposalType:
        return ProposalType(self.type)

    @property
    def participating_codes(self) -> set[str]:
        return {p.township_code for p in self.participants}

    @property
    def priority_kinds(self) -> list[str]:
        """The priority kinds (優先推動地區) among the lead and participating townships,
        the lead's first; empty when none is one or the list was never imported."""
        townships = [self.lead_township, *(p.township for p in self.participants)]
        return list(dict.fromkeys(t.priority.kind for t in townships if t.priority is not None))

    @property
    def reviewer_ids(self) -> set[int]:
        return {a.reviewer_id for a in self.assignments}

    @property
    def conflicted_reviewer_ids(self) -> set[int]:
        """Assigned reviewers whose affiliation or declaration conflicts with this case."""
        session = object_session(self)
        if session is None or not self.assignments:
            return set()
        conflicts = session.scalars(select(Conflict).where(Conflict.reviewer_id.in_(self.reviewer_ids)))
        return {c.reviewer_id for c in conflicts if conflict_applies(c.scope, c.code, self.id, self)}

    @property
    def current_revision(self) -> Revision | None:
        return self.revisions[-1] if self.revisions else None

    @property
    def partner_county_codes(self) -> set[str]:
        """Counties other than the lead's with a participating township: they co-sign."""
        return cosign_rules.partner_counties(self.county_code, self.participating_codes)

    @property
    def cosigned_county_codes(self) -> set[str]:
        """Partner counties whose agreement counts for the current revision: given to it,
        or to an earlier one with the same participating townships, and not withdrawn."""
        session = object_session(self)
        if session is None or not self.revisions:
            return set()
        since = cosign_rules.partners_since([(r.number, r.participating_codes) for r in self.revisions])
        rows = session.execute(
            select(CoSignature.county_code, Revision.number)
            .join(Revision, Revision.id == CoSignature.revision_id)
            .where(CoSignature.proposal_id == self.id, CoSignature.withdrawn_at.is_(None))
        )
        return cosign_rules.standing((cosign_rules.Signature(code, number) for code, number in rows), since)


class Revision(Base):
    """The proposal as submitted, frozen: reviewers score a revision, never the draft."""

    __tablename__ = "revision"
    __table_args__ = (UniqueConstraint("proposal_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id"), index=True)
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(120))
    content: Mapped[dict[str, Any]] = mapped_column(Document)
    participating_codes: Mapped[list[str]] = mapped_column(Document, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    proposal: Mapped[Proposal] = relationship(back_populates="revisions")

    @property
    def label(self) -> str:
        return f"v{self.number}"


class CoSignature(Base):
    """A participating county's agreement (同意參與) to a submitted revision of a
    cross-county proposal. Withdrawing stamps the row; a new agreement is a new row."""

    __tablename__ = "cosignature"
    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id"), index=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("revision.id"))
    county_code: Mapped[str] = mapped_column(ForeignKey("county.code"))
    signed_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revision: Mapped[Revision] = relationship()
    county: Mapped[County] = relationship()
    signed_by: Mapped[User] = relationship(foreign_keys=[signed_by_id])


class ReviewAssignment(Base):
    __tablename__ = "review_assignment"
    __table_args__ = (UniqueConstraint("proposal_id", "reviewer_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    proposal: Mapped[Proposal] = relationship(back_populates="assignments")
    reviewer: Mapped[User] = relationship()


class Conflict(Base):
    """A reason a reviewer may not review some proposals.

    Scope `county` or `township` is an affiliation (every proposal led from there is
    conflicted); scope `proposal` is a conflict the reviewer declared for one case."""

    __tablename__ = "conflict"
    __table_args__ = (
        CheckConstraint("scope IN ('county', 'township', 'proposal')", name="scope"),
        UniqueConstraint("reviewer_id", "scope", "code"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    scope: Mapped[str] = mapped_column(String(10))
    # A county code, a township code, or a proposal id as text.
    code: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reviewer: Mapped[User] = relationship()


class Review(Base):
    """One reviewer's scores for one submitted revision, bound to the rubric version.

    Written once. Changing a submitted score before the decision writes a new row that
    names the one it replaces (`replaces_id`, unique: a review is replaced at most once),
    so each (revision, reviewer) has one chain of rows whose last one stands; the partial
    unique index lets each (revision, reviewer) start only one chain."""

    __tablename__ = "review"
    __table_args__ = (
        Index(
            "uq_review_first_of_reviewer",
            "revision_id",
            "reviewer_id",
            unique=True,
            sqlite_where=text("replaces_id IS NULL"),
            postgresql_where=text("replaces_id IS NULL"),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("review.id"), unique=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id"), index=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("revision.id"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    rubric_version: Mapped[str] = mapped_column(String(40))
    scores: Mapped[dict[str, Any]] = mapped_column(Document)
    cross_domain: Mapped[bool | None] = mapped_column(Boolean)
    cross_ministry: Mapped[bool | None] = mapped_column(Boolean)
    confidence: Mapped[int] = mapped_column(Integer)
    comment_to_township: Mapped[str] = mapped_column(Text, default="")
    internal_comment: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reviewer: Mapped[User] = relationship()
    revision: Mapped[Revision] = relationship()

    @staticmethod
    def standing() -> ColumnElement[bool]:
        """A WHERE clause: the review is not replaced by a later one. Every reader of
        scores (ranking, calibration, aggregates, progress, comments) counts only these."""
        replacement = aliased(Review)
        return ~exists().where(replacement.replaces_id == Review.id)


class ReviewDraft(Base):
    """A reviewer's unsubmitted scoring form for one revision, saved as typed (any
    subset of the fields, half-typed ones too). Seen by its reviewer only and counted
    nowhere; submitting deletes it. Optimistic locking keeps two tabs from overwriting
    each other."""

    __tablename__ = "review_draft"
    __table_args__ = (UniqueConstraint("revision_id", "reviewer_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id"), index=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("revision.id"))
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    form: Mapped[dict[str, Any]] = mapped_column(Document, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    lock_version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": lock_version}  # noqa: RUF012 (read once by the mapper)


class Meeting(Base):
    """A 地方創生會報 meeting or one of its working meetings (工作會議), numbered per
    kind. `name` is how decisions and published cases name it: made from the number for
    new meetings, the text typed with each decision for meetings from before (0009)."""

    __tablename__ = "meeting"
    __table_args__ = (
        UniqueConstraint("kind", "number"),
        CheckConstraint("kind IN ('council', 'working')", name="kind"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    # None only for a meeting from before whose text named no number, or a taken one.
    number: Mapped[int | None] = mapped_column(Integer)
    held_on: Mapped[date] = mapped_column(Date)
    name: Mapped[str] = mapped_column(String(120))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    agenda: Mapped[list[AgendaItem]] = relationship(back_populates="meeting", order_by="AgendaItem.added_at")

    @property
    def kind_enum(self) -> MeetingKind:
        return MeetingKind(self.kind)


class AgendaItem(Base):
    """A screened proposal the NDC put on a meeting's agenda."""

    __tablename__ = "agenda_item"
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id"), primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id"), primary_key=True, index=True)
    added_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    meeting: Mapped[Meeting] = relationship(back_populates="agenda")
    proposal: Mapped[Proposal] = relationship()


class Decision(Base):
    """The NDC's decision on a proposal, taken at a 會報 meeting. `meeting` and
    `decided_on` copy the meeting's name and date when the decision is taken."""

    __tablename__ = "decision"
    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id"), index=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("revision.id"))
    outcome: Mapped[str] = mapped_column(String(30))
    reasons: Mapped[str] = mapped_column(Text, default="")
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id"), index=True)
    meeting: Mapped[str] = mapped_column(String(120))
    decided_on: Mapped[date] = mapped_column(Date)
    private_investment: Mapped[int] = mapped_column(Integer, default=0)
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    resources: Mapped[list[MatchedResource]] = relationship(
        back_populates="decision", cascade="all, delete-orphan", order_by="MatchedResource.id"
    )
    at_meeting: Mapped[Meeting] = relationship()


class MatchedResource(Base):
    """A ministry programme's money matched (媒合) to an approved proposal."""

    __tablename__ = "matched_resource"
    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decision.id"), index=True)
    programme: Mapped[str] = mapped_column(String(120))
    ministry: Mapped[str] = mapped_column(String(60))
    amount: Mapped[int] = mapped_column(Integer)
    year: Mapped[int] = mapped_column(Integer)
    decision: Mapped[Decision] = relationship(back_populates="resources")


class MatchOffer(Base):
    """A programme a ministry proposes to match (媒合) to a screened proposal. The NDC
    confirms it, or leaves it out, when it decides the case; `decision_id` names the
    decision whose matched resources it went into."""

    __tablename__ = "match_offer"
    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id"), index=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id"))
    amount: Mapped[int] = mapped_column(Integer)
    year: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decision.id"))
    proposal: Mapped[Proposal] = relationship()
    programme: Mapped[Programme] = relationship()
    proposed_by: Mapped[User] = relationship()


class FormStash(Base):
    """What a user typed into a form when their login had expired, kept until they
    log in again so that nothing typed is lost. Restored only to the same account."""

    __tablename__ = "form_stash"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    path: Mapped[str] = mapped_column(String(300))
    form: Mapped[dict[str, Any]] = mapped_column(Document)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


# --- audit and notifications --------------------------------------------------------


class AuditEvent(Base):
    """Append-only record of who did what, when, and why. Never updated or deleted.

    Each event holds the hash of the one before it and its own (see
    portal/domain/audit_chain.py); `portal.db.history.seal` sets both. Database triggers
    refuse UPDATE and DELETE on this table, on revision and on review (migration 0005)."""

    __tablename__ = "audit_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    actor_label: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(40), index=True)
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposal.id"), index=True)
    from_state: Mapped[str | None] = mapped_column(String(30))
    to_state: Mapped[str | None] = mapped_column(String(30))
    reason: Mapped[str] = mapped_column(Text, default="")
    # Unique: two events can never follow the same one, so the chain cannot fork.
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64))
    actor: Mapped[User | None] = relationship()
    proposal: Mapped[Proposal | None] = relationship()


class OutboxMessage(Base):
    """A notification waiting to be e-mailed; also shown to the recipient in the portal."""

    __tablename__ = "outbox_message"
    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    event: Mapped[str] = mapped_column(String(40))
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposal.id"))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    # A sender claims a message before sending it, so overlapping runs never both send it;
    # a claim older than the claim timeout belongs to a run that died and is taken over.
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claim_token: Mapped[str | None] = mapped_column(String(32))
    recipient: Mapped[User] = relationship()


class RoundReminder(Base):
    """A deadline reminder already queued, so that `portal rounds remind` sends each
    (round, deadline date, days before, account) once however often it runs."""

    __tablename__ = "round_reminder"
    __table_args__ = (UniqueConstraint("round_id", "deadline", "deadline_on", "days_before", "recipient_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"))
    # "submission" (townships) or "forwarding" (counties).
    deadline: Mapped[str] = mapped_column(String(20))
    deadline_on: Mapped[date] = mapped_column(Date)
    days_before: Mapped[int] = mapped_column(Integer)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    message_id: Mapped[int] = mapped_column(ForeignKey("outbox_message.id"))


# --- after approval: counselling, progress reports, year-end review, closing ----------------


class CounselEntry(Base):
    """A visit (現地勘察), meeting or call of a case's counselling team. Internal unless
    marked for the township; written once, like the rest of the case's history."""

    __tablename__ = "counsel_entry"
    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    held_on: Mapped[date] = mapped_column(Date)
    place: Mapped[str] = mapped_column(String(120), default="")
    attendees: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    visible_to_township: Mapped[bool] = mapped_column(Boolean, default=False)
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    author: Mapped[User] = relationship()
    issues: Mapped[list[CounselIssue]] = relationship(back_populates="entry", order_by="CounselIssue.id")

    @property
    def kind_enum(self) -> LogKind:
        return LogKind(self.kind)


class CounselIssue(Base):
    """A problem (問題) a counselling entry raised, with who must act on it and by when.
    Resolving it stamps the row with how; it is visible to the township when its entry is."""

    __tablename__ = "counsel_issue"
    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id"), index=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("counsel_entry.id"), index=True)
    description: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(10))
    due_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="open", index=True)
    resolution: Mapped[str] = mapped_column(Text, default="")
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    entry: Mapped[CounselEntry] = relationship(back_populates="issues")
    proposal: Mapped[Proposal] = relationship()
    resolved_by: Mapped[User | None] = relationship()

    @property
    def owner_enum(self) -> IssueOwner:
        return IssueOwner(self.owner)


class ReportRound(Base):
    """The NDC's due date for every approved case's progress report on one year."""

    __tablename__ = "report_round"
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    due_on: Mapped[date] = mapped_column(Date)
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ReportDraft(Base):
    """The township's report for one year while it is being written: saved section by
    section, with the same optimistic locking as a proposal, until it is submitted."""

    __tablename__ = "report_draft"
    __table_args__ = (UniqueConstraint("proposal_id", "year"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    content: Mapped[dict[str, Any]] = mapped_column(Document, default=dict)
    updated_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    lock_version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": lock_version}  # noqa: RUF012 (read once by the mapper)


class ProgressReport(Base):
    """A submitted yearly progress report (執行進度報告), frozen like a revision. The
    first for a year is number 1; an amendment is the next number, the earlier kept.
    `revision_id` is the approved revision whose KPIs and businesses it reports on
    (the content's `index` fields point into its lists)."""

    __tablename__ = "progress_report"
    __table_args__ = (UniqueConstraint("proposal_id", "year", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id"), index=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("revision.id"))
    year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    content: Mapped[dict[str, Any]] = mapped_column(Document)
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    submitted_by: Mapped[User] = relationship()
    proposal: Mapped[Proposal] = relationship()

    @property
    def label(self) -> str:
        return f"{self.year} 年第 {self.number} 版"


class YearEndReview(Base):
    """The counselling team's year-end review (年底檢核) of one submitted report: a
    rating, a comment to the township, an internal comment, and which of the reported
    KPI values it accepts (`accepted_kpis`: indexes into the approved revision's KPIs).
    Written once; reopening it is a row of its own (YearEndReopening)."""

    __tablename__ = "yearend_review"
    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id"), index=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("progress_report.id"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    rating: Mapped[str] = mapped_column(String(10))
    comment_to_township: Mapped[str] = mapped_column(Text, default="")
    internal_comment: Mapped[str] = mapped_column(Text, default="")
    accepted_kpis: Mapped[list[int]] = mapped_column(Document, default=list)
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reviewer: Mapped[User] = relationship()
    report: Mapped[ProgressReport] = relationship()

    @property
    def rating_enum(self) -> Rating:
        return Rating(self.rating)


class YearEndReopening(Base):
    """A year-end review set aside, with the reason, so the township may amend its report."""

    __tablename__ = "yearend_reopening"
    review_id: Mapped[int] = mapped_column(ForeignKey("yearend_review.id"), primary_key=True)
    reason: Mapped[str] = mapped_column(Text)
    reopened_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    reopened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CaseClosing(Base):
    """The NDC's closing review (結案檢討) of a case: after it no more reports are due."""

    __tablename__ = "case_closing"
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id"), primary_key=True)
    rating: Mapped[str] = mapped_column(String(10))
    lessons: Mapped[str] = mapped_column(Text)
    review: Mapped[str] = mapped_column(Text, default="")
    closed_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_by: Mapped[User] = relationship()

    @property
    def rating_enum(self) -> Rating:
        return Rating(self.rating)


class ReportReminder(Base):
    """A progress-report reminder already queued: one per (case, year, due date, days
    before, account) however often `portal reports remind` runs."""

    __tablename__ = "report_reminder"
    __table_args__ = (UniqueConstraint("proposal_id", "year", "due_on", "days_before", "recipient_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id"))
    year: Mapped[int] = mapped_column(Integer)
    due_on: Mapped[date] = mapped_column(Date)
    days_before: Mapped[int] = mapped_column(Integer)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    message_id: Mapped[int] = mapped_column(ForeignKey("outbox_message.id"))


class ImmutableRecordError(RuntimeError):
    """Raised when code tries to change a revision or an audit event after writing it."""


# Written once: database triggers refuse UPDATE and DELETE on their tables too.
HISTORY = (Revision, AuditEvent, Review, CounselEntry, ProgressReport, YearEndReview, YearEndReopening, CaseClosing)


@event.listens_for(Session, "before_flush")
def _refuse_changes_to_history(session: Session, _ctx: Any, _instances: Any) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, HISTORY) and (obj in session.deleted or session.is_modified(obj)):
            raise ImmutableRecordError(
                f"{type(obj).__name__} {object_mapper(obj).primary_key_from_instance(obj)} cannot be changed"
            )
