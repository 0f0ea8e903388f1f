"""After approval: the vocabulary, rules and arithmetic of following a case up.

An approved case is accompanied by its counselling team (輔導團): visits and meetings go
into a counselling log with the issues they raise; the township files a yearly progress
report (執行進度報告); the team reviews it at year end (年底檢核), rating the case and
accepting the reported KPI values; the NDC finally closes the case (結案). Only accepted
values ever reach the public showcase.

Everything here is pure: the database models satisfy the protocols of
`portal.domain.permissions`, and the progress arithmetic takes plain numbers.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from portal.domain import permissions as perm
from portal.domain.errors import DomainError, PermissionDenied
from portal.domain.roles import Role
from portal.domain.states import State

# A case is followed up from approval on, published or not.
FOLLOWED_STATES = frozenset({State.APPROVED, State.PUBLISHED})


class LogKind(enum.StrEnum):
    VISIT = "visit"
    MEETING = "meeting"
    CALL = "call"

    @property
    def label(self) -> str:
        return LOG_KIND_LABELS[self]


LOG_KIND_LABELS = {LogKind.VISIT: "現地勘察", LogKind.MEETING: "會議", LogKind.CALL: "電話或視訊聯繫"}


class IssueOwner(enum.StrEnum):
    TOWNSHIP = "township"
    COUNTY = "county"
    MINISTRY = "ministry"
    COUNSEL = "counsel"

    @property
    def label(self) -> str:
        return ISSUE_OWNER_LABELS[self]


ISSUE_OWNER_LABELS = {
    IssueOwner.TOWNSHIP: "鄉鎮市區公所",
    IssueOwner.COUNTY: "縣市政府",
    IssueOwner.MINISTRY: "部會",
    IssueOwner.COUNSEL: "輔導團",
}


class IssueStatus(enum.StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"

    @property
    def label(self) -> str:
        return {IssueStatus.OPEN: "處理中", IssueStatus.RESOLVED: "已解決"}[self]


class BusinessStatus(enum.StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    DELAYED = "delayed"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return BUSINESS_STATUS_LABELS[self]


BUSINESS_STATUS_LABELS = {
    BusinessStatus.NOT_STARTED: "未開始",
    BusinessStatus.IN_PROGRESS: "進行中",
    BusinessStatus.DONE: "完成",
    BusinessStatus.DELAYED: "延後",
    BusinessStatus.CANCELLED: "取消",
}


class Rating(enum.StrEnum):
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"

    @property
    def label(self) -> str:
        return RATING_LABELS[self]


RATING_LABELS = {Rating.ON_TRACK: "符合進度", Rating.AT_RISK: "需關注", Rating.OFF_TRACK: "落後"}


# --- progress of a KPI ------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    """How far a KPI has come from its baseline toward its target.

    `fraction` is between 0 and 1 for the bar; `reached` when the value is at or past
    the target in the KPI's direction; `backwards` when it moved away from the target.
    """

    fraction: float
    reached: bool
    backwards: bool

    @property
    def percent(self) -> int:
        """Whole percent for the bar's label: 100 only when reached, never above."""
        if self.reached:
            return 100
        return min(99, math.floor(self.fraction * 100))


def rising(baseline: float, target: float, direction: str | None = None) -> bool:
    """Whether the KPI progresses as its value rises: from the baseline and target when
    they differ, otherwise from the stated direction ('+' or '-'; '+' when absent)."""
    if target != baseline:
        return target > baseline
    return direction != "-"


def progress(baseline: float, target: float, actual: float, direction: str | None = None) -> Progress:
    """Direction-aware progress of `actual` from `baseline` toward `target`.

    A KPI whose target is lower than its baseline progresses as the value falls; negative
    values work like any other; a value past the target counts as reached (the bar stops
    at 100 %); a value on the wrong side of the baseline shows an empty bar. When the
    target equals the baseline (a KPI to hold a level), the value has reached it when it
    is on the target or beyond it in the stated direction.
    """
    up = rising(baseline, target, direction)
    if target == baseline:
        reached = actual >= target if up else actual <= target
        return Progress(1.0 if reached else 0.0, reached, not reached)
    fraction = (actual - baseline) / (target - baseline)
    reached = fraction >= 1
    return Progress(max(0.0, min(1.0, fraction)), reached, fraction < 0)


