"""NDC secretariat pages: audit log, accounts and reference data."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import Select, and_, func, or_, select, true
from sqlalchemy.orm import Session, joinedload
from werkzeug.wrappers import Response

from portal import accounts, db, listing, operations, review
from portal import audit as audit_log
from portal.auth import external_url, login_required
from portal.db.models import AuditEvent, County, Programme, Township, User
from portal.domain.affiliation import Place
from portal.domain.errors import DomainError
from portal.domain.roles import Role
from portal.domain.states import State
from portal.forms import PortalForm, choices
from portal.forms.admin import AuditFilterForm, ProgrammeForm, UserEditForm, UserForm
from portal.rebuild import rebuild, showcase_config
from portal.reference import store as reference_store
from portal.showcase import create_showcase_app
from portal.showcase.content import ContentError
from portal.showcase.headers import SERVICE_FILES
from portal.snapshot import SnapshotError
from portal.views import require_admin

bp = Blueprint("admin", __name__, url_prefix="/admin")
PAGE_SIZE = 50


@bp.before_request
@login_required
def _admins_only() -> None:
    require_admin()


def _filtered(form: AuditFilterForm) -> Select[AuditEvent]:
    query = select(AuditEvent)
    if form.action.data:
        query = query.where(AuditEvent.action == form.action.data)
    if form.actor.data:
        query = query.where(AuditEvent.actor_label.contains(form.actor.data.strip()))
    if form.proposal.data and form.proposal.data.strip().isdigit():
        query = query.where(AuditEvent.proposal_id == int(form.proposal.data))
    if form.since.data:
        query = query.where(AuditEvent.at >= datetime.combine(form.since.data, time(), UTC))
    # Until the last day of the calendar means no upper bound (the day after it does not exist).
    if form.until.data and form.until.data < date.max:
        end = datetime.combine(form.until.data + timedelta(days=1), time(), UTC)
        query = query.where(AuditEvent.at < end)
    return query


@bp.route("/audit")
def audit() -> str:
    """The append-only audit log, newest first, filtered by action, actor, proposal, dates."""
    form = AuditFilterForm(request.args)
    labels = operations.action_labels()
    form.action.choices = choices([("", "全部"), *labels.items()])
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    events: list[AuditEvent] = []
    total = 0
    if form.validate():
        query = _filtered(form)
        dbs = db.session()
        total = dbs.scalar(select(func.count()).select_from(query.subquery())) or 0
        # A page past the last one shows the last one (and a huge number never reaches SQL).
        page = min(page, max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1))
        # Each event's proposal title comes in the same query, not one query per event.
        shown = query.options(joinedload(AuditEvent.proposal)).order_by(AuditEvent.id.desc())
        events = list(dbs.scalars(shown.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)))
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template(
        "admin/audit.html",
        form=form,
        events=events,
        labels=labels,
        states={s.value: s.label for s in State},
        total=total,
        page=page,
        pages=pages,
        args=args,
        chain=audit_log.inspect(db.session()),
    )


def _user_form(form_class: type[UserForm] = UserForm) -> Any:
    form = form_class()
    dbs = db.session()
    townships = dbs.scalars(select(Township).join(County).order_by(County.position, Township.code))
    form.township.choices = choices([("", "（不適用）"), *((t.code, t.full_name) for t in townships)])
    counties = dbs.scalars(select(County).order_by(County.position))
    form.county.choices = choices([("", "（不適用）"), *((c.code, c.name_zh) for c in counties)])
    form.ministry.choices = choices([("", "（不適用）"), *((m, m) for m in accounts.ministries(dbs))])
    return form


def _fields(form: UserForm) -> accounts.AccountFields:
    """The form's account fields under the rules of `accounts.checked_fields`."""
    return accounts.checked_fields(
        db.session(),
        name=form.name.data,
        role=Role(form.role.data),
        township_code=form.township.data or None,
        county_code=form.county.data or None,
        affiliation=form.affiliation.data or "",
        ministry=form.ministry.data or None,
    )


