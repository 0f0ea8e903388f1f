"""Admin forms: accounts, programmes and the audit-log filter."""

from __future__ import annotations

from typing import Any

from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    Field,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    ValidationError,
    widgets,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from portal.domain.programmes import MINGUO_OFFSET
from portal.domain.roles import Role
from portal.forms import PortalForm, WholeNumberField, choices, single_line

ROLE_CHOICES = choices((r.value, r.label) for r in Role)


class UserForm(PortalForm):
    email = EmailField("電子郵件", validators=[DataRequired("請輸入電子郵件"), Length(max=254), single_line])
    name = StringField("姓名", validators=[DataRequired("請輸入姓名"), Length(max=60), single_line])
    role = SelectField("角色", choices=ROLE_CHOICES)
    township = SelectField("所屬鄉鎮市區", validate_choice=False, description="角色為鄉鎮市區公所承辦人時必填")
    county = SelectField("所屬縣市", validate_choice=False, description="角色為縣市政府窗口時必填")
    affiliation = StringField(
        "服務單位",
        validators=[Length(max=120), single_line],
        description="例如輔導團委員的學校或機構；名稱含縣市或鄉鎮市區（如「南投縣政府」）時，會建議登記利益迴避",
    )
    ministry = SelectField(
        "所屬部會", validate_choice=False, description="角色為部會承辦人時必填；帳號只能提出該部會的計畫"
    )
    # The confirmation page: the places a reviewer's affiliation names, ticked by default
    # (their choices are set by the view), and "1" once that page has been shown.
    conflicts = SelectMultipleField(
        "登記利益迴避",
        validate_choice=False,
        option_widget=widgets.CheckboxInput(),
        widget=widgets.ListWidget(prefix_label=False),
        description="依服務單位比對到的縣市或鄉鎮市區。勾選者登記為這位委員的利益迴避："
        "那裡的提案不會分派給他，他也不能開啟。",
    )
    confirmed = HiddenField()

    # The inputs the confirmation page carries, in order.
    CARRIED = ("email", "name", "role", "township", "county", "ministry", "affiliation")

    def carried(self) -> list[tuple[str, str]]:
        """(name, value) of every input the confirmation page sends again, unchanged."""
        return [(name, field.data or "") for name in self.CARRIED if (field := getattr(self, name, None)) is not None]


class UserEditForm(UserForm):
    """Editing an account: everything but its e-mail, which is its login."""

    email = None
    # The account's `shown_version` when the page was opened; an older one is refused.
    shown = HiddenField()

    CARRIED = ("name", "role", "township", "county", "ministry", "affiliation", "shown")


class ProgrammeForm(PortalForm):
    ministry = StringField("主管部會", validators=[DataRequired("請輸入主管部會"), Length(max=60), single_line])
    name = StringField("計畫名稱", validators=[DataRequired("請輸入計畫名稱"), Length(max=120), single_line])
    notes = TextAreaField("說明與資料來源", validators=[Length(max=2000)])
    active = BooleanField("提供提案選用", default=True)
    valid_from = WholeNumberField(
        "起始年",
        validators=[Optional(), NumberRange(min=1950, max=2100, message="請填 1950 到 2100 之間的西元年，或民國年")],
        filters=[lambda year: _gregorian(year)],
        description="西元或民國年皆可，例如 2018 或 107；沒有公開資料可循時請留空",
    )
    valid_to = WholeNumberField(
        "結束年",
        validators=[Optional(), NumberRange(min=1950, max=2100, message="請填 1950 到 2100 之間的西元年，或民國年")],
        filters=[lambda year: _gregorian(year)],
        description="最後執行的年度；已結束的計畫不能再被新選用，但舊案仍可閱讀",
    )
    validity_source = TextAreaField("期程的資料來源", validators=[Length(max=1000)])
    # The programme's lock_version when the form was opened; an older one is refused.
    version = HiddenField()

    def validate_valid_to(self, field: Field) -> None:
        if field.data is not None and self.valid_from.data is not None and field.data < self.valid_from.data:
            raise ValidationError("結束年不可早於起始年")


def _gregorian(year: Any) -> Any:
    """A 民國 year (below 1000) becomes its Gregorian year; anything else is left as typed."""
    return year + MINGUO_OFFSET if isinstance(year, int) and 0 < year < 1000 else year


class AuditFilterForm(PortalForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    action = SelectField("動作", validate_choice=False, validators=[Optional()])
    actor = StringField("執行者（姓名或電子郵件）", validators=[Optional(), Length(max=120), single_line])
    proposal = StringField("提案編號", validators=[Optional(), Length(max=10), single_line])
    since = DateField("起日", validators=[Optional()])
    until = DateField("迄日", validators=[Optional()])
