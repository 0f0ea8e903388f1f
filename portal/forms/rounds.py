"""The round (梯次) form the NDC uses to open, edit and reopen a round."""

from __future__ import annotations

from wtforms import DateField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from portal.domain.rounds import FIELDS, RoundDates
from portal.forms import PortalForm, single_line
from portal.forms.wizard import BasicsForm

DATE_MESSAGE = "請填寫日期（例如 2026-12-15）"


class RoundForm(PortalForm):
    name = StringField(
        "梯次名稱",
        validators=[DataRequired("請輸入梯次名稱，例如「115年度第1梯次」。"), Length(max=40), single_line],
        description="例如「115年度第1梯次」",
    )
    submission_opens = DateField(
        FIELDS["submission_opens"],
        validators=[DataRequired(DATE_MESSAGE)],
        description="從這一天起，鄉鎮市區可以選這個梯次建立提案並送出",
    )
    submission_closes = DateField(
        FIELDS["submission_closes"],
        validators=[DataRequired(DATE_MESSAGE)],
        description="鄉鎮市區最後可以送出提案的一天（當天仍可送出）；各梯次的送件期間不可重疊",
    )
    forwarding_closes = DateField(
        FIELDS["forwarding_closes"],
        validators=[DataRequired(DATE_MESSAGE)],
        description="縣市政府最後可以把提案轉送國發會的一天",
    )
    report_due = DateField(
        FIELDS["report_due"],
        validators=[DataRequired(DATE_MESSAGE)],
        description="核定案件繳交年度成果報告（年底檢核）的期限",
    )

    def dates(self) -> RoundDates:
        """The four dates; call only after `validate()` succeeded."""
        return RoundDates(
            self.submission_opens.data,
            self.submission_closes.data,
            self.forwarding_closes.data,
            self.report_due.data,
        )

    def show_errors(self, errors: dict[str, str]) -> None:
        """Put the rule errors of a refused save next to their fields."""
        for name, message in errors.items():
            field = getattr(self, name)
            field.errors = [*field.errors, message]


class NewProposalForm(BasicsForm):
    """The new-proposal page: the basics plus the open round the draft is for."""

    round = SelectField(
        "梯次",
        validate_choice=True,
        description="只能選開放送件中的梯次；送件截止後無法送出，請留意期限。",
    )
