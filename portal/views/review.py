"""Counselling review: reviewers score; the NDC assigns, ranks and decides."""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import and_, select, true
from sqlalchemy.orm import defer, joinedload, selectinload
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response as BaseResponse
from wtforms.validators import StopValidation

from portal import db, listing, matching, meetings, operations, review
from portal.auth import login_required
from portal.db.models import (
    Conflict,
    County,
    Programme,
    Proposal,
    ProposalTownship,
    Review,
    ReviewDraft,
    Township,
    User,
)
from portal.domain import brief, diff, scoring, spreadsheet
from portal.domain import permissions as perm
from portal.domain.errors import DomainError
from portal.domain.roles import Role
from portal.domain.states import State
from portal.forms import PortalForm, choices
from portal.forms.review import (
    AffiliationForm,
    AssignForm,
    DecisionForm,
    DeclareConflictForm,
    draft_fields,
    review_form_class,
    tristate,
)
from portal.reference import PRIORITY_KINDS
from portal.reference import store as reference_store
from portal.security import attachment
from portal.views import require_admin, visible_proposal
from portal.views.wizard import wizard_strategies

bp = Blueprint("review", __name__, url_prefix="/review")


def _shown_revision(value: str | None) -> int | None:
    """The revision id the score form was opened at; None when the form did not say,
    0 (no revision) when it said something that is not an id."""
    value = (value or "").strip()
    if not value:
        return None
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 18 else 0


def _ministries(proposal: Proposal) -> list[str]:
    revision = proposal.current_revision
    lines = (revision.content if revision else proposal.content).get("resources", {}).get("lines", [])
    names = {p.name: p.ministry for p in db.session().scalars(select(Programme))}
    return brief.ministries(lines, names)


@bp.route("/")
@login_required
def assigned() -> str:
    """A reviewer's proposals: what is waiting for their score, and what they scored."""
    if current_user.role != Role.REVIEWER:
        abort(403)
    dbs = db.session()
    proposals = list(
        dbs.scalars(
            listing.with_shown(select(Proposal).where(listing.visible_condition(dbs, current_user))).order_by(
                Proposal.updated_at.desc(), Proposal.id.desc()
            )
        ).unique()
    )
    ids = [p.id for p in proposals]
    return render_template(
        "review/assigned.html",
        proposals=proposals,
        mine=review.reviewed_current(dbs, current_user, ids),
        drafted=review.drafted_current(dbs, current_user, ids),
    )


def _tristate_choice(value: bool | None) -> str:
    return "unsure" if value is None else "yes" if value else "no"


def _form_of(written: Review) -> MultiDict[str, str]:
    """A submitted review as the scoring form's values: where a change starts from."""
    values = {f"score_{code}": str(value) for code, value in written.scores.items()}
    values |= {
        "cross_domain": _tristate_choice(written.cross_domain),
        "cross_ministry": _tristate_choice(written.cross_ministry),
        "confidence": str(written.confidence),
        "internal_comment": written.internal_comment,
        "comment_to_township": written.comment_to_township,
    }
    if written.comment_to_township:
        values["confirm_comment"] = "y"
    return MultiDict(values)


def _opened_form(
    form_class: type[PortalForm], proposal: Proposal, mine: Review | None, draft: ReviewDraft | None
) -> PortalForm:
    """The scoring form as opened: the draft as typed, else the submitted review being
    changed, else empty (跨部會 pre-filled from the budget), with the versions it shows."""
    if draft is not None:
        form = form_class(formdata=MultiDict(draft.form))
    elif mine is not None:
        form = form_class(formdata=_form_of(mine))
    else:
        form = form_class(formdata=None)
        form.cross_ministry.data = "yes" if len(_ministries(proposal)) >= 2 else "no"
    _stamp(form, proposal, mine, draft)
    return form


