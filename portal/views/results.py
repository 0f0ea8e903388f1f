"""The NDC's results pages: the progress export of a year (CSV and JSON) and
re-writing the published case files so the showcase gets the latest accepted results."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from portal import db, operations, publish, results
from portal.auth import login_required
from portal.db.models import ProgressReport, ReportRound
from portal.domain import spreadsheet
from portal.domain.errors import DomainError
from portal.forms import PortalForm
from portal.operations import TAIWAN
from portal.security import attachment
from portal.views import require_admin

bp = Blueprint("results", __name__, url_prefix="/admin/results")

# Years an export may ask for; anything else is not a page.
FIRST_YEAR, LAST_YEAR = 2019, 2100


@bp.before_request
@login_required
def _admins_only() -> None:
    require_admin()


def _years() -> list[int]:
    """Years with a report round or a submitted report, and this year, newest first."""
    dbs = db.session()
    found = set(dbs.scalars(select(ReportRound.year))) | set(dbs.scalars(select(ProgressReport.year).distinct()))
    found.add(datetime.now(TAIWAN).year)
    return sorted(found, reverse=True)


@bp.route("")
def index() -> str:
    return render_template("results/index.html", years=_years(), form=PortalForm())


def _checked(year: int) -> int:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        abort(404)
    return year


@bp.route("/<int:year>.csv")
def export_csv(year: int) -> Response:
    """UTF-8 with a byte-order mark and Chinese headers; numbers stay numbers and text a
    spreadsheet would run as a formula is neutralised."""
    rows = results.year_progress(db.session(), _checked(year))
    headers = dict(results.EXPORT_COLUMNS)
    body = spreadsheet.csv_text(
        list(headers.values()), [{headers[key]: value for key, value in row.items()} for row in rows]
    )
    return Response(body, mimetype="text/csv", headers={"Content-Disposition": attachment(f"progress-{year}.csv")})


@bp.route("/<int:year>.json")
def export_json(year: int) -> Response:
    rows = results.year_progress(db.session(), _checked(year))
    body = {"year": year, "fields": dict(results.EXPORT_COLUMNS), "rows": rows}
    return Response(
        json.dumps(body, ensure_ascii=False, indent=2),
        mimetype="application/json",
        headers={"Content-Disposition": attachment(f"progress-{year}.json")},
    )


@bp.route("/republish", methods=["POST"])
def republish() -> Response:
    """Re-write every published case file from the database, so that results accepted
    since it was written reach the showcase at its next build. A file whose text changes
    gets today's updated date. All or nothing. (CSRFProtect has checked the token.)"""
    dbs = db.session()
    proposals_dir = Path(current_app.config["PROPOSALS_DIR"])
    try:
        staged = publish.stage_all(dbs, proposals_dir, lambda _change: None, touch_changed=True)
    except DomainError as error:
        dbs.rollback()
        flash(f"案例檔沒有更新：{error}", "error")
        return redirect(url_for(".index"))
    counts = {key: sum(1 for change in staged if change.change == key) for key in ("added", "updated", "unchanged")}
    summary = (
        f"共 {len(staged)} 件已公開案例：新增 {counts['added']}、更新 {counts['updated']}、未變更 {counts['unchanged']}"
    )
    operations.audit(dbs, current_user, "results_republish", reason=summary)
    publish.commit(dbs, staged)
    flash(f"已更新公開案例檔：{summary}。請到「公開展示網站」重新產生網站，公開網站才會改變。", "success")
    return redirect(url_for(".index"))
