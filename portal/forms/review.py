"""Forms of the counselling review: scoring, conflicts, assignment and decisions."""

from __future__ import annotations

from datetime import date
from typing import Any

from wtforms import (
    BooleanField,
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
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from portal.domain.meetings import too_early
from portal.domain.scoring import Rubric
from portal.forms import PortalForm, RowForm, WholeNumberField, choices, optional_int, single_line
from portal.forms.wizard import AMOUNT_MAX
from portal.review import CONFIDENCE, OUTCOMES

TRISTATE = choices([("yes", "是"), ("no", "否"), ("unsure", "無法判斷")])


def tristate(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(value or "")


# The fields of the scoring form a draft keeps, as typed.
DRAFT_FIELDS = (
    "cross_domain",
    "cross_ministry",
    "confidence",
    "internal_comment",
    "comment_to_township",
    "confirm_comment",
)


def draft_fields(rubric: Rubric) -> tuple[str, ...]:
    return (*(f"score_{c.code}" for c in rubric.criteria), *DRAFT_FIELDS)


def review_form_class(rubric: Rubric) -> type[PortalForm]:
    """A review form with one score field per criterion of `rubric`."""

    class ReviewForm(PortalForm):
        # The revision shown when the form was opened (see review.ReviewInput), the
        # draft's version then (0: none) and the standing review being changed, if any:
        # what was saved or submitted in another tab since is refused, never overwritten.
        revision = HiddenField()
        draft_version = HiddenField()
        replaces = HiddenField()
        cross_domain = RadioField("是否跨領域", choices=TRISTATE, validators=[InputRequired("請選擇")])
        cross_ministry = RadioField(
            "是否跨部會",
            choices=TRISTATE,
            validators=[InputRequired("請選擇")],
            description="系統依經費需求預填：兩個以上部會的計畫即為跨部會。請確認。",
        )
        confidence = RadioField(
            "把握程度", choices=choices(CONFIDENCE.items()), coerce=int, validators=[InputRequired("請選擇把握程度")]
        )
        comment_to_township = TextAreaField(
            "給公所的意見（會提供給提案單位）",
            validators=[Length(max=1000, message="請在 1000 字以內")],
            description="做成決定後，提案單位會看到這段意見，但不會看到您的姓名與分數。",
        )
        confirm_comment = BooleanField("我確認上面這段意見可以提供給公所")
        internal_comment = TextAreaField(
            "內部意見（只有國發會與委員看得到）",
            validators=[Length(max=2000, message="請在 2000 字以內")],
            description="預設請寫在這裡；內部意見不會出現在公所、縣市或公開網站的任何頁面。",
        )

        def validate_confirm_comment(self, field: BooleanField) -> None:
            if (self.comment_to_township.data or "").strip() and not field.data:
                raise ValidationError(
                    "「給公所的意見」會提供給提案單位，請勾選確認；若只想給內部參考，請改寫在內部意見。"
                )

    for criterion in rubric.criteria:
        levels = choices((n, f"{n} 分") for n in range(rubric.scale_min, rubric.scale_max + 1))
        field = RadioField(
            f"{criterion.name}（權重 {criterion.weight:g}）",
            choices=levels,
            coerce=int,
            validators=[InputRequired(f"請為「{criterion.name}」給分")],
        )
        setattr(ReviewForm, f"score_{criterion.code}", field)
    return ReviewForm


class DeclareConflictForm(PortalForm):
    reason = TextAreaField(
        "迴避原因",
        validators=[DataRequired("請說明需要迴避的原因"), Length(max=500, message="請在 500 字以內")],
        description="例如：曾擔任提案單位的顧問、與主責單位有合作關係。",
    )


class AffiliationForm(PortalForm):
    reviewer = SelectField("委員", coerce=int, validate_choice=True)
    code = SelectField("所屬縣市或鄉鎮市區", validate_choice=False, validators=[DataRequired("請選擇")])
    reason = StringField("說明", validators=[Length(max=200), single_line], description="例如：任職於該縣市的大學")


class ReviewerChoices(SelectMultipleField):
    """Reviewers to assign: one who is not offered (a conflict, a disabled account, a
    page opened before a conflict was recorded) is refused by the rule, never by the
    internal id the browser sent."""

    def pre_validate(self, form: Any) -> None:
        offered = {value for value, *_ in self.iter_choices()}
        if any(value not in offered for value in self.data or []):
            raise ValidationError(
                "勾選的委員中有人不能指派給這件提案（需迴避、帳號已停用或已在名單上），請重新整理頁面後再勾選。"
            )


class AssignForm(PortalForm):
    # May be empty when the proposal already has its panel: a resubmission returns to
    # the reviewers who scored it before, with nobody new.
    reviewers = ReviewerChoices(
        "增派輔導團委員",
        coerce=int,
        option_widget=widgets.CheckboxInput(),
        widget=widgets.ListWidget(prefix_label=False),
    )


class MatchedRow(RowForm):
    programme = SelectField("部會計畫", validate_choice=True)
    amount = WholeNumberField(
        "金額（千元）",
        validators=[
            Optional(),
            NumberRange(min=1, max=AMOUNT_MAX, message=f"金額必須是 1 到 {AMOUNT_MAX} 的整數（千元）"),
        ],
    )
    year = WholeNumberField(
        "年度", validators=[Optional(), NumberRange(min=2019, max=2040, message="請填 2019 到 2040")]
    )

    def validate_amount(self, field: IntegerField) -> None:
        if self.programme.data and not field.data:
            raise ValidationError("選了部會計畫，請填寫金額")

    def validate_year(self, field: IntegerField) -> None:
        if self.programme.data and not field.data:
            raise ValidationError("選了部會計畫，請填寫年度")


class DecisionForm(PortalForm):
    outcome = RadioField("決定", choices=choices(OUTCOMES.items()), validators=[InputRequired("請選擇決定")])
    reasons = TextAreaField(
        "理由（會通知提案單位與縣市）",
        validators=[Length(max=2000, message="請在 2000 字以內")],
        description="修正後再提與不予核定必須說明理由。",
    )
    meeting = SelectField(
        "會議",
        coerce=optional_int,
        validators=[InputRequired("請選擇做成決定的會議")],
        description="決定日期即會議日期；會議要先在「會報會議」頁登錄。",
    )
    resources = FieldList(FormField(MatchedRow), min_entries=3, max_entries=8)
    private_investment = WholeNumberField(
        "民間投資承諾（千元）",
        validators=[Optional(), NumberRange(min=0, max=AMOUNT_MAX, message=f"請填 0 到 {AMOUNT_MAX} 的整數（千元）")],
        default=0,
    )

    # Set by the view: each offered meeting's date, and the day the current revision was
    # submitted; a meeting before that day is refused here, next to the field.
    meeting_dates: dict[int, date] = {}  # noqa: RUF012 (replaced per form by the view)
    submitted_on: date | None = None

    def validate_meeting(self, field: SelectField) -> None:
        held_on = self.meeting_dates.get(field.data)
        problem = too_early(held_on, self.submitted_on) if held_on and self.submitted_on else None
        if problem:
            raise ValidationError(problem)

    def validate_reasons(self, field: Any) -> None:
        if self.outcome.data in ("request_revision", "reject") and not (field.data or "").strip():
            raise ValidationError("修正後再提與不予核定必須填寫理由。")
