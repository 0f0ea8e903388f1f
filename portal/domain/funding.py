"""The funding table in the official shape (經費需求及財源表): source × year, 自償／非自償.

Plain Python over the budget lines of the resources section (NT$ thousand). Every
total is computed here from the cells, so a table that does not add up cannot exist;
what a user can get wrong is a line's year (outside the proposal's period) or its
source (花東基金 outside 花蓮縣 and 臺東縣), and `line_problems` names those.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeGuard

# 花東地區永續發展基金 funds only the two eastern counties (花東地區發展條例 第7條).
HUALIEN_TAITUNG = "hualien_taitung"
HUALIEN_TAITUNG_COUNTIES = frozenset({"10015", "10014"})  # 花蓮縣, 臺東縣
REFUSED_SOURCE = "花東基金只適用於花蓮縣、臺東縣的提案，請改選其他經費來源"

# The Republic of China calendar counts years from 1912 (民國元年).
ROC_OFFSET = 1911

SELF = "self"
NON_SELF = "non"
KINDS: dict[str, str] = {NON_SELF: "非自償", SELF: "自償"}  # in the official table's order


def roc_year(year: int) -> int:
    """民國 year of a Gregorian one: 2026 → 115."""
    if year <= ROC_OFFSET:
        raise ValueError(f"{year} is before 民國元年 (1912)")
    return year - ROC_OFFSET


def roc_label(year: int) -> str:
    """The way a township writes the year: 2026 → 「115年」."""
    return f"{roc_year(year)}年"


def both_years(year: int) -> str:
    """Gregorian year with its 民國 year beside it: 2026 → 「2026（115年）」."""
    return f"{year}（{roc_label(year)}）"


def source_allowed(source: str, county_code: str) -> bool:
    """Whether a case led from `county_code` may name `source` (花東基金: east only)."""
    return source != HUALIEN_TAITUNG or county_code in HUALIEN_TAITUNG_COUNTIES


def period(document: Mapping[str, Any]) -> tuple[int, int] | None:
    """The proposal's years: from its first business's start to its last one's end.

    None while no business has both months in YYYY-MM form (then any year is accepted).
    """
    businesses = document.get("businesses")
    items = businesses.get("items") if isinstance(businesses, Mapping) else None
    years: list[int] = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, Mapping):
            continue
        for key in ("start", "end"):
            value = item.get(key)
            if isinstance(value, str) and len(value) == 7 and value[:4].isdigit():
                years.append(int(value[:4]))
    return (min(years), max(years)) if years else None


@dataclass(frozen=True)
class LineProblem:
    row: int  # index of the budget line
    field: str  # "source" or "year"
    message: str


def line_problems(
    lines: Iterable[Mapping[str, Any]], county_code: str, years: tuple[int, int] | None
) -> list[LineProblem]:
    """A source the case's county may not use, or a year outside the proposal's period."""
    found = []
    for n, line in enumerate(lines):
        source = line.get("source")
        if isinstance(source, str) and not source_allowed(source, county_code):
            found.append(LineProblem(n, "source", REFUSED_SOURCE))
        year = line.get("year")
        if years and isinstance(year, int) and not isinstance(year, bool) and not years[0] <= year <= years[1]:
            first, last = years
            found.append(
                LineProblem(
                    n,
                    "year",
                    f"年度須在提案期程 {both_years(first)}至 {both_years(last)}之間（依創生事業的起訖年月）",
                )
            )
    return found


@dataclass(frozen=True)
class Row:
    kind: str  # SELF or NON_SELF
    source: str
    by_year: dict[int, int]  # every year of the table, 0 where nothing is asked
    total: int


@dataclass(frozen=True)
class Subtotal:
    kind: str
    by_year: dict[int, int]
    total: int


@dataclass(frozen=True)
class Table:
    """The grid: rows by kind then source, a column per year that has money (at most one
    per budget line, so the printed brief has room for them)."""

    years: tuple[int, ...]
    rows: tuple[Row, ...]
    subtotals: tuple[Subtotal, ...]  # 非自償 then 自償, both always present
    by_year: dict[int, int]  # column totals
    total: int

    def rows_of(self, kind: str) -> tuple[Row, ...]:
        return tuple(row for row in self.rows if row.kind == kind)


def kind_of(line: Mapping[str, Any]) -> str:
    """A line's kind; lines saved before the flag existed count as 非自償."""
    return SELF if line.get("self_liquidating") is True else NON_SELF


def cells(lines: Iterable[Mapping[str, Any]], sources: Iterable[str]) -> dict[tuple[str, str, int], int]:
    """Summed amounts by (kind, source, year) of the usable lines, in table order.

    A line counts when it has a known source, a year and a positive integer amount; the
    check page reports the others.
    """
    order = list(sources)
    summed: dict[tuple[str, str, int], int] = {}
    for line in lines:
        source, year, amount = line.get("source"), line.get("year"), line.get("amount")
        if source not in order or not _is_int(year) or not _is_int(amount) or amount <= 0:
            continue
        key = (kind_of(line), str(source), year)
        summed[key] = summed.get(key, 0) + amount
    kinds = list(KINDS)
    return dict(sorted(summed.items(), key=lambda kv: (kinds.index(kv[0][0]), order.index(kv[0][1]), kv[0][2])))


def table(grid: Mapping[tuple[str, str, int], int]) -> Table:
    """Row, column, kind and grand totals of a grid of (kind, source, year) cells."""
    if not grid:
        return Table((), (), tuple(Subtotal(kind, {}, 0) for kind in KINDS), {}, 0)
    years = tuple(sorted({year for _, _, year in grid}))
    rows: dict[tuple[str, str], dict[int, int]] = {}
    for (kind, source, year), amount in grid.items():
        row = rows.setdefault((kind, source), dict.fromkeys(years, 0))
        row[year] += amount
    built = tuple(Row(kind, source, by_year, sum(by_year.values())) for (kind, source), by_year in rows.items())
    subtotals = tuple(_sum(kind, [row for row in built if row.kind == kind], years) for kind in KINDS)
    column = _sum("", list(built), years)
    return Table(years, built, subtotals, column.by_year, column.total)


def _sum(kind: str, rows: list[Row], years: tuple[int, ...]) -> Subtotal:
    by_year = {year: sum(row.by_year[year] for row in rows) for year in years}
    return Subtotal(kind, by_year, sum(by_year.values()))


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def percent(part: int, whole: int) -> str:
    """`part` of `whole` as a percent with one decimal, halves rounded up, worked out in
    whole numbers so that the page's live total (portal.js) and every server page agree:
    1 of 16 is 「6.3%」 everywhere. The two used to round 6.25 differently."""
    tenths = (part * 2000 + whole) // (2 * whole)
    return f"{tenths // 10}.{tenths % 10}%"
