"""CSV exports a spreadsheet cannot run, and download names that cannot break a header."""

from __future__ import annotations

import csv
import dataclasses
import io
from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from portal import snapshot
from portal.domain.spreadsheet import csv_text, safe_cell
from portal.security import attachment
from portal.showcase import create_showcase_app
from tests.conftest import Factory
from tests.test_publish import expected_case
from tests.test_review import CYCLE, RANKED_SCORES, Round

FORMULA = '=HYPERLINK("http://x","y")'


@pytest.fixture
def world(app: Flask, make: Factory, session: Session) -> Round:
    return Round(app, make, session)


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (FORMULA, "'" + FORMULA),
        ("+886-2-1234", "'+886-2-1234"),
        ("-1+2", "'-1+2"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("-", "'-"),
        # Numbers, as numbers or as their plain text, stay numbers.
        (-1000, -1000),
        ("-1000", "-1000"),
        ("+3", "+3"),
        ("-0.25", "-0.25"),
        ("-1.5e3", "-1.5e3"),
        (4.5, 4.5),
        (None, None),
        (True, True),
        # Text that does not start with a formula character is left alone.
        ("埔里=好", "埔里=好"),
        ("a-b", "a-b"),
        ("", ""),
    ],
)
def test_safe_cell(value: object, written: object) -> None:
    assert safe_cell(value) == written


def test_csv_text_neutralises_formulas_and_keeps_negative_numbers() -> None:
    text = csv_text(["title", "baseline", "target"], [{"title": FORMULA, "baseline": -1000, "target": "-250"}])

    assert text.startswith("\ufeff")
    assert text == '\ufefftitle,baseline,target\r\n"\'=HYPERLINK(""http://x"",""y"")",-1000,-250\r\n'
    assert list(csv.reader(io.StringIO(text.removeprefix("\ufeff")))) == [
        ["title", "baseline", "target"],
        ["'" + FORMULA, "-1000", "-250"],
    ]


def test_showcase_cases_csv_neutralises_a_formula_title(tmp_path: Path) -> None:
    case = dataclasses.replace(expected_case("puli-township-7", date(2026, 11, 2)), title=FORMULA)
    path = tmp_path / "proposals" / "2026" / "puli-township-7.md"
    path.parent.mkdir(parents=True)
    path.write_text(snapshot.dump(case), encoding="utf-8")
    site = create_showcase_app({"PROPOSALS_DIR": str(tmp_path / "proposals")})

    body = site.test_client().get("/data/cases.csv").get_data().decode("utf-8-sig")

    rows = list(csv.DictReader(io.StringIO(body)))
    assert [(r["slug"], r["title"]) for r in rows] == [("puli-township-7", "'" + FORMULA)]
    # The numbers beside it are still plain numbers.
    assert rows[0]["budget_total"] == str(case.resources.total)
    assert rows[0]["private_investment"] == str(case.private_investment)


def test_ranking_csv_neutralises_a_formula_title_and_keeps_scores_numbers(world: Round) -> None:
    first, second = world.reviewers[:2]
    proposal = world.in_review(first, second, title=FORMULA)
    world.score(proposal, first, RANKED_SCORES[("甲", 0)])
    world.score(proposal, second, RANKED_SCORES[("甲", 1)])

    response = world.get(world.admin, f"/review/ranking.csv?cycle={CYCLE}")

    rows = list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert [(r["提案編號"], r["提案名稱"]) for r in rows] == [(str(proposal.id), "'" + FORMULA)]
    assert (rows[0]["可行性平均"], rows[0]["可行性最低"], rows[0]["可行性最高"]) == ("4.5", "4", "5")
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=\"ranking-2026.csv\"; filename*=UTF-8''ranking-2026.csv"
    )


def test_ranking_csv_is_for_the_desk_rounded_in_chinese_and_filtered_by_state(world: Round) -> None:
    first, second, third = world.reviewers[:3]
    scored = world.in_review(first, second, third, title="埔里三人評分案")
    for reviewer, given in zip((first, second, third), (4, 4, 5), strict=True):
        world.score(scored, reviewer, {"feasibility": given, "creativity": 3, "spillover": 5})
    other = world.in_review(first, second, title="埔里另一案")
    world.score(other, first, {"feasibility": 2, "creativity": 2, "spillover": 2})
    world.score(other, second, {"feasibility": 2, "creativity": 5, "spillover": 2})
    world.session.commit()

    def rows(query: str) -> list[dict[str, str]]:
        body = world.get(world.admin, f"/review/ranking.csv?cycle={CYCLE}{query}").get_data().decode("utf-8-sig")
        return list(csv.DictReader(io.StringIO(body)))

    every = rows("")
    header = list(every[0])
    in_review = rows("&status=in_review")
    approved = rows("&status=approved")

    assert header[:7] == ["名次", "提案編號", "提案名稱", "主提案鄉鎮市區", "優先推動地區", "狀態", "評分份數"]
    assert header[-3:] == ["加權總分", "校正後總分", "三高篩選"]
    first_row = next(r for r in every if r["提案名稱"] == "埔里三人評分案")
    # (4 + 4 + 5) / 3 = 4.333…: two decimals, as a number.
    assert (first_row["可行性平均"], first_row["可行性意見分歧"]) == ("4.33", "否")
    assert next(r for r in every if r["提案名稱"] == "埔里另一案")["創意性意見分歧"] == "是"
    assert all(len(r["校正後總分"].partition(".")[2]) <= 2 for r in every)
    assert [r["提案名稱"] for r in in_review] == [r["提案名稱"] for r in every]
    assert approved == []


@pytest.mark.parametrize(
    "cycle",
    ["2026%0d%0aSet-Cookie:%20x=1", "2026%0a", "abcd", "20266", "２０２６", "2026.csv", "..%2f..%2fetc"],
)
def test_ranking_csv_refuses_a_cycle_that_is_not_a_year(world: Round, cycle: str) -> None:
    response = world.get(world.admin, f"/review/ranking.csv?cycle={cycle}")

    assert response.status_code == 400
    assert "梯次必須是四位數字的年度，例如 cycle=2026。" in response.get_data(as_text=True)
    assert "Content-Disposition" not in response.headers
    assert "Set-Cookie" not in response.headers or "x=1" not in response.headers["Set-Cookie"]


@pytest.mark.parametrize(
    ("name", "header"),
    [
        ("ranking-2026.csv", "attachment; filename=\"ranking-2026.csv\"; filename*=UTF-8''ranking-2026.csv"),
        (
            "評分排序 2026.csv",
            "attachment; filename=\"_____2026.csv\"; filename*=UTF-8''%E8%A9%95%E5%88%86%E6%8E%92%E5%BA%8F%202026.csv",
        ),
        (
            'a"b\r\nSet-Cookie: x=1.csv',
            "attachment; filename=\"a_b__Set-Cookie__x_1.csv\"; filename*=UTF-8''a_b__Set-Cookie%3A%20x%3D1.csv",
        ),
        ("../../etc/passwd", "attachment; filename=\"_.._etc_passwd\"; filename*=UTF-8''_.._etc_passwd"),
        ("\r\n", "attachment; filename=\"__\"; filename*=UTF-8''__"),
        ("", "attachment; filename=\"download\"; filename*=UTF-8''download"),
    ],
)
def test_attachment_header_is_one_quoted_line(name: str, header: str) -> None:
    assert attachment(name) == header
    assert "\r" not in header and "\n" not in header
