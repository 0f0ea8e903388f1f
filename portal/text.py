"""User Markdown to sanitized HTML: the one place user text becomes markup.

Narrative fields are converted once, when saved or published, and the HTML is cached
(`render_fields`); page views never convert Markdown. The showcase keeps its renderings
by content hash across builds (`RenderCache`), invalidated when this module or the
Markdown or bleach version changes. Python-Markdown runs with raw HTML
switched off, so tags a user types come out as visible text, and bleach then cleans the
result against a short allowlist, so the allowlist alone decides what markup survives.
"""

from __future__ import annotations

import functools
import hashlib
import html
import importlib.metadata
import json
import os
import re
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.etree.ElementTree import Element

import bleach
import markdown
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor
from markupsafe import Markup, escape

if TYPE_CHECKING:
    from html5lib.filters.base import Filter
else:  # bleach ships its own copy of html5lib; the type stubs describe it as html5lib
    from bleach.html5lib_shim import Filter

NARRATIVE_FIELDS: tuple[str, ...] = (
    "dna.summary",
    "consensus.vision",
    "businesses.summary",
    "businesses.items.*.what",
    "businesses.items.*.how",
)

ALLOWED_TAGS = frozenset({"p", "br", "strong", "em", "ul", "ol", "li", "a", "blockquote", "code"})
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener"

# Only absolute links: a relative one would point into the portal or break on the static site.
_SAFE_HREF = re.compile(r"(?:https?|mailto):", re.IGNORECASE)
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_INLINE_TAGS = frozenset({"strong", "em", "a", "code"})


def render(source: str) -> str:
    """Markdown to HTML that contains nothing but the allowlisted markup; "" for blank input."""
    if not source.strip():
        return ""
    converters = _converters()
    try:
        # reset() forgets the previous text's state (reference links, footnotes, stash).
        body = converters.cleaner.clean(converters.markdown.reset().convert(_separate_lists(source)))
    except RecursionError:
        # Hundreds of nested list levels are abuse, not narrative: keep the text, lose the shape,
        # rather than fail the user's save. The converter may be left half-way: drop it.
        _local.__dict__.pop("converters", None)
        body = _cleaner().clean(_escaped_paragraphs(source))
    return body.strip()


@dataclass
class _Converters:
    markdown: markdown.Markdown
    cleaner: bleach.Cleaner


# One Markdown converter and one cleaner per thread, reused for every text: building them
# costs more than converting a paragraph. Neither is thread-safe, hence one per thread.
_local = threading.local()


def _converters() -> _Converters:
    converters: _Converters | None = getattr(_local, "converters", None)
    if converters is None:
        converters = _local.converters = _Converters(_markdown(), _cleaner())
    return converters


def digest(source: str) -> str:
    """The content hash a rendering is cached under."""
    return hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()


@cache
@functools.cache
def rules_version() -> str:
    """Changes whenever the output of `render` may change: this module's code (its rules)
    or the Markdown or bleach version. A cache made under other rules is not used."""
    here = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()
    return f"{here}/markdown-{_version('markdown')}/bleach-{_version('bleach')}"


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


