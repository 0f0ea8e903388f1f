"""The rare-character font: subsets with exactly the code points asked for, the same bytes
for the same input, the portal's style sheet and font routes, and the showcase's subset.

The source font here is a small one made with fontTools, so that these tests need no
installed font; tests/browser/test_rare_characters.py uses the real CNS 11643 font."""

from __future__ import annotations

import dataclasses
import io
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from fontTools.fontBuilder import FontBuilder
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont

from portal import rarefont, snapshot
from portal.domain.roles import Role
from portal.showcase.build import build
from portal.views import fonts
from tests.conftest import PULI, Auth, Factory, versioned
from tests.test_freeze_cache import every_field_case, showcase

# 𠀀𠀁𠀂 are consecutive; 𡘙 and 𥕢 are the names' characters; 𪛖 (U+2A6D6) is not in the font.
FONT_CODES = (0x41, 0x20000, 0x20001, 0x20002, 0x21619, 0x25562)
RARE = "𥕢𡘙"
TITLE = "𥕢仔與𡘙仔的山城"


def square(size: int) -> object:
    pen = TTGlyphPen(None)
    for point in ((100, 100), (100, size), (size, size), (size, 100)):
        (pen.lineTo if point != (100, 100) else pen.moveTo)(point)
    pen.closePath()
    return pen.glyph()


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A TrueType font with a glyph of its own size for each of FONT_CODES."""
    names = {code: f"u{code:04X}" for code in FONT_CODES}
    builder = FontBuilder(1000, isTTF=True)
    builder.setupGlyphOrder([".notdef", *names.values()])
    builder.setupCharacterMap(names)
    glyphs = {".notdef": square(150), **{name: square(300 + 100 * n) for n, name in enumerate(names.values())}}
    builder.setupGlyf(glyphs)
    builder.setupHorizontalMetrics({name: (1000, 100) for name in glyphs})
    builder.setupHorizontalHeader(ascent=880, descent=-120)
    builder.setupNameTable({"familyName": "Test Rare", "styleName": "Regular", "copyright": "Test font for the portal"})
    builder.setupOS2(sTypoAscender=880, usWinAscent=880, usWinDescent=120)
    builder.setupPost()
    path = tmp_path_factory.mktemp("font") / "test-rare.ttf"
    builder.save(str(path))
    return path


def read_back(data: bytes) -> tuple[set[int], str | None, int]:
    """The code points a font file maps, its WOFF flavour and its glyph count."""
    font = TTFont(io.BytesIO(data))
    return set(font.getBestCmap()), font.flavor, len(font.getGlyphOrder())


# --- subsets --------------------------------------------------------------------------------


def test_subset_holds_exactly_the_code_points_asked_for(source: Path) -> None:
    data = rarefont.subset(source, [0x25562, 0x21619])
    assert read_back(data) == ({0x21619, 0x25562}, rarefont.flavor(), 3)  # with .notdef
    original = TTFont(str(source))
    cut = TTFont(io.BytesIO(data))
    assert [cut["glyf"][n].coordinates == original["glyf"][n].coordinates for n in ("u21619", "u25562")] == [
        True,
        True,
    ]
    assert cut["name"].getDebugName(0) == "Test font for the portal"


def test_subset_is_the_same_bytes_for_the_same_input(source: Path) -> None:
    first = rarefont.subset(source, [0x21619, 0x25562], "woff")
    rarefont._subset.cache_clear()
    assert rarefont.subset(source, [0x25562, 0x21619, 0x25562], "woff") == first
    assert rarefont.subset(source, [0x21619], "woff") != first


def test_covered_lists_the_fonts_code_points_outside_the_bmp(source: Path) -> None:
    assert rarefont.covered(source) == {0x20000, 0x20001, 0x20002, 0x21619, 0x25562}


def test_used_finds_each_character_outside_the_bmp_once() -> None:
    assert rarefont.used("林𥕢美、𡘙仔與𥕢 A 國") == {0x25562, 0x21619}
    assert rarefont.used("國語 ABC") == frozenset()


@pytest.mark.parametrize(
    ("codes", "expected"),
    [
        ([0x25562, 0x21619], "U+21619, U+25562"),
        ([0x20002, 0x20000, 0x25562, 0x20001], "U+20000-20002, U+25562"),
        ([0x2A6D6], "U+2A6D6"),
    ],
)
def test_unicode_range_lists_exactly_the_code_points(codes: list[int], expected: str) -> None:
    assert rarefont.unicode_range(codes) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("21619-25562", frozenset({0x21619, 0x25562})),
        ("25562", frozenset({0x25562})),
        ("25562-21619", None),  # not in order: another address for the same set
        ("21619-21619", None),
        ("021619", None),
        ("2161A", None),  # upper case
        ("4e00", None),  # in the BMP
        ("110000", None),  # beyond Unicode
        ("-".join(f"{code:x}" for code in range(0x20000, 0x20000 + rarefont.MAX_CODEPOINTS + 1)), None),
    ],
)
def test_parse_key_takes_only_what_key_writes(text: str, expected: frozenset[int] | None) -> None:
    assert rarefont.parse_key(text) == expected
    if expected is not None:
        assert rarefont.key(expected) == text


# --- the portal -----------------------------------------------------------------------------

STYLESHEETS = re.compile(r'<link rel="stylesheet" href="([^"]+)">')
CSS, AUTOSAVE_CSS = versioned("css/portal.css"), versioned("css/autosave.css")


def signed_in_draft(app: Flask, make: Factory, auth: Auth, font: Path, title: str = TITLE) -> int:
    app.config["RARE_FONT"] = str(font)
    township = make.user(Role.TOWNSHIP, township=PULI)
    auth.login(township.email)
    return make.proposal(township, title=title).id


def test_a_page_with_rare_characters_links_the_style_sheet_for_them(
    app: Flask, make: Factory, auth: Auth, source: Path
) -> None:
    draft = signed_in_draft(app, make, auth, source)
    pages = [f"/proposals/{draft}/edit", f"/proposals/{draft}/edit/basics", f"/proposals/{draft}/brief"]

    linked = [STYLESHEETS.findall(auth.client.get(path).get_data(as_text=True)) for path in pages]

    assert linked == [
        [f"/static/{CSS}", "/fonts/rare-21619-25562.css"],
        # A section's form saves itself in the background and has that part's styles.
        [f"/static/{CSS}", f"/static/{AUTOSAVE_CSS}", "/fonts/rare-21619-25562.css"],
        [f"/static/{CSS}", "/fonts/rare-21619-25562.css"],
    ]
    notifications = auth.client.get("/notifications/").get_data(as_text=True)
    assert STYLESHEETS.findall(notifications) == [f"/static/{CSS}"]


def test_no_style_sheet_is_linked_without_the_source_font(
    app: Flask, make: Factory, auth: Auth, tmp_path: Path
) -> None:
    draft = signed_in_draft(app, make, auth, tmp_path / "no-such-font.ttf")
    page = auth.client.get(f"/proposals/{draft}/brief").get_data(as_text=True)
    assert (TITLE in page, STYLESHEETS.findall(page)) == (True, [f"/static/{CSS}"])


def test_style_sheet_declares_the_subset_of_the_characters_the_font_has(app: Flask, source: Path) -> None:
    app.config["RARE_FONT"] = str(source)
    client = app.test_client()
    kind = rarefont.flavor()

    sheet = client.get("/fonts/rare-21619-25562-2a6d6.css")
    font = client.get(f"/fonts/rare-21619-25562.{kind}")

    assert (sheet.status_code, sheet.mimetype, sheet.headers["Cache-Control"]) == (
        200,
        "text/css",
        "public, max-age=86400",
    )
    assert sheet.get_data(as_text=True) == (
        "/* Characters outside the BMP: TW-Sung Ext-B (全字庫正宋體 Ext-B), (c) National Development Council"
        " (國家發展委員會), Open Government Data License, version 1.0 (https://data.gov.tw/license). */\n"
        "@font-face {\n"
        '  font-family: "Rare Han";\n'
        f'  src: url("rare-21619-25562.{kind}") format("{kind}");\n'
        "  unicode-range: U+21619, U+25562;\n"
        "  font-display: swap;\n"
        "}\n"
    )
    assert (font.status_code, font.mimetype) == (200, f"font/{kind}")
    assert read_back(font.data) == ({0x21619, 0x25562}, kind, 3)


@pytest.mark.parametrize(
    "path",
    [
        "/fonts/rare-21619-2a6d6.{kind}",  # 𪛖 is not in the font
        "/fonts/rare-25562-21619.{kind}",  # not the address the style sheet names
        "/fonts/rare-4e00.{kind}",
        "/fonts/rare-21619.{other}",  # the other kind is not made here
    ],
)
def test_fonts_not_in_any_style_sheet_are_not_found(app: Flask, source: Path, path: str) -> None:
    app.config["RARE_FONT"] = str(source)
    kind = rarefont.flavor()
    other = "woff" if kind == "woff2" else "woff2"
    assert app.test_client().get(path.format(kind=kind, other=other)).status_code == 404


@pytest.fixture
def fresh_minute() -> Iterator[None]:
    """A worker that has cut no subset yet, and leaves none counted for the next test."""
    fonts._made.clear()
    fonts._recent.clear()
    yield
    fonts._made.clear()
    fonts._recent.clear()


def test_a_worker_cuts_only_a_few_new_subsets_a_minute(app: Flask, source: Path, fresh_minute: None) -> None:
    app.config["RARE_FONT"] = str(source)
    kind = rarefont.flavor()
    client = app.test_client()
    rare = (0x20000, 0x20001, 0x20002, 0x21619, 0x25562)
    # Sets of one and of two of the font's five rare characters: more than a minute's share.
    sets = [frozenset([code]) for code in rare] + [frozenset(rare[:2]), frozenset(rare[2:4])]
    paths = [f"/fonts/rare-{rarefont.key(codes)}.{kind}" for codes in sets]

    answers = [client.get(path) for path in paths]

    assert [a.status_code for a in answers] == [200] * fonts.NEW_PER_MINUTE + [503]
    assert answers[-1].headers["Retry-After"] == "60"
    assert "Cache-Control" not in answers[-1].headers or "max-age" not in answers[-1].headers["Cache-Control"]
    # A subset cut before is still served.
    again = client.get(paths[0])
    assert (again.status_code, again.data) == (200, answers[0].data)


# --- the showcase ---------------------------------------------------------------------------


FOOTER = "罕用字字型：全字庫正宋體 Ext-B，國家發展委員會（政府資料開放授權條款第1版）。"


def publish_rare_case(tmp_path: Path) -> snapshot.Case:
    case = every_field_case()  # 𥕢 and 𡘙 in its title, a business and the DNA
    path = tmp_path / "proposals" / case.cycle / f"{case.slug}.md"
    path.parent.mkdir(parents=True)
    path.write_text(snapshot.dump(case), encoding="utf-8")
    return case


def showcase_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "portal.showcase" and r.levelno == logging.WARNING]


def fonts_folder(build_dir: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((build_dir / "static" / "fonts").iterdir())}


def test_showcase_ships_a_subset_of_the_cases_rare_characters(tmp_path: Path, source: Path) -> None:
    case = publish_rare_case(tmp_path)
    destination = tmp_path / "build"

    build(showcase(tmp_path, RARE_FONT=str(source)), destination)

    shipped = fonts_folder(destination)
    kind = rarefont.flavor()
    font_name = next(name for name in shipped if name != "rare.css")
    assert re.fullmatch(rf"rare-[0-9a-f]{{16}}\.{kind}", font_name)
    assert shipped["rare.css"].decode() == rarefont.font_face(font_name, {0x21619, 0x25562}, kind)
    assert read_back(shipped[font_name]) == ({0x21619, 0x25562}, kind, 3)
    version = font_name[len("rare-") : -len(f".{kind}")]
    case_page = (destination / "cases" / case.slug / "index.html").read_text("utf-8")
    assert STYLESHEETS.findall(case_page) == [
        f"../../static/{CSS}",
        f"../../static/fonts/rare.css?v={version}",
    ]
    assert FOOTER in case_page

    reference = tmp_path / "reference" / "build"
    build(showcase(tmp_path, RARE_FONT=str(source), BUILD_DIR=str(reference)), reference)
    assert fonts_folder(reference) == shipped
    assert build(showcase(tmp_path, RARE_FONT=str(source)), destination).written == 0


def test_showcase_without_the_source_font_is_built_and_warns(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    case = publish_rare_case(tmp_path)
    missing = tmp_path / "no-such-font.ttf"

    with caplog.at_level(logging.WARNING):
        build(showcase(tmp_path, RARE_FONT=str(missing)), tmp_path / "build")

    assert showcase_warnings(caplog) == [
        f"找不到罕用字字型 {missing}（Debian 套件 fonts-cns11643-sung，或以 PORTAL_RARE_FONT 指定）："
        "網站照常產生，但不附罕用字字型，缺字的讀者會看到空框：𡘙 𥕢"
    ]
    assert fonts_folder(tmp_path / "build") == {"rare.css": rarefont.font_face("", ()).encode()}
    case_page = (tmp_path / "build" / "cases" / case.slug / "index.html").read_text("utf-8")
    assert (RARE[0] in case_page, STYLESHEETS.findall(case_page)) == (True, [f"../../static/{CSS}"])
    assert FOOTER not in case_page


def test_showcase_names_the_characters_its_source_font_lacks(
    tmp_path: Path, source: Path, caplog: pytest.LogCaptureFixture
) -> None:
    case = dataclasses.replace(every_field_case(), theme="𪛖")
    path = tmp_path / "proposals" / case.cycle / f"{case.slug}.md"
    path.parent.mkdir(parents=True)
    path.write_text(snapshot.dump(case), encoding="utf-8")

    with caplog.at_level(logging.WARNING):
        build(showcase(tmp_path, RARE_FONT=str(source)), tmp_path / "build")

    assert showcase_warnings(caplog) == [f"罕用字字型 {source} 沒有這些字，網站不附它們的字型：𪛖"]
    css = fonts_folder(tmp_path / "build")["rare.css"].decode()
    assert "unicode-range: U+21619, U+25562;" in css
