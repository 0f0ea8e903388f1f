"""The year-end review (年底檢核) of submitted progress reports, reopening it, and closing a case (結案).

The counselling team (or the NDC) reviews the latest report of a year once: a rating, a
comment to the township, an internal comment, and which reported KPI values it accepts.
Reopening sets a review aside so the township may amend its report; a new review is then
written on the amendment. The NDC closes a case with a final review, after which no more
reports, logs or reviews are taken. Like the other operations these flush, never commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from portal import listing, notifications, operations
from portal.db.models import (
    CaseClosing,
    ProgressReport,
    Proposal,
    ReviewAssignment,
    User,
    YearEndReopening,
    YearEndReview,
)
from portal.domain import followup
from portal.domain import permissions as perm
from portal.domain.errors import DomainError
from portal.domain.followup import Rating, Step
from portal.domain.roles import Role

# Form and column budgets, in characters.
COMMENT_MAX = 1000
INTERNAL_MAX = 2000
REASON_MAX = 500
LESSONS_MAX = 2000
CLOSING_REVIEW_MAX = 4000
# What the township and the counties see in place of the reviewer's name.
TEAM = "輔導團"


class YearEndError(DomainError):
    """A review, reopening or closing was refused; `field` names the input it is about."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def _reviews_of_year(session: Session, proposal_id: int, year: int) -> list[YearEndReview]:
    return list(
        session.scalars(
            select(YearEndReview)
            .join(ProgressReport, ProgressReport.id == YearEndReview.report_id)
            .where(YearEndReview.proposal_id == proposal_id, ProgressReport.year == year)
            .order_by(YearEndReview.id)
        )
    )


def _reopened(session: Session, review_ids: list[int]) -> dict[int, YearEndReopening]:
    if not review_ids:
        return {}
    rows = session.scalars(select(YearEndReopening).where(YearEndReopening.review_id.in_(review_ids)))
    return {r.review_id: r for r in rows}


def _facts(reviews: list[YearEndReview], reopened: dict[int, YearEndReopening]) -> list[followup.ReviewFact]:
    return [followup.ReviewFact(r.id, r.report.number, r.id in reopened) for r in reviews]


def latest_number(session: Session, proposal_id: int, year: int) -> int:
    found = session.scalar(
        select(ProgressReport.number)
        .where(ProgressReport.proposal_id == proposal_id, ProgressReport.year == year)
        .order_by(ProgressReport.number.desc())
        .limit(1)
    )
    return int(found or 0)


def acceptable_kpis(report: ProgressReport) -> list[int]:
    """Indexes of the KPI rows of `report` that carry a value: only those can be accepted."""
    found = []
    for row in (report.content or {}).get("kpis") or []:
        index = row.get("index") if isinstance(row, dict) else None
        if isinstance(index, int) and not isinstance(index, bool) and row.get("actual") is not None:
            found.append(index)
    return sorted(set(found))


def _rating(value: str, field_name: str = "rating") -> Rating:
    try:
        return Rating(value)
    except ValueError:
        raise YearEndError("請選擇檢核結果。", field=field_name) from None


def _check_length(value: str, limit: int, field_name: str) -> None:
    if len(value) > limit:
        raise YearEndError(f"請在 {limit} 字以內（目前 {len(value)} 字）。", field=field_name)