def _confirmation(
    form: UserForm,
    places: list[Place],
    *,
    heading: str,
    rows: list[accounts.Change],
    user: User | None = None,
    warnings: list[str] | None = None,
) -> str:
    """The page between a valid form and the change: what will change, and the conflicts
    of interest the affiliation implies, each ticked until the admin unticks it."""
    form.conflicts.choices = choices((p.code, p.label) for p in places)
    if form.confirmed.data != "1":
        form.conflicts.data = [p.code for p in places]
    return render_template(
        "admin/user_confirm.html",
        form=form,
        places=places,
        heading=heading,
        rows=rows,
        user=user,
        warnings=warnings or [],
    )


@bp.route("/users", methods=["GET", "POST"])
def users() -> str:
    """Accounts by role; adding one shows its one-time set-password link once. A reviewer
    whose affiliation names a county or township is confirmed first, with the matching
    conflicts of interest offered."""
    form = _user_form()
    link = None
    dbs = db.session()
    if form.validate_on_submit() and "back" not in request.form:
        try:
            email = accounts.checked_email(dbs, form.email.data)
            fields = _fields(form)
            places = review.affiliation_places(dbs, fields.affiliation) if fields.role == Role.REVIEWER else []
            if places and form.confirmed.data != "1":
                rows = [accounts.Change("電子郵件", "", email), *accounts.described(dbs, fields)]
                return _confirmation(form, places, heading="確認新增帳號", rows=rows)
            user = accounts.create_user(dbs, email=email, **_as_arguments(fields))
            token = accounts.issue_password_link(dbs, user)
            operations.audit(dbs, current_user, "user_add", reason=f"{user.email}（{user.role_enum.label}）")
            if places:
                review.record_affiliation(dbs, user, form.conflicts.data or [], current_user)
        except accounts.AccountError as error:
            dbs.rollback()
            getattr(form, error.field or "email").errors.append(str(error))
        except DomainError as error:
            dbs.rollback()
            flash(str(error), "error")
        else:
            dbs.commit()
            link = external_url("auth.set_password", token=token)
            flash(f"已新增帳號 {user.email}。請將下方的設定密碼連結交給本人。", "success")
            form = _user_form()
            form.process(formdata=None)
    form.confirmed.data = ""
    shown, page, filters = _accounts(dbs)
    return render_template(
        "admin/users.html",
        form=form,
        users=shown,
        page=page,
        filters=filters,
        roles=[(r.value, r.label) for r in Role],
        link=link,
    )


def _accounts(dbs: Session) -> tuple[list[User], listing.Page, dict[str, str]]:
    """One page of accounts, by role then e-mail, narrowed by role and by a search over
    name and e-mail; each account's township (with its county) or county loaded with it."""
    role = str(request.args.get("role", "") or "")
    role = role if role in {r.value for r in Role} else ""
    search = str(request.args.get("q", "") or "").strip()[: listing.SEARCH_MAX]
    clauses = [User.role == role] if role else []
    if search:
        clauses.append(or_(listing.contains(User.name, search), listing.contains(User.email, search)))
    condition = and_(true(), *clauses)
    total = dbs.scalar(select(func.count()).select_from(User).where(condition)) or 0
    page = listing.Page.of(listing.page_number(request.args.get("page")), total)
    query = (
        select(User)
        .where(condition)
        .options(joinedload(User.township).joinedload(Township.county), joinedload(User.county))
        .order_by(User.role, User.email)
        .offset(page.offset)
        .limit(page.size)
    )
    filters = {k: v for k, v in {"role": role, "q": search}.items() if v}
    return list(dbs.scalars(query)), page, filters


def _as_arguments(fields: accounts.AccountFields) -> dict[str, Any]:
    return {
        "name": fields.name,
        "role": fields.role,
        "township_code": fields.township_code,
        "county_code": fields.county_code,
        "affiliation": fields.affiliation,
        "ministry": fields.ministry,
    }


