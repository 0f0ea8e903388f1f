"""The one-page proposal's rules: every check() rule, budgets, progress, totals, ministries."""

from __future__ import annotations

import copy
import dataclasses
from datetime import date
from typing import Any

import pytest

from portal.demo import demo_cases
from portal.domain.brief import (
    BUDGETS,
    DNA_FIELDS,
    FUTURE_DATE,
    SECTION_KEYS,
    Basics,
    Problem,
    Progress,
    Totals,
    check,
    ministries,
    resource_totals,
    section_progress,
)
from portal.domain.proposal import DNA_GROUPS, empty_document
from tests.documents import GOOD

TODAY = date(2026, 11, 23)
WIDE = "𥕢"  # outside the BMP: two UTF-16 units, one code point, so it counts 1

BASICS = Basics(
    title="埔里山城共好：生態旅遊與農產加值計畫",
    type="township",
    lead_township_code="10008020",
    participating_codes=(),
)


def set_path(document: dict[str, Any], path: str, value: Any) -> None:
    """Set `a.b.0.c` in a nested document of dicts and lists."""
    *parents, last = path.split(".")
    node: Any = document
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value


def build(changes: dict[str, Any]) -> tuple[Basics, dict[str, Any]]:
    """BASICS and GOOD with `changes` applied; `proposal.x` paths change the Basics."""
    basics, document = BASICS, copy.deepcopy(GOOD)
    for path, value in changes.items():
        if path.startswith("proposal."):
            basics = dataclasses.replace(basics, **{path.removeprefix("proposal."): value})
        else:
            set_path(document, path, value)
    return basics, document


def rows(row: dict[str, Any], count: int) -> list[dict[str, Any]]:
    return [dict(row) for _ in range(count)]


STAKEHOLDER = GOOD["stakeholders"][0]
EVENT = GOOD["consensus"]["events"][0]
BUSINESS = GOOD["businesses"]["items"][0]
LINE = GOOD["resources"]["lines"][0]
SUPPORT = GOOD["resources"]["support"][0]
KPI = GOOD["kpis"][0]


def P(section: str, field: str, message: str) -> Problem:
    return Problem(section, field, message)


def test_check_good_document_has_no_problems() -> None:
    assert check(BASICS, GOOD, today=TODAY) == []


