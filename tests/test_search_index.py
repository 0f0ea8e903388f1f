"""The copies of the case pages Pagefind indexes: Chinese a character at a time, filter
values whole, everything else exactly as written (portal/showcase/search.py)."""

from __future__ import annotations

import re

import pytest

from portal.showcase.search import spaced, spaced_html


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("七股鹽雕", "七 股 鹽 雕"),
        ("今年試辦七股鹽雕體驗。", "今 年 試 辦 七 股 鹽 雕 體 驗。"),
        # Latin words, digits and punctuation between characters are left alone.
        ("SBIR計畫 2026年", "SBIR計 畫 2026年"),
        # Characters beyond the Basic Multilingual Plane, as in place names.
        ("𥕢𡘙村", "𥕢 𡘙 村"),
        ("", ""),
    ],
)
def test_spaced_puts_a_space_between_neighbouring_han_characters(given: str, expected: str) -> None:
    assert spaced(given) == expected


def test_spaced_html_spaces_text_and_keeps_markup_entities_and_scripts() -> None:
    page = (
        '<!doctype html><html lang="zh-Hant-TW"><head><title>望安</title><style>p::after{content:"中文"}</style>'
        '</head><body><article data-pagefind-body><h1 id="t">綠蠵龜 A&amp;B</h1>'
        '<p class="x">丁香魚<br>小管&#20094;貨<!-- 註解 --></p>'
        '<script>var a = "中文";</script></article></body></html>'
    )

    assert spaced_html(page) == (
        '<!doctype html><html lang="zh-Hant-TW"><head><title>望 安</title><style>p::after{content:"中文"}</style>'
        # Text after a tag that follows a character starts with a space; a character
        # written as a reference is a character too.
        '</head><body><article data-pagefind-body><h1 id="t"> 綠 蠵 龜 A&amp;B</h1>'
        '<p class="x">丁 香 魚<br> 小 管 &#20094; 貨<!-- 註解 --></p>'
        '<script>var a = "中文";</script></article></body></html>'
    )


def test_spaced_html_spaces_characters_either_side_of_a_tag() -> None:
    given = "<p><strong>七股</strong>鹽雕</p><p>體驗</p>"
    assert spaced_html(given) == "<p><strong>七 股</strong> 鹽 雕</p><p> 體 驗</p>"


def test_a_filter_named_by_its_text_carries_its_value_in_the_copy() -> None:
    page = (
        '<p><a href="/c/?a=1&amp;b=2" data-pagefind-filter="縣市">澎湖縣</a>望安鄉'
        '<a data-pagefind-filter="年度:2026">2026 梯次</a>'
        '<span data-pagefind-meta="title">望安&amp;綠蠵龜</span></p>'
    )

    assert spaced_html(page) == (
        '<p><a href="/c/?a=1&amp;b=2" data-pagefind-filter="縣市:澎湖縣">澎 湖 縣</a> 望 安 鄉'
        '<a data-pagefind-filter="年度:2026">2026 梯 次</a>'
        '<span data-pagefind-meta="title:望安&amp;綠蠵龜"> 望 安&amp;綠 蠵 龜</span></p>'
    )


def test_taking_the_spaces_out_gives_the_page_back() -> None:
    """Only spaces between Han characters are added; nothing else changes."""
    page = (
        "<div><h2>1. 我的DNA</h2><ul><li>天台山日落、網垵口沙灘</li></ul>"
        "<table><tr><th>年度</th><td>2026</td></tr></table></div>"
    )
    han = "\u3400-\u9fff\U00020000-\U0003134f"

    restored = re.sub(f"(?<=[{han}>]) (?=[{han}<])", "", spaced_html(page))

    assert restored == page
