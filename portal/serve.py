"""`portal serve`: the portal under gunicorn, several worker processes, production checks.

The command checks the settings, then replaces itself with a gunicorn master process
(`exec`), so a service manager's signals reach gunicorn directly. Each worker builds its
own app with `application()`: the database engine is never shared across a fork.
"""

from __future__ import annotations

import os
import sys
from typing import Any
from urllib.parse import urlsplit

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.middleware.proxy_fix import ProxyFix

from portal import db
from portal.cli_error import CliError
from portal.config import MIN_SECRET_LENGTH
from portal.db import migrate

# The app factory gunicorn calls in every worker.
APP_FACTORY = "portal.serve:application()"
# A key of one repeated word ("aaaa…", "changeme…") is not a random string.
MIN_SECRET_DISTINCT = 10
DEFAULT_BASE_URL = "http://127.0.0.1:5000"


def application(test_config: dict[str, Any] | None = None) -> Flask:
    """The portal as served: behind `PORTAL_PROXY_HOPS` proxies, and in production
    answering only to the host names of `PORTAL_TRUSTED_HOSTS` (by default the host of
    `PORTAL_BASE_URL`)."""
    from portal import create_app

    app = create_app(test_config)
    if app.config["ENV"] == "production" and not app.config["TRUSTED_HOSTS"]:
        host = urlsplit(app.config["BASE_URL"]).hostname
        app.config["TRUSTED_HOSTS"] = [host] if host else None
    hops = int(app.config["PROXY_HOPS"])
    if hops:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops
        )
    return app


def problems(config: dict[str, Any]) -> list[str]:
    """Why these settings cannot serve real users; empty when they can.

    Outside production nothing is refused: the server can be tried locally."""
    if config["ENV"] != "production":
        return []
    found = []
    key = str(config.get("SECRET_KEY") or "")
    if len(key) < MIN_SECRET_LENGTH or len(set(key)) < MIN_SECRET_DISTINCT:
        found.append(
            f"PORTAL_SECRET_KEY 不是隨機字串：至少 {MIN_SECRET_LENGTH} 個字元、{MIN_SECRET_DISTINCT} 種以上不同字元"
            "（例如 python3 -c 'import secrets; print(secrets.token_hex(32))' 的輸出）"
        )
    base = str(config.get("BASE_URL") or "")
    parts = urlsplit(base)
    if base.rstrip("/") == DEFAULT_BASE_URL or parts.scheme != "https" or not parts.hostname:
        found.append(
            f"PORTAL_BASE_URL 必須是使用者開啟的 https 網址（例如 https://portal.example.gov.tw），目前是「{base}」"
        )
    return found


def database_problem() -> str | None:
    """The database must exist and be at the newest migration before workers start."""
    engine = db.database().engine
    try:
        current = migrate.current_revision(engine)
    except SQLAlchemyError as error:  # the server is down, the file cannot be opened, …
        return f"無法連線到資料庫（{type(error).__name__}）：請檢查 PORTAL_DATABASE_URL"
    finally:
        engine.dispose()
    head = migrate.head_revision(engine)
    if current is None:
        return f"資料庫尚未建立（程式需要版本 {head}）：請先執行 portal init"
    if current != head:
        return f"資料庫版本是 {current}，程式需要 {head}：請先執行 portal init"
    return None


def gunicorn_arguments(workers: int, bind: str, timeout: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(workers),
        "--bind",
        bind,
        "--timeout",
        str(timeout),
        "--access-logfile",
        "-",
        "--name",
        "portal",
        # gunicorn's control socket would sit in the user's home folder, shared by
        # every instance on the machine; nothing here uses it.
        "--no-control-socket",
        APP_FACTORY,
    ]


@click.command("serve")
@click.option("--workers", type=click.IntRange(1, 64), default=4, show_default=True, help="工作行程數")
@click.option("--bind", default="127.0.0.1:8000", show_default=True, help="位址:埠，或 unix:/路徑")
@click.option("--timeout", type=click.IntRange(10, 3600), default=120, show_default=True, help="單一請求最長秒數")
@with_appcontext
def serve_command(workers: int, bind: str, timeout: int) -> None:
    """以 gunicorn 多工作行程執行入口網站（正式環境用）；設定不完整時拒絕啟動。"""
    found = problems(current_app.config)
    problem = database_problem()
    if problem:
        found.append(problem)
    if found:
        raise CliError("無法啟動：\n" + "\n".join(f"  - {line}" for line in found))
    env = current_app.config["ENV"]
    kind = db.database().engine.dialect.name
    if env != "production":
        click.echo(f"注意：PORTAL_ENV={env}，不是正式環境設定。", err=True)
    if kind == "sqlite":
        click.echo("資料庫：SQLite（單一主機可用；多台主機或大量同時寫入請改用 PostgreSQL）。", err=True)
    else:
        click.echo(f"資料庫：{kind}。", err=True)
    click.echo(f"啟動 gunicorn：{workers} 個工作行程，位址 {bind}。", err=True)
    sys.stdout.flush()
    sys.stderr.flush()
    arguments = gunicorn_arguments(workers, bind, timeout)
    os.execv(arguments[0], arguments)
