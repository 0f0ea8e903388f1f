"""The dashboard: the proposals each account works on, and what to do next."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse

from portal import counsel, db, listing, reports, review, yearend
from portal.auth import login_required
from portal.db.models import AuditEvent, County, Proposal
from portal.domain import followup
from portal.domain import permissions as perm
from portal.domain.roles import Role
from portal.domain.states import State
from portal.domain.workflow import Action, available_actions

bp = Blueprint("main", __name__)

# Moves whose reason is addressed to the authors; shown beside their proposal.
NOTE_ACTIONS = (Action.RETURN, Action.REQUEST_REVISION, Action.REJECT)


@bp.route("/")
@login_required
def index() -> str | BaseResponse:
    """One page of the proposals the account may see, newest change first, with their
    next moves and the latest note addressed to their authors. Admins and counties
    filter by round, state, county, priority area and title, in SQL.
    Ministries have their own list of screened cases."""
    if current_user.role == Role.MINISTRY:
        return redirect(url_for("ministry.cases"))
    dbs = db.session()
    filtering = current_user.role in (Role.ADMIN, Role.COUNTY)
    filters = listing.Filters.from_args(request.args) if filtering else listing.Filters()
    proposals, page, facts = listing.visible_page(
        dbs, current_user, filters, listing.page_number(request.args.get("page"))
    )
    scored = (
        review.reviewed_current(dbs, current_user, [p.id for p in proposals])
        if current_user.role == Role.REVIEWER
        else set()
    )
    # The account itself, not the proxy that looks it up again on every attribute read.
    user = current_user._get_current_object()
    steps = {p.id: next_steps(user, p, facts[p.id], scored=p.id in scored) for p in proposals}
    notes: dict[int, AuditEvent] = {}
    if proposals:
        events = dbs.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.proposal_id.in_([p.id for p in proposals]),
                AuditEvent.action.in_([a.value for a in NOTE_ACTIONS]),
            )
            .order_by(AuditEvent.id.desc())
        )
        for event in events:
            if event.proposal_id is not None:
                notes.setdefault(event.proposal_id, event)
    return render_template(
        "main/index.html",
        proposals=proposals,
        page=page,
        filters=filters,
        filter_options=_filter_options() if filtering else None,
        steps=steps,
        editable={p.id for p in proposals if perm.can_edit(user, facts[p.id])},
        notes=notes,
        can_create=current_user.role in ("township", "county"),
        **counsel.dashboard(dbs, current_user),
        **reports.dashboard(dbs, current_user),
        **yearend.dashboard(dbs, current_user),
    )


def next_steps(
    user: perm.Actor, proposal: Proposal, facts: listing.Facts, *, scored: bool = False
) -> list[tuple[str, str]]:
    """The links of the 下一步 column: continue writing, the workflow moves open to the
    account (withdrawing is always possible while open, so never "the next step"),
    scoring (or changing a submitted score) for an assigned reviewer, and the follow-up
    of an approved case."""
    steps = []
    if perm.can_edit(user, facts):
        steps.append(("繼續填寫", url_for("wizard.overview", proposal_id=proposal.id)))
    detail = url_for("proposals.detail", proposal_id=proposal.id)
    steps += [(a.label, f"{detail}#actions-heading") for a in available_actions(user, facts) if a != Action.WITHDRAW]
    if perm.can_review(user, facts):
        if scored:
            steps.append(("修改評分", url_for("review.score", proposal_id=proposal.id, edit=1)))
        else:
            steps.append(("評分", url_for("review.score", proposal_id=proposal.id)))
    if State(facts.status) in followup.FOLLOWED_STATES and followup.reads_reports(user, facts):
        steps.append(("執行追蹤", url_for("followup.case", proposal_id=proposal.id)))
    return steps


def _filter_options() -> dict[str, list[tuple[str, str]]]:
    """The choices of the filter form; priority areas only once their list is loaded."""
    dbs = db.session()
    options = {
        "cycle": [(c, f"{c} 梯次") for c in listing.cycles(dbs)],
        "state": [(s.value, s.label) for s in State],
        "priority": [],
        "county": [],
    }
    kinds = listing.priority_kinds(dbs)
    if kinds:
        options["priority"] = [("any", "全部優先推動地區"), *((k, k) for k in kinds)]
    if current_user.role == Role.ADMIN:
        options["county"] = [(c.code, c.name_zh) for c in dbs.scalars(select(County).order_by(County.position))]
    return options
