"""The showcase app and its atomic, incremental freeze (site pages so far)."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from flask import Flask

from portal import db, snapshot
from portal.config import PROJECT_ROOT
from portal.demo import demo_cases as demo_data
from portal.showcase import create_showcase_app
from portal.showcase.build import BuildSummary, build
from portal.showcase.cases import load_priority
from portal.showcase.content import ContentError, load_page
from portal.snapshot import SnapshotError
from tests.conftest import TemplateDatabase, make_app, versioned

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@pytest.fixture
def content(tmp_path: Path) -> Path:
    folder = tmp_path / "content"
    shutil.copytree(PROJECT_ROOT / "content", folder)
    return folder


def showcase(tmp_path: Path, content: Path) -> Flask:
    return create_showcase_app(
        {"CONTENT_DIR": str(content), "PROPOSALS_DIR": str(tmp_path / "proposals"), "SITE_URL": "https://site.test/"}
    )


def files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_build_writes_every_site_page_in_both_languages(tmp_path: Path, content: Path) -> None:
    destination = tmp_path / "build"

    summary = build(showcase(tmp_path, content), destination)

    pages = sorted(str(p.relative_to(destination)) for p in destination.rglob("index.html"))
    assert pages == [
        "about/index.html",
        "browse/index.html",
        "cases/index.html",
        "data/index.html",
        "en/about/index.html",
        "en/browse/index.html",
        "en/cases/index.html",
        "en/data/index.html",
        "en/faq/index.html",
        "en/how-to-propose/index.html",
        "en/index.html",
        "en/search/index.html",
        "en/statistics/index.html",
        "faq/index.html",
        "how-to-propose/index.html",
        "index.html",
        "search/index.html",
        "statistics/index.html",
    ]
    # The portal's form scripts and styles stay out of the site.
    assert sorted(str(p.relative_to(destination)) for p in (destination / "static").rglob("*") if p.is_file()) == [
        "static/css/portal.css",
        "static/favicon.svg",
        "static/fonts/rare.css",
        "static/js/portal.js",
        "static/js/search.js",
    ]
    # 18 pages, 404.html, sitemap, robots, feed, 7 open-data files (cases.json, cases.csv,
    # cases.geojson and one CSV per list) and the 5 static files (the rare-character style
    # sheet is empty: no case, no rare character).
    assert (summary.written, summary.unchanged, summary.removed) == (34, 0, 0)
    faq = (destination / "faq/index.html").read_text("utf-8")
    assert "<title>常見問題 － 地方創生成果展示</title>" in faq
    assert "<h2>誰可以提案？</h2>" in faq
    english = (destination / "en/faq/index.html").read_text("utf-8")
    assert "<h1>Frequently asked questions</h1>" in english
    assert "This page is available in Chinese only." in english


def test_build_links_are_relative_so_the_site_works_under_a_sub_path(tmp_path: Path, content: Path) -> None:
    destination = tmp_path / "build"

    build(showcase(tmp_path, content), destination)

    page = (destination / "en/faq/index.html").read_text("utf-8")
    assert f'href="../../static/{versioned("css/portal.css")}"' in page
    assert 'href="/' not in page


def test_sitemap_and_robots(tmp_path: Path, content: Path) -> None:
    destination = tmp_path / "build"

    build(showcase(tmp_path, content), destination)

    urls = [loc.text for loc in ET.parse(destination / "sitemap.xml").getroot().iter(f"{SITEMAP}loc")]
    assert urls == [
        "https://site.test/",
        "https://site.test/en/",
        "https://site.test/cases/",
        "https://site.test/en/cases/",
        "https://site.test/browse/",
        "https://site.test/en/browse/",
        "https://site.test/statistics/",
        "https://site.test/en/statistics/",
        "https://site.test/search/",
        "https://site.test/en/search/",
        "https://site.test/data/",
        "https://site.test/en/data/",
        "https://site.test/about/",
        "https://site.test/how-to-propose/",
        "https://site.test/faq/",
        "https://site.test/en/about/",
        "https://site.test/en/how-to-propose/",
        "https://site.test/en/faq/",
    ]
    assert (destination / "robots.txt").read_text() == (
        "User-agent: *\nAllow: /\nSitemap: https://site.test/sitemap.xml\n"
    )
    assert "找不到這個頁面" in (destination / "404.html").read_text("utf-8")


def test_second_build_rewrites_nothing_and_one_changed_page_rewrites_only_it(tmp_path: Path, content: Path) -> None:
    destination = tmp_path / "build"
    build(showcase(tmp_path, content), destination)

    again = build(showcase(tmp_path, content), destination)
    faq = content / "faq.md"
    faq.write_text(faq.read_text("utf-8") + "\n## 新問題\n\n新的回答。\n", "utf-8")
    changed = build(showcase(tmp_path, content), destination)

    assert (again.written, again.unchanged, again.removed) == (0, 34, 0)
    assert (changed.written, changed.unchanged, changed.removed) == (2, 32, 0)
    assert "新的回答。" in (destination / "faq/index.html").read_text("utf-8")


def test_removed_page_is_removed_from_the_build(tmp_path: Path, content: Path) -> None:
    destination = tmp_path / "build"
    build(showcase(tmp_path, content), destination)
    (content / "faq.md").unlink()

    summary = build(showcase(tmp_path, content), destination)

    assert summary.removed == 2
    assert not (destination / "faq").exists()


def test_failing_page_leaves_the_previous_build_untouched(tmp_path: Path, content: Path) -> None:
    destination = tmp_path / "build"
    build(showcase(tmp_path, content), destination)
    before = files(destination)
    app = showcase(tmp_path, content)

    @app.route("/broken/")
    def broken() -> str:
        raise RuntimeError("樣板壞了")

    with pytest.raises(RuntimeError, match="樣板壞了"):
        build(app, destination)

    assert files(destination) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".build-")] == []


def test_bad_content_page_stops_the_app_naming_the_file(tmp_path: Path, content: Path) -> None:
    (content / "faq.md").write_text("---\ntitle: 問答\n---\n\n<script>alert(1)</script>\n", "utf-8")

    with pytest.raises(ContentError) as caught:
        showcase(tmp_path, content)

    assert str(caught.value) == f"{content / 'faq.md'}：內容含有 HTML 標籤，網站頁面只能使用 Markdown"


@pytest.mark.parametrize(
    ("name", "source", "message"),
    [
        ("x.md", "沒有 front matter", "開頭必須是以 --- 包住的 front matter（title、order）"),
        ("x.md", "---\norder: 1\n---\n內容", "缺少欄位「title」"),
        ("x.md", "---\ntitle: 標題\norder: 第一\n---\n內容", "欄位「order」必須是整數"),
        ("x.md", "---\ntitle: 標題\nauthor: 某人\n---\n內容", "不認得的欄位「author」"),
        ("x.md", "---\ntitle: [未閉合\n---\n內容", "front matter 不是正確的 YAML"),
        ("X Page.md", "---\ntitle: 標題\n---\n內容", "檔名只能用小寫英文字母、數字與連字號"),
    ],
)
def test_load_page_refuses_bad_pages(tmp_path: Path, name: str, source: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(source, "utf-8")

    with pytest.raises(ContentError) as caught:
        load_page(path)

    assert str(caught.value).startswith(f"{path}：{message}")


def test_load_page_refuses_non_utf8(tmp_path: Path) -> None:
    path = tmp_path / "big5.md"
    path.write_bytes("---\ntitle: 標題\n---\n".encode("big5"))

    with pytest.raises(ContentError) as caught:
        load_page(path)

    assert str(caught.value) == f"{path}：不是 UTF-8 編碼"


def test_summary_text() -> None:
    assert BuildSummary(written=3, unchanged=10, removed=1, seconds=1.25).text == (
        "完成：寫入 3 個檔案，未變動 10 個，移除 1 個，耗時 1.2 秒。"
    )


def test_freeze_command_builds_into_build_dir_and_reports(app: Flask, tmp_path: Path) -> None:
    shutil.copytree(PROJECT_ROOT / "content", tmp_path / "content", dirs_exist_ok=True)

    result = app.test_cli_runner().invoke(args=["freeze", "--quiet"])

    build_dir = tmp_path / "build"
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].startswith("完成：寫入 ")
    assert (build_dir / "index.html").is_file() and (build_dir / "faq/index.html").is_file()


def test_freeze_command_refuses_bad_content_and_keeps_build(app: Flask, tmp_path: Path) -> None:
    content = tmp_path / "content"
    content.mkdir(exist_ok=True)
    (content / "bad.md").write_text("---\ntitle: x\n---\n<iframe src=x>\n", "utf-8")
    (tmp_path / "build").mkdir(exist_ok=True)
    (tmp_path / "build" / "index.html").write_text("舊網站", "utf-8")

    result = app.test_cli_runner().invoke(args=["freeze"])

    assert result.exit_code == 1
    assert result.output.strip() == (
        f"錯誤：{content / 'bad.md'}：內容含有 HTML 標籤，網站頁面只能使用 Markdown；build/ 未變動。"
    )
    assert (tmp_path / "build" / "index.html").read_text("utf-8") == "舊網站"


# --- cases --------------------------------------------------------------------------------------

CHISHANG_STRATEGIES = ["brand", "hometown_investment", "ministry_resources", "social_participation", "technology"]
PRIVATE = ["王○○", "@example.org", "陳委員", "黃委員", "張委員", "（內部）", "建議補充營運收支"]


@pytest.fixture(scope="module")
def demo_cases(tmp_path_factory: pytest.TempPathFactory, template_db: TemplateDatabase) -> Path:
    """The demo's published cases, written once by the real publish step."""
    folder = tmp_path_factory.mktemp("demo")
    template_db.copy_to(folder)
    app = make_app(folder)
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    db.database(app).engine.dispose()
    return folder / "proposals"


