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
    Field("summary_en", "英文摘要（可能空白）", "English summary (may be empty)"),
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
    Field("revision", "核定的提案版本（第幾版）", "The approved version of the proposal (its number)"),
    Field("published", "首次公開日期", "Date first published"),
    Field(
        "published_at",
        "首次公開的時間（臺灣時間，ISO 8601，例如 2026-03-05T14:32:10+08:00）；較早公開、未記錄時間的案例為空白",
        "Time first published (Taiwan time, ISO 8601, e.g. 2026-03-05T14:32:10+08:00); empty for "
        "earlier cases published without a recorded time",
    ),
    Field("updated", "最後更新日期", "Date last updated"),
    Field(
        "updated_at",
        "最後更新的時間（格式同上）；未記錄時空白",
        "Time last updated (format as above); empty when not recorded",
    ),
    Field("url", "案例頁面的相對網址", "Address of the case page, relative to the site"),
)


# What cases.json and cases.geojson carry beyond the flat columns: lists and texts a
# CSV row cannot hold well, so that the JSON has every public field of a case.
NESTED_FIELDS: tuple[Field, ...] = (
    Field(
        "participating",
        "合作鄉鎮市區：每個 {code 代碼、name 名稱（含縣市）}",
        "Participating townships: each {code, name (with its county, in Chinese)}",
    ),
    Field(
        "dna",
        "我的DNA：summary 說明（Markdown 原文）、items 依 人 文 地 產 景 分組的項目清單",
        "The place's DNA: summary (Markdown source) and items, lists grouped under 人 people, 文 culture, "
        "地 land, 產 products and 景 landscape",
    ),
    Field(
        "stakeholders",
        "利害關係人：每個 {name 名稱、sector 部門、role 角色、commitment 投入}，同 stakeholders.csv",
        "Stakeholders: each {name, sector, role, commitment}, as in stakeholders.csv",
    ),
    Field(
        "consensus",
        "形成共識願景過程：events 每場 {date 日期、kind 形式、participants 參與人數、outcome 結論}，"
        "vision 共識願景（Markdown 原文）",
        "How the shared vision was reached: events, each {date, kind, participants (number of people), "
        "outcome}, and vision, the shared vision (Markdown source)",
    ),
    Field(
        "businesses_summary",
        "創生事業構想的總說明（Markdown 原文；可能空白）",
        "Overview of the planned businesses (Markdown source; may be empty)",
    ),
    Field(
        "businesses",
        "每項創生事業：name 事業名稱、where 地點、start 與 end 起訖年月、lead 主責單位、strategies 策略代碼清單、"
        "what 做什麼與 how 怎麼做（Markdown 原文）、"
        "status 最近一次採認的執行狀態（代碼同 business_statuses；沒有時為 null）",
        "Each business: name, where (its place), start and end (year and month), lead (the unit in "
        "charge), strategies (a list of strategy codes), what and how (Markdown source), status at the "
        "latest accepted review (codes as in business_statuses; null when there is none)",
    ),
    Field(
        "resources",
        "經費需求（千元）：by_source 各來源合計 {來源代碼: 金額}、by_year 各年度合計 [{year, amount}]、"
        "grid 經費需求及財源表的每一格 [{source, self_liquidating, year, amount}]，同 funding.csv"
        "（沒有財源表的較早案例為 null）",
        "Funding asked for (NT$ thousand): by_source, the total of each source {source code: amount}; "
        "by_year, the total of each year [{year, amount}]; grid, every cell of the funding table "
        "[{source, self_liquidating, year, amount}], as in funding.csv (null for earlier cases without "
        "a funding table)",
    ),
    Field(
        "support",
        "其他協助需求：每項 {kind 類別（法規調適、土地、人力、技術、其他）、description 說明}",
        "Other support asked for: each {kind (regulatory adjustment, land, staff, technology or other, "
        "in Chinese), description}",
    ),
    Field(
        "matched",
        "核定時媒合的部會計畫：每項 {ministry 部會、programme 計畫、amount 金額（千元）、year 年度}",
        "Ministry programmes matched at approval: each {ministry, programme, amount (NT$ thousand), year}",
    ),
    Field(
        "kpis",
        "每項 KPI：indicator 指標、kind 類型（outcome 成果指標、work 工作指標）、definition 衡量標準、unit 單位、"
        "baseline 現況值、baseline_year 現況年、baseline_source 現況值來源、target 目標值、target_year 目標年、"
        "direction 期望方向（+ 增加、- 減少）、yearly 逐年目標（[{year, value}]）、actuals 輔導團年底檢核採認的實際值"
        "（每年一筆 {year, value}，依年度排列；沒有採認值時為空清單）",
        "Each KPI: indicator, kind (outcome or work indicator), definition (how it is measured), unit, "
        "baseline, baseline_year, baseline_source, target, target_year, direction (+ to increase, - to "
        "decrease), yearly (the yearly targets, [{year, value}]), actuals: the values the counselling "
        "team accepted at its year-end reviews (one {year, value} a year, in order of year; an empty "
        "list when none was accepted)",
    ),
    Field(
        "benefits",
        "不可量化效益：文字清單（可能為空清單）",
        "Benefits that cannot be counted: a list of texts (may be empty)",
    ),
    Field(
        "closing_lessons",
        "結案檢討的經驗分享；尚未結案時為 null",
        "Lessons shared at the closing review; null while the case is open",
    ),
)
