"""𥕢 and 𡘙 are drawn, on screen and in the printed PDF, by a Chromium whose fonts lack
them: from the portal's font subset on the brief, and from the frozen showcase's subset
on a case page.

The Chromium here sees the machine's fonts less every font that has either character
(found with `fc-list ':charset=…'`: Noto CJK and the CNS 11643 fonts themselves), so
only the web font can draw them. A character no font has is drawn as the same empty
box whatever it is; drawn glyphs differ from that box and from each other."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from playwright.sync_api import Browser, Page, Playwright
from pypdf import PdfReader

from portal import rarefont, snapshot
from portal.config import PROJECT_ROOT
from portal.showcase import create_showcase_app
from portal.showcase.build import build
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, Portal, open_context, screenshot
from tests.browser.pages import draft
from tests.browser.people import TOWNSHIP, login
from tests.browser.servers import StaticServer
from tests.test_freeze_cache import every_field_case

RARE = (0x25562, 0x21619)  # 𥕢 𡘙
TITLE = "𥕢仔與𡘙仔的山城"
NO_FONT_HAS_IT = 0x10FFFD  # the last private-use code point: drawn as the missing-glyph box


def fonts_with_the_characters() -> list[str]:
    files: set[str] = set()
    for code in RARE:
        listed = subprocess.run(["fc-list", f":charset={code:x}", "file"], capture_output=True, text=True, check=True)
        files |= {line.split(":")[0].strip() for line in listed.stdout.splitlines() if line.strip()}
    return sorted(files)


@pytest.fixture(scope="module")
def bare_browser(playwright: Playwright, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    """Chromium with a fontconfig that rejects every installed font drawing 𥕢 or 𡘙."""
    missing = []
    if not Path(rarefont.DEFAULT_SOURCE).is_file():
        missing.append(f"the CNS 11643 font {rarefont.DEFAULT_SOURCE} (apt-get install fonts-cns11643-sung)")
    if shutil.which("fc-list") is None:
        missing.append("fc-list (apt-get install fontconfig)")
    if missing:
        reason = "the rare-character test needs " + ", ".join(missing)
        if os.environ.get("PORTAL_BROWSER_REQUIRED"):
            pytest.fail(reason + " (PORTAL_BROWSER_REQUIRED is set)", pytrace=False)
        pytest.skip(reason)
    config = tmp_path_factory.mktemp("fontconfig") / "fonts.conf"
    rejected = "".join(f"<glob>{escape(path)}</glob>" for path in fonts_with_the_characters())
    config.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
        '  <include ignore_missing="no">/etc/fonts/fonts.conf</include>\n'
        f"  <selectfont><rejectfont>{rejected}</rejectfont></selectfont>\n</fontconfig>\n",
        encoding="utf-8",
    )
    environment = {**os.environ, "FONTCONFIG_FILE": str(config)}
    chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, env=environment)
    yield chromium
    chromium.close()


def drawn(page: Page, codes: tuple[int, ...]) -> list[bytes]:
    """Pictures of each character alone in the page's own fonts, large, one after the
    other in the same place (so that two missing-glyph boxes are the same picture)."""
    page.evaluate(
        """() => {
            const probe = document.createElement("span");
            probe.id = "rare-probe";
            probe.style.fontSize = "64px";
            document.querySelector("main").prepend(probe);
        }"""
    )
    pictures = []
    for code in codes:
        page.evaluate(
            """async (code) => {
                document.getElementById("rare-probe").textContent = String.fromCodePoint(code);
                await document.fonts.ready;
                await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
            }""",
            code,
        )
        pictures.append(page.locator("#rare-probe").screenshot())
    page.evaluate("document.getElementById('rare-probe').remove()")
    return pictures


def web_font_status(page: Page) -> list[str]:
    return page.evaluate(
        """() => [...document.fonts]
            .filter((face) => face.family.replaceAll('"', "") === "Rare Han")
            .map((face) => face.status)"""
    )


def without_the_web_font(page: Page) -> None:
    page.evaluate(
        """async () => {
            document.querySelectorAll('link[href*="fonts/rare"]').forEach((link) => link.remove());
            await document.fonts.ready;
            await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
        }"""
    )


def assert_drawn_from_the_web_font(page: Page, heading: str) -> None:
    """Each character alone is a glyph of its own, not the missing-glyph box, and the
    heading that has them in a line of common characters looks different without the
    web font (Chromium drew such a whole line as boxes when the font was missing)."""
    first, second, box = drawn(page, (*RARE, NO_FONT_HAS_IT))
    assert (first != box, second != box, first != second) == (True, True, True)
    assert web_font_status(page) == ["loaded"]
    title = page.get_by_role("heading", name=heading, exact=True).first
    with_font = title.screenshot()
    without_the_web_font(page)
    assert title.screenshot() != with_font, "the heading looks the same without the web font"


def mapped(cmap: str) -> set[str]:
    """The characters a ToUnicode CMap maps glyphs to (its bfchar and bfrange entries)."""
    chars = set()
    for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.S):
        chars |= {bytes.fromhex(target).decode("utf-16-be") for target in re.findall(r"<\w+>\s*<(\w+)>", block)}
    for block in re.findall(r"beginbfrange(.*?)endbfrange", cmap, re.S):
        for low, high, target in re.findall(r"<(\w+)>\s*<(\w+)>\s*<(\w+)>", block):
            first = ord(bytes.fromhex(target).decode("utf-16-be"))
            chars |= {chr(first + n) for n in range(int(high, 16) - int(low, 16) + 1)}
    return chars


def pdf_fonts(pdf: bytes) -> dict[str, set[str]]:
    """Each font of the PDF's page, by name without its subset tag, and the characters
    its glyphs stand for."""
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    found: dict[str, set[str]] = {}
    for reference in page["/Resources"]["/Font"].values():
        font = reference.get_object()
        name = font.get("/BaseFont") or font["/FontDescriptor"]["/FontName"]
        cmap = font["/ToUnicode"].get_object().get_data().decode("latin-1") if "/ToUnicode" in font else ""
        found.setdefault(str(name).split("+", 1)[-1], set()).update(mapped(cmap))
    return found


def test_brief_draws_rare_characters_on_screen_and_in_print(bare_browser: Browser, portal: Portal) -> None:
    number = draft(portal, TITLE)
    context = open_context(bare_browser)
    page = context.new_page()
    login(page, portal.url, TOWNSHIP)
    page.goto(f"{portal.url}/proposals/{number}/brief")
    page.evaluate("document.fonts.ready")

    pdf = page.pdf(format="A4")
    screenshot(page, "rare-characters-brief")
    assert_drawn_from_the_web_font(page, TITLE)
    context.close()

    SCREENSHOTS.mkdir(exist_ok=True)
    (SCREENSHOTS / "rare-characters-brief.pdf").write_bytes(pdf)
    # The printed page draws both from the subset, named after the CNS font it was cut from.
    fonts = pdf_fonts(pdf)
    assert [name for name, chars in fonts.items() if {"𥕢", "𡘙"} <= chars] == ["TW-Sung-Ext-B-98_1"]


@pytest.fixture(scope="module")
def rare_showcase(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A showcase of one case with 𥕢 and 𡘙 in its title, frozen and served; its URL."""
    folder = tmp_path_factory.mktemp("rare-showcase")
    case = every_field_case()
    path = folder / "proposals" / case.cycle / f"{case.slug}.md"
    path.parent.mkdir(parents=True)
    path.write_text(snapshot.dump(case), encoding="utf-8")
    app = create_showcase_app(
        {
            "PROPOSALS_DIR": str(folder / "proposals"),
            "CONTENT_DIR": str(PROJECT_ROOT / "content"),
            "BUILD_DIR": str(folder / "build"),
        }
    )
    build(app, folder / "build")
    with StaticServer(folder / "build") as server:
        yield f"{server.url}cases/{case.slug}/"


def test_showcase_case_page_draws_rare_characters(bare_browser: Browser, rare_showcase: str) -> None:
    context = open_context(bare_browser)
    page = context.new_page()
    page.goto(rare_showcase)
    page.evaluate("document.fonts.ready")
    screenshot(page, "rare-characters-showcase-case")

    assert_drawn_from_the_web_font(page, every_field_case().title)
    context.close()