@pytest.fixture
def published(demo_cases: Path, tmp_path: Path) -> Path:
    """A copy of the demo's case files for one test to build (and change)."""
    return Path(shutil.copytree(demo_cases, tmp_path / "proposals", copy_function=shutil.copy2))


def test_demo_cases_build_into_case_pages_with_every_section(published: Path, tmp_path: Path, content: Path) -> None:
    destination = tmp_path / "site"

    build(showcase(tmp_path, content), destination)

    slugs = sorted(p.stem for p in published.glob("*/*.md"))
    assert slugs == sorted(case["slug"] for case in demo_data() if case["stage"] == "published")
    assert len(slugs) == 16
    for slug in slugs:
        page = (destination / "cases" / slug / "index.html").read_text("utf-8")
        headings = [
            h
            for h in [
                "1. 我的DNA",
                "2. 利害關係人",
                "3. 形成共識願景過程",
                "4. 創生事業構想",
                "5. 資源需求與協助",
                "6. KPI",
            ]
            if f"<h2>{h}</h2>" in page
        ]
        assert len(headings) == 6, slug
        assert (destination / "en" / "cases" / slug / "index.html").is_file()


def test_no_private_field_reaches_any_built_file(published: Path, tmp_path: Path, content: Path) -> None:
    destination = tmp_path / "site"

    build(showcase(tmp_path, content), destination)

    leaks = {
        (str(path.relative_to(destination)), secret)
        for path in destination.rglob("*")
        if path.is_file() and path.suffix in {".html", ".xml", ".txt"}
        for secret in PRIVATE
        if secret in path.read_text("utf-8")
    }
    assert leaks == set()


