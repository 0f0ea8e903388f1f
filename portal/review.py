"""Operations of the counselling review: conflicts, assignment, reviews and decisions.

Like `portal.operations`, these flush but never commit; each raises a DomainError
(with a message for the user) and changes nothing when refused.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from portal import notifications, operations
from portal.config import PROJECT_ROOT
from portal.db.models import (
    Conflict,
    County,
    Decision,
    MatchedResource,
    Meeting,
    Programme,
    Proposal,
    Review,
    ReviewAssignment,
    ReviewDraft,
    Revision,
    Township,
    User,
    utcnow,
)
from portal.domain import permissions as perm
from portal.domain.affiliation import Place, places_named
from portal.domain.errors import DomainError, PermissionDenied
from portal.domain.meetings import too_early
from portal.domain.roles import Role
from portal.domain.scoring import Ranked, Rubric, Score, load_rubric, rank
from portal.domain.states import State
from portal.domain.workflow import Action, Audience
from portal.reference import store as reference_store


def init_app(app: Flask) -> None:
    """Load and validate the rubric at start-up: a broken rubric file stops the portal
    with a message naming the file and field, before anyone can score with it."""
    path = Path(app.config.get("RUBRIC_PATH") or PROJECT_ROOT / "content" / "rubric.yaml")
    app.extensions["portal.rubric"] = load_rubric(path)


def rubric() -> Rubric:
    loaded: Rubric = current_app.extensions["portal.rubric"]
    return loaded


CONFIDENCE = {1: "低：不熟悉這個領域", 2: "中", 3: "高：熟悉這個領域"}
OUTCOMES = {
    Action.APPROVE.value: "核定",
    Action.REQUEST_REVISION.value: "修正後再提",
    Action.REJECT.value: "不予核定",
}


# --- conflicts -----------------------------------------------------------------------------


def add_conflict(session: Session, reviewer: User, scope: str, code: str, reason: str, actor: User | None) -> Conflict:
    """Record an affiliation (county/township, by an admin; None on the command line) or a
    declaration (proposal)."""
    if reviewer.role != Role.REVIEWER:
        raise DomainError("只有輔導團委員需要登記利益迴避。")
    if scope not in ("county", "township", "proposal"):
        raise DomainError("利益迴避的範圍不正確。")
    exists = session.scalar(
        select(Conflict).where(Conflict.reviewer_id == reviewer.id, Conflict.scope == scope, Conflict.code == code)
    )
    if exists is not None:
        return exists
    conflict = Conflict(reviewer_id=reviewer.id, scope=scope, code=code, reason=reason.strip())
    session.add(conflict)
    session.flush()
    operations.audit(session, actor, "conflict_add", reason=f"{reviewer.email}：{scope} {code} {reason}".strip())
    return conflict


def affiliation_places(session: Session, affiliation: str, reviewer: User | None = None) -> list[Place]:
    """The counties and townships a reviewer's 服務單位 names (see `portal.domain.affiliation`),
    without those already recorded as conflicts of `reviewer`."""
    counties = [(code, name) for code, name in session.execute(select(County.code, County.name_zh))]
    townships = [
        (code, county, name)
        for code, county, name in session.execute(
            select(Township.code, County.name_zh, Township.name_zh).join(County, Township.county_code == County.code)
        )
    ]
    named = places_named(affiliation, counties, townships)
    if reviewer is None or reviewer.id is None or not named:
        return named
    rows = session.execute(select(Conflict.scope, Conflict.code).where(Conflict.reviewer_id == reviewer.id))
    recorded = {(scope, code) for scope, code in rows}
    return [p for p in named if (p.scope, p.code) not in recorded]


def record_affiliation(session: Session, reviewer: User, codes: Collection[str], actor: User | None) -> list[Conflict]:
    """Record, as conflicts of interest, the places of `codes` that the reviewer's current
    affiliation names (the admin ticked them on the confirmation page); each is audited."""
    named = {p.code: p for p in affiliation_places(session, reviewer.affiliation)}
    unknown = [code for code in codes if code not in named]
    if unknown:
        raise DomainError("勾選的利益迴避地點與服務單位不符，這次沒有變更。請重新整理頁面後再試一次。")
    reason = f"服務單位：{reviewer.affiliation}"
    return [add_conflict(session, reviewer, named[code].scope, code, reason, actor) for code in sorted(set(codes))]


def recorded_conflicts(session: Session, reviewer: User) -> list[str]:
    """A reviewer's recorded conflicts in words: counties and townships, then declared cases."""
    rows = list(session.scalars(select(Conflict).where(Conflict.reviewer_id == reviewer.id).order_by(Conflict.code)))
    codes = [c.code for c in rows if c.scope != "proposal"]
    counties = session.execute(select(County.code, County.name_zh).where(County.code.in_(codes)))
    names = {code: name for code, name in counties}
    names |= {
        t.code: t.full_name
        for t in session.scalars(select(Township).options(joinedload(Township.county)).where(Township.code.in_(codes)))
    }
    places = [names.get(c.code, c.code) for c in rows if c.scope != "proposal"]
    return places + [f"提案 #{c.code}" for c in rows if c.scope == "proposal"]


