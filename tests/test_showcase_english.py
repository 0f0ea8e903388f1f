"""The English showcase: its chrome comes from the message catalogue, its codes from the
reference data, and no Chinese is left on /en/ pages outside case content."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask import g, render_template_string

from portal import i18n
from portal.config import PROJECT_ROOT
from portal.domain import followup
from portal.domain.brief import CONSENSUS_KINDS, KPI_KINDS, SOURCES, SUPPORT_KINDS
from portal.domain.proposal import DNA_GROUPS, SECTORS, ProposalType
from portal.reference import PRIORITY_KINDS
from portal.showcase import labels, site
from portal.showcase.build import build
from tests.browser.servers import freeze_demo
from tests.conftest import TemplateDatabase, make_app
from tests.test_freeze_cache import publish_cases
from tests.test_freeze_cache import showcase as freeze_cache_showcase

# Han characters (with the extension planes), CJK punctuation, kana (・) and full-width forms.
CJK = re.compile(
    r"[\u2e80-\u303f\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003ffff]"
)
# Attributes whose text a visitor reads or hears.
READ_ATTRIBUTES = {"aria-label", "title", "alt", "placeholder", "data-unavailable", "data-loading"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
CATALOGUE = PROJECT_ROOT / "portal" / "translations"


class Chrome(HTMLParser):
    """The text of a page outside elements marked as Chinese (`lang="zh…"`: case text
    without English, and the language switch's 「中文」), and the text inside them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[tuple[str, bool]] = []  # tag, inside an element marked Chinese
        self.text: list[str] = []
        self.read: list[str] = []  # read attributes and the document's <title>
        self.marked: list[str] = []

    def _chinese(self) -> bool:
        return bool(self.open) and self.open[-1][1]

    def _attributes(self, tag: str, attrs: list[tuple[str, str | None]]) -> bool:
        chinese = self._chinese() or (dict(attrs).get("lang") or "").startswith("zh")
        if not chinese:
            self.read += [f"{tag}[{name}]={value}" for name, value in attrs if name in READ_ATTRIBUTES and value]
        return chinese

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        chinese = self._attributes(tag, attrs)
        if tag not in VOID:
            self.open.append((tag, chinese))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._attributes(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        while self.open:
            if self.open.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        tags = [tag for tag, _ in self.open]
        if not data.strip():
            return
        if self._chinese():
            self.marked.append(data.strip())
        elif tags[-1:] == ["title"] and "svg" not in tags:
            self.read.append(data.strip())
        else:
            self.text.append(data.strip())

    def cjk(self) -> list[str]:
        """Chrome text with Chinese in it, and read attributes and the <title> with
        Chinese in them that is not case text shown (marked) on the same page: an
        English page's <title> may hold a case title that has no English, and a
        progress bar's label the KPI it measures."""
        marked = sorted(set(self.marked), key=len, reverse=True)

        def unmarked(text: str) -> str:
            for fragment in marked:
                text = text.replace(fragment, "")
            return text

        return [t for t in self.text if CJK.search(t)] + [t for t in self.read if CJK.search(unmarked(t))]


def chinese_in_chrome(html: str) -> list[str]:
    parser = Chrome()
    parser.feed(html)
    parser.close()
    return parser.cjk()


@pytest.fixture(scope="module")
def demo_build(tmp_path_factory: pytest.TempPathFactory, template_db: TemplateDatabase) -> Path:
    return freeze_demo(tmp_path_factory.mktemp("english"), template_db)


def test_english_pages_have_no_chinese_outside_case_content(demo_build: Path) -> None:
    pages = sorted(demo_build.glob("en/**/*.html"))

    found = {str(p.relative_to(demo_build)): chinese_in_chrome(p.read_text("utf-8")) for p in pages}

    assert {page: texts for page, texts in found.items() if texts} == {}
    # Every kind of page was looked at: home, listings, facets, cases, statistics, data, site pages.
    kinds = {str(p.relative_to(demo_build)).split("/")[1] for p in pages}
    assert {"index.html", "cases", "county", "region", "strategy", "type", "year", "statistics", "data"} <= kinds


def test_the_check_finds_chinese_chrome_and_skips_marked_content() -> None:
    page = (
        '<html lang="en"><head><title>池上 – Showcase</title></head><body>'
        '<h1><span lang="zh-Hant-TW">池上</span></h1><p>Theme: <span lang="zh-Hant-TW">稻米</span></p>'
        '<p>地點：x</p><input placeholder="例如"><svg><title>Map：</title></svg>'
        '<progress aria-label="Progress of 稻米"></progress><nav aria-label="主選單"></nav></body></html>'
    )

    assert chinese_in_chrome(page) == ["地點：x", "Map：", "input[placeholder]=例如", "nav[aria-label]=主選單"]


def test_english_case_page_names_every_code_in_english(demo_build: Path) -> None:
    page = (demo_build / "en/cases/wangan-turtle-island-2026/index.html").read_text("utf-8")

    head = re.search(r'<header class="brief-head">.*?</header>', page, re.S)
    assert head is not None
    lines = [html.unescape(re.sub(r"<[^>]+>", "", p)) for p in re.findall(r"<p>(.*?)</p>", head.group(0))]
    assert lines == [
        "Township · Penghu, Kinmen and Lienchiang · Wang'an Township, Penghu County · "
        "Theme: 離島生態與聚落活化 · 2026 cycle",
        "Corporate investment in hometowns Technology adoption Social participation Brand building ",
    ]
    assert re.findall(r'data-pagefind-filter="([^"]+)"', head.group(0))[:4] == ["type", "region", "county", "year"]


def test_region_names_are_their_counties_from_the_reference_data() -> None:
    assert labels.REGIONS_EN == {
        "北北基宜": "Taipei, New Taipei, Keelung and Yilan",
        "桃竹苗": "Taoyuan, Hsinchu and Miaoli",
        "中彰投": "Taichung, Changhua and Nantou",
        "雲嘉南": "Yunlin, Chiayi and Tainan",
        "高高屏": "Kaohsiung and Pingtung",
        "花東": "Hualien and Taitung",
        "澎金馬": "Penghu, Kinmen and Lienchiang",
    }


def test_label_tables_hold_the_domains_codes_and_labels() -> None:
    """The showcase marks the labels for the catalogue; they must stay the domain's."""
    assert {t.value: t.label for t in ProposalType} == labels.TYPES
    assert labels.SOURCES == SOURCES
    assert labels.KPI_KINDS == KPI_KINDS
    assert {s.value: s.label for s in followup.BusinessStatus} == labels.BUSINESS_STATUSES
    assert {r.value: r.label for r in followup.Rating} == labels.RATINGS
    assert (list(labels.SECTORS), list(labels.DNA_GROUPS)) == (list(SECTORS), list(DNA_GROUPS))
    assert (list(labels.SUPPORT_KINDS), list(labels.CONSENSUS_KINDS)) == (list(SUPPORT_KINDS), list(CONSENSUS_KINDS))
    assert list(labels.PRIORITY_KINDS) == list(PRIORITY_KINDS)


# The README's extraction command ("The public showcase"), from the top of the repository.
EXTRACT = ["extract", "-F", "babel.cfg", "--omit-header", "--no-wrap", "--add-location=file"]


def test_messages_pot_is_what_extraction_gives_today(tmp_path: Path) -> None:
    """After marking or changing text, run the README's commands and translate the new
    entries of en/LC_MESSAGES/messages.po."""
    fresh = tmp_path / "messages.pot"

    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", *EXTRACT, "-o", str(fresh), "."],
        cwd=PROJECT_ROOT,
        check=True,
        capture_output=True,
    )

    assert fresh.read_text("utf-8") == (CATALOGUE / "messages.pot").read_text("utf-8")


def test_english_catalogue_translates_every_message_and_no_other() -> None:
    with (CATALOGUE / "messages.pot").open("rb") as file:
        template = read_po(file)
    with (CATALOGUE / "en" / "LC_MESSAGES" / "messages.po").open("rb") as file:
        english = read_po(file, locale="en")

    wanted = {(m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in template if m.id}
    given = {(m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in english if m.id}
    untranslated = [
        m.id for m in english if m.id and (m.fuzzy or not all(m.string if isinstance(m.string, tuple) else [m.string]))
    ]
    assert (sorted(wanted - given), sorted(given - wanted), untranslated) == ([], [], [])


def test_portal_chrome_goes_through_the_same_catalogue(tmp_path: Path) -> None:
    """The portal is Chinese only, but its layout's text is looked up in the catalogue,
    so an English portal needs only a way to choose the language."""
    app = make_app(tmp_path)
    template = '{{ _("登出") }}｜{{ _("跳到主要內容") }}'

    with app.test_request_context("/"):
        chinese = render_template_string(template)
        g.lang = "en"
        english = render_template_string(template)

    assert (chinese, english) == ("登出｜跳到主要內容", "Sign out｜Skip to content")


def test_a_changed_translation_reaches_case_pages_already_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Case pages are kept from the last build unless their file or the site changed;
    the catalogue (like the code beside it) counts as the site."""
    publish_cases(tmp_path / "proposals", 2)
    destination = tmp_path / "build"
    build(freeze_cache_showcase(tmp_path), destination)
    code = tmp_path / "code"
    shutil.copytree(i18n.TRANSLATIONS, code / "translations")
    po = code / "translations" / "en" / "LC_MESSAGES" / "messages.po"
    po.write_text(po.read_text("utf-8").replace('msgstr "1. Local DNA"', 'msgstr "1. The local DNA"'), "utf-8")
    monkeypatch.setattr(i18n, "TRANSLATIONS", code / "translations")
    monkeypatch.setattr(site, "CODE", code)
    i18n.catalogue.cache_clear()
    try:
        # Another address too, since the build's own digest reads the real package.
        build(freeze_cache_showcase(tmp_path, SITE_URL="https://other.test/"), destination)
    finally:
        i18n.catalogue.cache_clear()

    page = (destination / "en" / "cases" / "case-0001" / "index.html").read_text("utf-8")
    assert ("<h2>1. The local DNA</h2>" in page, "<h2>1. Local DNA</h2>" in page) == (True, False)
