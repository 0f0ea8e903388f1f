"""Login, logout and setting a password; Flask-Login wired to server-side sessions."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar, cast
from urllib.parse import unquote, urlsplit

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
from werkzeug.routing import Map
from werkzeug.routing.converters import IntegerConverter
from werkzeug.wrappers import Response

from portal import accounts, db, notifications, operations
from portal.db.models import User
from portal.forms.auth import ForgotPasswordForm, LoginForm, SetPasswordForm
from portal.stash import STASH_KEY, purge_stash, unauthorized

bp = Blueprint("auth", __name__, url_prefix="/auth")
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "請先登入。"
login_manager.login_message_category = "info"

LOGIN_FAILED = "電子郵件或密碼不正確。連續錯誤 {n} 次後，每次再試前需要等待，等待時間逐次加倍，最長 {m}。"
ACCOUNT_WAIT = "這個帳號最近多次登入失敗，請在 {wait}後再試。"
ADDRESS_WAIT = "這個網路位址最近登入失敗太多次，請在 {wait}後再試。"
# The largest id a database integer column holds; a larger one in a URL is simply not found.
MAX_ID = 2**63 - 1


View = TypeVar("View", bound=Callable[..., Any])


def login_required(view: View) -> View:
    """Flask-Login's decorator, typed: the view keeps its signature for mypy."""
    return cast(View, flask_login.login_required(view))


class IdConverter(IntegerConverter):
    """`<int:...>` in every route: ids beyond a 64-bit integer do not match (404) instead
    of overflowing the database driver."""

    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


def init_app(app: Flask) -> None:
    # Runs before any blueprint with `<int:...>` rules is registered.
    app.url_map.converters["int"] = IdConverter
    login_manager.user_loader(load_user)
    login_manager.unauthorized_handler(unauthorized)
    login_manager.init_app(app)
    app.register_blueprint(bp)


def load_user(token: str) -> User | None:
    idle = timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"])
    return accounts.load_session(db.session(), token, idle)


def throttle_policy() -> accounts.ThrottlePolicy:
    config = current_app.config
    return accounts.ThrottlePolicy(
        max_failures=config["LOGIN_MAX_FAILURES"],
        max_delay_seconds=config.get("LOGIN_MAX_DELAY_SECONDS", 300),
        address_max_failures=config.get("LOGIN_ADDRESS_MAX_FAILURES", 30),
        address_minutes=config["LOGIN_LOCK_MINUTES"],
    )


def _duration(seconds: int) -> str:
    return f"{seconds} 秒" if seconds < 60 else f"{-(-seconds // 60)} 分鐘"


def safe_next(target: str | None) -> str | None:
    """`target` if a browser would read it as a path on this site, else None: an open
    redirect would make phishing links look official. Browsers drop tabs and line breaks
    inside URLs, strip leading spaces and read a backslash as a slash, so any of those
    (and any other control or space character) is refused outright, also once
    percent-decoded, in case something on the way decodes it."""
    if not target or len(target) > 2000:
        return None
    return target if _plain_path(target) and _plain_path(unquote(target)) else None


def _plain_path(value: str) -> bool:
    if any(c == "\\" or c.isspace() or unicodedata.category(c).startswith("C") for c in value):
        return False
    if not value.startswith("/") or value.startswith("//"):
        return False
    parts = urlsplit(value)
    return not (parts.scheme or parts.netloc)


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute link for e-mails and for links handed to people, built from
    PORTAL_BASE_URL and never from the request's Host header, which a client chooses."""
    base = urlsplit(current_app.config["BASE_URL"].rstrip("/"))
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "https")
    return adapter.build(endpoint, values, force_external=True)


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response:
    """Sign in with e-mail and password; one message for every kind of failure."""
    form = LoginForm()
    if form.validate_on_submit():
        dbs = db.session()
        policy = throttle_policy()
        # Behind a reverse proxy this is the proxy's address unless the deployment
        # configures ProxyFix (see README, "Login, sessions and input").
        address = request.remote_addr or ""
        result = accounts.authenticate(dbs, form.email.data, form.password.data, policy, address)
        user = result.user
        if user is None:
            dbs.commit()  # keep the failure count
            if result.limit == "address":
                flash(ADDRESS_WAIT.format(wait=_duration(result.wait_seconds)), "error")
            elif result.limit == "account":
                flash(ACCOUNT_WAIT.format(wait=_duration(result.wait_seconds)), "error")
            else:
                flash(LOGIN_FAILED.format(n=policy.max_failures, m=_duration(policy.max_delay_seconds)), "error")
        else:
            accounts.start_session(dbs, user)
            purge_stash(dbs, current_app.permanent_session_lifetime)
            dbs.commit()
            # A fresh session: nothing from before login carries over but a form stash.
            stash = session.get(STASH_KEY)
            session.clear()
            if stash:
                session[STASH_KEY] = stash
            login_user(user)
            return redirect(safe_next(request.args.get("next")) or url_for("main.index"))
    return render_template("auth/login.html", form=form)


RESET_SENT = (
    "如果這個電子郵件有啟用中的帳號，設定新密碼的連結已寄出（72 小時內有效，只能使用一次）。"
    "幾分鐘內沒收到，請檢查垃圾郵件，或洽國發會秘書單位。"
)


@bp.route("/forgot", methods=["GET", "POST"])
def forgot_password() -> str | Response:
    """「忘記密碼」: e-mail a one-time link through the outbox. The answer is the same
    whether or not the address has an account, and requests are limited per hour."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        dbs = db.session()
        user, token = accounts.request_password_reset(dbs, form.email.data, request.remote_addr or "")
        if user is not None and token is not None:
            link = external_url("auth.set_password", token=token)
            notifications.queue_to(
                dbs,
                user,
                "password_reset",
                "【地方創生提案平台】設定新密碼",
                f"{user.name} 您好：\n\n有人（希望是您）在平台上按了「忘記密碼」。請在 72 小時內開啟下面的連結"
                f"設定新密碼，連結只能使用一次：\n{link}\n\n如果不是您本人申請，請忽略這封信，您的密碼不會改變。",
            )
            operations.audit(dbs, user, "password_reset", reason="以「忘記密碼」寄出設定密碼連結")
        dbs.commit()
        flash(RESET_SENT, "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot.html", form=form)


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
