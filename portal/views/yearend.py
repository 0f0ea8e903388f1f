"""Pages of `portal.yearend`: the year-end review form, reopening a review, closing a
case from its follow-up page, and the reviewer's list of reports waiting for review."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from portal import db, yearend
from portal.auth import login_required
from portal.db.models import ProgressReport, Proposal, Revision, YearEndReview
from portal.domain import brief, followup
from portal.domain.errors import DomainError
from portal.domain.followup import BusinessStatus, Rating
from portal.domain.roles import Role
from portal.forms import PortalForm, choices
from portal.forms.yearend import CloseCaseForm, ReopenForm, YearEndReviewForm
from portal.views.followup import followed_case, render_case

bp = Blueprint("yearend", __name__, url_prefix="/yearend")


@bp.app_template_global()
def yearend_reopen_form(review_id: int) -> ReopenForm:
    """A fresh reopen form for one review of the follow-up page (ids kept apart by prefix)."""
    return ReopenForm(formdata=None, prefix=f"reopen{review_id}")


@bp.app_template_global()
def yearend_close_form() -> CloseCaseForm:
    return CloseCaseForm(formdata=None, prefix="close")


def _case_page(proposal: Proposal, **forms: Any) -> str:
    """The follow-up page again, with this part's bound form showing its errors."""
    return render_case(proposal, **forms)


def _field_error(form: PortalForm, error: DomainError) -> bool:
    """Put an operation's refusal next to its field when it names one on this form."""
    name = getattr(error, "field", None)
    if name and name in form._fields:
        form._fields[name].errors = [*form._fields[name].errors, str(error)]
        return True
    return False


@bp.route("/")
@login_required
def waiting() -> str:
    """Reports of the cases the reviewer accompanies that wait for a year-end review."""
    if current_user.role not in (Role.REVIEWER, Role.ADMIN):
        abort(403)
    return render_template("yearend/waiting.html", reports=yearend.waiting(db.session(), current_user))


@bp.route("/reports/<int:report_id>", methods=["GET", "POST"])
@login_required
def review(report_id: int) -> str | BaseResponse:
    """The submitted report beside the review form: accept values, rate, comment."""
    dbs = db.session()
    report = dbs.get(ProgressReport, report_id)
    if report is None:
        abort(404)
    proposal = followed_case(report.proposal_id)
    if not followup.counsels(current_user, proposal):
        abort(403)
    revision = dbs.get(Revision, report.revision_id)
    assert revision is not None
    kpis = [k for k in revision.content.get("kpis") or [] if isinstance(k, dict)]
    rows = _kpi_rows(report, kpis)
    form = YearEndReviewForm()
    form.accepted_kpis.choices = choices((r["index"], r["indicator"]) for r in rows if r["actual"] is not None)
    if request.method == "GET":
        form.accepted_kpis.data = yearend.acceptable_kpis(report)
    if request.method == "POST" and form.validate():
        try:
            yearend.review_report(
                dbs,
                report,
                current_user,
                form.rating.data or "",
                form.comment_to_township.data or "",
                form.internal_comment.data or "",
                list(form.accepted_kpis.data or []),
            )
        except DomainError as error:
            dbs.rollback()
            if not _field_error(form, error):
                flash(str(error), "error")
        else:
            dbs.commit()
            flash(f"已送出{report.label}的年底檢核。", "success")
            return redirect(url_for("followup.case", proposal_id=proposal.id))
    latest = yearend.latest_number(dbs, proposal.id, report.year)
    businesses = [b for b in (revision.content.get("businesses") or {}).get("items") or [] if isinstance(b, dict)]
    return render_template(
        "yearend/review.html",
        proposal=proposal,
        report=report,
        form=form,
        rows=rows,
        businesses=_business_rows(report, businesses),
        received=[r for r in report.content.get("received") or [] if isinstance(r, dict)],
        sources=brief.SOURCES,
        superseded=report.number != latest,
        latest=latest,
    )


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _kpi_rows(report: ProgressReport, kpis: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each approved KPI with the value the report gives it and its progress."""
    reported = {r.get("index"): r for r in report.content.get("kpis") or [] if isinstance(r, dict) and "index" in r}
    rows = []
    for index, kpi in enumerate(kpis):
        row = reported.get(index) or {}
        actual = row.get("actual")
        baseline, target = kpi.get("baseline"), kpi.get("target")
        b, t, a = _number(baseline), _number(target), _number(actual)
        shown = (
            followup.progress(b, t, a, kpi.get("direction"))
            if b is not None and t is not None and a is not None
            else None
        )
        rows.append(
            {
                "index": index,
                "indicator": kpi.get("indicator") or f"KPI {index + 1}",
                "unit": kpi.get("unit") or "",
                "baseline": baseline,
                "target": target,
                "actual": actual,
                "source": row.get("source") or "",
                "note": row.get("note") or "",
                "progress": shown,
            }
        )
    return rows


def _business_rows(report: ProgressReport, businesses: list[dict[str, Any]]) -> list[dict[str, str]]:
    labels = {s.value: s.label for s in BusinessStatus}
    reported = {r.get("index"): r for r in report.content.get("businesses") or [] if isinstance(r, dict)}
    return [
        {
            "name": b.get("name") or f"事業 {n + 1}",
            "status": labels.get((reported.get(n) or {}).get("status") or "", "未填寫"),
            "note": (reported.get(n) or {}).get("note") or "",
        }
        for n, b in enumerate(businesses)
    ]


@bp.route("/reviews/<int:review_id>/reopen", methods=["POST"])
@login_required
def reopen(review_id: int) -> str | BaseResponse:
    """Set a standing review aside so the township may amend its report."""
    dbs = db.session()
    found = dbs.get(YearEndReview, review_id)
    if found is None:
        abort(404)
    proposal = followed_case(found.proposal_id)
    if not followup.counsels(current_user, proposal):
        abort(403)
    form = ReopenForm(prefix=f"reopen{review_id}")
    if form.validate():
        try:
            yearend.reopen(dbs, found, current_user, form.reason.data or "")
        except DomainError as error:
            dbs.rollback()
            if not _field_error(form, error):
                flash(str(error), "error")
                return redirect(url_for("followup.case", proposal_id=proposal.id))
        else:
            dbs.commit()
            flash(f"已重新開啟{found.report.label}的年底檢核，並通知公所可以修正報告。", "success")
            return redirect(url_for("followup.case", proposal_id=proposal.id))
    return _case_page(proposal, yearend_bound_reopen={review_id: form})


@bp.route("/proposals/<int:proposal_id>/close", methods=["POST"])
@login_required
def close(proposal_id: int) -> str | BaseResponse:
    """The NDC closes the case with its final review."""
    proposal = followed_case(proposal_id)
    if current_user.role != Role.ADMIN:
        abort(403)
    dbs = db.session()
    form = CloseCaseForm(prefix="close")
    if form.validate():
        try:
            closing = yearend.close_case(
                dbs,
                proposal,
                current_user,
                form.rating.data or "",
                form.lessons.data or "",
                form.review.data or "",
            )
        except DomainError as error:
            dbs.rollback()
            if not _field_error(form, error):
                flash(str(error), "error")
                return redirect(url_for("followup.case", proposal_id=proposal.id))
        else:
            dbs.commit()
            flash(f"已結案（{Rating(closing.rating).label}）。", "success")
            return redirect(url_for("followup.case", proposal_id=proposal.id))
    return _case_page(proposal, yearend_bound_close=form)