def declare_conflict(session: Session, proposal: Proposal, reviewer: User, reason: str) -> None:
    """A reviewer steps back from a case; from then on they cannot open it."""
    if reviewer.id not in proposal.reviewer_ids:
        raise PermissionDenied("您沒有被分派這件提案。")
    if not reason.strip():
        raise DomainError("請說明需要迴避的原因。")
    add_conflict(session, reviewer, "proposal", str(proposal.id), reason, reviewer)
    notifications.queue(
        session,
        proposal,
        notifications.admins(session),
        "conflict",
        "委員申報利益迴避",
        body=f"{reviewer.name} 申報迴避：{reason.strip()}\n請另行分派委員。",
    )


# --- assignment ----------------------------------------------------------------------------


def open_load(session: Session) -> dict[int, int]:
    """How many proposals in review each reviewer is assigned: their current load."""
    rows = session.execute(
        select(ReviewAssignment.reviewer_id, func.count())
        .join(Proposal, Proposal.id == ReviewAssignment.proposal_id)
        .where(Proposal.status == State.IN_REVIEW)
        .group_by(ReviewAssignment.reviewer_id)
    )
    return {reviewer_id: count for reviewer_id, count in rows}


def conflicted(session: Session, proposal: Proposal, reviewer_ids: list[int]) -> set[int]:
    conflicts = session.scalars(select(Conflict).where(Conflict.reviewer_id.in_(reviewer_ids)))
    return {c.reviewer_id for c in conflicts if perm.conflict_applies(c.scope, c.code, proposal.id, proposal)}


def suggest_reviewers(session: Session, proposal: Proposal, count: int = 3) -> list[User]:
    """Unconflicted active reviewers, least loaded first, to fill the panel up to `count`."""
    reviewers = list(
        session.scalars(select(User).where(User.role == Role.REVIEWER, User.active.is_(True)).order_by(User.id))
    )
    blocked = conflicted(session, proposal, [r.id for r in reviewers]) | proposal.reviewer_ids
    load = open_load(session)
    candidates = sorted((r for r in reviewers if r.id not in blocked), key=lambda r: (load.get(r.id, 0), r.id))
    return candidates[: max(count - len(proposal.reviewer_ids), 0)]


