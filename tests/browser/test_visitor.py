"""A visitor on the frozen showcase, served as plain files: finding a case from the home
page, its county page, the map and search, in Chinese and in English, with and without
JavaScript, on a desktop and on a phone."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from portal.demo import demo_cases
from tests.browser.conftest import Showcase, open_context, screenshot

# Always one of the six newest cases on the home page, led by 臺南市左鎮區. The demo
# publishes its cases within a few seconds, newest first by the second of publication
# and then by slug from the end of the alphabet: this one is published second to last
# and has the last slug, so however the seconds fall only 東引's can come before it.
CASE = "左鎮惡地化石小鎮：白堊土地景與山村生活計畫"
CASE_EN = "Zuozhen Badlands Fossil Town: Chalk Hills and Mountain Village Life"
# From the middle of 池上's DNA paragraph: found only if Chinese is segmented.
DNA_WORD = "稻浪"
DNA_CASE = "池上米鄉共好：稻作文化與有機循環創生計畫"


def heading(page: Page) -> str:
    return page.get_by_role("heading", level=1).inner_text()


def find_the_case(page: Page, base: str, shots: str) -> None:
    page.goto(base)
    assert heading(page) == "地方創生成果展示"
    screenshot(page, f"{shots}-showcase-home")
    page.get_by_role("region", name="最新案例").get_by_role("link", name=CASE).click()
    assert heading(page) == CASE
    screenshot(page, f"{shots}-showcase-case")

    # Through the browse page to the county's page.
    page.get_by_role("navigation", name="主選單").get_by_role("link", name="瀏覽").click()
    page.get_by_role("region", name="依縣市").get_by_role("link", name="臺南市").click()
    assert heading(page) == "臺南市"
    screenshot(page, f"{shots}-showcase-county")
    page.get_by_role("link", name=CASE).click()
    assert heading(page) == CASE

    # On the map: each case is a link on its township.
    page.get_by_role("link", name="地方創生成果展示").first.click()
    page.get_by_role("region", name="案例分布").get_by_role("link", name=f"左鎮區：{CASE}").click()
    assert heading(page) == CASE

    # The same case in English, and back.
    page.get_by_role("link", name="English").click()
    assert heading(page) == CASE_EN
    assert page.locator("html").get_attribute("lang") == "en"
    screenshot(page, f"{shots}-showcase-case-en")
    page.get_by_role("link", name="中文").click()
    assert heading(page) == CASE


def test_visitor_finds_a_case_every_way(page: Page, showcase: Showcase) -> None:
    find_the_case(page, showcase.url, "desktop")


def test_visitor_searches_with_a_chinese_word_from_the_dna(page: Page, showcase: Showcase) -> None:
    page.goto(showcase.url)
    page.get_by_role("search").get_by_label("搜尋案例").fill(DNA_WORD)
    page.get_by_role("search").get_by_role("button", name="搜尋").click()

    results = page.locator(".pagefind-ui__result-link")
    expect(results).to_have_count(1)
    expect(results).to_have_text([DNA_CASE])
    screenshot(page, "desktop-showcase-search")
    results.first.click()
    assert heading(page) == DNA_CASE


@pytest.mark.parametrize(("phone", "javascript", "shots"), [(False, False, "nojs"), (True, True, "phone")])
def test_visitor_without_javascript_or_on_a_phone(
    browser: Browser, showcase: Showcase, phone: bool, javascript: bool, shots: str
) -> None:
    context = open_context(browser, phone=phone, javascript=javascript)
    try:
        page = context.new_page()
        find_the_case(page, showcase.url, shots)
        # Nothing on the page is wider than the screen.
        page.goto(showcase.url)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth") is True
    finally:
        context.close()


def test_search_without_javascript_points_to_the_browse_pages(browser: Browser, showcase: Showcase) -> None:
    context = open_context(browser, javascript=False)
    try:
        page = context.new_page()
        page.goto(showcase.url)
        page.get_by_role("search").get_by_label("搜尋案例").fill(DNA_WORD)
        page.get_by_role("search").get_by_role("button", name="搜尋").click()
        expect(page.get_by_role("status")).to_have_text("搜尋需要 JavaScript，這個瀏覽器目前沒有開啟。")
        page.get_by_role("link", name="依縣市、區域、策略、類型與年度瀏覽").click()
        assert heading(page) == "瀏覽案例"
    finally:
        context.close()


DEMO_SLUGS = tuple(sorted(case["slug"] for case in demo_cases() if case["stage"] == "published"))


def test_dates_never_break_in_the_middle_on_a_phone(browser: Browser, showcase: Showcase) -> None:
    """Every date and amount on the demo's case pages stays on one line on a 360 px
    phone (at that width 「2026-11-30」 broke as 「2026-11-」 / 「30」)."""
    context = browser.new_context(viewport={"width": 360, "height": 800}, is_mobile=True, has_touch=True)
    broken = {}
    try:
        page = context.new_page()
        for slug in DEMO_SLUGS:
            page.goto(f"{showcase.url}/cases/{slug}/")
            lines = page.locator("main time, main data.amount").evaluate_all(
                "ts => ts.map(t => [t.textContent, t.getClientRects().length])"
            )
            broken[slug] = [text for text, count in lines if count != 1]
    finally:
        context.close()

    assert broken == {slug: [] for slug in DEMO_SLUGS}
