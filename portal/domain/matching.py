"""Matching (媒合) by the ministries: the duplicate-subsidy check (重複補助) and its warning.

Plain data in, plain text out: `portal.matching` gathers what is already matched and
calls these, so the rule can be tested without a database.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

# NT$ thousand: the same bound as the decision form's amounts (portal.forms.wizard.AMOUNT_MAX).
AMOUNT_MAX = 100_000_000
FIRST_YEAR, LAST_YEAR = 2019, 2040


@dataclass(frozen=True)
class Matched:
    """A programme already matched to a case (a confirmed decision's matched resource)."""

    proposal_id: int
    title: str
    lead: str  # the lead township's full name, e.g. 南投縣埔里鎮
    townships: frozenset[str]  # the case's lead and participating township codes
    programme: str
    year: int
    amount: int


def duplicates(
    proposal_id: int, townships: Collection[str], programme: str, year: int, matched: Iterable[Matched]
) -> list[Matched]:
    """Other cases sharing a township with this one that already have `programme` matched
    in `year`: the same business or place would be subsidised twice."""
    found = [
        m
        for m in matched
        if m.proposal_id != proposal_id
        and m.programme == programme
        and m.year == year
        and not m.townships.isdisjoint(townships)
    ]
    return sorted(found, key=lambda m: (m.proposal_id, m.amount))


def warning(programme: str, year: int, other: Matched) -> str:
    """The warning shown next to the programme; it names the other case, and refuses nothing."""
    return (
        f"可能重複補助：「{programme}」{year} 年已媒合給第 {other.proposal_id} 號提案"
        f"「{other.title}」（{other.lead}，{other.amount:,} 千元），兩案有相同的鄉鎮市區。"
        "請確認不是同一事業重複申請。"
    )
