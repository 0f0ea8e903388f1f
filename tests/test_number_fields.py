"""Number fields are text boxes the server reads: a word typed into one is refused
beside it with the text kept (a type=number box sent nothing and the value was lost)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from werkzeug.datastructures import MultiDict
from wtforms.validators import NumberRange, Optional

from portal.forms import NUMBER_MESSAGE, WHOLE_NUMBER_MESSAGE, NumberField, RowForm, WholeNumberField


class Amounts(RowForm):
    amount = WholeNumberField("金額", validators=[Optional(), NumberRange(min=1, message="金額必須是正整數")])
    value = NumberField("數值", validators=[Optional()])


def read(**typed: str) -> Amounts:
    form = Amounts(formdata=MultiDict(typed))
    form.validate()
    return form


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("3000", 3000), ("３０００", 3000), ("1,200", 1200), ("３，０００", 3000), (" 85 ", 85), ("", None)],
)
def test_whole_number_reads_what_people_type(typed: str, expected: int | None) -> None:
    form = read(amount=typed)
    assert (form.amount.data, form.amount.errors) == (expected, [])


@pytest.mark.parametrize("typed", ["三千元", "約八十五人", "3e", "3000元", "1.5", "0x10", "٣"])
def test_whole_number_refuses_words_once_and_keeps_them(typed: str) -> None:
    form = read(amount=typed)
    assert (form.amount.data, form.amount.errors) == (None, [WHOLE_NUMBER_MESSAGE])
    assert form.amount() == f'<input id="amount" inputmode="numeric" name="amount" type="text" value="{typed}">'


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("-3", Decimal("-3")), ("2.5", Decimal("2.5")), ("－１０００", Decimal("-1000")), ("1,200.5", Decimal("1200.5"))],
)
def test_number_reads_negative_and_decimal_values(typed: str, expected: Decimal) -> None:
    form = read(value=typed)
    assert (form.value.data, form.value.errors) == (expected, [])


@pytest.mark.parametrize("typed", ["十", "約 3", "3 人"])
def test_number_refuses_words(typed: str) -> None:
    form = read(value=typed)
    assert (form.value.data, form.value.errors) == (None, [NUMBER_MESSAGE])
