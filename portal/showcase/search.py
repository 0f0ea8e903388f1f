"""What the search index is made from: the case pages with a space between Chinese characters.

Pagefind cuts Chinese into words twice, differently. Building the index, it uses a
dictionary segmenter whose cut depends on the sentence around a word: the same
「今年試辦七股鹽雕體驗」 became 「七股」+「鹽雕」 in some pages and other words in others.
Searching, the browser's `Intl.Segmenter` cuts the query by its own dictionary, often
into single characters for a place name it does not know. A query matches only where
both cuts agree, so a word on five pages was found on none of them.

Indexed one character at a time, both sides agree: the index is built from copies of
the case pages with a space between neighbouring Chinese characters, and the search
page puts the same spaces into the query and asks for the characters in that order
(Pagefind's exact-phrase search), so any run of characters on a page finds that page.
The copies are only read by Pagefind; the site serves the pages as written, and the
search page takes the spaces out of the titles and excerpts it shows. Filter values
keep their characters together (see `VALUE_ATTRIBUTES`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import escape, unescape
from html.parser import HTMLParser

# Han characters: the CJK Unified Ideographs with extension A, the compatibility block,
# and the supplementary planes (extensions B onwards, where rare place-name characters
# such as 𥕢 are).
HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
BETWEEN_HAN = re.compile(f"(?<=[{HAN}])(?=[{HAN}])")
IS_HAN = re.compile(f"[{HAN}]")

# An element whose text is a filter, meta or sort value names only the key ("縣市"); in the
# copy it names the value too ("縣市:澎湖縣"), as Pagefind also allows, so its text can be
# spaced like the rest without changing the value.
VALUE_ATTRIBUTES = ("data-pagefind-filter", "data-pagefind-meta", "data-pagefind-sort")
# Text Pagefind never indexes is left as it is.
UNINDEXED = ("script", "style", "template")
VOID = frozenset(
    "area base br col embed hr img input link meta param source track wbr".split()  # noqa: SIM905 (a word list)
)


def spaced(text: str) -> str:
    """`text` with a space between each two neighbouring Han characters."""
    return BETWEEN_HAN.sub(" ", text)


def spaced_html(html: str) -> str:
    """`html` with `spaced` applied to its text, except inside script and style;
    an element whose text is a filter, meta or sort value carries that value in its
    attribute instead. All other markup, attributes, entities and comments come out
    exactly as they went in."""
    writer = _Spacer()
    writer.feed(html)
    writer.close()
    return "".join(writer.out)


@dataclass
class _Valued:
    """An open element whose text is a value: where its start tag is in the output."""

    tag: str
    attrs: list[tuple[str, str | None]]
    position: int
    text: list[str] = field(default_factory=list)


class _Spacer(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.out: list[str] = []
        self.open_tags: list[str] = []
        self.unindexed = 0
        self.valued: list[_Valued] = []
        # Whether the last text indexed ended in a Han character.
        self.han_last = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.out.append(self.get_starttag_text() or "")
        if tag in VOID:
            return
        self.open_tags.append(tag)
        if tag in UNINDEXED:
            self.unindexed += 1
        if any(name in VALUE_ATTRIBUTES and value and ":" not in value for name, value in attrs):
            self.valued.append(_Valued(tag, attrs, len(self.out) - 1))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.out.append(self.get_starttag_text() or "")

    def handle_endtag(self, tag: str) -> None:
        self.out.append(f"</{tag}>")
        if tag not in self.open_tags:
            return
        # Close up to the matching element, as a browser would for a missing end tag.
        while self.open_tags:
            closed = self.open_tags.pop()
            if closed in UNINDEXED:
                self.unindexed -= 1
            if self.valued and self.valued[-1].tag == closed:
                self._name_value(self.valued.pop())
            if closed == tag:
                break

    def _name_value(self, element: _Valued) -> None:
        value = " ".join("".join(element.text).split())
        attributes = []
        for name, given in element.attrs:
            if given is None:
                attributes.append(f" {name}")
                continue
            named = name in VALUE_ATTRIBUTES and given and ":" not in given
            attributes.append(f' {name}="{escape(f"{given}:{value}" if named else given)}"')
        self.out[element.position] = f"<{element.tag}{''.join(attributes)}>"

    def _text(self, raw: str, decoded: str) -> None:
        for element in self.valued:
            element.text.append(decoded)
        if self.unindexed:
            self.out.append(raw)
            return
        # Characters either side of a tag (<strong>七股</strong>鹽雕) are spaced too.
        before = " " if self.han_last and IS_HAN.match(decoded) else ""
        self.out.append(before + spaced(raw))
        if decoded:
            self.han_last = IS_HAN.match(decoded[-1]) is not None

    def handle_data(self, data: str) -> None:
        self._text(data, data)

    def handle_entityref(self, name: str) -> None:
        self._text(f"&{name};", unescape(f"&{name};"))

    def handle_charref(self, name: str) -> None:
        self._text(f"&#{name};", unescape(f"&#{name};"))

    def handle_comment(self, data: str) -> None:
        self.out.append(f"<!--{data}-->")

    def handle_decl(self, decl: str) -> None:
        self.out.append(f"<!{decl}>")

    def handle_pi(self, data: str) -> None:
        self.out.append(f"<?{data}>")

    def unknown_decl(self, data: str) -> None:
        self.out.append(f"<![{data}]>")
