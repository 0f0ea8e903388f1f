"""Rules of the one-page proposal (提案簡報): length budgets, completeness and totals.

Pure functions over the content document (DESIGN.md §3); no Flask, no database. The
field ids in `Problem.field` are the HTML ids of the inputs on each section's page.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeGuard

from portal.domain import funding
from portal.domain.proposal import DNA_GROUPS, SECTIONS, SECTORS, ProposalType

Document = Mapping[str, Any]
Row = Mapping[str, Any]

# Max characters (code points, so 𥕢 counts 1) per field. They make the printed brief
# fit one A4 page; change the numbers here, not in forms or templates.
BUDGETS: dict[str, int] = {
    "title": 40,
    "basics.theme": 30,
    "basics.title_en": 120,
    "basics.summary_en": 600,
    "dna.summary": 200,
    "dna.item": 20,
    "stakeholder.name": 40,
    "stakeholder.role": 30,
    "stakeholder.commitment": 30,
    "consensus.kind": 10,
    "consensus.outcome": 40,
    "consensus.vision": 100,
    "businesses.summary": 150,
    "business.name": 30,
    "business.what": 100,
    "business.where": 30,
    "business.how": 100,
    "business.lead": 30,
    "resource.kind": 12,  # 12 and 20 (were 20 and 30) make room for the funding table
    "resource.note": 20,
    "support.description": 40,
    "kpi.indicator": 16,
    "kpi.definition": 20,
    "kpi.unit": 5,
    "kpi.baseline_source": 12,
    "benefit": 20,
}

# Most rows each list may hold, for the same one-page reason.
ROW_LIMITS: dict[str, int] = {
    "dna.items_per_group": 3,
    "stakeholders": 6,
    "consensus.events": 4,
    "businesses.items": 3,
    "resources.lines": 8,
    "resources.support": 3,
    "kpis": 5,
    "kpi.yearly": 3,
    "benefits": 3,
}

SOURCES: dict[str, str] = {
    "central": "中央部會計畫",
    "ndf": "國發基金",
    "county": "縣市政府",
    "township": "鄉鎮市區公所",
    "hualien_taitung": "花東基金",  # only for 花蓮縣 and 臺東縣 cases (portal.domain.funding)
    "private": "民間投資",
    "other": "其他",
}
SUPPORT_KINDS = ("法規調適", "土地", "人力", "技術", "其他")
CONSENSUS_KINDS = ("說明會", "工作坊", "座談會", "公聽會", "地方會議", "其他")
# The five strategies of the national plan, codes as in reference/data/strategies.csv.
STRATEGIES = ("hometown_investment", "technology", "ministry_resources", "social_participation", "brand")
STANDARD_KPIS: tuple[tuple[str, str, str], ...] = (
    ("新增工作機會", "人", "+"),
    ("人口社會增加率", "‰", "+"),
    ("青年返鄉/移居人數", "人", "+"),
    ("觀光旅遊人次", "人次", "+"),
    ("民間投資金額", "千元", "+"),
    ("產值", "千元", "+"),
)
# A KPI measures an outcome (成果指標) or the work done towards it (工作指標); a KPI
# saved before the kind existed is an outcome indicator.
KPI_KINDS: dict[str, str] = {"outcome": "成果指標", "work": "工作指標"}
DEFAULT_KPI_KIND = "outcome"
DNA_FIELDS: dict[str, str] = {
    "人": "items_people",
    "文": "items_culture",
    "地": "items_land",
    "產": "items_industry",
    "景": "items_landscape",
}
# Pages of the wizard that have a progress state: the basics, then the six sections.
SECTION_KEYS: tuple[str, ...] = ("basics", *(key for key, _ in SECTIONS))

FIRST_YEAR, LAST_YEAR = 2019, 2040  # 地方創生元年 to the end of the planning horizon
FUTURE_DATE = "日期不可晚於今天"
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


@dataclass(frozen=True)
class Basics:
    """Proposal-level facts kept outside the content document."""

    title: str
    type: str
    lead_township_code: str
    participating_codes: tuple[str, ...]


@dataclass(frozen=True)
class Problem:
    section: str
    field: str
    message: str


class Progress(enum.StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    DONE = "done"

    @property
    def label(self) -> str:
        return PROGRESS_LABELS[self]


PROGRESS_LABELS = {
    Progress.NOT_STARTED: "未開始",
    Progress.IN_PROGRESS: "進行中",
    Progress.DONE: "已完成",
}


@dataclass(frozen=True)
class Totals:
    by_source: dict[str, int]
    by_year: dict[int, int]
    by_source_year: dict[tuple[str, int], int]
    total: int
    private_share: float | None

    @property
    def private_percent(self) -> str | None:
        """民間投資 as a percent of the total, as every page shows it."""
        return funding.percent(self.by_source.get("private", 0), self.total) if self.total else None


# ── reading the document defensively: it is user JSON and may be partial ──────────


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _part(document: Document, key: str) -> Row:
    value = document.get(key)
    return value if isinstance(value, Mapping) else {}


def _rows(value: object) -> list[Row]:
    if not isinstance(value, list):
        return []
    return [row if isinstance(row, Mapping) else {} for row in value]


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> TypeGuard[float]:
    return _is_int(value) or isinstance(value, float)


def _filled(value: object, ignore: frozenset[str] = frozenset()) -> bool:
    """Whether anything at all has been typed in `value` (0 counts: it is a real baseline)."""
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, Mapping):
        return any(_filled(item, ignore) for key, item in value.items() if key not in ignore)
    if isinstance(value, list):
        return any(_filled(item, ignore) for item in value)
    return _is_number(value)


# ── collecting problems ────────────────────────────────────────────────────────────


# How the form's legends name a row of each list (事業 2, 第 3 場), so that the check page
# and the form's buttons say the same.
ROW_NAMES = {
    ("stakeholders", "rows"): "第 {n} 列",
    ("consensus", "events"): "第 {n} 場",
    ("businesses", "items"): "事業 {n}",
    ("resources", "lines"): "第 {n} 筆",
    ("resources", "support"): "第 {n} 項",
    ("kpis", "rows"): "指標 {n}",
}


def row_name(section: str, field: str, row: int) -> str:
    """The row as its legend names it; 「第 n 列」 for a list without a name of its own."""
    pattern = ROW_NAMES.get((section, field.split("-", 1)[0]), "第 {n} 列")
    return pattern.format(n=row + 1)


class _Report:
    """Problems of one section, in the order they are found."""

    def __init__(self, section: str) -> None:
        self.section = section
        self.problems: list[Problem] = []

    def add(self, field: str, message: str, row: int | None = None) -> None:
        if row is not None:
            message = f"{row_name(self.section, field, row)}：{message}"
        self.problems.append(Problem(self.section, field, message))

    def text(
        self,
        field: str,
        value: object,
        label: str,
        budget: str,
        *,
        required: bool = False,
        row: int | None = None,
    ) -> None:
        """Report a missing required text or one over its budget."""
        text = value if isinstance(value, str) else ""
        limit = BUDGETS[budget]
        if required and not text.strip():
            self.add(field, f"請填寫{label}", row)
        elif len(text) > limit:
            self.add(field, f"{label}超過 {limit} 字（目前 {len(text)} 字）", row)

    def count(self, rows: list[Row], limit_key: str, noun: str, unit: str, least: int) -> None:
        """Report a list with fewer rows than needed or more than fit on the page."""
        if len(rows) < least:
            self.add("", f"至少需要 {least} {unit}{noun}")
        limit = ROW_LIMITS[limit_key]
        if len(rows) > limit:
            self.add("", f"{noun}最多 {limit} {unit}（目前 {len(rows)} {unit}）")


# ── one checker per page ─────────────────────────────────────────────────────────


def _check_basics(basics: Basics, document: Document, today: date) -> list[Problem]:
    report = _Report("basics")
    part = _part(document, "basics")
    report.text("title", basics.title, "提案名稱", "title", required=True)
    others = set(basics.participating_codes) - {basics.lead_township_code}
    if basics.type == ProposalType.REGIONAL and len(others) < 2:
        report.add("participating", "區域型提案至少需要 2 個參與鄉鎮市區")
    report.text("theme", part.get("theme"), "主題", "basics.theme")
    if not _text(_contact(part).get("name")):
        report.add("contact_name", "請填寫聯絡人姓名")
    report.text("title_en", part.get("title_en"), "英文名稱", "basics.title_en")
    report.text("summary_en", part.get("summary_en"), "英文摘要", "basics.summary_en")
    return report.problems


def _contact(part: Row) -> Row:
    contact = part.get("contact")
    return contact if isinstance(contact, Mapping) else {}


def _dna_items(part: Row, group: str) -> list[str]:
    """The non-blank items of one DNA group; blank ones are unused inputs, not content."""
    items = _part(part, "items").get(group)
    if not isinstance(items, list):
        return []
    return [item for item in items if isinstance(item, str) and item.strip()]


def _check_dna(basics: Basics, document: Document, today: date) -> list[Problem]:
    report = _Report("dna")
    part = _part(document, "dna")
    report.text("summary", part.get("summary"), "DNA摘要", "dna.summary", required=True)
    limit, budget = ROW_LIMITS["dna.items_per_group"], BUDGETS["dna.item"]
    for group in DNA_GROUPS:
        field, items = DNA_FIELDS[group], _dna_items(part, group)
        if len(items) > limit:
            report.add(field, f"{group}：最多 {limit} 項（目前 {len(items)} 項）")
        for number, item in enumerate(items, start=1):
            if len(item) > budget:
                report.add(field, f"{group}：第 {number} 項超過 {budget} 字（目前 {len(item)} 字）")
    return report.problems


def _check_stakeholders(basics: Basics, document: Document, today: date) -> list[Problem]:
    report = _Report("stakeholders")
    rows = _rows(document.get("stakeholders"))
    report.count(rows, "stakeholders", "利害關係人", "位", least=2)
    for n, row in enumerate(rows):
        report.text(f"rows-{n}-name", row.get("name"), "名稱", "stakeholder.name", required=True, row=n)
        if row.get("sector") not in SECTORS:
            report.add(f"rows-{n}-sector", "請選擇部門（產官學研社金）", n)
        report.text(f"rows-{n}-role", row.get("role"), "角色", "stakeholder.role", row=n)
        report.text(f"rows-{n}-commitment", row.get("commitment"), "承諾投入", "stakeholder.commitment", row=n)
    return report.problems


def _parse_day(value: object) -> date | None:
    # fromisoformat alone would also take 20250621 or week dates; the form sends YYYY-MM-DD.
    if not isinstance(value, str) or not _DAY.fullmatch(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _check_event(report: _Report, n: int, event: Row, today: date) -> None:
    day = _parse_day(event.get("date"))
    if day is None:
        report.add(f"events-{n}-date", "請填寫日期（YYYY-MM-DD）", n)
    elif day > today:
        report.add(f"events-{n}-date", FUTURE_DATE, n)
    report.text(f"events-{n}-kind", event.get("kind"), "形式", "consensus.kind", row=n)
    participants = event.get("participants")
    if not _is_int(participants) or participants < 1:
        report.add(f"events-{n}-participants", "參與人數至少 1 人", n)
    report.text(f"events-{n}-outcome", event.get("outcome"), "成果", "consensus.outcome", row=n)


def _check_consensus(basics: Basics, document: Document, today: date) -> list[Problem]:
    report = _Report("consensus")
    part = _part(document, "consensus")
    events = _rows(part.get("events"))
    report.count(events, "consensus.events", "共識活動", "場", least=1)
    for n, event in enumerate(events):
        _check_event(report, n, event, today)
    report.text("vision", part.get("vision"), "共識願景", "consensus.vision", required=True)
    return report.problems


def _check_month(report: _Report, field: str, value: object, label: str, row: int) -> str | None:
    """The YYYY-MM value if valid; otherwise report it and return None."""
    if isinstance(value, str) and _MONTH.fullmatch(value):
        return value
    report.add(field, f"請填寫{label}（YYYY-MM）", row)
    return None


def _check_strategies(report: _Report, n: int, value: object) -> None:
    codes = value if isinstance(value, list) else []
    unknown = [str(code) for code in codes if code not in STRATEGIES]
    if unknown:
        report.add(f"items-{n}-strategies", f"無效的策略：{'、'.join(unknown)}", n)
    elif not codes:
        report.add(f"items-{n}-strategies", "請至少選擇一項策略", n)


def _check_business(report: _Report, n: int, item: Row) -> None:
    report.text(f"items-{n}-name", item.get("name"), "事業名稱", "business.name", required=True, row=n)
    report.text(f"items-{n}-what", item.get("what"), "做什麼", "business.what", required=True, row=n)
    report.text(f"items-{n}-where", item.get("where"), "地點", "business.where", row=n)
    start = _check_month(report, f"items-{n}-start", item.get("start"), "開始年月", n)
    end = _check_month(report, f"items-{n}-end", item.get("end"), "結束年月", n)
    # YYYY-MM strings sort in time order, so plain comparison is enough.
    if start and end and end < start:
        report.add(f"items-{n}-end", "結束年月不可早於開始年月", n)
    report.text(f"items-{n}-how", item.get("how"), "方式", "business.how", row=n)
    report.text(f"items-{n}-lead", item.get("lead"), "主導單位", "business.lead", row=n)
    _check_strategies(report, n, item.get("strategies"))


def _check_businesses(basics: Basics, document: Document, today: date) -> list[Problem]:
    report = _Report("businesses")
    part = _part(document, "businesses")
    report.text("summary", part.get("summary"), "事業構想摘要", "businesses.summary")
    items = _rows(part.get("items"))
    report.count(items, "businesses.items", "創生事業", "項", least=1)
    for n, item in enumerate(items):
        _check_business(report, n, item)
    return report.problems


def _year_out_of_range(year: object) -> bool:
    return not _is_int(year) or not FIRST_YEAR <= year <= LAST_YEAR


def _check_line(report: _Report, n: int, line: Row) -> None:
    report.text(f"lines-{n}-kind", line.get("kind"), "類別", "resource.kind", row=n)
    source = line.get("source")
    if source not in SOURCES:
        report.add(f"lines-{n}-source", "請選擇經費來源", n)
    if source == "central" and not _text(line.get("programme")):
        report.add(f"lines-{n}-programme", "中央部會計畫請填寫計畫名稱", n)
    if _year_out_of_range(line.get("year")):
        report.add(f"lines-{n}-year", f"年度須介於 {FIRST_YEAR} 至 {LAST_YEAR} 年", n)
    amount = line.get("amount")
    if not _is_int(amount) or amount <= 0:
        report.add(f"lines-{n}-amount", "金額須為大於 0 的整數（千元）", n)
    report.text(f"lines-{n}-note", line.get("note"), "備註", "resource.note", row=n)


def _check_resources(basics: Basics, document: Document, today: date) -> list[Problem]:
    report = _Report("resources")
    part = _part(document, "resources")
    lines = _rows(part.get("lines"))
    report.count(lines, "resources.lines", "經費需求", "筆", least=1)
    rules = funding.line_problems(lines, basics.lead_township_code[:5], funding.period(document))
    for n, line in enumerate(lines):
        _check_line(report, n, line)
        for problem in rules:
            if problem.row == n and not (problem.field == "year" and _year_out_of_range(line.get("year"))):
                report.add(f"lines-{n}-{problem.field}", problem.message, n)
    support = _rows(part.get("support"))
    report.count(support, "resources.support", "協助需求", "項", least=0)
    for n, row in enumerate(support):
        description = row.get("description")
        report.text(f"support-{n}-description", description, "說明", "support.description", row=n)
    return report.problems


def _check_target(report: _Report, n: int, row: Row) -> None:
    """Years in order and the target moving the stated way, once all four are given."""
    baseline, target = row.get("baseline"), row.get("target")
    start, end = row.get("baseline_year"), row.get("target_year")
    if _is_int(start) and _is_int(end) and end <= start:
        report.add(f"rows-{n}-target_year", "目標年必須晚於基準年", n)
    direction = row.get("direction")
    if direction not in ("+", "-"):
        report.add(f"rows-{n}-direction", "請選擇方向（+ 或 -）", n)
    elif _is_number(baseline) and _is_number(target):
        if direction == "+" and not target > baseline:
            report.add(f"rows-{n}-target", "方向為 + 時，目標值必須高於現況值", n)
        if direction == "-" and not target < baseline:
            report.add(f"rows-{n}-target", "方向為 - 時，目標值必須低於現況值", n)


@dataclass(frozen=True)
class YearlyProblem:
    """A problem of one yearly target (逐年目標): its place in the KPI's `yearly` list,
    the input it belongs beside (`year` or `value`), and whether something is only
    missing (a half-done draft may still be saved) rather than wrong."""

    index: int
    key: str
    message: str
    missing: bool = False


def _show(value: float) -> str:
    return str(value)


def plan_years(document: Document) -> tuple[int, int] | None:
    """The proposal's period: the first business's start year to the last one's end
    year; None while no business has a YYYY-MM month."""
    years = [
        int(value[:4])
        for item in _rows(_part(document, "businesses").get("items"))
        for value in (item.get("start"), item.get("end"))
        if isinstance(value, str) and _MONTH.fullmatch(value)
    ]
    return (min(years), max(years)) if years else None


def check_yearly(row: Row, period: tuple[int, int] | None = None) -> list[YearlyProblem]:
    """The yearly targets of one KPI: each a year inside the KPI's span (after its
    baseline year, before its target year) and inside the proposal's `period`, each year
    once, and the values moving the KPI's way from the baseline to the target (期望增加:
    never below the baseline or an earlier year, never above the target; 期望減少 the
    mirror). Equal steps are allowed."""
    problems: list[YearlyProblem] = []
    start = row.get("baseline_year") if _is_int(row.get("baseline_year")) else None
    end = row.get("target_year") if _is_int(row.get("target_year")) else None
    points: list[tuple[int, int, float]] = []  # (year, index, value), the usable ones
    seen: set[int] = set()
    for index, entry in enumerate(_rows(row.get("yearly"))):
        if not _filled(entry):
            continue  # an unused pair of inputs
        year, value = entry.get("year"), entry.get("value")
        year_ok = False
        if not _is_int(year):
            problems.append(YearlyProblem(index, "year", "請填寫這個逐年目標的年份", missing=True))
        elif not FIRST_YEAR <= year <= LAST_YEAR:
            problems.append(YearlyProblem(index, "year", f"年份須介於 {FIRST_YEAR} 至 {LAST_YEAR} 年"))
        elif start is not None and year <= start:
            problems.append(YearlyProblem(index, "year", f"逐年目標的年份須晚於現況年（{start}）"))
        elif end is not None and year >= end:
            message = f"逐年目標的年份須早於目標年（{end}）；{end} 年的值請填在「目標值」"
            problems.append(YearlyProblem(index, "year", message))
        elif period is not None and not period[0] <= year <= period[1]:
            message = f"逐年目標的年份須在計畫期間（{period[0]}–{period[1]} 年，依創生事業的起訖）之內"
            problems.append(YearlyProblem(index, "year", message))
        elif year in seen:
            problems.append(YearlyProblem(index, "year", f"{year} 年已經有逐年目標，每年只填一個"))
        else:
            seen.add(year)
            year_ok = True
        if not _is_number(value):
            problems.append(YearlyProblem(index, "value", "請填寫這一年的目標值", missing=True))
        elif year_ok and isinstance(year, int):
            points.append((year, index, value))
    direction = row.get("direction")
    if direction not in ("+", "-"):
        return problems
    rising = direction == "+"
    way, below, beyond = ("期望增加", "低於", "超過") if rising else ("期望減少", "高於", "低於")
    baseline, target = row.get("baseline"), row.get("target")
    previous = (f"現況值 {_show(baseline)}", baseline) if _is_number(baseline) else None
    for year, index, value in sorted(points):
        if previous is not None and (value < previous[1] if rising else value > previous[1]):
            message = f"{way}的指標，{year} 年的目標值 {_show(value)} 不可{below}{previous[0]}"
            problems.append(YearlyProblem(index, "value", message))
        elif _is_number(target) and (value > target if rising else value < target):
            message = f"{way}的指標，{year} 年的目標值 {_show(value)} 不可{beyond}目標值 {_show(target)}"
            problems.append(YearlyProblem(index, "value", message))
        previous = (f"較早的 {year} 年目標值 {_show(value)}", value)
    return sorted(problems, key=lambda p: (p.index, p.key != "year"))


def _check_kpi(report: _Report, n: int, row: Row, period: tuple[int, int] | None) -> None:
    report.text(f"rows-{n}-indicator", row.get("indicator"), "指標", "kpi.indicator", required=True, row=n)
    kind = row.get("kind")
    if kind not in (None, "", *KPI_KINDS):
        report.add(f"rows-{n}-kind", "請選擇指標類型（成果指標或工作指標）", n)
    report.text(f"rows-{n}-definition", row.get("definition"), "衡量標準", "kpi.definition", row=n)
    report.text(f"rows-{n}-unit", row.get("unit"), "單位", "kpi.unit", required=True, row=n)
    needed: list[tuple[str, str, Callable[[object], bool]]] = [
        ("baseline", "現況值", _is_number),
        ("baseline_year", "基準年", _is_int),
        ("target", "目標值", _is_number),
        ("target_year", "目標年", _is_int),
    ]
    for key, label, valid in needed:
        if not valid(row.get(key)):
            report.add(f"rows-{n}-{key}", f"請填寫{label}", n)
    report.text(f"rows-{n}-baseline_source", row.get("baseline_source"), "現況值資料來源", "kpi.baseline_source", row=n)
    _check_target(report, n, row)
    limit = ROW_LIMITS["kpi.yearly"]
    if len(_rows(row.get("yearly"))) > limit:
        report.add(f"rows-{n}-yearly-0-year", f"逐年目標最多 {limit} 個", n)
    for problem in check_yearly(row, period):
        report.add(f"rows-{n}-yearly-{problem.index}-{problem.key}", problem.message, n)


def benefits_of(document: Document) -> list[str]:
    """The proposal's non-quantifiable benefits (不可量化效益) that have text."""
    items = document.get("benefits")
    if not isinstance(items, list):
        return []
    return [item for item in items if isinstance(item, str) and item.strip()]


