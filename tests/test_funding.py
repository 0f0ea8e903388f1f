"""The funding table (經費需求及財源表): 民國 years, the grid's totals, 花東基金 and the
period rule, and a real county plan's table re-keyed through the resources step."""

from __future__ import annotations

import csv
import re
import shutil
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from portal import snapshot
from portal.config import PROJECT_ROOT
from portal.db.models import Proposal
from portal.domain import brief, funding
from portal.domain.roles import Role
from portal.showcase import create_showcase_app
from tests.conftest import DAREN, PULI, Auth, Factory
from tests.documents import complete_document
from tests.test_publish import write_sample

EXAMPLE = Path(__file__).parent / "data" / "funding-table-example.csv"


# ── 民國 years ───────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("year", "roc", "label", "both"),
    [
        (1912, 1, "1年", "1912（1年）"),
        (2019, 108, "108年", "2019（108年）"),
        (2020, 109, "109年", "2020（109年）"),
        (2026, 115, "115年", "2026（115年）"),
    ],
)
def test_roc_year_of_gregorian_year(year: int, roc: int, label: str, both: str) -> None:
    assert (funding.roc_year(year), funding.roc_label(year), funding.both_years(year)) == (roc, label, both)


def test_roc_year_refuses_years_before_the_republic() -> None:
    with pytest.raises(ValueError, match="1911"):
        funding.roc_year(1911)


# ── the grid ─────────────────────────────────────────────────────────────────────


def line(source: str, year: int, amount: int, *, self_liquidating: bool = False) -> dict[str, Any]:
    return {"kind": "", "source": source, "year": year, "amount": amount, "self_liquidating": self_liquidating}


def test_table_totals_every_row_column_kind_and_the_whole() -> None:
    lines = [
        line("county", 2021, 500),
        line("central", 2023, 2000),
        line("county", 2021, 300),  # same cell: summed
        line("private", 2021, 1000, self_liquidating=True),
        {"kind": "", "source": "other", "year": 2022, "amount": 7},  # saved before the flag: 非自償
        line("township", 2022, 0),  # no amount: left out (the check page reports it)
        line("nowhere", 2022, 10),  # unknown source: left out
    ]

    table = brief.funding_table(lines)

    years = (2021, 2022, 2023)
    assert table == funding.Table(
        years=years,
        rows=(
            funding.Row("non", "central", {2021: 0, 2022: 0, 2023: 2000}, 2000),
            funding.Row("non", "county", {2021: 800, 2022: 0, 2023: 0}, 800),
            funding.Row("non", "other", {2021: 0, 2022: 7, 2023: 0}, 7),
            funding.Row("self", "private", {2021: 1000, 2022: 0, 2023: 0}, 1000),
        ),
        subtotals=(
            funding.Subtotal("non", {2021: 800, 2022: 7, 2023: 2000}, 2807),
            funding.Subtotal("self", {2021: 1000, 2022: 0, 2023: 0}, 1000),
        ),
        by_year={2021: 1800, 2022: 7, 2023: 2000},
        total=3807,
    )
    assert table.total == brief.resource_totals(lines).total


def test_table_has_a_column_for_each_year_with_money() -> None:
    table = brief.funding_table([line("county", 2024, 2), line("county", 2020, 1)])

    assert (table.years, table.rows[0].by_year) == ((2020, 2024), {2020: 1, 2024: 2})


def test_empty_table_still_has_both_subtotals() -> None:
    assert brief.funding_table([]) == funding.Table(
        (), (), (funding.Subtotal("non", {}, 0), funding.Subtotal("self", {}, 0)), {}, 0
    )


# ── rules: 花東基金 and the proposal's period ─────────────────────────────────────