def _stamp(form: PortalForm, proposal: Proposal, mine: Review | None, draft: ReviewDraft | None) -> None:
    """Set the hidden fields: the revision, draft version and review the page shows."""
    revision = proposal.current_revision
    form.revision.data = str(revision.id) if revision else ""
    form.draft_version.data = str(draft.lock_version if draft is not None else 0)
    form.replaces.data = str(mine.id) if mine is not None else ""


def _typed(rubric: scoring.Rubric) -> dict[str, str]:
    """What the reviewer typed into the scoring form, as a draft keeps it."""
    return {name: request.form[name] for name in draft_fields(rubric) if name in request.form}


def _review_input(form: Any, rubric: scoring.Rubric) -> review.ReviewInput:
    return review.ReviewInput(
        scores={c.code: getattr(form, f"score_{c.code}").data for c in rubric.criteria},
        cross_domain=tristate(form.cross_domain.data),
        cross_ministry=tristate(form.cross_ministry.data),
        confidence=form.confidence.data,
        comment_to_township=form.comment_to_township.data or "",
        internal_comment=form.internal_comment.data or "",
        revision_id=_shown_revision(form.revision.data),
    )


SUBMITTED = "已送出評分。現在可以看到其他委員的分數。"
SUBMITTED_CHANGE = "已修改評分；原本的評分保留在紀錄中，排序只計修改後的評分。"
DRAFT_SAVED = "已暫存評分草稿。草稿只有您看得到，送出前不會計入排序。"


