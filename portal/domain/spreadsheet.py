"""CSV files that are safe to open in a spreadsheet.

Excel, LibreOffice and Google Sheets run a cell that starts with `=`, `+`, `-` or `@`
as a formula (and a leading tab or carriage return can hide one), so a proposal titled
`=HYPERLINK("http://x","y")` would become a live link, or worse, in the NDC's copy of
the ranking. Every CSV the portal and the showcase write goes through `csv_text`, which
puts a `'` before such a text cell: spreadsheets show the text as typed and run
nothing. Numbers stay numbers, negative ones included (a KPI baseline of -1000 is
a real value), whether they arrive as int/float or as the plain text of a number.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# A plain decimal number such as -1000, +3, 0.25 or -1.5e3: a spreadsheet reads it as a
# number, never as a formula, so it is written as it is.
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")

# Excel needs the byte-order mark to read UTF-8 (Chinese) instead of the local code page.
BOM = "\ufeff"


def safe_cell(value: object) -> object:
    """`value` as it should go into a CSV cell: text that a spreadsheet would run as a
    formula gets a leading `'`; everything else (numbers, None, other text) is unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def safe_row(row: Mapping[str, object]) -> dict[str, object]:
    return {key: safe_cell(value) for key, value in row.items()}


def csv_text(fields: Sequence[str], rows: Iterable[Mapping[str, object]], *, bom: bool = True) -> str:
    """A whole CSV file: a header row of `fields`, then one line per row (CRLF line ends,
    as RFC 4180 and Excel expect), every cell passed through `safe_cell`."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(fields), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(safe_row(row) for row in rows)
    return (BOM if bom else "") + out.getvalue()
