"""The `portal` command's own commands (set-up, demo data, accounts, reference imports)
and the one list that registers every capability's commands with it."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app, url_for
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from portal import accounts, db, operations, publish, review
from portal.audit import audit_group
from portal.backup import backup_command, restore_command
from portal.cli_error import CliError
from portal.db import migrate
from portal.db.models import User
from portal.domain.errors import DomainError
from portal.domain.roles import Role
from portal.mail import notifications_group
from portal.rebuild import freeze_command, rebuild
from portal.reference import store as reference_store
from portal.reports import reports_group
from portal.rounds import rounds_group
from portal.serve import serve_command


def init_app(app: Flask) -> None:
    """Register every command group with `portal`, the way blueprints are registered:
    each capability's module defines its commands, this is the one list of them."""
    app.cli.add_command(init_command)
    app.cli.add_command(demo_command)
    app.cli.add_command(publish_command)
    app.cli.add_command(user_group)
    app.cli.add_command(reference_group)
    app.cli.add_command(notifications_group)
    app.cli.add_command(freeze_command)
    app.cli.add_command(audit_group)
    app.cli.add_command(serve_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(rounds_group)
    app.cli.add_command(reports_group)


def _fail(message: str) -> CliError:
    return CliError(message)


def initialise() -> reference_store.LoadSummary:
    """Create or upgrade the schema and load the shipped reference data."""
    engine = db.database().engine
    migrate.upgrade(engine)
    dbs = db.session()
    summary = reference_store.load(dbs)
    dbs.commit()
    return summary


@click.command("init")
@with_appcontext
def init_command() -> None:
    """建立或升級資料庫並載入參考資料（可重複執行）。"""
    summary = initialise()
    click.echo(
        f"資料庫已是最新版本（{migrate.current_revision(db.database().engine)}）。"
        f"參考資料：{summary.regions} 區域、{summary.counties} 縣市、"
        f"{summary.townships} 鄉鎮市區、{summary.strategies} 支箭、"
        f"新增 {summary.programmes_added} 項部會計畫。"
    )


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """載入示範帳號與提案，並印出示範登入資訊（正式環境不可使用）。"""
    from portal import demo

    if current_app.config["ENV"] == "production":
        raise _fail("正式環境（PORTAL_ENV=production）不可載入示範資料。")
    initialise()
    dbs = db.session()
    from portal import review

    logins = demo.load(dbs, review.rubric(), proposals_dir=Path(current_app.config["PROPOSALS_DIR"]))
    dbs.commit()
    click.echo("示範資料已就緒。示範帳號（密碼每次執行 portal demo 時重新產生）：")
    for login in logins:
        click.echo(f"  {login.role.label:<10} {login.email:<40} {login.password}  {login.scope}")
    click.echo(f"請開啟 {current_app.config['BASE_URL']} 登入。")
    destination = Path(current_app.config["BUILD_DIR"])
    summary = rebuild(dbs, current_app.config)
    click.echo(f"公開展示網站：{summary.text}")
    click.echo(f"開啟方式：python3 -m http.server -d {destination} 8000，再瀏覽 http://127.0.0.1:8000/")


@click.command("publish")
@click.option("--all", "every", is_flag=True, help="重新寫出所有已公開的案例")
@with_appcontext
def publish_command(every: bool) -> None:
    """重新寫出已公開案例的公開檔案（例如檔案格式改變之後）；不改變案例的更新日期。"""
    if not every:
        raise _fail("請加上 --all：重新寫出所有已公開案例的公開檔案。")
    directory = Path(current_app.config["PROPOSALS_DIR"])
    dbs = db.session()

    def progress(change: publish.Pending) -> None:
        click.echo(f"  {change.target.relative_to(directory)}：{publish.CHANGES[change.change]}")

    try:
        staged = publish.stage_all(dbs, directory, progress)
    except DomainError as error:
        dbs.rollback()
        raise _fail(str(error)) from error
    publish.commit(dbs, staged)
    counts = {kind: sum(1 for change in staged if change.change == kind) for kind in ("added", "updated", "unchanged")}
    click.echo(
        f"共 {len(staged)} 件已公開案例：新增 {counts['added']}、"
        f"更新 {counts['updated']}、未變更 {counts['unchanged']}。"
    )
    strays = publish.strays(directory, {change.target for change in staged})
    if strays:
        click.echo(f"注意：{directory} 中有 {len(strays)} 個檔案沒有對應的已公開提案（未刪除，請確認後自行處理）：")
        for path in strays:
            click.echo(f"  {path.relative_to(directory)}")


@click.group("user", cls=AppGroup)
def user_group() -> None:
    """管理帳號。"""


def password_link(token: str) -> str:
    base = current_app.config["BASE_URL"].rstrip("/")
    with current_app.test_request_context(base_url=base):
        return url_for("auth.set_password", token=token, _external=True)


@user_group.command("add")
@click.option("--email", required=True, help="登入用電子郵件")
@click.option("--name", required=True, help="姓名")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--township", "township_code", help="鄉鎮市區代碼（8 碼；角色 township 必填）")
@click.option("--county", "county_code", help="縣市代碼（5 碼；角色 county 必填）")
@click.option("--affiliation", default="", help="服務單位（例如輔導團委員的學校）")
@click.option("--ministry", help="部會名稱，與部會計畫清單相同（例如 經濟部；角色 ministry 必填）")
@click.option(
    "--record-conflicts",
    is_flag=True,
    help="輔導團委員的服務單位提到縣市或鄉鎮市區時，一併登記為利益迴避（網頁上的確認頁會逐一詢問）",
)
def user_add(
    email: str,
    name: str,
    role: str,
    township_code: str | None,
    county_code: str | None,
    affiliation: str,
    ministry: str | None,
    record_conflicts: bool,
) -> None:
    """新增帳號並印出一次性的設定密碼連結。"""
    dbs = db.session()
    places = review.affiliation_places(dbs, affiliation) if role == Role.REVIEWER.value else []
    try:
        user = accounts.create_user(
            dbs,
            email=email,
            name=name,
            role=Role(role),
            township_code=township_code,
            county_code=county_code,
            affiliation=affiliation,
            ministry=ministry,
        )
        token = accounts.issue_password_link(dbs, user)
        operations.audit(dbs, None, "user_add", reason=f"{user.email}（{user.role_enum.label}）")
        if places and record_conflicts:
            review.record_affiliation(dbs, user, [p.code for p in places], None)
    except accounts.AccountError as error:
        dbs.rollback()
        raise _fail(str(error)) from error
    dbs.commit()
    click.echo(f"已新增 {user.email}（{user.role_enum.label}，{user.scope_label or '不限範圍'}）。")
    named = "、".join(p.name for p in places)
    if places and record_conflicts:
        click.echo(f"已依服務單位登記利益迴避：{named}。")
    elif places:
        click.echo(
            f"服務單位「{user.affiliation}」提到 {named}，尚未登記利益迴避。"
            "要登記，請在「帳號管理」開啟此帳號並儲存，確認頁會列出這些地點供勾選"
            "（新增帳號時加上 --record-conflicts 則一併登記）。"
        )
    click.echo(f"設定密碼連結（{accounts.PASSWORD_LINK_HOURS} 小時內有效，只能使用一次）：")
    click.echo(password_link(token))


def _user(email: str) -> User:
    user = db.session().scalar(select(User).where(User.email == accounts.normalise_email(email)))
    if user is None:
        raise _fail(f"找不到帳號 {email}")
    return user


@user_group.command("link")
@click.argument("email")
def user_link(email: str) -> None:
    """重新發出設定密碼連結（舊連結隨即失效）。"""
    user = _user(email)
    dbs = db.session()
    token = accounts.issue_password_link(dbs, user)
    operations.audit(dbs, None, "password_link", reason=user.email)
    dbs.commit()
    click.echo(password_link(token))


@user_group.command("disable")
@click.argument("email")
def user_disable(email: str) -> None:
    """停用帳號，並立即結束它所有的登入。"""
    user = _user(email)
    dbs = db.session()
    accounts.disable_user(dbs, user)
    operations.audit(dbs, None, "user_disable", reason=user.email)
    dbs.commit()
    click.echo(f"已停用 {user.email}。")


@user_group.command("list")
def user_list() -> None:
    """列出所有帳號。"""
    for user in db.session().scalars(select(User).order_by(User.role, User.email)):
        state = "" if user.active else "（停用）"
        click.echo(f"{user.role:<9} {user.email:<40} {user.name} {user.scope_label}{state}")


@click.group("reference", cls=AppGroup)
def reference_group() -> None:
    """參考資料。"""


@reference_group.command("import-priority")
@click.argument("path", type=click.Path(path_type=Path))
def import_priority(path: Path) -> None:
    """匯入國發會地方創生優先推動地區名單（CSV：code,kind），整批取代舊名單。"""
    dbs = db.session()
    try:
        count = reference_store.import_priority(dbs, path)
    except reference_store.ReferenceImportError as error:
        dbs.rollback()
        raise _fail(str(error)) from error
    operations.audit(dbs, None, "priority_import", reason=f"{path.name}：{count} 筆")
    dbs.commit()
    status = reference_store.priority_status(dbs)
    detail = "、".join(f"{kind} {n}" for kind, n in sorted(status.items()))
    click.echo(f"已匯入 {count} 個優先推動地區（{detail}）。")


@reference_group.command("status")
def reference_status() -> None:
    """顯示參考資料筆數與優先推動地區名單是否已匯入。"""
    from sqlalchemy import func

    from portal.db.models import County, Programme, Region, Township

    dbs = db.session()
    counts = {
        "區域": Region,
        "縣市": County,
        "鄉鎮市區": Township,
        "部會計畫": Programme,
    }
    for label, model in counts.items():
        click.echo(f"{label}：{dbs.scalar(select(func.count()).select_from(model))}")
    status = reference_store.priority_status(dbs)
    if status:
        detail = "、".join(f"{kind} {n}" for kind, n in sorted(status.items()))
        click.echo(f"優先推動地區：已匯入 {sum(status.values())} 個（{detail}）")
    else:
        click.echo("優先推動地區：尚未匯入（portal reference import-priority FILE.csv）")
