"""Site pages from `content/*.md`: front matter (title, order, title_en) and Markdown."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from portal import text

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n(.*)\Z", re.S)
ALLOWED_KEYS = {"title", "title_en", "order"}


class ContentError(ValueError):
    """A site page cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class Page:
    slug: str
    title: str
    title_en: str
    order: int
    html: str


def load_page(path: Path) -> Page:
    """Read and check one page; its Markdown is rendered and sanitized here, once."""
    try:
        source = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ContentError(f"{path}：不是 UTF-8 編碼") from exc
    if not SLUG.match(path.stem):
        raise ContentError(f"{path}：檔名只能用小寫英文字母、數字與連字號")
    match = FRONT_MATTER.match(source.replace("\r\n", "\n"))
    if match is None:
        raise ContentError(f"{path}：開頭必須是以 --- 包住的 front matter（title、order）")
    try:
        meta = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as exc:
        raise ContentError(f"{path}：front matter 不是正確的 YAML（{exc}）") from exc
    if not isinstance(meta, dict):
        raise ContentError(f"{path}：front matter 必須是「欄位: 值」的格式")
    unknown = set(meta) - ALLOWED_KEYS
    if unknown:
        raise ContentError(f"{path}：不認得的欄位「{'、'.join(sorted(map(str, unknown)))}」")
    title = meta.get("title")
    if not isinstance(title, str) or not title.strip():
        raise ContentError(f"{path}：缺少欄位「title」")
    order = meta.get("order", 99)
    if not isinstance(order, int) or isinstance(order, bool):
        raise ContentError(f"{path}：欄位「order」必須是整數")
    body = match.group(2)
    if text.has_raw_html(body):
        raise ContentError(f"{path}：內容含有 HTML 標籤，網站頁面只能使用 Markdown")
    return Page(
        slug=path.stem,
        title=title.strip(),
        title_en=str(meta.get("title_en") or "").strip(),
        order=order,
        html=text.render_page(body),
    )


def load_pages(folder: Path) -> list[Page]:
    """Every `*.md` page of the folder in menu order; any bad page stops the load."""
    return sorted((load_page(p) for p in sorted(folder.glob("*.md"))), key=lambda page: (page.order, page.slug))