# --- the case's period and its reports ---------------------------------------------------


def report_years(period: tuple[int, int] | None, decided_on: date | None) -> tuple[int, ...]:
    """The years a case reports on: its period (from its businesses' months); a case whose
    businesses name no months reports from the year of its decision for that year only."""
    if period is not None:
        first, last = period
        return tuple(range(first, last + 1))
    return (decided_on.year,) if decided_on is not None else ()


def is_late(due_on: date | None, submitted: bool, closed: bool, today: date) -> bool:
    """A report is late once its due date has passed without one being submitted; a
    closed case owes nothing."""
    return due_on is not None and not submitted and not closed and today > due_on


def issue_overdue(status: str, due_on: date | None, today: date) -> bool:
    return status == IssueStatus.OPEN and due_on is not None and today > due_on


@dataclass(frozen=True)
class ReportProblem:
    """Something wrong in a progress report, by the input it belongs beside."""

    field: str  # e.g. "kpis-0-actual", "businesses-1-status", "received-2-amount", "year"
    message: str


def check_report(
    document: Mapping[str, Any], kpi_count: int, business_count: int, years: tuple[int, ...], year: int
) -> list[ReportProblem]:
    """Problems that refuse a report: a year outside the case's period, an actual for a
    KPI or a status for a business the approved case does not have, a value that is not
    a finite number, a status not on the list, money received for a year outside the
    period or a negative amount. Values may be negative: a KPI's baseline can be."""
    problems: list[ReportProblem] = []
    if years and year not in years:
        problems.append(ReportProblem("year", f"這件提案的執行期間是 {years[0]}–{years[-1]} 年，沒有 {year} 年。"))
    for n, row in enumerate(document.get("kpis") or []):
        index = row.get("index")
        if not isinstance(index, int) or not 0 <= index < kpi_count:
            problems.append(ReportProblem(f"kpis-{n}-actual", "核定的提案沒有這項 KPI。"))
            continue
        value = row.get("actual")
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value)
        ):
            problems.append(ReportProblem(f"kpis-{n}-actual", "實際值必須是數字（可為負數或小數）。"))
    for n, row in enumerate(document.get("businesses") or []):
        index = row.get("index")
        if not isinstance(index, int) or not 0 <= index < business_count:
            problems.append(ReportProblem(f"businesses-{n}-status", "核定的提案沒有這項事業。"))
        elif row.get("status") not in {s.value for s in BusinessStatus}:
            problems.append(ReportProblem(f"businesses-{n}-status", "請選擇事業的執行狀態。"))
    for n, row in enumerate(document.get("received") or []):
        amount = row.get("amount")
        if amount is not None and (isinstance(amount, bool) or not isinstance(amount, int) or amount < 0):
            problems.append(ReportProblem(f"received-{n}-amount", "實際到位金額必須是 0 或正整數（千元）。"))
        row_year = row.get("year")
        if years and row_year is not None and row_year not in years:
            problems.append(ReportProblem(f"received-{n}-year", f"年度必須在執行期間 {years[0]}–{years[-1]} 年內。"))
    return problems


# --- who may do what --------------------------------------------------------------------


def accompanies(user: perm.Actor, proposal: perm.ProposalFacts) -> bool:
    """The counselling team of a case: its assigned reviewers without a conflict."""
    return (
        user.role == Role.REVIEWER
        and user.id in proposal.reviewer_ids
        and user.id not in proposal.conflicted_reviewer_ids
    )


def counsels(user: perm.Actor, proposal: perm.ProposalFacts) -> bool:
    """Writes the counselling log and reviews reports: the team, and the NDC."""
    return accompanies(user, proposal) or perm.is_admin(user)


def reads_internal_log(user: perm.Actor, proposal: perm.ProposalFacts) -> bool:
    """The whole log, internal entries too: the team, the NDC, and the counties involved."""
    if counsels(user, proposal):
        return True
    return user.role == Role.COUNTY and user.county_code in perm.involved_counties(proposal)


