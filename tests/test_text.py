"""Markdown to sanitized HTML: abuse inputs, narrative formatting, plain text and field caching."""

from __future__ import annotations

import pytest
from markupsafe import Markup, escape

from portal.operations import merge_section
from portal.text import (
    NARRATIVE_FIELDS,
    cached,
    has_raw_html,
    plain,
    render,
    render_fields,
    render_markup,
    render_page,
    rules_version,
)

NDC_LINK = '<a href="https://www.ndc.gov.tw/" rel="nofollow noopener">國發會</a>'

ABUSE = [
    pytest.param(
        "<script>alert(1)</script>",
        "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>",
        id="script-tag-is-text",
    ),
    pytest.param("<style>body{}</style>", "<p>&lt;style&gt;body{}&lt;/style&gt;</p>", id="style-tag-is-text"),
    pytest.param(
        "<iframe src=https://evil.example></iframe>",
        "<p>&lt;iframe src=https://evil.example&gt;&lt;/iframe&gt;</p>",
        id="iframe-is-text",
    ),
    pytest.param(
        "<img src=x onerror=alert(1)>",
        "<p>&lt;img src=x onerror=alert(1)&gt;</p>",
        id="img-onerror-is-text",
    ),
    pytest.param("<svg onload=alert(1)>", "<p>&lt;svg onload=alert(1)&gt;</p>", id="svg-onload-is-text"),
    pytest.param(
        '<a href="https://ndc.gov.tw" onclick="x">國發會</a>',
        '<p>&lt;a href="https://ndc.gov.tw" onclick="x"&gt;國發會&lt;/a&gt;</p>',
        id="typed-anchor-with-onclick-is-text",
    ),
    pytest.param("<!-- hidden -->", "<p>&lt;!-- hidden --&gt;</p>", id="comment-is-text"),
    pytest.param("&#x3C;script&#x3E;", "<p>&#x3C;script&#x3E;</p>", id="entity-encoded-tag-stays-text"),
    pytest.param("[x](javascript:alert(1))", "<p>x</p>", id="javascript-link-unwrapped"),
    pytest.param("[x]( JAVASCRIPT:alert(1))", "<p>x</p>", id="javascript-link-upper-case"),
    pytest.param("[x](java&#115;cript:alert(1))", "<p>x</p>", id="javascript-link-entity-encoded"),
    pytest.param("[x](<javascript:alert(1)>)", "<p>x</p>", id="javascript-link-in-angle-brackets"),
    pytest.param("[x][1]\n\n[1]: javascript:alert(1)", "<p>x</p>", id="javascript-reference-link"),
    pytest.param("[x](vbscript:msgbox)", "<p>x</p>", id="vbscript-link"),
    pytest.param("[x](data:text/html;base64,PHNjcmlwdD4=)", "<p>x</p>", id="data-uri-link"),
    pytest.param("[x](//evil.example)", "<p>x</p>", id="protocol-relative-link"),
    pytest.param("[x](/admin)", "<p>x</p>", id="relative-link"),
    pytest.param("![x](javascript:alert(1))", "<p>x</p>", id="javascript-image-keeps-alt"),
    pytest.param(
        "![茶園](https://example.org/tea.png) 空拍",
        "<p>茶園 空拍</p>",
        id="image-becomes-alt-text",
    ),
    pytest.param(
        "[x](https://a.tw) **[y](javascript:1)** z",
        '<p><a href="https://a.tw" rel="nofollow noopener">x</a> <strong>y</strong> z</p>',
        id="only-the-unsafe-link-is-unwrapped",
    ),
    pytest.param(
        '[x](https://a.tw "a\\" onmouseover=\\"alert(1)")',
        '<p><a href="https://a.tw" title="a\\&quot; onmouseover=\\&quot;alert(1)" rel="nofollow noopener">x</a></p>',
        id="title-cannot-break-out",
    ),
    pytest.param(
        '[x](https://a.tw/"onmouseover="alert(1))',
        '<p><a href="https://a.tw/&quot;onmouseover=&quot;alert(1" rel="nofollow noopener">x</a>)</p>',
        id="href-cannot-break-out",
    ),
    pytest.param("\x02wzxhzdk:0\x03", "<p>wzxhzdk:0</p>", id="markdown-placeholder-markers-dropped"),
    pytest.param("a\x00b", "<p>ab</p>", id="nul-dropped"),
]