OUTSIDE_PERIOD = "年度須在提案期程 2026（115年）至 2028（117年）之間（依創生事業的起訖年月）"
CHECK_CASES: list[tuple[str, dict[str, Any], list[Problem]]] = [
    # basics
    ("title-missing", {"proposal.title": " "}, [P("basics", "title", "請填寫提案名稱")]),
    (
        "regional-one-township",
        {"proposal.type": "regional", "proposal.participating_codes": ("10008100",)},
        [P("basics", "participating", "區域型提案至少需要 2 個參與鄉鎮市區")],
    ),
    (
        "regional-lead-listed-as-participant",
        {"proposal.type": "regional", "proposal.participating_codes": ("10008020", "10008100")},
        [P("basics", "participating", "區域型提案至少需要 2 個參與鄉鎮市區")],
    ),
    ("regional-two-townships", {"proposal.type": "regional", "proposal.participating_codes": ("1", "2")}, []),
    ("thematic-no-townships", {"proposal.type": "thematic"}, []),
    ("contact-name-missing", {"basics.contact.name": ""}, [P("basics", "contact_name", "請填寫聯絡人姓名")]),
    ("contact-missing", {"basics.contact": {}}, [P("basics", "contact_name", "請填寫聯絡人姓名")]),
    ("theme-optional", {"basics.theme": ""}, []),
    # dna
    ("dna-summary-missing", {"dna.summary": ""}, [P("dna", "summary", "請填寫DNA摘要")]),
    (
        "dna-group-over-limit",
        {"dna.items.人": ["甲", "乙", "丙", "丁"]},
        [P("dna", "items_people", "人：最多 3 項（目前 4 項）")],
    ),
    ("dna-blank-items-not-counted", {"dna.items.人": ["甲", "乙", "丙", " "]}, []),
    # stakeholders
    (
        "stakeholders-one",
        {"stakeholders": rows(STAKEHOLDER, 1)},
        [P("stakeholders", "", "至少需要 2 位利害關係人")],
    ),
    (
        "stakeholders-none",
        {"stakeholders": []},
        [P("stakeholders", "", "至少需要 2 位利害關係人")],
    ),
    (
        "stakeholders-over-limit",
        {"stakeholders": rows(STAKEHOLDER, 7)},
        [P("stakeholders", "", "利害關係人最多 6 位（目前 7 位）")],
    ),
    ("stakeholders-at-limit", {"stakeholders": rows(STAKEHOLDER, 6)}, []),
    (
        "stakeholder-name-missing",
        {"stakeholders.1.name": ""},
        [P("stakeholders", "rows-1-name", "第 2 列：請填寫名稱")],
    ),
    (
        "stakeholder-sector-unknown",
        {"stakeholders.1.sector": "民"},
        [P("stakeholders", "rows-1-sector", "第 2 列：請選擇部門（產官學研社金）")],
    ),
    (
        "stakeholder-sector-missing",
        {"stakeholders.0.sector": None},
        [P("stakeholders", "rows-0-sector", "第 1 列：請選擇部門（產官學研社金）")],
    ),
    # consensus
    ("events-none", {"consensus.events": []}, [P("consensus", "", "至少需要 1 場共識活動")]),
    (
        "events-over-limit",
        {"consensus.events": rows(EVENT, 5)},
        [P("consensus", "", "共識活動最多 4 場（目前 5 場）")],
    ),
    (
        "event-date-impossible",
        {"consensus.events.1.date": "2025-02-30"},
        [P("consensus", "events-1-date", "第 2 場：請填寫日期（YYYY-MM-DD）")],
    ),
    (
        "event-date-compact",
        {"consensus.events.1.date": "20250621"},
        [P("consensus", "events-1-date", "第 2 場：請填寫日期（YYYY-MM-DD）")],
    ),
    (
        "event-date-missing",
        {"consensus.events.0.date": ""},
        [P("consensus", "events-0-date", "第 1 場：請填寫日期（YYYY-MM-DD）")],
    ),
    (
        "event-date-tomorrow",
        {"consensus.events.0.date": "2026-11-24"},
        [P("consensus", "events-0-date", "第 1 場：日期不可晚於今天")],
    ),
    ("event-date-today", {"consensus.events.0.date": "2026-11-23"}, []),
    (
        "event-participants-zero",
        {"consensus.events.0.participants": 0},
        [P("consensus", "events-0-participants", "第 1 場：參與人數至少 1 人")],
    ),
    (
        "event-participants-blank",
        {"consensus.events.1.participants": None},
        [P("consensus", "events-1-participants", "第 2 場：參與人數至少 1 人")],
    ),
    ("event-one-participant", {"consensus.events.1.participants": 1}, []),
    ("vision-missing", {"consensus.vision": ""}, [P("consensus", "vision", "請填寫共識願景")]),
    # businesses
    ("businesses-none", {"businesses.items": []}, [P("businesses", "", "至少需要 1 項創生事業")]),
    (
        "businesses-over-limit",
        {"businesses.items": rows(BUSINESS, 4)},
        [P("businesses", "", "創生事業最多 3 項（目前 4 項）")],
    ),
    (
        "business-name-missing",
        {"businesses.items.1.name": ""},
        [P("businesses", "items-1-name", "事業 2：請填寫事業名稱")],
    ),
    (
        "business-what-missing",
        {"businesses.items.0.what": None},
        [P("businesses", "items-0-what", "事業 1：請填寫做什麼")],
    ),
    (
        "business-start-missing",
        {"businesses.items.0.start": ""},
        [P("businesses", "items-0-start", "事業 1：請填寫開始年月（YYYY-MM）")],
    ),
    (
        "business-end-bad-month",
        {"businesses.items.0.end": "2027-13"},
        [P("businesses", "items-0-end", "事業 1：請填寫結束年月（YYYY-MM）")],
    ),
    (
        "business-end-before-start",
        {"businesses.items.1.end": "2026-05"},
        [P("businesses", "items-1-end", "事業 2：結束年月不可早於開始年月")],
    ),
    ("business-end-same-month", {"businesses.items.1.end": "2026-06"}, []),
    (
        "business-no-strategy",
        {"businesses.items.1.strategies": []},
        [P("businesses", "items-1-strategies", "事業 2：請至少選擇一項策略")],
    ),
    (
        "business-unknown-strategy",
        {"businesses.items.1.strategies": ["brand", "tourism"]},
        [P("businesses", "items-1-strategies", "事業 2：無效的策略：tourism")],
    ),
    # resources
    ("lines-none", {"resources.lines": []}, [P("resources", "", "至少需要 1 筆經費需求")]),
    (
        "lines-over-limit",
        {"resources.lines": rows(LINE, 9)},
        [P("resources", "", "經費需求最多 8 筆（目前 9 筆）")],
    ),
    (
        "line-source-unknown",
        {"resources.lines.1.source": "bank"},
        [P("resources", "lines-1-source", "第 2 筆：請選擇經費來源")],
    ),
    (
        "line-central-without-programme",
        {"resources.lines.0.programme": " "},
        [P("resources", "lines-0-programme", "第 1 筆：中央部會計畫請填寫計畫名稱")],
    ),
    (
        "line-ndf-without-programme",
        {"resources.lines.0.source": "ndf", "resources.lines.0.programme": ""},
        [],
    ),
    (
        "line-year-missing",
        {"resources.lines.0.year": None},
        [P("resources", "lines-0-year", "第 1 筆：年度須介於 2019 至 2040 年")],
    ),
    (
        "line-year-too-early",
        {"resources.lines.0.year": 2018},
        [P("resources", "lines-0-year", "第 1 筆：年度須介於 2019 至 2040 年")],
    ),
    (
        "line-year-too-late",
        {"resources.lines.0.year": 2041},
        [P("resources", "lines-0-year", "第 1 筆：年度須介於 2019 至 2040 年")],
    ),
    ("line-year-first", {"resources.lines.0.year": 2019, "businesses.items.0.start": "2019-01"}, []),
    ("line-year-last", {"resources.lines.0.year": 2040, "businesses.items.0.end": "2040-12"}, []),
    (
        "line-year-before-period",
        {"resources.lines.0.year": 2025},
        [P("resources", "lines-0-year", f"第 1 筆：{OUTSIDE_PERIOD}")],
    ),
    (
        "line-year-after-period",
        {"resources.lines.1.year": 2029},
        [P("resources", "lines-1-year", f"第 2 筆：{OUTSIDE_PERIOD}")],
    ),
    (
        "line-hualien-taitung-fund-outside-the-east",
        {"resources.lines.0.source": "hualien_taitung"},
        [P("resources", "lines-0-source", "第 1 筆：花東基金只適用於花蓮縣、臺東縣的提案，請改選其他經費來源")],
    ),
    (
        "line-hualien-taitung-fund-in-hualien",
        {"resources.lines.0.source": "hualien_taitung", "proposal.lead_township_code": "10015010"},
        [],
    ),
    (
        "line-hualien-taitung-fund-in-taitung",
        {"resources.lines.0.source": "hualien_taitung", "proposal.lead_township_code": "10014010"},
        [],
    ),
    (
        "line-amount-zero",
        {"resources.lines.1.amount": 0},
        [P("resources", "lines-1-amount", "第 2 筆：金額須為大於 0 的整數（千元）")],
    ),
    (
        "line-amount-blank",
        {"resources.lines.1.amount": None},
        [P("resources", "lines-1-amount", "第 2 筆：金額須為大於 0 的整數（千元）")],
    ),
    (
        "line-amount-fraction",
        {"resources.lines.1.amount": 1.5},
        [P("resources", "lines-1-amount", "第 2 筆：金額須為大於 0 的整數（千元）")],
    ),
    (
        "support-over-limit",
        {"resources.support": rows(SUPPORT, 4)},
        [P("resources", "", "協助需求最多 3 項（目前 4 項）")],
    ),
    ("support-none", {"resources.support": []}, []),
    # kpis
    ("kpis-none", {"kpis": []}, [P("kpis", "", "至少需要 1 項KPI")]),
    ("kpis-over-limit", {"kpis": rows(KPI, 6)}, [P("kpis", "", "KPI最多 5 項（目前 6 項）")]),
    (
        "kpi-indicator-missing",
        {"kpis.1.indicator": ""},
        [P("kpis", "rows-1-indicator", "指標 2：請填寫指標")],
    ),
    ("kpi-unit-missing", {"kpis.1.unit": ""}, [P("kpis", "rows-1-unit", "指標 2：請填寫單位")]),
    (
        "kpi-baseline-missing",
        {"kpis.0.baseline": None},
        [P("kpis", "rows-0-baseline", "指標 1：請填寫現況值")],
    ),
    (
        "kpi-baseline-year-missing",
        {"kpis.0.baseline_year": None},
        [P("kpis", "rows-0-baseline_year", "指標 1：請填寫基準年")],
    ),
    ("kpi-target-missing", {"kpis.0.target": None}, [P("kpis", "rows-0-target", "指標 1：請填寫目標值")]),
    (
        "kpi-target-year-missing",
        {"kpis.0.target_year": None},
        [P("kpis", "rows-0-target_year", "指標 1：請填寫目標年")],
    ),
    (
        "kpi-target-year-same",
        {"kpis.1.target_year": 2025},
        [P("kpis", "rows-1-target_year", "指標 2：目標年必須晚於基準年")],
    ),
    (
        "kpi-target-year-earlier",
        {"kpis.1.target_year": 2024},
        [P("kpis", "rows-1-target_year", "指標 2：目標年必須晚於基準年")],
    ),
    (
        "kpi-direction-missing",
        {"kpis.0.direction": ""},
        [P("kpis", "rows-0-direction", "指標 1：請選擇方向（+ 或 -）")],
    ),
    (
        "kpi-plus-target-equal",
        {"kpis.0.target": 0},
        [P("kpis", "rows-0-target", "指標 1：方向為 + 時，目標值必須高於現況值")],
    ),
    (
        "kpi-minus-target-higher",
        {"kpis.1.target": 20},
        [P("kpis", "rows-1-target", "指標 2：方向為 - 時，目標值必須低於現況值")],
    ),
    ("kpi-negative-baseline-rising", {"kpis.0.baseline": -320, "kpis.0.target": -100}, []),
    (
        "kpi-negative-baseline-falling",
        {"kpis.0.baseline": -100, "kpis.0.target": -320},
        [P("kpis", "rows-0-target", "指標 1：方向為 + 時，目標值必須高於現況值")],
    ),
    ("kpi-negative-baseline-minus", {"kpis.1.baseline": -100, "kpis.1.target": -320}, []),
]


