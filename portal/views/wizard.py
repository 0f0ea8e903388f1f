"""The guided proposal form: task list, one page per section, check and submit, brief.

CSRF for these pages is checked by the forms themselves (the blueprint is exempt from
the global check), so an expired token re-shows the form with everything typed kept.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from portal import db, operations, rounds, wizard
from portal.auth import login_required
from portal.db.models import County, Proposal, Revision, Round, Township
from portal.domain import brief, funding
from portal.domain import permissions as perm
from portal.domain import rounds as rules
from portal.domain.errors import DomainError
from portal.domain.priority import regional_lead_hint
from portal.domain.proposal import ProposalType
from portal.domain.workflow import Action
from portal.forms import choices
from portal.forms.rounds import NewProposalForm
from portal.forms.wizard import STRATEGY_CHOICES, BasicsForm, KpisForm, SectionForm
from portal.reference import store
from portal.stash import restore_stash
from portal.views import autosave, visible_proposal

bp = Blueprint("wizard", __name__, url_prefix="/proposals")


@bp.context_processor
def _regional_hint() -> dict[str, Any]:
    """`regional_hint(proposal)` for the wizard's pages: the hint when a regional
    proposal's lead township is not an intermediate town (中介城鎮)."""

    def regional_hint(proposal: Proposal) -> str | None:
        lead = proposal.lead_township
        kind = lead.priority.kind if lead.priority is not None else None
        return regional_lead_hint(proposal.type, lead.full_name, kind, store.priority_loaded(db.session()))

    return {"regional_hint": regional_hint}


def editable(proposal_id: int) -> Proposal:
    proposal = visible_proposal(proposal_id)
    if not perm.can_edit(current_user, proposal):
        flash("這件提案目前不能修改：只有草稿可以修改。", "warning")
        abort(redirect(url_for("proposals.detail", proposal_id=proposal.id)))
    return proposal


def township_choices(county_code: str | None = None) -> dict[str, list[Any]]:
    """Townships grouped by county, for a select that reads 'county, then township'."""
    query = select(Township).join(County).order_by(County.position, Township.code)
    if county_code:
        query = query.where(Township.county_code == county_code)
    grouped: dict[str, list[Any]] = {}
    for t in db.session().scalars(query):
        grouped.setdefault(t.county.name_zh, []).extend(choices([(t.code, t.name_zh)]))
    return grouped


def set_choices(form: SectionForm, proposal: Proposal) -> None:
    """Fill select options from reference data; scope the lead township to the author."""
    if isinstance(form, KpisForm):
        form.period = brief.plan_years(proposal.content)  # yearly targets stay inside it
    if isinstance(form, BasicsForm):
        if current_user.role == "township":
            township = proposal.lead_township
            form.lead_township.choices = {township.county.name_zh: choices([(township.code, township.name_zh)])}
        else:
            form.lead_township.choices = township_choices(current_user.county_code)
        form.participating.choices = township_choices()
    if hasattr(form, "lines"):
        offer = store.programme_offer(db.session())
        for entry in form.lines:
            # A programme chosen before it ended stays shown, so its refusal is readable.
            entry.form.programme.choices = choices([("", "（不適用）"), *offer.options(entry.form.programme.data)])
            _offer_sources(entry.form.source, proposal)


def _offer_sources(field: Any, proposal: Proposal) -> None:
    """花東基金 is offered to 花蓮縣 and 臺東縣 cases only; a line that already names it
    keeps the option, so the refusal is shown next to it instead of a bare 'invalid'."""
    county = proposal.lead_township_code[:5]
    if field.data != funding.HUALIEN_TAITUNG and not funding.source_allowed(funding.HUALIEN_TAITUNG, county):
        field.choices = [c for c in field.choices if c.value != funding.HUALIEN_TAITUNG]


def overview_rows(proposal: Proposal) -> list[dict[str, Any]]:
    facts = operations.facts_of(proposal)
    return [
        {
            "step": step,
            "progress": brief.section_progress(step.identifier, facts, proposal.content),
            "saved_at": wizard.saved_at(proposal, step.identifier),
        }
        for step in wizard.STEPS
    ]


