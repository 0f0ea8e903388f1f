"""KPIs as the plans write them: yearly targets (逐年目標) moving the KPI's way inside its
period, the baseline's data source, the kind (成果指標／工作指標) and the proposal's
non-quantifiable benefits (不可量化效益) — in the rules, the wizard, the brief, the
published case file and the showcase."""

from __future__ import annotations

import copy
import dataclasses
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from portal import snapshot
from portal.db.models import Proposal, User
from portal.domain.brief import (
    Basics,
    Problem,
    Progress,
    YearlyProblem,
    check,
    check_yearly,
    plan_years,
    section_progress,
)
from portal.domain.diff import lines
from portal.domain.roles import Role
from portal.showcase import create_showcase_app
from portal.snapshot import Kpi, SnapshotError
from tests.conftest import PULI, Auth, Factory
from tests.documents import complete_document
from tests.test_publish import expected_case
from tests.test_wizard import Tab, field_errors, section_path, visible_text

TODAY = date(2026, 11, 23)
BASICS = Basics(title="埔里山城共好", type="township", lead_township_code=PULI, participating_codes=())


def kpi(direction: str = "+", baseline: float = -1000, target: float = 2, **more: Any) -> dict[str, Any]:
    """A KPI from 2024 to 2029 (the document's businesses run 2026–2028)."""
    row = {
        "indicator": "人口社會增加",
        "definition": "年遷入減遷出人數",
        "unit": "人",
        "baseline": baseline,
        "baseline_year": 2024,
        "target": target,
        "target_year": 2029,
        "direction": direction,
    }
    return row | more


def yearly(*pairs: tuple[Any, Any]) -> list[dict[str, Any]]:
    return [{"year": year, "value": value} for year, value in pairs]


# --- the rules -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "row",
    [
        kpi(yearly=yearly((2025, -500), (2026, -100), (2027, 0), (2028, 2))),  # −1000 → +2, ending at the target
        kpi(yearly=yearly((2026, -1000), (2027, -1000))),  # equal steps, starting at the baseline
        kpi("-", baseline=18.5, target=-3, yearly=yearly((2027, 10), (2025, 12.5), (2026, 12.5))),  # any order
        kpi(yearly=[]),
        kpi(),  # saved before yearly targets existed
    ],
    ids=["negative-baseline-rising", "equal-steps", "falling-any-order", "none", "older-kpi"],
)
def test_yearly_targets_moving_the_kpis_way_pass(row: dict[str, Any]) -> None:
    assert check_yearly(row, (2024, 2029)) == []


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            kpi(baseline=0, target=45, yearly=yearly((2026, 10), (2027, 5))),
            [YearlyProblem(1, "value", "期望增加的指標，2027 年的目標值 5 不可低於較早的 2026 年目標值 10")],
        ),
        (
            kpi(yearly=yearly((2026, -1200))),
            [YearlyProblem(0, "value", "期望增加的指標，2026 年的目標值 -1200 不可低於現況值 -1000")],
        ),
        (
            kpi(yearly=yearly((2026, 3))),
            [YearlyProblem(0, "value", "期望增加的指標，2026 年的目標值 3 不可超過目標值 2")],
        ),
        (
            kpi("-", baseline=18.5, target=8, yearly=yearly((2026, 12), (2027, 14.5))),
            [YearlyProblem(1, "value", "期望減少的指標，2027 年的目標值 14.5 不可高於較早的 2026 年目標值 12")],
        ),
        (
            kpi("-", baseline=18.5, target=8, yearly=yearly((2026, 19))),
            [YearlyProblem(0, "value", "期望減少的指標，2026 年的目標值 19 不可高於現況值 18.5")],
        ),
        (
            kpi("-", baseline=18.5, target=8, yearly=yearly((2026, 7.5))),
            [YearlyProblem(0, "value", "期望減少的指標，2026 年的目標值 7.5 不可低於目標值 8")],
        ),
        (
            kpi(yearly=yearly((2024, -900))),
            [YearlyProblem(0, "year", "逐年目標的年份須晚於現況年（2024）")],
        ),
        (
            kpi(yearly=yearly((2029, 0))),
            [YearlyProblem(0, "year", "逐年目標的年份須早於目標年（2029）；2029 年的值請填在「目標值」")],
        ),
        (
            kpi(yearly=yearly((2018, 0))),
            [YearlyProblem(0, "year", "年份須介於 2019 至 2040 年")],
        ),
        (
            kpi(yearly=yearly((2026, 0), (2026, 1))),
            [YearlyProblem(1, "year", "2026 年已經有逐年目標，每年只填一個")],
        ),
        (
            kpi(yearly=[{"year": None, "value": 5}, {"year": 2026, "value": None}]),
            [
                YearlyProblem(0, "year", "請填寫這個逐年目標的年份", missing=True),
                YearlyProblem(1, "value", "請填寫這一年的目標值", missing=True),
            ],
        ),
    ],
    ids=[
        "rising-falls-back",
        "rising-below-baseline",
        "rising-beyond-target",
        "falling-rises-back",
        "falling-above-baseline",
        "falling-beyond-target",
        "year-at-baseline-year",
        "year-at-target-year",
        "year-before-2019",
        "year-twice",
        "half-typed",
    ],
)
def test_yearly_target_rule(row: dict[str, Any], expected: list[YearlyProblem]) -> None:
    assert check_yearly(row) == expected


