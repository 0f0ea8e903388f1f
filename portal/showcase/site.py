"""The showcase's pages. Everything here is public by construction: it reads only the
site pages and the published case files."""

from __future__ import annotations

import datetime as dt
import json
import mimetypes
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from flask import Blueprint, Flask, abort, current_app, g, render_template, request, url_for
from markupsafe import Markup, escape
from werkzeug.wrappers import Response

from portal import text
from portal.domain import followup, spreadsheet
from portal.domain.funding import NON_SELF, SELF, percent, roc_year
from portal.i18n import N_, language, ngettext
from portal.i18n import gettext as _
from portal.reference import PRIORITY_KINDS
from portal.showcase import charts, labels, mapsvg, opendata
from portal.showcase.cases import Shown, cache_file, load_cases, load_priority
from portal.showcase.content import Page, load_pages
from portal.showcase.dictionary import DATA_FIELDS, NESTED_FIELDS
from portal.snapshot import Actual, Case, FrontMatterCache, Kpi, Resources

bp = Blueprint("site", __name__)


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
    app.extensions["showcase.facets"] = _facets(app.extensions["showcase.cases"])
    app.register_blueprint(bp)
    app.register_error_handler(404, not_found)
    app.jinja_env.filters["safe_page"] = text.cached
    app.jinja_env.filters["roc"] = roc
    app.jinja_env.filters["zh"] = chinese
    app.jinja_env.filters["zh_words"] = chinese_words
    app.jinja_env.globals.update(
        percent=percent, label=labels.label, facet_label=facet_label, lang_url=lang_url, other_url=other_url
    )
    app.context_processor(lambda: {"site_pages": pages(), "content_lang": content_lang()})


@bp.before_app_request
def _page_language() -> None:
    """English pages are the endpoints named `…_en`; everything else is Chinese."""
    g.lang = "en" if (request.endpoint or "").endswith("_en") else "zh"


def _template_url_for(endpoint: str, **values: Any) -> str:
    """The templates' url_for: relative once the freezer has set it up, so that links
    work under a sub-path like every other link of the built site."""
    link = cast(Callable[..., str], current_app.jinja_env.globals.get("url_for", url_for))
    return link(endpoint, **values)


def lang_url(endpoint: str, **values: Any) -> str:
    """The address of `endpoint` in the current page's language."""
    return _template_url_for(endpoint + ("_en" if language() == "en" else ""), **values)


def other_url(endpoint: str, **values: Any) -> str:
    """The address of `endpoint` in the other language: the language switch."""
    return _template_url_for(endpoint + ("" if language() == "en" else "_en"), **values)


ZH = ' lang="zh-Hant-TW"'
# The language of case text and other Chinese-only data, by page language, where it differs.
CONTENT_LANG = {"en": "zh-Hant-TW"}


def content_lang() -> Markup:
    """The attribute that marks case content without English on an English page, so that
    browsers and screen readers read it as Chinese (and the chrome check skips it)."""
    return Markup(ZH if language() == "en" else "")


def chinese(value: object) -> Markup:
    """Case text, marked as Chinese on an English page."""
    if language() != "en" or not str(value):
        return escape(value)
    return Markup(f"<span{ZH}>{escape(value)}</span>")


# A run of Chinese characters.
CHINESE_RUN = re.compile(r"[\u3400-\u9fff]+")


def chinese_words(value: object) -> Markup:
    """English text quoting Chinese words (codes such as 產 or 人), each run of them
    marked as Chinese on an English page."""
    text = str(escape(value))
    if language() != "en":
        return Markup(text)
    return Markup(CHINESE_RUN.sub(lambda match: f"<span{ZH}>{match.group()}</span>", text))


def roc(year: int) -> str:
    """A 民國 year as a township writes it (「115年」), in the page's language."""
    return _("%(year)d年", year=roc_year(year))


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
            for key, listed in values.items():
                for number in range(1, page_count(len(listed)) + 1):
                    yield f"site.facet{suffix}", {"facet": name, "key": key, "page": number}
    for page in pages():
        yield "site.page", {"slug": page.slug}
        yield "site.page_en", {"slug": page.slug}


