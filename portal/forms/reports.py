"""The forms of a yearly progress report, one per step, and the NDC's due-date form.

Every number is typed as text (inputmode="decimal") and parsed here, so a word in a
number field is an error beside it, never silently dropped; the rows carry the index of
the KPI or business of the approved revision they report on.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from wtforms import FieldList, FormField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields import DateField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from portal.domain import brief
from portal.domain.followup import BusinessStatus
from portal.forms import PortalForm, RowForm, WholeNumberField, choices, single_line
from portal.forms.wizard import NUMBER_LIMIT, YEAR_MAX, YEAR_MIN, no_control_characters, plain_number

AMOUNT_MAX = 100_000_000  # NT$ thousand, as in the wizard's budget lines
# A year's money rows: the planned cells are offered, plus room for what was not planned.
RECEIVED_MAX = 40
SPARE_ROWS = 2


def parse_number(raw: str | None) -> int | float | None:
    """A typed number ('12.5', '-3', '1,200', full-width digits) as int or float;
    None for an empty input. Raises ValueError for anything else."""
    text = (raw or "").strip().translate(_FULL_WIDTH).replace(",", "")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation as error:
        raise ValueError(text) from error
    if not value.is_finite() or abs(value) >= NUMBER_LIMIT:
        raise ValueError(text)
    return plain_number(value)


_FULL_WIDTH = str.maketrans("０１２３４５６７８９．－，＋", "0123456789.-,+")


def a_number(form: Any, field: Any) -> None:
    try:
        parse_number(field.data)
    except ValueError as error:
        raise ValidationError("請填寫數字（可為負數或小數），例如 -3 或 12.5；不要加單位或文字。") from error


class StepForm(PortalForm):
    """Every step carries the draft's version it was opened from (0: no draft yet)."""

    version = HiddenField()
    # Press "save anyway" after a conflict: the version then is the one just seen.
    overwrite = HiddenField()


class KpiActualRow(RowForm):
    index = HiddenField()
    actual = StringField("實際值", validators=[a_number, Length(max=30, message="請在 30 字以內")])
    source = StringField(
        "資料來源",
        validators=[Length(max=60, message="請在 60 字以內"), single_line],
        description="例如：勞保投保資料、戶政遷入遷出統計。",
    )
    note = StringField("說明", validators=[Length(max=200, message="請在 200 字以內"), single_line])


class KpiActualsForm(StepForm):
    rows = FieldList(FormField(KpiActualRow), max_entries=brief.ROW_LIMITS["kpis"])


STATUS_CHOICES = choices([("", "請選擇"), *((s.value, s.label) for s in BusinessStatus)])


class BusinessStatusRow(RowForm):
    index = HiddenField()
    status = SelectField("執行狀態", choices=STATUS_CHOICES, validate_choice=True)
    note = StringField("說明", validators=[Length(max=200, message="請在 200 字以內"), single_line])


class BusinessStatusesForm(StepForm):
    rows = FieldList(FormField(BusinessStatusRow), max_entries=brief.ROW_LIMITS["businesses.items"])


class ReceivedRow(RowForm):
    source = SelectField("經費來源", choices=choices([("", "請選擇"), *brief.SOURCES.items()]), validate_choice=True)
    year = WholeNumberField(
        "年度（西元）",
        validators=[Optional(), NumberRange(min=YEAR_MIN, max=YEAR_MAX, message=f"請填 {YEAR_MIN} 到 {YEAR_MAX}")],
    )
    amount = WholeNumberField(
        "實際到位（千元）",
        validators=[Optional(), NumberRange(min=0, max=AMOUNT_MAX, message="金額必須是 0 或正整數（千元）")],
    )
    note = StringField("說明", validators=[Length(max=200, message="請在 200 字以內"), single_line])

    def validate(self, extra_validators: Any = None) -> bool:
        ok: bool = super().validate(extra_validators)
        typed = self.amount.raw_data and self.amount.raw_data[0].strip()
        if typed and not self.source.data:
            self.source.errors.append("請選擇這筆金額的經費來源。")
            ok = False
        if typed and self.year.data is None and not self.year.errors:
            self.year.errors.append("請填寫這筆金額的年度。")
            ok = False
        return ok


class ReceivedForm(StepForm):
    rows = FieldList(FormField(ReceivedRow), max_entries=RECEIVED_MAX)


class SubmitForm(StepForm):
    summary = TextAreaField(
        "本年度執行概況",
        validators=[Length(max=1000, message="請在 1000 字以內"), no_control_characters],
        description="用幾句話說明今年做了什麼、遇到什麼困難、明年的打算。",
    )


class ReportRoundForm(PortalForm):
    year = WholeNumberField(
        "報告年度（西元）",
        validators=[
            InputRequired("請填寫年度。"),
            NumberRange(min=YEAR_MIN, max=YEAR_MAX, message=f"請填 {YEAR_MIN} 到 {YEAR_MAX}"),
        ],
        description="已設定過的年度再設定一次，會改成新的期限。",
    )
    due_on = DateField("報告期限", validators=[InputRequired("請填寫期限，例如 2027-01-31。")], format="%Y-%m-%d")
