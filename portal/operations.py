"""Operations that change proposals. Views and the CLI call these, never the models.

Each function flushes but does not commit: the caller commits once, so a failure
anywhere leaves nothing half-written.

Saving a section never loses another save. The content document is one JSON column, so
`save_section` first takes the proposal's row lock and re-reads the row inside the
caller's transaction (`SELECT ... FOR UPDATE` on PostgreSQL; on SQLite a no-op UPDATE
of the row, which takes the database's single write lock before anything is read), then
checks the section's own version against the one the form was opened at, and writes the
current document with only that section replaced. Two people saving different sections
at once are therefore applied one after the other and both survive; a save of the same
section from a form opened before the other save is refused as an `EditConflict`, which
the wizard shows side by side. Every UPDATE of a proposal also carries
`WHERE lock_version = <the version read>` (SQLAlchemy's `version_id_col`), so any other
change made from a stale copy (a workflow move racing another) fails as
`StaleRecord` instead of overwriting.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from portal import notifications, text
from portal.db import history
from portal.db.models import (
    AuditEvent,
    CaseClosing,
    County,
    Decision,
    Proposal,
    ProposalTownship,
    Review,
    Revision,
    Round,
    Township,
    User,
    utcnow,
)
from portal.domain import brief, followup
from portal.domain import cosign as cosign_rules
from portal.domain import permissions as perm
from portal.domain import rounds as round_rules
from portal.domain.errors import DomainError, PermissionDenied
from portal.domain.proposal import ProposalType, empty_document
from portal.domain.states import State
from portal.domain.workflow import TRANSITIONS, Action, Transition, plan

# Audit actions that are not workflow moves, with their labels.
OTHER_ACTIONS = {
    "create": "建立提案",
    "user_add": "新增帳號",
    "user_disable": "停用帳號",
    "user_enable": "啟用帳號",
    "user_edit": "修改帳號",
    "password_link": "發出設定密碼連結",
    "password_reset": "忘記密碼，寄出設定密碼連結",
    "programme_add": "新增部會計畫",
    "programme_edit": "修改部會計畫",
    "priority_import": "匯入優先推動地區",
    "conflict_add": "登記利益迴避",
    "assign_more": "增派審查委員",
    "review": "送出評分",
    "review_edit": "修改評分",
    "meeting_add": "登錄會報會議",
    "agenda_add": "列入會議議程",
    "match_offer": "部會提議媒合計畫",
    "showcase_rebuild": "重新產生展示網站",
    "results_republish": "將執行成果寫入公開案例檔",
    "guards_lifted": "結構變更暫時解除紀錄防護",
    "round_add": "新增梯次",
    "round_edit": "修改梯次",
    "round_reopen": "重新開放梯次",
    "round_move": "改投梯次",
    "cosign": "同意參與（跨縣市）",
    "cosign_withdraw": "撤回同意參與（跨縣市）",
}


# The follow-up of approved cases (portal.domain.followup): each step, and the NDC
# setting a year's report due date.
FOLLOWUP_ACTIONS = {s.value: rule.label for s, rule in followup.STEPS.items()} | {
    "report_round_set": "設定執行進度報告期限"
}


def action_labels() -> dict[str, str]:
    """Every audit action with its Chinese label, workflow moves first."""
    return {a.value: t.label for a, t in TRANSITIONS.items()} | OTHER_ACTIONS | FOLLOWUP_ACTIONS


def audit(
    session: Session,
    actor: User | None,
    action: str,
    *,
    proposal: Proposal | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
    reason: str = "",
    at: datetime | None = None,
) -> AuditEvent:
    """Append an audit event to the hash chain; `actor` None means the command line or
    the system. Flushes: the event is written under the chain lock, which the
    transaction then holds until it commits (see `history.seal`)."""
    event = AuditEvent(
        at=at or utcnow(),
        actor_id=actor.id if actor else None,
        actor_label=f"{actor.name} <{actor.email}>" if actor else "系統（命令列）",
        action=action,
        proposal_id=proposal.id if proposal else None,
        from_state=from_state,
        to_state=to_state,
        reason=reason.strip(),
    )
    return history.seal(session, event)


def create_proposal(
    session: Session,
    actor: User,
    *,
    cycle: str = "",
    proposal_type: ProposalType,
    lead_township_code: str,
    title: str = "",
    participating_codes: list[str] | None = None,
    round: Round | None = None,
) -> Proposal:
    """Start a draft. Townships propose for themselves; a county's draft is its own.

    With `round`, the draft belongs to it (and its cycle is the round's); the round
    must be open today. Without one (scripts, tests) no deadline applies."""
    lead = session.get(Township, lead_township_code)
    if lead is None:
        raise DomainError(f"找不到鄉鎮市區代碼「{lead_township_code}」")
    if not perm.can_create(actor, proposal_type, lead.county_code):
        raise PermissionDenied("您的帳號不能建立這種提案。")
    if actor.role == "township" and actor.township_code != lead.code:
        raise PermissionDenied("鄉鎮市區公所只能以自己的鄉鎮市區為主提案單位。")
    if round is not None:
        if not round.dates.is_open(taiwan_today()):
            raise DomainError(f"「{round.name}」目前不開放送件，請選擇開放中的梯次。")
        cycle = round.cycle
    proposal = Proposal(
        cycle=cycle,
        round=round,
        type=proposal_type.value,
        title=title.strip(),
        lead_township_code=lead.code,
        county_code=lead.county_code,
        author_county_code=actor.county_code if actor.role == "county" else None,
        created_by_id=actor.id,
        content=empty_document(),
    )
    proposal.lead_township = lead
    set_participants(session, proposal, participating_codes or [])
    session.add(proposal)
    session.flush()
    audit(session, actor, "create", proposal=proposal, to_state=State.DRAFT)
    return proposal


def set_participants(session: Session, proposal: Proposal, codes: list[str]) -> None:
    """Replace the participating townships; unknown codes are refused, the lead is skipped."""
    unique = [c for c in dict.fromkeys(codes) if c != proposal.lead_township_code]
    unknown = [c for c in unique if session.get(Township, c) is None]
    if unknown:
        raise DomainError(f"找不到鄉鎮市區代碼「{'、'.join(unknown)}」")
    proposal.participants = [ProposalTownship(township_code=c) for c in unique]


# Taiwan has kept UTC+8 without daylight saving since 1980.
TAIWAN = timezone(timedelta(hours=8), "臺灣")


def taiwan_today() -> date:
    """Today's date in Taiwan, the calendar every round deadline is written in."""
    return datetime.now(TAIWAN).date()


def current_cycle() -> str:
    """Proposals are gathered by calendar year (梯次), in Taiwan time."""
    return str(datetime.now(TAIWAN).year)


DECISIONS = frozenset({Action.APPROVE, Action.REQUEST_REVISION, Action.REJECT})


def _has_reviews(session: Session, proposal: Proposal) -> bool:
    revision = proposal.current_revision
    if revision is None:
        return False
    found = session.scalar(select(Review.id).where(Review.revision_id == revision.id).limit(1))
    return found is not None


class IncompleteProposal(DomainError):
    """Submission refused: the check page lists what is missing or inconsistent."""

    def __init__(self, problems: list[brief.Problem]) -> None:
        super().__init__(f"提案還有 {len(problems)} 個地方需要補齊，請先到「檢查並送出」頁面查看。")
        self.problems = problems


def facts_of(proposal: Proposal) -> brief.Basics:
    return brief.Basics(
        title=proposal.title,
        type=proposal.type,
        lead_township_code=proposal.lead_township_code,
        participating_codes=tuple(sorted(proposal.participating_codes)),
    )


class EditConflict(DomainError):
    """The section was saved by someone else after this form was opened."""

    def __init__(self, section: str, current_version: int) -> None:
        super().__init__("這一節在您編輯時已被另一個分頁或同事儲存，這次沒有儲存。")
        self.section = section
        self.current_version = current_version


class StaleRecord(DomainError):
    """The record changed after the page was opened; nothing was written."""

    def __init__(self, what: str = "這件提案", message: str | None = None) -> None:
        super().__init__(
            message or f"{what}在您開啟頁面後已被其他人更新，這次沒有儲存。請重新整理頁面，確認最新內容後再試一次。"
        )


@contextmanager
def refuse_stale(what: str = "這件提案") -> Iterator[None]:
    """Turn an optimistic-lock failure (an UPDATE that matched no row at the version
    read) into a clear refusal; the caller rolls back as for any DomainError."""
    try:
        yield
    except StaleDataError as error:
        raise StaleRecord(what) from error


def lock_proposal(session: Session, proposal: Proposal) -> None:
    """Take the proposal's row lock for the rest of the transaction and re-read the row,
    so that what is written next is based on the latest saved values."""
    if session.get_bind().dialect.name == "sqlite":
        # SQLite has one write lock per database; a write as the transaction's first
        # statement waits for it (busy timeout) and only then reads, so the re-read
        # below sees every committed save and no other save can commit before ours.
        session.execute(
            update(Proposal)
            .where(Proposal.id == proposal.id)
            .values(lock_version=Proposal.lock_version)
            .execution_options(synchronize_session=False)
        )
        session.refresh(proposal)
    else:
        # As the UPDATE above autoflushes on SQLite: changes made before the lock are
        # written, not dropped by the re-read.
        session.flush()
        session.refresh(proposal, with_for_update=True)


def section_version(content: dict[str, Any], section: str) -> int:
    """How many times `section` has been saved; a form carries the value it was opened at."""
    return int(content.get("meta", {}).get("versions", {}).get(section, 0))


def merge_section(
    content: dict[str, Any], section: str, value: Any, also: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """A new document: `content` with only `section` (and the parts in `also`, which the
    same step saves) replaced, its version raised, its save time set and the narrative
    Markdown rendered (page views never convert it)."""
    document = copy.deepcopy(content)
    document[section] = value
    document.update(copy.deepcopy(dict(also or {})))
    meta = document.setdefault("meta", {})
    meta.setdefault("versions", {})[section] = section_version(content, section) + 1
    meta.setdefault("saved_at", {})[section] = utcnow().isoformat()
    # Text unchanged since the last save keeps its HTML, if made under today's rules.
    rules = text.rules_version()
    made = content.get("html") if content.get("meta", {}).get("html_rules") == rules else None
    known = text.rendered_fields(content, made, text.NARRATIVE_FIELDS) if isinstance(made, dict) else None
    document["html"] = text.render_fields(document, text.NARRATIVE_FIELDS, known)
    meta["html_rules"] = rules
    return document


def set_account_active(session: Session, user: User, active: bool) -> None:
    """Enable or disable `user`, only if it is still in the other state: one conditional
    UPDATE, so a page showing an old state (another admin already pressed the button)
    is refused instead of undoing that admin's change."""
    result = session.execute(
        update(User)
        .where(User.id == user.id, User.active.is_(not active))
        .values(active=active)
        .execution_options(synchronize_session=False)
    )
    session.refresh(user)
    if cast("CursorResult[Any]", result).rowcount != 1:
        state = "啟用中" if user.active else "已停用"
        raise StaleRecord(message=f"帳號 {user.email} 在您開啟頁面後已被其他管理者改為「{state}」，這次沒有變更。")


def save_section(
    session: Session,
    proposal: Proposal,
    actor: User,
    section: str,
    value: Any,
    *,
    opened_at: int,
    overwrite: int | None = None,
    basics: dict[str, Any] | None = None,
    also: Mapping[str, Any] | None = None,
) -> None:
    """Store one wizard step against the current row: only `section` of the content
    document changes (and, for the basics step, the proposal's own columns).

    `opened_at` is the section's version when the form was opened. If the section has
    been saved since, EditConflict is raised and nothing changes, unless `overwrite`
    names the current version (the person saw the other save and chose to replace it).
    Only the authors may save, and only while it is a draft. Side effects: the
    proposal's `lock_version` and `updated_at` change; the row stays locked until the
    caller commits."""
    with refuse_stale():
        lock_proposal(session, proposal)
        if not perm.can_edit(actor, proposal):
            raise PermissionDenied("這件提案目前不能修改（只有草稿可以修改）。")
        current = section_version(proposal.content, section)
        if opened_at != current and overwrite != current:
            raise EditConflict(section, current)
        if basics is not None:
            _apply_basics(session, proposal, actor, basics)
        proposal.content = merge_section(proposal.content, section, value, also)
        proposal.updated_at = utcnow()
        session.flush()


def _apply_basics(session: Session, proposal: Proposal, actor: User, basics: dict[str, Any]) -> None:
    lead = session.get(Township, basics["lead_township"])
    if lead is None:
        raise DomainError(f"找不到鄉鎮市區代碼「{basics['lead_township']}」")
    proposal_type = ProposalType(basics["type"])
    if actor.role == "township" and lead.code != actor.township_code:
        raise PermissionDenied("鄉鎮市區公所只能以自己的鄉鎮市區為主提案單位。")
    if actor.role == "county" and not perm.can_create(actor, proposal_type, lead.county_code):
        raise PermissionDenied("縣市政府只能為轄內鄉鎮市區撰寫區域型或主題型提案。")
    proposal.title = basics["title"]
    proposal.type = proposal_type.value
    proposal.lead_township_code, proposal.county_code = lead.code, lead.county_code
    proposal.lead_township = lead
    set_participants(session, proposal, basics["participating"])


def _refuse_without_cosigners(session: Session, proposal: Proposal) -> None:
    """A cross-county plan is forwarded only once every partner county agreed to it."""
    partners = proposal.partner_county_codes
    missing = sorted(partners - proposal.cosigned_county_codes) if partners else []
    if missing:
        names = {
            code: name
            for code, name in session.execute(select(County.code, County.name_zh).where(County.code.in_(missing)))
        }
        raise DomainError(cosign_rules.forward_refusal(cosign_rules.missing(missing, (), names)) or "")


def apply_transition(session: Session, proposal: Proposal, action: Action, actor: User, reason: str = "") -> Transition:
    """Move `proposal` by `action`, after `workflow.plan` allowed it.

    Side effects, all in the caller's transaction:
    - the proposal's status (and updated time) change to the transition's target;
    - on submit, an immutable revision v1, v2, ... of the current content is frozen;
    - an audit event records actor, UTC time, from, to and reason;
    - one outbox message is queued for each person the transition notifies.
    Raises DomainError (or a subclass) and changes nothing when the move is refused.
    """
    with refuse_stale():
        return _apply_transition(session, proposal, action, actor, reason)


ROUND_DEADLINES = {Action.SUBMIT: round_rules.Deadline.SUBMISSION, Action.FORWARD: round_rules.Deadline.FORWARDING}


def _check_round_deadline(session: Session, proposal: Proposal, action: Action) -> None:
    """Refuse a submission after the round's township deadline, or a forwarding after
    its county deadline. A proposal the NDC asked to revise (修正後再提) answers that
    request, not the round's call, so its resubmission and forwarding are not held to them."""
    deadline = ROUND_DEADLINES.get(action)
    if deadline is None or proposal.round is None:
        return
    asked = session.scalar(
        select(AuditEvent.id)
        .where(AuditEvent.proposal_id == proposal.id, AuditEvent.action == Action.REQUEST_REVISION.value)
        .limit(1)
    )
    if asked is None:
        round_rules.check_deadline(deadline, proposal.round.name, proposal.round.dates, taiwan_today())


def _apply_transition(session: Session, proposal: Proposal, action: Action, actor: User, reason: str) -> Transition:
    transition = plan(actor, proposal, action, reason)
    from_state = proposal.status
    now = utcnow()
    if action in DECISIONS and not _has_reviews(session, proposal):
        raise DomainError("這件提案目前的版本還沒有任何委員評分，不能做成決定。")
    _check_round_deadline(session, proposal, action)
    if action == Action.FORWARD:
        _refuse_without_cosigners(session, proposal)
    if action == Action.SUBMIT:
        problems = brief.check(facts_of(proposal), proposal.content)
        if problems:
            raise IncompleteProposal(problems)
        proposal.revision_count += 1
        proposal.revisions.append(
            Revision(
                proposal_id=proposal.id,
                number=proposal.revision_count,
                title=proposal.title,
                content=copy.deepcopy(proposal.content),
                participating_codes=sorted(proposal.participating_codes),
                created_at=now,
                created_by_id=actor.id,
            )
        )
    proposal.status = transition.target.value
    proposal.updated_at = now
    audit(
        session,
        actor,
        action.value,
        proposal=proposal,
        from_state=from_state,
        to_state=transition.target.value,
        reason=reason,
        at=now,
    )
    notifications.queue_transition(session, proposal, transition, actor, reason)
    session.flush()
    return transition


# --- the follow-up's shared lookups ------------------------------------------------------


def approval(session: Session, proposal: Proposal) -> Decision | None:
    """The decision that approved the case (its latest approving one), or None."""
    return session.scalar(
        select(Decision)
        .where(Decision.proposal_id == proposal.id, Decision.outcome == Action.APPROVE.value)
        .order_by(Decision.id.desc())
        .limit(1)
    )


def is_closed(session: Session, proposal: Proposal) -> bool:
    """Whether the NDC has closed the case (結案): then no more reports are due."""
    return session.get(CaseClosing, proposal.id) is not None