@pytest.mark.parametrize(("changes", "expected"), [c[1:] for c in CHECK_CASES], ids=[c[0] for c in CHECK_CASES])
def test_check_rule(changes: dict[str, Any], expected: list[Problem]) -> None:
    basics, document = build(changes)

    assert check(basics, document, today=TODAY) == expected


def test_check_lists_problems_in_section_then_row_order() -> None:
    basics, document = build(
        {
            "kpis.0.unit": "",
            "stakeholders.1.name": "",
            "stakeholders.0.sector": "X",
            "proposal.title": "",
            "consensus.vision": "",
            "consensus.events.1.participants": 0,
        }
    )

    assert check(basics, document, today=TODAY) == [
        P("basics", "title", "請填寫提案名稱"),
        P("stakeholders", "rows-0-sector", "第 1 列：請選擇部門（產官學研社金）"),
        P("stakeholders", "rows-1-name", "第 2 列：請填寫名稱"),
        P("consensus", "events-1-participants", "第 2 場：參與人數至少 1 人"),
        P("consensus", "vision", "請填寫共識願景"),
        P("kpis", "rows-0-unit", "指標 1：請填寫單位"),
    ]


def test_check_empty_document_lists_what_is_missing() -> None:
    basics = dataclasses.replace(BASICS, title="")

    assert check(basics, empty_document(), today=TODAY) == [
        P("basics", "title", "請填寫提案名稱"),
        P("basics", "contact_name", "請填寫聯絡人姓名"),
        P("dna", "summary", "請填寫DNA摘要"),
        P("stakeholders", "", "至少需要 2 位利害關係人"),
        P("consensus", "", "至少需要 1 場共識活動"),
        P("consensus", "vision", "請填寫共識願景"),
        P("businesses", "", "至少需要 1 項創生事業"),
        P("resources", "", "至少需要 1 筆經費需求"),
        P("kpis", "", "至少需要 1 項KPI"),
    ]


