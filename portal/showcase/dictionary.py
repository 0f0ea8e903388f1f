"""The open data's dictionary: every column and list of cases.json, cases.csv and
cases.geojson with what it means, in Chinese and in English side by side.

A new column is one more `Field` here, with both texts; the data page shows the one of
its language, and the files take their column names and order from these tuples.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Field:
    name: str
    zh: str
    en: str

    def meaning(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh


# The flat columns, in order (cases.csv, and each record of cases.json).
DATA_FIELDS: tuple[Field, ...] = (
    Field(
        "slug",
        "案例代號（網址中的名稱），不會改變",
        "The case's identifier (its name in the address); it never changes",
    ),
    Field("cycle", "提案梯次（年度）", "The proposal's round (its year)"),
    Field("title", "提案名稱", "Title of the proposal, in Chinese"),
    Field("title_en", "英文名稱（可能空白）", "English title (may be empty)"),
    Field(
        "type",
        "提案類型：township 鄉鎮單元、regional 區域型、thematic 主題型",
        "Type of proposal: township (one township), regional (a hub town with its neighbours), "
        "thematic (one theme across places)",
    ),
    Field("region", "區域（七區）", "Region (one of seven), by its Chinese name"),
    Field("county_code", "縣市代碼（5 碼）", "County code (5 digits)"),
    Field("county", "縣市名稱", "County name, in Chinese"),
    Field(
        "township_code",
        "主提案鄉鎮市區代碼（8 碼，內政部）",
        "Code of the lead township (8 digits, Ministry of the Interior)",
    ),
    Field("township", "主提案鄉鎮市區名稱", "Name of the lead township, in Chinese"),
    Field(
        "participating_codes",
        "合作鄉鎮市區代碼，以分號分隔",
        "Codes of the participating townships, separated by semicolons",
    ),
    Field("theme", "主題", "Theme, in Chinese"),
    Field(
        "strategies",
        "對應策略（五支箭）代碼，以分號分隔",
        "Codes of the strategies (the five arrows) the case uses, separated by semicolons",
    ),
    Field("budget_total", "經費需求合計（新臺幣千元）", "Total funding asked for (NT$ thousand)"),
    Field(
        "private_share",
        "經費需求中民間投資的比例（0 到 1）",
        "Share of private investment in the funding asked for (0 to 1)",
    ),
    Field(
        "non_self_liquidating_total",
        "經費需求中非自償的合計（千元）；沒有經費需求及財源表的較早案例為空白",
        "Total of the funding that is not self-liquidating (NT$ thousand); empty for earlier cases "
        "without a funding table",
    ),
    Field(
        "self_liquidating_total",
        "經費需求中自償的合計（千元）；同上",
        "Total of the self-liquidating funding, paid back from income (NT$ thousand); empty as above",
    ),
    Field(
        "funding_grid",
        "經費需求及財源表的每一格，寫成「來源代碼:non 或 self:西元年度=金額（千元）」，以分號分隔，"
        "例如 county:non:2021=891；non 為非自償、self 為自償，來源代碼同案例檔的 resources.by_source",
        "Every cell of the funding table as source:non or self:year=amount (NT$ thousand), separated "
        "by semicolons, e.g. county:non:2021=891; non is not self-liquidating, self is self-liquidating; "
        "the source codes are those of resources.by_source in the case file",
    ),
    Field(
        "matched_total",
        "核定時媒合的部會計畫金額合計（千元）",
        "Total of the ministry programmes matched at approval (NT$ thousand)",
    ),
    Field(
        "private_investment", "核定時民間承諾投資（千元）", "Private investment committed at approval (NT$ thousand)"
    ),
    Field(
        "kpi_actuals",
        "輔導團年底檢核採認的 KPI 實際值，寫成「KPI 序號:西元年度=數值」，以分號分隔，例如 1:2026=12;2:2026=-3；"
        "序號是 KPI 在案例頁與案例檔 kpis 中的順序（從 1 起算），數值單位同該 KPI；沒有採認值時空白",
        "KPI values the counselling team accepted at its year-end reviews, as number:year=value, separated "
        "by semicolons, e.g. 1:2026=12;2:2026=-3; the number is the KPI's position on the case page and in "
        "the case file's kpis (from 1), the value is in the KPI's unit; empty when none was accepted",
    ),
    Field(
        "business_statuses",
        "最近一次採認的年底檢核中各事業的執行狀態，寫成「事業序號:狀態」，以分號分隔，例如 1:in_progress;2:done；"
        "狀態為 not_started 未開始、in_progress 進行中、done 完成、delayed 延後、cancelled 取消；沒有時空白",
        "Each business's status at the latest accepted year-end review, as number:status, separated by "
        "semicolons, e.g. 1:in_progress;2:done; a status is not_started, in_progress, done, delayed or "
        "cancelled; empty when there is none",
    ),
    Field(
        "progress_year",
        "最近一次採認的年底檢核所屬年度；沒有時空白",
        "Year of the latest accepted year-end review; empty when there is none",
    ),
    Field(
        "progress_rating",
        "該次年底檢核結果：on_track 符合進度、at_risk 需關注、off_track 落後；沒有時空白",
        "Rating of that review: on_track, at_risk (needs attention) or off_track (behind schedule); "
        "empty when there is none",
    ),
    Field(
        "closing_rating",
        "結案檢討的評等（代碼同上）；尚未結案時空白",
        "Rating of the closing review (codes as above); empty while the case is open",
    ),
    Field("decision_meeting", "核定的會議", "The meeting that approved the case, in Chinese"),
    Field("decision_date", "核定日期", "Date of approval"),
    Field("published", "首次公開日期", "Date first published"),
    Field("updated", "最後更新日期", "Date last updated"),
    Field("url", "案例頁面的相對網址", "Address of the case page, relative to the site"),
)


# What cases.json and cases.geojson carry beyond the flat columns: lists a CSV cannot hold.
NESTED_FIELDS: tuple[Field, ...] = (
    Field(
        "kpis",
        "每項 KPI：indicator 指標、unit 單位、baseline 現況值、baseline_year 現況年、target 目標值、"
        "target_year 目標年、direction 期望方向（+ 增加、- 減少）、actuals 輔導團年底檢核採認的實際值"
        "（每年一筆 {year, value}，依年度排列；沒有採認值時為空清單）",
        "Each KPI: indicator, unit, baseline, baseline_year, target, target_year, direction (+ to "
        "increase, - to decrease), actuals: the values the counselling team accepted at its year-end "
        "reviews (one {year, value} a year, in order of year; an empty list when none was accepted)",
    ),
    Field(
        "businesses",
        "每項創生事業：name 事業名稱、start 與 end 起訖年月、status 最近一次採認的執行狀態（代碼同上；沒有時為 null）",
        "Each business: name, start and end (year and month), status at the latest accepted review "
        "(codes as above; null when there is none)",
    ),
)