def assign(session: Session, proposal: Proposal, actor: User, reviewer_ids: list[int]) -> None:
    """Add reviewers (never conflicted ones); a forwarded proposal moves into review."""
    if not perm.is_admin(actor):
        raise PermissionDenied("只有國發會秘書單位可以分派委員。")
    if proposal.state not in (State.FORWARDED, State.IN_REVIEW):
        raise DomainError(f"提案目前為「{proposal.state.label}」，不能分派委員。")
    reviewers = list(session.scalars(select(User).where(User.id.in_(reviewer_ids))))
    if len(reviewers) != len(set(reviewer_ids)) or any(r.role != Role.REVIEWER or not r.active for r in reviewers):
        raise DomainError("只能分派啟用中的輔導團委員。")
    blocked = conflicted(session, proposal, reviewer_ids)
    if blocked:
        names = "、".join(r.name for r in reviewers if r.id in blocked)
        raise DomainError(f"{names} 與這件提案有利益迴避，不能分派。")
    new = [r for r in reviewers if r.id not in proposal.reviewer_ids]
    for reviewer in new:
        proposal.assignments.append(ReviewAssignment(reviewer_id=reviewer.id))
    session.flush()
    if not proposal.assignments:
        raise DomainError("請至少分派一位委員。")
    if proposal.state == State.FORWARDED:
        operations.apply_transition(session, proposal, Action.ASSIGN, actor)
    elif new:
        operations.audit(session, actor, "assign_more", proposal=proposal, reason="、".join(r.name for r in new))
        for reviewer in new:
            _notify(session, proposal, reviewer, "assign", "已分派新的審查提案")


def _notify(session: Session, proposal: Proposal, user: User, event: str, what: str) -> None:
    notifications.queue(session, proposal, [user], event, what)


# --- reviews -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewInput:
    scores: dict[str, int]
    cross_domain: bool | None
    cross_ministry: bool | None
    confidence: int
    comment_to_township: str
    internal_comment: str
    # The revision the form showed; a form opened before a newer revision was submitted
    # is refused rather than recorded against a text the reviewer has not read.
    revision_id: int | None = None


def review_of(session: Session, proposal: Proposal, reviewer: User) -> Review | None:
    """The reviewer's standing review of the proposal's current revision, if written."""
    revision = proposal.current_revision
    if revision is None:
        return None
    return session.scalar(
        select(Review).where(Review.revision_id == revision.id, Review.reviewer_id == reviewer.id, Review.standing())
    )


def scored_counts(session: Session, proposal_ids: list[int]) -> dict[int, int]:
    """How many reviewers scored each proposal's current revision: one query."""
    if not proposal_ids:
        return {}
    rows = session.execute(
        select(Review.proposal_id, func.count())
        .join(Revision, Review.revision_id == Revision.id)
        .join(Proposal, Revision.proposal_id == Proposal.id)
        .where(Revision.number == Proposal.revision_count, Proposal.id.in_(proposal_ids), Review.standing())
        .group_by(Review.proposal_id)
    )
    return {proposal_id: count for proposal_id, count in rows}


def reviewed_current(session: Session, reviewer: User, proposal_ids: list[int]) -> set[int]:
    """Which of the proposals the reviewer has scored at their current revision: one query."""
    if not proposal_ids:
        return set()
    return set(
        session.scalars(
            select(Review.proposal_id)
            .join(Revision, Review.revision_id == Revision.id)
            .join(Proposal, Revision.proposal_id == Proposal.id)
            .where(
                Review.reviewer_id == reviewer.id,
                Revision.number == Proposal.revision_count,
                Proposal.id.in_(proposal_ids),
                Review.standing(),
            )
        )
    )


def drafted_current(session: Session, reviewer: User, proposal_ids: list[int]) -> set[int]:
    """Which of the proposals the reviewer has a draft score of, for the current revision."""
    if not proposal_ids:
        return set()
    return set(
        session.scalars(
            select(ReviewDraft.proposal_id)
            .join(Revision, ReviewDraft.revision_id == Revision.id)
            .join(Proposal, Revision.proposal_id == Proposal.id)
            .where(
                ReviewDraft.reviewer_id == reviewer.id,
                Revision.number == Proposal.revision_count,
                Proposal.id.in_(proposal_ids),
            )
        )
    )