def _number(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 18 else None


def _save_or_submit(
    proposal: Proposal, rubric: scoring.Rubric, form: Any, mine: Review | None
) -> tuple[BaseResponse | None, dict[str, str] | None]:
    """「暫存」 keeps the form as typed; 「送出」 validates it and writes the review (or
    its change). Returns the redirect after success; otherwise None, and the draft another
    tab saved meanwhile ({} when it was submitted there) if that is why nothing was saved."""
    dbs = db.session()
    drafting = "save_draft" in request.form
    replaces = _number(form.replaces.data)
    opened_at = _number(form.draft_version.data)
    try:
        if drafting:
            review.save_draft(
                dbs,
                proposal,
                current_user,
                _typed(rubric),
                opened_at=opened_at or 0,
                revision_id=_shown_revision(form.revision.data),
            )
        elif form.validate():
            data = _review_input(form, rubric)
            review.submit_review(dbs, proposal, current_user, rubric, data, replaces=replaces, draft_version=opened_at)
        else:
            return None, None
    except review.DraftConflict as error:
        dbs.rollback()
        flash(str(error), "error")
        saved = review.draft_of(dbs, proposal, current_user)
        # Saving again now overwrites knowingly: the page shows what the other tab saved.
        form.draft_version.data = str(saved.lock_version if saved is not None else 0)
        return None, dict(saved.form) if saved is not None else {}
    except DomainError as error:
        dbs.rollback()
        flash(str(error), "error")
        return None, None
    dbs.commit()
    flash(DRAFT_SAVED if drafting else SUBMITTED_CHANGE if replaces else SUBMITTED, "success")
    # A draft of a change to a submitted score stays open in the form.
    edit = 1 if drafting and mine is not None else None
    return redirect(url_for(".score", proposal_id=proposal.id, edit=edit)), None


@bp.route("/<int:proposal_id>", methods=["GET", "POST"])
@login_required
def score(proposal_id: int) -> str | BaseResponse:
    """Score the current revision beside the rubric; others' scores only after one's own.
    「暫存」 keeps the form as typed; a submitted score can be changed until the decision."""
    proposal = visible_proposal(proposal_id)
    if current_user.role != Role.REVIEWER:
        abort(403)
    dbs = db.session()
    rubric = review.rubric()
    mine = review.review_of(dbs, proposal, current_user)
    draft = review.draft_of(dbs, proposal, current_user)
    form_class = review_form_class(rubric)
    conflict: dict[str, str] | None = None
    if request.method == "POST":
        form: Any = form_class()
        done, conflict = _save_or_submit(proposal, rubric, form, mine)
        if done is not None:
            return done
        draft = review.draft_of(dbs, proposal, current_user)
        editing = True
    else:
        editing = mine is None or request.args.get("edit") == "1"
        form = _opened_form(form_class, proposal, mine, draft)
    revision = proposal.current_revision
    previous = review.last_scored(dbs, proposal, current_user)
    changes = None
    if revision is not None and previous is not None and previous.revision_id != revision.id:
        old = previous.revision
        changes = diff.changes(old.title, old.content, revision.title, revision.content)
    others = review.current_reviews(dbs, proposal) if mine is not None else []
    summaries = scoring.summarise(rubric, review.scores_of(others)) if others else {}
    can_score = perm.can_review(current_user, proposal)
    return render_template(
        "review/score.html",
        proposal=proposal,
        revision=revision,
        content=revision.content if revision else {},
        rubric=rubric,
        form=form,
        mine=mine,
        mine_values=review.shown_values(rubric, mine) if mine is not None else [],
        draft=draft,
        conflict=_conflict_values(rubric, conflict) if conflict is not None else None,
        editing=editing and can_score,
        others=others,
        summaries=summaries,
        changes=changes,
        base=previous.revision if changes is not None and previous else None,
        ministries=_ministries(proposal),
        can_score=can_score,
        conflict_form=DeclareConflictForm(formdata=None),
        strategies=dict(wizard_strategies()),
        totals=brief.resource_totals((revision.content if revision else {}).get("resources", {}).get("lines", [])),
        sources=brief.SOURCES,
    )


def _conflict_values(rubric: scoring.Rubric, saved: dict[str, str]) -> list[tuple[str, str]]:
    """The draft another tab saved, as (label, value), to compare with what is on screen."""
    labels = {f"score_{c.code}": c.name for c in rubric.criteria} | {
        "cross_domain": "是否跨領域",
        "cross_ministry": "是否跨部會",
        "confidence": "把握程度",
        "internal_comment": "內部意見",
        "comment_to_township": "給公所的意見",
    }
    tristate_labels = {"yes": "是", "no": "否", "unsure": "無法判斷"}
    shown = []
    for name, label in labels.items():
        value = saved.get(name, "")
        if name in ("cross_domain", "cross_ministry"):
            value = tristate_labels.get(value, value)
        elif name == "confidence":
            value = review.CONFIDENCE.get(int(value), value) if value.isdigit() and len(value) < 3 else value
        shown.append((label, value or "（空白）"))
    return shown


@bp.route("/<int:proposal_id>/conflict", methods=["POST"])
@login_required
def declare(proposal_id: int) -> BaseResponse:
    """A reviewer declares a conflict of interest and loses access to the case."""
    proposal = visible_proposal(proposal_id)
    if current_user.role != Role.REVIEWER:
        abort(403)
    form = DeclareConflictForm()
    if not form.validate():
        flash("；".join(e for errors in form.errors.values() for e in errors), "error")
        return redirect(url_for(".score", proposal_id=proposal.id))
    dbs = db.session()
    try:
        review.declare_conflict(dbs, proposal, current_user, form.reason.data)
    except DomainError as error:
        dbs.rollback()
        flash(str(error), "error")
        return redirect(url_for(".score", proposal_id=proposal.id))
    dbs.commit()
    flash("已登記利益迴避，這件提案已從您的清單移除，國發會將另行分派。", "success")
    return redirect(url_for(".assigned"))


# --- the NDC's side -------------------------------------------------------------------------


@bp.route("/manage/<int:proposal_id>/reviews")
@login_required
def history(proposal_id: int) -> str:
    """Every review of the case, with the values of those changed before the decision."""
    require_admin()
    proposal = visible_proposal(proposal_id)
    rubric = review.rubric()
    return render_template(
        "review/history.html",
        proposal=proposal,
        rubric=rubric,
        revisions=review.review_history(db.session(), proposal, rubric),
    )


def _cycle() -> str:
    return request.args.get("cycle") or operations.current_cycle()


@bp.route("/manage")
@login_required
def manage() -> str:
    """Review progress per proposal (e.g. 2/3) and each reviewer's load."""
    require_admin()
    dbs = db.session()
    cycle = _cycle()
    waiting = and_(Proposal.cycle == cycle, Proposal.status.in_([State.FORWARDED, State.IN_REVIEW]))
    proposals, page = listing.paginate(dbs, waiting, listing.page_number(request.args.get("page")))
    facts = listing.page_facts(dbs, proposals)
    scored = review.scored_counts(dbs, [p.id for p in proposals])
    progress = {p.id: (scored.get(p.id, 0), len(p.assignments)) for p in proposals}
    reviewers = list(dbs.scalars(select(User).where(User.role == Role.REVIEWER).order_by(User.id)))
    names = {r.id: r.name for r in reviewers}
    load = review.open_load(dbs)
    conflicts = list(dbs.scalars(select(Conflict).order_by(Conflict.id)))
    places = {c.code: c.name_zh for c in dbs.scalars(select(County))}
    places |= {
        t.code: t.full_name
        for t in dbs.scalars(
            select(Township)
            .options(joinedload(Township.county))
            .where(Township.code.in_([c.code for c in conflicts if c.scope == "township"]))
        )
    }
    places |= listing.titles(dbs, [c.code for c in conflicts if c.scope == "proposal"])
    return render_template(
        "review/manage.html",
        cycle=cycle,
        proposals=proposals,
        page=page,
        progress=progress,
        conflicted={p.id: facts[p.id].conflicted_reviewer_ids for p in proposals},
        names=names,
        reviewers=reviewers,
        load=load,
        conflicts=conflicts,
        places=places,
        affiliation=_affiliation_form(),
    )


def _affiliation_form() -> AffiliationForm:
    form = AffiliationForm()
    dbs = db.session()
    reviewers = dbs.scalars(select(User).where(User.role == Role.REVIEWER).order_by(User.id))
    form.reviewer.choices = choices((r.id, f"{r.name}（{r.affiliation}）") for r in reviewers)
    counties = dbs.scalars(select(County).order_by(County.position))
    townships = dbs.scalars(
        select(Township).join(County).options(joinedload(Township.county)).order_by(County.position, Township.code)
    )
    form.code.choices = choices(
        [*((c.code, f"縣市：{c.name_zh}") for c in counties), *((t.code, f"鄉鎮：{t.full_name}") for t in townships)]
    )
    return form


@bp.route("/manage/affiliation", methods=["POST"])
@login_required
def add_affiliation() -> BaseResponse:
    """Record a reviewer's affiliation: every case led from there is conflicted for them."""
    require_admin()
    form = _affiliation_form()
    dbs = db.session()
    if form.validate():
        reviewer = dbs.get(User, form.reviewer.data)
        scope = "county" if len(form.code.data) == 5 else "township"
        try:
            if reviewer is None:
                raise DomainError("找不到這位委員。")
            review.add_conflict(dbs, reviewer, scope, form.code.data, form.reason.data or "", current_user)
        except DomainError as error:
            dbs.rollback()
            flash(str(error), "error")
        else:
            dbs.commit()
            flash("已登記委員的所屬單位，相關提案會自動迴避。", "success")
    else:
        flash("；".join(e for errors in form.errors.values() for e in errors), "error")
    return redirect(url_for(".manage"))


@bp.route("/manage/<int:proposal_id>/assign", methods=["GET", "POST"])
@login_required
def assign(proposal_id: int) -> str | BaseResponse:
    """Assign by hand, starting from a suggestion that balances load and avoids conflicts."""
    require_admin()
    proposal = visible_proposal(proposal_id)
    dbs = db.session()
    reviewers = list(dbs.scalars(select(User).where(User.role == Role.REVIEWER, User.active.is_(True))))
    blocked = review.conflicted(dbs, proposal, [r.id for r in reviewers])
    load = review.open_load(dbs)
    form = AssignForm()
    form.reviewers.choices = choices(
        (r.id, f"{r.name}（{r.affiliation or '—'}，審查中 {load.get(r.id, 0)} 件）")
        for r in reviewers
        if r.id not in blocked and r.id not in proposal.reviewer_ids
    )
    if request.method == "GET":
        form.reviewers.data = [r.id for r in review.suggest_reviewers(dbs, proposal)]
    elif form.validate():
        try:
            review.assign(dbs, proposal, current_user, form.reviewers.data)
        except DomainError as error:
            dbs.rollback()
            flash(str(error), "error")
        else:
            dbs.commit()
            flash("已分派委員。", "success")
            return redirect(url_for(".manage", cycle=proposal.cycle))
    return render_template(
        "review/assign.html",
        proposal=proposal,
        form=form,
        blocked=[r for r in reviewers if r.id in blocked],
        current=[r for r in reviewers if r.id in proposal.reviewer_ids],
    )


def _ranked(cycle: str) -> tuple[scoring.Rubric, list[tuple[int, scoring.Ranked]]]:
    """The round's ranking with each row's rank, narrowed by the priority filter; the rank
    stays the rank in the whole round, and the filter is one query of ids."""
    rubric = review.rubric()
    dbs = db.session()
    ranked = list(enumerate(review.round_ranking(dbs, rubric, cycle), start=1))
    wanted, status = _priority_filter(), _status_filter()
    if wanted or status:
        narrowed = listing.Filters(priority=wanted).condition() if wanted else true()
        if status:
            narrowed = and_(narrowed, Proposal.status == status)
        matching = set(dbs.scalars(select(Proposal.id).where(Proposal.cycle == cycle, narrowed)))
        ranked = [(position, row) for position, row in ranked if row.proposal_id in matching]
    return rubric, ranked


def _ranking_rows(shown_rows: list[tuple[int, scoring.Ranked]]) -> list[dict[str, Any]]:
    """The rows shown, each with its proposal: one query for all of them, with the lead
    township and county and the priority kinds of the lead and the participants (badge,
    export), without the document, which no row shows."""
    shown = (
        select(Proposal)
        .options(
            defer(Proposal.content),
            joinedload(Proposal.lead_township).joinedload(Township.county),
            joinedload(Proposal.lead_township).joinedload(Township.priority),
            selectinload(Proposal.participants).joinedload(ProposalTownship.township).joinedload(Township.priority),
        )
        .where(Proposal.id.in_([row.proposal_id for _, row in shown_rows]))
    )
    proposals = {p.id: p for p in db.session().scalars(shown).unique()}
    return [
        {"position": position, "proposal": proposals[row.proposal_id], "ranked": row} for position, row in shown_rows
    ]


# The states a ranked proposal can be in: scored, so assigned at least once.
RANKED_STATES = (
    State.IN_REVIEW,
    State.REVISION_REQUESTED,
    State.APPROVED,
    State.NOT_APPROVED,
    State.PUBLISHED,
    State.DRAFT,
    State.WITHDRAWN,
)


def _status_filter() -> str:
    """The ranking's state filter from the query: "" (every state) or a state's code."""
    value = request.args.get("status", "")
    return value if value in {s.value for s in RANKED_STATES} else ""


def _priority_filter() -> str:
    """The ranking's priority filter from the query: "", "any" or one of the kinds."""
    value = request.args.get("priority", "")
    return value if value in ("any", *PRIORITY_KINDS) else ""


@bp.route("/ranking")
@login_required
def ranking() -> str:
    """The round's proposals by leniency-corrected score, with the formula stated, one
    page at a time (the exports carry every row)."""
    require_admin()
    cycle = _cycle()
    rubric, ranked = _ranked(cycle)
    page = listing.Page.of(listing.page_number(request.args.get("page")), len(ranked))
    rows = _ranking_rows(ranked[page.offset : page.offset + page.size])
    return render_template(
        "review/ranking.html",
        cycle=cycle,
        rubric=rubric,
        rows=rows,
        page=page,
        formula=scoring.leniency_formula(rubric),
        priority=_priority_filter(),
        priority_kinds=listing.priority_kinds(db.session()),
        status=_status_filter(),
        states=[(s.value, s.label) for s in RANKED_STATES],
    )


def meeting_choices(form: DecisionForm, proposal: Proposal) -> None:
    """Offer every meeting, the latest first, and pre-select the latest one the decision
    may be taken at (held on or after the current revision's submission)."""
    held = meetings.all_meetings(db.session())
    # An empty first option, so that nothing is chosen by accident when no meeting fits.
    offered = ((m.id, f"{m.name}（{m.held_on.isoformat()}）") for m in held)
    form.meeting.choices = choices([("", "（請選擇會議）"), *offered])
    form.meeting_dates = {m.id: m.held_on for m in held}
    form.submitted_on = review.submitted_on(proposal)
    allowed = [m for m in held if form.submitted_on is None or m.held_on >= form.submitted_on]
    if request.method == "GET" and allowed:
        form.meeting.data = allowed[0].id


def _export_records(cycle: str) -> tuple[list[str], list[dict[str, Any]]]:
    """Every ranked row under the filters, keyed by stable English codes (the JSON's
    fields), with the values as computed."""
    rubric, in_order = _ranked(cycle)
    rows = _ranking_rows(in_order)
    fields = ["rank", "proposal_id", "title", "township", "priority_kind", "status", "reviews"]
    for c in rubric.criteria:
        fields += [f"{c.code}_mean", f"{c.code}_median", f"{c.code}_min", f"{c.code}_max", f"{c.code}_disagreement"]
    fields += ["weighted_total", "corrected_total", "screening"]
    records = []
    for row in rows:
        ranked: scoring.Ranked = row["ranked"]
        p: Proposal = row["proposal"]
        record: dict[str, Any] = {
            "rank": row["position"],
            "proposal_id": p.id,
            "title": p.title,
            "township": p.lead_township.full_name,
            "priority_kind": "、".join(p.priority_kinds),
            "status": p.state.label,
            "reviews": ranked.review_count,
        }
        for c in rubric.criteria:
            s = ranked.summaries[c.code]
            record |= {
                f"{c.code}_mean": s.mean,
                f"{c.code}_median": s.median,
                f"{c.code}_min": s.low,
                f"{c.code}_max": s.high,
                f"{c.code}_disagreement": s.disagreement,
            }
        record |= {
            "weighted_total": ranked.total,
            "corrected_total": ranked.corrected,
            "screening": ranked.screening.label if ranked.screening else None,
        }
        records.append(record)
    return fields, records


# The CSV is for the NDC's desk: Chinese headers, 是／否, two decimals.
CSV_HEADERS = {
    "rank": "名次",
    "proposal_id": "提案編號",
    "title": "提案名稱",
    "township": "主提案鄉鎮市區",
    "priority_kind": "優先推動地區",
    "status": "狀態",
    "reviews": "評分份數",
    "weighted_total": "加權總分",
    "corrected_total": "校正後總分",
    "screening": "三高篩選",
}
CRITERION_COLUMNS = {"mean": "平均", "median": "中位數", "min": "最低", "max": "最高", "disagreement": "意見分歧"}


def csv_header(code: str, rubric: scoring.Rubric) -> str:
    if code in CSV_HEADERS:
        return CSV_HEADERS[code]
    criterion, column = code.rsplit("_", 1)
    names = {c.code: c.name for c in rubric.criteria}
    return f"{names[criterion]}{CRITERION_COLUMNS[column]}"


def csv_cell(value: Any) -> Any:
    """是／否 for yes-or-no, two decimals for fractions, everything else as it is."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return round(value, 2)
    return value


# A round (梯次) is its year, e.g. 2026.
CYCLE = re.compile(r"[0-9]{4}")


@bp.route("/ranking.csv")
@login_required
def ranking_csv() -> Response:
    """UTF-8 with a byte-order mark, so Excel opens the Chinese correctly."""
    require_admin()
    cycle = _cycle()
    if not CYCLE.fullmatch(cycle):
        # The round's number names the downloaded file: anything else is refused here.
        abort(400, description="梯次必須是四位數字的年度，例如 cycle=2026。")
    fields, records = _export_records(cycle)
    rubric = review.rubric()
    headers = {code: csv_header(code, rubric) for code in fields}
    rows = [{headers[code]: csv_cell(value) for code, value in record.items()} for record in records]
    return Response(
        spreadsheet.csv_text(list(headers.values()), rows),
        mimetype="text/csv",
        headers={"Content-Disposition": attachment(f"ranking-{cycle}.csv")},
    )


@bp.route("/ranking.json")
@login_required
def ranking_json() -> Response:
    require_admin()
    cycle = _cycle()
    fields, records = _export_records(cycle)
    rubric = review.rubric()
    body = {"cycle": cycle, "rubric_version": rubric.version, "fields": fields, "rows": records}
    return Response(json.dumps(body, ensure_ascii=False, indent=2), mimetype="application/json")


def _still_offered(offer: reference_store.ProgrammeOffer, row: Any) -> Any:
    """A validator for one matched resource's programme: an ended or retired programme,
    or a year outside its run, is refused next to the field."""

    def check(_form: Any, field: Any) -> None:
        problem = offer.refusal(field.data, row.year.data) if field.data else None
        if problem:
            raise StopValidation(problem)

    return check


@bp.route("/decide/<int:proposal_id>", methods=["GET", "POST"])
@login_required
def decide(proposal_id: int) -> str | BaseResponse:
    """Record the decision, the meeting it was taken at, and matched resources."""
    require_admin()
    proposal = visible_proposal(proposal_id)
    dbs = db.session()
    form = DecisionForm()
    offer = reference_store.programme_offer(dbs)
    for entry in form.resources:
        entry.form.programme.choices = choices([("", "（不填）"), *offer.options(entry.form.programme.data)])
        entry.form.programme.validators = [*entry.form.programme.validators, _still_offered(offer, entry.form)]
    meeting_choices(form, proposal)
    chosen = _chosen_offers()
    if form.validate_on_submit():
        resources = [
            review.Resource(programme=e.form.programme.data, amount=e.form.amount.data or 0, year=e.form.year.data or 0)
            for e in form.resources
            if e.form.programme.data
        ]
        try:
            decision = review.decide(
                dbs,
                proposal,
                current_user,
                outcome=form.outcome.data,
                reasons=form.reasons.data or "",
                meeting=meetings.get_meeting(dbs, form.meeting.data),
                resources=resources,
                private_investment=form.private_investment.data or 0,
            )
            warnings = matching.confirm(dbs, decision, chosen)
        except DomainError as error:
            dbs.rollback()
            flash(str(error), "error")
        else:
            dbs.commit()
            flash(f"已記錄決定：{review.OUTCOMES[form.outcome.data]}。", "success")
            for warning in warnings:
                flash(warning, "warning")
            return redirect(url_for("proposals.detail", proposal_id=proposal.id))
    reviews = review.current_reviews(dbs, proposal)
    rubric = review.rubric()
    summaries = scoring.summarise(rubric, review.scores_of(reviews))
    offers = matching.pending_offers(dbs, proposal)
    return render_template(
        "review/decide.html",
        proposal=proposal,
        form=form,
        reviews=reviews,
        summaries=summaries,
        rubric=rubric,
        offers=offers,
        offer_warnings={o.id: matching.duplicate_warnings(dbs, proposal, o.programme.name, o.year) for o in offers},
        chosen=set(chosen),
    )


def _chosen_offers() -> list[int]:
    """The ministries' offers ticked on the decision form (ids that are not numbers are
    dropped here; `matching.confirm` refuses ids that are not the case's pending offers)."""
    values = request.form.getlist("offer") if request.method == "POST" else []
    return [int(v) for v in values if v.isascii() and v.isdigit() and len(v) <= 18]
