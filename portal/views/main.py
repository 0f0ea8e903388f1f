"""The dashboard: the proposals each account works on."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import select

from portal import db
from portal.auth import login_required
from portal.db.models import Proposal
from portal.domain import permissions as perm
from portal.domain.workflow import Action, available_actions

bp = Blueprint("main", __name__)


@bp.route("/")
@login_required
def index() -> str:
    """Every proposal the account may see, newest change first, with its next moves."""
    proposals = db.session().scalars(select(Proposal).order_by(Proposal.updated_at.desc()))
    visible = [p for p in proposals if perm.can_view(current_user, p)]
    # Withdrawing is always possible while open; it is never "the next step".
    actions = {p.id: [a for a in available_actions(current_user, p) if a != Action.WITHDRAW] for p in visible}
    return render_template("main/index.html", proposals=visible, actions=actions)
