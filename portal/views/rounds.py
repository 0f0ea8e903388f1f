"""NDC pages for rounds (梯次): the calendar, opening a round, editing and reopening one."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from portal import db, operations, rounds
from portal.auth import login_required
from portal.db.models import Proposal, Round
from portal.domain import rounds as rules
from portal.forms.rounds import RoundForm
from portal.views import require_admin

bp = Blueprint("rounds", __name__, url_prefix="/admin/rounds")


@bp.before_request
@login_required
def _admins_only() -> None:
    require_admin()


@bp.route("/")
def index() -> str:
    """Every round, newest first, with its dates, whether it is open and its proposals."""
    dbs = db.session()
    today = operations.taiwan_today()
    grouped = dbs.execute(select(Proposal.round_id, func.count()).group_by(Proposal.round_id))
    counts = {round_id: count for round_id, count in grouped}
    listed = rounds.all_rounds(dbs)
    return render_template(
        "rounds/index.html",
        rounds=listed,
        counts=counts,
        today=today,
        texts={r.id: rounds.deadline_texts(r, today) for r in listed},
        slash=rules.slash,
    )


@bp.route("/new", methods=["GET", "POST"])
def new() -> str | Response:
    """Open a new round; date-order, past-deadline and overlap errors show by their field."""
    form = RoundForm()
    if form.validate_on_submit():
        dbs = db.session()
        try:
            item = rounds.create_round(dbs, current_user, form.name.data or "", form.dates(), operations.taiwan_today())
        except rounds.RoundInvalid as error:
            dbs.rollback()
            form.show_errors(error.errors)
        else:
            dbs.commit()
            flash(f"已新增梯次「{item.name}」。", "success")
            return redirect(url_for(".index"))
    return render_template("rounds/form.html", form=form, item=None)


@bp.route("/<int:round_id>", methods=["GET", "POST"])
def edit(round_id: int) -> str | Response:
    """Edit a round; moving a passed deadline to today or later reopens it."""
    dbs = db.session()
    item = dbs.get(Round, round_id) or abort(404)
    form = RoundForm(obj=item)
    if form.validate_on_submit():
        try:
            action = rounds.update_round(
                dbs, current_user, item, form.name.data or "", form.dates(), operations.taiwan_today()
            )
        except rounds.RoundInvalid as error:
            dbs.rollback()
            form.show_errors(error.errors)
        else:
            dbs.commit()
            done = "已重新開放" if action == "round_reopen" else "已儲存"
            flash(f"{done}梯次「{item.name}」。", "success")
            return redirect(url_for(".index"))
    today = operations.taiwan_today()
    return render_template("rounds/form.html", form=form, item=item, texts=rounds.deadline_texts(item, today))


@bp.app_template_global("round_deadline")
def round_deadline(proposal: Proposal) -> str:
    """The deadline the proposal waits on, e.g. 「送出期限 2026/12/15（尚餘 15 天）」;
    empty when it has no round or waits on none."""
    deadline = rules.waiting_on(proposal.status)
    if proposal.round is None or deadline is None:
        return ""
    return rules.deadline_text(deadline, proposal.round.dates.closes(deadline), operations.taiwan_today())
