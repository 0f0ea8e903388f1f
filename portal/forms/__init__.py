"""WTForms forms, one module per audience, and helpers they share."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_wtf import FlaskForm
from wtforms import Form
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

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
