"""WTForms forms, one module per audience, and helpers they share."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_wtf import FlaskForm
from wtforms import DecimalField, Form, IntegerField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import StopValidation, ValidationError
from wtforms.widgets import TextInput

# WTForms' own messages ("Not a valid choice", "Invalid date") in Taiwanese Chinese.
LOCALES = ("zh_TW", "zh")


class PortalForm(FlaskForm):
    """Every portal form: CSRF from Flask-WTF, built-in messages in Chinese."""

    class Meta:
        locales = LOCALES


class RowForm(Form):
    """A repeatable row inside a form (a FieldList entry); messages in Chinese too."""

    class Meta:
        locales = LOCALES


def optional_int(value: object) -> int | None:
    """A select's coerce for numbered choices behind an empty placeholder option: the
    placeholder is None, which `InputRequired` then reports in the field's own words."""
    if value is None or value == "":
        return None
    return int(str(value))


def choices(pairs: Iterable[tuple[object, str]]) -> list[SelectChoice]:
    """(value, label) pairs as the option objects WTForms 3.3 expects."""
    return [SelectChoice(value, label) for value, label in pairs]


# Every character that starts a new line somewhere: a title or a name with one would
# break the brief, the case file's front matter and CSV exports.
LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")


def single_line(form: Any, field: Any) -> None:
    """For every one-line input: no line breaks, and no other control characters
    (those come only from crafted posts)."""
    value = field.data or ""
    if any(c in LINE_BREAKS for c in value):
        raise ValidationError("這個欄位只能填一行，請刪除換行。")
    if any((ord(c) < 32 and c != "\t") or 0x7F <= ord(c) < 0xA0 for c in value):
        raise ValidationError("含有無法顯示的控制字元，請重新輸入。")


# --- numbers ------------------------------------------------------------------------------
#
# A `type=number` box in a form the server validates (novalidate) sends nothing at all
# when a word is typed into it (「三千元」, 「約八十五人」, 「3e」): the page then said
# 已儲存 and the field was empty. These fields are text boxes, so what was typed reaches
# the server, which refuses it next to the field with the text kept. Full-width digits
# and thousands separators (「３，０００」, 「1,200」) are read as the number they are.

WHOLE_NUMBER_MESSAGE = "請填阿拉伯數字的整數（例如 3000），不要加單位或文字。"
NUMBER_MESSAGE = "請填數字（例如 12、-3 或 2.5），不要加單位或文字。"


def plain_digits(text: str) -> str:
    """Full-width characters as their ASCII forms, without spaces or thousands separators."""
    return unicodedata.normalize("NFKC", text).strip().replace(",", "").replace(" ", "")


def _stop_after_unreadable(field: Any) -> None:
    """What could not be read as a number is said once; range checks would only repeat it."""
    if field.process_errors:
        raise StopValidation()


class WholeNumberField(IntegerField):
    """A whole number typed into a text box with a numeric keyboard on phones."""

    widget = TextInput()
    data: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        render_kw = dict(kwargs.pop("render_kw", None) or {})
        render_kw.setdefault("inputmode", "numeric")
        super().__init__(*args, render_kw=render_kw, **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return
        text = plain_digits(str(valuelist[0]))
        if not text.lstrip("+-").isdigit() or not text.isascii():
            self.data = None
            raise ValueError(WHOLE_NUMBER_MESSAGE)
        self.data = int(text)

    def pre_validate(self, form: Any) -> None:
        _stop_after_unreadable(self)


class NumberField(DecimalField):
    """A number that may be negative or have decimals, typed into a text box (the
    phone's default keyboard: a numeric one has no minus sign on every phone)."""

    widget = TextInput()
    data: Any

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return
        try:
            self.data = Decimal(plain_digits(str(valuelist[0])))
        except (InvalidOperation, ValueError):
            self.data = None
            raise ValueError(NUMBER_MESSAGE) from None

    def pre_validate(self, form: Any) -> None:
        _stop_after_unreadable(self)