def test_check_missing_sections_read_as_empty() -> None:
    partial = {"dna": {"summary": "山城", "items": None}, "kpis": "not a list"}

    assert check(BASICS, partial, today=TODAY) == [
        P("basics", "contact_name", "請填寫聯絡人姓名"),
        P("stakeholders", "", "至少需要 2 位利害關係人"),
        P("consensus", "", "至少需要 1 場共識活動"),
        P("consensus", "vision", "請填寫共識願景"),
        P("businesses", "", "至少需要 1 項創生事業"),
        P("resources", "", "至少需要 1 筆經費需求"),
        P("kpis", "", "至少需要 1 項KPI"),
    ]


# Every budgeted field: where it sits, and the problem one character over its budget.
BUDGET_CASES: list[tuple[str, str, str, str, str]] = [
    ("title", "proposal.title", "basics", "title", "提案名稱"),
    ("basics.theme", "basics.theme", "basics", "theme", "主題"),
    ("basics.title_en", "basics.title_en", "basics", "title_en", "英文名稱"),
    ("basics.summary_en", "basics.summary_en", "basics", "summary_en", "英文摘要"),
    ("dna.summary", "dna.summary", "dna", "summary", "DNA摘要"),
    ("dna.item", "dna.items.文.1", "dna", "items_culture", "文：第 2 項"),
    ("stakeholder.name", "stakeholders.0.name", "stakeholders", "rows-0-name", "第 1 列：名稱"),
    ("stakeholder.role", "stakeholders.1.role", "stakeholders", "rows-1-role", "第 2 列：角色"),
    (
        "stakeholder.commitment",
        "stakeholders.0.commitment",
        "stakeholders",
        "rows-0-commitment",
        "第 1 列：承諾投入",
    ),
    ("consensus.kind", "consensus.events.1.kind", "consensus", "events-1-kind", "第 2 場：形式"),
    ("consensus.outcome", "consensus.events.0.outcome", "consensus", "events-0-outcome", "第 1 場：成果"),
    ("consensus.vision", "consensus.vision", "consensus", "vision", "共識願景"),
    ("businesses.summary", "businesses.summary", "businesses", "summary", "事業構想摘要"),
    ("business.name", "businesses.items.0.name", "businesses", "items-0-name", "事業 1：事業名稱"),
    ("business.what", "businesses.items.1.what", "businesses", "items-1-what", "事業 2：做什麼"),
    ("business.where", "businesses.items.0.where", "businesses", "items-0-where", "事業 1：地點"),
    ("business.how", "businesses.items.0.how", "businesses", "items-0-how", "事業 1：方式"),
    ("business.lead", "businesses.items.1.lead", "businesses", "items-1-lead", "事業 2：主導單位"),
    ("resource.kind", "resources.lines.0.kind", "resources", "lines-0-kind", "第 1 筆：類別"),
    ("resource.note", "resources.lines.1.note", "resources", "lines-1-note", "第 2 筆：備註"),
    (
        "support.description",
        "resources.support.0.description",
        "resources",
        "support-0-description",
        "第 1 項：說明",
    ),
    ("kpi.indicator", "kpis.0.indicator", "kpis", "rows-0-indicator", "指標 1：指標"),
    ("kpi.definition", "kpis.1.definition", "kpis", "rows-1-definition", "指標 2：衡量標準"),
    ("kpi.unit", "kpis.0.unit", "kpis", "rows-0-unit", "指標 1：單位"),
    ("kpi.baseline_source", "kpis.1.baseline_source", "kpis", "rows-1-baseline_source", "指標 2：現況值資料來源"),
    ("benefit", "benefits.0", "kpis", "benefits", "不可量化效益第 1 項"),
]