def _check_kpis(basics: Basics, document: Document, today: date) -> list[Problem]:
    report = _Report("kpis")
    rows = _rows(document.get("kpis"))
    report.count(rows, "kpis", "KPI", "項", least=1)
    period = plan_years(document)
    for n, row in enumerate(rows):
        _check_kpi(report, n, row, period)
    benefits, limit, budget = benefits_of(document), ROW_LIMITS["benefits"], BUDGETS["benefit"]
    if len(benefits) > limit:
        report.add("benefits", f"不可量化效益最多 {limit} 項（目前 {len(benefits)} 項）")
    for number, item in enumerate(benefits, start=1):
        if len(item) > budget:
            report.add("benefits", f"不可量化效益第 {number} 項超過 {budget} 字（目前 {len(item)} 字）")
    return report.problems


Checker = Callable[[Basics, Document, date], list[Problem]]
_CHECKERS: dict[str, Checker] = {
    "basics": _check_basics,
    "dna": _check_dna,
    "stakeholders": _check_stakeholders,
    "consensus": _check_consensus,
    "businesses": _check_businesses,
    "resources": _check_resources,
    "kpis": _check_kpis,
}


def check(basics: Basics, document: Document, today: date | None = None) -> list[Problem]:
    """Every problem that blocks submission, in section order then row order."""
    day = today if today is not None else date.today()
    return [problem for section in SECTION_KEYS for problem in _CHECKERS[section](basics, document, day)]


