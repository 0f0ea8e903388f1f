"""The follow-up page of an approved case (執行追蹤): its counselling log, its yearly
progress reports, their year-end reviews and its closing, each part from its own module."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template
from flask_login import current_user

from portal import counsel, db, reports, yearend
from portal.auth import login_required
from portal.db.models import Proposal
from portal.domain import followup
from portal.domain.states import State
from portal.views import visible_proposal

bp = Blueprint("followup", __name__, url_prefix="/proposals")


def followed_case(proposal_id: int) -> Proposal:
    """The approved case if the current user follows it up; 404 otherwise."""
    proposal = visible_proposal(proposal_id)
    if State(proposal.status) not in followup.FOLLOWED_STATES or not followup.reads_reports(current_user, proposal):
        abort(404)
    return proposal


def render_case(proposal: Proposal, **forms: Any) -> str:
    """The follow-up page: each part's panel, with any part's posted form (and its
    errors) in place of the blank one."""
    dbs = db.session()
    context = (
        counsel.panel(dbs, proposal, current_user)
        | reports.panel(dbs, proposal, current_user)
        | yearend.panel(dbs, proposal, current_user)
    )
    return render_template("followup/case.html", proposal=proposal, **(context | forms))


@bp.route("/<int:proposal_id>/followup")
@login_required
def case(proposal_id: int) -> str:
    return render_case(followed_case(proposal_id))