def _edit_page(form: UserEditForm, user: User, status: int = 200) -> tuple[str, int]:
    form.confirmed.data = ""
    conflicts = review.recorded_conflicts(db.session(), user)
    return render_template("admin/user_edit.html", form=form, user=user, conflicts=conflicts), status


def _confirm_edit(
    form: UserEditForm, user: User, fields: accounts.AccountFields, places: list[Place]
) -> str | Response:
    """The first press of 檢查變更: the changes to confirm, or nothing to do."""
    dbs = db.session()
    if form.shown.data != accounts.shown_version(user):
        raise accounts.StaleAccount(user.email)
    rows = accounts.changes(dbs, user, fields)
    if not rows and not places:
        flash(f"帳號 {user.email} 沒有任何變更。", "info")
        return redirect(url_for(".users"))
    warnings = []
    if user.role == Role.REVIEWER and fields.role != Role.REVIEWER and (cases := review.open_load(dbs).get(user.id)):
        warnings.append(f"這位委員目前有 {cases} 件審查中的分派；改為其他角色後，將無法再評分這些提案。")
    return _confirmation(form, places, heading="確認修改帳號", rows=rows, user=user, warnings=warnings)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def user_edit(user_id: int) -> str | Response | tuple[str, int]:
    """Edit an account's name, role, scope and affiliation: the form, then a page that
    shows the changes (and the conflicts of interest a reviewer's affiliation implies),
    then the change, audited with the old and new values."""
    dbs = db.session()
    user = dbs.get(User, user_id)
    if user is None:
        abort(404)
    form = _user_form(UserEditForm)
    actor: User = current_user._get_current_object()
    if request.method == "GET":
        form.name.data, form.role.data, form.affiliation.data = user.name, user.role, user.affiliation
        form.township.data, form.county.data = user.township_code or "", user.county_code or ""
        form.ministry.data, form.shown.data = user.ministry or "", accounts.shown_version(user)
        return _edit_page(form, user)
    if not form.validate() or "back" in request.form:
        return _edit_page(form, user)
    try:
        fields = _fields(form)
        accounts.check_edit(user, fields, actor)
        places = review.affiliation_places(dbs, fields.affiliation, user) if fields.role == Role.REVIEWER else []
        if form.confirmed.data != "1":
            return _confirm_edit(form, user, fields, places)
        done = accounts.edit_user(dbs, user, fields, shown=form.shown.data, actor=actor)
        recorded = review.record_affiliation(dbs, user, form.conflicts.data or [], actor) if places else []
    except accounts.StaleAccount as error:
        dbs.rollback()
        flash(str(error), "error")
        form.shown.data = accounts.shown_version(user)
        return _edit_page(form, user, 409)
    except accounts.AccountError as error:
        dbs.rollback()
        if error.field:
            getattr(form, error.field).errors.append(str(error))
        else:
            flash(str(error), "error")
        return _edit_page(form, user)
    except DomainError as error:
        dbs.rollback()
        flash(str(error), "error")
        return _edit_page(form, user)
    dbs.commit()
    said = "；".join(str(c) for c in done) or "資料未變"
    if recorded:
        said += "；已登記利益迴避：" + "、".join(p.name for p in places if p.code in {c.code for c in recorded})
    flash(f"已儲存帳號 {user.email}：{said}。", "success")
    return redirect(url_for(".users"))


@bp.route("/users/<int:user_id>/active", methods=["POST"])
def user_active(user_id: int) -> Response:
    """Disable (ending every login at once) or re-enable an account."""
    dbs = db.session()
    user = dbs.get(User, user_id)
    if user is None:
        abort(404)
    # The page says which state it showed; the button turns that state into the other
    # one, so a second admin pressing on an old page cannot undo the first one's change.
    shown = request.form.get("shown", "1" if user.active else "0")
    if shown not in ("0", "1"):
        flash("無法辨識頁面上顯示的帳號狀態，這次沒有變更。請重新整理頁面後再試一次。", "error")
        return redirect(url_for(".users"))
    enable = shown == "0"
    if user.id == current_user.id and not enable:
        flash("不能停用自己的帳號。", "error")
        return redirect(url_for(".users"))
    try:
        # Two admins disabling each other at the same moment must not leave none.
        accounts.lock_accounts(dbs, user)
        operations.set_account_active(dbs, user, enable)
        if not enable:
            accounts.disable_user(dbs, user)
            accounts.keep_an_admin(dbs, current_user._get_current_object())
    except DomainError as error:
        dbs.rollback()
        flash(str(error), "error")
        return redirect(url_for(".users"))
    if not enable:
        operations.audit(dbs, current_user, "user_disable", reason=user.email)
        flash(f"已停用 {user.email}，該帳號的登入已全部失效。", "success")
    else:
        operations.audit(dbs, current_user, "user_enable", reason=user.email)
        flash(f"已重新啟用 {user.email}。", "success")
    dbs.commit()
    return redirect(url_for(".users"))


