"""A web font for the characters outside the Basic Multilingual Plane that a page shows.

Rare CJK characters of Taiwanese personal and place names (𥕢 U+25562, 𡘙 U+21619) are
stored and published as they are, but few readers' fonts draw them. A page that shows
some links a style sheet with one `@font-face` whose `unicode-range` lists exactly those
code points, and a subset of a government CJK font holding exactly their glyphs: the
CNS 11643 全字庫 TW-Sung Ext-B font (Debian's `fonts-cns11643-sung`). The family follows
the named fonts in the style sheet's font list (`--font` in portal.css), so all other text
keeps the reader's fonts, and a reader whose fonts have the character sees it in them.

The showcase builds its subset when it is frozen (`portal.showcase.fonts`), the portal
when a page is shown (`portal.views.fonts`). Both come through here: the same code points
and source font always give the same bytes.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import io
import logging
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

# The family name the style sheets use; portal.css lists it in `--font`.
FAMILY = "Rare Han"

# Where Debian's fonts-cns11643-sung puts the Ext-B font (PORTAL_RARE_FONT overrides).
DEFAULT_SOURCE = "/usr/share/fonts/truetype/cns11643/TW-Sung-Ext-B-98_1.ttf"

# The notice the source font's licence asks for, beside every subset shipped (its own
# copyright name record travels inside the subset too).
ATTRIBUTION = (
    "Characters outside the BMP: TW-Sung Ext-B (全字庫正宋體 Ext-B), (c) National Development"
    " Council (國家發展委員會), Open Government Data License, version 1.0 (https://data.gov.tw/license)."
)

# A page with more rare characters than this gets a subset of the first ones (in code
# point order): it keeps the font's address, and the work to make it, small.
MAX_CODEPOINTS = 256

_OUTSIDE_BMP = re.compile("[\U00010000-\U0010ffff]")
_KEY = re.compile(r"[0-9a-f]{5,6}(?:-[0-9a-f]{5,6})*")

# Name records kept in the subset: family and style names, the copyright notice, and
# the licence with its address (IDs 13 and 14), so the attribution travels with it.
_NAME_IDS = (0, 1, 2, 3, 4, 5, 6, 13, 14)


def flavor() -> str:
    """The subsets' format: WOFF2 where brotli is installed, else WOFF (zlib is always there)."""
    return "woff2" if importlib.util.find_spec("brotli") is not None else "woff"


def used(text: str) -> frozenset[int]:
    """The code points outside the BMP that `text` contains."""
    return frozenset(ord(char) for char in _OUTSIDE_BMP.findall(text))


def source_font(setting: str | None) -> Path | None:
    """The configured source font (`RARE_FONT`), or None when it is not a readable file."""
    if not setting:
        return None
    path = Path(setting)
    return path if path.is_file() else None


def covered(source: Path) -> frozenset[int]:
    """The code points outside the BMP that the font `source` has a glyph for."""
    stat = source.stat()
    return _covered(str(source), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=4)
def _covered(path: str, _mtime_ns: int, _size: int) -> frozenset[int]:
    from fontTools.ttLib import TTFont  # imported when first needed: it takes a while

    with _quiet(), TTFont(path, lazy=True) as font:
        return frozenset(code for code in font.getBestCmap() if code > 0xFFFF)


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """fontTools' warnings off: the CNS fonts' glyph-name table is short of data, which
    it logs on every load, and glyph names are not used here."""
    log = logging.getLogger("fontTools")
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        log.setLevel(level)


def subset(source: Path, codepoints: Iterable[int], kind: str | None = None) -> bytes:
    """The font `source` cut down to the glyphs of `codepoints`, as a `kind` ("woff2",
    "woff") file, by default `flavor()`. The same font and code points always give the
    same bytes: the subset keeps the source's timestamps."""
    stat = source.stat()
    return _subset(str(source), stat.st_mtime_ns, stat.st_size, tuple(sorted(set(codepoints))), kind or flavor())


@functools.lru_cache(maxsize=64)
def _subset(path: str, _mtime_ns: int, _size: int, codepoints: tuple[int, ...], kind: str) -> bytes:
    from fontTools import subset as subsetter

    options = subsetter.Options()
    options.flavor = kind
    options.hinting = False  # screen hints of a Sung face at body sizes: not worth the bytes
    options.name_IDs = list(_NAME_IDS)
    options.recalc_timestamp = False
    options.drop_tables = [*options.drop_tables, "FFTM"]  # FontForge's timestamps
    out = io.BytesIO()
    with _quiet():
        font = subsetter.load_font(path, options, lazy=True, dontLoadGlyphNames=True)
        try:
            cutter = subsetter.Subsetter(options)
            cutter.populate(unicodes=codepoints)
            cutter.subset(font)
            subsetter.save_font(font, out, options)
        finally:
            font.close()
    return out.getvalue()


def key(codepoints: Iterable[int]) -> str:
    """The code points as a name for a URL: lower-case hex, ascending, joined by "-"."""
    return "-".join(f"{code:x}" for code in sorted(set(codepoints)))


def parse_key(text: str) -> frozenset[int] | None:
    """The code points `key` wrote, or None for anything `key` would not write (other
    spellings, code points in the BMP, too many): one set, one address."""
    if len(text) > MAX_CODEPOINTS * 7 or not _KEY.fullmatch(text):
        return None
    codes = [int(part, 16) for part in text.split("-")]
    if len(codes) > MAX_CODEPOINTS or any(not 0x10000 <= code <= 0x10FFFF for code in codes):
        return None
    found = frozenset(codes)
    return found if key(found) == text else None


def first(codepoints: Iterable[int]) -> frozenset[int]:
    """At most MAX_CODEPOINTS of `codepoints`, the lowest."""
    return frozenset(sorted(set(codepoints))[:MAX_CODEPOINTS])


def unicode_range(codepoints: Iterable[int]) -> str:
    """The CSS `unicode-range` value for exactly `codepoints`: runs of consecutive code
    points as ranges (U+2A6D0-2A6D2), others alone (U+21619), ascending."""
    parts: list[str] = []
    run: list[int] = []
    for code in sorted(set(codepoints)):
        if run and code == run[-1] + 1:
            run.append(code)
            continue
        if run:
            parts.append(_run(run))
        run = [code]
    if run:
        parts.append(_run(run))
    return ", ".join(parts)


def _run(run: list[int]) -> str:
    return f"U+{run[0]:X}" if len(run) == 1 else f"U+{run[0]:X}-{run[-1]:X}"


def font_face(font_url: str, codepoints: Iterable[int], kind: str | None = None) -> str:
    """A style sheet with the `@font-face` of the subset at `font_url`; empty (a comment)
    when there are no code points."""
    codes = sorted(set(codepoints))
    if not codes:
        return "/* No character on this page needs the rare-character font. */\n"
    return (
        f"/* {ATTRIBUTION} */\n"
        "@font-face {\n"
        f'  font-family: "{FAMILY}";\n'
        f'  src: url("{font_url}") format("{kind or flavor()}");\n'
        f"  unicode-range: {unicode_range(codes)};\n"
        "  font-display: swap;\n"
        "}\n"
    )


MEDIA_TYPES = {"woff2": "font/woff2", "woff": "font/woff"}
