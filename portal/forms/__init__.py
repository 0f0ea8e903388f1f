"""WTForms forms, one module per audience, and helpers they share."""

from __future__ import annotations

from collections.abc import Iterable

from flask_wtf import FlaskForm
from wtforms import Form
from wtforms.fields.choices import SelectChoice

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


def choices(pairs: Iterable[tuple[object, str]]) -> list[SelectChoice]:
    """(value, label) pairs as the option objects WTForms 3.3 expects."""
    return [SelectChoice(value, label) for value, label in pairs]
