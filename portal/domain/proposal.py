"""The proposal record's vocabulary: types and the sections of the one-page format."""

from __future__ import annotations

import enum


class ProposalType(enum.StrEnum):
    TOWNSHIP = "township"  # 鄉鎮單元
    REGIONAL = "regional"  # 區域型
    THEMATIC = "thematic"  # 主題型

    @property
    def label(self) -> str:
        return TYPE_LABELS[self]


TYPE_LABELS = {
    ProposalType.TOWNSHIP: "鄉鎮單元",
    ProposalType.REGIONAL: "區域型",
    ProposalType.THEMATIC: "主題型",
}

# The six sections of the one-page proposal, in the order DESIGN.md §3 gives them.
SECTIONS: tuple[tuple[str, str], ...] = (
    ("dna", "我的DNA"),
    ("stakeholders", "利害關係人"),
    ("consensus", "形成共識願景過程"),
    ("businesses", "創生事業構想"),
    ("resources", "資源需求與協助"),
    ("kpis", "KPI"),
)

SECTORS = ("產", "官", "學", "研", "社", "金")
DNA_GROUPS = ("人", "文", "地", "產", "景")


def empty_document() -> dict[str, object]:
    """The content document of a new proposal: every section present and empty."""
    return {
        "basics": {"theme": "", "contact": {}, "title_en": "", "summary_en": ""},
        "dna": {"summary": "", "items": {group: [] for group in DNA_GROUPS}},
        "stakeholders": [],
        "consensus": {"events": [], "vision": ""},
        "businesses": {"summary": "", "items": []},
        "resources": {"lines": [], "support": []},
        "kpis": [],
        "benefits": [],  # 不可量化效益, saved with the KPI step
    }
