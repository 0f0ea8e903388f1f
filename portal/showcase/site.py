"""The showcase's pages. Everything here is public by construction: it reads only the
site pages and the published case files."""

from __future__ import annotations

import datetime as dt
import json
import mimetypes
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from flask import Blueprint, Flask, abort, current_app, render_template, url_for
from markupsafe import Markup
from werkzeug.wrappers import Response

from portal import text
from portal.domain import followup, spreadsheet
from portal.domain.brief import SOURCES as SOURCES_ZH
from portal.domain.funding import NON_SELF, SELF, percent, roc_label
from portal.reference import PRIORITY_KINDS, read_csv
from portal.showcase import charts, mapsvg, opendata
from portal.showcase.cases import Shown, cache_file, load_cases, load_priority
from portal.showcase.content import Page, load_pages
from portal.snapshot import Actual, Case, FrontMatterCache, Kpi, Resources

bp = Blueprint("site", __name__)

LANGUAGES = ("zh", "en")


def init_app(app: Flask) -> None:
    """Load the site pages and the cases once at start-up: a bad file stops the app
    (and so the build), naming the file."""
    app.extensions["showcase.pages"] = load_pages(Path(app.config["CONTENT_DIR"]))
    render_cache = text.RenderCache(cache_file(Path(app.config["BUILD_DIR"])))
    front_cache = FrontMatterCache(cache_file(Path(app.config["BUILD_DIR"]), "front"))
    app.extensions["showcase.render_cache"] = render_cache
    app.extensions["showcase.front_cache"] = front_cache
    app.extensions["showcase.cases"] = load_cases(Path(app.config["PROPOSALS_DIR"]), render_cache, front_cache)
    app.extensions["showcase.by_slug"] = {shown.case.slug: shown for shown in app.extensions["showcase.cases"]}
    app.extensions["showcase.priority"] = load_priority(Path(app.config["PROPOSALS_DIR"]))
    app.extensions["showcase.facets"] = {lang: _facets(app.extensions["showcase.cases"], lang) for lang in LANGUAGES}
    app.register_blueprint(bp)
    app.register_error_handler(404, not_found)
    app.jinja_env.filters["safe_page"] = text.cached
    app.jinja_env.filters["roc"] = roc_label
    app.jinja_env.globals["percent"] = percent
    app.context_processor(lambda: {"site_pages": pages()})


def pages() -> list[Page]:
    loaded: list[Page] = current_app.extensions["showcase.pages"]
    return loaded


def cases() -> list[Shown]:
    loaded: list[Shown] = current_app.extensions["showcase.cases"]
    return loaded


def case_by_slug(slug: str) -> Shown:
    """The case published under `slug` (slugs are unique: `load_cases` refuses a repeat)."""
    by_slug: dict[str, Shown] = current_app.extensions["showcase.by_slug"]
    return by_slug.get(slug) or abort(404)


def page_by_slug(slug: str) -> Page:
    for page in pages():
        if page.slug == slug:
            return page
    abort(404)


def url_generators() -> Iterator[tuple[str, dict[str, Any]] | tuple[str, dict[str, Any], dt.datetime]]:
    """Pages the freezer cannot find from links alone. A case page carries the time its
    file changed: when the built page is newer (and no template changed since), the
    freezer keeps it instead of rendering it again."""
    yield "site.not_found_page", {}
    site_changed = _site_changed()
    for shown in cases():
        changed = max(shown.changed, site_changed)
        yield "site.case", {"slug": shown.case.slug}, changed
        yield "site.case_en", {"slug": shown.case.slug}, changed
    for suffix in ("", "_en"):
        for number in range(1, page_count(len(cases())) + 1):
            yield f"site.case_list{suffix}", {"page": number}
        for name, values in facets().items():
            for key, (_label, listed) in values.items():
                for number in range(1, page_count(len(listed)) + 1):
                    yield f"site.facet{suffix}", {"facet": name, "key": key, "page": number}
    for page in pages():
        yield "site.page", {"slug": page.slug}
        yield "site.page_en", {"slug": page.slug}


def _site_changed() -> dt.datetime:
    """The newest template, stylesheet or site page: a change there re-renders every page."""
    roots = [
        Path(current_app.template_folder or ""),
        Path(current_app.static_folder or ""),
        Path(current_app.config["CONTENT_DIR"]),
    ]
    times = [p.stat().st_mtime for root in roots if root.is_dir() for p in root.rglob("*") if p.is_file()]
    return dt.datetime.fromtimestamp(max(times, default=0))


def figures(shown: list[Shown]) -> dict[str, int]:
    """Key figures of the home page, all computed from the published files."""
    kpi_targets = {"新增工作機會": 0, "青年返鄉/移居人數": 0}
    for s in shown:
        for kpi in s.case.kpis:
            if kpi.indicator in kpi_targets and kpi.direction == "+":
                kpi_targets[kpi.indicator] += int(kpi.target - kpi.baseline)
    return {
        "cases": len(shown),
        "counties": len({s.case.county.code for s in shown}),
        "townships": len(
            {code for s in shown for code in [s.case.township.code, *(p.code for p in s.case.participating)]}
        ),
        "central": sum(m.amount for s in shown for m in s.case.matched),
        "private": sum(s.case.private_investment for s in shown),
        "jobs": kpi_targets["新增工作機會"],
        "youth": kpi_targets["青年返鄉/移居人數"],
    }