@bp.route("/reference", endpoint="reference")
def reference_data() -> str:
    """Counts of the reference tables, the priority list's state and the programmes."""
    dbs = db.session()
    counties = list(dbs.scalars(select(County).order_by(County.position)))
    programmes = list(dbs.scalars(select(Programme).order_by(Programme.ministry, Programme.id)))
    return render_template(
        "admin/reference.html",
        counties=counties,
        township_total=sum(len(c.townships) for c in counties),
        priority=reference_store.priority_status(dbs),
        programmes=programmes,
        this_year=reference_store.this_year(),
        form=ProgrammeForm(formdata=None),
    )


@bp.route("/programmes/new", methods=["POST"], endpoint="programme_new")
@bp.route("/programmes/<int:programme_id>", methods=["GET", "POST"])
def programme(programme_id: int | None = None) -> str | Response | tuple[str, int]:
    """Add or edit a ministry programme offered as a funding source."""
    dbs = db.session()
    item = dbs.get(Programme, programme_id) if programme_id else Programme(active=True)
    if item is None:
        abort(404)
    form = ProgrammeForm(obj=item)
    if request.method == "GET":
        form.version.data = str(item.lock_version or "")
    if form.validate_on_submit():
        if item.id is not None and form.version.data and form.version.data != str(item.lock_version):
            flash(
                f"這個計畫在您開啟頁面後已被其他人修改為「{item.ministry}：{item.name}」，這次沒有儲存。"
                "下方仍是您輸入的內容；請比對後再按一次「儲存」以您的內容取代。",
                "error",
            )
            form.version.data = str(item.lock_version)
            return render_template("admin/programme.html", form=form, programme=item), 409
        same = select(Programme).where(
            Programme.ministry == form.ministry.data.strip(),
            Programme.name == form.name.data.strip(),
        )
        if item.id is not None:
            same = same.where(Programme.id != item.id)
        if dbs.scalar(same) is not None:
            form.name.errors.append("這個部會已有同名計畫")
        else:
            item.ministry, item.name = form.ministry.data.strip(), form.name.data.strip()
            item.notes, item.active = form.notes.data or "", bool(form.active.data)
            item.valid_from, item.valid_to = form.valid_from.data, form.valid_to.data
            item.validity_source = (form.validity_source.data or "").strip()
            dbs.add(item)
            try:
                with operations.refuse_stale("這個部會計畫"):
                    dbs.flush()  # UPDATE ... WHERE lock_version = <the version checked above>
            except DomainError as error:
                dbs.rollback()
                flash(str(error), "error")
                return redirect(url_for(".programme", programme_id=programme_id))
            action = "programme_edit" if programme_id else "programme_add"
            operations.audit(dbs, current_user, action, reason=f"{item.ministry}：{item.name}")
            dbs.commit()
            flash(f"已儲存「{item.name}」。", "success")
            return redirect(url_for(".reference") + "#programmes")
    return render_template("admin/programme.html", form=form, programme=item)


# --- the public showcase -------------------------------------------------------------------

PREVIEW_PREFIX = "/admin/showcase/preview"


