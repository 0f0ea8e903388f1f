"""Charts as inline SVG, drawn when the page is rendered: readable without JavaScript,
printable, and with no library or network behind them.

Each chart is an `<svg role="img">` whose `<title>` states every value, so a screen
reader hears the figures, not the shapes; pages show the same figures as a table too.
Plain string building with every text escaped, like the map.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from portal.i18n import gettext as _

# Narrow on purpose: on a phone the chart shrinks to the screen, and its text with it.
WIDTH = 400
ROW = 28
BAR = 17
LABEL = 128  # room for eight Chinese characters at the chart's font size
VALUE = 72
# Stacked bars (label above its bar) for English, whose names run longer than eight
# Chinese characters: a row holds a line of text and a bar, and a label the whole width.
STACKED_ROW = 40
STACKED_FIT = 44


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _width(char: str) -> int:
    return 2 if unicodedata.east_asian_width(char) in "WF" else 1


def _fit(label: str, limit: int = 16) -> str:
    """`label` cut to `limit` half-width places: eight Chinese characters or about
    sixteen Latin letters fill the label column."""
    if sum(map(_width, label)) <= limit:
        return label
    kept, used = "", 1  # room for the ellipsis
    for char in label:
        if used + _width(char) > limit:
            break
        kept, used = kept + char, used + _width(char)
    return kept + "…"


def _lang(lang: str | None) -> str:
    return f' lang="{escape(lang)}"' if lang else ""


def _label(y: float, label: str, lang: str | None = None) -> str:
    return (
        f'<text class="chart-label" x="{LABEL - 8}" y="{y + BAR - 4}" text-anchor="end"{_lang(lang)}>'
        f"{escape(_fit(label))}</text>"
    )


def _title(ident: str, title: str, spoken: str, lang: str | None) -> str:
    """The chart's accessible name with every value. `lang` marks labels written in
    another language than the page (Chinese case text on an English page)."""
    text = _("%(title)s：%(values)s", title=title, values=spoken)
    return f'<title id="{escape(ident)}-title"{_lang(lang)}>{escape(text)}</title>'


def bar_chart(
    ident: str,
    title: str,
    rows: Sequence[tuple[str, float]],
    unit: str = "",
    lang: str | None = None,
    stacked: bool = False,
) -> Markup:
    """Horizontal bars, one per (label, value), longest bar the largest value; `lang`
    is the labels' language when it is not the page's; `stacked` puts each label above
    its bar instead of beside it."""
    largest = max((value for _, value in rows), default=0) or 1
    row, left = (STACKED_ROW, 0) if stacked else (ROW, LABEL)
    height = row * len(rows) + 8
    span = WIDTH - left - VALUE
    spoken = _("；").join(f"{label} {_number(value)}{unit}" for label, value in rows)
    parts = [
        f'<svg class="chart" id="{escape(ident)}" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{escape(ident)}-title" preserveAspectRatio="xMinYMin meet">',
        _title(ident, title, spoken, lang),
    ]
    for number, (label, value) in enumerate(rows):
        y = 4 + number * row
        length = 0.0 if value <= 0 else max(2.0, span * value / largest)
        if stacked:
            parts.append(
                f'<text class="chart-label" x="0" y="{y + 12}"{_lang(lang)}>{escape(_fit(label, STACKED_FIT))}</text>'
            )
            y += row - BAR - 6
        else:
            parts.append(_label(y, label, lang))
        parts.append(
            f'<rect class="chart-bar" x="{left}" y="{y}" width="{length:.1f}" height="{BAR}" rx="2"/>'
            f'<text class="chart-value" x="{left + length + 6:.1f}" y="{y + BAR - 4}">'
            f"{escape(_number(value))}{escape(unit)}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


@dataclass(frozen=True)
class Span:
    label: str
    start: str  # YYYY-MM
    end: str  # YYYY-MM, inclusive


def _month(text: str) -> int:
    year, month = text.split("-")
    return int(year) * 12 + int(month) - 1


def schedule_chart(ident: str, title: str, spans: Sequence[Span], lang: str | None = None) -> Markup:
    """A Gantt chart by month: one bar per business from its first to its last month,
    with a tick and label at every January."""
    if not spans:
        return Markup("")
    first = min(_month(s.start) for s in spans)
    last = max(_month(s.end) for s in spans)
    months = last - first + 1
    axis = 22
    height = axis + ROW * len(spans) + 4
    span = WIDTH - LABEL - 12
    step = span / months
    until = _("～")
    spoken = _("；").join(f"{s.label} {s.start}{until}{s.end}" for s in spans)
    parts = [
        f'<svg class="chart" id="{escape(ident)}" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{escape(ident)}-title" preserveAspectRatio="xMinYMin meet">',
        _title(ident, title, spoken, lang),
    ]
    for year in range(math.ceil(first / 12), last // 12 + 1):
        x = LABEL + (year * 12 - first) * step
        parts.append(
            f'<line class="chart-grid" x1="{x:.1f}" y1="{axis - 6}" x2="{x:.1f}" y2="{height}"/>'
            f'<text class="chart-axis" x="{x + 3:.1f}" y="{axis - 8}">{year}</text>'
        )
    for number, s in enumerate(spans):
        y = axis + number * ROW
        x = LABEL + (_month(s.start) - first) * step
        length = (_month(s.end) - _month(s.start) + 1) * step
        parts.append(
            _label(y, s.label, lang)
            + f'<rect class="chart-bar" x="{x:.1f}" y="{y}" width="{length:.1f}" height="{BAR}" rx="2"/>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