def last_scored(session: Session, proposal: Proposal, reviewer: User) -> Review | None:
    """The reviewer's most recent review of an earlier revision: the base of the diff."""
    return session.scalar(
        select(Review)
        .where(Review.proposal_id == proposal.id, Review.reviewer_id == reviewer.id)
        .order_by(Review.id.desc())
    )


ALREADY_SCORED = "您已送出 {label} 的評分，這次沒有再送出。要修改請按「修改評分」。"
STALE_EDIT = (
    "您開啟這個頁面後，{label} 的評分已在另一個分頁修改，這次沒有送出。"
    "您輸入的內容都還在下方；請重新開啟「修改評分」比對後再送出。"
)
NOTHING_CHANGED = "評分沒有任何修改，這次沒有送出。"
# States a proposal reaches by a decision of the NDC.
DECIDED = (State.APPROVED, State.NOT_APPROVED, State.REVISION_REQUESTED, State.PUBLISHED)


class DraftConflict(DomainError):
    """The draft was saved or submitted in another tab after this form was opened."""

    def __init__(self) -> None:
        super().__init__(
            "這份評分草稿在您開啟頁面後，已在另一個分頁暫存或送出，這次沒有儲存。"
            "您輸入的內容都還在下方；另一個分頁暫存的內容列在表單上方，確認後再按一次「暫存」即以您的內容為準。"
        )


def draft_of(session: Session, proposal: Proposal, reviewer: User) -> ReviewDraft | None:
    """The reviewer's draft of a score of the current revision; nobody else's."""
    revision = proposal.current_revision
    if revision is None:
        return None
    return session.scalar(
        select(ReviewDraft).where(ReviewDraft.revision_id == revision.id, ReviewDraft.reviewer_id == reviewer.id)
    )


def _check_scorable(session: Session, proposal: Proposal, reviewer: User, revision_id: int | None) -> Revision:
    """The current revision, if `reviewer` may score or re-score it now (checked after
    taking the proposal's row lock, so a decision taken meanwhile is seen)."""
    operations.lock_proposal(session, proposal)
    if reviewer.id in proposal.reviewer_ids and proposal.state != State.IN_REVIEW:
        if proposal.state in DECIDED:
            raise DomainError(f"國發會已做成決定（{proposal.state.label}），評分不能再修改。")
        raise DomainError(f"這件提案目前為「{proposal.state.label}」，不能評分。")
    if not perm.can_review(reviewer, proposal):
        raise PermissionDenied("您不能評分這件提案（未分派、需迴避，或不在審查中）。")
    revision = proposal.current_revision
    if revision is None:
        raise DomainError("這件提案沒有送出的版本。")
    if revision_id is not None and revision_id != revision.id:
        raise DomainError(
            f"您開啟評分頁後，提案單位已送出新的版本 {revision.label}，這次沒有送出評分。"
            "請閱讀新版本（頁面上方列出與您上次評分版本的差異）後再評分。"
        )
    return revision


def save_draft(
    session: Session,
    proposal: Proposal,
    reviewer: User,
    form: dict[str, str],
    *,
    opened_at: int,
    revision_id: int | None = None,
) -> ReviewDraft:
    """Keep the scoring form as typed, whatever is missing or half-typed. `opened_at` is
    the draft's version when the form was opened (0: there was none); a save from an
    older copy raises DraftConflict and writes nothing."""
    revision = _check_scorable(session, proposal, reviewer, revision_id)
    draft = draft_of(session, proposal, reviewer)
    if (draft.lock_version if draft is not None else 0) != opened_at:
        raise DraftConflict()
    if draft is None:
        draft = ReviewDraft(proposal_id=proposal.id, revision_id=revision.id, reviewer_id=reviewer.id)
        session.add(draft)
    draft.form = {str(k): str(v) for k, v in form.items()}
    draft.updated_at = utcnow()
    try:
        with operations.refuse_stale("這份評分草稿"):
            session.flush()
    except (IntegrityError, operations.StaleRecord) as error:  # another tab saved at the same moment
        raise DraftConflict() from error
    return draft