def _build_state() -> dict[str, object]:
    """What the showcase page reports: published case files, and when build/ last changed."""
    config = current_app.config
    proposals_dir = Path(config["PROPOSALS_DIR"])
    build_dir = Path(config["BUILD_DIR"])
    files = build_dir.rglob("*") if build_dir.is_dir() else []
    built = [p for p in files if p.is_file() and p.name not in SERVICE_FILES]
    newest = max((p.stat().st_mtime for p in built), default=None)
    return {
        "case_files": len(list(proposals_dir.glob("*/*.md"))) if proposals_dir.is_dir() else 0,
        "built_files": len(built),
        "built_at": datetime.fromtimestamp(newest, UTC) if newest is not None else None,
        "build_dir": build_dir,
    }


@bp.route("/showcase")
def showcase() -> str:
    """Rebuild the public site, and a live preview of it, for the secretariat."""
    return render_template("admin/showcase.html", state=_build_state(), form=PortalForm())


@bp.route("/showcase/rebuild", methods=["POST"])
def showcase_rebuild() -> Response:
    """Freeze the showcase now: all or nothing, so a failure leaves the public site as it was.
    (CSRFProtect has checked the form's token before this runs.)"""
    dbs = db.session()
    try:
        summary = rebuild(dbs, current_app.config)
    except (ContentError, SnapshotError) as error:
        dbs.rollback()
        flash(f"展示網站沒有更新：{error}。請修正這個檔案後再試；公開網站維持原狀。", "error")
        return redirect(url_for(".showcase"))
    except Exception as error:
        dbs.rollback()
        current_app.logger.exception("showcase rebuild failed")
        flash(f"展示網站沒有更新：輸出時發生錯誤（{error}）；公開網站維持原狀。", "error")
        return redirect(url_for(".showcase"))
    operations.audit(dbs, current_user, "showcase_rebuild", reason=summary.text)
    dbs.commit()
    flash("展示網站已重新產生：" + summary.text.removeprefix("完成："), "success")
    return redirect(url_for(".showcase"))


FilesState = tuple[tuple[str, int, int], ...]


def _files_state(*folders: Path) -> FilesState:
    """Name, modification time and size of every file under the folders."""
    found = []
    for folder in folders:
        for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
            if path.is_file():
                stat = path.stat()
                found.append((str(path), stat.st_mtime_ns, stat.st_size))
    return tuple(found)


def _preview_site() -> Flask:
    """The showcase app for the preview, made again only when a case file or site page
    changed: loading it reads and renders every case, too much for each page view."""
    config = showcase_config(current_app.config)
    state = _files_state(Path(config["PROPOSALS_DIR"]), Path(config["CONTENT_DIR"]))
    cached: tuple[FilesState, Flask] | None = current_app.extensions.get("showcase.preview")
    if cached is not None and cached[0] == state:
        return cached[1]
    # Errors become pages here (a 404 of the showcase is its own 404 page), not exceptions.
    errors = {"TRAP_HTTP_EXCEPTIONS": False, "PROPAGATE_EXCEPTIONS": False}
    site = create_showcase_app({**config, **errors, "SHOWCASE_PREVIEW_OF": url_for(".showcase")})
    current_app.extensions["showcase.preview"] = (state, site)
    return site


@bp.route("/showcase/preview/", defaults={"path": ""})
@bp.route("/showcase/preview/<path:path>")
def showcase_preview(path: str) -> Response | tuple[str, int]:
    """The showcase as it would be built now, straight from proposals/ and content/: the
    showcase app answers the request under this prefix, so its links stay in the preview."""
    try:
        site = _preview_site()
    except (ContentError, SnapshotError) as error:
        return render_template("admin/showcase_error.html", error=error), 500
    environ = dict(request.environ)
    environ["SCRIPT_NAME"] = request.script_root + PREVIEW_PREFIX
    # WSGI carries the path as UTF-8 bytes read as Latin-1 (PEP 3333).
    environ["PATH_INFO"] = ("/" + path).encode("utf-8").decode("latin-1")
    response = Response.from_app(site.wsgi_app, environ, buffered=True)
    response.headers["X-Robots-Tag"] = "noindex"
    return response