def test_budget_cases_cover_every_budget() -> None:
    assert sorted(case[0] for case in BUDGET_CASES) == sorted(BUDGETS)


@pytest.mark.parametrize(("key", "path", "section", "field", "label"), BUDGET_CASES, ids=[c[0] for c in BUDGET_CASES])
def test_budget_wide_characters_at_limit_pass(key: str, path: str, section: str, field: str, label: str) -> None:
    basics, document = build({path: WIDE * BUDGETS[key]})

    assert check(basics, document, today=TODAY) == []


@pytest.mark.parametrize(("key", "path", "section", "field", "label"), BUDGET_CASES, ids=[c[0] for c in BUDGET_CASES])
def test_budget_wide_characters_over_limit_fail(key: str, path: str, section: str, field: str, label: str) -> None:
    limit = BUDGETS[key]
    basics, document = build({path: WIDE * (limit + 1)})

    assert check(basics, document, today=TODAY) == [
        Problem(section, field, f"{label}超過 {limit} 字（目前 {limit + 1} 字）")
    ]


def test_budget_message_reads_naturally() -> None:
    basics, document = build({"stakeholders.1.name": "𥕢" * 41})

    assert check(basics, document, today=TODAY) == [
        P("stakeholders", "rows-1-name", "第 2 列：名稱超過 40 字（目前 41 字）")
    ]


