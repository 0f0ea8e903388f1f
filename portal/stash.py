"""Keeping what a user typed when their login expired mid-form.

The POST that arrives after the login ended is stored server-side, tied to the account
whose session it carried, and given back to the same account on the same page after
it signs in again.

Only a live login may write here: its session not ended (logout, disabling, a new
password), the account active, and its last request less than a session lifetime ago.
A stash is at most STASH_MAX_BYTES; rows older than a session lifetime are deleted on
every write and every login.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import current_app, flash, redirect, render_template, request, session
from flask_login import current_user, login_url
from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from portal import accounts, db
from portal.db.models import FormStash, UserSession, utcnow

STASH_KEY = "form_stash"
STASHED_BLUEPRINTS = {"wizard", "reports"}
# A whole proposal is a few tens of kilobytes; this leaves room and bounds abuse.
STASH_MAX_BYTES = 256 * 1024


def unauthorized() -> Response | tuple[str, int]:
    """Flask-Login's handler: stash a wizard POST, then send the user to log in."""
    if request.method == "POST" and request.blueprint in STASHED_BLUEPRINTS:
        fields = {k: v for k, v in request.form.lists() if k != "csrf_token"}
        user_id = _live_login_user_id()
        if user_id is not None and _size(fields) > STASH_MAX_BYTES:
            # Too big to keep on the server: show it back so it can be copied.
            return render_template("auth/stash_refused.html", fields=fields, limit=STASH_MAX_BYTES // 1024), 413
        if user_id is not None:
            _stash(user_id, fields)
            flash("登入已逾時。您剛才輸入的內容已暫存，重新登入後會回到原頁面並自動還原。", "warning")
            return redirect(login_url("auth.login", next_url=request.url))
    flash("請先登入。", "info")
    return redirect(login_url("auth.login", next_url=request.url))


def _size(fields: dict[str, list[str]]) -> int:
    return sum(len(k.encode()) + sum(len(v.encode()) for v in values) for k, values in fields.items())


def _live_login_user_id() -> int | None:
    """The account whose login this browser carried, if that login only expired by
    being idle: not ended, the account active, seen within a session lifetime."""
    token = session.get("_user_id")
    if not token or not isinstance(token, str):
        return None
    login = db.session().scalar(select(UserSession).where(UserSession.token_hash == accounts.token_hash(token)))
    if login is None or login.revoked_at is not None or not login.user.active:
        return None
    if login.last_seen_at < utcnow() - current_app.permanent_session_lifetime:
        return None
    return login.user_id


def _stash(user_id: int, fields: dict[str, list[str]]) -> None:
    dbs = db.session()
    purge_stash(dbs, current_app.permanent_session_lifetime)
    raw = secrets.token_urlsafe(24)
    dbs.add(FormStash(token_hash=accounts.token_hash(raw), user_id=user_id, path=request.path, form=fields))
    dbs.commit()
    session[STASH_KEY] = raw


def purge_stash(dbs: Session, older_than: timedelta) -> None:
    """Delete stashes nobody came back for within a session lifetime."""
    dbs.execute(delete(FormStash).where(FormStash.created_at < utcnow() - older_than))


def restore_stash() -> MultiDict[str, str] | None:
    """The stashed input for this page and this account, once; None otherwise."""
    raw = session.get(STASH_KEY)
    if not raw:
        return None
    dbs = db.session()
    row = dbs.scalar(select(FormStash).where(FormStash.token_hash == accounts.token_hash(raw)))
    if row is None or row.path != request.path:
        return None
    session.pop(STASH_KEY)
    dbs.delete(row)
    dbs.commit()
    if row.user_id != current_user.id:
        return None  # someone else signed in on this browser: their typing stays private
    flash("已還原您登入逾時前輸入的內容，尚未儲存，請確認後按「儲存」。", "info")
    return MultiDict([(k, v) for k, values in row.form.items() for v in values])
