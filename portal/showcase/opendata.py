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
from portal.i18n import catalogue
from portal.showcase import labels
from portal.showcase.dictionary import Field
from portal.snapshot import Case

# What a sector letter means (the brief's 產官學研社金).
SECTOR_NAMES = {"產": "產業", "官": "政府", "學": "學術", "研": "研究", "社": "社區", "金": "金融"}
SECTOR_NAMES_EN = {
    "產": "industry",
    "官": "government",
    "學": "academia",
    "研": "research",
    "社": "community",
    "金": "finance",
}

# A KPI's direction as a word: a cell holding only + or - would be neutralised as a
# formula (portal.domain.spreadsheet) and read back as '+ or '-.
DIRECTIONS = {"+": "increase", "-": "decrease"}

Fields = tuple[Field, ...]
Row = dict[str, Any]


@dataclass(frozen=True)
class Table:
    """One CSV file: `name`.csv, its title and what one row is (in Chinese and in
    English), its columns with their meanings, and how a case's rows are made."""

    name: str
    title: Field
    row: Field
    fields: Fields
    rows: Callable[[Case], list[Row]]

    @property
    def file(self) -> str:
        return f"{self.name}.csv"

    @property
    def columns(self) -> list[str]:
        return [field.name for field in self.fields]


def _codes(names: Mapping[str, str]) -> str:
    return "、".join(f"{code} {name}" for code, name in names.items())


def _codes_en(names: Mapping[str, str]) -> str:
    """Codes with their English names from the message catalogue (`names` as in labels)."""
    english = catalogue("en")
    return ", ".join(f"{code} ({english.gettext(name)})" for code, name in names.items())


def _years(values: Mapping[int, int | float]) -> str | None:
    """Values by year as `2026=12;2027=20`, None when there are none."""
    return ";".join(f"{year}={value}" for year, value in values.items()) or None


SLUG = Field(
    "slug",
    "案例代號，同 cases.csv 的 slug，用來與 cases.csv 對應",
    "The case's identifier, the slug of cases.csv, to join the row to it",
)