def test_dna_fields_name_every_group() -> None:
    assert list(DNA_FIELDS) == list(DNA_GROUPS)


EMPTY_DNA = {"summary": "", "items": {group: [] for group in DNA_GROUPS}}
BLANK_KPI = {key: None for key in KPI} | {"indicator": "", "definition": "", "unit": "", "direction": "+"}

PROGRESS_CASES: list[tuple[str, dict[str, Any], Progress]] = [
    ("basics", {"proposal.title": "", "basics.theme": "", "basics.contact": {}}, Progress.NOT_STARTED),
    ("basics", {"basics.theme": ""}, Progress.IN_PROGRESS),
    ("basics", {"proposal.type": "regional"}, Progress.IN_PROGRESS),
    ("basics", {}, Progress.DONE),
    ("dna", {"dna": EMPTY_DNA}, Progress.NOT_STARTED),
    ("dna", {"dna.items.地": [], "dna.items.景": []}, Progress.IN_PROGRESS),
    ("dna", {"dna.summary": ""}, Progress.IN_PROGRESS),
    ("dna", {}, Progress.DONE),
    ("stakeholders", {"stakeholders": []}, Progress.NOT_STARTED),
    ("stakeholders", {"stakeholders": rows(STAKEHOLDER, 1)}, Progress.IN_PROGRESS),
    ("stakeholders", {}, Progress.DONE),
    ("consensus", {"consensus": {"events": [], "vision": ""}}, Progress.NOT_STARTED),
    ("consensus", {"consensus.events": []}, Progress.IN_PROGRESS),
    ("consensus", {"consensus.events.0.date": "2027-01-01"}, Progress.IN_PROGRESS),
    ("consensus", {}, Progress.DONE),
    ("businesses", {"businesses": {"summary": "", "items": []}}, Progress.NOT_STARTED),
    ("businesses", {"businesses.items.0.strategies": []}, Progress.IN_PROGRESS),
    ("businesses", {}, Progress.DONE),
    ("resources", {"resources": {"lines": [], "support": []}}, Progress.NOT_STARTED),
    ("resources", {"resources.lines": []}, Progress.IN_PROGRESS),
    ("resources", {"resources.lines.1.amount": None}, Progress.IN_PROGRESS),
    ("resources", {}, Progress.DONE),
    ("kpis", {"kpis": [], "benefits": []}, Progress.NOT_STARTED),
    ("kpis", {"kpis": [BLANK_KPI], "benefits": []}, Progress.NOT_STARTED),
    ("kpis", {"kpis": [BLANK_KPI | {"baseline": 0}]}, Progress.IN_PROGRESS),
    ("kpis", {}, Progress.DONE),
]


@pytest.mark.parametrize(
    ("section", "changes", "expected"),
    PROGRESS_CASES,
    ids=[f"{c[0]}-{c[2]}-{n}" for n, c in enumerate(PROGRESS_CASES)],
)
def test_section_progress_state(section: str, changes: dict[str, Any], expected: Progress) -> None:
    basics, document = build(changes)

    assert section_progress(section, basics, document, today=TODAY) == expected


def test_section_progress_cases_cover_every_section_in_every_state() -> None:
    covered = {(section, expected) for section, _, expected in PROGRESS_CASES}

    assert covered == {(section, state) for section in SECTION_KEYS for state in Progress}


def test_section_progress_new_proposal_is_not_started_after_basics() -> None:
    progress = [section_progress(section, BASICS, empty_document()) for section in SECTION_KEYS]

    assert progress == [Progress.IN_PROGRESS] + [Progress.NOT_STARTED] * 6


def test_section_progress_unknown_section_raises() -> None:
    with pytest.raises(ValueError, match="unknown section: 'budget'"):
        section_progress("budget", BASICS, GOOD)


@pytest.mark.parametrize(
    ("progress", "label"),
    [(Progress.NOT_STARTED, "未開始"), (Progress.IN_PROGRESS, "進行中"), (Progress.DONE, "已完成")],
)
def test_progress_label(progress: Progress, label: str) -> None:
    assert (progress.value, progress.label) == (progress.name.lower(), label)