@bp.route("/<int:proposal_id>/edit")
@login_required
def overview(proposal_id: int) -> str:
    """The task list: every section with its state, last save and a progress count."""
    proposal = editable(proposal_id)
    rows = overview_rows(proposal)
    done = sum(1 for r in rows if r["progress"] == brief.Progress.DONE)
    return render_template(
        "wizard/overview.html", proposal=proposal, rows=rows, done=done, round_form=_other_rounds(proposal)
    )


def _other_rounds(proposal: Proposal) -> NewProposalForm | None:
    """The form to file a never-submitted draft under another open round, if there is one."""
    form = NewProposalForm(formdata=None)
    _offer_rounds(form)
    form.round.choices = [c for c in form.round.choices if c.value != str(proposal.round_id)]
    form.round.data = None
    return form if form.round.choices and not proposal.revision_count else None


def _button() -> tuple[str, str]:
    """Which submit button was pressed: ('save'|'next'|'add'|'remove'|'preview', argument)."""
    for key in ("add", "remove"):
        if key in request.form:
            return key, request.form[key]
    return ("next", "") if "next" in request.form else ("save", "")


@bp.route("/<int:proposal_id>/edit/<step_id>", methods=["GET", "POST"])
@login_required
def section(proposal_id: int, step_id: str) -> str | Response | tuple[str | Response, int]:
    """One section: save keeps partial work; add/remove rows work without JavaScript.
    A background save (autosave, see `portal.views.autosave`) is the plain 儲存,
    answered in JSON."""
    proposal = editable(proposal_id)
    step = wizard.BY_ID.get(step_id) or abort(404)
    if request.method == "GET":
        restored = restore_stash()
        form = step.form_class(formdata=restored, data=step.to_form(proposal))
        if restored is None:
            form.version.data = str(wizard.section_version(proposal, step.identifier))
        set_choices(form, proposal)
        # Warnings are about what is stored, so only a form showing it gets them.
        return _render(step, proposal, form, warnings=restored is None)

    form = step.form_class()
    set_choices(form, proposal)
    if autosave.wanted():
        return _save_in_background(step, proposal, form)
    button, argument = _button()
    if button in ("add", "remove") and not _names_a_row_list(step, button, argument, form):
        # Only a crafted request names a list (or a row) the step does not have.
        flash("找不到要新增或刪除的那一列，這次沒有儲存。您輸入的內容都還在。", "error")
        return _render(step, proposal, form), 400
    if button == "remove":
        _remove_row(form, argument)
    if not form.validate():
        if form.csrf_token.errors:
            form.csrf_token.errors = []
            flash("頁面開啟太久，安全驗證已更新。您輸入的內容都還在，請再按一次「儲存」。", "warning")
        return _render(step, proposal, form), 400 if _has_field_errors(form) else 200
    opened_at = _plain_number(form.version.data or "0")
    if opened_at is None:
        flash("無法辨識這份表單是從哪一版開啟的，這次沒有儲存。您輸入的內容都還在，請再按一次「儲存」。", "error")
        form.version.data = str(wizard.section_version(proposal, step.identifier))
        return _render(step, proposal, form), 400

    if step.identifier == "resources" and _refuse_ended_programmes(form):
        return _render(step, proposal, form), 400
    value = step.from_form(form)
    if step.identifier == "resources" and _refuse_funding_lines(form, proposal):
        return _render(step, proposal, form), 400
    dbs = db.session()
    try:
        operations.save_section(
            dbs,
            proposal,
            current_user,
            step.identifier,
            wizard.stored_value(step, value),
            opened_at=opened_at,
            overwrite=_plain_number(form.overwrite.data or ""),
            basics=value if step.identifier == "basics" else None,
            also=wizard.also_stored(step, value),
        )
    except operations.EditConflict:
        dbs.rollback()
        return _render(step, proposal, form, conflict=True), 409
    except DomainError as error:
        dbs.rollback()
        flash(str(error), "error")
        return _render(step, proposal, form), 400
    dbs.commit()

    if button == "add":
        fresh = step.form_class(formdata=None, data=step.to_form(proposal))
        fresh.version.data = str(wizard.section_version(proposal, step.identifier))
        rows = getattr(fresh, argument)
        if len(rows.entries) >= (rows.max_entries or 99):
            flash(f"這一節最多 {rows.max_entries} 列。", "warning")
        else:
            rows.append_entry()
            flash("已儲存，並新增一列。", "success")
        set_choices(fresh, proposal)
        return _render(step, proposal, fresh, warnings=True)
    flash(f"已儲存「{step.label}」。", "success")
    if button == "next":
        following = _next_step(step)
        if following is None:
            return redirect(url_for(".check", proposal_id=proposal.id))
        return redirect(url_for(".section", proposal_id=proposal.id, step_id=following.identifier))
    return redirect(url_for(".section", proposal_id=proposal.id, step_id=step.identifier))


