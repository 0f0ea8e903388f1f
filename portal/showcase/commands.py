"""`portal freeze`: build the public showcase into build/."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from portal import db
from portal.cli import CliError
from portal.showcase.content import ContentError
from portal.showcase.rebuild import rebuild
from portal.snapshot import SnapshotError


@click.command("freeze")
@click.option("--quiet", is_flag=True, help="只印出最後的摘要")
@with_appcontext
def freeze_command(quiet: bool) -> None:
    """把公開展示網站輸出到 build/（全部成功才替換舊網站）。"""
    config = current_app.config
    destination = Path(config["BUILD_DIR"])
    count = 0

    def progress(url: str) -> None:
        nonlocal count
        count += 1
        if not quiet:
            click.echo(f"  [{count}] {url}")

    try:
        summary = rebuild(db.session(), config, progress)
    except (ContentError, SnapshotError) as error:
        raise CliError(f"{error}；build/ 未變動。") from error
    except Exception as error:
        raise CliError(f"網站輸出失敗：{error}；build/ 保持原狀。") from error
    click.echo(summary.text)
    click.echo(f"網站位於 {destination}，可用任何靜態網站伺服器開啟，例如：python3 -m http.server -d {destination}")
