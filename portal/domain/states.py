"""The states a proposal passes through (DESIGN.md §5)."""

from __future__ import annotations

import enum


class State(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    FORWARDED = "forwarded"
    IN_REVIEW = "in_review"
    REVISION_REQUESTED = "revision_requested"
    APPROVED = "approved"
    NOT_APPROVED = "not_approved"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return STATE_LABELS[self]


STATE_LABELS = {
    State.DRAFT: "草稿",
    State.SUBMITTED: "已送出（待縣市審閱）",
    State.RETURNED: "縣市退回補件",
    State.FORWARDED: "縣市已轉送國發會",
    State.IN_REVIEW: "輔導團審查中",
    State.REVISION_REQUESTED: "修正後再提",
    State.APPROVED: "核定",
    State.NOT_APPROVED: "不予核定",
    State.PUBLISHED: "已公開",
    State.WITHDRAWN: "已撤案",
}

# States from which the authors may still withdraw the proposal.
OPEN_STATES = frozenset(
    {
        State.DRAFT,
        State.SUBMITTED,
        State.RETURNED,
        State.FORWARDED,
        State.IN_REVIEW,
        State.REVISION_REQUESTED,
    }
)