NARRATIVE = [
    pytest.param("**粗體**", "<p><strong>粗體</strong></p>", id="strong"),
    pytest.param("*斜體*與`代碼`", "<p><em>斜體</em>與<code>代碼</code></p>", id="em-and-code"),
    pytest.param("`<b>`", "<p><code>&lt;b&gt;</code></p>", id="code-escapes-tags"),
    pytest.param(
        "- 人\n- 文\n- 地",
        "<ul>\n<li>人</li>\n<li>文</li>\n<li>地</li>\n</ul>",
        id="bullet-list",
    ),
    pytest.param(
        "1. 盤點\n2. 共識\n\n說明\n\n3. 執行",
        '<ol>\n<li>盤點</li>\n<li>共識</li>\n</ol>\n<p>說明</p>\n<ol start="3">\n<li>執行</li>\n</ol>',
        id="numbered-list-keeps-its-start",
    ),
    pytest.param(
        "- 茶\n1. 一\n\n1. 二",
        "<ul>\n<li>茶<br>\n1. 一</li>\n</ul>\n<ol>\n<li>二</li>\n</ol>",
        id="sane-lists-do-not-mix",
    ),
    pytest.param("> 居民說\n> 要留下來", "<blockquote>\n<p>居民說<br>\n要留下來</p>\n</blockquote>", id="quote"),
    pytest.param("[國發會](https://www.ndc.gov.tw/)", f"<p>{NDC_LINK}</p>", id="link-gets-rel"),
    pytest.param(
        "<https://www.ndc.gov.tw/>",
        '<p><a href="https://www.ndc.gov.tw/" rel="nofollow noopener">https://www.ndc.gov.tw/</a></p>',
        id="autolink",
    ),
    pytest.param(
        '[x](https://a.tw/?q=1&r=2 "說明")',
        '<p><a href="https://a.tw/?q=1&amp;r=2" title="說明" rel="nofollow noopener">x</a></p>',
        id="link-title-and-query",
    ),
    pytest.param(
        "[來信](mailto:office@example.gov.tw)",
        '<p><a href="mailto:office@example.gov.tw" rel="nofollow noopener">來信</a></p>',
        id="mailto-link",
    ),
    pytest.param("第一行\n第二行", "<p>第一行<br>\n第二行</p>", id="single-newline-is-br"),
    pytest.param("第一行\r\n第二行\r\n\r\n第二段", "<p>第一行<br>\n第二行</p>\n<p>第二段</p>", id="crlf"),
    pytest.param("𥕢𡘙", "<p>𥕢𡘙</p>", id="non-bmp"),
    pytest.param("# 標題\n\n文字\n---", "<p>標題</p>\n<p>文字</p>", id="headings-become-paragraphs"),
    pytest.param("前\n\n---\n\n後", "<p>前</p>\n<p>後</p>", id="rule-removed"),
    pytest.param(
        "說明：\n\n    x = 1 <b>\n    y = 2",
        "<p>說明：</p>\n<p><code>x = 1 &lt;b&gt;\ny = 2</code></p>",
        id="indented-block-is-a-code-paragraph",
    ),
    pytest.param("AT&T &lt;b&gt; &copy;", "<p>AT&amp;T &lt;b&gt; &copy;</p>", id="ampersands-and-entities"),
    pytest.param("https://www.ndc.gov.tw/", "<p>https://www.ndc.gov.tw/</p>", id="bare-url-not-linked"),
]


@pytest.mark.parametrize(("source", "expected"), ABUSE)
def test_render_abuse_leaves_no_markup(source: str, expected: str) -> None:
    assert render(source) == expected


@pytest.mark.parametrize(("source", "expected"), NARRATIVE)
def test_render_narrative_formatting(source: str, expected: str) -> None:
    assert render(source) == expected


@pytest.mark.parametrize("source", ["", "   ", "\n\n\t", "\u3000"])
def test_render_blank_is_empty(source: str) -> None:
    assert render(source) == ""


def test_render_too_deep_nesting_keeps_the_text() -> None:
    source = "- " * 1000 + "<b>x</b>"

    assert render(source) == "<p>" + "- " * 1000 + "&lt;b&gt;x&lt;/b&gt;</p>"


def test_render_markup_is_render_as_markup() -> None:
    source = "**粗體** <script>x</script> [國發會](https://www.ndc.gov.tw/)"

    result = render_markup(source)

    assert type(result) is Markup
    assert result == Markup(render(source))
    assert escape(result) == result  # templates must not escape it a second time


