"""A proposal's page: its facts, revisions, history and the moves the viewer may make."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from portal import cosign, db, operations, publish, review
from portal.auth import login_required
from portal.db.models import AuditEvent, Decision, Proposal, Review
from portal.domain import diff, followup
from portal.domain import permissions as perm
from portal.domain.errors import DomainError
from portal.domain.followup import Step
from portal.domain.roles import Role
from portal.domain.states import State
from portal.domain.workflow import Action, available_actions
from portal.forms.cosign import CoSignForm, WithdrawCoSignForm
from portal.forms.workflow import TransitionForm
from portal.views import visible_proposal

bp = Blueprint("proposals", __name__, url_prefix="/proposals")

# Events only the NDC sees in a case's history. The year-end review and its reopening
# would name the reviewer; others read them on the follow-up page, signed 「輔導團」.
REVIEW_ONLY_EVENTS = frozenset(
    {"review", "review_edit", "assign_more", "conflict_add", "yearend_review", "yearend_reopen"}
)


@bp.route("/<int:proposal_id>")
@login_required
def detail(proposal_id: int) -> str:
    proposal = visible_proposal(proposal_id)
    dbs = db.session()
    events = dbs.scalars(select(AuditEvent).where(AuditEvent.proposal_id == proposal.id).order_by(AuditEvent.id))
    # Who reviews a case, and who stepped back from it, stays with the NDC.
    history = [e for e in events if current_user.role == Role.ADMIN or e.action not in REVIEW_ONLY_EVENTS]
    # An internal counselling entry is audited without a reason; townships do not even
    # learn that one was written (entries marked for them carry their date and kind).
    if current_user.role == Role.TOWNSHIP:
        history = [e for e in history if not (e.action == Step.LOG.value and not e.reason)]
    decision = dbs.scalar(select(Decision).where(Decision.proposal_id == proposal.id).order_by(Decision.id.desc()))
    # Comments meant for the township travel with the decision, without names or scores.
    comments = []
    if decision is not None:
        reviews = dbs.scalars(
            select(Review).where(Review.revision_id == decision.revision_id, Review.standing()).order_by(Review.id)
        )
        comments = [r.comment_to_township for r in reviews if r.comment_to_township]
    return render_template(
        "proposals/detail.html",
        score_link=score_link(proposal),
        decision=decision,
        comments=comments,
        proposal=proposal,
        history=list(history),
        actions=available_actions(current_user, proposal),
        can_edit=perm.can_edit(current_user, proposal),
        form=TransitionForm(),
        partners=cosign.partners(dbs, proposal),
        can_cosign=cosign.can_sign(current_user, proposal),
        can_withdraw_cosign=cosign.can_withdraw(current_user, proposal),
        withdraw_cosign_form=WithdrawCoSignForm(),
        followed=proposal.state in followup.FOLLOWED_STATES and followup.reads_reports(current_user, proposal),
        public_url=public_url(proposal),
        changes=latest_changes(proposal),
    )


def score_link(proposal: Proposal) -> tuple[str, str] | None:
    """An assigned reviewer's way to the scoring page: 評分, or 修改評分 once scored
    (until the decision); the NDC's way to every review and its earlier values."""
    if perm.can_review(current_user, proposal):
        if review.review_of(db.session(), proposal, current_user) is not None:
            return "修改評分", url_for("review.score", proposal_id=proposal.id, edit=1)
        return "評分", url_for("review.score", proposal_id=proposal.id)
    if current_user.role == Role.ADMIN and proposal.assignments:
        return "評分紀錄", url_for("review.history", proposal_id=proposal.id)
    return None


def latest_changes(proposal: Proposal) -> tuple[str, str, list[diff.Change]] | None:
    """What the latest submitted revision changed from the one before it, for everyone
    who reads the case (a county checking a resubmission, as reviewers can)."""
    if len(proposal.revisions) < 2:
        return None
    old, new = proposal.revisions[-2], proposal.revisions[-1]
    return old.label, new.label, diff.changes(old.title, old.content, new.title, new.content)


def public_url(proposal: Proposal) -> str | None:
    """The address of a published case's page on the public showcase (PORTAL_SITE_URL)."""
    if proposal.state != State.PUBLISHED:
        return None
    return f"{current_app.config['SITE_URL'].rstrip('/')}/cases/{publish.slug_for(proposal)}/"


@bp.route("/<int:proposal_id>/cosign", methods=["POST"])
@login_required
def cosign_add(proposal_id: int) -> Response:
    """A partner county agrees to take part in the submitted revision (同意參與)."""
    proposal = visible_proposal(proposal_id)
    form = CoSignForm()
    if form.validate_on_submit():
        _cosign_step(lambda dbs: cosign.sign(dbs, proposal, current_user), "已同意參與這件跨縣市提案。")
    else:
        for errors in form.errors.values():
            for error in errors:
                flash(str(error), "error")
    return redirect(url_for(".detail", proposal_id=proposal.id))


@bp.route("/<int:proposal_id>/cosign/withdraw", methods=["POST"])
@login_required
def cosign_withdraw(proposal_id: int) -> Response:
    """A partner county withdraws its agreement, with a reason, until the case is forwarded."""
    proposal = visible_proposal(proposal_id)
    form = WithdrawCoSignForm()
    if form.validate_on_submit():
        reason = form.reason.data or ""
        _cosign_step(lambda dbs: cosign.withdraw(dbs, proposal, current_user, reason), "已撤回同意參與。")
    else:
        for errors in form.errors.values():
            for error in errors:
                flash(str(error), "error")
    return redirect(url_for(".detail", proposal_id=proposal.id))


def _cosign_step(step: Callable[[Session], object], done: str) -> None:
    dbs = db.session()
    try:
        step(dbs)
    except DomainError as error:
        dbs.rollback()
        flash(str(error), "error")
    else:
        dbs.commit()
        flash(done, "success")


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
    if action in (Action.ASSIGN, Action.APPROVE, Action.REQUEST_REVISION, Action.REJECT):
        # Assignment names reviewers and decisions name a meeting: each has its own form.
        flash("請使用分派委員或做成決定的頁面。", "warning")
        return redirect(url_for(".detail", proposal_id=proposal.id))
    dbs = db.session()
    proposals_dir = Path(current_app.config["PROPOSALS_DIR"])
    try:
        done = operations.apply_transition(dbs, proposal, action, current_user, form.reason.data or "")
        # The case file is prepared before the commit, so a file that cannot be written
        # refuses the move; it is put in place (or removed) only once the commit holds.
        pending = []
        if action == Action.PUBLISH:
            pending.append(publish.stage_case(dbs, proposal, proposals_dir))
        elif action == Action.UNPUBLISH:
            pending.append(publish.stage_removal(proposal, proposals_dir))
    except DomainError as error:
        dbs.rollback()
        flash(str(error), "error")
    else:
        publish.commit(dbs, pending)
        flash(f"已完成「{done.label}」，提案目前為「{done.target.label}」。", "success")
    return redirect(url_for(".detail", proposal_id=proposal.id))