def test_yearly_targets_stay_inside_the_proposals_period() -> None:
    row = kpi(yearly=yearly((2025, -800), (2028, 0)))

    assert check_yearly(row, (2026, 2027)) == [
        YearlyProblem(0, "year", "逐年目標的年份須在計畫期間（2026–2027 年，依創生事業的起訖）之內"),
        YearlyProblem(1, "year", "逐年目標的年份須在計畫期間（2026–2027 年，依創生事業的起訖）之內"),
    ]


def test_plan_years_run_from_the_first_business_start_to_the_last_end() -> None:
    document = complete_document()
    empty = {"businesses": {"items": [{"start": "", "end": "2027-1"}]}}

    assert (plan_years(document), plan_years(empty), plan_years({})) == ((2026, 2028), None, None)


def document_with(**changes: Any) -> dict[str, Any]:
    document = complete_document()
    document["kpis"][0] |= changes
    return document


def test_check_lists_yearly_problems_next_to_their_inputs() -> None:
    document = document_with(yearly=yearly((2026, 30), (2027, 20), (2028, 50)), baseline_year=2025)

    assert check(BASICS, document, today=TODAY) == [
        Problem(
            "kpis",
            "rows-0-yearly-1-value",
            "指標 1：期望增加的指標，2027 年的目標值 20 不可低於較早的 2026 年目標值 30",
        ),
        Problem(
            "kpis", "rows-0-yearly-2-year", "指標 1：逐年目標的年份須早於目標年（2028）；2028 年的值請填在「目標值」"
        ),
    ]


def test_check_refuses_yearly_years_outside_the_businesses_period() -> None:
    document = document_with(baseline_year=2020, yearly=yearly((2025, 10), (2027, 20)))

    assert check(BASICS, document, today=TODAY) == [
        Problem(
            "kpis",
            "rows-0-yearly-0-year",
            "指標 1：逐年目標的年份須在計畫期間（2026–2028 年，依創生事業的起訖）之內",
        )
    ]


def test_check_a_year_without_its_value_blocks_submission() -> None:
    document = document_with(yearly=yearly((2026, None)))

    assert check(BASICS, document, today=TODAY) == [
        Problem("kpis", "rows-0-yearly-0-value", "指標 1：請填寫這一年的目標值")
    ]


@pytest.mark.parametrize(
    ("changes", "benefits", "expected"),
    [
        ({"kind": "work", "baseline_source": "勞保局投保資料"}, ["凝聚社區認同"], []),
        ({"kind": None}, [], []),  # a KPI from before kinds existed
        ({"kind": "impact"}, [], [Problem("kpis", "rows-0-kind", "指標 1：請選擇指標類型（成果指標或工作指標）")]),
        (
            {"baseline_source": "資" * 13},
            [],
            [Problem("kpis", "rows-0-baseline_source", "指標 1：現況值資料來源超過 12 字（目前 13 字）")],
        ),
        ({}, ["甲", "乙", "丙", "丁"], [Problem("kpis", "benefits", "不可量化效益最多 3 項（目前 4 項）")]),
        ({}, ["甲", " ", "乙", "丙"], []),  # blank items are unused lines
        (
            {},
            ["𥕢" * 21],
            [Problem("kpis", "benefits", "不可量化效益第 1 項超過 20 字（目前 21 字）")],
        ),
    ],
    ids=[
        "all-new-fields",
        "no-kind",
        "unknown-kind",
        "source-too-long",
        "four-benefits",
        "blank-benefit",
        "long-benefit",
    ],
)
def test_check_kind_source_and_benefits(changes: dict[str, Any], benefits: list[str], expected: list[Problem]) -> None:
    document = document_with(**changes)
    document["benefits"] = benefits

    assert check(BASICS, document, today=TODAY) == expected


