"""What every view module shares: the permission helpers and the local-time filter.

The blueprints themselves are registered by `portal.views.register`, so that the view
modules can import this package without an import circle."""

from __future__ import annotations

from datetime import datetime

from flask import abort
from flask_login import current_user

from portal import db, operations
from portal.db.models import Proposal
from portal.domain import permissions as perm


def localtime(value: datetime | None) -> str:
    """A UTC time as Taiwan local time, the way people here write it."""
    return value.astimezone(operations.TAIWAN).strftime("%Y-%m-%d %H:%M") if value else "—"


def visible_proposal(proposal_id: int) -> Proposal:
    """The proposal if the current user may see it; 404 otherwise, so that ids of other
    townships' drafts cannot be probed."""
    proposal = db.session().get(Proposal, proposal_id)
    if proposal is None or not perm.can_view(current_user, proposal):
        abort(404)
    return proposal


def require_admin() -> None:
    if not perm.can_manage_users(current_user):
        abort(403)
