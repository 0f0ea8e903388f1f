"""Forms that move a proposal through the workflow."""

from __future__ import annotations

from wtforms import HiddenField, TextAreaField
from wtforms.validators import DataRequired, Length

from portal.domain.workflow import Action
from portal.forms import PortalForm

REASON_MAX = 1000


class TransitionForm(PortalForm):
    action = HiddenField(validators=[DataRequired()])
    reason = TextAreaField(
        "說明或理由",
        validators=[Length(max=REASON_MAX, message=f"請在 {REASON_MAX} 字以內")],
        description="退回、修正後再提、不予核定、取消公開與撤案必須填寫，會通知相關單位。",
    )

    def validate_action(self, field: HiddenField) -> None:
        if field.data not in {a.value for a in Action}:
            from wtforms.validators import ValidationError

            raise ValidationError("不明的動作")