def test_benefits_alone_start_the_kpi_section() -> None:
    document = {"kpis": [], "benefits": ["凝聚社區認同"]}

    assert section_progress("kpis", BASICS, document, TODAY) == Progress.IN_PROGRESS
    assert section_progress("kpis", BASICS, {"kpis": [], "benefits": []}, TODAY) == Progress.NOT_STARTED


def test_revision_diff_names_yearly_targets_source_kind_and_benefits() -> None:
    document = document_with(kind="work", baseline_source="勞保局", yearly=yearly((2026, 10), (2027, 30)))
    document["benefits"] = ["凝聚社區認同", "保存傳統工法"]
    older = complete_document()
    del older["kpis"][0]["kind"]  # an older revision: no kind means 成果指標

    found = lines("t", document)

    assert found[-3:] == [
        "KPI 第 1 列｜指標：新增工作機會｜類型：工作指標｜衡量標準：新增之全職勞保投保人數｜單位：人｜現況：0"
        "｜現況年：2025｜現況來源：勞保局｜目標：45｜目標年：2028｜方向：+｜逐年目標：2026年 10、2027年 30",
        "KPI 第 2 列｜指標：養殖損失率｜類型：成果指標｜衡量標準：寒害與缺氧之年損失比例｜單位：%｜現況：18.5"
        "｜現況年：2025｜現況來源：｜目標：8｜目標年：2028｜方向：-｜逐年目標：",
        "不可量化效益｜凝聚社區認同、保存傳統工法",
    ]
    assert lines("t", older) == lines("t", complete_document())


# --- the wizard ------------------------------------------------------------------------------


@pytest.fixture
def township(make: Factory, auth: Auth) -> User:
    user = make.user(Role.TOWNSHIP, township=PULI)
    auth.login(user.email)
    return user


@pytest.fixture
def draft(make: Factory, township: User) -> Proposal:
    return make.proposal(township)


def fresh(session: Session, proposal: Proposal) -> dict[str, Any]:
    session.expire_all()
    content = session.get(Proposal, proposal.id)
    assert content is not None
    return content.content


FIRST_KPI = {
    "rows-0-kind": "work",
    "rows-0-baseline_source": "勞保局投保資料",
    "rows-0-yearly-0-year": "2027",
    "rows-0-yearly-0-value": "30",
    "rows-0-yearly-1-year": "",
    "rows-0-yearly-1-value": "",
    "rows-0-yearly-2-year": "2026",
    "rows-0-yearly-2-value": "12.5",
    "benefits": "凝聚社區認同\r\n\r\n保存傳統工法\r\n",
}


def test_kpi_page_saves_kind_source_yearly_targets_and_benefits(auth: Auth, draft: Proposal, session: Session) -> None:
    tab = Tab(auth.client, section_path(draft.id, "kpis"))
    tab.type(FIRST_KPI)

    saved = tab.press()

    assert saved.status_code == 302
    content = fresh(session, draft)
    expected = complete_document()["kpis"]
    expected[0] |= {
        "kind": "work",
        "baseline_source": "勞保局投保資料",
        "yearly": [{"year": 2026, "value": 12.5}, {"year": 2027, "value": 30}],
    }
    assert (content["kpis"], content["benefits"]) == (expected, ["凝聚社區認同", "保存傳統工法"])
    reopened = Tab(auth.client, section_path(draft.id, "kpis"))
    shown = {name: reopened.fields.get(name) for name in ("rows-0-yearly-0-year", "rows-0-yearly-1-value", "benefits")}
    assert shown == {
        "rows-0-yearly-0-year": "2026",
        "rows-0-yearly-1-value": "30",
        "benefits": "凝聚社區認同\n保存傳統工法",
    }