def review_report(
    session: Session,
    report: ProgressReport,
    actor: User,
    rating: str,
    comment_to_township: str,
    internal_comment: str,
    accepted_kpis: list[int],
) -> YearEndReview:
    """Write the year-end review of `report`.

    Refused unless `actor` counsels the open, approved case, `report` is the latest of its
    year and no review stands on it, and every accepted KPI is a row of the report with a
    value. Side effects: an audit event (the report and the rating) and a message to the
    case's editors, its county and the NDC carrying the rating and the comment to the
    township, never the internal comment."""
    proposal = report.proposal
    with operations.refuse_stale():
        operations.lock_proposal(session, proposal)
        step = followup.plan_step(actor, proposal, Step.YEAREND_REVIEW, closed=operations.is_closed(session, proposal))
        latest = latest_number(session, proposal.id, report.year)
        if report.number != latest:
            raise DomainError(f"{report.label}已有修正版（{report.year} 年第 {latest} 版），請檢核最新的一版。")
        reviews = _reviews_of_year(session, proposal.id, report.year)
        if followup.is_reviewed(_facts(reviews, _reopened(session, [r.id for r in reviews])), latest):
            raise DomainError(f"{report.label}已完成年底檢核；要修改，請先重新開啟年底檢核。")
        chosen = _rating(rating)
        comment, internal = comment_to_township.strip(), internal_comment.strip()
        _check_length(comment, COMMENT_MAX, "comment_to_township")
        _check_length(internal, INTERNAL_MAX, "internal_comment")
        allowed = acceptable_kpis(report)
        accepted = sorted(set(accepted_kpis))
        if any(index not in allowed for index in accepted):
            raise YearEndError("只能採認報告中有填寫實際值的 KPI。", field="accepted_kpis")
        review = YearEndReview(
            proposal_id=proposal.id,
            report_id=report.id,
            reviewer_id=actor.id,
            rating=chosen.value,
            comment_to_township=comment,
            internal_comment=internal,
            accepted_kpis=accepted,
        )
        session.add(review)
        session.flush()
    operations.audit(session, actor, step.step.value, proposal=proposal, reason=f"{report.label}：{chosen.label}")
    lines = [
        f"提案：{proposal.title}（{proposal.lead_township.full_name}）",
        f"執行進度報告：{report.label}",
        f"年底檢核結果：{chosen.label}",
        f"採認 KPI 實際值：{len(accepted)} 項",
    ]
    if comment:
        lines.append(f"輔導團意見：{comment}")
    notifications.queue_step(
        session, proposal, step, actor, f"{report.year} 年年底檢核：{chosen.label}", "\n".join(lines)
    )
    return review


def reopen(session: Session, review: YearEndReview, actor: User, reason: str) -> YearEndReopening:
    """Set the standing review `review` aside so the township may amend its report.

    The reason is required and goes into the audit event and the message to the
    case's editors and reviewers; until a new review is written the year has no
    accepted values and no rating."""
    proposal = review.report.proposal
    with operations.refuse_stale():
        operations.lock_proposal(session, proposal)
        reason = reason.strip()
        step = followup.plan_step(
            actor, proposal, Step.YEAREND_REOPEN, closed=operations.is_closed(session, proposal), reason=reason
        )
        _check_length(reason, REASON_MAX, "reason")
        year = review.report.year
        reviews = _reviews_of_year(session, proposal.id, year)
        standing = followup.standing_review(_facts(reviews, _reopened(session, [r.id for r in reviews])))
        if standing != review.id:
            raise DomainError(f"這份年底檢核已不是 {year} 年目前有效的檢核，不能重新開啟。")
        reopening = YearEndReopening(review_id=review.id, reason=reason, reopened_by_id=actor.id)
        session.add(reopening)
        session.flush()
    operations.audit(session, actor, step.step.value, proposal=proposal, reason=f"{review.report.label}：{reason}")
    body = "\n".join(
        [
            f"提案：{proposal.title}（{proposal.lead_township.full_name}）",
            f"{review.report.label}的年底檢核已重新開啟，公所可以修正後再送出執行進度報告。",
            f"理由：{reason}",
        ]
    )
    notifications.queue_step(session, proposal, step, actor, f"{year} 年年底檢核已重新開啟", body)
    return reopening


def close_case(
    session: Session, proposal: Proposal, actor: User, rating: str, lessons: str, review_text: str
) -> CaseClosing:
    """Close the case (結案) with the NDC's final review: a rating, lessons learned for
    other townships (required) and a free text. Admins only, once; afterwards no report,
    log entry or review is taken. Side effects: an audit event and a message to the
    case's editors, its county and its reviewers."""
    with operations.refuse_stale():
        operations.lock_proposal(session, proposal)
        step = followup.plan_step(actor, proposal, Step.CLOSE, closed=operations.is_closed(session, proposal))
        chosen = _rating(rating)
        lessons, review_text = lessons.strip(), review_text.strip()
        if not lessons:
            raise YearEndError("請填寫可供其他鄉鎮參考的經驗。", field="lessons")
        _check_length(lessons, LESSONS_MAX, "lessons")
        _check_length(review_text, CLOSING_REVIEW_MAX, "review")
        closing = CaseClosing(
            proposal_id=proposal.id, rating=chosen.value, lessons=lessons, review=review_text, closed_by_id=actor.id
        )
        session.add(closing)
        session.flush()
    operations.audit(session, actor, step.step.value, proposal=proposal, reason=f"結案：{chosen.label}")
    body = "\n".join(
        [
            f"提案：{proposal.title}（{proposal.lead_township.full_name}）",
            f"國發會已辦理結案，結案評等：{chosen.label}。",
            "結案後不再需要繳交執行進度報告。",
        ]
    )
    notifications.queue_step(session, proposal, step, actor, f"已結案（{chosen.label}）", body)
    return closing