def _save_in_background(step: wizard.Step, proposal: Proposal, form: SectionForm) -> Response | tuple[Response, int]:
    """The 儲存 button's save under the same rules (CSRF, format, the section's version),
    answered in JSON and leaving no flash message. It never overwrites: a conflict
    stops it, whatever `overwrite` the form carries, since only a person who saw the
    other save may replace it."""
    if not form.validate():
        return autosave.token() if form.csrf_token.errors else autosave.invalid()
    opened_at = _plain_number(form.version.data or "0")
    if opened_at is None:
        return autosave.invalid()
    if step.identifier == "resources" and _refuse_ended_programmes(form):
        return autosave.invalid()
    value = step.from_form(form)
    if step.identifier == "resources" and _refuse_funding_lines(form, proposal):
        return autosave.invalid()
    dbs = db.session()
    try:
        operations.save_section(
            dbs,
            proposal,
            current_user,
            step.identifier,
            wizard.stored_value(step, value),
            opened_at=opened_at,
            basics=value if step.identifier == "basics" else None,
            also=wizard.also_stored(step, value),
        )
    except operations.EditConflict:
        dbs.rollback()
        return autosave.conflict()
    except DomainError as error:
        dbs.rollback()
        return autosave.refused(str(error))
    dbs.commit()
    return autosave.saved(wizard.section_version(proposal, step.identifier), wizard.saved_at(proposal, step.identifier))


def _refuse_funding_lines(form: SectionForm, proposal: Proposal) -> bool:
    """Put a refused source or a year outside the proposal's period next to its field.

    Row numbers count the form's entries, blank ones included, so each message lands on
    the row it is about."""
    entries = form.lines.entries
    lines = [entry.form.data for entry in entries]
    problems = funding.line_problems(lines, proposal.lead_township_code[:5], funding.period(proposal.content))
    for problem in problems:
        field = getattr(entries[problem.row].form, problem.field)
        field.errors = [*field.errors, problem.message]
    return bool(problems)


def _refuse_ended_programmes(form: SectionForm) -> bool:
    """An ended or retired programme, or a year outside a programme's run, is refused
    next to the line's programme; older cases that named one still read."""
    offer = store.programme_offer(db.session())
    refused = False
    for entry in form.lines:
        line = entry.form
        if line.source.data != "central" or not line.programme.data:
            continue
        problem = offer.refusal(line.programme.data, line.year.data)
        if problem:
            line.programme.errors = [*line.programme.errors, problem]
            refused = True
    return refused


def _has_field_errors(form: SectionForm) -> bool:
    return any(name != "csrf_token" and errors for name, errors in form.errors.items())


def _plain_number(value: str) -> int | None:
    """A version or row number from the form; None for anything but a plain non-negative number."""
    value = value.strip()
    if not value.isascii() or not value.isdigit() or len(value) > 9:
        return None
    return int(value)


def _names_a_row_list(step: wizard.Step, button: str, argument: str, form: SectionForm) -> bool:
    """`add` names one of the step's row lists; `remove` one of their rows, like 'rows-2'."""
    if button == "add":
        return argument in step.row_lists
    name, _, index = argument.rpartition("-")
    if name not in step.row_lists:
        return False
    number = _plain_number(index)
    return number is not None and number < len(getattr(form, name).entries)


def _remove_row(form: SectionForm, argument: str) -> None:
    """`argument` is like 'rows-2' (checked by `_names_a_row_list`): drop that entry."""
    name, _, index = argument.rpartition("-")
    del getattr(form, name).entries[int(index)]


