"""Forms a partner county uses to agree to a cross-county plan, or to withdraw that."""

from __future__ import annotations

from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from portal.forms import PortalForm

REASON_MAX = 1000


class CoSignForm(PortalForm):
    """同意參與: nothing to fill in but the CSRF token."""


class WithdrawCoSignForm(PortalForm):
    reason = TextAreaField(
        "撤回理由",
        validators=[
            DataRequired(message="請填寫撤回同意參與的理由，會通知主提案縣市。"),
            Length(max=REASON_MAX, message=f"請在 {REASON_MAX} 字以內"),
        ],
        description="會通知主提案縣市與提案單位。",
    )