# --- what each page shows ---------------------------------------------------------------


@dataclass
class YearView:
    """One year of a case as this part shows it: the latest report, the review that
    stands on it, and the reviews set aside, with only what the viewer may read."""

    year: int
    report: ProgressReport
    review: YearEndReview | None
    reviewer_label: str = ""
    internal_comment: str | None = None
    reopened: list[tuple[str, YearEndReopening]] = field(default_factory=list)

    @property
    def waiting(self) -> bool:
        return self.review is None


def _years(session: Session, proposal: Proposal, user: User) -> list[YearView]:
    reports = list(
        session.scalars(
            select(ProgressReport)
            .where(ProgressReport.proposal_id == proposal.id)
            .order_by(ProgressReport.year, ProgressReport.number)
        )
    )
    latest: dict[int, ProgressReport] = {r.year: r for r in reports}
    reviews = list(
        session.scalars(
            select(YearEndReview)
            .options(selectinload(YearEndReview.reviewer), selectinload(YearEndReview.report))
            .where(YearEndReview.proposal_id == proposal.id)
            .order_by(YearEndReview.id)
        )
    )
    reopened = _reopened(session, [r.id for r in reviews])
    inside = followup.counsels(user, proposal)
    views = []
    for year, report in sorted(latest.items(), reverse=True):
        of_year = [r for r in reviews if r.report.year == year]
        standing = next((r for r in of_year if r.report.number == report.number and r.id not in reopened), None)
        view = YearView(year, report, standing)
        if standing is not None:
            view.reviewer_label = standing.reviewer.name if inside else TEAM
            view.internal_comment = standing.internal_comment if inside else None
        view.reopened = [(r.report.label, reopened[r.id]) for r in of_year if r.id in reopened]
        views.append(view)
    return views


def panel(session: Session, proposal: Proposal, user: User) -> dict[str, Any]:
    """What the case's follow-up page shows of this part to `user`, as template context."""
    closing = session.get(CaseClosing, proposal.id)
    return {
        "yearend_years": _years(session, proposal, user),
        "yearend_counsels": followup.counsels(user, proposal),
        "yearend_closing": closing,
        "yearend_can_close": closing is None and perm.is_admin(user),
        "yearend_ratings": [(r.value, r.label) for r in Rating],
    }


def waiting(session: Session, user: User) -> list[ProgressReport]:
    """Reports waiting for a year-end review that `user` may write: the latest report of
    each year, with no review standing on it, of the open cases the reviewer accompanies
    (every open case for the NDC), oldest first."""
    if user.role not in (Role.REVIEWER, Role.ADMIN):
        return []
    query = (
        select(ProgressReport)
        .join(Proposal, Proposal.id == ProgressReport.proposal_id)
        .where(
            Proposal.status.in_([s.value for s in followup.FOLLOWED_STATES]),
            ~select(CaseClosing.proposal_id).where(CaseClosing.proposal_id == Proposal.id).exists(),
        )
        .options(
            selectinload(ProgressReport.proposal).selectinload(Proposal.assignments),
            selectinload(ProgressReport.proposal).selectinload(Proposal.participants),
        )
        .order_by(ProgressReport.submitted_at, ProgressReport.id)
    )
    if user.role == Role.REVIEWER:
        assigned = select(ReviewAssignment.proposal_id).where(ReviewAssignment.reviewer_id == user.id)
        query = query.where(ProgressReport.proposal_id.in_(assigned))
    reports = list(session.scalars(query))
    latest: dict[tuple[int, int], ProgressReport] = {}
    for report in reports:
        key = (report.proposal_id, report.year)
        if key not in latest or report.number > latest[key].number:
            latest[key] = report
    reviews = list(
        session.scalars(select(YearEndReview).where(YearEndReview.report_id.in_([r.id for r in latest.values()])))
    )
    reopened = _reopened(session, [r.id for r in reviews])
    reviewed = {r.report_id for r in reviews if r.id not in reopened}
    # Conflicts of every case at once (one query), not one query per waiting report.
    facts = listing.page_facts(session, list({r.proposal_id: r.proposal for r in reports}.values()))
    return [
        r
        for r in reports
        if latest[(r.proposal_id, r.year)] is r
        and r.id not in reviewed
        and followup.counsels(user, facts[r.proposal_id])
    ]


def dashboard(session: Session, user: User) -> dict[str, Any]:
    """What the home page flags of this part to `user`, as template context."""
    if user.role not in (Role.REVIEWER, Role.ADMIN):
        return {}
    return {"yearend_waiting_count": len(waiting(session, user))}
