"""The kinds of portal account and the scope each is bound to."""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    TOWNSHIP = "township"
    COUNTY = "county"
    REVIEWER = "reviewer"
    ADMIN = "admin"
    MINISTRY = "ministry"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]

    @property
    def scope(self) -> str | None:
        """Which reference code the account is bound to: a township, a county or none."""
        return {Role.TOWNSHIP: "township", Role.COUNTY: "county"}.get(self)


ROLE_LABELS = {
    Role.TOWNSHIP: "鄉鎮市區公所承辦人",
    Role.COUNTY: "縣市政府窗口",
    Role.REVIEWER: "輔導團委員",
    Role.ADMIN: "國發會秘書單位",
    Role.MINISTRY: "部會承辦人",
}
