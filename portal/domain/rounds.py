"""Rounds (梯次): the rules of their dates, the deadlines of submitting and forwarding,
and how a deadline reads ("送出期限 2026/12/15（尚餘 15 天）").

Dates are calendar days in Taiwan time; a deadline day is included (a township may still
submit on the day its submission closes)."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from portal.domain.errors import DomainError

# The form's fields, in order, with their labels.
FIELDS = {
    "submission_opens": "鄉鎮市區開始送件",
    "submission_closes": "鄉鎮市區送件截止",
    "forwarding_closes": "縣市轉送截止",
    "report_due": "年度成果報告期限",
}
# Dates that are deadlines: none may be set to a day already past.
DEADLINES = ("submission_closes", "forwarding_closes", "report_due")


class Deadline(enum.StrEnum):
    """The deadlines that refuse a move and that reminders are sent for."""

    SUBMISSION = "submission"
    FORWARDING = "forwarding"

    @property
    def label(self) -> str:
        return {"submission": "送出期限", "forwarding": "轉送期限"}[self.value]

    @property
    def field(self) -> str:
        return f"{self.value}_closes"


@dataclass(frozen=True)
class RoundDates:
    submission_opens: date
    submission_closes: date
    forwarding_closes: date
    report_due: date

    def closes(self, deadline: Deadline) -> date:
        return self.submission_closes if deadline == Deadline.SUBMISSION else self.forwarding_closes

    def is_open(self, today: date) -> bool:
        """Townships may start and submit proposals in this round today."""
        return self.submission_opens <= today <= self.submission_closes


@dataclass(frozen=True)
class Window:
    """Another round's township submission window, for the overlap check."""

    name: str
    opens: date
    closes: date


def slash(day: date) -> str:
    return f"{day.year}/{day.month:02d}/{day.day:02d}"


def date_errors(
    dates: RoundDates,
    today: date,
    *,
    before: RoundDates | None = None,
    others: Iterable[Window] = (),
) -> dict[str, str]:
    """Field → message for every rule `dates` break; empty when they are fine.

    `before` is the round as saved (None when creating): only deadlines that change
    must not be in the past, so that a round can be edited after it has closed and
    reopened by moving a deadline to today or later. `others` are the other rounds'
    submission windows, which may not overlap this one's."""
    errors: dict[str, str] = {}
    for field in DEADLINES:
        value = getattr(dates, field)
        if value < today and (before is None or getattr(before, field) != value):
            errors[field] = f"{FIELDS[field]}日不可早於今天（{slash(today)}）。"
    if dates.submission_closes < dates.submission_opens:
        errors["submission_closes"] = "鄉鎮市區送件截止日不可早於開始送件日。"
    if dates.forwarding_closes < dates.submission_closes:
        errors.setdefault("forwarding_closes", "縣市轉送截止日不可早於鄉鎮市區送件截止日。")
    if dates.report_due < dates.forwarding_closes:
        errors.setdefault("report_due", "年度成果報告期限不可早於縣市轉送截止日。")
    for other in others:
        if dates.submission_opens <= other.closes and other.opens <= dates.submission_closes:
            errors.setdefault(
                "submission_opens",
                f"送件期間與「{other.name}」（{slash(other.opens)}–{slash(other.closes)}）重疊；"
                "各梯次的鄉鎮市區送件期間不可重疊。",
            )
            break
    return errors


def days_left(deadline: date, today: date) -> int:
    """Whole days from today until the end of the deadline day; negative once past."""
    return (deadline - today).days


def deadline_text(deadline: Deadline, day: date, today: date) -> str:
    """「送出期限 2026/12/15（尚餘 15 天）」, 「（今天截止）」 or 「（已截止）」."""
    left = days_left(day, today)
    if left > 0:
        note = f"尚餘 {left} 天"
    elif left == 0:
        note = "今天截止"
    else:
        note = "已截止"
    return f"{deadline.label} {slash(day)}（{note}）"


class DeadlinePassed(DomainError):
    """A submission or forwarding after the round's deadline."""


def check_deadline(deadline: Deadline, round_name: str, dates: RoundDates, today: date) -> None:
    """Raise DeadlinePassed when `deadline` of the round is over on `today`."""
    closes = dates.closes(deadline)
    if today <= closes:
        return
    who = "鄉鎮市區送件" if deadline == Deadline.SUBMISSION else "縣市轉送國發會"
    raise DeadlinePassed(
        f"「{round_name}」的{who}已於 {slash(closes)} 截止，這次沒有送出。如需延後，請洽國發會重新開放這個梯次。"
    )


def reminder_days(value: str) -> tuple[int, ...]:
    """`PORTAL_ROUND_REMINDER_DAYS` ("7,1") as days before a deadline, largest first.
    Raises ValueError with a Chinese message for anything but whole days 0–365."""
    days: set[int] = set()
    for part in value.replace(" ", "").split(","):
        if not part:
            continue
        if not part.isascii() or not part.isdigit() or int(part) > 365:
            raise ValueError(f"提醒天數必須是 0 到 365 的整數，以逗號分隔（例如 7,1），目前有「{part}」")
        days.add(int(part))
    return tuple(sorted(days, reverse=True))


def waiting_on(status: str) -> Deadline | None:
    """The deadline a proposal in `status` waits on: a draft (or a case returned by the
    county) on the township's, a submitted one on the county's; None for the rest."""
    if status in ("draft", "returned"):
        return Deadline.SUBMISSION
    if status == "submitted":
        return Deadline.FORWARDING
    return None
