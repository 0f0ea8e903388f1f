"""Rebuilding the showcase from the portal: the `portal freeze` command, `portal demo`
and the admins' "rebuild" button all come through here. This is the portal's side of
the boundary: it may read the database; what it hands `portal.showcase` is only files
in `proposals/` and settings.

The showcase reads no database, so what it needs from the portal's database is written
next to the case files first: the priority-area list, when one is loaded, as
`proposals/priority-areas.csv`.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import db
from portal.cli_error import CliError
from portal.db.models import PriorityArea
from portal.domain.spreadsheet import safe_cell
from portal.showcase import create_showcase_app
from portal.showcase.build import BuildSummary, build
from portal.showcase.cases import PRIORITY_FILE
from portal.showcase.content import ContentError
from portal.snapshot import SnapshotError


def export_priority(session: Session, proposals_dir: Path) -> int:
    """Write the loaded priority list for the showcase (or remove a stale one); returns
    how many townships it names. Written to a temporary name and renamed, so the
    showcase never reads half a file."""
    target = proposals_dir / PRIORITY_FILE
    rows = list(
        session.execute(select(PriorityArea.township_code, PriorityArea.kind).order_by(PriorityArea.township_code))
    )
    if not rows:
        target.unlink(missing_ok=True)
        return 0
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["code", "kind"])
    writer.writerows([safe_cell(value) for value in row] for row in rows)
    proposals_dir.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{PRIORITY_FILE}.{os.getpid()}")
    partial.write_text(out.getvalue(), encoding="utf-8")
    os.replace(partial, target)
    return len(rows)


def rebuild(
    session: Session,
    config: Mapping[str, Any],
    progress: Callable[[str], None] | None = None,
) -> BuildSummary:
    """Freeze the showcase from the portal's folders into its BUILD_DIR. Raises whatever
    stopped the build (a bad case or content file, a failing page); build/ is then unchanged."""
    proposals_dir = Path(config["PROPOSALS_DIR"])
    export_priority(session, proposals_dir)
    showcase = create_showcase_app(showcase_config(config))
    return build(showcase, Path(config["BUILD_DIR"]), progress)


def showcase_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """The portal's settings the showcase shares."""
    return {key: config[key] for key in ("PROPOSALS_DIR", "CONTENT_DIR", "BUILD_DIR", "RARE_FONT") if key in config}


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
