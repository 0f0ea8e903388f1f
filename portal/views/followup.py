"""The follow-up page of an approved case (執行追蹤): its counselling log, its yearly
progress reports, their year-end reviews and its closing, each part from its own module."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user

from portal import counsel, db, reports, yearend
from portal.auth import login_required
from portal.domain import followup
from portal.domain.states import State
from portal.views import visible_proposal

bp = Blueprint("followup", __name__, url_prefix="/proposals")


@bp.route("/<int:proposal_id>/followup")
@login_required
def case(proposal_id: int) -> str:
    proposal = visible_proposal(proposal_id)
    if State(proposal.status) not in followup.FOLLOWED_STATES or not followup.reads_reports(current_user, proposal):
        abort(404)
    dbs = db.session()
    context = (
        counsel.panel(dbs, proposal, current_user)
        | reports.panel(dbs, proposal, current_user)
        | yearend.panel(dbs, proposal, current_user)
    )
    return render_template("followup/case.html", proposal=proposal, **context)
