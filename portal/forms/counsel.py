"""Forms of the counselling log: an entry with up to three issue rows, and resolving an issue."""

from __future__ import annotations

from typing import Any

from wtforms import BooleanField, DateField, FieldList, FormField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from portal.counsel import DESCRIPTION_MAX, PLACE_MAX, RESOLUTION_MAX, IssueInput
from portal.domain.followup import ISSUE_OWNER_LABELS, LOG_KIND_LABELS
from portal.forms import PortalForm, RowForm, choices, single_line

# Rows offered on the page; an entry made by other means may carry up to five.
ISSUE_ROWS = 3


class IssueRow(RowForm):
    """One issue; a row left wholly empty is ignored."""

    description = StringField(
        "問題", validators=[Length(max=DESCRIPTION_MAX, message=f"請在 {DESCRIPTION_MAX} 字以內"), single_line]
    )
    owner = SelectField(
        "負責單位",
        choices=choices([("", "請選擇"), *((owner.value, label) for owner, label in ISSUE_OWNER_LABELS.items())]),
        default="",
    )
    due_on = DateField("處理期限", validators=[Optional()], description="未填期限則不會標示逾期。")

    def is_empty(self) -> bool:
        typed_date = any((value or "").strip() for value in (self.due_on.raw_data or []))
        return not (self.description.data or "").strip() and not self.owner.data and not typed_date

    def validate_description(self, field: StringField) -> None:
        if not (field.data or "").strip() and (self.owner.data or self.due_on.data):
            raise ValidationError("請填寫問題內容，或清空這一列")

    def validate_owner(self, field: SelectField) -> None:
        if (self.description.data or "").strip() and not field.data:
            raise ValidationError("請選擇負責處理的單位")


class EntryForm(PortalForm):
    kind = RadioField(
        "類別",
        choices=choices((kind.value, label) for kind, label in LOG_KIND_LABELS.items()),
        validators=[InputRequired("請選擇紀錄類別")],
        default="visit",
    )
    held_on = DateField(
        "日期",
        validators=[InputRequired("請填寫日期（例如 2026-10-20）")],
        description="不能是未來，也不能早於核定日期。",
    )
    place = StringField("地點", validators=[Length(max=PLACE_MAX, message=f"請在 {PLACE_MAX} 字以內"), single_line])
    attendees = TextAreaField("出席人員", validators=[Length(max=1000, message="請在 1000 字以內")])
    notes = TextAreaField(
        "紀錄內容", validators=[DataRequired("請填寫紀錄內容"), Length(max=4000, message="請在 4000 字以內")]
    )
    visible_to_township = BooleanField(
        "公所可見",
        description="勾選後，提案的鄉鎮市區公所看得到這筆紀錄和其中的問題；不勾選則只有輔導團、國發會與相關縣市政府看得到。",
    )
    issues = FieldList(FormField(IssueRow), min_entries=ISSUE_ROWS, max_entries=ISSUE_ROWS)

    def issue_inputs(self) -> list[IssueInput]:
        """The filled rows, in order; the view maps an operation's `issues-N-…` field back
        through `issue_rows`."""
        return [IssueInput(row.description.data.strip(), row.owner.data, row.due_on.data) for row in self.issue_rows()]

    def issue_rows(self) -> list[Any]:
        return [entry.form for entry in self.issues if not entry.form.is_empty()]


class ResolveForm(PortalForm):
    """Resolving one issue. Several are on one page, each under its own prefix; the
    site-wide CSRF check reads the page's plain token."""

    class Meta:
        csrf = False

    resolution = TextAreaField(
        "解決方式",
        validators=[
            DataRequired("請說明問題如何解決"),
            Length(max=RESOLUTION_MAX, message=f"請在 {RESOLUTION_MAX} 字以內"),
        ],
    )
