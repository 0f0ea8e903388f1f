"""The ministries' pages (部會): screened cases with aggregated scores, and match offers.

A ministry account never reaches the proposal, review or decision pages (`can_view` is
false for it); these pages show the brief, means and totals, and the offers made."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse

from portal import db, matching, review
from portal.auth import login_required
from portal.db.models import Programme, Township
from portal.domain import brief
from portal.domain import permissions as perm
from portal.domain.errors import DomainError
from portal.domain.roles import Role
from portal.forms import choices
from portal.forms.matching import OfferForm
from portal.views.wizard import wizard_strategies

bp = Blueprint("ministry", __name__, url_prefix="/ministry")


def _require_ministry() -> None:
    if current_user.role != Role.MINISTRY:
        abort(403)


@bp.route("/")
@login_required
def cases() -> str:
    """Cases through 三高 screening and approved cases, with their aggregated scores."""
    _require_ministry()
    return render_template(
        "ministry/cases.html", rows=matching.ministry_cases(db.session(), current_user), rubric=review.rubric()
    )


def _offer_form() -> OfferForm:
    form = OfferForm()
    programmes = matching.ministry_programmes(db.session(), current_user)
    form.programme.choices = choices([(p.id, p.name) for p in programmes])
    return form


@bp.route("/<int:proposal_id>", methods=["GET", "POST"])
@login_required
def case(proposal_id: int) -> str | BaseResponse:
    """The current revision's brief, the aggregated scores, the offers, and a form to offer."""
    _require_ministry()
    dbs = db.session()
    found = matching.ministry_case(dbs, current_user, proposal_id)
    if found is None:
        abort(404)
    proposal, aggregate = found
    can_offer = perm.can_offer_match(current_user, proposal, aggregate.screened)
    form = _offer_form()
    if form.validate_on_submit():
        if not can_offer:
            abort(403)
        try:
            _made, warnings = matching.offer(
                dbs,
                proposal,
                current_user,
                programme_id=form.programme.data,
                amount=form.amount.data,
                year=form.year.data,
                note=form.note.data or "",
            )
        except DomainError as error:
            dbs.rollback()
            flash(str(error), "error")
        else:
            dbs.commit()
            flash("已提出媒合計畫，國發會將在做成決定時確認。", "success")
            for text in warnings:
                flash(text, "warning")
            return redirect(url_for(".case", proposal_id=proposal.id))
    revision = proposal.current_revision
    content = revision.content if revision else {}
    codes = revision.participating_codes if revision else []
    townships = {t.code: t for t in dbs.scalars(select(Township).where(Township.code.in_(codes)))}
    offers = matching.offers_of(dbs, proposal)
    names = {p.name: p.ministry for p in dbs.scalars(select(Programme))}
    return render_template(
        "ministry/case.html",
        proposal=proposal,
        revision=revision,
        content=content,
        participants=[townships[c] for c in codes if c in townships],
        aggregate=aggregate,
        rubric=review.rubric(),
        offers=offers,
        warnings={o.id: matching.duplicate_warnings(dbs, proposal, o.programme.name, o.year) for o in offers},
        form=form,
        can_offer=can_offer,
        strategies=dict(wizard_strategies()),
        totals=brief.resource_totals(content.get("resources", {}).get("lines", [])),
        sources=brief.SOURCES,
        ministries=brief.ministries(content.get("resources", {}).get("lines", []), names),
    )