def test_cached_html_becomes_the_same_markup_as_render_markup() -> None:
    source = "**粗體** <script>x</script>"

    result = cached(render(source))

    assert type(result) is Markup
    assert result == render_markup(source)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("**粗體**與*斜體*", "粗體與斜體"),
        ("# 標題\n\n第一段\n第二行", "標題 第一段 第二行"),
        ("- 人\n- 文\n- 地", "人 文 地"),
        ("[國發會](https://www.ndc.gov.tw/) 網站", "國發會 網站"),
        ("AT&T &lt;b&gt; &copy;", "AT&T <b> ©"),
        ("<script>alert(1)</script>", "<script>alert(1)</script>"),
        ("𥕢𡘙　社區  營造", "𥕢𡘙 社區 營造"),
        ("   ", ""),
    ],
)
def test_plain_is_the_visible_text(source: str, expected: str) -> None:
    assert plain(source) == expected


def test_render_fields_expands_stars_and_skips_what_is_missing() -> None:
    document = {
        "dna": {"summary": "**茶**與溫泉", "people": ["不是敘述欄位"]},
        "consensus": {"vision": "   "},
        "businesses": {
            "summary": "三項事業",
            "items": [
                {"what": "茶園體驗", "how": "- 導覽\n- 工作坊"},
                {"what": "", "how": "𥕢𡘙合作社"},
                {"what": 3},
                {"how": "[國發會](https://www.ndc.gov.tw/)"},
            ],
        },
    }
    paths = (
        *NARRATIVE_FIELDS,
        "businesses.items.1.how",
        "businesses.items.9.what",
        "businesses.items.x.what",
        "businesses.*.what",
        "dna.summary.more",
        "missing.path",
    )

    assert render_fields(document, paths) == {
        "dna.summary": "<p><strong>茶</strong>與溫泉</p>",
        "businesses.summary": "<p>三項事業</p>",
        "businesses.items.0.what": "<p>茶園體驗</p>",
        "businesses.items.0.how": "<ul>\n<li>導覽</li>\n<li>工作坊</li>\n</ul>",
        "businesses.items.1.how": "<p>𥕢𡘙合作社</p>",
        "businesses.items.3.how": f"<p>{NDC_LINK}</p>",
    }


def test_render_fields_on_an_empty_draft_is_empty() -> None:
    assert render_fields({}, NARRATIVE_FIELDS) == {}


def test_render_list_right_after_a_line_becomes_a_list() -> None:
    assert render("三項事業：\n- 共享加工\n- 慢遊平台") == (
        "<p>三項事業：</p>\n<ul>\n<li>共享加工</li>\n<li>慢遊平台</li>\n</ul>"
    )


def test_render_page_keeps_section_headings_below_the_title() -> None:
    assert render_page("# 標題\n\n## 小節\n\n文字 <b>x</b>") == (
        "<h2>標題</h2>\n<h2>小節</h2>\n<p>文字 &lt;b&gt;x&lt;/b&gt;</p>"
    )


@pytest.mark.parametrize(
    ("source", "found"),
    [("<script>alert(1)</script>", True), ("x <!-- 註解 -->", True), ("</div>", True), ("3 < 5 且 5 > 3", False)],
)
def test_has_raw_html(source: str, found: bool) -> None:
    assert has_raw_html(source) is found


# --- saving: only changed text is converted again -------------------------------------------


def test_a_save_converts_only_the_text_that_changed() -> None:
    """merge_section keeps the HTML of text that did not change, if it was made under
    today's rules; a marker in place of the real HTML shows which entries were kept."""
    first = merge_section({}, "dna", {"summary": "**池上**的稻田"})
    first = merge_section(first, "consensus", {"vision": "青年*回流*"})
    marked = {**first, "html": {"dna.summary": "<p>KEPT</p>", "consensus.vision": "<p>KEPT</p>"}}

    second = merge_section(marked, "consensus", {"vision": "青年回流、產業升級"})

    assert second["html"] == {"dna.summary": "<p>KEPT</p>", "consensus.vision": "<p>青年回流、產業升級</p>"}
    assert first["html"] == {
        "dna.summary": "<p><strong>池上</strong>的稻田</p>",
        "consensus.vision": "<p>青年<em>回流</em></p>",
    }


def test_a_save_under_other_rules_converts_everything_again() -> None:
    first = merge_section({}, "dna", {"summary": "**池上**的稻田"})
    older = {
        **first,
        "meta": {**first["meta"], "html_rules": "an-older-text-module"},
        "html": {"dna.summary": "<p>STALE</p>"},
    }

    second = merge_section(older, "consensus", {"vision": "青年回流"})

    assert second["html"] == {
        "dna.summary": "<p><strong>池上</strong>的稻田</p>",
        "consensus.vision": "<p>青年回流</p>",
    }
    assert second["meta"]["html_rules"] == rules_version()