def _next_step(step: wizard.Step) -> wizard.Step | None:
    position = wizard.STEPS.index(step)
    return wizard.STEPS[position + 1] if position + 1 < len(wizard.STEPS) else None


def _row_warnings(step: wizard.Step, proposal: Proposal, form: SectionForm) -> list[brief.Problem]:
    """What the check page will say about rows of this section as stored, each put
    beside its input (`field.warnings`, shown by `render_field`). The form must show
    the stored rows: their ids (items-0-end) are the check's field names."""
    problems = brief.row_problems(step.identifier, operations.facts_of(proposal), proposal.content)
    by_field: dict[str, list[str]] = {}
    for problem in problems:
        by_field.setdefault(problem.field, []).append(problem.message)
    _attach_warnings(form, by_field)
    return problems


def _attach_warnings(fields: Any, by_field: dict[str, list[str]]) -> None:
    for field in fields:
        if field.id in by_field:
            field.warnings = by_field[field.id]
        if field.type == "FieldList":
            _attach_warnings(field, by_field)
        elif field.type == "FormField":
            _attach_warnings(field.form, by_field)


def _render(
    step: wizard.Step, proposal: Proposal, form: SectionForm, conflict: bool = False, warnings: bool = False
) -> str:
    """The section's page. `warnings`: the form shows the stored section, so the check's
    remarks on its rows go beside them."""
    row_warnings = _row_warnings(step, proposal, form) if warnings else []
    totals, table = None, None
    if step.identifier == "resources":
        lines = [
            {
                "source": e.form.source.data,
                "year": e.form.year.data,
                "amount": e.form.amount.data,
                "self_liquidating": e.form.self_liquidating.data == funding.SELF,
            }
            for e in form.lines
        ]
        totals = brief.resource_totals(lines)
        table = brief.funding_table(lines)
    return render_template(
        f"wizard/{step.identifier}.html",
        proposal=proposal,
        step=step,
        steps=wizard.STEPS,
        form=form,
        conflict=conflict,
        saved=proposal.content,
        saved_at=wizard.saved_at(proposal, step.identifier),
        totals=totals,
        table=table,
        sources=brief.SOURCES,
        budgets=brief.BUDGETS,
        limits=brief.ROW_LIMITS,
        standard_kpis=brief.STANDARD_KPIS,
        strategies=dict(wizard_strategies()),
        saved_totals=brief.resource_totals(proposal.content.get("resources", {}).get("lines", [])),
        row_warnings=row_warnings,
    )


@bp.route("/<int:proposal_id>/check")
@login_required
def check(proposal_id: int) -> str:
    """Everything missing or inconsistent, each linked to its field, then the submit button."""
    proposal = editable(proposal_id)
    problems = brief.check(operations.facts_of(proposal), proposal.content)
    by_step = {s.identifier: [p for p in problems if p.section == s.identifier] for s in wizard.STEPS}
    return render_template(
        "wizard/check.html", proposal=proposal, problems=problems, by_step=by_step, steps=wizard.STEPS
    )


