"""地方創生會報 meetings: their kinds, how they are named, and when a decision may be
taken at one."""

from __future__ import annotations

import enum
from datetime import date


class MeetingKind(enum.StrEnum):
    COUNCIL = "council"  # 會報
    WORKING = "working"  # 工作會議

    @property
    def label(self) -> str:
        return KIND_LABELS[self]


KIND_LABELS = {MeetingKind.COUNCIL: "會報", MeetingKind.WORKING: "工作會議"}

# The first meeting of the 行政院地方創生會報 was held in 2019; nothing is dated before it.
FIRST_YEAR = 2019
LAST_YEAR = 2040


def meeting_name(kind: MeetingKind, number: int) -> str:
    """The name the programme's documents use, e.g. 第12次地方創生會報工作會議."""
    suffix = "工作會議" if kind == MeetingKind.WORKING else ""
    return f"第{number}次地方創生會報{suffix}"


def date_problem(held_on: date) -> str | None:
    """Why a meeting cannot be held on this date, or None."""
    if not FIRST_YEAR <= held_on.year <= LAST_YEAR:
        return f"會議日期必須在 {FIRST_YEAR} 到 {LAST_YEAR} 年之間。"
    return None


def too_early(held_on: date, submitted_on: date) -> str | None:
    """Why a decision cannot be taken at a meeting held on `held_on` for a proposal whose
    current revision was submitted on `submitted_on` (Taiwan dates), or None."""
    if held_on < submitted_on:
        return (
            f"這次會議（{held_on.isoformat()}）早於提案送出目前版本的日期（{submitted_on.isoformat()}），"
            f"不能在這次會議做成決定；請選擇 {submitted_on.isoformat()} 當天或之後的會議。"
        )
    return None
