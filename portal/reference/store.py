"""Loading the reference data into the portal's database. Loading is idempotent: rows
are inserted or corrected, never duplicated."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from portal.db.models import County, PriorityArea, Programme, Region, Strategy, Township
from portal.domain import programmes as programme_rules
from portal.reference import PRIORITY_KINDS, read_csv


@dataclass
class LoadSummary:
    regions: int
    counties: int
    townships: int
    strategies: int
    programmes_added: int


def load(session: Session) -> LoadSummary:
    """Insert or update the shipped reference rows. Programmes are only ever added,
    because admins edit them in the portal and a reload must not undo their edits."""
    regions: dict[str, Region] = {r.name: r for r in session.scalars(select(Region))}
    counties = {c.code: c for c in session.scalars(select(County))}
    for position, row in enumerate(read_csv("regions.csv")):
        region = regions.get(row["region"])
        if region is None:
            region = regions[row["region"]] = Region(name=row["region"], position=len(regions))
            session.add(region)
        county = counties.get(row["county_code"]) or County(code=row["county_code"])
        county.name_zh, county.name_en = row["county_zh"], row["county_en"]
        county.kind, county.position, county.region = row["county_type"], position, region
        session.add(county)
        counties[county.code] = county
    session.flush()
    by_name = {c.name_zh: c for c in counties.values()}
    townships = {t.code: t for t in session.scalars(select(Township))}
    for row in read_csv("townships.csv"):
        township = townships.get(row["code"]) or Township(code=row["code"])
        township.county_code = by_name[row["county_zh"]].code
        township.name_zh, township.name_en = row["township_zh"], row["township_en"]
        township.zip, township.kind = row["zip"], row["type"]
        session.add(township)
    strategies = {s.code: s for s in session.scalars(select(Strategy))}
    for position, row in enumerate(read_csv("strategies.csv")):
        strategy = strategies.get(row["code"]) or Strategy(code=row["code"])
        strategy.name_zh, strategy.name_en = row["name_zh"], row["name_en"]
        strategy.description, strategy.position = row["description"], position
        session.add(strategy)
    # Shipped rows are recognised by the key they were seeded with, not by their
    # current name, so an admin's rename or retirement survives a reload.
    seeded = set(session.scalars(select(Programme.seed_key).where(Programme.seed_key.is_not(None))))
    added = 0
    for row in read_csv("programmes.csv"):
        key = f"{row['ministry']}｜{row['programme']}"
        if key not in seeded:
            session.add(
                Programme(
                    ministry=row["ministry"],
                    name=row["programme"],
                    notes=row["notes"],
                    seed_key=key,
                    valid_from=int(row["valid_from"]) if row["valid_from"] else None,
                    valid_to=int(row["valid_to"]) if row["valid_to"] else None,
                    validity_source=row["validity_source"],
                )
            )
            added += 1
    session.flush()
    return LoadSummary(
        regions=len(regions),
        counties=len(counties),
        townships=session.scalar(select(func.count()).select_from(Township)) or 0,
        strategies=len(read_csv("strategies.csv")),
        programmes_added=added,
    )


class ReferenceImportError(ValueError):
    """A priority-area file was refused; the message names the line and the problem."""


def _priority_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise ReferenceImportError(f"找不到檔案：{path}") from exc
    except UnicodeDecodeError as exc:
        raise ReferenceImportError(f"{path} 不是 UTF-8 編碼的 CSV 檔") from exc
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    if "code" not in header or "kind" not in header:
        raise ReferenceImportError(f"{path} 第 1 行：欄位名稱必須包含 code 與 kind，目前是 {header}")
    for row in reader:
        line = reader.line_num  # the physical line, also after blank lines
        if None in row:
            raise ReferenceImportError(f"{path} 第 {line} 行：欄位數比標題多")
        yield line, {k.strip(): (v or "").strip() for k, v in row.items()}


def import_priority(session: Session, path: Path) -> int:
    """Replace the priority-area list with the file's rows, all or nothing.

    The file is a UTF-8 CSV with the columns `code` (8-digit township code) and `kind`
    (農山漁村, 中介城鎮 or 原鄉). Raises ReferenceImportError naming the first bad line.
    """
    known = set(session.scalars(select(Township.code)))
    seen: dict[str, int] = {}
    rows: list[PriorityArea] = []
    for line, row in _priority_rows(path):
        code, kind = row["code"], row["kind"]
        if code not in known:
            raise ReferenceImportError(f"{path} 第 {line} 行：找不到鄉鎮市區代碼「{code}」")
        if kind not in PRIORITY_KINDS:
            raise ReferenceImportError(f"{path} 第 {line} 行：類型「{kind}」不正確，應為 {'、'.join(PRIORITY_KINDS)}")
        if code in seen:
            raise ReferenceImportError(f"{path} 第 {line} 行：代碼「{code}」與第 {seen[code]} 行重複")
        seen[code] = line
        rows.append(PriorityArea(township_code=code, kind=kind))
    if not rows:
        raise ReferenceImportError(f"{path} 沒有任何資料列")
    session.execute(delete(PriorityArea))
    session.add_all(rows)
    session.flush()
    return len(rows)


def priority_loaded(session: Session) -> bool:
    """Whether a priority list was ever imported: until then nothing is known of any township."""
    return session.scalar(select(PriorityArea.township_code).limit(1)) is not None


def priority_status(session: Session) -> dict[str, int]:
    """Counts of priority townships by kind; empty when the list was never imported."""
    rows = session.execute(select(PriorityArea.kind, func.count()).group_by(PriorityArea.kind))
    return {kind: count for kind, count in rows}


# --- programmes offered as funding sources ---------------------------------------------------


def this_year() -> int:
    """The year in Taiwan, against which a programme counts as ended."""
    return datetime.now(timezone(timedelta(hours=8))).year


def programme_label(programme: Programme) -> str:
    validity = programme.validity
    known = validity.valid_from is not None or validity.valid_to is not None
    return f"{programme.ministry}：{programme.name}" + (f"（{validity.label()}）" if known else "")


@dataclass(frozen=True)
class ProgrammeOffer:
    """The programmes that can be chosen now (active, not ended), and every programme
    by name, so a value chosen earlier still shows and is judged."""

    year: int
    offered: list[tuple[str, str]]
    known: dict[str, Programme]

    def options(self, current: str | None) -> list[tuple[str, str]]:
        """The offered programmes, plus `current` when it is no longer offered, marked so."""
        if not current or any(name == current for name, _ in self.offered):
            return self.offered
        programme = self.known.get(current)
        if programme is None:
            return self.offered
        reason = "已結束" if programme.validity.ended(self.year) else "已停用"
        return [*self.offered, (current, f"{programme_label(programme)}（{reason}，不能再選用）")]

    def refusal(self, name: str, year: int | None) -> str | None:
        """Why `name` cannot be chosen for `year`; None when it can (or is unknown, which
        the select's own check refuses)."""
        programme = self.known.get(name)
        if programme is None:
            return None
        if not programme.active:
            return f"「{name}」已停用，不能再選用，請改選其他計畫。"
        return programme_rules.refusal(name, programme.validity, year, self.year)


def programme_offer(session: Session, year: int | None = None) -> ProgrammeOffer:
    year = this_year() if year is None else year
    programmes = list(session.scalars(select(Programme).order_by(Programme.ministry, Programme.id)))
    offered = [(p.name, programme_label(p)) for p in programmes if p.active and not p.validity.ended(year)]
    return ProgrammeOffer(year=year, offered=offered, known={p.name: p for p in programmes})