def test_county_pages_list_their_cases(published: Path, tmp_path: Path, content: Path) -> None:
    destination = tmp_path / "site"

    build(showcase(tmp_path, content), destination)

    penghu = (destination / "county" / "10016" / "index.html").read_text("utf-8")
    taitung = (destination / "county" / "10014" / "index.html").read_text("utf-8")
    assert ("望安綠蠵龜之島" in penghu, "池上米鄉共好" in penghu) == (True, False)
    assert ("望安綠蠵龜之島" in taitung, "池上米鄉共好" in taitung) == (False, True)


def test_republishing_one_case_rewrites_only_its_pages_and_listings(
    published: Path, tmp_path: Path, content: Path
) -> None:
    destination = tmp_path / "site"
    build(showcase(tmp_path, content), destination)
    before = files(destination)
    case_file = next(published.glob("*/chishang-rice-2026.md"))
    case_file.write_text(
        case_file.read_text("utf-8").replace("theme: 有機稻作與藝文觀光", "theme: 有機稻作與稻田藝術"), "utf-8"
    )

    summary = build(showcase(tmp_path, content), destination)

    after = files(destination)
    rewritten = {name for name, data in after.items() if before.get(name) != data}
    # The search index is made again too (its files are named by content hashes).
    index = {name for name in rewritten if name.startswith("pagefind/")}
    changed = sorted(rewritten - index)
    # The case itself, and every listing it appears on; the other cases' pages stay as they
    # were, and so does the home page, whose six newest cases 池上 is not among.
    assert changed == [
        "cases/chishang-rice-2026/index.html",
        "cases/index.html",
        "county/10014/index.html",
        "data/cases.csv",
        "data/cases.geojson",
        "data/cases.json",
        "en/cases/chishang-rice-2026/index.html",
        "en/cases/index.html",
        "en/county/10014/index.html",
        "en/region/hualien-taitung/index.html",
        *(f"en/strategy/{code}/index.html" for code in CHISHANG_STRATEGIES),
        "en/type/township/index.html",
        "en/year/2026/index.html",
        "feed.xml",
        "region/hualien-taitung/index.html",
        *(f"strategy/{code}/index.html" for code in CHISHANG_STRATEGIES),
        "type/township/index.html",
        "year/2026/index.html",
    ]
    assert summary.written == len(rewritten)
    assert index and (destination / "pagefind" / "pagefind.js").is_file()


