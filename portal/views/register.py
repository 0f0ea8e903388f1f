"""Registering the portal's blueprints, one per audience, and what every template may use."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Flask
from flask_login import current_user
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import func, select

from portal import db, operations, text
from portal.db.models import OutboxMessage
from portal.domain import brief, funding
from portal.domain.states import State
from portal.domain.workflow import TRANSITIONS, Action
from portal.views import (
    admin,
    counsel,
    followup,
    fonts,
    localtime,
    main,
    meetings,
    notifications,
    proposals,
    reports,
    review,
    wizard,
    yearend,
)
from portal.views import ministry as ministry_views
from portal.views import results as results_views
from portal.views import rounds as round_views

csrf = CSRFProtect()


def init_app(app: Flask) -> None:
    # The wizard's forms check their own CSRF token so that an expired one re-shows
    # the form with the input kept, instead of the generic error page.
    csrf.exempt(wizard.bp)
    csrf.exempt(reports.bp)
    for module in (main, proposals, admin, notifications, wizard, review, meetings):
        app.register_blueprint(module.bp)
    app.register_blueprint(ministry_views.bp)
    app.register_blueprint(round_views.bp)
    for module in (followup, counsel, reports, yearend):
        app.register_blueprint(module.bp)
    app.register_blueprint(results_views.bp)
    app.register_blueprint(fonts.bp)

    labels = operations.action_labels()
    app.jinja_env.filters["localtime"] = localtime
    app.jinja_env.filters["isotime"] = lambda value: localtime(datetime.fromisoformat(value)) if value else "—"
    app.jinja_env.filters["safe_html"] = text.cached
    app.jinja_env.filters["roc"] = funding.roc_label
    app.jinja_env.filters["with_roc"] = funding.both_years
    app.jinja_env.globals["funding_table_of"] = brief.funding_table
    app.jinja_env.globals["funding_sources"] = brief.SOURCES
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