@pytest.mark.parametrize(
    ("county", "allowed"),
    [("10015", True), ("10014", True), ("10008", False), ("63000", False), ("09020", False)],
)
def test_hualien_taitung_fund_only_for_the_two_eastern_counties(county: str, allowed: bool) -> None:
    assert (
        funding.source_allowed("hualien_taitung", county),
        funding.source_allowed("county", county),
    ) == (allowed, True)


@pytest.mark.parametrize(
    ("items", "period"),
    [
        ([{"start": "2026-03", "end": "2027-12"}, {"start": "2025-01", "end": "2026-06"}], (2025, 2027)),
        ([{"start": "2026-03", "end": ""}], (2026, 2026)),
        ([{"start": "", "end": ""}], None),
        ([], None),
        ("not a list", None),
    ],
)
def test_period_runs_from_first_business_start_to_last_end(items: object, period: tuple[int, int] | None) -> None:
    assert funding.period({"businesses": {"items": items}}) == period


def test_line_problems_name_the_row_and_field() -> None:
    lines = [line("county", 2026, 1), line("hualien_taitung", 2029, 1), line("county", 2025, 1)]

    assert funding.line_problems(lines, "10008", (2026, 2028)) == [
        funding.LineProblem(1, "source", "花東基金只適用於花蓮縣、臺東縣的提案，請改選其他經費來源"),
        funding.LineProblem(1, "year", "年度須在提案期程 2026（115年）至 2028（117年）之間（依創生事業的起訖年月）"),
        funding.LineProblem(2, "year", "年度須在提案期程 2026（115年）至 2028（117年）之間（依創生事業的起訖年月）"),
    ]
    assert funding.line_problems(lines[:2], "10014", None) == []


# ── through the resources step ────────────────────────────────────────────────────