def test_bad_case_file_fails_the_build_naming_it_and_keeps_the_site(
    published: Path, tmp_path: Path, content: Path
) -> None:
    destination = tmp_path / "site"
    build(showcase(tmp_path, content), destination)
    before = files(destination)
    case_file = next(published.glob("*/wangan-turtle-island-2026.md"))
    case_file.write_text(case_file.read_text("utf-8").replace("code: '10016050'", "code: '99999050'"), "utf-8")

    with pytest.raises(ValueError) as caught:
        build(showcase(tmp_path, content), destination)

    assert str(case_file) in str(caught.value)
    assert files(destination) == before


def test_facet_pages_and_browse_page(published: Path, tmp_path: Path, content: Path) -> None:
    destination = tmp_path / "site"

    build(showcase(tmp_path, content), destination)

    def listed(path: str) -> tuple[bool, bool]:
        page = (destination / path / "index.html").read_text("utf-8")
        return ("望安綠蠵龜之島" in page, "池上米鄉共好" in page)

    assert {
        path: listed(path)
        for path in ["region/islands", "region/hualien-taitung", "type/township", "year/2026", "strategy/brand"]
    } == {
        "region/islands": (True, False),
        "region/hualien-taitung": (False, True),
        "type/township": (True, True),
        "year/2026": (True, True),
        "strategy/brand": (True, True),
    }
    browse = (destination / "browse/index.html").read_text("utf-8")
    assert 'href="../region/islands/index.html">澎金馬</a>（3）' in browse  # 望安, 烈嶼 and 東引


