"""The showcase's open data beyond cases.csv (one CSV per list, every public field in
cases.json), the order of the feed and of the latest cases by exact publication time,
and the home page's map (legend, inset captions, county tooltips)."""

from __future__ import annotations

import csv
import dataclasses
import io
import re
import xml.etree.ElementTree as ET
from datetime import date, datetime
from pathlib import Path

from portal.showcase.build import build
from portal.snapshot import TAIWAN, Case, Place, Stakeholder
from tests.test_publish import DECIDED_ON, MEETING, RURAL, expected_case
from tests.test_results import page_case, site, write_cases

FORMULA = '=HYPERLINK("http://x","y")'


def at(day: int, hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, second, tzinfo=TAIWAN)


def rows(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


# --- one CSV per list ---------------------------------------------------------------------


def test_each_list_has_its_csv_keyed_by_slug(tmp_path: Path) -> None:
    case = page_case()
    case = dataclasses.replace(case, stakeholders=(*case.stakeholders, Stakeholder(FORMULA, "社", "-協力", "")))
    client = site(write_cases(tmp_path, case)).test_client()

    kpis, businesses, stakeholders, funding = (
        client.get(f"/data/{name}.csv").get_data(as_text=True)
        for name in ("kpis", "businesses", "stakeholders", "funding")
    )

    slug = "puli-township-7"
    assert rows(kpis) == [
        [
            "slug",
            "kpi",
            "indicator",
            "kind",
            "definition",
            "unit",
            "direction",
            "baseline",
            "baseline_year",
            "baseline_source",
            "target",
            "target_year",
            "yearly_targets",
            "actuals",
        ],
        [
            slug,
            "1",
            "新增工作機會",
            "outcome",
            "全職勞保投保人數",
            "人",
            "increase",
            "0",
            "2025",
            "",
            "45",
            "2028",
            "",
            "2026=18",
        ],
        [
            slug,
            "2",
            "養殖損失率",
            "outcome",
            "年損失比例",
            "%",
            "decrease",
            "18.5",
            "2025",
            "",
            "8",
            "2028",
            "",
            "2026=20;2027=13.25",
        ],
        [
            slug,
            "3",
            "海岸線變化",
            "outcome",
            "相對基準線",
            "公尺",
            "increase",
            "-1000",
            "2025",
            "",
            "2",
            "2028",
            "",
            "2027=-499",
        ],
        [
            slug,
            "4",
            "青年返鄉/移居人數",
            "outcome",
            "設籍人數",
            "人",
            "increase",
            "0",
            "2025",
            "",
            "30",
            "2028",
            "",
            "2027=60",
        ],
        [
            slug,
            "5",
            "觀光旅遊人次",
            "outcome",
            "年遊客數",
            "人次",
            "increase",
            "1000",
            "2025",
            "",
            "5000",
            "2028",
            "",
            "",
        ],
    ]
    assert rows(businesses) == [
        ["slug", "business", "name", "where", "start", "end", "lead", "strategies", "status", "what", "how"],
        [
            slug,
            "1",
            "山城共享加工中心",
            "埔里鎮愛蘭里",
            "2026-03",
            "2027-12",
            "埔里鎮農會",
            "hometown_investment;technology",
            "delayed",
            "整建閒置倉庫為共享加工與冷鏈中心。",
            "農會出資整建並營運。",
        ],
        [
            slug,
            "2",
            "四季慢遊遊程",
            "桃米社區",
            "2026-06",
            "2028-06",
            "山城共好工作室",
            "social_participation",
            "",
            "設計跨鄉鎮的季節遊程。",
            "青年團隊成立社會企業經營。",
        ],
    ]
    assert rows(stakeholders) == [
        ["slug", "stakeholder", "name", "sector", "role", "commitment"],
        [slug, "1", "埔里鎮農會", "產", "加工與通路", "提供倉庫"],
        [slug, "2", "暨南大學", "學", "生態監測", "派駐師生"],
        [slug, "3", "'" + FORMULA, "社", "'-協力", ""],
    ]
    assert rows(funding) == [
        ["slug", "source", "self_liquidating", "year", "amount"],
        [slug, "central", "false", "2026", "8000"],
        [slug, "private", "true", "2027", "6000"],
    ]
    assert funding.endswith("\r\n") and "\r\n" in funding[:-2]


def test_the_csvs_are_built_byte_identical_from_identical_files(tmp_path: Path) -> None:
    folder = write_cases(tmp_path, page_case(), expected_case("puli-township-8", date(2026, 11, 1)))

    build(site(folder), tmp_path / "one")
    build(site(folder), tmp_path / "two")

    names = [
        "cases.csv",
        "cases.json",
        "cases.geojson",
        "kpis.csv",
        "businesses.csv",
        "stakeholders.csv",
        "funding.csv",
    ]
    one = {name: (tmp_path / "one/data" / name).read_bytes() for name in names}
    two = {name: (tmp_path / "two/data" / name).read_bytes() for name in names}
    assert one == two
    assert rows(one["funding.csv"].decode("utf-8"))[1:] == [
        ["puli-township-7", "central", "false", "2026", "8000"],
        ["puli-township-7", "private", "true", "2027", "6000"],
        ["puli-township-8", "central", "false", "2026", "8000"],
        ["puli-township-8", "private", "true", "2027", "6000"],
    ]


def test_cases_json_carries_every_public_field_of_a_case(tmp_path: Path) -> None:
    case = dataclasses.replace(page_case(), published_at=at(2, 9, 15), updated_at=at(2, 9, 15))
    client = site(write_cases(tmp_path, case)).test_client()

    document = client.get("/data/cases.json").get_json()

    record = document["cases"][0]
    assert {key: record[key] for key in ("summary_en", "revision", "published_at", "updated_at")} == {
        "summary_en": "Shared processing and seasonal routes.",
        "revision": 1,
        "published_at": "2026-11-02T09:15:00+08:00",
        "updated_at": "2026-11-02T09:15:00+08:00",
    }
    assert {key: record[key] for key in document["nested"]} == {
        "participating": [{"code": "10008100", "name": "南投縣國姓鄉"}],
        "dna": {
            "summary": "埔里位居臺灣地理中心，水質純淨。",
            "items": {
                "人": ["返鄉青年"],
                "文": ["紹興酒與手工紙", "𥕢仔地名"],
                "地": ["盆地"],
                "產": [],
                "景": ["桃米生態村"],
            },
        },
        "stakeholders": [
            {"name": "埔里鎮農會", "sector": "產", "role": "加工與通路", "commitment": "提供倉庫"},
            {"name": "暨南大學", "sector": "學", "role": "生態監測", "commitment": "派駐師生"},
        ],
        "consensus": {
            "events": [
                {"date": "2025-06-21", "kind": "說明會", "participants": 80, "outcome": "確認提案方向"},
                {"date": "2025-08-09", "kind": "工作坊", "participants": 45, "outcome": "產出遊程草案"},
            ],
            "vision": "青年留得下、遊客慢下來、農產賣得好。",
        },
        "businesses_summary": "加工、遊程到品牌的完整價值鏈。",
        "businesses": [
            {
                "name": "山城共享加工中心",
                "where": "埔里鎮愛蘭里",
                "start": "2026-03",
                "end": "2027-12",
                "lead": "埔里鎮農會",
                "strategies": ["hometown_investment", "technology"],
                "what": "整建閒置倉庫為共享加工與冷鏈中心。",
                "how": "農會出資整建並營運。",
                "status": "delayed",
            },
            {
                "name": "四季慢遊遊程",
                "where": "桃米社區",
                "start": "2026-06",
                "end": "2028-06",
                "lead": "山城共好工作室",
                "strategies": ["social_participation"],
                "what": "設計跨鄉鎮的季節遊程。",
                "how": "青年團隊成立社會企業經營。",
                "status": None,
            },
        ],
        "resources": {
            "by_source": {"central": 8000, "private": 6000},
            "by_year": [{"year": 2026, "amount": 8000}, {"year": 2027, "amount": 6000}],
            "grid": [
                {"source": "central", "self_liquidating": False, "year": 2026, "amount": 8000},
                {"source": "private", "self_liquidating": True, "year": 2027, "amount": 6000},
            ],
        },
        "support": [{"kind": "法規調適", "description": "倉庫變更為食品加工使用。"}],
        "matched": [{"ministry": RURAL[0], "programme": RURAL[1], "amount": 8000, "year": 2026}],
        "kpis": [
            {
                "indicator": k.indicator,
                "kind": "outcome",
                "definition": k.definition,
                "unit": k.unit,
                "baseline": k.baseline,
                "baseline_year": 2025,
                "baseline_source": "",
                "target": k.target,
                "target_year": 2028,
                "direction": k.direction,
                "yearly": [],
                "actuals": [{"year": a.year, "value": a.value} for a in k.actuals],
            }
            for k in case.kpis
        ],
        "benefits": ["凝聚社區認同"],
        "closing_lessons": "先找到營運主體。\n再談硬體。",
    }
    assert (record["decision_meeting"], record["decision_date"]) == (MEETING, DECIDED_ON.isoformat())


def test_data_page_lists_every_file_with_a_dictionary_of_its_columns(tmp_path: Path) -> None:
    client = site(write_cases(tmp_path, page_case())).test_client()

    page = client.get("/data/").get_data(as_text=True)

    def described(table: str) -> list[str]:
        body = page.split(f'id="fields-{table}"', 1)[1].split("</table>", 1)[0]
        return [name.replace("_<wbr>", "_") for name in re.findall(r"<tr><td><code>(.*?)</code></td>", body)]

    for name in ("kpis", "businesses", "stakeholders", "funding"):
        assert described(name) == rows(client.get(f"/data/{name}.csv").get_data(as_text=True))[0], name
        assert f'href="/data/{name}.csv"' in page
    document = client.get("/data/cases.json").get_json()
    assert described("cases") == rows(client.get("/data/cases.csv").get_data(as_text=True))[0]
    assert described("cases") + described("nested") == list(document["cases"][0])


def test_english_data_page_describes_each_list_in_english(tmp_path: Path) -> None:
    client = site(write_cases(tmp_path, page_case())).test_client()

    page = client.get("/en/data/").get_data(as_text=True)

    headings = re.findall(r'<h3 id="dictionary-[a-z]+">([^<]*)</h3>', page)
    assert headings == [
        "Fields of cases.csv, cases.json and cases.geojson alike",
        "Fields only in cases.json and cases.geojson",
        "kpis.csv: Key performance indicators (KPIs)",
        "businesses.csv: Businesses",
        "stakeholders.csv: Stakeholders",
        "funding.csv: Funding table",
    ]
    sector = page.split('id="fields-stakeholders"', 1)[1].split("<td><code>sector</code></td><td>", 1)[1]
    zh = '<span lang="zh-Hant-TW">'
    assert sector.split("</td>", 1)[0] == (
        f"Sector: {zh}產</span> (industry), {zh}官</span> (government), {zh}學</span> (academia), "
        f"{zh}研</span> (research), {zh}社</span> (community), {zh}金</span> (finance)"
    )
    assert (
        "<td><code>self_<wbr>liquidating</code></td><td>Self-liquidating (paid back from income): true or false</td>"
        in page
    )


# --- order by the exact publication time ----------------------------------------------------------


def timed(slug: str, published: datetime | None, updated: datetime | None, day: date) -> Case:
    case = expected_case(slug, day, (updated or published or datetime.combine(day, datetime.min.time())).date())
    return dataclasses.replace(case, published_at=published, updated_at=updated)


FEED_CASES = (
    timed("puli-township-7", at(2, 9, 15), at(2, 9, 15), date(2026, 11, 2)),
    timed("puli-township-8", at(2, 16, 40, 5), at(2, 16, 40, 5), date(2026, 11, 2)),
    # Written before times were recorded: its day at 00:00.
    timed("puli-township-9", None, None, date(2026, 11, 2)),
    # First published late the day before, published again the day after.
    timed("puli-township-6", at(1, 23, 59, 59), at(3, 8, 0), date(2026, 11, 1)),
)


def test_feed_orders_by_the_last_publication_time_and_gives_the_times(tmp_path: Path) -> None:
    client = site(write_cases(tmp_path, *FEED_CASES)).test_client()

    feed = ET.fromstring(client.get("/feed.xml").get_data())

    atom = "{http://www.w3.org/2005/Atom}"
    entries = [
        (
            (e.findtext(f"{atom}id") or "").rsplit("/", 2)[1],
            e.findtext(f"{atom}published"),
            e.findtext(f"{atom}updated"),
        )
        for e in feed.iter(f"{atom}entry")
    ]
    assert entries == [
        ("puli-township-6", "2026-11-01T23:59:59+08:00", "2026-11-03T08:00:00+08:00"),
        ("puli-township-8", "2026-11-02T16:40:05+08:00", "2026-11-02T16:40:05+08:00"),
        ("puli-township-7", "2026-11-02T09:15:00+08:00", "2026-11-02T09:15:00+08:00"),
        ("puli-township-9", "2026-11-02T00:00:00+08:00", "2026-11-02T00:00:00+08:00"),
    ]
    assert feed.findtext(f"{atom}updated") == "2026-11-03T08:00:00+08:00"


def test_latest_cases_and_listings_order_by_the_first_publication_time(tmp_path: Path) -> None:
    client = site(write_cases(tmp_path, *FEED_CASES)).test_client()

    home = client.get("/").get_data(as_text=True)
    listing = client.get("/cases/").get_data(as_text=True)

    latest = home.split('id="latest-heading"', 1)[1]
    expected = ["puli-township-8", "puli-township-7", "puli-township-9", "puli-township-6"]
    assert re.findall(r'<h3><a href="/cases/([^/]+)/">', latest) == expected
    assert re.findall(r'<a href="/cases/([^/]+)/">', listing.split("<main", 1)[1]) == expected


# --- the map ----------------------------------------------------------------------------------

SVG = "{http://www.w3.org/2000/svg}"


def wangan(slug: str) -> Case:
    return dataclasses.replace(
        expected_case(slug, date(2026, 11, 2)),
        township=Place("10016050", "望安鄉", "Wang'an Township"),
        county=Place("10016", "澎湖縣", "Penghu County"),
        region="澎金馬",
    )


def home_map(tmp_path: Path, path: str) -> ET.Element:
    cases = [expected_case("puli-township-7", date(2026, 11, 2)), expected_case("puli-township-8", date(2026, 11, 2))]
    client = site(write_cases(tmp_path, *cases, wangan("wangan-1"))).test_client()
    html = client.get(path).get_data(as_text=True)
    match = re.search(r"<svg .*?</svg>", html, re.S)
    assert match is not None
    return ET.fromstring(match.group(0))


def test_map_names_every_county_in_its_tooltip_with_its_count_and_has_a_legend(tmp_path: Path) -> None:
    svg = home_map(tmp_path, "/")

    counties = {
        p.get("data-code"): (p.findtext(f"{SVG}title"), p.get("class"))
        for p in svg.iter(f"{SVG}path")
        if "map-county" in (p.get("class") or "")
    }
    assert len(counties) == 22
    assert [title for title, _ in counties.values() if re.search(r"\d{5}", title or "")] == []
    assert {code: counties[code] for code in ("10008", "10016", "09007", "09020")} == {
        "10008": ("南投縣：2 件案例", "map-county has-cases many"),
        "10016": ("澎湖縣：1 件案例", "map-county has-cases"),
        "09007": ("連江縣：尚無案例", "map-county"),
        "09020": ("金門縣：尚無案例", "map-county"),
    }
    assert [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "map-inset-label"] == ["馬祖", "金門"]
    legend = svg.find(f"{SVG}g[@class='map-legend']")
    assert legend is not None
    assert [t.text for t in legend.iter(f"{SVG}text")] == [
        "1 件案例的縣市：1",
        "2 件以上案例的縣市：1",
        "尚無案例的縣市：20",
        "案例（主提案鄉鎮市區）：3",
    ]
    assert [(s.tag.removeprefix(SVG), s.get("class")) for s in legend if s.tag != f"{SVG}text"] == [
        ("rect", "map-county has-cases"),
        ("rect", "map-county has-cases many"),
        ("rect", "map-county no-cases"),
        ("circle", "map-marker"),
    ]
    markers = [a.findtext(f"{SVG}title") for a in svg.iter(f"{SVG}a")]
    assert sorted(markers) == ["南投縣埔里鎮：埔里生態城鄉共好計畫"] * 2 + ["澎湖縣望安鄉：埔里生態城鄉共好計畫"]


def test_english_map_speaks_english(tmp_path: Path) -> None:
    svg = home_map(tmp_path, "/en/")

    titles = {p.get("data-code"): p.findtext(f"{SVG}title") for p in svg.iter(f"{SVG}path")}
    assert (titles["10008"], titles["10016"], titles["09007"]) == (
        "Nantou County: 2 cases",
        "Penghu County: 1 case",
        "Lienchiang County: no cases yet",
    )
    assert [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "map-inset-label"] == ["Matsu", "Kinmen"]
    legend = svg.find(f"{SVG}g[@class='map-legend']")
    assert legend is not None
    assert [t.text for t in legend.iter(f"{SVG}text")] == [
        "Counties with 1 case: 1",
        "Counties with 2 or more: 1",
        "Counties with none yet: 20",
        "Cases (at the lead township): 3",
    ]
    assert re.findall(r"[\u3400-\u9fff]", "".join(svg.itertext())) == []


def test_amounts_on_the_case_page_stay_on_one_line(tmp_path: Path) -> None:
    client = site(write_cases(tmp_path, page_case())).test_client()

    page = client.get("/cases/puli-township-7/").get_data(as_text=True)

    amounts = re.findall(r'<data class="amount" value="(\d+)">([^<]+)</data>', page)
    assert amounts == [("14000", "14,000 千元"), ("8000", "8,000"), ("6000", "6,000"), ("8000", "8,000 千元")]