# The portal package: the showcase's code, the reference data and the catalogues.
CODE = Path(__file__).resolve().parent.parent


def _site_changed() -> dt.datetime:
    """The newest template, stylesheet, site page or file of this package's code and
    catalogues: a change there re-renders every page (a changed chart or translation
    reaches the case pages too)."""
    roots = [
        Path(current_app.template_folder or ""),
        Path(current_app.static_folder or ""),
        Path(current_app.config["CONTENT_DIR"]),
        CODE,
    ]
    times = [
        p.stat().st_mtime
        for root in roots
        if root.is_dir()
        for p in root.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    ]
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
    per_county = Counter(s.case.county.code for s in shown)
    counties = {code: "has-cases many" if n > 1 else "has-cases" for code, n in per_county.items()}
    tooltips = {code: _county_tooltip(code, per_county[code]) for code in labels.COUNTY_CODES}
    endpoint = "site.case_en" if lang == "en" else "site.case"
    # The templates' url_for: relative once the freezer has set it up, so the map's links
    # work under a sub-path like every other link of the built site.
    link = cast(Callable[..., str], current_app.jinja_env.globals.get("url_for", url_for))
    markers = [
        mapsvg.Marker(
            township_code=s.case.township.code,
            label=_(
                "%(township)s：%(title)s",
                township=labels.township(s.case.township.code),
                title=(s.case.title_en if lang == "en" else None) or s.case.title,
            ),
            url=link(endpoint, slug=s.case.slug),
            lang="zh-Hant-TW" if lang == "en" and not s.case.title_en else None,
        )
        for s in shown
    ]
    title = _("已公開案例分布地圖")
    svg = mapsvg.render_svg(mapsvg.load_map(), counties, markers, title, tooltips, legend=map_legend(per_county))
    return Markup(svg)


def _county_tooltip(code: str, count: int) -> str:
    """A county's name with its number of cases as lead county (「臺東縣：2 件案例」)."""
    if not count:
        return _("%(county)s：尚無案例", county=labels.county(code))
    return ngettext("%(county)s：%(num)d 件案例", "%(county)s：%(num)d 件案例", count, county=labels.county(code))