def test_open_data_json_and_csv_agree(published: Path, tmp_path: Path, content: Path) -> None:
    destination = tmp_path / "site"

    build(showcase(tmp_path, content), destination)

    raw = (destination / "data/cases.csv").read_bytes()
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    document = json.loads((destination / "data/cases.json").read_text("utf-8"))
    assert raw.startswith("\ufeff".encode())
    assert [r["slug"] for r in rows] == [c["slug"] for c in document["cases"]]
    flat = [{k: c[k] for k in document["fields"]} for c in document["cases"]]
    assert rows == [{k: "" if v is None else str(v) for k, v in c.items()} for c in flat]
    assert [list(c)[len(document["fields"]) :] for c in document["cases"]] == [document["nested"]] * len(rows)
    assert list(rows[0]) == document["fields"]
    wangan = next(c for c in document["cases"] if c["slug"] == "wangan-turtle-island-2026")
    assert (wangan["township_code"], wangan["county"], wangan["region"], wangan["type"]) == (
        "10016050",
        "澎湖縣",
        "澎金馬",
        "township",
    )
    geo = json.loads((destination / "data/cases.geojson").read_text("utf-8"))
    assert geo["type"] == "FeatureCollection"
    assert [f["properties"] for f in geo["features"]] == document["cases"]
    assert [f["id"] for f in geo["features"]] == [c["slug"] for c in document["cases"]]
    points = {f["id"]: f["geometry"] for f in geo["features"]}
    # 望安鄉 lies near 119.50 E, 23.36 N; 池上鄉 near 121.22 E, 23.10 N.
    assert points["wangan-turtle-island-2026"]["type"] == "Point"
    assert points["wangan-turtle-island-2026"]["coordinates"] == pytest.approx([119.50, 23.36], abs=0.05)
    assert points["chishang-rice-2026"]["coordinates"] == pytest.approx([121.22, 23.10], abs=0.05)
    dictionary = (destination / "data/index.html").read_text("utf-8").replace("_<wbr>", "_")
    assert all(f"<code>{name}</code>" in dictionary for name in document["fields"] + document["nested"])


