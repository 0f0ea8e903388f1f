"""Pages of `portal.reports`: the township's guided report form (KPI actuals, business
statuses, money received, check and submit), a submitted report read-only, and the
NDC's due dates.

Like the wizard, these forms check their own CSRF token (the blueprint is exempt from
the global check), so an expired token re-shows the form with everything typed kept;
an expired login stashes the typing (portal.stash).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from portal import db, operations, reports
from portal.auth import login_required
from portal.db.models import ProgressReport, Proposal, ReportDraft
from portal.domain import brief, followup
from portal.domain import rounds as rules
from portal.domain.errors import DomainError, PermissionDenied
from portal.domain.followup import BusinessStatus
from portal.forms.reports import (
    SPARE_ROWS,
    BusinessStatusesForm,
    KpiActualsForm,
    ReceivedForm,
    ReportRoundForm,
    StepForm,
    SubmitForm,
    parse_number,
)
from portal.forms.wizard import YEAR_MAX
from portal.stash import restore_stash
from portal.views import require_admin, visible_proposal

bp = Blueprint("reports", __name__)


@dataclass(frozen=True)
class Step:
    identifier: str
    label: str
    form_class: type[StepForm]


STEPS = (
    Step("kpis", "KPI 實際值", KpiActualsForm),
    Step("businesses", "事業執行狀態", BusinessStatusesForm),
    Step("received", "經費實際到位", ReceivedForm),
)
BY_ID = {s.identifier: s for s in STEPS}


# --- between the content document and the forms ------------------------------------------


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _by_index(rows: Any) -> dict[int, dict[str, Any]]:
    return {r["index"]: r for r in rows or [] if isinstance(r, dict) and isinstance(r.get("index"), int)}


def to_form(step: Step, content: dict[str, Any], case: reports.ApprovedCase, year: int) -> dict[str, Any]:
    """The form's data: a row per KPI or business of the approved case, saved values in it."""
    if step.identifier == "kpis":
        saved = _by_index(content.get("kpis"))
        return {
            "rows": [
                {"index": str(i), **{k: _text(saved.get(i, {}).get(k)) for k in ("actual", "source", "note")}}
                for i in range(len(case.kpis))
            ]
        }
    if step.identifier == "businesses":
        saved = _by_index(content.get("businesses"))
        return {
            "rows": [
                {
                    "index": str(i),
                    "status": saved.get(i, {}).get("status", ""),
                    "note": saved.get(i, {}).get("note", ""),
                }
                for i in range(len(case.businesses))
            ]
        }
    # The saved rows, then a row for each source planned for the year and not reported yet.
    rows = [r for r in content.get("received") or [] if isinstance(r, dict)]
    reported = {(r.get("source"), r.get("year")) for r in rows}
    rows += [{"source": s, "year": y} for s, y in reports.planned(case) if y == year and (s, y) not in reported]
    return {"rows": [*rows, *({} for _ in range(SPARE_ROWS))]}


def _index(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) < 4 else None


def from_form(step: Step, form: Any) -> list[dict[str, Any]]:
    """The section's value as the content document stores it; blank money rows dropped."""
    rows = [entry.form for entry in form.rows]
    if step.identifier == "kpis":
        return [
            {
                "index": _index(r.index.data),
                "actual": parse_number(r.actual.data),
                "source": (r.source.data or "").strip(),
                "note": (r.note.data or "").strip(),
            }
            for r in rows
        ]
    if step.identifier == "businesses":
        return [
            {"index": _index(r.index.data), "status": r.status.data, "note": (r.note.data or "").strip()} for r in rows
        ]
    return [
        {"source": r.source.data, "year": r.year.data, "amount": r.amount.data, "note": (r.note.data or "").strip()}
        for r in rows
        if r.amount.data is not None or (r.note.data or "").strip()
    ]


# --- the guided form ----------------------------------------------------------------------


def _plausible(*numbers: int) -> None:
    """A year or version number from the URL that no report can have is not found
    (and never reaches the database, whose integers it may not fit)."""
    if any(not 0 < n <= YEAR_MAX for n in numbers):
        abort(404)


def _load(proposal_id: int, year: int) -> tuple[Proposal, reports.ApprovedCase | None, str, int]:
    """The case, its approval, why the current user may not write its `year` report
    ("" when they may) and the status a refused post answers with."""
    _plausible(year)
    proposal = visible_proposal(proposal_id)
    try:
        case = reports.check_writable(db.session(), proposal, current_user, year)
    except PermissionDenied as error:
        return proposal, reports.approved_case(db.session(), proposal), str(error), 403
    except DomainError as error:
        return proposal, reports.approved_case(db.session(), proposal), str(error), 400
    return proposal, case, "", 200


def _refused(proposal: Proposal, why: str) -> Response:
    flash(why, "error")
    if followup.reads_reports(current_user, proposal):
        return redirect(url_for("followup.case", proposal_id=proposal.id))
    return redirect(url_for("proposals.detail", proposal_id=proposal.id))


