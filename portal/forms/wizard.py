"""One form per step of the proposal wizard.

Forms check format only (numbers are numbers, dates are dates, text within its budget);
completeness is judged on the check page by `portal.domain.brief.check`, so a draft
can always be saved half-done.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from wtforms import (
    EmailField,
    FieldList,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.fields import DateField, DecimalField, MonthField
from wtforms.validators import Email, Length, NumberRange, Optional, ValidationError

from portal.domain import brief, funding
from portal.domain.proposal import DNA_GROUPS, ProposalType
from portal.forms import NumberField, PortalForm, RowForm, WholeNumberField, choices, single_line

AMOUNT_MAX = 100_000_000  # NT$ thousand: 100 billion, far above any real proposal
YEAR_MIN, YEAR_MAX = 2019, 2040
NUMBER_LIMIT = Decimal("1e12")


class CountedLength(Length):
    """Length that reports the current count, so the user knows how much to cut."""

    def __call__(self, form: Any, field: Any) -> None:
        length = len(field.data or "")
        if self.max != -1 and length > self.max:
            raise ValidationError(f"超過 {self.max} 字（目前 {length} 字），請精簡。")


def text(path: str) -> CountedLength:
    return CountedLength(max=brief.BUDGETS[path])


def no_control_characters(form: Any, field: Any) -> None:
    """Control characters (other than line breaks and tabs) come only from crafted posts."""
    value = field.data or ""
    if any(ord(c) < 32 and c not in "\n\r\t" for c in value):
        raise ValidationError("含有無法顯示的控制字元，請重新輸入。")


def finite_number(form: Any, field: Any) -> None:
    """Decimal accepts 'NaN', 'Infinity' and 1e999999; none of them is a KPI value."""
    value = field.data
    if value is not None and (not value.is_finite() or abs(value) >= NUMBER_LIMIT):
        raise ValidationError("請填寫一般的數字（可為負數或小數）。")


def month_in_range(form: Any, field: Any) -> None:
    if field.data and not (2000 <= field.data.year <= YEAR_MAX):
        raise ValidationError(f"年月必須在 2000 年到 {YEAR_MAX} 年之間，例如 2026-03")


def checkboxes(label: str, **kwargs: Any) -> SelectMultipleField:
    return SelectMultipleField(
        label,
        option_widget=widgets.CheckboxInput(),
        widget=widgets.ListWidget(prefix_label=False),
        **kwargs,
    )


class SectionForm(PortalForm):
    """Every step carries the version of its section it was loaded from."""

    version = HiddenField()
    # Press "save anyway" after a conflict: the version is then the one just seen.
    overwrite = HiddenField()


# --- basics ---------------------------------------------------------------------------------


class BasicsForm(SectionForm):
    title = StringField(
        "提案名稱",
        validators=[text("title"), single_line],
        description="一句話說出要做的事與地方，例如「埔里山城共好：生態旅遊與農產加值」。",
    )
    type = RadioField(
        "提案類型",
        choices=choices((t.value, t.label) for t in ProposalType),
        default=ProposalType.TOWNSHIP.value,
        description="鄉鎮單元：一個鄉鎮市區；區域型：以一個鄉鎮為核心，結合周邊鄉鎮；主題型：跨地區的共同主題。",
    )
    lead_township = SelectField("主提案鄉鎮市區", validate_choice=True)
    participating = SelectMultipleField(
        "合作鄉鎮市區",
        validate_choice=True,
        description="區域型至少需要 2 個合作鄉鎮市區。按住 Ctrl（Mac 為 ⌘）可複選。",
    )
    theme = StringField(
        "主題",
        validators=[text("basics.theme"), single_line],
        description="例如：生態旅遊與農產加值",
    )
    contact_name = StringField(
        "聯絡人姓名",
        validators=[Length(max=40, message="請在 40 字以內"), single_line],
        description="只供審查聯繫使用，不會公開。",
    )
    contact_phone = StringField("聯絡電話", validators=[Length(max=30, message="請在 30 字以內"), single_line])
    contact_email = EmailField(
        "聯絡電子郵件",
        validators=[Optional(), single_line, Email("電子郵件格式不正確"), Length(max=254, message="請在 254 字以內")],
    )
    title_en = StringField("英文名稱（選填）", validators=[text("basics.title_en"), single_line])
    summary_en = TextAreaField(
        "英文摘要（選填）",
        validators=[text("basics.summary_en"), no_control_characters],
        description="公開展示網站的英文版會顯示這段摘要。",
    )


# --- 我的DNA --------------------------------------------------------------------------------

DNA_LABELS = {
    "人": "人（人物、族群、社群）",
    "文": "文（文化、歷史、祭典）",
    "地": "地（地理、環境）",
    "產": "產（產業、特產）",
    "景": "景（景觀、地標）",
}


class DnaForm(SectionForm):
    summary = TextAreaField(
        "DNA 摘要",
        validators=[text("dna.summary"), no_control_characters],
        description="用幾句話說明這裡和別處不一樣的地方。可用 **粗體** 與條列。",
    )
    items_people = TextAreaField(DNA_LABELS["人"], validators=[no_control_characters])
    items_culture = TextAreaField(DNA_LABELS["文"], validators=[no_control_characters])
    items_land = TextAreaField(DNA_LABELS["地"], validators=[no_control_characters])
    items_industry = TextAreaField(DNA_LABELS["產"], validators=[no_control_characters])
    items_landscape = TextAreaField(DNA_LABELS["景"], validators=[no_control_characters])

    def validate(self, extra_validators: Any = None) -> bool:
        ok: bool = super().validate(extra_validators)
        limit, per = brief.BUDGETS["dna.item"], brief.ROW_LIMITS["dna.items_per_group"]
        for group in DNA_GROUPS:
            field = getattr(self, brief.DNA_FIELDS[group])
            lines = split_lines(field.data)
            if len(lines) > per:
                field.errors.append(f"每一類最多 {per} 項（目前 {len(lines)} 項）。")
                ok = False
            for number, line in enumerate(lines, start=1):
                if len(line) > limit:
                    field.errors.append(f"第 {number} 項超過 {limit} 字（目前 {len(line)} 字）。")
                    ok = False
        return ok


def split_lines(value: str | None) -> list[str]:
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


# --- 利害關係人 -----------------------------------------------------------------------------

SECTOR_LABELS = {
    "產": "產（產業）",
    "官": "官（政府）",
    "學": "學（學校）",
    "研": "研（研究機構）",
    "社": "社（社區、團體）",
    "金": "金（金融）",
}


class StakeholderRow(RowForm):
    name = StringField("單位或姓名", validators=[text("stakeholder.name"), single_line])
    sector = SelectField("類別", choices=choices([("", "請選擇"), *SECTOR_LABELS.items()]), validate_choice=True)
    role = StringField("角色", validators=[text("stakeholder.role"), single_line])
    commitment = StringField("投入（資金、土地、人力、知識）", validators=[text("stakeholder.commitment"), single_line])


class StakeholdersForm(SectionForm):
    rows = FieldList(FormField(StakeholderRow), min_entries=1, max_entries=brief.ROW_LIMITS["stakeholders"])


# --- 形成共識願景過程 -----------------------------------------------------------------------


class ConsensusEvent(RowForm):
    date = DateField("日期", validators=[Optional()], format="%Y-%m-%d")
    kind = SelectField(
        "形式",
        choices=choices([("", "請選擇"), *((k, k) for k in brief.CONSENSUS_KINDS)]),
        validate_choice=True,
    )
    participants = WholeNumberField(
        "參與人數",
        validators=[Optional(), NumberRange(min=1, max=100_000, message="請填 1 到 100000 的整數")],
    )
    outcome = StringField("結論", validators=[text("consensus.outcome"), single_line])

    def validate_date(self, field: DateField) -> None:
        if field.data and not (2000 <= field.data.year <= YEAR_MAX):
            raise ValidationError(f"日期必須在 2000 年到 {YEAR_MAX} 年之間")


class ConsensusForm(SectionForm):
    events = FieldList(FormField(ConsensusEvent), min_entries=1, max_entries=brief.ROW_LIMITS["consensus.events"])
    vision = TextAreaField(
        "共識願景",
        validators=[text("consensus.vision"), no_control_characters],
        description="大家一起畫出的靶心：十年後這裡會是什麼樣子？",
    )


# --- 創生事業構想 ---------------------------------------------------------------------------

STRATEGY_CHOICES = choices(
    [
        ("hometown_investment", "企業投資故鄉"),
        ("technology", "科技導入"),
        ("ministry_resources", "整合部會創生資源"),
        ("social_participation", "社會參與創生"),
        ("brand", "品牌建立"),
    ]
)


class BusinessItem(RowForm):
    name = StringField("事業名稱", validators=[text("business.name"), single_line])
    what = TextAreaField("做什麼", validators=[text("business.what"), no_control_characters])
    where = StringField("地點", validators=[text("business.where"), single_line])
    start = MonthField("開始（年月）", validators=[Optional(), month_in_range], format="%Y-%m")
    end = MonthField("結束（年月）", validators=[Optional(), month_in_range], format="%Y-%m")
    how = TextAreaField("怎麼做", validators=[text("business.how"), no_control_characters])
    lead = StringField("主責單位", validators=[text("business.lead"), single_line])
    strategies = checkboxes("對應策略（五支箭）", choices=STRATEGY_CHOICES, validate_choice=True)


class BusinessesForm(SectionForm):
    summary = TextAreaField("事業構想摘要", validators=[text("businesses.summary"), no_control_characters])
    items = FieldList(FormField(BusinessItem), min_entries=1, max_entries=brief.ROW_LIMITS["businesses.items"])


# --- 資源需求與協助 -------------------------------------------------------------------------


class ResourceLine(RowForm):
    kind = StringField("項目", validators=[text("resource.kind"), single_line])
    source = SelectField("經費來源", choices=choices([("", "請選擇"), *brief.SOURCES.items()]), validate_choice=True)
    programme = SelectField("部會計畫（來源為中央部會計畫時）", validate_choice=True)
    self_liquidating = SelectField(
        "自償性",
        choices=choices(funding.KINDS.items()),
        default=funding.NON_SELF,
        validate_choice=True,
        description="自償：以營運收入回收投入的經費（如民間投資）；非自償：補助或預算支出。",
    )
    year = WholeNumberField(
        "年度（西元）",
        validators=[
            Optional(),
            NumberRange(min=YEAR_MIN, max=YEAR_MAX, message=f"請填 {YEAR_MIN} 到 {YEAR_MAX}"),
        ],
    )
    amount = WholeNumberField(
        "金額（新臺幣千元）",
        validators=[Optional(), NumberRange(min=1, max=AMOUNT_MAX, message="金額必須是正整數（千元）")],
    )
    note = StringField("說明", validators=[text("resource.note"), single_line])


class SupportRow(RowForm):
    kind = SelectField(
        "協助類型",
        choices=choices([("", "請選擇"), *((k, k) for k in brief.SUPPORT_KINDS)]),
        validate_choice=True,
    )
    description = StringField("需要的協助", validators=[text("support.description"), single_line])


class ResourcesForm(SectionForm):
    lines = FieldList(FormField(ResourceLine), min_entries=1, max_entries=brief.ROW_LIMITS["resources.lines"])
    support = FieldList(FormField(SupportRow), min_entries=1, max_entries=brief.ROW_LIMITS["resources.support"])


# --- KPI ------------------------------------------------------------------------------------


class YearlyTarget(RowForm):
    """One yearly target (逐年目標) of a KPI: a year between its baseline and target years."""

    year = WholeNumberField(
        "年度（西元）",
        validators=[Optional(), NumberRange(min=YEAR_MIN, max=YEAR_MAX, message=f"請填 {YEAR_MIN} 到 {YEAR_MAX}")],
    )
    value = NumberField("當年目標值", validators=[Optional(), finite_number], places=None)

    # What brief.check_yearly found wrong, by input; set by KpisForm before validating.
    problems: dict[str, str]

    def _refuse(self, key: str, field: Any) -> None:
        problems = getattr(self, "problems", {})
        if key in problems and not field.errors:  # a format error is said first
            raise ValidationError(problems[key])

    def validate_year(self, field: IntegerField) -> None:
        self._refuse("year", field)

    def validate_value(self, field: DecimalField) -> None:
        self._refuse("value", field)


def plain_number(value: Decimal | int | None) -> int | float | None:
    """A form number as the content document stores it: an int when it is whole. Not a
    number (NaN, Infinity, 1e5000) is None here; `finite_number` refuses it next to its field."""
    if isinstance(value, Decimal):
        if not value.is_finite() or abs(value) >= NUMBER_LIMIT:
            return None
        return int(value) if value == value.to_integral_value() else float(value)
    return value


class KpiRow(RowForm):
    indicator = StringField("指標", validators=[text("kpi.indicator"), single_line])
    kind = SelectField(
        "指標類型",
        choices=choices(brief.KPI_KINDS.items()),
        default=brief.DEFAULT_KPI_KIND,
        validate_choice=True,
        description="成果指標：要達成的改變（如新增工作機會）；工作指標：為此要完成的工作（如開辦場次）。",
    )
    definition = StringField("衡量標準", validators=[text("kpi.definition"), single_line])
    unit = StringField("單位", validators=[text("kpi.unit"), single_line])
    baseline = NumberField("現況值", validators=[Optional(), finite_number], places=None)
    baseline_year = WholeNumberField(
        "現況年",
        validators=[Optional(), NumberRange(min=2000, max=YEAR_MAX, message=f"請填 2000 到 {YEAR_MAX}")],
    )
    baseline_source = StringField(
        "現況值資料來源",
        validators=[text("kpi.baseline_source"), single_line],
        description="例如：戶政遷入遷出統計、勞保投保資料。",
    )
    target = NumberField("目標值", validators=[Optional(), finite_number], places=None)
    target_year = WholeNumberField(
        "目標年",
        validators=[Optional(), NumberRange(min=2000, max=YEAR_MAX, message=f"請填 2000 到 {YEAR_MAX}")],
    )
    direction = SelectField("期望方向", choices=choices([("+", "增加（+）"), ("-", "減少（−）")]), validate_choice=True)
    yearly = FieldList(
        FormField(YearlyTarget),
        min_entries=brief.ROW_LIMITS["kpi.yearly"],
        max_entries=brief.ROW_LIMITS["kpi.yearly"],
    )


class KpisForm(SectionForm):
    rows = FieldList(FormField(KpiRow), min_entries=1, max_entries=brief.ROW_LIMITS["kpis"])
    benefits = TextAreaField(
        "不可量化效益",
        validators=[no_control_characters],
        description="無法用數字衡量、但計畫會帶來的改變，一行一項，例如：凝聚社區認同、傳承部落傳統知識。",
    )

    # The proposal's period (brief.plan_years), set by the view before validating.
    period: tuple[int, int] | None = None

    def validate(self, extra_validators: Any = None) -> bool:
        """Format first; then yearly targets that are wrong (outside the period, a year
        twice, moving against the direction) are refused next to their input. Ones only
        half typed (a year without a value) are saved and listed on the check page."""
        for entry in self.rows:
            _flag_yearly(entry.form, self.period)
        ok: bool = super().validate(extra_validators)
        limit, per = brief.BUDGETS["benefit"], brief.ROW_LIMITS["benefits"]
        lines = split_lines(self.benefits.data)
        if len(lines) > per:
            self.benefits.errors.append(f"最多 {per} 項（目前 {len(lines)} 項）。")
            ok = False
        for number, line in enumerate(lines, start=1):
            if len(line) > limit:
                self.benefits.errors.append(f"第 {number} 項超過 {limit} 字（目前 {len(line)} 字）。")
                ok = False
        return ok


def _flag_yearly(row: Any, period: tuple[int, int] | None) -> None:
    """Find what is wrong with a KPI row's yearly targets, before validation, so each
    message is raised by the input it belongs beside (YearlyTarget's validators)."""

    def value(field: Any) -> Any:
        return None if field.process_errors else field.data

    entries = row.yearly.entries
    values = {
        "baseline": plain_number(value(row.baseline)),
        "baseline_year": value(row.baseline_year),
        "target": plain_number(value(row.target)),
        "target_year": value(row.target_year),
        "direction": row.direction.data,
        "yearly": [{"year": value(e.form.year), "value": plain_number(value(e.form.value))} for e in entries],
    }
    for entry in entries:
        entry.form.problems = {}
    for problem in brief.check_yearly(values, period):
        if not problem.missing:
            entries[problem.index].form.problems.setdefault(problem.key, problem.message)
