"""The published cases as the showcase reads them: every file checked once at start-up,
its narrative Markdown rendered and sanitized once, never per page, and not again in
the next build if its text did not change (`cache_file`)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from portal import text
from portal.reference import PRIORITY_KINDS, read_csv
from portal.snapshot import Case, FrontMatterCache, SnapshotError, load


@dataclass(frozen=True)
class Shown:
    """A case with its rendered narrative and when its file last changed."""

    case: Case
    html: dict[str, str]
    changed: dt.datetime


def _rendered(case: Case, render: Callable[[str], str]) -> dict[str, str]:
    html = {
        "dna": render(case.dna.summary),
        "vision": render(case.consensus.vision),
        "summary": render(case.businesses_summary),
    }
    for number, business in enumerate(case.businesses):
        html[f"what.{number}"] = render(business.what)
        html[f"how.{number}"] = render(business.how)
    return html


CACHE_FOLDER = ".showcase-cache"


def cache_file(build_dir: Path, kind: str = "") -> Path:
    """Where the build into `build_dir` keeps what the next one may reuse: the rendered
    narrative (kind ""), the parsed front matter ("front") and its manifest ("manifest"),
    in a folder beside it (never inside: the build folder is public and swapped whole)."""
    build_dir = build_dir.resolve()
    return build_dir.parent / CACHE_FOLDER / ".".join([build_dir.name, *([kind] if kind else []), "json"])


@cache
def township_codes() -> frozenset[str]:
    """The 368 official township codes, read once."""
    return frozenset(row["code"] for row in read_csv("townships.csv"))


def load_cases(
    folder: Path, cache: text.RenderCache | None = None, front: FrontMatterCache | None = None
) -> list[Shown]:
    """Every `<cycle>/<slug>.md` under `folder`, newest first publication first (by its
    exact time where the file records one; the slug orders equal times), its narrative
    rendered through `cache` and its front matter parsed through `front` (what they
    already hold is not done again). Raises SnapshotError naming the file for a bad
    file, an unknown township or a repeated slug."""
    render = text.render if cache is None else cache.render
    townships = township_codes()
    seen: dict[str, Path] = {}
    shown = []
    for path in sorted(folder.glob("*/*.md")):
        case = load(path, front)
        for code in [case.township.code, *(p.code for p in case.participating)]:
            if code not in townships:
                raise SnapshotError(str(path), f"欄位「township.code」：找不到鄉鎮市區代碼「{code}」")
        if case.slug in seen:
            raise SnapshotError(str(path), f"slug「{case.slug}」與 {seen[case.slug]} 重複")
        seen[case.slug] = path
        changed = dt.datetime.fromtimestamp(path.stat().st_mtime)
        shown.append(Shown(case=case, html=_rendered(case, render), changed=changed))
    return sorted(shown, key=lambda s: (s.case.published_moment, s.case.slug), reverse=True)


PRIORITY_FILE = "priority-areas.csv"


def load_priority(folder: Path) -> dict[str, str] | None:
    """The priority areas (township code → kind) the portal wrote next to the cases, or
    None when no list was loaded. Raises SnapshotError naming the file and line."""
    path = folder / PRIORITY_FILE
    if not path.is_file():
        return None
    townships = township_codes()
    try:
        reader = csv.DictReader(io.StringIO(path.read_text("utf-8-sig")))
    except UnicodeDecodeError as exc:
        raise SnapshotError(str(path), "不是 UTF-8 編碼") from exc
    if reader.fieldnames != ["code", "kind"]:
        raise SnapshotError(str(path), f"第 1 行：欄位必須是 code,kind，目前是 {reader.fieldnames}")
    areas: dict[str, str] = {}
    for row in reader:
        where = f"第 {reader.line_num} 行"
        code, kind = row.get("code") or "", row.get("kind") or ""
        if code not in townships:
            raise SnapshotError(str(path), f"{where}：找不到鄉鎮市區代碼「{code}」")
        if kind not in PRIORITY_KINDS:
            raise SnapshotError(str(path), f"{where}：類型「{kind}」應為 {'、'.join(PRIORITY_KINDS)}")
        if code in areas:
            raise SnapshotError(str(path), f"{where}：代碼「{code}」重複")
        areas[code] = kind
    return areas