def _content(proposal: Proposal, year: int) -> tuple[dict[str, Any], int, ReportDraft | None]:
    dbs = db.session()
    draft = reports.draft_of(dbs, proposal, year)
    if draft is not None:
        return draft.content, draft.lock_version, draft
    return reports.starting_content(dbs, proposal, year), 0, None


def _plain(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else None


@bp.route("/proposals/<int:proposal_id>/reports/<int:year>")
@login_required
def start(proposal_id: int, year: int) -> Response:
    proposal = visible_proposal(proposal_id)
    return redirect(url_for(".section", proposal_id=proposal.id, year=year, step_id=STEPS[0].identifier))


@bp.route("/proposals/<int:proposal_id>/reports/<int:year>/<step_id>", methods=["GET", "POST"])
@login_required
def section(proposal_id: int, year: int, step_id: str) -> str | Response | tuple[str, int]:
    """One step: saving keeps partial work in the draft; a stale copy never overwrites."""
    step = BY_ID.get(step_id) or abort(404)
    proposal, case, why, refusal = _load(proposal_id, year)
    if why and request.method == "GET":
        return _refused(proposal, why)
    content, version, draft = _content(proposal, year)
    if request.method == "GET":
        restored = restore_stash()
        assert case is not None  # writable means approved
        form = step.form_class(formdata=restored, data=to_form(step, content, case, year))
        if restored is None:
            form.version.data = str(version)
        return _render(step, proposal, year, case, form, draft)

    form = step.form_class()
    if why or case is None:
        flash(why, "error")
        return _render(step, proposal, year, case, form, draft), refusal
    if not form.validate():
        if form.csrf_token.errors:
            form.csrf_token.errors = []
            flash("頁面開啟太久，安全驗證已更新。您輸入的內容都還在，請再按一次「儲存」。", "warning")
            return _render(step, proposal, year, case, form, draft)
        return _render(step, proposal, year, case, form, draft), 400
    opened_at = _plain(form.version.data)
    if opened_at is None:
        flash("無法辨識這份表單是從哪一版開啟的，這次沒有儲存。您輸入的內容都還在，請再按一次「儲存」。", "error")
        form.version.data = str(version)
        return _render(step, proposal, year, case, form, draft), 400
    dbs = db.session()
    try:
        reports.save_draft(
            dbs,
            proposal,
            current_user,
            year,
            step.identifier,
            from_form(step, form),
            opened_at=opened_at,
            overwrite=_plain(form.overwrite.data),
        )
    except reports.ReportConflict as conflict:
        dbs.rollback()
        form.overwrite.data = str(conflict.current_version)
        draft = reports.draft_of(dbs, proposal, year)
        return _render(step, proposal, year, case, form, draft, conflict=str(conflict)), 409
    except DomainError as error:
        dbs.rollback()
        flash(str(error), "error")
        return _render(step, proposal, year, case, form, draft), 400
    dbs.commit()
    flash(f"已儲存「{step.label}」。", "success")
    if "next" in request.form:
        following = STEPS.index(step) + 1
        if following < len(STEPS):
            return redirect(
                url_for(".section", proposal_id=proposal.id, year=year, step_id=STEPS[following].identifier)
            )
        return redirect(url_for(".check", proposal_id=proposal.id, year=year))
    return redirect(url_for(".section", proposal_id=proposal.id, year=year, step_id=step.identifier))


def _render(
    step: Step,
    proposal: Proposal,
    year: int,
    case: reports.ApprovedCase | None,
    form: StepForm,
    draft: ReportDraft | None,
    conflict: str = "",
) -> str:
    kpis = case.kpis if case else []
    businesses = case.businesses if case else []
    rows = []
    for entry in getattr(form, "rows", []):
        index = _index(entry.form.index.data) if hasattr(entry.form, "index") else None
        about = kpis if step.identifier == "kpis" else businesses
        rows.append((entry, about[index] if index is not None and index < len(about) else None))
    return render_template(
        f"reports/{step.identifier}.html",
        proposal=proposal,
        year=year,
        step=step,
        steps=STEPS,
        form=form,
        rows=rows,
        draft=draft,
        conflict=conflict,
        planned=reports.planned(case) if case else {},
        sources=brief.SOURCES,
    )


@bp.route("/proposals/<int:proposal_id>/reports/<int:year>/check", methods=["GET", "POST"])
@login_required
def check(proposal_id: int, year: int) -> str | Response | tuple[str, int]:
    """Everything the report says, its problems by step, the summary and the submit button."""
    proposal, case, why, refusal = _load(proposal_id, year)
    if why and request.method == "GET":
        return _refused(proposal, why)
    content, version, _draft = _content(proposal, year)
    if request.method == "GET":
        form = SubmitForm(formdata=restore_stash(), data={"summary": content.get("summary", "")})
        form.version.data = str(version)
        return _render_check(proposal, year, case, form, content, [])
    form = SubmitForm()
    if why or case is None:
        flash(why, "error")
        return _render_check(proposal, year, case, form, content, []), refusal
    if not form.validate():
        if form.csrf_token.errors:
            form.csrf_token.errors = []
            flash("頁面開啟太久，安全驗證已更新。您輸入的內容都還在，請再按一次。", "warning")
            return _render_check(proposal, year, case, form, content, [])
        return _render_check(proposal, year, case, form, content, []), 400
    dbs = db.session()
    opened_at = _plain(form.version.data)
    try:
        if opened_at != version:
            raise reports.ReportConflict(version)
        if "submit" not in request.form:
            reports.save_draft(
                dbs, proposal, current_user, year, "summary", (form.summary.data or "").strip(), opened_at=version
            )
            dbs.commit()
            flash("已儲存執行概況。", "success")
            return redirect(url_for(".check", proposal_id=proposal.id, year=year))
        report = reports.submit(dbs, proposal, current_user, year, form.summary.data or "")
    except reports.ReportInvalid as invalid:
        dbs.rollback()
        flash(str(invalid), "error")
        return _render_check(proposal, year, case, form, content, invalid.problems), 400
    except reports.ReportConflict:
        dbs.rollback()
        flash("這份報告在您開啟這一頁後已被另一個分頁或同事儲存，這次沒有送出。請確認下方最新內容後再送出。", "error")
        form.version.data = str(version)
        return _render_check(proposal, year, case, form, content, []), 409
    except DomainError as error:
        dbs.rollback()
        flash(str(error), "error")
        return _render_check(proposal, year, case, form, content, []), 400
    dbs.commit()
    flash(f"已送出{report.label}。", "success")
    return redirect(url_for(".show", proposal_id=proposal.id, year=year, number=report.number))


def _render_check(
    proposal: Proposal,
    year: int,
    case: reports.ApprovedCase | None,
    form: SubmitForm,
    content: dict[str, Any],
    problems: list[followup.ReportProblem],
) -> str:
    if case is not None and not problems:
        problems = followup.check_report(content, len(case.kpis), len(case.businesses), case.years, year)
    for problem in problems:
        if problem.field == "summary":
            form.summary.errors = [*form.summary.errors, problem.message]
    by_step = {s.identifier: [p for p in problems if p.field.startswith(s.identifier)] for s in STEPS}
    return render_template(
        "reports/check.html",
        proposal=proposal,
        year=year,
        steps=STEPS,
        form=form,
        by_step=by_step,
        **_report_view(case, content, year),
    )


def _report_view(case: reports.ApprovedCase | None, content: dict[str, Any], year: int) -> dict[str, Any]:
    """What a report says, row by row beside the approved case, for the check and show pages."""
    if case is None:
        return {"kpi_rows": [], "business_rows": [], "money": []}
    kpis, businesses = _by_index(content.get("kpis")), _by_index(content.get("businesses"))
    statuses = {s.value: s.label for s in BusinessStatus}
    return {
        "kpi_rows": [(kpi, kpis.get(i, {})) for i, kpi in enumerate(case.kpis)],
        "business_rows": [
            (b, statuses.get(businesses.get(i, {}).get("status", ""), "—"), businesses.get(i, {}).get("note", ""))
            for i, b in enumerate(case.businesses)
        ],
        "money": reports.money_rows(case, content.get("received") or [], year),
    }


@bp.route("/proposals/<int:proposal_id>/reports/<int:year>/v<int:number>")
@login_required
def show(proposal_id: int, year: int, number: int) -> str:
    """A submitted report, read-only, for everyone who follows the case up."""
    _plausible(year, number)
    proposal = visible_proposal(proposal_id)
    if not followup.reads_reports(current_user, proposal):
        abort(404)
    dbs = db.session()
    report = dbs.scalar(
        select(ProgressReport).where(
            ProgressReport.proposal_id == proposal.id, ProgressReport.year == year, ProgressReport.number == number
        )
    )
    if report is None:
        abort(404)
    case = reports.approved_case(dbs, proposal)
    history = reports.reports_of(dbs, proposal, year)
    view = _report_view(case, report.content, year)
    return render_template("reports/show.html", proposal=proposal, report=report, history=history, **view)


# --- the NDC's due dates --------------------------------------------------------------------


@bp.route("/admin/report-rounds", methods=["GET", "POST"])
@login_required
def rounds() -> str | Response | tuple[str, int]:
    """Each year's report due date: the list, and a form that sets or changes one."""
    require_admin()
    dbs = db.session()
    form = ReportRoundForm()
    status = 200
    if request.method == "POST":
        if form.validate():
            assert form.year.data is not None and form.due_on.data is not None
            try:
                reports.set_round(dbs, current_user, form.year.data, form.due_on.data)
            except DomainError as error:
                dbs.rollback()
                form.due_on.errors = [*form.due_on.errors, str(error)]
                status = 400
            else:
                dbs.commit()
                flash(f"已設定 {form.year.data} 年的報告期限為 {rules.slash(form.due_on.data)}。", "success")
                return redirect(url_for(".rounds"))
        else:
            if form.csrf_token.errors:
                form.csrf_token.errors = []
                flash("頁面開啟太久，安全驗證已更新。您輸入的內容都還在，請再按一次「儲存」。", "warning")
            status = 400
    return render_template(
        "reports/rounds.html",
        form=form,
        rounds=reports.all_rounds(dbs),
        slash=rules.slash,
        today=operations.taiwan_today(),
    ), status
