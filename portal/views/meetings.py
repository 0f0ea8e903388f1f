"""地方創生會報 meetings (NDC only): the list, recording one, and each meeting's page
with its agenda and the decisions taken at it."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from portal import db, meetings, review
from portal.auth import login_required
from portal.db.models import Meeting, Proposal
from portal.domain.meetings import MeetingKind
from portal.forms import choices
from portal.forms.meetings import AgendaForm, MeetingForm
from portal.views import require_admin

bp = Blueprint("meetings", __name__, url_prefix="/admin/meetings")


@bp.before_request
@login_required
def _admins_only() -> None:
    require_admin()


@bp.route("/", methods=["GET", "POST"])
def index() -> str | Response:
    """Every meeting, the latest first, and the form to record one."""
    dbs = db.session()
    form = MeetingForm()
    if form.validate_on_submit():
        try:
            meeting = meetings.create_meeting(
                dbs,
                current_user,
                kind=MeetingKind(form.kind.data),
                number=form.number.data,
                held_on=form.held_on.data,
                note=(form.note.data or "").strip(),
            )
        except meetings.MeetingError as error:
            dbs.rollback()
            getattr(form, error.field or "number").errors.append(str(error))
        else:
            dbs.commit()
            flash(f"已登錄{meeting.name}（{meeting.held_on.isoformat()}）。", "success")
            return redirect(url_for(".show", meeting_id=meeting.id))
    return render_template("meetings/index.html", form=form, meetings=meetings.all_meetings(dbs))


def _agenda_form(meeting: Meeting) -> AgendaForm:
    dbs = db.session()
    on_agenda = {p.id for p in meetings.agenda(dbs, meeting)}
    form = AgendaForm()
    form.proposal.choices = choices(
        (p.id, f"{p.title}（{p.lead_township.full_name}，v{p.revision_count}）")
        for p in meetings.screened(dbs, review.rubric())
        if p.id not in on_agenda
    )
    return form


@bp.route("/<int:meeting_id>", methods=["GET", "POST"])
def show(meeting_id: int) -> str | Response:
    """The meeting's agenda (screened proposals the NDC put on it) and its decisions."""
    dbs = db.session()
    meeting = dbs.get(Meeting, meeting_id)
    if meeting is None:
        abort(404)
    form = _agenda_form(meeting)
    if form.validate_on_submit():
        proposal = dbs.get(Proposal, form.proposal.data)
        if proposal is None:
            abort(404)
        try:
            meetings.add_to_agenda(dbs, meeting, proposal, current_user, review.rubric())
        except meetings.MeetingError as error:
            dbs.rollback()
            form.proposal.errors.append(str(error))
        else:
            dbs.commit()
            flash(f"已將「{proposal.title}」列入議程。", "success")
            return redirect(url_for(".show", meeting_id=meeting.id))
    return render_template(
        "meetings/show.html",
        meeting=meeting,
        form=form,
        agenda=meetings.agenda(dbs, meeting),
        decisions=meetings.decisions_at(dbs, meeting),
        outcomes=review.OUTCOMES,
    )