@pytest.mark.parametrize(
    ("typed", "field", "message"),
    [
        (
            {
                "rows-0-yearly-0-year": "2026",
                "rows-0-yearly-0-value": "40",
                "rows-0-yearly-1-year": "2027",
                "rows-0-yearly-1-value": "20",
            },
            "rows-0-yearly-1-value",
            "期望增加的指標，2027 年的目標值 20 不可低於較早的 2026 年目標值 40",
        ),
        (
            {"rows-0-yearly-0-year": "2026", "rows-0-yearly-0-value": "46"},
            "rows-0-yearly-0-value",
            "期望增加的指標，2026 年的目標值 46 不可超過目標值 45",
        ),
        (
            {"rows-1-yearly-0-year": "2027", "rows-1-yearly-0-value": "20"},
            "rows-1-yearly-0-value",
            "期望減少的指標，2027 年的目標值 20 不可高於現況值 18.5",
        ),
        (
            {"rows-0-yearly-0-year": "2025", "rows-0-yearly-0-value": "5"},
            "rows-0-yearly-0-year",
            "逐年目標的年份須晚於現況年（2025）",
        ),
        (
            {"rows-0-baseline_year": "2020", "rows-0-yearly-0-year": "2024", "rows-0-yearly-0-value": "5"},
            "rows-0-yearly-0-year",
            "逐年目標的年份須在計畫期間（2026–2028 年，依創生事業的起訖）之內",
        ),
        (
            {"rows-0-yearly-0-year": "2026", "rows-0-yearly-0-value": "十"},
            "rows-0-yearly-0-value",
            "請填數字（例如 12、-3 或 2.5），不要加單位或文字。",
        ),
        (
            {"benefits": "甲\n乙\n丙\n丁"},
            "benefits",
            "最多 3 項（目前 4 項）。",
        ),
    ],
    ids=[
        "falls-back",
        "beyond-target",
        "falling-above-baseline",
        "before-period",
        "outside-plan",
        "not-a-number",
        "benefits",
    ],
)
def test_kpi_page_refuses_wrong_input_next_to_the_field_keeping_every_value(
    auth: Auth, draft: Proposal, session: Session, typed: dict[str, str], field: str, message: str
) -> None:
    before = copy.deepcopy(fresh(session, draft))
    tab = Tab(auth.client, section_path(draft.id, "kpis"))
    tab.type(typed | {"rows-0-baseline_source": "勞保局"})

    refused = tab.press()

    assert refused.status_code == 400
    errors = field_errors(tab.page)
    assert errors == {field: [message]}
    kept = {name: tab.fields.get(name) for name in typed} | {
        "rows-0-baseline_source": tab.fields.get("rows-0-baseline_source")
    }
    assert kept == typed | {"rows-0-baseline_source": "勞保局"}
    assert fresh(session, draft) == before


def test_kpi_page_saves_a_half_typed_yearly_target_and_the_check_page_names_it(
    auth: Auth, draft: Proposal, session: Session
) -> None:
    tab = Tab(auth.client, section_path(draft.id, "kpis"))
    tab.type({"rows-0-yearly-0-year": "2027"})

    saved = tab.press()
    check_page = auth.client.get(f"/proposals/{draft.id}/check").get_data(as_text=True)

    assert saved.status_code == 302
    assert fresh(session, draft)["kpis"][0]["yearly"] == [{"year": 2027, "value": None}]
    assert f'href="/proposals/{draft.id}/edit/kpis#rows-0-yearly-0-value"' in check_page
    assert "指標 1：請填寫這一年的目標值" in visible_text(check_page)


def test_brief_shows_kind_source_yearly_targets_and_benefits(auth: Auth, draft: Proposal, session: Session) -> None:
    content = copy.deepcopy(draft.content)
    content["kpis"][0] |= {"kind": "work", "baseline_source": "勞保局", "yearly": yearly((2026, 12.5), (2027, 30))}
    content["benefits"] = ["凝聚社區認同", "保存傳統工法"]
    draft.content = content
    session.commit()

    page = auth.client.get(f"/proposals/{draft.id}/brief").get_data(as_text=True)

    start = page.index('<section class="b-kpis">')
    kpis = visible_text(page[start : page.index("</section>", start)])
    assert kpis == (
        "6. KPI 新增工作機會工作指標（新增之全職勞保投保人數）：0人（2025）→12.5（2026）→30（2027）→45人（2028）"
        "，期望增加；來源：勞保局 養殖損失率成果指標（寒害與缺氧之年損失比例）：18.5%（2025）→8%（2028）"
        "，期望減少 不可量化效益：凝聚社區認同；保存傳統工法"
    )


# --- the published case file and the showcase ------------------------------------------------

PUBLISHED_ON = date(2026, 11, 2)


def case_with_new_fields() -> snapshot.Case:
    case = expected_case("puli-eco-town", PUBLISHED_ON)
    first = dataclasses.replace(
        case.kpis[0], kind="work", baseline_source="勞保局投保資料", yearly={2026: 12.5, 2027: 30}
    )
    return dataclasses.replace(case, kpis=(first, case.kpis[1]), benefits=("凝聚社區認同", "保存傳統工法"))


def test_case_file_round_trips_yearly_targets_source_kind_and_benefits() -> None:
    case = case_with_new_fields()

    text = snapshot.dump(case)

    assert snapshot.parse(text, "proposals/2026/puli-eco-town.md") == case
    assert (
        "  baseline_source: 勞保局投保資料\n  yearly:\n    2026: 12.5\n    2027: 30\n" in text,
        "benefits:\n- 凝聚社區認同\n- 保存傳統工法\n" in text,
    ) == (True, True)