# A field of one row of a list: rows-0-name, items-2-end, rows-1-yearly-0-value.
_ROW_FIELD = re.compile(r"[a-z_]+-\d+-")


def row_problems(section: str, basics: Basics, document: Document, today: date | None = None) -> list[Problem]:
    """What `check` reports about single rows of one page (a business ending before it
    starts, a budget line outside the period, a row half filled in), for showing beside
    those rows when the page is saved. The page's own problems (too few rows, a missing
    summary) wait for the check page: a half-done page is a normal draft."""
    if section not in _CHECKERS:
        raise ValueError(f"unknown section: {section!r}")
    day = today if today is not None else date.today()
    return [p for p in _CHECKERS[section](basics, document, day) if _ROW_FIELD.match(p.field)]


# ── progress per page ────────────────────────────────────────────────────────────


def _started(section: str, basics: Basics, document: Document) -> bool:
    if section == "basics":
        # Title, type and lead township exist from creation, so they say nothing.
        part = _part(document, "basics")
        return _filled([basics.title, part.get("theme"), _contact(part)])
    # A KPI's direction and kind have defaults in the form; alone they are not the user's input.
    if section == "kpis":
        return _filled([document.get("kpis"), benefits_of(document)], ignore=frozenset({"direction", "kind"}))
    return _filled(document.get(section), ignore=frozenset({"direction"}))


