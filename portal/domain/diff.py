"""What changed between two revisions of a proposal, as labelled lines a reviewer reads."""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from portal.domain.brief import DEFAULT_KPI_KIND, KPI_KINDS, SOURCES
from portal.domain.proposal import DNA_GROUPS

# Row fields in the order the form shows them, with their labels.
ROW_FIELDS: dict[str, tuple[tuple[str, str], ...]] = {
    "stakeholders": (("name", "名稱"), ("sector", "類別"), ("role", "角色"), ("commitment", "投入")),
    "events": (("date", "日期"), ("kind", "形式"), ("participants", "人數"), ("outcome", "結論")),
    "businesses": (
        ("name", "事業"),
        ("what", "做什麼"),
        ("where", "地點"),
        ("start", "開始"),
        ("end", "結束"),
        ("how", "怎麼做"),
        ("lead", "主責"),
        ("strategies", "策略"),
    ),
    "lines": (
        ("kind", "項目"),
        ("source", "來源"),
        ("programme", "計畫"),
        ("year", "年度"),
        ("amount", "千元"),
        ("note", "說明"),
    ),
    "support": (("kind", "類型"), ("description", "協助")),
    "kpis": (
        ("indicator", "指標"),
        ("kind", "類型"),
        ("definition", "衡量標準"),
        ("unit", "單位"),
        ("baseline", "現況"),
        ("baseline_year", "現況年"),
        ("baseline_source", "現況來源"),
        ("target", "目標"),
        ("target_year", "目標年"),
        ("direction", "方向"),
        ("yearly", "逐年目標"),
    ),
}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return " ".join(str(value).split())


def _value(kind: str, key: str, row: dict[str, Any]) -> Any:
    value = row.get(key)
    if key == "source":
        return SOURCES.get(str(value), value)
    if kind == "kpis" and key == "kind":  # older KPIs without a kind are outcome indicators
        return KPI_KINDS.get(str(value or DEFAULT_KPI_KIND), value)
    if key == "yearly":
        pairs = value if isinstance(value, list) else []
        return [f"{p.get('year')}年 {p.get('value')}" for p in pairs if isinstance(p, dict)]
    return value


def _rows(prefix: str, kind: str, rows: list[dict[str, Any]]) -> Iterator[str]:
    for number, row in enumerate(rows, start=1):
        cells = []
        for key, label in ROW_FIELDS[kind]:
            cells.append(f"{label}：{_text(_value(kind, key, row))}")
        yield f"{prefix} 第 {number} 列｜" + "｜".join(cells)


def lines(title: str, document: dict[str, Any]) -> list[str]:
    """The revision as one line per fact, labelled so a changed line reads on its own."""
    out = [f"提案名稱｜{title}"]
    dna = document.get("dna", {})
    out.append(f"我的DNA｜摘要｜{_text(dna.get('summary'))}")
    out += [f"我的DNA｜{g}｜{_text(dna.get('items', {}).get(g, []))}" for g in DNA_GROUPS]
    out += _rows("利害關係人", "stakeholders", document.get("stakeholders", []))
    consensus = document.get("consensus", {})
    out += _rows("共識活動", "events", consensus.get("events", []))
    out.append(f"共識願景｜{_text(consensus.get('vision'))}")
    businesses = document.get("businesses", {})
    out.append(f"創生事業構想｜摘要｜{_text(businesses.get('summary'))}")
    out += _rows("創生事業", "businesses", businesses.get("items", []))
    resources = document.get("resources", {})
    out += _rows("經費需求", "lines", resources.get("lines", []))
    out += _rows("其他協助", "support", resources.get("support", []))
    out += _rows("KPI", "kpis", document.get("kpis", []))
    out.append(f"不可量化效益｜{_text(document.get('benefits', []))}")
    return out


@dataclass(frozen=True)
class Change:
    kind: str  # "removed" or "added"
    line: str


def changes(old_title: str, old: dict[str, Any], new_title: str, new: dict[str, Any]) -> list[Change]:
    """Removed and added lines from one revision to the next; [] when nothing changed."""
    result: list[Change] = []
    for line in difflib.ndiff(lines(old_title, old), lines(new_title, new)):
        if line.startswith("- "):
            result.append(Change("removed", line[2:]))
        elif line.startswith("+ "):
            result.append(Change("added", line[2:]))
    return result
