"""Which counties and townships a reviewer's 服務單位 names.

A reviewer who works at 南投縣政府 or 埔里鎮公所 must stay away (利益迴避) from the
proposals of that place. The affiliation is free text, so this only finds names it can
be sure of: a county's full name (南投縣), a township's full name with its county
(南投縣埔里鎮), or a township's own name (埔里鎮) when no other township has it and it is
at least three characters long (東區, 中區 and the like are too short to mean one
place: 「地方創生輔導團（中區）」 is not 臺中市中區). The admin confirms each match.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

# Shorter township names (東區, 北區, 中區 …) are parts of too many other words.
SHORTEST_BARE_NAME = 3


@dataclass(frozen=True)
class Place:
    """A county or township named by an affiliation, as a conflict would record it."""

    scope: str  # "county" or "township", as Conflict.scope
    code: str
    name: str  # 南投縣 or 南投縣埔里鎮

    @property
    def label(self) -> str:
        return f"{'縣市' if self.scope == 'county' else '鄉鎮市區'}：{self.name}"


def plain(text: str) -> str:
    """Full-width forms folded, spaces removed and 台 written 臺, as the reference data spells it."""
    return "".join(unicodedata.normalize("NFKC", text).split()).replace("台", "臺")


def places_named(
    affiliation: str,
    counties: Iterable[tuple[str, str]],
    townships: Iterable[tuple[str, str, str]],
) -> list[Place]:
    """The places `affiliation` names, counties before their townships, by code.

    `counties` are (code, name); `townships` are (code, county name, township name). A
    county named only as part of a township's full name (南投縣埔里鎮公所) is not a
    match of its own: the township is the affiliation."""
    text = plain(affiliation)
    if not text:
        return []
    townships = list(townships)
    found: dict[str, Place] = {}
    rest = text
    for code, county, name in townships:
        full = county + name
        if full in text:
            found[code] = Place("township", code, full)
            rest = rest.replace(full, "／")
    bare = Counter(name for _, _, name in townships)
    for code, county, name in townships:
        if code not in found and len(name) >= SHORTEST_BARE_NAME and bare[name] == 1 and name in rest:
            found[code] = Place("township", code, county + name)
    for code, name in counties:
        if name in rest:
            found[code] = Place("county", code, name)
    return [found[code] for code in sorted(found)]
