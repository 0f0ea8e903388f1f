"""Each account's notifications, the same messages the outbox e-mails."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select, update
from werkzeug.wrappers import Response

from portal import db
from portal.auth import login_required
from portal.db.models import OutboxMessage, utcnow

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.route("/")
@login_required
def inbox() -> str:
    messages = db.session().scalars(
        select(OutboxMessage)
        .where(OutboxMessage.recipient_id == current_user.id)
        .order_by(OutboxMessage.id.desc())
        .limit(200)
    )
    return render_template("notifications/inbox.html", messages=list(messages))


@bp.route("/read", methods=["POST"])
@login_required
def mark_read() -> Response:

    dbs = db.session()
    dbs.execute(
        update(OutboxMessage)
        .where(OutboxMessage.recipient_id == current_user.id, OutboxMessage.read_at.is_(None))
        .values(read_at=utcnow())
    )
    dbs.commit()
    return redirect(url_for(".inbox"))
