"""Blueprints, one per audience, and what every template may use."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Flask, abort
from flask_login import current_user
from sqlalchemy import func, select

from portal import db, operations, text
from portal.db.models import OutboxMessage, Proposal
from portal.domain import permissions as perm
from portal.domain.states import State
from portal.domain.workflow import TRANSITIONS, Action


def init_app(app: Flask) -> None:
    from portal import csrf
    from portal.views import admin, main, notifications, proposals, review, wizard

    # The wizard's forms check their own CSRF token so that an expired one re-shows
    # the form with the input kept, instead of the generic error page.
    csrf.exempt(wizard.bp)
    for module in (main, proposals, admin, notifications, wizard, review):
        app.register_blueprint(module.bp)

    labels = operations.action_labels()
    app.jinja_env.filters["localtime"] = localtime
    app.jinja_env.filters["isotime"] = lambda value: localtime(datetime.fromisoformat(value)) if value else "—"
    app.jinja_env.filters["safe_html"] = text.cached
    app.jinja_env.globals["action_label"] = lambda action: labels.get(action, action)
    app.jinja_env.globals["state_label"] = lambda state: State(state).label
    app.jinja_env.globals["transition_of"] = lambda action: TRANSITIONS[Action(action)]

    @app.context_processor
    def unread() -> dict[str, Any]:
        if not current_user.is_authenticated:
            return {"unread_count": 0}
        count = db.session().scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.recipient_id == current_user.id, OutboxMessage.read_at.is_(None))
        )
        return {"unread_count": count or 0}


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