def map_legend(per_county: Counter[str]) -> list[mapsvg.LegendEntry]:
    """What the map's colours and dots mean, each with its number."""
    one = sum(1 for n in per_county.values() if n == 1)
    many = sum(1 for n in per_county.values() if n > 1)
    none = len(labels.COUNTY_CODES) - one - many
    cases_total = sum(per_county.values())
    return [
        mapsvg.LegendEntry(_("1 件案例的縣市：%(num)d", num=one), "has-cases"),
        mapsvg.LegendEntry(_("2 件以上案例的縣市：%(num)d", num=many), "has-cases many"),
        mapsvg.LegendEntry(_("尚無案例的縣市：%(num)d", num=none), "no-cases"),
        mapsvg.LegendEntry(_("案例（主提案鄉鎮市區）：%(num)d", num=cases_total), "map-marker", marker=True),
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
    return _listing(cases(), _("所有案例"), page, "site.case_list")


@bp.route("/en/cases/", defaults={"page": 1})
@bp.route("/en/cases/page/<int:page>/")
def case_list_en(page: int) -> str:
    return _listing(cases(), _("所有案例"), page, "site.case_list_en", lang="en")


def _case_page(slug: str, lang: str) -> str:
    shown = case_by_slug(slug)
    c = shown.case
    schedule = charts.schedule_chart(
        "schedule",
        _("創生事業時程"),
        [charts.Span(b.name, b.start, b.end) for b in c.businesses],
        lang=CONTENT_LANG.get(lang),
    )
    funding = charts.bar_chart(
        "funding",
        _("經費來源（千元）"),
        [(labels.label("source", src), float(amount)) for src, amount in c.resources.by_source.items()],
        stacked=lang == "en",
    )
    return render_template(
        "showcase/case.html",
        lang=lang,
        s=shown,
        results=case_results(c),
        sources={code: labels.label("source", code) for code in labels.SOURCES},
        regions=REGIONS,
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


def case_results(case: Case) -> CaseResults:
    kpis = [kpi_result(kpi) for kpi in case.kpis]
    businesses = [(b.name, labels.label("status", b.status)) for b in case.businesses if b.status is not None]
    return CaseResults(
        kpis=kpis,
        businesses=businesses,
        rating=labels.label("rating", case.progress.rating) if case.progress else None,
        closing_rating=labels.label("rating", case.closing.rating) if case.closing else None,
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
# The region of each ascii path name.
REGION_NAMES = {path: name for name, path in REGIONS.items()}


Facets = dict[str, dict[str, list[Shown]]]


def facets() -> Facets:
    """Every way into the cases (worked out once, when the app starts)."""
    loaded: Facets = current_app.extensions["showcase.facets"]
    return loaded


def _facets(shown: list[Shown]) -> Facets:
    """Every way into the cases, each value with its cases; only values that have
    cases, so no empty page is built. Labels come with the page (`facet_label`)."""
    found: Facets = {
        "county": {},
        "region": {},
        "strategy": {},
        "type": {},
        "year": {},
    }
    for s in shown:
        c = s.case
        # A cross-county case is listed on the page of every county taking part.
        partners = sorted({p.code[:5] for p in c.participating} - {c.county.code})
        keys = [
            ("county", c.county.code),
            *(("county", code) for code in partners),
            ("region", REGIONS.get(c.region, c.region)),
            ("type", c.type),
            ("year", c.cycle),
            *(("strategy", code) for code in c.strategies),
        ]
        for facet, key in keys:
            found[facet].setdefault(key, []).append(s)
    return found


def facet_label(facet: str, key: str) -> str:
    """The name of one facet value in the page's language: 澎湖縣 or Penghu County."""
    if facet == "region":
        return labels.region(REGION_NAMES.get(key, key))
    return labels.label("cycle" if facet == "year" else facet, key)


@bp.route("/<any(county, region, strategy, type, year):facet>/<key>/", defaults={"page": 1})
@bp.route("/<any(county, region, strategy, type, year):facet>/<key>/page/<int:page>/")
def facet(facet: str, key: str, page: int) -> str:
    shown = facets()[facet].get(key) or abort(404)
    return _listing(shown, facet_label(facet, key), page, "site.facet", facet=facet, key=key)


@bp.route("/en/<any(county, region, strategy, type, year):facet>/<key>/", defaults={"page": 1})
@bp.route("/en/<any(county, region, strategy, type, year):facet>/<key>/page/<int:page>/")
def facet_en(facet: str, key: str, page: int) -> str:
    shown = facets()[facet].get(key) or abort(404)
    return _listing(shown, facet_label(facet, key), page, "site.facet_en", lang="en", facet=facet, key=key)


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


def _data_page(lang: str) -> str:
    return render_template(
        "showcase/data.html",
        lang=lang,
        fields=DATA_FIELDS,
        nested=NESTED_FIELDS,
        tables=opendata.TABLES,
        count=len(cases()),
    )


@bp.route("/data/")
def data_page() -> str:
    return _data_page("zh")


@bp.route("/en/data/")
def data_page_en() -> str:
    return _data_page("en")


@bp.route("/data/cases.json")
def data_json() -> Response:
    body = {
        "fields": [field.name for field in DATA_FIELDS],
        "nested": [field.name for field in NESTED_FIELDS],
        "cases": json_records(),
    }
    return Response(json.dumps(body, ensure_ascii=False, indent=2), mimetype="application/json")


@bp.route("/data/cases.csv")
def data_csv() -> Response:
    """UTF-8 with a byte-order mark, so Excel opens the Chinese correctly."""
    return Response(spreadsheet.csv_text([field.name for field in DATA_FIELDS], records()), mimetype="text/csv")


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
    lang: str | None = None  # the rows' language, when it is not the page's

    @property
    def svg(self) -> Markup:
        # English names run longer than the label column: each goes above its bar.
        return charts.bar_chart(self.ident, self.heading, self.rows, self.unit, self.lang, language() == "en")


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


def statistics(shown: list[Shown]) -> list[Chart]:
    """Every chart of the statistics page, computed from the published files alone,
    labelled in the page's language."""
    funding: Counter[str] = Counter()
    ministries: Counter[str] = Counter()
    for s in shown:
        for source, amount in s.case.resources.by_source.items():
            funding[source] += amount
        for m in s.case.matched:
            ministries[m.ministry] += m.amount
    by_region = _counted([s.case.region for s in shown], list(REGIONS))
    by_strategy = _counted([c for s in shown for c in s.case.strategies], list(labels.STRATEGIES))
    by_type = _counted([s.case.type for s in shown], list(labels.TYPES))
    return [
        Chart("by-region", _("各區域案例數"), "", [(labels.region(name), n) for name, n in by_region]),
        Chart(
            "by-strategy",
            _("各策略（五支箭）案例數（一案可對應多項）"),
            "",
            [(labels.strategy(code), n) for code, n in by_strategy],
        ),
        Chart("by-type", _("各提案類型案例數"), "", [(labels.label("type", code), n) for code, n in by_type]),
        Chart(
            "by-year",
            _("各梯次案例數"),
            "",
            _counted([s.case.cycle for s in shown], sorted({s.case.cycle for s in shown})),
        ),
        Chart(
            "funding",
            _("經費需求依來源（千元）"),
            "",
            [(labels.label("source", code), float(funding[code])) for code in labels.SOURCES if funding[code]],
        ),
        Chart(
            "matched",
            _("媒合部會資源依部會（千元）"),
            "",
            [(name, float(amount)) for name, amount in sorted(ministries.items(), key=lambda kv: (-kv[1], kv[0]))],
            # The reference programmes name their ministries in Chinese only.
            lang=CONTENT_LANG.get(language()),
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


# Results counted on the statistics page: the standard KPI's indicator, its row heading
# (for the catalogue) and unit. Only KPIs that rise ('+') count, each as its value minus
# its baseline.
RESULT_MEASURES: tuple[tuple[str, str, str], ...] = (
    ("新增工作機會", N_("新增工作機會（人）"), "人"),
    ("青年返鄉/移居人數", N_("青年返鄉/移居人數（人）"), "人"),
    ("民間投資金額", N_("民間投資金額（千元）"), "千元"),
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


def result_totals(shown: list[Shown]) -> list[ResultTotal]:
    """Accepted results against targets, by year and to date, from the case files alone.

    For each measure, the KPIs named like the standard one with direction '+' count. A
    year's row adds, over the KPIs with a value accepted for that year, value − baseline,
    against the year's yearly target (逐年目標) − baseline, or the final target − baseline
    when the KPI names none for that year. The "to date" row does the same with each
    KPI's latest accepted value and its final target."""
    rows: list[ResultTotal] = []
    for indicator, heading, unit in RESULT_MEASURES:
        label = _(heading)
        kpis = [(s.case.slug, k) for s in shown for k in s.case.kpis if k.indicator == indicator and k.direction == "+"]
        for year in sorted({a.year for _slug, k in kpis for a in k.actuals}):
            found = [(slug, k, a) for slug, k in kpis for a in k.actuals if a.year == year]
            rows.append(
                ResultTotal(
                    measure=label,
                    unit=unit,
                    year=year,
                    cases=len({slug for slug, _k, _a in found}),
                    actual=_tidy(sum(a.value - k.baseline for _slug, k, a in found)),
                    target=_tidy(sum(k.yearly.get(year, k.target) - k.baseline for _slug, k, _a in found)),
                )
            )
        reported = [(slug, k) for slug, k in kpis if k.actuals]
        if reported:
            rows.append(
                ResultTotal(
                    measure=label,
                    unit=unit,
                    year=None,
                    cases=len({slug for slug, _k in reported}),
                    actual=_tidy(sum(k.actuals[-1].value - k.baseline for _slug, k in reported)),
                    target=_tidy(sum(k.target - k.baseline for _slug, k in reported)),
                )
            )
    return rows


def _statistics(lang: str) -> str:
    shown = cases()
    return render_template(
        "showcase/statistics.html",
        lang=lang,
        figures=figures(shown),
        charts=statistics(shown),
        coverage=coverage(shown),
        results=result_totals(shown),
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
    return render_template("showcase/browse.html", lang="en", facets=facets())


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
        + ["/search/", "/en/search/", "/data/", "/en/data/"]
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