def csv_rows(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def test_open_data_has_one_csv_per_list_of_the_demo_cases(published: Path, tmp_path: Path, content: Path) -> None:
    destination = tmp_path / "site"

    build(showcase(tmp_path, content), destination)

    cases = [snapshot.load(path) for path in published.glob("*/*.md")]
    kpis, businesses, stakeholders, funding = (
        csv_rows(destination / "data" / f"{name}.csv") for name in ("kpis", "businesses", "stakeholders", "funding")
    )
    assert kpis[0] == [
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
    ]
    wangan = "wangan-turtle-island-2026"
    assert [row for row in kpis if row[:2] in ([wangan, "1"], [wangan, "5"])] == [
        [
            wangan,
            "1",
            "觀光旅遊人次",
            "outcome",
            "全年入島旅客人次（交通船統計）",
            "人次",
            "increase",
            "42000",
            "2025",
            "交通船售票統計",
            "55000",
            "2028",
            "2026=45000;2027=50000",
            "",
        ],
        [
            wangan,
            "5",
            "人口社會增加",
            "outcome",
            "全鄉年遷入減遷出人數",
            "人",
            "increase",
            "-85",
            "2024",
            "戶政遷入遷出統計",
            "0",
            "2028",
            "2026=-60;2027=-30",
            "",
        ],
    ]
    assert businesses[0] == [
        "slug",
        "business",
        "name",
        "where",
        "start",
        "end",
        "lead",
        "strategies",
        "status",
        "what",
        "how",
    ]
    assert [row for row in businesses if row[:2] == [wangan, "2"]] == [
        [
            wangan,
            "2",
            "觀龜守夜保育遊程",
            "網垵口沙灘與天台山",
            "2026-05",
            "2028-10",
            "望安海洋保育志工隊與青年團隊",
            "technology;social_participation",
            "",
            "產卵季推出限量夜間保育導覽，遊客須先完成線上行前課程；淡季轉型為潮間帶與星空導覽。",
            "以線上預約系統控管每晚上限40人，導覽收入提撥一成作為保育監測經費。",
        ]
    ]
    assert stakeholders[0] == ["slug", "stakeholder", "name", "sector", "role", "commitment"]
    assert [row for row in stakeholders if row[:2] == [wangan, "1"]] == [
        [wangan, "1", "中社村社區發展協會", "社", "古厝管理與聚落導覽", "協調屋主以長期租約出借8棟古厝"]
    ]
    assert funding[0] == ["slug", "source", "self_liquidating", "year", "amount"]
    assert [row for row in funding if row[0] == wangan] == [
        [wangan, "central", "false", "2026", "8600"],
        [wangan, "central", "false", "2027", "1000"],
        [wangan, "township", "false", "2026", "600"],
        [wangan, "private", "false", "2026", "4200"],
        [wangan, "private", "false", "2027", "1500"],
    ]
    # Every item of every case, each once, in the order of cases.csv.
    order = [row[0] for row in csv_rows(destination / "data" / "cases.csv")[1:]]
    by_slug = {case.slug: case for case in cases}
    assert [row[:2] for row in kpis[1:]] == [
        [slug, str(n)] for slug in order for n in range(1, len(by_slug[slug].kpis) + 1)
    ]
    assert [row[:2] for row in businesses[1:]] == [
        [slug, str(n)] for slug in order for n in range(1, len(by_slug[slug].businesses) + 1)
    ]
    assert [row[:2] for row in stakeholders[1:]] == [
        [slug, str(n)] for slug in order for n in range(1, len(by_slug[slug].stakeholders) + 1)
    ]
    assert sorted(int(row[4]) for row in funding[1:]) == sorted(
        amount for slug in order for amount in (by_slug[slug].resources.grid or {}).values()
    )


def test_data_dictionary_lists_every_column_of_every_file(published: Path, tmp_path: Path, content: Path) -> None:
    destination = tmp_path / "site"

    build(showcase(tmp_path, content), destination)

    page = (destination / "data/index.html").read_text("utf-8")

    def described(table: str) -> list[str]:
        body = page.split(f'id="fields-{table}"', 1)[1].split("</table>", 1)[0]
        return [name.replace("_<wbr>", "_") for name in re.findall(r"<tr><td><code>(.*?)</code></td>", body)]

    files = sorted(p.name for p in (destination / "data").iterdir() if p.suffix == ".csv")
    assert files == ["businesses.csv", "cases.csv", "funding.csv", "kpis.csv", "stakeholders.csv"]
    assert {name: described(name.removesuffix(".csv")) for name in files} == {
        name: csv_rows(destination / "data" / name)[0] for name in files
    }
    document = json.loads((destination / "data/cases.json").read_text("utf-8"))
    assert (document["fields"], document["nested"]) == (described("cases"), described("nested"))
    assert {tuple(case) for case in document["cases"]} == {tuple(described("cases") + described("nested"))}
    assert [f'href="{name}"' in page for name in files] == [True] * len(files)


def test_feed_sitemap_and_open_data_agree(published: Path, tmp_path: Path, content: Path) -> None:
    destination = tmp_path / "site"

    build(showcase(tmp_path, content), destination)

    atom = "{http://www.w3.org/2005/Atom}"
    feed = ET.parse(destination / "feed.xml").getroot()
    entry_ids = sorted(e.findtext(f"{atom}id") or "" for e in feed.iter(f"{atom}entry"))
    sitemap = {loc.text for loc in ET.parse(destination / "sitemap.xml").getroot().iter(f"{SITEMAP}loc")}
    slugs = sorted(c["slug"] for c in json.loads((destination / "data/cases.json").read_text("utf-8"))["cases"])
    assert entry_ids == [f"https://site.test/cases/{slug}/" for slug in slugs]
    assert set(entry_ids) <= sitemap


# --- statistics -----------------------------------------------------------------------------------


def table_rows(html: str, heading_id: str) -> list[tuple[str, ...]]:
    """The rows of the table in the section labelled `heading_id`, as cell texts."""
    section = html.split(f'aria-labelledby="{heading_id}"', 1)[1].split("</section>", 1)[0]
    return [
        tuple(re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row))
        for row in re.findall(r"<tr>(.*?)</tr>", section.split("<tbody>", 1)[1].split("</tbody>", 1)[0])
    ]