def without_new_fields(text: str) -> str:
    """The file as written before yearly targets, kinds, sources and benefits existed."""
    kept, block = [], ""
    for line in text.split("\n"):
        if line.startswith(("benefits:", "  yearly:")):
            block = line.split(":")[0]
        elif not ((block == "benefits" and line.startswith("- ")) or (block == "  yearly" and line.startswith("    "))):
            block = ""
        if block or line.startswith(("  kind:", "  baseline_source:")):
            continue
        kept.append(line)
    return "\n".join(kept)


def test_case_file_written_before_the_new_fields_still_loads() -> None:
    case = dataclasses.replace(expected_case("puli-eco-town", PUBLISHED_ON), benefits=())
    old = without_new_fields(snapshot.dump(case))

    loaded = snapshot.parse(old, "proposals/2026/puli-eco-town.md")

    assert ("kind: outcome" in old, "baseline_source" in old, "benefits" in old, "yearly" in old) == (False,) * 4
    assert loaded == case
    assert (loaded.kpis[0].kind, loaded.kpis[0].yearly, loaded.benefits) == ("outcome", {}, ())


@pytest.mark.parametrize(
    ("before", "after", "message"),
    [
        (
            "    2027: 30",
            "    2027: 10",
            "欄位「kpis[0].yearly.2027」有誤：期望增加的指標，2027 年的目標值 10 不可低於較早的 2026 年目標值 12.5",
        ),
        (
            "    2027: 30",
            "    2028: 30",
            "欄位「kpis[0].yearly.2028」有誤：逐年目標的年份須早於目標年（2028）；2028 年的值請填在「目標值」",
        ),
        ("    2027: 30", "    2027: 三十", "欄位「kpis[0].yearly.2027」必須是數字"),
        ("    2027: 30", "    next: 30", "欄位「kpis[0].yearly」的「next」不是西元年度"),
        ("  kind: work", "  kind: impact", "欄位「kpis[0].kind」的「impact」不是已知的指標類型（可用：outcome、work）"),
        ("- 保存傳統工法", "- ''", "欄位「benefits[1]」不可空白"),
        (
            "  baseline_source: 勞保局投保資料",
            "  baseline_sauce: 勞保局投保資料",
            "不認得的欄位「kpis[0].baseline_sauce」",
        ),
    ],
    ids=["falls-back", "at-target-year", "not-a-number", "not-a-year", "unknown-kind", "blank-benefit", "misspelt"],
)
def test_case_file_with_bad_new_fields_is_refused_naming_the_field(before: str, after: str, message: str) -> None:
    text = snapshot.dump(case_with_new_fields())
    assert text.count(before) == 1

    with pytest.raises(SnapshotError) as refused:
        snapshot.parse(text.replace(before, after), "proposals/2026/puli-eco-town.md")

    assert str(refused.value) == f"proposals/2026/puli-eco-town.md：{message}"


def test_showcase_case_page_shows_directions_yearly_targets_and_benefits(tmp_path: Path) -> None:
    folder = tmp_path / "proposals" / "2026"
    folder.mkdir(parents=True)
    (folder / "puli-eco-town.md").write_text(snapshot.dump(case_with_new_fields()), "utf-8")
    site = create_showcase_app({"PROPOSALS_DIR": str(tmp_path / "proposals"), "SITE_URL": "https://site.test/"})

    page = site.test_client().get("/cases/puli-eco-town/").get_data(as_text=True)

    start = page.index("<h2>6. KPI</h2>")
    shown = visible_text(page[start : page.index("</section>", start)])
    assert shown == (
        "6. KPI 新增工作機會 工作指標（新增之全職勞保投保人數）：0人（2025）→ 45人（2028）期望增加；"
        "現況來源：勞保局投保資料 "
        "逐年目標（人） 年度 2025（現況） 2026 2027 2028（目標） 目標值 0 12.5 30 45 "
        "養殖損失率 成果指標（寒害與缺氧之年損失比例）：18.5%（2025）→ 8%（2028）期望減少 "
        "不可量化效益 凝聚社區認同 保存傳統工法"
    )
    english = site.test_client().get("/en/cases/puli-eco-town/").get_data(as_text=True)
    assert re.findall(r'<span class="tag direction">([^<]*)</span>', english) == ["to increase", "to decrease"]


def test_older_kpi_without_new_fields_is_a_plain_outcome_indicator() -> None:
    older = Kpi("新增工作機會", "投保人數", "人", 0, 2025, 45, 2028, "+")

    assert (older.kind, older.baseline_source, older.yearly) == ("outcome", "", {})
