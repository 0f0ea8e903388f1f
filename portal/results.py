"""A case's results as the public may see them: KPI values the counselling team
accepted, business statuses and ratings, read from the follow-up records.

Only the review that stands for a year (`followup.standing_review`) counts: its report's
KPI values whose index it accepted. A report without a standing review, a reopened
review, internal comments and reviewers' names never leave this module. Everything is
read in a fixed number of queries, however many cases are asked for.

`year_progress` is the NDC's own export of a year: it also shows reported values that
were not accepted, marked as such, and is never published.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.db.models import (
    CaseClosing,
    County,
    Decision,
    ProgressReport,
    Proposal,
    Revision,
    Township,
    YearEndReopening,
    YearEndReview,
)
from portal.domain import followup, funding
from portal.domain.workflow import Action


@dataclass(frozen=True)
class YearValue:
    year: int
    value: int | float


@dataclass(frozen=True)
class YearRating:
    year: int
    rating: str  # a followup.Rating value


@dataclass(frozen=True)
class ClosingFacts:
    rating: str  # a followup.Rating value
    lessons: str


@dataclass(frozen=True)
class CaseResults:
    """What the public may know of a case's follow-up.

    `actuals` has one entry per KPI of the approved revision, each its accepted values
    in year order; `businesses` maps a business's index in the approved revision to its
    status (a BusinessStatus value) in the latest year with a standing review."""

    actuals: tuple[tuple[YearValue, ...], ...] = ()
    businesses: dict[int, str] = field(default_factory=dict)
    latest: YearRating | None = None
    closing: ClosingFacts | None = None


@dataclass(frozen=True)
class _Review:
    """A year-end review with its report, as far as results need it: no comments, no names."""

    review_id: int
    proposal_id: int
    year: int
    report_number: int
    report_revision_id: int
    content: Mapping[str, Any]
    rating: str
    accepted: frozenset[int]
    reopened: bool

    @property
    def fact(self) -> followup.ReviewFact:
        return followup.ReviewFact(self.review_id, self.report_number, self.reopened)


def _approved(session: Session, proposal_ids: Collection[int]) -> dict[int, tuple[int, Mapping[str, Any]]]:
    """Each case's approved revision: id and content (the latest approval stands)."""
    rows = session.execute(
        select(Decision.proposal_id, Decision.id, Revision.id, Revision.content)
        .join(Revision, Revision.id == Decision.revision_id)
        .where(Decision.proposal_id.in_(proposal_ids), Decision.outcome == Action.APPROVE.value)
        .order_by(Decision.id)
    )
    found: dict[int, tuple[int, Mapping[str, Any]]] = {}
    for proposal_id, _decision_id, revision_id, content in rows:
        found[proposal_id] = (revision_id, content if isinstance(content, Mapping) else {})
    return found


def _reviews(session: Session, proposal_ids: Collection[int], year: int | None = None) -> list[_Review]:
    query = (
        select(
            YearEndReview.id,
            YearEndReview.proposal_id,
            YearEndReview.rating,
            YearEndReview.accepted_kpis,
            ProgressReport.year,
            ProgressReport.number,
            ProgressReport.revision_id,
            ProgressReport.content,
            YearEndReopening.review_id,
        )
        .join(ProgressReport, ProgressReport.id == YearEndReview.report_id)
        .outerjoin(YearEndReopening, YearEndReopening.review_id == YearEndReview.id)
        .where(YearEndReview.proposal_id.in_(proposal_ids))
    )
    if year is not None:
        query = query.where(ProgressReport.year == year)
    return [
        _Review(
            review_id=review_id,
            proposal_id=proposal_id,
            year=report_year,
            report_number=number,
            report_revision_id=revision_id,
            content=content if isinstance(content, Mapping) else {},
            rating=rating,
            accepted=frozenset(i for i in accepted or [] if isinstance(i, int)),
            reopened=reopened is not None,
        )
        for review_id, proposal_id, rating, accepted, report_year, number, revision_id, content, reopened in (
            session.execute(query)
        )
    ]


def _standing(reviews: Iterable[_Review]) -> dict[tuple[int, int], _Review]:
    """(case, year) → the review that stands for it."""
    by_year: dict[tuple[int, int], list[_Review]] = defaultdict(list)
    for review in reviews:
        by_year[review.proposal_id, review.year].append(review)
    standing: dict[tuple[int, int], _Review] = {}
    for key, reviews_of_year in by_year.items():
        chosen = followup.standing_review([r.fact for r in reviews_of_year])
        if chosen is not None:
            standing[key] = next(r for r in reviews_of_year if r.review_id == chosen)
    return standing


def _number(value: object) -> int | float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return value


