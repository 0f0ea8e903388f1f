"""The names of the codes a case file carries, in the page's language.

Places and strategies take their English from the reference data (townships.csv,
regions.csv, strategies.csv); a region's English name is its counties' names from
regions.csv. The programme's own vocabulary (types, funding sources, statuses, …)
has no English in the reference data: its Chinese labels are marked here for the
message catalogue, which gives their English.
"""

from __future__ import annotations

from portal.i18n import N_, gettext, language
from portal.reference import read_csv

TYPES = {"township": N_("鄉鎮單元"), "regional": N_("區域型"), "thematic": N_("主題型")}
SOURCES = {
    "central": N_("中央部會計畫"),
    "ndf": N_("國發基金"),
    "county": N_("縣市政府"),
    "township": N_("鄉鎮市區公所"),
    "hualien_taitung": N_("花東基金"),
    "private": N_("民間投資"),
    "other": N_("其他"),
}
DIRECTIONS = {"+": N_("期望增加"), "-": N_("期望減少")}
KPI_KINDS = {"outcome": N_("成果指標"), "work": N_("工作指標")}
BUSINESS_STATUSES = {
    "not_started": N_("未開始"),
    "in_progress": N_("進行中"),
    "done": N_("完成"),
    "delayed": N_("延後"),
    "cancelled": N_("取消"),
}
RATINGS = {"on_track": N_("符合進度"), "at_risk": N_("需關注"), "off_track": N_("落後")}
# Codes that are themselves Chinese: the case file stores the label.
SECTORS = {code: code for code in (N_("產"), N_("官"), N_("學"), N_("研"), N_("社"), N_("金"))}
DNA_GROUPS = {code: code for code in (N_("人"), N_("文"), N_("地"), N_("產"), N_("景"))}
SUPPORT_KINDS = {code: code for code in (N_("法規調適"), N_("土地"), N_("人力"), N_("技術"), N_("其他"))}
CONSENSUS_KINDS = {
    code: code for code in (N_("說明會"), N_("工作坊"), N_("座談會"), N_("公聽會"), N_("地方會議"), N_("其他"))
}
PRIORITY_KINDS = {code: code for code in (N_("農山漁村"), N_("中介城鎮"), N_("原鄉"))}

_STRATEGIES = {row["code"]: (row["name_zh"], row["name_en"]) for row in read_csv("strategies.csv")}
STRATEGIES = {code: zh for code, (zh, _en) in _STRATEGIES.items()}
_TOWNSHIPS = {row["code"]: (row["township_zh"], row["township_en"]) for row in read_csv("townships.csv")}
_COUNTIES = {row["code"][:5]: (row["county_zh"], row["county_en"]) for row in read_csv("townships.csv")}


def _region_names() -> dict[str, str]:
    """Each region's English name: its counties' English names, each once
    (新竹縣 and 新竹市 are both Hsinchu), e.g. "Taoyuan, Hsinchu and Miaoli"."""
    counties: dict[str, list[str]] = {}
    for row in read_csv("regions.csv"):
        name = row["county_en"].removesuffix(" City").removesuffix(" County")
        if name not in counties.setdefault(row["region"], []):
            counties[row["region"]].append(name)
    return {region: ", ".join(names[:-1]) + " and " + names[-1] for region, names in counties.items()}


REGIONS_EN = _region_names()


def english() -> bool:
    return language() == "en"


def coded(table: dict[str, str], code: str) -> str:
    """The label of `code` in one of the tables above, translated; an unknown code as it is."""
    return gettext(table[code]) if code in table else code


def strategy(code: str) -> str:
    zh, en = _STRATEGIES.get(code, (code, code))
    return en if english() else zh


def region(name: str) -> str:
    return REGIONS_EN.get(name, name) if english() else name


# Every county's code (5 digits), in the reference data's order.
COUNTY_CODES: tuple[str, ...] = tuple(_COUNTIES)


def county(code: str) -> str:
    zh, en = _COUNTIES.get(code[:5], (code, code))
    return en if english() else zh


def township(code: str) -> str:
    """A township's name; in English with its county ("Puli Township, Nantou County"),
    in Chinese as the case file writes participating townships (南投縣埔里鎮)."""
    zh, en = _TOWNSHIPS.get(code, (code, code))
    return f"{en}, {county(code)}" if english() else county(code) + zh


def township_name(code: str) -> str:
    """A township's name alone (埔里鎮, Puli Township)."""
    zh, en = _TOWNSHIPS.get(code, (code, code))
    return en if english() else zh


def cycle(year: str) -> str:
    return gettext("%(year)s 梯次", year=year)


TABLES = {
    "type": TYPES,
    "source": SOURCES,
    "direction": DIRECTIONS,
    "kpi_kind": KPI_KINDS,
    "status": BUSINESS_STATUSES,
    "rating": RATINGS,
    "sector": SECTORS,
    "dna": DNA_GROUPS,
    "support": SUPPORT_KINDS,
    "consensus": CONSENSUS_KINDS,
    "priority": PRIORITY_KINDS,
}
_NAMED = {
    "strategy": strategy,
    "region": region,
    "county": county,
    "township": township,
    "township_name": township_name,
    "cycle": cycle,
}


def label(kind: str, code: str) -> str:
    """`label("type", "regional")` is 區域型 on a Chinese page and Regional on an English one."""
    if kind in _NAMED:
        return _NAMED[kind](code)
    return coded(TABLES[kind], code)