def test_statistics_page_charts_agree_with_the_cases(published: Path, tmp_path: Path, content: Path) -> None:
    destination = tmp_path / "site"

    build(showcase(tmp_path, content), destination)

    html = (destination / "statistics/index.html").read_text("utf-8")
    document = json.loads((destination / "data/cases.json").read_text("utf-8"))
    assert table_rows(html, "by-region-heading") == [
        ("北北基宜", "2"),
        ("桃竹苗", "2"),
        ("中彰投", "2"),
        ("雲嘉南", "2"),
        ("高高屏", "2"),
        ("花東", "3"),
        ("澎金馬", "3"),
    ]
    assert table_rows(html, "by-type-heading") == [("鄉鎮單元", "13"), ("區域型", "2"), ("主題型", "1")]
    assert table_rows(html, "by-year-heading") == [("2024", "4"), ("2025", "5"), ("2026", "7")]
    assert table_rows(html, "by-strategy-heading") == [
        ("企業投資故鄉", "15"),
        ("科技導入", "13"),
        ("整合部會創生資源", "12"),
        ("社會參與創生", "16"),
        ("品牌建立", "16"),
    ]
    funding = table_rows(html, "funding-heading")
    assert funding == [
        ("中央部會計畫", "120,720"),
        ("縣市政府", "9,700"),
        ("鄉鎮市區公所", "4,700"),
        ("花東基金", "4,500"),
        ("民間投資", "60,400"),
    ]
    assert sum(int(v.replace(",", "")) for _, v in funding) == sum(c["budget_total"] for c in document["cases"])
    matched = table_rows(html, "matched-heading")
    assert sum(int(v.replace(",", "")) for _, v in matched) == sum(c["matched_total"] for c in document["cases"])
    assert '<svg class="chart" id="by-region" viewBox=' in html
    # No priority list was loaded: no coverage section.
    assert "coverage-heading" not in html
    english = (destination / "en/statistics/index.html").read_text("utf-8")
    assert '<h2 id="funding-heading">Funding asked for, by source (NT$ thousand)</h2>' in english


def test_statistics_show_priority_area_coverage_when_the_list_is_loaded(
    published: Path, tmp_path: Path, content: Path
) -> None:
    # 池上 (a case), 望安 (a case) and 達仁 (no case); 埔里 is an intermediate town without a case.
    (published / "priority-areas.csv").write_text(
        "code,kind\n10014060,農山漁村\n10016050,農山漁村\n10014150,原鄉\n10008020,中介城鎮\n", "utf-8"
    )
    destination = tmp_path / "site"

    build(showcase(tmp_path, content), destination)

    html = (destination / "statistics/index.html").read_text("utf-8")
    assert table_rows(html, "coverage-heading") == [
        ("農山漁村", "2", "2", "100.0%"),
        ("中介城鎮", "1", "0", "0.0%"),
        ("原鄉", "1", "0", "0.0%"),
    ]
    assert re.search(
        r"<tfoot>.*<th scope=\"row\">合計</th><td class=\"num\">4</td><td class=\"num\">2</td>", html, re.S
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("code,type\n10014060,原鄉\n", "第 1 行：欄位必須是 code,kind，目前是 ['code', 'type']"),
        ("code,kind\n10014060,原鄉\n99999999,原鄉\n", "第 3 行：找不到鄉鎮市區代碼「99999999」"),
        ("code,kind\n10014060,山城\n", "第 2 行：類型「山城」應為 農山漁村、中介城鎮、原鄉"),
        ("code,kind\n10014060,原鄉\n10014060,原鄉\n", "第 3 行：代碼「10014060」重複"),
    ],
)
def test_bad_priority_file_stops_the_showcase_naming_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    folder = tmp_path / "proposals"
    folder.mkdir()
    (folder / "priority-areas.csv").write_text(text, "utf-8")

    with pytest.raises(SnapshotError) as caught:
        load_priority(folder)

    assert str(caught.value) == f"{folder / 'priority-areas.csv'}：{message}"


def test_case_page_has_schedule_and_funding_charts(published: Path, tmp_path: Path, content: Path) -> None:
    destination = tmp_path / "site"

    build(showcase(tmp_path, content), destination)

    page = (destination / "cases/chishang-rice-2026/index.html").read_text("utf-8")
    schedule = re.search(r'<title id="schedule-title">([^<]*)</title>', page)
    funding = re.search(r'<title id="funding-title">([^<]*)</title>', page)
    assert schedule and schedule.group(1) == (
        "創生事業時程：稻殼米糠循環工坊 2026-01～2027-06；青農稻田駐村基地 2026-03～2028-12；"
        "四季稻田文化旅遊 2026-04～2028-12"
    )
    assert funding and funding.group(1) == (
        "經費來源（千元）：中央部會計畫 9,300；鄉鎮市區公所 700；花東基金 1,000；民間投資 9,000"
    )