def reads_township_log(user: perm.Actor, proposal: perm.ProposalFacts) -> bool:
    """Entries marked for the township: its authors and the townships involved."""
    if perm.is_editor(user, proposal):
        return True
    return user.role == Role.TOWNSHIP and user.township_code in perm.involved_townships(proposal)


def reads_reports(user: perm.Actor, proposal: perm.ProposalFacts) -> bool:
    """Submitted reports and their ratings: everyone who follows the case up."""
    return reads_internal_log(user, proposal) or reads_township_log(user, proposal)


class Step(enum.StrEnum):
    """The moves of the follow-up, each audited under its own action name."""

    LOG = "counsel_log"
    ISSUE_RESOLVE = "issue_resolve"
    REPORT_SUBMIT = "report_submit"
    REPORT_AMEND = "report_amend"
    YEAREND_REVIEW = "yearend_review"
    YEAREND_REOPEN = "yearend_reopen"
    CLOSE = "case_close"

    @property
    def label(self) -> str:
        return STEPS[self].label


FollowRule = Callable[[perm.Actor, perm.ProposalFacts], bool]


@dataclass(frozen=True)
class FollowStep:
    step: Step
    label: str
    allowed: FollowRule
    # Who hears of it: Audience values of portal.domain.workflow ("editors", "county", …).
    notify: tuple[str, ...]
    needs_reason: bool = False
    # Whether the step is still possible once the case is closed.
    after_closing: bool = False


STEPS: dict[Step, FollowStep] = {
    s.step: s
    for s in (
        FollowStep(Step.LOG, "登錄輔導紀錄", counsels, ()),
        FollowStep(Step.ISSUE_RESOLVE, "問題已解決", counsels, (), after_closing=True),
        FollowStep(Step.REPORT_SUBMIT, "送出執行進度報告", perm.is_editor, ("reviewers", "county")),
        FollowStep(Step.REPORT_AMEND, "修正執行進度報告", perm.is_editor, ("reviewers", "county")),
        FollowStep(Step.YEAREND_REVIEW, "年底檢核", counsels, ("editors", "county", "admins")),
        FollowStep(Step.YEAREND_REOPEN, "重新開啟年底檢核", counsels, ("editors", "reviewers"), needs_reason=True),
        FollowStep(Step.CLOSE, "結案", perm.is_admin, ("editors", "county", "reviewers")),
    )
}


def plan_step(
    actor: perm.Actor, proposal: perm.ProposalFacts, step: Step, *, closed: bool, reason: str = ""
) -> FollowStep:
    """Return the step if `actor` may take it on `proposal` now; raise otherwise."""
    rule = STEPS[step]
    if State(proposal.status) not in FOLLOWED_STATES:
        raise DomainError(f"提案目前為「{State(proposal.status).label}」，核定後才能{rule.label}。")
    if not rule.allowed(actor, proposal):
        raise PermissionDenied(f"您的帳號不能對這件提案執行「{rule.label}」。")
    if closed and not rule.after_closing:
        raise DomainError(f"這件提案已結案，不能再{rule.label}。")
    if rule.needs_reason and not reason.strip():
        raise DomainError(f"「{rule.label}」需要填寫理由。")
    return rule


# --- which review stands -----------------------------------------------------------------


@dataclass(frozen=True)
class ReviewFact:
    """A year-end review as the rule below needs it."""

    review_id: int
    report_number: int
    reopened: bool


def standing_review(reviews: list[ReviewFact]) -> int | None:
    """The review that stands for one case and year: the latest one not reopened, on
    the latest report that has one. A reopened review is set aside until a new one is
    written; until then the year has no accepted values and no rating."""
    live = [r for r in reviews if not r.reopened]
    if not live:
        return None
    return max(live, key=lambda r: (r.report_number, r.review_id)).review_id


def is_reviewed(reviews: list[ReviewFact], latest_number: int) -> bool:
    """Whether the latest report of a year has a review that stands: amending it then
    needs the review reopened first."""
    return any(r.report_number == latest_number and not r.reopened for r in reviews)
