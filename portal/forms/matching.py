"""Forms of matching (媒合): a ministry's offer of one of its programmes."""

from __future__ import annotations

from wtforms import SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange

from portal.domain.matching import AMOUNT_MAX, FIRST_YEAR, LAST_YEAR
from portal.forms import PortalForm, WholeNumberField


class OfferForm(PortalForm):
    programme = SelectField("部會計畫", coerce=int, validate_choice=True, validators=[InputRequired("請選擇計畫")])
    amount = WholeNumberField(
        "金額（千元）",
        validators=[
            InputRequired("請填寫金額（千元，整數）"),
            NumberRange(min=1, max=AMOUNT_MAX, message=f"金額必須是 1 到 {AMOUNT_MAX} 的整數（千元）"),
        ],
        description="新臺幣千元，例如 3000 即 300 萬元。",
    )
    year = WholeNumberField(
        "年度",
        validators=[
            InputRequired("請填寫年度（西元，例如 2027）"),
            NumberRange(min=FIRST_YEAR, max=LAST_YEAR, message=f"請填 {FIRST_YEAR} 到 {LAST_YEAR}"),
        ],
        description="西元年，例如 2027（民國 116 年）。",
    )
    note = TextAreaField(
        "說明（國發會可見）",
        validators=[Length(max=1000, message="請在 1000 字以內")],
        description="例如：可支應的事業、申請時程、需要的配合款。",
    )