def taiwan_map(lang: str) -> Markup:
    """The home page's map: counties shaded by their number of cases (as lead county),
    one marker per case on its lead township, every county named in its tooltip, and a
    legend that gives the numbers."""
    shown = cases()
    en = lang == "en"
    per_county = Counter(s.case.county.code for s in shown)
    counties = {code: "has-cases many" if n > 1 else "has-cases" for code, n in per_county.items()}
    names = {code: (name_en if en else name_zh) for code, (name_zh, name_en) in COUNTIES.items()}
    tooltips = {code: _county_tooltip(name, per_county[code], en) for code, name in names.items()}
    endpoint = "site.case_en" if en else "site.case"
    # The templates' url_for: relative once the freezer has set it up, so the map's links
    # work under a sub-path like every other link of the built site.
    link = cast(Callable[..., str], current_app.jinja_env.globals.get("url_for", url_for))
    markers = [
        mapsvg.Marker(
            township_code=s.case.township.code,
            label=f"{s.case.township.name_en}, {s.case.county.name_en}: {s.case.title_en or s.case.title}"
            if en
            else f"{s.case.county.name}{s.case.township.name}：{s.case.title}",
            url=link(endpoint, slug=s.case.slug),
        )
        for s in shown
    ]
    title = "Map of published cases" if en else "已公開案例分布地圖"
    svg = mapsvg.render_svg(
        mapsvg.load_map(), counties, markers, title, tooltips, lang=lang, legend=map_legend(per_county, en)
    )
    return Markup(svg)


def _county_tooltip(name: str, count: int, en: bool) -> str:
    if en:
        return f"{name}: " + ("no cases yet" if not count else f"{count} case" + ("s" if count > 1 else ""))
    return f"{name}：" + (f"{count} 件案例" if count else "尚無案例")


def map_legend(per_county: Counter[str], en: bool) -> list[mapsvg.LegendEntry]:
    """What the map's colours and dots mean, each with its number."""
    one = sum(1 for n in per_county.values() if n == 1)
    many = sum(1 for n in per_county.values() if n > 1)
    none = len(COUNTIES) - one - many
    cases_total = sum(per_county.values())
    if en:
        texts = (
            f"Counties with 1 case: {one}",
            f"Counties with 2 or more: {many}",
            f"Counties with none yet: {none}",
            f"Cases (at the lead township): {cases_total}",
        )
    else:
        texts = (
            f"1 件案例的縣市：{one}",
            f"2 件以上案例的縣市：{many}",
            f"尚無案例的縣市：{none}",
            f"案例（主提案鄉鎮市區）：{cases_total}",
        )
    return [
        mapsvg.LegendEntry(texts[0], "has-cases"),
        mapsvg.LegendEntry(texts[1], "has-cases many"),
        mapsvg.LegendEntry(texts[2], "no-cases"),
        mapsvg.LegendEntry(texts[3], "map-marker", marker=True),
    ]


def _home(lang: str) -> str:
    shown = cases()
    return render_template(
        "showcase/home.html",
        lang=lang,
        intro=page_by_slug("about") if lang == "zh" and _has("about") else None,
        figures=figures(shown),
        latest=shown[:6],
        taiwan_map=taiwan_map(lang),
    )


@bp.route("/")
def home() -> str:
    return _home("zh")


@bp.route("/en/")
def home_en() -> str:
    return _home("en")


PAGE_SIZE = 20


