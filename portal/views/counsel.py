"""Pages of `portal.counsel`: logging an entry and resolving an issue from the case's
follow-up page, which shows the forms again with their errors when one is refused."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from portal import counsel, db, operations
from portal.auth import login_required
from portal.db.models import CounselIssue, Proposal
from portal.domain import followup
from portal.domain.errors import DomainError, PermissionDenied
from portal.domain.followup import LogKind, Step
from portal.forms.counsel import EntryForm, ResolveForm
from portal.views import visible_proposal
from portal.views.followup import render_case

bp = Blueprint("counsel", __name__)


@bp.app_template_global("counsel_new_entry_form")
def new_entry_form() -> EntryForm:
    """A blank entry form for the panel, dated today."""
    return EntryForm(formdata=None, held_on=operations.taiwan_today())


@bp.app_template_global("counsel_new_resolve_form")
def new_resolve_form(issue_id: int) -> ResolveForm:
    return ResolveForm(formdata=None, prefix=f"resolve-{issue_id}")


def _refuse(proposal: Proposal, step: Step) -> Response | None:
    """Stop a move the domain refuses before reading the form: 403 for someone who may
    not take it at all, the domain's message on the follow-up page otherwise."""
    dbs = db.session()
    try:
        followup.plan_step(current_user, proposal, step, closed=operations.is_closed(dbs, proposal))
    except PermissionDenied:
        abort(403)
    except DomainError as error:
        flash(str(error), "error")
        if proposal.state in followup.FOLLOWED_STATES:
            return redirect(url_for("followup.case", proposal_id=proposal.id))
        return redirect(url_for("proposals.detail", proposal_id=proposal.id))
    return None


def _page(proposal: Proposal, **forms: Any) -> str:
    """The follow-up page with this part's forms as posted."""
    return render_case(proposal, **forms)


@bp.route("/proposals/<int:proposal_id>/counsel", methods=["POST"])
@login_required
def add(proposal_id: int) -> str | Response:
    """Log a visit, meeting or call with the issues it raised."""
    proposal = visible_proposal(proposal_id)
    refused = _refuse(proposal, Step.LOG)
    if refused:
        return refused
    dbs = db.session()
    form = EntryForm()
    if form.validate_on_submit():
        try:
            entry = counsel.add_entry(
                dbs,
                proposal,
                current_user,
                kind=LogKind(form.kind.data),
                held_on=form.held_on.data,
                place=form.place.data or "",
                attendees=form.attendees.data or "",
                notes=form.notes.data or "",
                visible_to_township=bool(form.visible_to_township.data),
                issues=form.issue_inputs(),
            )
        except counsel.CounselError as error:
            dbs.rollback()
            _field(form, error.field).errors.append(str(error))
        except DomainError as error:
            dbs.rollback()
            form.form_errors.append(str(error))
        else:
            dbs.commit()
            flash(f"已登錄 {entry.held_on.isoformat()} 的{entry.kind_enum.label}紀錄。", "success")
            return redirect(url_for("followup.case", proposal_id=proposal.id, _anchor=f"counsel-entry-{entry.id}"))
    return _page(proposal, counsel_entry_form=form)


def _field(form: EntryForm, name: str | None) -> Any:
    """The input an operation's refusal is about; `issues-N-x` counts filled rows only."""
    if name and name.startswith("issues-"):
        _, number, part = name.split("-", 2)
        rows = form.issue_rows()
        if int(number) < len(rows):
            return getattr(rows[int(number)], part)
        return form.issues
    return getattr(form, name or "notes")


@bp.route("/proposals/<int:proposal_id>/counsel/issues/<int:issue_id>/resolve", methods=["POST"])
@login_required
def resolve(proposal_id: int, issue_id: int) -> str | Response:
    """Mark an open issue resolved, saying how."""
    proposal = visible_proposal(proposal_id)
    refused = _refuse(proposal, Step.ISSUE_RESOLVE)
    if refused:
        return refused
    dbs = db.session()
    issue = dbs.get(CounselIssue, issue_id)
    if issue is None or issue.proposal_id != proposal.id:
        abort(404)
    form = ResolveForm(prefix=f"resolve-{issue.id}")
    if form.validate_on_submit():
        try:
            counsel.resolve_issue(dbs, issue, current_user, form.resolution.data or "")
        except counsel.CounselError as error:
            dbs.rollback()
            form.resolution.errors.append(str(error))
        except DomainError as error:
            dbs.rollback()
            form.resolution.errors.append(str(error))
        else:
            dbs.commit()
            flash("已將問題標示為解決。", "success")
            return redirect(url_for("followup.case", proposal_id=proposal.id, _anchor=f"counsel-issue-{issue.id}"))
    return _page(proposal, counsel_resolve_forms={issue.id: form})