class _Tables(HTMLParser):
    """Every table's rows as lists of cell texts (a <br> inside a cell reads as a space)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.classes = ""
        self.row: list[str] | None = None
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.classes = dict(attrs).get("class") or ""
            self.tables.setdefault(self.classes, [])
        elif tag == "tr":
            self.row = []
        elif tag in ("td", "th"):
            self.cell = []
        elif tag == "br" and self.cell is not None:
            self.cell.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self.row is not None and self.cell is not None:
            self.row.append(re.sub(r"\s+", " ", "".join(self.cell)).strip())
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.tables[self.classes].append(self.row)
            self.row = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def funding_rows(page: str) -> list[list[str]]:
    reader = _Tables()
    reader.feed(page)
    [rows] = [rows for classes, rows in reader.tables.items() if "funding-table" in classes]
    return rows


def field_errors(page: str) -> list[tuple[str, str]]:
    """(field id, message) of every error shown next to a field."""
    return re.findall(r'id="([\w-]+)-error">\s*<span class="visually-hidden">錯誤：</span>([^<]+?)\s*<', page)


def open_step(client: FlaskClient, proposal: Proposal, step: str = "resources") -> dict[str, str]:
    page = client.get(f"/proposals/{proposal.id}/edit/{step}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    version = re.search(r'name="version" type="hidden" value="([^"]*)"', page)
    assert token and version
    return {"csrf_token": token.group(1), "version": version.group(1)}


def lines_form(lines: list[dict[str, Any]]) -> dict[str, str]:
    data = {"support-0-kind": "", "support-0-description": ""}
    for n, row in enumerate(lines):
        data |= {
            f"lines-{n}-kind": row["kind"],
            f"lines-{n}-source": row["source"],
            f"lines-{n}-programme": "",
            f"lines-{n}-self_liquidating": "self" if row["self_liquidating"] else "non",
            f"lines-{n}-year": str(row["year"]),
            f"lines-{n}-amount": str(row["amount"]),
            f"lines-{n}-note": "",
        }
    return data


def draft_in(make: Factory, auth: Auth, township: str, start: str, end: str) -> Proposal:
    author = make.user(Role.TOWNSHIP, township=township)
    proposal = make.proposal(author, lead=township)
    content = complete_document()
    for item in content["businesses"]["items"]:
        item["start"], item["end"] = start, end
    proposal.content = content
    make.session.commit()
    auth.login(author.email)
    return proposal


# The plan's rows, as the portal's sources (both of the plan's 其他 rows are `other`).
PLAN_SOURCES = {
    ("非自償", "中央預算"): "central",
    ("非自償", "地方預算"): "county",
    ("非自償", "花東基金"): "hualien_taitung",
    ("非自償", "其他"): "other",
    ("自償", "民間投資"): "private",
    ("自償", "其他"): "other",
}
PLAN_YEARS = ("109", "110", "111", "112")


def thousands(millions: str) -> int:
    """The plan prints NT$ million with three decimals; the portal keys NT$ thousand."""
    value = Decimal(millions) * 1000
    assert value == value.to_integral_value()
    return int(value)


def test_real_plan_table_rekeyed_through_the_resources_step_adds_up_exactly(
    client: FlaskClient, auth: Auth, make: Factory, session: Session
) -> None:
    with EXAMPLE.open(encoding="utf-8") as file:
        plan = list(csv.DictReader(file))
    *rows, total_row = plan
    # The plan's 108年以前 and 113年以後 columns and its 土地款 are all zero, so single
    # years 2020–2023 (民國 109–112) hold the whole table.
    assert [(r["before_109"], r["after_112"], r["land"]) for r in plan] == [("0", "0", "0")] * len(plan)
    keyed = [
        line(
            PLAN_SOURCES[r["kind"], r["source"]],
            int(year) + 1911,
            thousands(r[year]),
            self_liquidating=r["kind"] == "自償",
        )
        | {"kind": f"{r['source']}經費"}
        for r in rows
        for year in PLAN_YEARS
        if thousands(r[year])
    ]
    proposal = draft_in(make, auth, "10015010", "2020-01", "2023-12")  # 花蓮市

    saved = client.post(
        f"/proposals/{proposal.id}/edit/resources", data=open_step(client, proposal) | lines_form(keyed)
    )
    page = client.get(saved.location).get_data(as_text=True) if saved.location else saved.get_data(as_text=True)

    session.refresh(proposal)
    table = brief.funding_table(proposal.content["resources"]["lines"])
    assert (saved.status_code, len(keyed), table.years) == (302, 6, (2020, 2021, 2022, 2023))
    for r in rows:
        kind = "self" if r["kind"] == "自償" else "non"
        found = [row for row in table.rows if (row.kind, row.source) == (kind, PLAN_SOURCES[r["kind"], r["source"]])]
        by_year = {y: sum(row.by_year[int(y) + 1911] for row in found) for y in PLAN_YEARS}
        row_total = sum(row.total for row in found)
        assert (by_year, row_total, row_total) == (
            {y: thousands(r[y]) for y in PLAN_YEARS},
            thousands(r["total_109_112"]),
            thousands(r["total"]),
        ), r
    assert ({str(y - 1911): a for y, a in table.by_year.items()}, table.total) == (
        {y: thousands(total_row[y]) for y in PLAN_YEARS},
        thousands(total_row["total"]),
    )
    assert [s.total for s in table.subtotals] == [
        sum(thousands(r["total"]) for r in rows if r["kind"] == kind) for kind in ("非自償", "自償")
    ]
    # What the township sees under the lines: the same table, with 民國 years.
    assert funding_rows(page) == [
        ["自償性", "經費來源", "109年 2020", "110年 2021", "111年 2022", "112年 2023", "合計"],
        ["非自償", "縣市政府", "0", "891", "1,000", "1,000", "2,891"],
        ["花東基金", "3,282", "2,109", "3,282", "0", "8,673"],
        ["非自償小計", "3,282", "3,000", "4,282", "1,000", "11,564"],
        ["自償", "自償小計", "0", "0", "0", "0", "0"],
        ["總計", "3,282", "3,000", "4,282", "1,000", "11,564"],
    ]


def test_resources_step_refuses_hualien_taitung_fund_outside_the_east_next_to_the_field(
    client: FlaskClient, auth: Auth, make: Factory, session: Session
) -> None:
    proposal = draft_in(make, auth, PULI, "2026-01", "2028-06")
    before = dict(proposal.content["resources"])
    offered = client.get(f"/proposals/{proposal.id}/edit/resources").get_data(as_text=True)
    lines = [line("county", 2026, 100), line("hualien_taitung", 2027, 200)]

    refused = client.post(
        f"/proposals/{proposal.id}/edit/resources", data=open_step(client, proposal) | lines_form(lines)
    )
    page = refused.get_data(as_text=True)

    session.refresh(proposal)
    assert ('value="hualien_taitung"' in offered, refused.status_code) == (False, 400)
    assert field_errors(page) == [("lines-1-source", "花東基金只適用於花蓮縣、臺東縣的提案，請改選其他經費來源")]
    # Nothing saved, everything typed still in the form.
    assert (proposal.content["resources"], 'name="lines-1-amount" type="text" value="200"' in page) == (before, True)


def test_resources_step_refuses_a_year_outside_the_period_next_to_the_field(
    client: FlaskClient, auth: Auth, make: Factory, session: Session
) -> None:
    proposal = draft_in(make, auth, DAREN, "2026-01", "2028-06")  # 臺東縣達仁鄉: 花東基金 offered
    offered = client.get(f"/proposals/{proposal.id}/edit/resources").get_data(as_text=True)
    lines = [line("hualien_taitung", 2025, 100), line("hualien_taitung", 2028, 200)]

    refused = client.post(
        f"/proposals/{proposal.id}/edit/resources", data=open_step(client, proposal) | lines_form(lines)
    )
    page = refused.get_data(as_text=True)

    assert ('<option value="hualien_taitung">花東基金</option>' in offered, refused.status_code) == (True, 400)
    assert field_errors(page) == [
        ("lines-0-year", "年度須在提案期程 2026（115年）至 2028（117年）之間（依創生事業的起訖年月）")
    ]


# ── published files, the showcase and the open data ──────────────────────────────

SAMPLE_GRID = {("non", "central", 2026): 8000, ("self", "private", 2027): 6000}


def test_published_file_carries_the_grid_and_reads_it_back(tmp_path: Path) -> None:
    text = write_sample(tmp_path).read_text(encoding="utf-8")

    case = snapshot.parse(text, "2026/puli-township-7.md")

    assert "\n  grid:\n  - source: central\n    self_liquidating: false\n    by_year:\n      2026: 8000\n" in text
    assert (case.resources.grid, case.resources.table) == (SAMPLE_GRID, brief.funding_table(GRID_LINES))


GRID_LINES = [line("central", 2026, 8000), line("private", 2027, 6000, self_liquidating=True)]


def test_file_written_before_the_grid_still_loads(tmp_path: Path) -> None:
    text = write_sample(tmp_path).read_text(encoding="utf-8")
    older = re.sub(r"\n  grid:\n(?:  [- ] .*\n)+", "\n", text)

    case = snapshot.parse(older, "2026/puli-township-7.md")

    assert ("grid:" in older, case.resources.grid, case.resources.table) == (False, None, None)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "      2026: 8000\n",
            "      2026: 7000\n",
            "欄位「resources.grid」中「central」各格合計 7000，必須等於 by_source 的 8000",
        ),
        (
            "      2027: 6000\n",
            "      2028: 6000\n",
            "欄位「resources.grid」中 2027 年各格合計 0，必須等於 by_year 的 6000",
        ),
        (
            "    self_liquidating: true\n",
            "    self_liquidating: 1\n",
            "欄位「resources.grid[1].self_liquidating」必須是 true（自償）或 false（非自償）",
        ),
        (
            "  - source: private\n",
            "  - source: bank\n",
            "欄位「resources.grid[1].source」的「bank」不是已知的經費來源代碼",
        ),
    ],
)
def test_published_grid_that_does_not_add_up_is_refused_naming_the_field(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    text = write_sample(tmp_path).read_text(encoding="utf-8")
    assert old in text

    with pytest.raises(snapshot.SnapshotError) as error:
        snapshot.parse(text.replace(old, new), "2026/puli-township-7.md")

    assert message in str(error.value)


def test_showcase_case_page_and_open_data_show_the_grid(tmp_path: Path) -> None:
    write_sample(tmp_path)
    older = tmp_path / "proposals" / "2026" / "older-township-8.md"
    shutil.copy(tmp_path / "proposals" / "2026" / "puli-township-7.md", older)
    older.write_text(
        re.sub(r"\n  grid:\n(?:  [- ] .*\n)+", "\n", older.read_text(encoding="utf-8")).replace(
            "slug: puli-township-7", "slug: older-township-8"
        ),
        encoding="utf-8",
    )
    content = tmp_path / "content"
    shutil.copytree(PROJECT_ROOT / "content", content)
    client = create_showcase_app(
        {"CONTENT_DIR": str(content), "PROPOSALS_DIR": str(tmp_path / "proposals")}
    ).test_client()

    page = client.get("/cases/puli-township-7/").get_data(as_text=True)
    older_page = client.get("/cases/older-township-8/").get_data(as_text=True)
    records = {r["slug"]: r for r in client.get("/data/cases.json").get_json()["cases"]}

    assert funding_rows(page) == [
        ["自償性", "經費來源", "115年 2026", "116年 2027", "合計"],
        ["非自償", "中央部會計畫", "8,000", "0", "8,000"],
        ["非自償小計", "8,000", "0", "8,000"],
        ["自償", "民間投資", "0", "6,000", "6,000"],
        ["自償小計", "0", "6,000", "6,000"],
        ["總計", "8,000", "6,000", "14,000"],
    ]
    assert "funding-table" not in older_page
    funding_columns = ("non_self_liquidating_total", "self_liquidating_total", "funding_grid")
    assert [tuple(records[slug][key] for key in funding_columns) for slug in sorted(records)] == [
        (None, None, None),
        (8000, 6000, "central:non:2026=8000;private:self:2027=6000"),
    ]


@pytest.mark.parametrize("page", ["", "/brief"], ids=["proposal-page", "brief"])
def test_proposal_page_and_brief_show_the_funding_table_with_roc_years(
    client: FlaskClient, auth: Auth, make: Factory, page: str
) -> None:
    proposal = draft_in(make, auth, PULI, "2026-01", "2028-06")

    shown = client.get(f"/proposals/{proposal.id}{page}").get_data(as_text=True)

    assert funding_rows(shown) == [
        ["自償性", "經費來源", "115年 2026", "116年 2027", "合計"],
        ["非自償", "中央部會計畫", "8,000", "0", "8,000"],
        ["非自償小計", "8,000", "0", "8,000"],
        ["自償", "民間投資", "0", "6,000", "6,000"],
        ["自償小計", "0", "6,000", "6,000"],
        ["總計", "8,000", "6,000", "14,000"],
    ]


@pytest.mark.parametrize(
    ("part", "whole", "shown"),
    [
        (1, 16, "6.3%"),  # 6.25: a half, rounded up (it was 6.2 on the server, 6.3 live)
        (1, 8, "12.5%"),
        (1, 3, "33.3%"),
        (2, 3, "66.7%"),
        (1, 400, "0.3%"),  # 0.25
        (1, 2001, "0.0%"),
        (0, 5, "0.0%"),
        (5, 5, "100.0%"),
    ],
)
def test_percent_has_one_rounding_rule(part: int, whole: int, shown: str) -> None:
    assert funding.percent(part, whole) == shown