def submit_review(
    session: Session,
    proposal: Proposal,
    reviewer: User,
    rubric: Rubric,
    data: ReviewInput,
    *,
    replaces: int | None = None,
    draft_version: int | None = None,
) -> Review:
    """Store a review of the current revision, bound to the rubric version, and delete
    the reviewer's draft. With `replaces` (the standing review the form was opened at),
    a changed score while the proposal awaits its decision: a new row naming the one it
    replaces, audited with the old and the new values. `draft_version`, when given, is
    the draft's version the form was opened at; a draft saved since refuses the submit."""
    revision = _check_scorable(session, proposal, reviewer, data.revision_id)
    standing = review_of(session, proposal, reviewer)
    if standing is not None and replaces is None:
        raise DomainError(ALREADY_SCORED.format(label=revision.label))
    if replaces is not None and (standing is None or standing.id != replaces):
        raise DomainError(STALE_EDIT.format(label=revision.label))
    draft = draft_of(session, proposal, reviewer)
    if draft_version is not None and (draft.lock_version if draft is not None else 0) != draft_version:
        raise DraftConflict()
    codes = [c.code for c in rubric.criteria]
    if sorted(data.scores) != sorted(codes):
        raise DomainError("請為每一個評分項目給分。")
    for value in data.scores.values():
        if not rubric.scale_min <= value <= rubric.scale_max:
            raise DomainError(f"分數必須在 {rubric.scale_min} 到 {rubric.scale_max} 之間。")
    if data.confidence not in CONFIDENCE:
        raise DomainError("請選擇把握程度。")
    review = Review(
        proposal_id=proposal.id,
        revision_id=revision.id,
        reviewer_id=reviewer.id,
        replaces_id=standing.id if standing is not None else None,
        rubric_version=rubric.version,
        scores=dict(data.scores),
        cross_domain=data.cross_domain,
        cross_ministry=data.cross_ministry,
        confidence=data.confidence,
        comment_to_township=data.comment_to_township.strip(),
        internal_comment=data.internal_comment.strip(),
    )
    changes = review_changes(rubric, standing, review) if standing is not None else []
    if standing is not None and not changes:
        raise DomainError(NOTHING_CHANGED)
    session.add(review)
    if draft is not None:
        session.delete(draft)
    try:
        with operations.refuse_stale("這份評分草稿"):
            session.flush()
    except IntegrityError as error:  # the same review sent twice at once, from two tabs
        raise DomainError(
            STALE_EDIT.format(label=revision.label) if standing else ALREADY_SCORED.format(label=revision.label)
        ) from error
    except operations.StaleRecord as error:
        raise DraftConflict() from error
    if standing is None:
        operations.audit(session, reviewer, "review", proposal=proposal, reason=revision.label)
        what = f"{reviewer.name} 已完成 {revision.label} 的評分"
    else:
        reason = f"{revision.label}（第 {standing.id} 筆改為第 {review.id} 筆）：" + "；".join(changes)
        operations.audit(session, reviewer, "review_edit", proposal=proposal, reason=reason)
        what = f"{reviewer.name} 修改了 {revision.label} 的評分"
    for user in notifications.recipients(session, proposal, [Audience.ADMINS]):
        _notify(session, proposal, user, "review", what)
    return review


TRISTATE_LABELS = {True: "是", False: "否", None: "無法判斷"}


def shown_values(rubric: Rubric, written: Review) -> list[tuple[str, str]]:
    """A review's values as (label, text), in the form's order: what the history and the
    audit log show."""
    values = [(c.name, str(written.scores.get(c.code, "—"))) for c in rubric.criteria]
    values += [
        ("是否跨領域", TRISTATE_LABELS[written.cross_domain]),
        ("是否跨部會", TRISTATE_LABELS[written.cross_ministry]),
        ("把握程度", CONFIDENCE.get(written.confidence, str(written.confidence))),
        ("內部意見", written.internal_comment or "（空白）"),
        ("給公所的意見", written.comment_to_township or "（空白）"),
    ]
    return values


