"""The year-end review (年底檢核) of submitted progress reports, reopening it, and closing a case (結案).

Like the other operations these flush, never commit.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from portal.db.models import Proposal, User


def panel(session: Session, proposal: Proposal, user: User) -> dict[str, Any]:
    """What the case's follow-up page shows of this part to `user`, as template context."""
    return {}


def dashboard(session: Session, user: User) -> dict[str, Any]:
    """What the home page flags of this part to `user`, as template context."""
    return {}