def page_count(total: int) -> int:
    size: int = current_app.config.get("SHOWCASE_PAGE_SIZE", PAGE_SIZE)
    return max(1, -(-total // size))


# Pages either side of the current one that the pager links to, besides the first and last.
PAGER_REACH = 2


def page_window(page: int, pages: int) -> list[int | None]:
    """The page numbers a pager shows: the first, the last and the current ±2, in order,
    with None (shown as …) where two or more numbers are left out; a single left-out
    number is shown instead. A pager then has at most 9 numbers however long the
    listing, so the site's links grow with its pages, not with their square; every page
    is still reached through next and previous."""
    shown = sorted({1, pages, *range(max(1, page - PAGER_REACH), min(pages, page + PAGER_REACH) + 1)})
    window: list[int | None] = []
    previous = 0
    for number in shown:
        if number - previous == 2:
            window.append(number - 1)
        elif previous and number - previous > 2:
            window.append(None)
        window.append(number)
        previous = number
    return window


def _listing(shown: list[Shown], heading: str, page: int, endpoint: str, lang: str = "zh", **values: str) -> str:
    """One page of a listing. Pages are paths (/cases/page/2/), so every page is a file
    of the frozen site; page 1 is the listing's own address."""
    size: int = current_app.config.get("SHOWCASE_PAGE_SIZE", PAGE_SIZE)
    pages = page_count(len(shown))
    if not 1 <= page <= pages:
        abort(404)
    return render_template(
        "showcase/cases.html",
        lang=lang,
        shown=shown[(page - 1) * size : page * size],
        total=len(shown),
        heading=heading,
        page=page,
        pages=pages,
        window=page_window(page, pages),
        endpoint=endpoint,
        other=endpoint.removesuffix("_en") if lang == "en" else endpoint + "_en",
        values=values,
    )


@bp.route("/cases/", defaults={"page": 1})
@bp.route("/cases/page/<int:page>/")
def case_list(page: int) -> str:
    return _listing(cases(), "所有案例", page, "site.case_list")


@bp.route("/en/cases/", defaults={"page": 1})
@bp.route("/en/cases/page/<int:page>/")
def case_list_en(page: int) -> str:
    return _listing(cases(), "All cases", page, "site.case_list_en", lang="en")


def _case_page(slug: str, lang: str) -> str:
    shown = case_by_slug(slug)
    c = shown.case
    schedule = charts.schedule_chart(
        "schedule",
        "Schedule of the businesses" if lang == "en" else "創生事業時程",
        [charts.Span(b.name, b.start, b.end) for b in c.businesses],
    )
    funding = charts.bar_chart(
        "funding",
        "Funding by source (NT$ thousand)" if lang == "en" else "經費來源（千元）",
        [(SOURCES_ZH.get(src, src), float(amount)) for src, amount in c.resources.by_source.items()],
    )
    return render_template(
        "showcase/case.html",
        lang=lang,
        s=shown,
        results=case_results(c, lang),
        sources=SOURCES_ZH,
        regions=REGIONS,
        strategy_names=STRATEGIES,
        schedule=schedule,
        funding=funding,
    )


@bp.route("/cases/<slug>/")
def case(slug: str) -> str:
    return _case_page(slug, "zh")


@bp.route("/en/cases/<slug>/")
def case_en(slug: str) -> str:
    return _case_page(slug, "en")


# --- results of the follow-up (accepted values only: the case file holds no other) ------

RATINGS_EN = {"on_track": "On track", "at_risk": "Needs attention", "off_track": "Behind schedule"}
BUSINESS_STATUSES_EN = {
    "not_started": "Not started",
    "in_progress": "In progress",
    "done": "Done",
    "delayed": "Delayed",
    "cancelled": "Cancelled",
}


def rating_label(rating: str, lang: str = "zh") -> str:
    return RATINGS_EN[rating] if lang == "en" else followup.Rating(rating).label


def status_label(status: str, lang: str = "zh") -> str:
    return BUSINESS_STATUSES_EN[status] if lang == "en" else followup.BusinessStatus(status).label


@dataclass(frozen=True)
class KpiResult:
    """A KPI's latest accepted value and its direction-aware progress toward the target."""

    kpi: Kpi
    latest: Actual | None
    progress: followup.Progress | None


def kpi_result(kpi: Kpi) -> KpiResult:
    if not kpi.actuals:
        return KpiResult(kpi, None, None)
    latest = kpi.actuals[-1]
    return KpiResult(kpi, latest, followup.progress(kpi.baseline, kpi.target, latest.value, kpi.direction))


@dataclass(frozen=True)
class CaseResults:
    """What the case page shows of the follow-up; `shown` is False for a case with none."""

    kpis: list[KpiResult]
    businesses: list[tuple[str, str]]  # name, status label
    rating: str | None  # label of the latest year-end rating
    closing_rating: str | None
    shown: bool


def case_results(case: Case, lang: str = "zh") -> CaseResults:
    kpis = [kpi_result(kpi) for kpi in case.kpis]
    businesses = [(b.name, status_label(b.status, lang)) for b in case.businesses if b.status is not None]
    return CaseResults(
        kpis=kpis,
        businesses=businesses,
        rating=rating_label(case.progress.rating, lang) if case.progress else None,
        closing_rating=rating_label(case.closing.rating, lang) if case.closing else None,
        shown=bool(case.progress or case.closing or businesses or any(k.latest for k in kpis)),
    )


# Ascii path names for the seven regions, so every built file name is plain ascii.
REGIONS = {
    "北北基宜": "taipei-keelung-yilan",
    "桃竹苗": "taoyuan-hsinchu-miaoli",
    "中彰投": "taichung-changhua-nantou",
    "雲嘉南": "yunlin-chiayi-tainan",
    "高高屏": "kaohsiung-pingtung",
    "花東": "hualien-taitung",
    "澎金馬": "islands",
}
TYPES = {"township": "鄉鎮單元", "regional": "區域型", "thematic": "主題型"}
STRATEGIES = {
    "hometown_investment": "企業投資故鄉",
    "technology": "科技導入",
    "ministry_resources": "整合部會創生資源",
    "social_participation": "社會參與創生",
    "brand": "品牌建立",
}


REGIONS_EN = {
    "北北基宜": "Taipei, Keelung and Yilan",
    "桃竹苗": "Taoyuan, Hsinchu and Miaoli",
    "中彰投": "Taichung, Changhua and Nantou",
    "雲嘉南": "Yunlin, Chiayi and Tainan",
    "高高屏": "Kaohsiung and Pingtung",
    "花東": "Hualien and Taitung",
    "澎金馬": "Penghu, Kinmen and Matsu",
}
TYPES_EN = {"township": "Township", "regional": "Regional", "thematic": "Thematic"}
STRATEGIES_EN = {row["code"]: row["name_en"] for row in read_csv("strategies.csv")}
# County names by code, for the partner counties of cross-county cases.
COUNTIES = {row["code"][:5]: (row["county_zh"], row["county_en"]) for row in read_csv("townships.csv")}


Facets = dict[str, dict[str, tuple[str, list[Shown]]]]


def facets(lang: str = "zh") -> Facets:
    """Every way into the cases (worked out once, when the app starts)."""
    loaded: dict[str, Facets] = current_app.extensions["showcase.facets"]
    return loaded[lang]


def _facets(shown: list[Shown], lang: str) -> Facets:
    """Every way into the cases, each value with its label (in `lang`) and its cases;
    only values that have cases, so no empty page is built."""
    found: Facets = {
        "county": {},
        "region": {},
        "strategy": {},
        "type": {},
        "year": {},
    }
    en = lang == "en"
    for s in shown:
        c = s.case
        # A cross-county case is listed on the page of every county taking part.
        partners = sorted({p.code[:5] for p in c.participating} - {c.county.code})
        keys = [
            ("county", c.county.code, c.county.name_en if en else c.county.name),
            *(("county", code, COUNTIES[code][1 if en else 0]) for code in partners),
            ("region", REGIONS.get(c.region, c.region), REGIONS_EN.get(c.region, c.region) if en else c.region),
            ("type", c.type, TYPES_EN[c.type] if en else TYPES[c.type]),
            ("year", c.cycle, f"{c.cycle} cycle" if en else f"{c.cycle} 梯次"),
            *(("strategy", code, STRATEGIES_EN[code] if en else STRATEGIES[code]) for code in c.strategies),
        ]
        for facet, key, label in keys:
            found[facet].setdefault(key, (label, []))[1].append(s)
    return found


@bp.route("/<any(county, region, strategy, type, year):facet>/<key>/", defaults={"page": 1})
@bp.route("/<any(county, region, strategy, type, year):facet>/<key>/page/<int:page>/")
def facet(facet: str, key: str, page: int) -> str:
    label, shown = facets()[facet].get(key) or abort(404)
    return _listing(shown, label, page, "site.facet", facet=facet, key=key)


@bp.route("/en/<any(county, region, strategy, type, year):facet>/<key>/", defaults={"page": 1})
@bp.route("/en/<any(county, region, strategy, type, year):facet>/<key>/page/<int:page>/")
def facet_en(facet: str, key: str, page: int) -> str:
    label, shown = facets("en")[facet].get(key) or abort(404)
    return _listing(shown, label, page, "site.facet_en", lang="en", facet=facet, key=key)


# The open data's columns, in order, with what each means (shown on the data page).
DATA_FIELDS: tuple[tuple[str, str], ...] = (
    ("slug", "案例代號（網址中的名稱），不會改變"),
    ("cycle", "提案梯次（年度）"),
    ("title", "提案名稱"),
    ("title_en", "英文名稱（可能空白）"),
    ("summary_en", "英文摘要（可能空白）"),
    ("type", "提案類型：township 鄉鎮單元、regional 區域型、thematic 主題型"),
    ("region", "區域（七區）"),
    ("county_code", "縣市代碼（5 碼）"),
    ("county", "縣市名稱"),
    ("township_code", "主提案鄉鎮市區代碼（8 碼，內政部）"),
    ("township", "主提案鄉鎮市區名稱"),
    ("participating_codes", "合作鄉鎮市區代碼，以分號分隔"),
    ("theme", "主題"),
    ("strategies", "對應策略（五支箭）代碼，以分號分隔"),
    ("budget_total", "經費需求合計（新臺幣千元）"),
    ("private_share", "經費需求中民間投資的比例（0 到 1）"),
    ("non_self_liquidating_total", "經費需求中非自償的合計（千元）；沒有經費需求及財源表的較早案例為空白"),
    ("self_liquidating_total", "經費需求中自償的合計（千元）；同上"),
    (
        "funding_grid",
        "經費需求及財源表的每一格，寫成「來源代碼:non 或 self:西元年度=金額（千元）」，以分號分隔，"
        "例如 county:non:2021=891；non 為非自償、self 為自償，來源代碼同案例檔的 resources.by_source",
    ),
    ("matched_total", "核定時媒合的部會計畫金額合計（千元）"),
    ("private_investment", "核定時民間承諾投資（千元）"),
    (
        "kpi_actuals",
        "輔導團年底檢核採認的 KPI 實際值，寫成「KPI 序號:西元年度=數值」，以分號分隔，例如 1:2026=12;2:2026=-3；"
        "序號是 KPI 在案例頁與案例檔 kpis 中的順序（從 1 起算），數值單位同該 KPI；沒有採認值時空白",
    ),
    (
        "business_statuses",
        "最近一次採認的年底檢核中各事業的執行狀態，寫成「事業序號:狀態」，以分號分隔，例如 1:in_progress;2:done；"
        "狀態為 not_started 未開始、in_progress 進行中、done 完成、delayed 延後、cancelled 取消；沒有時空白",
    ),
    ("progress_year", "最近一次採認的年底檢核所屬年度；沒有時空白"),
    ("progress_rating", "該次年底檢核結果：on_track 符合進度、at_risk 需關注、off_track 落後；沒有時空白"),
    ("closing_rating", "結案檢討的評等（代碼同上）；尚未結案時空白"),
    ("decision_meeting", "核定的會議"),
    ("decision_date", "核定日期"),
    ("revision", "核定的提案版本（第幾版）"),
    ("published", "首次公開日期"),
    (
        "published_at",
        "首次公開的時間（臺灣時間，ISO 8601，例如 2026-03-05T14:32:10+08:00）；較早公開、未記錄時間的案例為空白",
    ),
    ("updated", "最後更新日期"),
    ("updated_at", "最後更新的時間（格式同上）；未記錄時空白"),
    ("url", "案例頁面的相對網址"),
)


def records() -> list[dict[str, Any]]:
    """One flat record per case, the same for JSON and CSV."""
    out = []
    for s in cases():
        c = s.case
        out.append(
            {
                "slug": c.slug,
                "cycle": c.cycle,
                "title": c.title,
                "title_en": c.title_en or "",
                "summary_en": c.summary_en or "",
                "type": c.type,
                "region": c.region,
                "county_code": c.county.code,
                "county": c.county.name,
                "township_code": c.township.code,
                "township": c.township.name,
                "participating_codes": ";".join(p.code for p in c.participating),
                "theme": c.theme,
                "strategies": ";".join(c.strategies),
                "budget_total": c.resources.total,
                "private_share": c.resources.private_share,
                **_funding_record(c.resources),
                "matched_total": sum(m.amount for m in c.matched),
                "private_investment": c.private_investment,
                **_results_record(c),
                "decision_meeting": c.decision.meeting,
                "decision_date": c.decision.date.isoformat(),
                "revision": c.revision,
                "published": c.published.isoformat(),
                "published_at": c.published_at.isoformat() if c.published_at else None,
                "updated": c.updated.isoformat(),
                "updated_at": c.updated_at.isoformat() if c.updated_at else None,
                "url": f"cases/{c.slug}/",
            }
        )
    return out


def _results_record(case: Case) -> dict[str, Any]:
    """The follow-up's open-data columns: accepted values only, None when there are none."""
    actuals = ";".join(f"{n}:{a.year}={a.value}" for n, k in enumerate(case.kpis, start=1) for a in k.actuals)
    statuses = ";".join(f"{n}:{b.status}" for n, b in enumerate(case.businesses, start=1) if b.status)
    return {
        "kpi_actuals": actuals or None,
        "business_statuses": statuses or None,
        "progress_year": case.progress.year if case.progress else None,
        "progress_rating": case.progress.rating if case.progress else None,
        "closing_rating": case.closing.rating if case.closing else None,
    }


def _funding_record(resources: Resources) -> dict[str, Any]:
    """The funding grid's open-data columns; empty for files written before the grid."""
    table = resources.table
    if table is None or resources.grid is None:
        return {"non_self_liquidating_total": None, "self_liquidating_total": None, "funding_grid": None}
    kinds = {sub.kind: sub.total for sub in table.subtotals}
    return {
        "non_self_liquidating_total": kinds[NON_SELF],
        "self_liquidating_total": kinds[SELF],
        "funding_grid": ";".join(f"{s}:{k}:{y}={a}" for (k, s, y), a in resources.grid.items()),
    }


# What cases.json and cases.geojson carry beyond the flat columns: lists and texts a
# CSV row cannot hold well, so that the JSON has every public field of a case.
NESTED_FIELDS: tuple[tuple[str, str], ...] = (
    ("participating", "合作鄉鎮市區：每個 {code 代碼、name 名稱（含縣市）}"),
    ("dna", "我的DNA：summary 說明（Markdown 原文）、items 依 人 文 地 產 景 分組的項目清單"),
    ("stakeholders", "利害關係人：每個 {name 名稱、sector 部門、role 角色、commitment 投入}，同 stakeholders.csv"),
    (
        "consensus",
        "形成共識願景過程：events 每場 {date 日期、kind 形式、participants 參與人數、outcome 結論}，"
        "vision 共識願景（Markdown 原文）",
    ),
    ("businesses_summary", "創生事業構想的總說明（Markdown 原文；可能空白）"),
    (
        "businesses",
        "每項創生事業：name 事業名稱、where 地點、start 與 end 起訖年月、lead 主責單位、strategies 策略代碼清單、"
        "what 做什麼與 how 怎麼做（Markdown 原文）、"
        "status 最近一次採認的執行狀態（代碼同 business_statuses；沒有時為 null）",
    ),
    (
        "resources",
        "經費需求（千元）：by_source 各來源合計 {來源代碼: 金額}、by_year 各年度合計 [{year, amount}]、"
        "grid 經費需求及財源表的每一格 [{source, self_liquidating, year, amount}]，同 funding.csv"
        "（沒有財源表的較早案例為 null）",
    ),
    ("support", "其他協助需求：每項 {kind 類別（法規調適、土地、人力、技術、其他）、description 說明}"),
    ("matched", "核定時媒合的部會計畫：每項 {ministry 部會、programme 計畫、amount 金額（千元）、year 年度}"),
    (
        "kpis",
        "每項 KPI：indicator 指標、kind 類型（outcome 成果指標、work 工作指標）、definition 衡量標準、unit 單位、"
        "baseline 現況值、baseline_year 現況年、baseline_source 現況值來源、target 目標值、target_year 目標年、"
        "direction 期望方向（+ 增加、- 減少）、yearly 逐年目標（[{year, value}]）、actuals 輔導團年底檢核採認的實際值"
        "（每年一筆 {year, value}，依年度排列；沒有採認值時為空清單）",
    ),
    ("benefits", "不可量化效益：文字清單（可能為空清單）"),
    ("closing_lessons", "結案檢討的經驗分享；尚未結案時為 null"),
)


def nested_record(case: Case) -> dict[str, Any]:
    """Everything a case page shows beyond the flat columns, as lists and objects."""
    resources = case.resources
    return {
        "participating": [{"code": p.code, "name": p.name} for p in case.participating],
        "dna": {"summary": case.dna.summary, "items": {group: list(items) for group, items in case.dna.items.items()}},
        "stakeholders": [
            {"name": s.name, "sector": s.sector, "role": s.role, "commitment": s.commitment} for s in case.stakeholders
        ],
        "consensus": {
            "events": [
                {"date": e.date.isoformat(), "kind": e.kind, "participants": e.participants, "outcome": e.outcome}
                for e in case.consensus.events
            ],
            "vision": case.consensus.vision,
        },
        "businesses_summary": case.businesses_summary,
        "businesses": [
            {
                "name": b.name,
                "where": b.where,
                "start": b.start,
                "end": b.end,
                "lead": b.lead,
                "strategies": list(b.strategies),
                "what": b.what,
                "how": b.how,
                "status": b.status,
            }
            for b in case.businesses
        ],
        "resources": {
            "by_source": dict(resources.by_source),
            "by_year": [{"year": year, "amount": amount} for year, amount in resources.by_year.items()],
            "grid": None
            if resources.grid is None
            else [
                {"source": source, "self_liquidating": kind == SELF, "year": year, "amount": amount}
                for (kind, source, year), amount in resources.grid.items()
            ],
        },
        "support": [{"kind": x.kind, "description": x.description} for x in case.support],
        "matched": [
            {"ministry": m.ministry, "programme": m.programme, "amount": m.amount, "year": m.year} for m in case.matched
        ],
        "kpis": [
            {
                "indicator": k.indicator,
                "kind": k.kind,
                "definition": k.definition,
                "unit": k.unit,
                "baseline": k.baseline,
                "baseline_year": k.baseline_year,
                "baseline_source": k.baseline_source,
                "target": k.target,
                "target_year": k.target_year,
                "direction": k.direction,
                "yearly": [{"year": year, "value": value} for year, value in k.yearly.items()],
                "actuals": [{"year": a.year, "value": a.value} for a in k.actuals],
            }
            for k in case.kpis
        ],
        "benefits": list(case.benefits),
        "closing_lessons": case.closing.lessons if case.closing else None,
    }


def json_records() -> list[dict[str, Any]]:
    """The flat records with the nested lists, for JSON and GeoJSON."""
    return [record | nested_record(s.case) for record, s in zip(records(), cases(), strict=True)]


@bp.route("/data/")
def data_page() -> str:
    return render_template(
        "showcase/data.html",
        lang="zh",
        fields=DATA_FIELDS,
        nested=NESTED_FIELDS,
        tables=opendata.TABLES,
        count=len(cases()),
    )


@bp.route("/data/cases.json")
def data_json() -> Response:
    body = {
        "fields": [name for name, _ in DATA_FIELDS],
        "nested": [name for name, _ in NESTED_FIELDS],
        "cases": json_records(),
    }
    return Response(json.dumps(body, ensure_ascii=False, indent=2), mimetype="application/json")


@bp.route("/data/cases.csv")
def data_csv() -> Response:
    """UTF-8 with a byte-order mark, so Excel opens the Chinese correctly."""
    return Response(spreadsheet.csv_text([name for name, _ in DATA_FIELDS], records()), mimetype="text/csv")


@bp.route(f"/data/<any({', '.join(opendata.TABLE_NAMES)}):name>.csv")
def data_table(name: str) -> Response:
    """One row per KPI, business, stakeholder or funding cell of every case, keyed by
    the case's slug; UTF-8 with a byte-order mark and formulas neutralised, as cases.csv."""
    table = opendata.table(name)
    rows = [row for s in cases() for row in table.rows(s.case)]
    return Response(spreadsheet.csv_text(table.columns, rows), mimetype="text/csv")


# Not in every system's MIME table; the freezer checks a file's type against its name.
mimetypes.add_type("application/geo+json", ".geojson")


@bp.route("/data/cases.geojson")
def data_geojson() -> Response:
    """One point per case, at a point inside its lead township (from the map's geometry),
    with the same properties as cases.json; coordinates are WGS 84 longitude, latitude."""
    geometry = mapsvg.load_map()
    features = [
        {
            "type": "Feature",
            "id": record["slug"],
            "geometry": {"type": "Point", "coordinates": list(mapsvg.lonlat(geometry, record["township_code"]))},
            "properties": record,
        }
        for record in json_records()
    ]
    body = {"type": "FeatureCollection", "features": features}
    return Response(json.dumps(body, ensure_ascii=False, indent=2), mimetype="application/geo+json")


@bp.route("/feed.xml")
def feed() -> Response:
    """Atom: newly published and updated cases, the newest publication (first or
    latest) first, by its exact time where the case file records one."""
    base = current_app.config["SITE_URL"].rstrip("/")
    entries = sorted(cases(), key=lambda s: (s.case.updated_moment, s.case.slug), reverse=True)
    body = render_template("showcase/feed.xml", base=base, entries=entries)
    # Served as application/xml: what static hosts send for .xml, so the frozen file matches.
    return Response(body, mimetype="application/xml")


@dataclass(frozen=True)
class Chart:
    """One statistic: its heading, its rows (label, value) and the unit of the values."""

    ident: str
    heading: str
    unit: str
    rows: list[tuple[str, float]]

    @property
    def svg(self) -> Markup:
        return charts.bar_chart(self.ident, self.heading, self.rows, self.unit)


@dataclass(frozen=True)
class Coverage:
    """How many priority townships of a kind have a published case (as lead or partner)."""

    kind: str
    total: int
    covered: int


def _counted(keys: list[str], order: list[str] | None = None) -> list[tuple[str, float]]:
    counts = Counter(keys)
    names = order if order is not None else sorted(counts, key=lambda k: (-counts[k], k))
    return [(name, float(counts[name])) for name in names if counts[name]]


def statistics(shown: list[Shown], english: bool) -> list[Chart]:
    """Every chart of the statistics page, computed from the published files alone."""
    funding: Counter[str] = Counter()
    ministries: Counter[str] = Counter()
    for s in shown:
        for source, amount in s.case.resources.by_source.items():
            funding[SOURCES_ZH.get(source, source)] += amount
        for m in s.case.matched:
            ministries[m.ministry] += m.amount
    return [
        Chart(
            "by-region",
            "Cases by region" if english else "各區域案例數",
            "",
            _counted([s.case.region for s in shown], list(REGIONS)),
        ),
        Chart(
            "by-strategy",
            "Cases by strategy (a case may use several)" if english else "各策略（五支箭）案例數（一案可對應多項）",
            "",
            _counted([STRATEGIES[c] for s in shown for c in s.case.strategies], list(STRATEGIES.values())),
        ),
        Chart(
            "by-type",
            "Cases by type" if english else "各提案類型案例數",
            "",
            _counted([TYPES[s.case.type] for s in shown], list(TYPES.values())),
        ),
        Chart(
            "by-year",
            "Cases by cycle" if english else "各梯次案例數",
            "",
            _counted([s.case.cycle for s in shown], sorted({s.case.cycle for s in shown})),
        ),
        Chart(
            "funding",
            "Funding asked for, by source (NT$ thousand)" if english else "經費需求依來源（千元）",
            "",
            [(name, float(funding[name])) for name in SOURCES_ZH.values() if funding[name]],
        ),
        Chart(
            "matched",
            "Matched central programmes, by ministry (NT$ thousand)" if english else "媒合部會資源依部會（千元）",
            "",
            [(name, float(amount)) for name, amount in sorted(ministries.items(), key=lambda kv: (-kv[1], kv[0]))],
        ),
    ]


def coverage(shown: list[Shown]) -> list[Coverage] | None:
    """Priority-area coverage by kind, or None when no priority list was loaded."""
    priority: dict[str, str] | None = current_app.extensions["showcase.priority"]
    if priority is None:
        return None
    reached = {code for s in shown for code in [s.case.township.code, *(p.code for p in s.case.participating)]}
    return [
        Coverage(
            kind=kind,
            total=sum(1 for k in priority.values() if k == kind),
            covered=sum(1 for code, k in priority.items() if k == kind and code in reached),
        )
        for kind in PRIORITY_KINDS
    ]


# Results counted on the statistics page: the standard KPI's indicator, its English name
# and unit. Only KPIs that rise ('+') count, each as its value minus its baseline.
RESULT_MEASURES: tuple[tuple[str, str, str], ...] = (
    ("新增工作機會", "Jobs created", "人"),
    ("青年返鄉/移居人數", "Young people returned or moved in", "人"),
    ("民間投資金額", "Private investment realised (NT$ thousand)", "千元"),
)


@dataclass(frozen=True)
class ResultTotal:
    """One row of the results table: a measure in one year (None: each KPI's latest
    accepted value), over the KPIs with an accepted value then, against their targets."""

    measure: str
    unit: str
    year: int | None
    cases: int
    actual: int | float
    target: int | float


def _tidy(value: float) -> int | float:
    return int(value) if float(value).is_integer() else round(value, 2)


def result_totals(shown: list[Shown], english: bool = False) -> list[ResultTotal]:
    """Accepted results against targets, by year and to date, from the case files alone.

    For each measure, the KPIs named like the standard one with direction '+' count. A
    year's row adds, over the KPIs with a value accepted for that year, value − baseline,
    against the year's yearly target (逐年目標) − baseline, or the final target − baseline
    when the KPI names none for that year. The "to date" row does the same with each
    KPI's latest accepted value and its final target."""
    rows: list[ResultTotal] = []
    for indicator, name_en, unit in RESULT_MEASURES:
        label = name_en if english else indicator
        kpis = [(s.case.slug, k) for s in shown for k in s.case.kpis if k.indicator == indicator and k.direction == "+"]
        for year in sorted({a.year for _, k in kpis for a in k.actuals}):
            found = [(slug, k, a) for slug, k in kpis for a in k.actuals if a.year == year]
            rows.append(
                ResultTotal(
                    measure=label,
                    unit=unit,
                    year=year,
                    cases=len({slug for slug, _, _ in found}),
                    actual=_tidy(sum(a.value - k.baseline for _, k, a in found)),
                    target=_tidy(sum(k.yearly.get(year, k.target) - k.baseline for _, k, _ in found)),
                )
            )
        reported = [(slug, k) for slug, k in kpis if k.actuals]
        if reported:
            rows.append(
                ResultTotal(
                    measure=label,
                    unit=unit,
                    year=None,
                    cases=len({slug for slug, _ in reported}),
                    actual=_tidy(sum(k.actuals[-1].value - k.baseline for _, k in reported)),
                    target=_tidy(sum(k.target - k.baseline for _, k in reported)),
                )
            )
    return rows


def _statistics(lang: str) -> str:
    shown = cases()
    return render_template(
        "showcase/statistics.html",
        lang=lang,
        figures=figures(shown),
        charts=statistics(shown, english=lang == "en"),
        coverage=coverage(shown),
        results=result_totals(shown, english=lang == "en"),
    )


@bp.route("/statistics/")
def statistics_page() -> str:
    return _statistics("zh")


@bp.route("/en/statistics/")
def statistics_page_en() -> str:
    return _statistics("en")


@bp.route("/search/")
def search() -> str:
    return render_template("showcase/search.html", lang="zh")


@bp.route("/en/search/")
def search_en() -> str:
    return render_template("showcase/search.html", lang="en")


@bp.route("/browse/")
def browse() -> str:
    """Every facet value on one page: with or without JavaScript, every way in."""
    return render_template("showcase/browse.html", lang="zh", facets=facets())


@bp.route("/en/browse/")
def browse_en() -> str:
    return render_template("showcase/browse.html", lang="en", facets=facets("en"))


@bp.route("/<slug>/")
def page(slug: str) -> str:
    return render_template("showcase/page.html", lang="zh", page=page_by_slug(slug))


@bp.route("/en/<slug>/")
def page_en(slug: str) -> str:
    return render_template("showcase/page.html", lang="en", page=page_by_slug(slug))


@bp.route("/404.html")
def not_found_page() -> str:
    return render_template("showcase/404.html", lang="zh")


@bp.route("/robots.txt")
def robots() -> Response:
    sitemap = current_app.config["SITE_URL"].rstrip("/") + "/sitemap.xml"
    return Response(f"User-agent: *\nAllow: /\nSitemap: {sitemap}\n", mimetype="text/plain")


@bp.route("/sitemap.xml")
def sitemap() -> Response:
    base = current_app.config["SITE_URL"].rstrip("/")
    paths = (
        ["/", "/en/", "/cases/", "/en/cases/", "/browse/", "/en/browse/", "/statistics/", "/en/statistics/"]
        + ["/search/", "/en/search/", "/data/"]
        + [f"/{p.slug}/" for p in pages()]
        + [f"/en/{p.slug}/" for p in pages()]
    )
    paths += [f"/cases/{s.case.slug}/" for s in cases()] + [f"/en/cases/{s.case.slug}/" for s in cases()]
    body = render_template("showcase/sitemap.xml", urls=[base + path for path in paths])
    return Response(body, mimetype="application/xml")


def not_found(_error: Exception) -> tuple[str, int]:
    return render_template("showcase/404.html", lang="zh"), 404


def _has(slug: str) -> bool:
    return any(p.slug == slug for p in pages())
