"""Keeping what a user typed when their login expired mid-form.

The POST that arrives after the login ended is stored server-side, tied to the account
whose session it carried, and given back to the same account on the same page after
it signs in again.
"""

from __future__ import annotations

import secrets

from flask import flash, redirect, request, session
from flask_login import current_user, login_url
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from portal import accounts, db
from portal.db.models import FormStash, UserSession

STASH_KEY = "form_stash"
STASHED_BLUEPRINTS = {"wizard"}


def unauthorized() -> Response:
    """Flask-Login's handler: stash a wizard POST, then send the user to log in."""
    if request.method == "POST" and request.blueprint in STASHED_BLUEPRINTS and _stash():
        flash("登入已逾時。您剛才輸入的內容已暫存，重新登入後會回到原頁面並自動還原。", "warning")
    else:
        flash("請先登入。", "info")
    return redirect(login_url("auth.login", next_url=request.url))


def _stash() -> bool:
    token = session.get("_user_id")
    if not token:
        return False
    dbs = db.session()
    login = dbs.scalar(select(UserSession).where(UserSession.token_hash == accounts.token_hash(token)))
    if login is None:
        return False
    raw = secrets.token_urlsafe(24)
    fields = {k: v for k, v in request.form.lists() if k != "csrf_token"}
    dbs.add(FormStash(token_hash=accounts.token_hash(raw), user_id=login.user_id, path=request.path, form=fields))
    dbs.commit()
    session[STASH_KEY] = raw
    return True


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
