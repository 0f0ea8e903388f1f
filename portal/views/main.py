"""The dashboard: the proposals each account works on, and what to do next."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import select

from portal import db
from portal.auth import login_required
from portal.db.models import AuditEvent, Proposal
from portal.domain import permissions as perm
from portal.domain.workflow import Action, available_actions

bp = Blueprint("main", __name__)

# Moves whose reason is addressed to the authors; shown beside their proposal.
NOTE_ACTIONS = (Action.RETURN, Action.REQUEST_REVISION, Action.REJECT)


@bp.route("/")
@login_required
def index() -> str:
    """Every proposal the account may see, newest change first, with its next moves and
    the latest note addressed to its authors."""
    dbs = db.session()
    proposals = dbs.scalars(select(Proposal).order_by(Proposal.updated_at.desc()))
    visible = [p for p in proposals if perm.can_view(current_user, p)]
    # Withdrawing is always possible while open; it is never "the next step".
    actions = {p.id: [a for a in available_actions(current_user, p) if a != Action.WITHDRAW] for p in visible}
    notes: dict[int, AuditEvent] = {}
    if visible:
        events = dbs.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.proposal_id.in_([p.id for p in visible]),
                AuditEvent.action.in_([a.value for a in NOTE_ACTIONS]),
            )
            .order_by(AuditEvent.id.desc())
        )
        for event in events:
            if event.proposal_id is not None:
                notes.setdefault(event.proposal_id, event)
    return render_template(
        "main/index.html",
        proposals=visible,
        actions=actions,
        notes=notes,
        editable={p.id for p in visible if perm.can_edit(current_user, p)},
        can_create=current_user.role in ("township", "county"),
    )
