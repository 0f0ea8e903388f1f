"""Cross-county plans (跨縣市聯合提出): which counties must agree to take part (同意參與)
before the lead county may forward a case, and which agreements still count.

The rule: every county with a participating township, other than the lead township's
county, co-signs. A co-signature is given to a submitted revision and still counts for
later revisions as long as no revision in between changed the participating townships;
a resubmission that changes them asks every partner county again.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from portal.domain.states import State

# Partners agree to what the county is about to forward, and may change their mind
# until it has been forwarded.
SIGNABLE = frozenset({State.SUBMITTED})


@dataclass(frozen=True)
class Signature:
    """A co-signature as the rules need it: whose, on which revision, still standing or not."""

    county_code: str
    revision_number: int
    withdrawn: bool = False


def partner_counties(lead_county_code: str, participating_codes: Iterable[str]) -> set[str]:
    """The counties that must co-sign: those of the participating townships (a township
    code starts with its county's five digits), the lead's own county excepted."""
    return {code[:5] for code in participating_codes} - {lead_county_code}


def partners_since(revisions: Sequence[tuple[int, Collection[str]]]) -> int:
    """The number of the earliest revision from which the participating townships have
    been those of the latest one. `revisions` are (number, participating codes) in order;
    0 when there are none."""
    if not revisions:
        return 0
    latest = frozenset(revisions[-1][1])
    since = revisions[-1][0]
    for number, codes in reversed(revisions):
        if frozenset(codes) != latest:
            break
        since = number
    return since


def standing(signatures: Iterable[Signature], since: int) -> set[str]:
    """The counties whose agreement counts for the current revision."""
    return {s.county_code for s in signatures if not s.withdrawn and s.revision_number >= since}


def missing(required: Iterable[str], signed: Collection[str], names: Mapping[str, str]) -> list[str]:
    """Names of the counties still to co-sign, in county-code order."""
    return [names.get(code, code) for code in sorted(set(required) - set(signed))]


def forward_refusal(missing_names: Sequence[str]) -> str | None:
    """The message refusing a forward while partners have not agreed; None when none is missing."""
    if not missing_names:
        return None
    return f"還需要{'、'.join(missing_names)}同意參與，才能轉送國發會。請聯繫尚未同意的縣市政府。"
