"""A proposal's page: its facts, revisions, history and the moves the viewer may make."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from portal import db, operations
from portal.auth import login_required
from portal.db.models import AuditEvent, ReviewAssignment, User
from portal.domain import permissions as perm
from portal.domain.errors import DomainError
from portal.domain.roles import Role
from portal.domain.workflow import Action, available_actions
from portal.forms import choices
from portal.forms.workflow import AssignForm, TransitionForm
from portal.views import visible_proposal

bp = Blueprint("proposals", __name__, url_prefix="/proposals")


def _reviewer_choices() -> list[SelectChoice]:
    reviewers = db.session().scalars(
        select(User).where(User.role == Role.REVIEWER, User.active.is_(True)).order_by(User.name)
    )
    return choices((u.id, f"{u.name}（{u.affiliation}）" if u.affiliation else u.name) for u in reviewers)


@bp.route("/<int:proposal_id>")
@login_required
def detail(proposal_id: int) -> str:
    proposal = visible_proposal(proposal_id)
    history = db.session().scalars(
        select(AuditEvent).where(AuditEvent.proposal_id == proposal.id).order_by(AuditEvent.id)
    )
    assign_form = AssignForm()
    assign_form.reviewers.choices = _reviewer_choices()
    return render_template(
        "proposals/detail.html",
        proposal=proposal,
        history=list(history),
        actions=available_actions(current_user, proposal),
        can_edit=perm.can_edit(current_user, proposal),
        form=TransitionForm(),
        assign_form=assign_form,
    )


@bp.route("/<int:proposal_id>/transition", methods=["POST"])
@login_required
def transition(proposal_id: int) -> Response:
    """Apply one workflow move; a refusal comes back as a message, nothing changed."""
    proposal = visible_proposal(proposal_id)
    form = TransitionForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(str(error), "error")
        return redirect(url_for(".detail", proposal_id=proposal.id))
    action = Action(form.action.data)
    if action == Action.ASSIGN:
        abort(400)  # assignment names reviewers: it has its own form
    dbs = db.session()
    try:
        done = operations.apply_transition(dbs, proposal, action, current_user, form.reason.data or "")
    except DomainError as error:
        dbs.rollback()
        flash(str(error), "error")
    else:
        dbs.commit()
        flash(f"已完成「{done.label}」，提案目前為「{done.target.label}」。", "success")
    return redirect(url_for(".detail", proposal_id=proposal.id))


@bp.route("/<int:proposal_id>/assign", methods=["POST"])
@login_required
def assign(proposal_id: int) -> Response:
    """Assign reviewers and move the proposal into review, in one transaction."""
    proposal = visible_proposal(proposal_id)
    form = AssignForm()
    form.reviewers.choices = _reviewer_choices()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(str(error), "error")
        return redirect(url_for(".detail", proposal_id=proposal.id))
    dbs = db.session()
    try:
        for reviewer_id in form.reviewers.data:
            if reviewer_id not in proposal.reviewer_ids:
                proposal.assignments.append(ReviewAssignment(reviewer_id=reviewer_id))
        operations.apply_transition(dbs, proposal, Action.ASSIGN, current_user)
    except DomainError as error:
        dbs.rollback()
        flash(str(error), "error")
    else:
        dbs.commit()
        flash(f"已分派 {len(form.reviewers.data)} 位委員，提案進入審查。", "success")
    return redirect(url_for(".detail", proposal_id=proposal.id))