@bp.route("/<int:proposal_id>/submit", methods=["POST"])
@login_required
def submit(proposal_id: int) -> Response:
    """Freeze a revision and send the proposal to the county, through the workflow."""
    proposal = editable(proposal_id)
    form = SectionForm()
    if not form.validate():
        flash("頁面開啟太久，安全驗證已更新，請再按一次「送出提案」。", "warning")
        return redirect(url_for(".check", proposal_id=proposal.id))
    dbs = db.session()
    try:
        operations.apply_transition(dbs, proposal, Action.SUBMIT, current_user)
    except DomainError as error:
        dbs.rollback()
        flash(str(error), "error")
        return redirect(url_for(".check", proposal_id=proposal.id))
    dbs.commit()
    flash(f"已送出第 {proposal.revision_count} 版，等待縣市政府審閱。", "success")
    return redirect(url_for("proposals.detail", proposal_id=proposal.id))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new() -> str | Response:
    """Start a draft: townships for themselves, counties a regional or thematic case."""
    form = NewProposalForm()
    open_now = _offer_rounds(form)
    if current_user.role == "township":
        township = db.session().get(Township, current_user.township_code)
        assert township is not None
        form.lead_township.choices = {township.county.name_zh: choices([(township.code, township.name_zh)])}
    elif current_user.role == "county":
        form.lead_township.choices = township_choices(current_user.county_code)
        form.type.choices = choices((t.value, t.label) for t in ProposalType if t != ProposalType.TOWNSHIP)
    else:
        abort(403)
    form.participating.choices = township_choices()
    if open_now and form.validate_on_submit():
        dbs = db.session()
        try:
            proposal = operations.create_proposal(
                dbs,
                current_user,
                round=open_now[form.round.data or ""],
                proposal_type=ProposalType(form.type.data),
                lead_township_code=form.lead_township.data,
                title=form.title.data or "",
                participating_codes=list(form.participating.data or []),
            )
        except DomainError as error:
            dbs.rollback()
            flash(str(error), "error")
        else:
            dbs.commit()
            flash("已建立草稿，可以依任何順序填寫各節，每一節都會立即儲存。", "success")
            return redirect(url_for(".overview", proposal_id=proposal.id))
    return render_template("wizard/new.html", form=form, open_now=open_now)


@bp.route("/<int:proposal_id>/round", methods=["POST"])
@login_required
def change_round(proposal_id: int) -> Response:
    """File a draft never submitted under another open round."""
    proposal = editable(proposal_id)
    form = NewProposalForm()
    open_now = _offer_rounds(form)
    back = redirect(url_for(".overview", proposal_id=proposal.id))
    if not form.csrf_token.validate(form) or form.round.data not in open_now:
        flash("請選擇一個開放中的梯次，這次沒有變更。", "error")
        return back
    dbs = db.session()
    try:
        rounds.move_to_round(dbs, proposal, current_user, open_now[form.round.data], operations.taiwan_today())
    except DomainError as error:
        dbs.rollback()
        flash(str(error), "error")
        return back
    dbs.commit()
    flash(f"已改投「{open_now[form.round.data].name}」。", "success")
    return back


def _offer_rounds(form: NewProposalForm) -> dict[str, Round]:
    """The rounds open today as the form's choices, each with its deadline; the only
    one is preselected. Returns them by id; empty means no proposal can be started."""
    today = operations.taiwan_today()
    open_now = {str(r.id): r for r in rounds.open_rounds(db.session(), today)}
    form.round.choices = choices(
        (key, f"{r.name}（{rules.deadline_text(rules.Deadline.SUBMISSION, r.submission_closes, today)}）")
        for key, r in open_now.items()
    )
    if len(open_now) == 1 and not form.round.data:
        form.round.data = next(iter(open_now))
    return open_now


@bp.route("/<int:proposal_id>/brief")
@bp.route("/<int:proposal_id>/revisions/<int:number>/brief")
@login_required
def one_page(proposal_id: int, number: int | None = None) -> str:
    """The one-page brief (提案簡報) for print: the draft, or a submitted revision."""
    proposal = visible_proposal(proposal_id)
    if number is None and not perm.can_edit(current_user, proposal) and proposal.revision_count:
        number = proposal.revision_count  # others read what was submitted, not the draft
    if number is not None:
        revision = db.session().scalar(
            select(Revision).where(Revision.proposal_id == proposal.id, Revision.number == number)
        )
        if revision is None:
            abort(404)
        content, title, codes, label = (
            revision.content,
            revision.title,
            revision.participating_codes,
            revision.label,
        )
    else:
        content, title, codes, label = (
            proposal.content,
            proposal.title,
            sorted(proposal.participating_codes),
            "草稿",
        )
    townships = {t.code: t for t in db.session().scalars(select(Township).where(Township.code.in_(codes)))}
    return render_template(
        "wizard/brief.html",
        proposal=proposal,
        content=content,
        title=title,
        label=label,
        participants=[townships[c] for c in codes if c in townships],
        totals=brief.resource_totals(content.get("resources", {}).get("lines", [])),
        sources=brief.SOURCES,
        strategies=dict(wizard_strategies()),
    )


def wizard_strategies() -> list[tuple[str, str]]:
    return [(c.value, c.label) for c in STRATEGY_CHOICES]