KPI_FIELDS: Fields = (
    SLUG,
    Field(
        "kpi",
        "KPI 序號：在案例頁與 cases.json 的 kpis 中的順序，從 1 起算（同 cases.csv 中 kpi_actuals 的序號）",
        "The KPI's number: its position on the case page and in the kpis of cases.json, from 1 (the "
        "number used in kpi_actuals of cases.csv)",
    ),
    Field("indicator", "指標名稱", "Name of the indicator, in Chinese"),
    Field("kind", f"指標類型：{_codes(KPI_KINDS)}", f"Kind of indicator: {_codes_en(labels.KPI_KINDS)}"),
    Field("definition", "衡量標準（可能空白）", "How it is measured (may be empty)"),
    Field("unit", "單位", "Unit"),
    Field(
        "direction",
        "期望方向：increase 增加、decrease 減少（cases.json 與案例檔寫成 + 與 -；"
        "CSV 用英文字，因為以 + 或 - 開頭的儲存格會被試算表當成公式）",
        "Direction hoped for: increase or decrease (cases.json and the case files write + and -; the "
        "CSV uses words, because a spreadsheet takes a cell starting with + or - for a formula)",
    ),
    Field("baseline", "現況值（可為負數）", "Baseline value (may be negative)"),
    Field("baseline_year", "現況值的西元年度", "Year of the baseline value"),
    Field("baseline_source", "現況值的資料來源；沒有時空白", "Source of the baseline value; empty when none is given"),
    Field("target", "目標值", "Target value"),
    Field("target_year", "目標值的西元年度", "Year of the target value"),
    Field(
        "yearly_targets",
        "逐年目標，寫成「西元年度=目標值」，以分號分隔，依年度排列，例如 2026=10;2027=25；沒有時空白",
        "Yearly targets as year=target, separated by semicolons, in order of year, e.g. 2026=10;2027=25; "
        "empty when there are none",
    ),
    Field(
        "actuals",
        "輔導團年底檢核採認的實際值，寫成「西元年度=數值」，以分號分隔，依年度排列，例如 2026=12；沒有採認值時空白",
        "Values the counselling team accepted at its year-end reviews, as year=value, separated by "
        "semicolons, in order of year, e.g. 2026=12; empty when none was accepted",
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
    Field(
        "business",
        "事業序號：在案例頁與 cases.json 的 businesses 中的順序，從 1 起算（同 cases.csv 中 business_statuses 的序號）",
        "The business's number: its position on the case page and in the businesses of cases.json, "
        "from 1 (the number used in business_statuses of cases.csv)",
    ),
    Field("name", "事業名稱", "Name of the business, in Chinese"),
    Field("where", "地點", "Where it takes place"),
    Field("start", "開始年月（YYYY-MM）", "Start (YYYY-MM)"),
    Field("end", "結束年月（YYYY-MM）", "End (YYYY-MM)"),
    Field("lead", "主責單位", "The unit in charge"),
    Field(
        "strategies",
        "對應策略（五支箭）代碼，以分號分隔，代碼同 cases.csv 的 strategies",
        "Codes of the strategies (the five arrows), separated by semicolons, as in strategies of cases.csv",
    ),
    Field(
        "status",
        "最近一次採認的年底檢核中的執行狀態：" + _codes({s.value: s.label for s in BusinessStatus}) + "；沒有時空白",
        f"Status at the latest accepted year-end review: {_codes_en(labels.BUSINESS_STATUSES)}; empty when "
        "there is none",
    ),
    Field("what", "做什麼（Markdown 原文）", "What it does (Markdown source)"),
    Field("how", "怎麼做（Markdown 原文；可能空白）", "How it does it (Markdown source; may be empty)"),
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
    Field(
        "stakeholder",
        "序號：在案例頁與 cases.json 的 stakeholders 中的順序，從 1 起算",
        "The stakeholder's number: its position on the case page and in the stakeholders of cases.json, from 1",
    ),
    Field("name", "組織或個人名稱", "Name of the organisation or person"),
    Field("sector", f"部門：{_codes(SECTOR_NAMES)}", f"Sector: {_codes_en(SECTOR_NAMES_EN)}"),
    Field("role", "角色（可能空白）", "Role (may be empty)"),
    Field(
        "commitment",
        "投入的資源，例如資金、土地、人力、知識（可能空白）",
        "What it brings, such as money, land, staff or knowledge (may be empty)",
    ),
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
    Field("source", f"經費來源代碼：{_codes(SOURCES)}", f"Code of the funding source: {_codes_en(labels.SOURCES)}"),
    Field(
        "self_liquidating",
        "自償性：true 自償、false 非自償",
        "Self-liquidating (paid back from income): true or false",
    ),
    Field("year", "西元年度", "Year"),
    Field("amount", "金額（新臺幣千元，大於 0）", "Amount (NT$ thousand, more than 0)"),
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
    Table(
        "kpis",
        Field("", "關鍵績效指標（KPI）", "Key performance indicators (KPIs)"),
        Field(
            "",
            "每個案例的每項 KPI 一列，含逐年目標與採認的實際值",
            "One row per KPI of every case, with its yearly targets and accepted values",
        ),
        KPI_FIELDS,
        kpi_rows,
    ),
    Table(
        "businesses",
        Field("", "創生事業", "Businesses"),
        Field(
            "",
            "每個案例的每項創生事業一列，含最近一次採認的執行狀態",
            "One row per business of every case, with its status at the latest accepted review",
        ),
        BUSINESS_FIELDS,
        business_rows,
    ),
    Table(
        "stakeholders",
        Field("", "利害關係人", "Stakeholders"),
        Field("", "每個案例的每個利害關係人一列", "One row per stakeholder of every case"),
        STAKEHOLDER_FIELDS,
        stakeholder_rows,
    ),
    Table(
        "funding",
        Field("", "經費需求及財源表", "Funding table"),
        Field(
            "",
            "每個案例財源表的每一格（經費來源 × 自償性 × 年度）一列，金額為 0 的格不列；"
            "沒有財源表的較早案例沒有列，其各來源合計見 cases.json 的 resources",
            "One row per cell of every case's funding table (source × self-liquidating or not × year), "
            "leaving out cells of 0; earlier cases without a funding table have no rows, their totals by "
            "source are in resources of cases.json",
        ),
        FUNDING_FIELDS,
        funding_rows,
    ),
)
TABLE_NAMES = tuple(table.name for table in TABLES)


def table(name: str) -> Table:
    return next(t for t in TABLES if t.name == name)