def review_changes(rubric: Rubric, old: Review, new: Review) -> list[str]:
    """Each value that differs, as 「label：old → new」."""
    return [
        f"{label}：{before} → {after}"
        for (label, before), (_label, after) in zip(shown_values(rubric, old), shown_values(rubric, new), strict=True)
        if before != after
    ]


@dataclass(frozen=True)
class HistoryEntry:
    """One written review in the NDC's history: standing, or replaced and by which."""

    review: Review
    values: list[tuple[str, str]]
    replaced_by: Review | None


def review_history(session: Session, proposal: Proposal, rubric: Rubric) -> list[tuple[Revision, list[HistoryEntry]]]:
    """Every review of the proposal, replaced ones too, by revision (newest first) then
    reviewer, each chain oldest first: the NDC's view of how scores changed."""
    written = list(
        session.scalars(
            select(Review)
            .where(Review.proposal_id == proposal.id)
            .options(joinedload(Review.revision), joinedload(Review.reviewer))
        )
    )
    by_replaced = {r.replaces_id: r for r in written if r.replaces_id is not None}
    grouped: dict[int, list[HistoryEntry]] = {}
    revisions: dict[int, Revision] = {}
    for r in sorted(written, key=lambda r: (-r.revision_id, r.reviewer_id, r.id)):
        revisions[r.revision_id] = r.revision
        grouped.setdefault(r.revision_id, []).append(HistoryEntry(r, shown_values(rubric, r), by_replaced.get(r.id)))
    return [(revisions[key], entries) for key, entries in grouped.items()]


def scores_of(reviews: list[Review]) -> list[Score]:
    return [
        Score(
            reviewer_id=r.reviewer_id,
            proposal_id=r.proposal_id,
            scores={k: int(v) for k, v in r.scores.items()},
            cross_domain=r.cross_domain,
            cross_ministry=r.cross_ministry,
        )
        for r in reviews
    ]


def current_reviews(session: Session, proposal: Proposal) -> list[Review]:
    """The standing reviews of the current revision, one per reviewer who scored it."""
    revision = proposal.current_revision
    if revision is None:
        return []
    return list(
        session.scalars(select(Review).where(Review.revision_id == revision.id, Review.standing()).order_by(Review.id))
    )


# Rankings already worked out, by database, round, rubric and the set of reviews they
# were computed from (see `round_ranking`); a few rounds' worth per worker.
_RANKINGS: OrderedDict[tuple[str, str, str, int, int, int], list[Ranked]] = OrderedDict()
RANKINGS_KEPT = 8
_RANKINGS_LOCK = threading.Lock()


def _current_reviews_of_round(cycle: str) -> ColumnElement[bool]:
    return and_(Proposal.cycle == cycle, Revision.number == Proposal.revision_count, Review.standing())


def round_ranking(session: Session, rubric: Rubric, cycle: str) -> list[Ranked]:
    """`scoring.rank` over the round's standing reviews of current revisions, computed
    once per set of reviews.

    Reviews are never changed or deleted (the database refuses it), and a new one has a
    higher id than any before it, so the count, sum and largest id of the standing
    current reviews name the set exactly: a review added or dropped by a resubmission
    changes the sum, and a changed score (a new row replacing a standing one) raises the
    largest id. One aggregate query then tells whether the last ranking still holds."""
    count, total, largest = session.execute(
        select(func.count(Review.id), func.coalesce(func.sum(Review.id), 0), func.coalesce(func.max(Review.id), 0))
        .join(Revision, Review.revision_id == Revision.id)
        .join(Proposal, Revision.proposal_id == Proposal.id)
        .where(_current_reviews_of_round(cycle))
    ).one()
    url = session.get_bind().engine.url
    key = (url.render_as_string(hide_password=True), cycle, rubric.version, int(count), int(total), int(largest))
    with _RANKINGS_LOCK:
        known = _RANKINGS.get(key)
        if known is not None:
            _RANKINGS.move_to_end(key)
            return known
    ranked = rank(rubric, scores_of(round_reviews(session, cycle)))
    with _RANKINGS_LOCK:
        _RANKINGS[key] = ranked
        while len(_RANKINGS) > RANKINGS_KEPT:
            _RANKINGS.popitem(last=False)
    return ranked


