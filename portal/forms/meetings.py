"""Forms of the 會報 meetings: recording a meeting and adding to its agenda."""

from __future__ import annotations

from wtforms import DateField, RadioField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange

from portal.domain.meetings import KIND_LABELS
from portal.forms import PortalForm, WholeNumberField, choices


class MeetingForm(PortalForm):
    kind = RadioField(
        "會議種類",
        choices=choices((kind.value, label) for kind, label in KIND_LABELS.items()),
        validators=[InputRequired("請選擇會議種類")],
        default="council",
    )
    number = WholeNumberField(
        "次別（第幾次）",
        validators=[
            InputRequired("請填寫次別，例如 12"),
            NumberRange(min=1, max=9999, message="次別必須是 1 到 9999 的整數"),
        ],
        description="同一種會議的次別不能重複，例如「第 12 次」填 12。",
    )
    held_on = DateField(
        "會議日期",
        validators=[InputRequired("請填寫會議日期（例如 2026-10-20）")],
        description="在這次會議做成的決定，決定日期就是這一天。",
    )
    note = TextAreaField("備註", validators=[Length(max=1000, message="請在 1000 字以內")])


class AgendaForm(PortalForm):
    proposal = SelectField(
        "列入議程的提案",
        coerce=int,
        validators=[InputRequired("請選擇提案")],
        description="只列出仍在審查中、目前版本通過三高篩選（進行後續媒合）的提案。",
    )