def line(source: Any, year: Any, amount: Any) -> dict[str, Any]:
    return {"kind": "軟體", "source": source, "programme": "", "year": year, "amount": amount, "note": ""}


def test_resource_totals_worked_example() -> None:
    lines = [
        line("private", 2027, 3000),
        line("central", 2026, 8000),
        line("central", 2027, 1200),
        line("county", None, 1000),  # no year: in the source total, not in any year
        line("private", 2026, 6000),
        line("ndf", 2026, 800),
        line("township", 2026, None),  # blank, zero, fractional or unknown: left out
        line("township", 2026, 0),
        line("other", 2026, 2.5),
        line("bank", 2026, 500),
    ]

    totals = resource_totals(lines)

    assert totals == Totals(
        by_source={"central": 9200, "ndf": 800, "county": 1000, "private": 9000},
        by_year={2026: 14800, 2027: 4200},
        by_source_year={
            ("central", 2026): 8000,
            ("central", 2027): 1200,
            ("ndf", 2026): 800,
            ("private", 2026): 6000,
            ("private", 2027): 3000,
        },
        total=20000,
        private_share=0.45,
    )
    assert (list(totals.by_source), list(totals.by_year), list(totals.by_source_year)) == (
        ["central", "ndf", "county", "private"],
        [2026, 2027],
        [("central", 2026), ("central", 2027), ("ndf", 2026), ("private", 2026), ("private", 2027)],
    )


@pytest.mark.parametrize(
    ("lines", "share"),
    [
        ([line("private", 2026, 1), line("central", 2026, 2)], 0.3333),
        ([line("private", 2026, 2), line("county", 2026, 1)], 0.6667),
        ([line("central", 2026, 5000)], 0.0),
        ([line("private", 2026, 700)], 1.0),
    ],
)
def test_resource_totals_private_share_rounded(lines: list[dict[str, Any]], share: float) -> None:
    assert resource_totals(lines).private_share == share


@pytest.mark.parametrize("lines", [[], [line("private", 2026, 0)], [line("central", None, None)]])
def test_resource_totals_nothing_to_sum_has_no_share(lines: list[dict[str, Any]]) -> None:
    assert resource_totals(lines) == Totals({}, {}, {}, 0, None)


PROGRAMME_MINISTRY = {
    "農村再生（第二期/第三期實施計畫）": "農業部",
    "大學社會責任實踐（USR）計畫": "教育部",
    "原住民村落文化發展計畫": "原住民族委員會",
    "地方創生青年培力工作站": "國家發展委員會",
}


def central(programme: str) -> dict[str, Any]:
    return {
        "kind": "軟體",
        "source": "central",
        "programme": programme,
        "year": 2026,
        "amount": 100,
        "note": "",
    }


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        ([], []),
        ([central("農村再生（第二期/第三期實施計畫）")], ["農業部"]),
        (
            [
                central("大學社會責任實踐（USR）計畫"),
                central("農村再生（第二期/第三期實施計畫）"),
                central("大學社會責任實踐（USR）計畫"),
                central("原住民村落文化發展計畫"),
            ],
            sorted(["教育部", "農業部", "原住民族委員會"]),
        ),
        ([central("不存在的計畫"), central("")], []),
        ([central("地方創生青年培力工作站") | {"source": "private"}], []),
    ],
    ids=["none", "one", "three-distinct-sorted", "unknown-programme", "not-central"],
)
def test_ministries(lines: list[dict[str, Any]], expected: list[str]) -> None:
    assert ministries(lines, PROGRAMME_MINISTRY) == expected


SUBMITTED_DEMOS = [case for case in demo_cases() if case["stage"] != "draft"]


@pytest.mark.parametrize("case", SUBMITTED_DEMOS, ids=[case["slug"] for case in SUBMITTED_DEMOS])
def test_demo_proposal_beyond_draft_has_no_problems(case: dict[str, Any]) -> None:
    basics = Basics(case["title"], case["type"], case["lead_township"], tuple(case.get("participating", [])))
    document = empty_document() | {key: case[key] for key in empty_document() if key in case}

    problems = check(basics, document, today=TODAY)

    assert [p for p in problems if not p.message.endswith(FUTURE_DATE)] == []