def _rows(document: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    value = document.get(key)
    return [row for row in value if isinstance(row, Mapping)] if isinstance(value, list) else []


def reported(document: Mapping[str, Any], kpi_count: int) -> dict[int, int | float]:
    """A report's KPI values by index: only KPIs the revision has, only numbers."""
    values: dict[int, int | float] = {}
    for row in _rows(document, "kpis"):
        index, value = row.get("index"), _number(row.get("actual"))
        if isinstance(index, int) and 0 <= index < kpi_count and value is not None:
            values[index] = value
    return values


def _statuses(document: Mapping[str, Any], business_count: int) -> dict[int, str]:
    known = {s.value for s in followup.BusinessStatus}
    return {
        row["index"]: row["status"]
        for row in _rows(document, "businesses")
        if isinstance(row.get("index"), int) and 0 <= row["index"] < business_count and row.get("status") in known
    }


def _kpis(content: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return _rows(content, "kpis")


def _businesses(content: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    part = content.get("businesses")
    return _rows(part, "items") if isinstance(part, Mapping) else []


def case_results(session: Session, proposal_ids: Collection[int]) -> dict[int, CaseResults]:
    """The public results of each case in `proposal_ids` (three queries in all). A case
    without an approval has empty results."""
    ids = sorted(set(proposal_ids))
    if not ids:
        return {}
    approved = _approved(session, ids)
    standing = _standing(
        r for r in _reviews(session, ids) if r.report_revision_id == approved.get(r.proposal_id, (None,))[0]
    )
    closings = {
        proposal_id: ClosingFacts(rating, lessons)
        for proposal_id, rating, lessons in session.execute(
            select(CaseClosing.proposal_id, CaseClosing.rating, CaseClosing.lessons).where(
                CaseClosing.proposal_id.in_(ids)
            )
        )
    }
    results: dict[int, CaseResults] = {}
    for proposal_id in ids:
        if proposal_id not in approved:
            results[proposal_id] = CaseResults(closing=closings.get(proposal_id))
            continue
        content = approved[proposal_id][1]
        kpi_count, business_count = len(_kpis(content)), len(_businesses(content))
        years = sorted(year for (pid, year) in standing if pid == proposal_id)
        actuals: list[list[YearValue]] = [[] for _ in range(kpi_count)]
        for year in years:
            review = standing[proposal_id, year]
            for index, value in sorted(reported(review.content, kpi_count).items()):
                if index in review.accepted:
                    actuals[index].append(YearValue(year, value))
        last = standing[proposal_id, years[-1]] if years else None
        results[proposal_id] = CaseResults(
            actuals=tuple(tuple(values) for values in actuals),
            businesses=_statuses(last.content, business_count) if last else {},
            latest=YearRating(last.year, last.rating) if last else None,
            closing=closings.get(proposal_id),
        )
    return results


# --- the NDC's export of a year -----------------------------------------------------------

# Columns of the export, in order: key and Chinese header.
EXPORT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("proposal_id", "提案編號"),
    ("case", "提案名稱"),
    ("township", "主提案鄉鎮市區"),
    ("county", "縣市"),
    ("kpi", "KPI"),
    ("unit", "單位"),
    ("baseline", "現況值"),
    ("target", "目標值"),
    ("reported", "填報實際值"),
    ("accepted", "已採認"),
    ("rating", "年底檢核"),
)


def year_progress(session: Session, year: int) -> list[dict[str, Any]]:
    """One row per followed case whose period includes `year`, and per KPI of its
    approved revision: the value its latest report of the year gives, whether the
    standing review accepted it (是／否) and that review's rating. Four queries."""
    cases = list(
        session.execute(
            select(Proposal.id, Proposal.title, Township.name_zh, County.name_zh)
            .join(Township, Township.code == Proposal.lead_township_code)
            .join(County, County.code == Proposal.county_code)
            .where(Proposal.status.in_([s.value for s in followup.FOLLOWED_STATES]))
            .order_by(Proposal.id)
        )
    )
    ids = [row[0] for row in cases]
    if not ids:
        return []
    approved = _approved(session, ids)
    latest: dict[int, tuple[int, Mapping[str, Any]]] = {}
    for proposal_id, number, revision_id, content in session.execute(
        select(ProgressReport.proposal_id, ProgressReport.number, ProgressReport.revision_id, ProgressReport.content)
        .where(ProgressReport.proposal_id.in_(ids), ProgressReport.year == year)
        .order_by(ProgressReport.proposal_id, ProgressReport.number)
    ):
        if revision_id == approved.get(proposal_id, (None,))[0]:
            latest[proposal_id] = (number, content if isinstance(content, Mapping) else {})
    standing = _standing(
        r for r in _reviews(session, ids, year) if r.report_revision_id == approved.get(r.proposal_id, (None,))[0]
    )
    rows: list[dict[str, Any]] = []
    for proposal_id, title, township, county in cases:
        if proposal_id not in approved:
            continue
        revision_content = approved[proposal_id][1]
        years = followup.report_years(funding.period(revision_content), None)
        if years and year not in years:
            continue
        kpis = _kpis(revision_content)
        values = reported(latest[proposal_id][1], len(kpis)) if proposal_id in latest else {}
        review = standing.get((proposal_id, year))
        for index, kpi in enumerate(kpis):
            value = values.get(index)
            accepted = (
                review is not None
                and value is not None
                and index in review.accepted
                and reported(review.content, len(kpis)).get(index) == value
            )
            rows.append(
                {
                    "proposal_id": proposal_id,
                    "case": title,
                    "township": township,
                    "county": county,
                    "kpi": str(kpi.get("indicator") or ""),
                    "unit": str(kpi.get("unit") or ""),
                    "baseline": _number(kpi.get("baseline")),
                    "target": _number(kpi.get("target")),
                    "reported": value,
                    "accepted": "是" if accepted else "否",
                    "rating": followup.Rating(review.rating).label if review is not None else "",
                }
            )
    return rows
