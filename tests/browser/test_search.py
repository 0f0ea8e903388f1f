"""Search in the frozen showcase: Pagefind's index, queried in a real browser.

Chinese has no spaces between words, so only the Pagefind build that segments Chinese
finds a word from the middle of a sentence; these words come from the middle of the
demo cases' DNA paragraphs."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Showcase
from tests.browser.servers import StaticServer

QUERY = """async (word) => {
  const pagefind = await import(new URL("pagefind/pagefind.js", document.baseURI.replace(/(en\\/)?search\\/.*$/, "")));
  // As the search page asks: Chinese spaced into characters, in order (static/js/search.js).
  const found = await pagefind.search(window.showcaseSearch.term(word));
  const pages = await Promise.all(found.results.map((result) => result.data()));
  return pages.map((page) => page.url).sort();
}"""


@pytest.mark.parametrize(
    ("path", "word", "urls"),
    [
        ("search/", "稻浪", ["/cases/chishang-rice-2026/"]),
        ("search/", "副產物", ["/cases/chishang-rice-2026/"]),
        ("search/", "綠蠵龜", ["/cases/wangan-turtle-island-2026/"]),
        ("search/", "咾咕石", ["/cases/wangan-turtle-island-2026/"]),
        # Words the index's own segmenter cut elsewhere in their sentence (丁香魚, 可追溯,
        # 天台山日落): indexed a character at a time, any run of characters is found.
        ("search/", "香魚", ["/cases/wangan-turtle-island-2026/"]),
        ("search/", "追溯", ["/cases/wangan-turtle-island-2026/"]),
        ("search/", "台山日落", ["/cases/wangan-turtle-island-2026/"]),
        # In order: the same characters the other way round are not a match.
        ("search/", "魚香", []),
        ("en/search/", "咾咕石", ["/en/cases/wangan-turtle-island-2026/"]),
        ("search/", "高鐵", []),
        ("en/search/", "turtles", ["/en/cases/wangan-turtle-island-2026/"]),
        ("en/search/", "harvest", ["/en/cases/chishang-rice-2026/"]),
    ],
)
def test_search_finds_the_case_whose_dna_has_the_word(
    page: Page, showcase: Showcase, path: str, word: str, urls: list[str]
) -> None:
    page.goto(showcase.url + path)

    assert page.evaluate(QUERY, word) == urls


def test_search_page_shows_results_with_filters_for_a_query_in_the_address(page: Page, showcase: Showcase) -> None:
    page.goto(showcase.url + "search/?q=綠蠵龜")

    results = page.locator(".pagefind-ui__result-link")
    expect(results).to_have_count(1)
    expect(results.first).to_have_text("望安綠蠵龜之島：花宅聚落慢活創生計畫")
    filters = page.locator(".pagefind-ui__filter-name")
    # Pagefind's interface adds the filters one by one as their index files arrive; on a
    # loaded machine the last one has been seen to take longer than expect's 5 s default.
    expect(filters).to_have_count(5, timeout=20_000)
    names = sorted(name.strip() for name in filters.all_inner_texts())
    assert names == sorted(["區域", "年度", "策略", "縣市", "類型"])
    # Shown as the page writes them, without the spaces the index put between characters.
    excerpt = page.locator(".pagefind-ui__result-excerpt").first.inner_text()
    assert "<mark>" not in excerpt and "綠蠵龜" in excerpt, excerpt
    # Filter values as the pages write them: whole names, not the index's spaced characters.
    values = {v.strip() for v in page.locator(".pagefind-ui__filter-label").all_text_contents()}
    assert "澎湖縣 (1)" in values and "臺東縣" in {v.split(" (")[0] for v in values}, values
    assert [v for v in values if re.search("[\u4e00-\u9fff] [\u4e00-\u9fff]", v)] == []
    results.first.click()
    expect(page.locator("h1")).to_have_text("望安綠蠵龜之島：花宅聚落慢活創生計畫")


def test_a_filter_whose_index_arrives_after_the_first_answer_is_still_offered(page: Page, showcase: Showcase) -> None:
    """Pagefind's interface lists the filters named in the first search's answer, and that
    answer names only the filters whose index files had arrived by then: on a slow
    connection a search opened from an address (?q=) lost a filter for good."""
    late = sorted((showcase.build_dir / "pagefind" / "filter").glob("zh-hant-tw_*.pf_filter"))[0].name
    with StaticServer(showcase.build_dir, slow=late, delay=3.0) as server:
        page.goto(server.url + "search/?q=綠蠵龜")
        expect(page.locator(".pagefind-ui__result-link")).to_have_count(1)
        filters = page.locator(".pagefind-ui__filter-name")
        expect(filters).to_have_count(5, timeout=20_000)
        names = sorted(name.strip() for name in filters.all_inner_texts())
        assert names == sorted(["區域", "年度", "策略", "縣市", "類型"])
