"""The published cases as the showcase reads them: every file checked once at start-up,
its narrative Markdown rendered and sanitized once, never per page."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from portal import text
from portal.reference import read_csv
from portal.snapshot import Case, SnapshotError, load


@dataclass(frozen=True)
class Shown:
    """A case with its rendered narrative and when its file last changed."""

    case: Case
    html: dict[str, str]
    changed: dt.datetime


def _rendered(case: Case) -> dict[str, str]:
    html = {
        "dna": text.render(case.dna.summary),
        "vision": text.render(case.consensus.vision),
        "summary": text.render(case.businesses_summary),
    }
    for number, business in enumerate(case.businesses):
        html[f"what.{number}"] = text.render(business.what)
        html[f"how.{number}"] = text.render(business.how)
    return html


def load_cases(folder: Path) -> list[Shown]:
    """Every `<cycle>/<slug>.md` under `folder`, newest publication first. Raises
    SnapshotError naming the file for a bad file, an unknown township or a repeated slug."""
    townships = {row["code"] for row in read_csv("townships.csv")}
    seen: dict[str, Path] = {}
    shown = []
    for path in sorted(folder.glob("*/*.md")):
        case = load(path)
        for code in [case.township.code, *(p.code for p in case.participating)]:
            if code not in townships:
                raise SnapshotError(str(path), f"欄位「township.code」：找不到鄉鎮市區代碼「{code}」")
        if case.slug in seen:
            raise SnapshotError(str(path), f"slug「{case.slug}」與 {seen[case.slug]} 重複")
        seen[case.slug] = path
        changed = dt.datetime.fromtimestamp(path.stat().st_mtime)
        shown.append(Shown(case=case, html=_rendered(case), changed=changed))
    return sorted(shown, key=lambda s: (s.case.published, s.case.slug), reverse=True)
