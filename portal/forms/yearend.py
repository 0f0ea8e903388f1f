"""Forms of the year-end review (年底檢核), its reopening, and closing a case (結案)."""

from __future__ import annotations

from wtforms import BooleanField, RadioField, SelectMultipleField, TextAreaField, widgets
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from portal.domain.followup import Rating
from portal.forms import PortalForm, choices
from portal.yearend import CLOSING_REVIEW_MAX, COMMENT_MAX, INTERNAL_MAX, LESSONS_MAX, REASON_MAX

RATINGS = choices((r.value, r.label) for r in Rating)
CONFIRM_MESSAGE = "「給公所的意見」會提供給提案單位，請勾選確認；若只想給內部參考，請改寫在內部意見。"


class YearEndReviewForm(PortalForm):
    # Choices are set by the view: the report's KPI rows that carry a value.
    accepted_kpis = SelectMultipleField(
        "採認的 KPI 實際值",
        coerce=int,
        option_widget=widgets.CheckboxInput(),
        widget=widgets.ListWidget(prefix_label=False),
        description="只有採認的數值會公開在成果網站；沒有勾選的數值不採認。",
    )
    rating = RadioField("檢核結果", choices=RATINGS, validators=[InputRequired("請選擇檢核結果")])
    comment_to_township = TextAreaField(
        "給公所的意見（會提供給提案單位）",
        validators=[Length(max=COMMENT_MAX, message=f"請在 {COMMENT_MAX} 字以內")],
        description="公所、縣市會看到這段意見與檢核結果，但不會看到您的姓名。",
    )
    confirm_comment = BooleanField("我確認上面這段意見可以提供給公所")
    internal_comment = TextAreaField(
        "內部意見（只有國發會與陪伴委員看得到）",
        validators=[Length(max=INTERNAL_MAX, message=f"請在 {INTERNAL_MAX} 字以內")],
        description="內部意見不會出現在公所、縣市或公開網站的任何頁面與通知。",
    )

    def validate_confirm_comment(self, field: BooleanField) -> None:
        if (self.comment_to_township.data or "").strip() and not field.data:
            raise ValidationError(CONFIRM_MESSAGE)


class ReopenForm(PortalForm):
    reason = TextAreaField(
        "重新開啟的理由",
        validators=[
            DataRequired("請說明重新開啟的理由"),
            Length(max=REASON_MAX, message=f"請在 {REASON_MAX} 字以內"),
        ],
        description="公所會收到這段理由，並可修正報告後再送出；原檢核保留在紀錄中。",
    )


class CloseCaseForm(PortalForm):
    rating = RadioField("結案評等", choices=RATINGS, validators=[InputRequired("請選擇結案評等")])
    lessons = TextAreaField(
        "可供其他鄉鎮參考的經驗",
        validators=[
            DataRequired("請填寫可供其他鄉鎮參考的經驗"),
            Length(max=LESSONS_MAX, message=f"請在 {LESSONS_MAX} 字以內"),
        ],
        description="做得好的地方與遇到的困難；案件公開後會顯示在成果網站。",
    )
    review = TextAreaField(
        "結案檢討",
        validators=[Length(max=CLOSING_REVIEW_MAX, message=f"請在 {CLOSING_REVIEW_MAX} 字以內")],
    )
    confirm = BooleanField(
        "結案後不再需要繳交執行進度報告",
        validators=[DataRequired("請勾選確認：結案後不再需要繳交執行進度報告，也不能再檢核或登錄輔導紀錄。")],
    )
