"""Priority townships (優先推動地區) in the workflow: the regional-lead hint.

The national strategy means a regional (區域型) proposal to be led by an intermediate
town (中介城鎮) that carries its neighbours; the portal hints at it, never refuses."""

from __future__ import annotations

from portal.domain.proposal import ProposalType

INTERMEDIATE_TOWN = "中介城鎮"


def regional_lead_hint(proposal_type: str, lead_name: str, lead_kind: str | None, list_loaded: bool) -> str | None:
    """The hint for a regional proposal whose lead is not an intermediate town; None when
    none applies or when the priority list was never imported (nothing is known then)."""
    if proposal_type != ProposalType.REGIONAL.value or not list_loaded or lead_kind == INTERMEDIATE_TOWN:
        return None
    where = f"是優先推動地區的{lead_kind}，不是中介城鎮" if lead_kind else "不在優先推動地區的中介城鎮名單中"
    return (
        f"區域型提案通常由{INTERMEDIATE_TOWN}擔任主提案鄉鎮，帶動周邊鄉鎮；{lead_name}{where}。"
        "這只是提醒，不影響儲存或送出。"
    )
