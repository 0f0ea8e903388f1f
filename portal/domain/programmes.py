"""Ministry programmes' validity years: which programmes can still be chosen, and for
which budget years. Years are Gregorian in the data and shown with the 民國 year
(Gregorian − 1911) beside them; an empty bound means no public source states it."""

from __future__ import annotations

from dataclasses import dataclass

MINGUO_OFFSET = 1911


@dataclass(frozen=True)
class Validity:
    """The years a programme runs, both inclusive; None where unknown (open)."""

    valid_from: int | None = None
    valid_to: int | None = None

    def ended(self, this_year: int) -> bool:
        """The programme ran its last year before `this_year`."""
        return self.valid_to is not None and self.valid_to < this_year

    def covers(self, year: int) -> bool:
        return (self.valid_from is None or self.valid_from <= year) and (self.valid_to is None or year <= self.valid_to)

    def label(self) -> str:
        """e.g. 「107–109年（2018–2020）」, 「110年起（2021–）」, or 「期程未載明」."""
        start, end = self.valid_from, self.valid_to
        if start is None and end is None:
            return "期程未載明"
        if start is not None and end is not None:
            return f"{start - MINGUO_OFFSET}–{end - MINGUO_OFFSET}年（{start}–{end}）"
        if start is not None:
            return f"{start - MINGUO_OFFSET}年起（{start}–）"
        assert end is not None
        return f"至{end - MINGUO_OFFSET}年（–{end}）"


def refusal(name: str, validity: Validity, year: int | None, this_year: int) -> str | None:
    """Why `name` cannot be newly chosen for a budget in `year` (None when it can): an
    ended programme is never offered again, and a year outside its run is refused."""
    if validity.ended(this_year):
        assert validity.valid_to is not None
        return (
            f"「{name}」已於 {validity.valid_to - MINGUO_OFFSET} 年（{validity.valid_to}）結束，"
            "不能再選用，請改選執行中的計畫。"
        )
    if year is not None and not validity.covers(year):
        return f"「{name}」的執行期間為 {validity.label()}，{year} 年（{year - MINGUO_OFFSET} 年）不在期間內。"
    return None