def test_listings_paginate_by_path(published: Path, tmp_path: Path, content: Path) -> None:
    app = create_showcase_app({"CONTENT_DIR": str(content), "PROPOSALS_DIR": str(published), "SHOWCASE_PAGE_SIZE": 1})
    destination = tmp_path / "site"

    build(app, destination)

    first = (destination / "cases/index.html").read_text("utf-8")
    second = (destination / "cases/page/2/index.html").read_text("utf-8")
    fifth = (destination / "cases/page/5/index.html").read_text("utf-8")
    # One case a page, the newest publication first: the order of the files' times.
    order = sorted(
        (snapshot.load(path) for path in published.glob("*/*.md")),
        key=lambda case: (case.published_moment, case.slug),
        reverse=True,
    )
    count = len(order)

    def linked(page: str) -> set[str]:
        return set(re.findall(r'href="(?:\.\./)*([a-z0-9-]+)/index\.html"', page))

    assert (order[0].slug in linked(first), order[1].slug in linked(first)) == (True, False)
    assert (order[4].slug in linked(fifth), order[0].slug in linked(fifth)) == (True, False)
    assert f"<p>{count} 個案例，第 2 頁，共 {count} 頁</p>" in second
    assert '<a href="../../index.html" rel="prev">← 上一頁</a>' in second
    assert '<a href="page/2/index.html" rel="next">下一頁 →</a>' in first
    assert (destination / "type/township/page/2/index.html").is_file()
    assert not (destination / "cases/page/1").exists()
    assert not (destination / f"cases/page/{count + 1}").exists()
    assert not (destination / "county/10016/page/2").exists()


def test_listing_page_out_of_range_is_not_found(published: Path, content: Path) -> None:
    client = create_showcase_app({"CONTENT_DIR": str(content), "PROPOSALS_DIR": str(published)}).test_client()

    missing = [client.get(path) for path in ["/cases/page/2/", "/cases/page/0/", "/county/10016/page/9/"]]

    assert [(r.status_code, "找不到這個頁面" in r.get_data(as_text=True)) for r in missing] == [(404, True)] * 3


def test_english_listings_have_english_chrome_and_labels(published: Path, tmp_path: Path, content: Path) -> None:
    destination = tmp_path / "site"

    build(showcase(tmp_path, content), destination)

    county = (destination / "en/county/10016/index.html").read_text("utf-8")
    region = (destination / "en/region/islands/index.html").read_text("utf-8")
    browse = (destination / "en/browse/index.html").read_text("utf-8")
    assert "<h1>Penghu County</h1>" in county and "<p>1 case</p>" in county
    assert "Wang&#39;an: Island of Green Sea Turtles" in county
    assert 'href="../../../county/10016/index.html" lang="zh-Hant-TW">中文</a>' in county
    assert "<h1>Penghu, Kinmen and Lienchiang</h1>" in region
    assert '<h2 id="facet-strategy">By strategy (the five arrows)</h2>' in browse
    assert 'href="../strategy/brand/index.html">Brand building</a> (16)' in browse


def test_two_cases_with_one_slug_fail_the_build_naming_both_files(
    published: Path, tmp_path: Path, content: Path
) -> None:
    destination = tmp_path / "site"
    build(showcase(tmp_path, content), destination)
    before = files(destination)
    first = published / "2026" / "wangan-turtle-island-2026.md"
    second = published / "2025" / "wangan-turtle-island-2026.md"
    second.parent.mkdir(exist_ok=True)  # the demo has 2025 cases too
    second.write_text(first.read_text("utf-8").replace("cycle: '2026'", "cycle: '2025'"), "utf-8")

    with pytest.raises(SnapshotError) as caught:
        build(showcase(tmp_path, content), destination)

    assert str(caught.value) == f"{first}：slug「wangan-turtle-island-2026」與 {second} 重複"
    assert files(destination) == before