def _meets_minimum(section: str, basics: Basics, document: Document) -> bool:
    """Minimums beyond what `check` already requires of the section."""
    if section == "basics":
        return bool(_text(_part(document, "basics").get("theme")))
    if section == "dna":
        part = _part(document, "dna")
        return sum(1 for group in DNA_GROUPS if _dna_items(part, group)) >= 3
    return True


def section_progress(section: str, basics: Basics, document: Document, today: date | None = None) -> Progress:
    """Not started, in progress, or done (no problems and the section's minimum met)."""
    if section not in _CHECKERS:
        raise ValueError(f"unknown section: {section!r}")
    if not _started(section, basics, document):
        return Progress.NOT_STARTED
    day = today if today is not None else date.today()
    if not _CHECKERS[section](basics, document, day) and _meets_minimum(section, basics, document):
        return Progress.DONE
    return Progress.IN_PROGRESS


# ── computed money ───────────────────────────────────────────────────────────────


def resource_totals(lines: list[dict[str, Any]]) -> Totals:
    """Sums of amounts (NT$ thousand) by source, year and both; never typed by users.

    Lines without a positive integer amount or a known source are left out (check()
    reports them), so `total` always equals the sum of `by_source`.
    """
    by_source: dict[str, int] = {}
    by_year: dict[int, int] = {}
    by_source_year: dict[tuple[str, int], int] = {}
    for line in _rows(lines):
        source, year, amount = line.get("source"), line.get("year"), line.get("amount")
        if not isinstance(source, str) or source not in SOURCES or not _is_int(amount) or amount <= 0:
            continue
        by_source[source] = by_source.get(source, 0) + amount
        if _is_int(year):
            by_year[year] = by_year.get(year, 0) + amount
            by_source_year[source, year] = by_source_year.get((source, year), 0) + amount
    order = list(SOURCES)
    total = sum(by_source.values())
    return Totals(
        by_source={key: by_source[key] for key in order if key in by_source},
        by_year=dict(sorted(by_year.items())),
        by_source_year=dict(sorted(by_source_year.items(), key=lambda kv: (order.index(kv[0][0]), kv[0][1]))),
        total=total,
        private_share=round(by_source.get("private", 0) / total, 4) if total else None,
    )


def funding_table(lines: list[dict[str, Any]]) -> funding.Table:
    """The source × year grid with 自償／非自償 subtotals (經費需求及財源表)."""
    return funding.table(funding.cells(_rows(lines), SOURCES))


def ministries(lines: list[dict[str, Any]], programme_ministry: Mapping[str, str]) -> list[str]:
    """The distinct ministries behind the central lines; unknown programmes are ignored."""
    found = {
        programme_ministry[name]
        for line in _rows(lines)
        if line.get("source") == "central" and (name := _text(line.get("programme"))) in programme_ministry
    }
    return sorted(found)