class RenderCache:
    """`render`'s output by content hash, kept in a JSON file between builds, so an
    unchanged text is never converted again. The file holds only what the last build
    used; one made under other rules (`rules_version`), or unreadable, is ignored."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.html: dict[str, str] = _read_cache(path) if path is not None else {}
        self.used: dict[str, str] = {}
        self.converted = 0

    def render(self, source: str) -> str:
        key = digest(source)
        found = self.used.get(key)
        if found is None:
            found = self.html.get(key)
            if found is None:
                found = render(source)
                self.converted += 1
            self.used[key] = found
        return found

    def save(self, path: Path | None = None) -> None:
        """Write what this build used to `path` (default: where it was read from),
        atomically, so a build killed while writing leaves the previous file."""
        path = path or self.path
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        body = json.dumps({"rules": rules_version(), "html": self.used}, ensure_ascii=False, sort_keys=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(body)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


def _read_cache(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("rules") != rules_version() or not isinstance(data.get("html"), dict):
        return {}
    return {k: v for k, v in data["html"].items() if isinstance(k, str) and isinstance(v, str)}


_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+\S")


def _separate_lists(source: str) -> str:
    """Start a list where people start one. Markdown needs a blank line before a list,
    but people type 「說明：」 and then「- 第一點」 on the very next line."""
    out: list[str] = []
    for line in source.splitlines():
        if _LIST_ITEM.match(line) and out and out[-1].strip() and not _LIST_ITEM.match(out[-1]):
            out.append("")
        out.append(line)
    return "\n".join(out)


PAGE_TAGS = ALLOWED_TAGS | {"h2", "h3", "h4"}
_RAW_HTML = re.compile(r"<[A-Za-z!/?]")


def has_raw_html(source: str) -> bool:
    """Whether Markdown carries HTML tags: site pages must be plain Markdown."""
    return bool(_RAW_HTML.search(source))


def render_page(source: str) -> str:
    """A site page's Markdown (about, FAQ): as `render`, but sections keep their
    headings (h2 to h4; a # becomes h2, so the page title stays the only h1) and lines
    are joined as Markdown joins them."""
    if not source.strip():
        return ""
    html = markdown.Markdown(extensions=["sane_lists", _PageExtension()]).convert(_separate_lists(source))
    return _cleaner(PAGE_TAGS).clean(html).strip()


def render_markup(source: str) -> Markup:
    """`render` as Markup for templates: the only place user text is marked safe."""
    return Markup(render(source))


def plain(source: str) -> str:
    """The visible text of `source`, whitespace collapsed: for length budgets, search and print."""
    reader = _TextReader()
    reader.feed(render(source))
    reader.close()
    return " ".join("".join(reader.parts).split())


def render_fields(
    document: Mapping[str, object], paths: Iterable[str], known: Mapping[str, tuple[str, str]] | None = None
) -> dict[str, str]:
    """Sanitized HTML for each non-blank string at `paths`, keyed by concrete dotted path.

    Numeric segments index lists and `*` means every element, so 'businesses.items.*.what'
    yields 'businesses.items.0.what', 'businesses.items.1.what', …  Missing keys and indexes
    are skipped: a half-finished draft is normal. `known` (see `rendered_fields`) gives
    HTML already made under the current rules: a path whose text is unchanged reuses it.
    """
    known = known or {}
    rendered: dict[str, str] = {}
    for path in paths:
        for concrete, value in _resolve(document, path.split("."), ()):
            if not isinstance(value, str):
                continue
            source, made = known.get(concrete, (None, ""))
            html_text = made if source == value else render(value)
            if html_text:
                rendered[concrete] = html_text
    return rendered


def rendered_fields(
    document: Mapping[str, object], html: Mapping[str, object], paths: Iterable[str]
) -> dict[str, tuple[str, str]]:
    """(text, HTML) at each concrete path of `paths` that `html` (a `render_fields`
    result for `document`) has an entry for: what `render_fields` may reuse."""
    pairs: dict[str, tuple[str, str]] = {}
    for path in paths:
        for concrete, value in _resolve(document, path.split("."), ()):
            made = html.get(concrete)
            if isinstance(value, str) and isinstance(made, str):
                pairs[concrete] = (value, made)
    return pairs


def _resolve(node: object, segments: Sequence[str], done: tuple[str, ...]) -> Iterator[tuple[str, object]]:
    if not segments:
        yield ".".join(done), node
        return
    head, rest = segments[0], segments[1:]
    if isinstance(node, Mapping):
        if head in node:
            yield from _resolve(node[head], rest, (*done, head))
    elif isinstance(node, list | tuple):
        if head == "*":
            indexes: Iterable[int] = range(len(node))
        elif head.isascii() and head.isdigit() and int(head) < len(node):
            indexes = (int(head),)
        else:
            indexes = ()
        for index in indexes:
            yield from _resolve(node[index], rest, (*done, str(index)))


def _markdown() -> markdown.Markdown:
    # Markdown instances keep state and are not thread-safe: `render` keeps one per thread.
    return markdown.Markdown(extensions=["nl2br", "sane_lists", _NarrativeExtension()])


def _cleaner(tags: frozenset[str] = ALLOWED_TAGS) -> bleach.Cleaner:
    # bleach's parser keeps state and is not thread-safe: `render` keeps one per thread.
    return bleach.Cleaner(
        tags=tags,
        attributes=_ATTRIBUTES,
        protocols=ALLOWED_PROTOCOLS,
        strip=True,
        strip_comments=True,
        filters=[_LinkFilter],
    )


def _allow_link_attribute(tag: str, name: str, value: str) -> bool:
    # bleach still applies ALLOWED_PROTOCOLS to href after this check.
    if name == "href":
        return _SAFE_HREF.match(html.unescape(value).strip()) is not None
    return name == "title"


def _allow_list_attribute(tag: str, name: str, value: str) -> bool:
    # "3. …" after a paragraph continues a numbered list; dropping start would renumber it.
    return name == "start" and value.isascii() and value.isdigit()


_ATTRIBUTES: dict[str, Callable[[str, str, str], bool]] = {
    "a": _allow_link_attribute,
    "ol": _allow_list_attribute,
}


def _escaped_paragraphs(source: str) -> str:
    blocks = re.split(r"\n\s*\n", source.replace("\r\n", "\n").replace("\r", "\n").strip())
    return "\n".join(
        "<p>" + "<br />\n".join(str(escape(line)) for line in block.split("\n")) + "</p>" for block in blocks
    )


class _NarrativeExtension(Extension):
    """Raw HTML off; headings, code blocks, rules and images recast so only text survives."""

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
        # After "inline" (20) has made links and images, before "prettify" (10) lays out blocks.
        md.treeprocessors.register(_Flatten(md), "narrative_flatten", 15)


class _PageExtension(Extension):
    """As the narrative one, but headings become h2–h4 instead of paragraphs."""

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
        md.treeprocessors.register(_Flatten(md, keep_headings=True), "narrative_flatten", 15)


class _Flatten(Treeprocessor):
    """Turn elements the allowlist lacks into ones it keeps, so their text is not lost."""

    def __init__(self, md: markdown.Markdown, keep_headings: bool = False) -> None:
        super().__init__(md)
        self.keep_headings = keep_headings

    def run(self, root: Element) -> None:
        for parent in list(root.iter()):
            for child in list(parent):
                if child.tag == "hr":
                    parent.remove(child)
                elif child.tag in _HEADINGS and self.keep_headings:
                    child.tag = f"h{min(max(int(child.tag[1]), 2), 4)}"
                    child.attrib.clear()
                elif child.tag in _HEADINGS:
                    child.tag = "p"
                    child.attrib.clear()
                elif child.tag == "pre":
                    # An indented block (often just a stray indent) reads as a paragraph of code.
                    child.tag = "p"
                    for code in child:
                        code.text = (code.text or "").rstrip()
                elif child.tag == "img":
                    # bleach strips the <span> and keeps its text: the alt text stays readable.
                    child.tag = "span"
                    child.text = child.get("alt", "")
                    child.attrib.clear()


class _LinkFilter(Filter):
    """After sanitizing: every link gets LINK_REL; a link whose href was refused is unwrapped."""

    def __iter__(self) -> Iterator[dict[str, Any]]:
        unwrapped: list[bool] = []
        for token in super().__iter__():
            if token["type"] == "StartTag" and token["name"] == "a":
                attrs = token["data"]
                unwrapped.append((None, "href") not in attrs)
                if unwrapped[-1]:
                    continue
                kept = {key: attrs[key] for key in ((None, "href"), (None, "title")) if key in attrs}
                token["data"] = {**kept, (None, "rel"): LINK_REL}
            elif token["type"] == "EndTag" and token["name"] == "a" and unwrapped and unwrapped.pop():
                continue
            yield token


class _TextReader(HTMLParser):
    """Collects text, with a space wherever a block boundary or line break separates words."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _INLINE_TAGS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag not in _INLINE_TAGS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def cached(html: str) -> Markup:
    """HTML that this module produced earlier (`render_fields` at save time, or
    `render_page` when site pages load), for templates. Only those values reach this:
    the cache lives under the document's "html" key, which forms never write."""
    return Markup(html)
