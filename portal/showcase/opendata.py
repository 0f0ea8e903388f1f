"""The open data's tables beside cases.csv: one CSV for each list a case holds (its KPIs,
businesses, stakeholders and funding grid), every row keyed by the case's slug so that
it joins to cases.csv, and every column described here, once, for the data page.

Rows come from the published case files alone, in the order of the cases (newest first)
and of the lists inside each case, so the same files always give the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from portal.domain.brief import KPI_KINDS, SOURCES
from portal.domain.followup import BusinessStatus
from portal.domain.funding import SELF
from portal.snapshot import Case

# What a sector letter means (the brief's 產官學研社金).
SECTOR_NAMES = {"產": "產業", "官": "政府", "學": "學術", "研": "研究", "社": "社區", "金": "金融"}

# A KPI's direction as a word: a cell holding only + or - would be neutralised as a
# formula (portal.domain.spreadsheet) and read back as '+ or '-.
DIRECTIONS = {"+": "increase", "-": "decrease"}

Fields = tuple[tuple[str, str], ...]
Row = dict[str, Any]


@dataclass(frozen=True)
class Table:
    """One CSV file: `name`.csv, what one row is, its columns with their meanings, and
    how a case's rows are made."""

    name: str
    title: str
    row: str
    fields: Fields
    rows: Callable[[Case], list[Row]]

    @property
    def file(self) -> str:
        return f"{self.name}.csv"

    @property
    def columns(self) -> list[str]:
        return [name for name, _ in self.fields]


def _codes(labels: Mapping[str, str]) -> str:
    return "、".join(f"{code} {label}" for code, label in labels.items())


def _years(values: Mapping[int, int | float]) -> str | None:
    """Values by year as `2026=12;2027=20`, None when there are none."""
    return ";".join(f"{year}={value}" for year, value in values.items()) or None


SLUG = ("slug", "案例代號，同 cases.csv 的 slug，用來與 cases.csv 對應")

KPI_FIELDS: Fields = (
    SLUG,
    ("kpi", "KPI 序號：在案例頁與 cases.json 的 kpis 中的順序，從 1 起算（同 cases.csv 中 kpi_actuals 的序號）"),
    ("indicator", "指標名稱"),
    ("kind", f"指標類型：{_codes(KPI_KINDS)}"),
    ("definition", "衡量標準（可能空白）"),
    ("unit", "單位"),
    (
        "direction",
        "期望方向：increase 增加、decrease 減少（cases.json 與案例檔寫成 + 與 -；"
        "CSV 用英文字，因為以 + 或 - 開頭的儲存格會被試算表當成公式）",
    ),
    ("baseline", "現況值（可為負數）"),
    ("baseline_year", "現況值的西元年度"),
    ("baseline_source", "現況值的資料來源；沒有時空白"),
    ("target", "目標值"),
    ("target_year", "目標值的西元年度"),
    ("yearly_targets", "逐年目標，寫成「西元年度=目標值」，以分號分隔，依年度排列，例如 2026=10;2027=25；沒有時空白"),
    (
        "actuals",
        "輔導團年底檢核採認的實際值，寫成「西元年度=數值」，以分號分隔，依年度排列，例如 2026=12；沒有採認值時空白",
    ),
)


def kpi_rows(case: Case) -> list[Row]:
    return [
        {
            "slug": case.slug,
            "kpi": number,
            "indicator": k.indicator,
            "kind": k.kind,
            "definition": k.definition,
            "unit": k.unit,
            "direction": DIRECTIONS[k.direction],
            "baseline": k.baseline,
            "baseline_year": k.baseline_year,
            "baseline_source": k.baseline_source,
            "target": k.target,
            "target_year": k.target_year,
            "yearly_targets": _years(k.yearly),
            "actuals": _years({a.year: a.value for a in k.actuals}),
        }
        for number, k in enumerate(case.kpis, start=1)
    ]


BUSINESS_FIELDS: Fields = (
    SLUG,
    (
        "business",
        "事業序號：在案例頁與 cases.json 的 businesses 中的順序，從 1 起算（同 cases.csv 中 business_statuses 的序號）",
    ),
    ("name", "事業名稱"),
    ("where", "地點"),
    ("start", "開始年月（YYYY-MM）"),
    ("end", "結束年月（YYYY-MM）"),
    ("lead", "主責單位"),
    ("strategies", "對應策略（五支箭）代碼，以分號分隔，代碼同 cases.csv 的 strategies"),
    (
        "status",
        "最近一次採認的年底檢核中的執行狀態：" + _codes({s.value: s.label for s in BusinessStatus}) + "；沒有時空白",
    ),
    ("what", "做什麼（Markdown 原文）"),
    ("how", "怎麼做（Markdown 原文；可能空白）"),
)


def business_rows(case: Case) -> list[Row]:
    return [
        {
            "slug": case.slug,
            "business": number,
            "name": b.name,
            "where": b.where,
            "start": b.start,
            "end": b.end,
            "lead": b.lead,
            "strategies": ";".join(b.strategies),
            "status": b.status,
            "what": b.what,
            "how": b.how,
        }
        for number, b in enumerate(case.businesses, start=1)
    ]


STAKEHOLDER_FIELDS: Fields = (
    SLUG,
    ("stakeholder", "序號：在案例頁與 cases.json 的 stakeholders 中的順序，從 1 起算"),
    ("name", "組織或個人名稱"),
    ("sector", f"部門：{_codes(SECTOR_NAMES)}"),
    ("role", "角色（可能空白）"),
    ("commitment", "投入的資源，例如資金、土地、人力、知識（可能空白）"),
)


def stakeholder_rows(case: Case) -> list[Row]:
    return [
        {
            "slug": case.slug,
            "stakeholder": number,
            "name": s.name,
            "sector": s.sector,
            "role": s.role,
            "commitment": s.commitment,
        }
        for number, s in enumerate(case.stakeholders, start=1)
    ]


FUNDING_FIELDS: Fields = (
    SLUG,
    ("source", f"經費來源代碼：{_codes(SOURCES)}"),
    ("self_liquidating", "自償性：true 自償、false 非自償"),
    ("year", "西元年度"),
    ("amount", "金額（新臺幣千元，大於 0）"),
)


def funding_rows(case: Case) -> list[Row]:
    grid = case.resources.grid or {}
    return [
        {
            "slug": case.slug,
            "source": source,
            "self_liquidating": "true" if kind == SELF else "false",
            "year": year,
            "amount": amount,
        }
        for (kind, source, year), amount in grid.items()
    ]


TABLES: tuple[Table, ...] = (
    Table("kpis", "關鍵績效指標（KPI）", "每個案例的每項 KPI 一列，含逐年目標與採認的實際值", KPI_FIELDS, kpi_rows),
    Table(
        "businesses", "創生事業", "每個案例的每項創生事業一列，含最近一次採認的執行狀態", BUSINESS_FIELDS, business_rows
    ),
    Table("stakeholders", "利害關係人", "每個案例的每個利害關係人一列", STAKEHOLDER_FIELDS, stakeholder_rows),
    Table(
        "funding",
        "經費需求及財源表",
        "每個案例財源表的每一格（經費來源 × 自償性 × 年度）一列，金額為 0 的格不列；"
        "沒有財源表的較早案例沒有列，其各來源合計見 cases.json 的 resources",
        FUNDING_FIELDS,
        funding_rows,
    ),
)
TABLE_NAMES = tuple(table.name for table in TABLES)


def table(name: str) -> Table:
    return next(t for t in TABLES if t.name == name)
