"""The follow-up's plain rules: KPI progress, report years and checks, lateness, who may
take each step, and which year-end review stands."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pytest

from portal.domain import followup
from portal.domain.errors import DomainError, PermissionDenied
from portal.domain.followup import Progress, ReportProblem, ReviewFact, Step, progress
from portal.domain.roles import Role
from portal.domain.states import State

# --- progress -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("baseline", "target", "actual", "expected"),
    [
        # A KPI to increase: a quarter of the way, half, exactly there, past it.
        (0, 40, 10, Progress(0.25, False, False)),
        (0, 40, 20, Progress(0.5, False, False)),
        (0, 40, 40, Progress(1.0, True, False)),
        (0, 40, 55, Progress(1.0, True, False)),
        # Moved the wrong way: an empty bar, flagged.
        (10, 40, 4, Progress(0.0, False, True)),
        # A KPI to decrease (population loss 120 → 60 a year): progress as the value falls.
        (120, 60, 90, Progress(0.5, False, False)),
        (120, 60, 60, Progress(1.0, True, False)),
        (120, 60, 30, Progress(1.0, True, False)),
        (120, 60, 150, Progress(0.0, False, True)),
        # A negative baseline, as in the Hualien plan: −1000 → +2.
        (-1000, 2, -499, Progress(0.5, False, False)),
        (-1000, 2, 2, Progress(1.0, True, False)),
        (-1000, 2, -1000, Progress(0.0, False, False)),
        (-1000, 2, -1200, Progress(0.0, False, True)),
        # Both negative, decreasing toward a more negative target.
        (-10, -30, -20, Progress(0.5, False, False)),
    ],
)
def test_progress_is_direction_aware(baseline: float, target: float, actual: float, expected: Progress) -> None:
    assert progress(baseline, target, actual) == expected


@pytest.mark.parametrize(
    ("direction", "actual", "expected"),
    [
        # A level to hold (baseline = target = 50): reached on it or beyond in its direction.
        ("+", 50, Progress(1.0, True, False)),
        ("+", 51, Progress(1.0, True, False)),
        ("+", 49, Progress(0.0, False, True)),
        ("-", 49, Progress(1.0, True, False)),
        ("-", 51, Progress(0.0, False, True)),
        (None, 50, Progress(1.0, True, False)),
    ],
)
def test_progress_zero_width_range_uses_the_stated_direction(
    direction: str | None, actual: float, expected: Progress
) -> None:
    assert progress(50, 50, actual, direction) == expected


@pytest.mark.parametrize(
    ("value", "percent"),
    [
        (Progress(0.0, False, True), 0),
        (Progress(0.257, False, False), 25),
        (Progress(0.999, False, False), 99),
        (Progress(1.0, True, False), 100),
    ],
)
def test_progress_percent_is_100_only_when_reached(value: Progress, percent: int) -> None:
    assert value.percent == percent


def test_progress_a_fraction_just_under_one_never_rounds_up_to_reached() -> None:
    # 99.6 % of the way is not "reached": the bar label must not say 100 %.
    result = progress(0, 1000, 996)
    assert (result.reached, result.percent) == (False, 99)


# --- report years and lateness ------------------------------------------------------------


def test_report_years_are_the_case_period_inclusive() -> None:
    assert followup.report_years((2026, 2028), date(2026, 3, 1)) == (2026, 2027, 2028)


def test_report_years_without_a_period_are_the_decision_year() -> None:
    assert followup.report_years(None, date(2026, 11, 20)) == (2026,)
    assert followup.report_years(None, None) == ()


@pytest.mark.parametrize(
    ("due", "submitted", "closed", "today", "late"),
    [
        (date(2026, 12, 31), False, False, date(2027, 1, 1), True),
        (date(2026, 12, 31), False, False, date(2026, 12, 31), False),  # due today: not yet late
        (date(2026, 12, 31), True, False, date(2027, 2, 1), False),
        (date(2026, 12, 31), False, True, date(2027, 2, 1), False),
        (None, False, False, date(2027, 2, 1), False),
    ],
)
def test_is_late(due: date | None, submitted: bool, closed: bool, today: date, late: bool) -> None:
    assert followup.is_late(due, submitted, closed, today) is late


def test_issue_overdue_only_while_open_and_past_due() -> None:
    today = date(2026, 12, 10)
    assert followup.issue_overdue("open", date(2026, 12, 9), today) is True
    assert followup.issue_overdue("open", date(2026, 12, 10), today) is False
    assert followup.issue_overdue("resolved", date(2026, 12, 1), today) is False
    assert followup.issue_overdue("open", None, today) is False


# --- report checks ------------------------------------------------------------------------


def test_check_report_accepts_negative_and_decimal_values_and_empty_actuals() -> None:
    document = {
        "kpis": [{"index": 0, "actual": -998}, {"index": 1, "actual": 3.5}, {"index": 2, "actual": None}],
        "businesses": [{"index": 0, "status": "delayed"}],
        "received": [{"source": "ministry", "year": 2027, "amount": 0}],
    }
    assert followup.check_report(document, 3, 1, (2026, 2027), 2027) == []


def test_check_report_names_each_problem_beside_its_input() -> None:
    document = {
        "kpis": [{"index": 5, "actual": 1}, {"index": 0, "actual": "約八十"}, {"index": 1, "actual": float("nan")}],
        "businesses": [{"index": 0, "status": "finished"}, {"index": 3, "status": "done"}],
        "received": [{"source": "ministry", "year": 2030, "amount": -5}],
    }
    assert followup.check_report(document, 2, 1, (2026, 2027), 2028) == [
        ReportProblem("year", "這件提案的執行期間是 2026–2027 年，沒有 2028 年。"),
        ReportProblem("kpis-0-actual", "核定的提案沒有這項 KPI。"),
        ReportProblem("kpis-1-actual", "實際值必須是數字（可為負數或小數）。"),
        ReportProblem("kpis-2-actual", "實際值必須是數字（可為負數或小數）。"),
        ReportProblem("businesses-0-status", "請選擇事業的執行狀態。"),
        ReportProblem("businesses-1-status", "核定的提案沒有這項事業。"),
        ReportProblem("received-0-amount", "實際到位金額必須是 0 或正整數（千元）。"),
        ReportProblem("received-0-year", "年度必須在執行期間 2026–2027 年內。"),
    ]


def test_check_report_refuses_a_boolean_posing_as_a_number() -> None:
    document = {"kpis": [{"index": 0, "actual": True}], "received": [{"amount": True}]}
    assert [p.field for p in followup.check_report(document, 1, 0, (), 2026)] == [
        "kpis-0-actual",
        "received-0-amount",
    ]


# --- who may take each step ----------------------------------------------------------------


@dataclass
class Person:
    id: int
    role: str
    township_code: str | None = None
    county_code: str | None = None


@dataclass
class Case:
    status: str = State.PUBLISHED.value
    lead_township_code: str = "10008010"
    county_code: str = "10008"
    author_county_code: str | None = None
    participating_codes: set[str] = field(default_factory=lambda: {"10009020"})
    reviewer_ids: set[int] = field(default_factory=lambda: {7, 8})
    revision_count: int = 1
    conflicted_reviewer_ids: set[int] = field(default_factory=lambda: {8})


TOWNSHIP = Person(1, Role.TOWNSHIP, township_code="10008010")
PARTNER_TOWNSHIP = Person(2, Role.TOWNSHIP, township_code="10009020")
OTHER_TOWNSHIP = Person(3, Role.TOWNSHIP, township_code="10010010")
COUNTY = Person(4, Role.COUNTY, county_code="10008")
PARTNER_COUNTY = Person(5, Role.COUNTY, county_code="10009")
OTHER_COUNTY = Person(6, Role.COUNTY, county_code="10010")
REVIEWER = Person(7, Role.REVIEWER)
CONFLICTED = Person(8, Role.REVIEWER)
STRANGER = Person(9, Role.REVIEWER)
ADMIN = Person(10, Role.ADMIN)
MINISTRY = Person(11, Role.MINISTRY)
EVERYONE = {
    "township": TOWNSHIP,
    "partner_township": PARTNER_TOWNSHIP,
    "other_township": OTHER_TOWNSHIP,
    "county": COUNTY,
    "partner_county": PARTNER_COUNTY,
    "other_county": OTHER_COUNTY,
    "reviewer": REVIEWER,
    "conflicted": CONFLICTED,
    "stranger": STRANGER,
    "admin": ADMIN,
    "ministry": MINISTRY,
}


def who(rule: followup.FollowRule) -> set[str]:
    case = Case()
    return {name for name, person in EVERYONE.items() if rule(person, case)}


def test_who_writes_the_log_and_reviews_reports() -> None:
    assert who(followup.counsels) == {"reviewer", "admin"}


def test_who_reads_the_internal_log() -> None:
    assert who(followup.reads_internal_log) == {"reviewer", "admin", "county", "partner_county"}


def test_who_reads_entries_marked_for_the_township() -> None:
    assert who(followup.reads_township_log) == {"township", "partner_township"}


def test_who_reads_reports() -> None:
    assert who(followup.reads_reports) == {
        "reviewer",
        "admin",
        "county",
        "partner_county",
        "township",
        "partner_township",
    }


def test_step_table_names_who_takes_each_step() -> None:
    case = Case()
    allowed = {
        step.value: sorted(name for name, person in EVERYONE.items() if rule.allowed(person, case))
        for step, rule in followup.STEPS.items()
    }
    assert allowed == {
        "counsel_log": ["admin", "reviewer"],
        "issue_resolve": ["admin", "reviewer"],
        "report_submit": ["township"],
        "report_amend": ["township"],
        "yearend_review": ["admin", "reviewer"],
        "yearend_reopen": ["admin", "reviewer"],
        "case_close": ["admin"],
    }


def test_plan_step_refuses_a_case_that_is_not_approved() -> None:
    with pytest.raises(DomainError) as raised:
        followup.plan_step(TOWNSHIP, Case(status=State.IN_REVIEW.value), Step.REPORT_SUBMIT, closed=False)
    assert str(raised.value) == "提案目前為「輔導團審查中」，核定後才能送出執行進度報告。"


def test_plan_step_refuses_someone_the_table_does_not_name() -> None:
    with pytest.raises(PermissionDenied) as raised:
        followup.plan_step(STRANGER, Case(), Step.YEAREND_REVIEW, closed=False)
    assert str(raised.value) == "您的帳號不能對這件提案執行「年底檢核」。"


def test_plan_step_refuses_a_conflicted_reviewer_even_when_assigned() -> None:
    with pytest.raises(PermissionDenied):
        followup.plan_step(CONFLICTED, Case(), Step.LOG, closed=False)


def test_plan_step_after_closing_allows_only_resolving_issues() -> None:
    def allowed_when_closed(step: Step) -> bool:
        actor = TOWNSHIP if step in (Step.REPORT_SUBMIT, Step.REPORT_AMEND) else ADMIN
        try:
            followup.plan_step(actor, Case(), step, closed=True, reason="理由")
        except DomainError:
            return False
        return True

    assert {step.value for step in Step if allowed_when_closed(step)} == {"issue_resolve"}
    with pytest.raises(DomainError) as raised:
        followup.plan_step(TOWNSHIP, Case(), Step.REPORT_SUBMIT, closed=True)
    assert str(raised.value) == "這件提案已結案，不能再送出執行進度報告。"


def test_plan_step_reopening_needs_a_reason() -> None:
    with pytest.raises(DomainError) as raised:
        followup.plan_step(REVIEWER, Case(), Step.YEAREND_REOPEN, closed=False, reason="  ")
    assert str(raised.value) == "「重新開啟年底檢核」需要填寫理由。"
    assert followup.plan_step(REVIEWER, Case(), Step.YEAREND_REOPEN, closed=False, reason="數值待更正").step == (
        Step.YEAREND_REOPEN
    )


# --- which review stands ------------------------------------------------------------------


def test_standing_review_is_the_latest_live_one_on_the_latest_report() -> None:
    reviews = [ReviewFact(1, 1, reopened=True), ReviewFact(2, 1, reopened=False), ReviewFact(3, 2, reopened=False)]
    assert followup.standing_review(reviews) == 3


def test_standing_review_after_a_reopening_falls_to_nothing_until_reviewed_again() -> None:
    reviews = [ReviewFact(1, 1, reopened=True)]
    assert followup.standing_review(reviews) is None
    assert followup.standing_review([]) is None


def test_is_reviewed_looks_at_the_latest_report_only() -> None:
    reviews = [ReviewFact(1, 1, reopened=False)]
    assert followup.is_reviewed(reviews, 1) is True
    assert followup.is_reviewed(reviews, 2) is False
    assert followup.is_reviewed([ReviewFact(1, 1, reopened=True)], 1) is False
