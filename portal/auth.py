"""Login, logout and setting a password; Flask-Login wired to server-side sessions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar, cast

import flask_login
from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import LoginManager, current_user, login_user, logout_user
from werkzeug.wrappers import Response

from portal import accounts, db
from portal.db.models import User
from portal.forms.auth import LoginForm, SetPasswordForm
from portal.views.stash import STASH_KEY, unauthorized

bp = Blueprint("auth", __name__, url_prefix="/auth")
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "請先登入。"
login_manager.login_message_category = "info"

LOGIN_FAILED = "電子郵件或密碼不正確。連續錯誤 {n} 次後需等待 {m} 分鐘才能再試。"


View = TypeVar("View", bound=Callable[..., Any])


def login_required(view: View) -> View:
    """Flask-Login's decorator, typed: the view keeps its signature for mypy."""
    return cast(View, flask_login.login_required(view))


def init_app(app: Flask) -> None:
    login_manager.user_loader(load_user)
    login_manager.unauthorized_handler(unauthorized)
    login_manager.init_app(app)
    app.register_blueprint(bp)


def load_user(token: str) -> User | None:
    idle = timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"])
    return accounts.load_session(db.session(), token, idle)


def throttle_policy() -> accounts.ThrottlePolicy:
    return accounts.ThrottlePolicy(
        max_failures=current_app.config["LOGIN_MAX_FAILURES"],
        lock_minutes=current_app.config["LOGIN_LOCK_MINUTES"],
    )


def _safe_next(target: str | None) -> str:
    """Only same-site paths: an open redirect would make phishing links look official."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("main.index")


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response:
    """Sign in with e-mail and password; one message for every kind of failure."""
    form = LoginForm()
    if form.validate_on_submit():
        dbs = db.session()
        user = accounts.authenticate(dbs, form.email.data, form.password.data, throttle_policy())
        if user is None:
            dbs.commit()  # keep the failure count
            policy = throttle_policy()
            flash(LOGIN_FAILED.format(n=policy.max_failures, m=policy.lock_minutes), "error")
        else:
            accounts.start_session(dbs, user)
            dbs.commit()
            # A fresh session: nothing from before login carries over but a form stash.
            stash = session.get(STASH_KEY)
            session.clear()
            if stash:
                session[STASH_KEY] = stash
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> Response:
    """End this login on the server, so a copied cookie no longer works."""
    user_session = current_user.current_session
    if user_session is not None:
        dbs = db.session()
        accounts.end_session(dbs, dbs.merge(user_session))
        dbs.commit()
    logout_user()
    session.clear()
    flash("您已登出。", "success")
    return redirect(url_for("auth.login"))


@bp.route("/set-password/<token>", methods=["GET", "POST"])
def set_password(token: str) -> str | Response | tuple[str, int]:
    """The one-time link from `portal user add` (or a reset) lands here."""
    dbs = db.session()
    if accounts.find_password_token(dbs, token) is None:
        return render_template("auth/link_expired.html"), 410
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            user = accounts.use_password_token(dbs, token, form.password.data)
        except accounts.AccountError as error:
            form.password.errors.append(str(error))
        else:
            dbs.commit()
            flash(f"已為 {user.email} 設定密碼，請登入。", "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/set_password.html", form=form)