def round_reviews(session: Session, cycle: str) -> list[Review]:
    """Each proposal's standing reviews of its current revision, for every proposal of
    the round, in one query: the current revision is the one numbered `revision_count`."""
    return list(
        session.scalars(
            select(Review)
            .join(Revision, Review.revision_id == Revision.id)
            .join(Proposal, Revision.proposal_id == Proposal.id)
            .where(_current_reviews_of_round(cycle))
            .order_by(Proposal.id, Review.id)
        )
    )


# --- decisions -----------------------------------------------------------------------------


def submitted_on(proposal: Proposal) -> date | None:
    """The Taiwan date the current revision was submitted, or None before any."""
    revision = proposal.current_revision
    return revision.created_at.astimezone(operations.TAIWAN).date() if revision else None


@dataclass(frozen=True)
class Resource:
    programme: str
    amount: int
    year: int


def decide(
    session: Session,
    proposal: Proposal,
    actor: User,
    *,
    outcome: str,
    reasons: str,
    meeting: Meeting,
    resources: list[Resource],
    private_investment: int = 0,
) -> Decision:
    """Record the NDC's decision, taken at `meeting` and dated by it, and move the
    proposal through the workflow.

    A decision needs at least one review of the current revision and a meeting held on or
    after the day that revision was submitted; approvals may name the ministry programmes
    matched to the case and the private investment committed."""
    if outcome not in OUTCOMES:
        raise DomainError("請選擇決定。")
    revision = proposal.current_revision
    if revision is None or not current_reviews(session, proposal):
        raise DomainError("這件提案目前的版本還沒有任何委員評分，不能做成決定。")
    problem = too_early(meeting.held_on, submitted_on(proposal) or meeting.held_on)
    if problem:
        raise DomainError(problem)
    if outcome != Action.APPROVE.value and resources:
        raise DomainError("只有核定的提案才能登錄媒合資源。")
    programmes = {p.name: p for p in session.scalars(select(Programme))}
    offer = reference_store.programme_offer(session)  # ended programmes are not matched anew
    matched = []
    for resource in resources:
        programme = programmes.get(resource.programme)
        if programme is None:
            raise DomainError(f"找不到部會計畫「{resource.programme}」")
        if resource.amount <= 0:
            raise DomainError("媒合金額必須是正整數（千元）。")
        if not 2019 <= resource.year <= 2040:
            raise DomainError(f"「{resource.programme}」的年度必須在 2019 到 2040 之間。")
        refused = offer.refusal(resource.programme, resource.year)
        if refused:
            raise DomainError(refused)
        matched.append(
            MatchedResource(
                programme=programme.name, ministry=programme.ministry, amount=resource.amount, year=resource.year
            )
        )
    if private_investment < 0:
        raise DomainError("民間投資金額不可為負數。")
    operations.apply_transition(session, proposal, Action(outcome), actor, reasons)
    decision = Decision(
        proposal_id=proposal.id,
        revision_id=revision.id,
        outcome=outcome,
        reasons=reasons.strip(),
        meeting_id=meeting.id,
        meeting=meeting.name,
        decided_on=meeting.held_on,
        private_investment=private_investment,
        decided_by_id=actor.id,
        resources=matched,
    )
    session.add(decision)
    session.flush()
    return decision
