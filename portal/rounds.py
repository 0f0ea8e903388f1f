"""Rounds (梯次): creating and editing them (audited), which are open, and the deadline
reminders `portal rounds remind` queues in the outbox.

The deadlines themselves are enforced where moves happen
(`portal.operations.apply_transition`, with the rules in `portal.domain.rounds`).
Like the other operations, these functions flush and leave the commit to the caller."""

from __future__ import annotations

from datetime import date

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import db, notifications, operations
from portal.cli_error import CliError
from portal.db.models import OutboxMessage, Proposal, Round, RoundReminder, User, utcnow
from portal.domain import permissions as perm
from portal.domain import rounds as rules
from portal.domain.errors import DomainError, PermissionDenied
from portal.domain.states import State
from portal.domain.workflow import Audience

DEFAULT_REMINDER_DAYS = "7,1"


class RoundInvalid(DomainError):
    """The round's name or dates break a rule; `errors` maps each field to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("梯次沒有儲存，請依欄位旁的說明修正。")
        self.errors = errors


def all_rounds(session: Session) -> list[Round]:
    """Newest first, by when township submission opens."""
    return list(session.scalars(select(Round).order_by(Round.submission_opens.desc(), Round.id.desc())))


def open_rounds(session: Session, on: date) -> list[Round]:
    """The rounds townships may start and submit proposals in on `on`, earliest first."""
    query = select(Round).where(Round.submission_opens <= on, Round.submission_closes >= on)
    return list(session.scalars(query.order_by(Round.submission_opens, Round.id)))


def _check(session: Session, name: str, dates: rules.RoundDates, on: date, current: Round | None) -> str:
    name = name.strip()
    others = [r for r in session.scalars(select(Round)) if current is None or r.id != current.id]
    errors = rules.date_errors(
        dates,
        on,
        before=current.dates if current is not None else None,
        others=(rules.Window(r.name, r.submission_opens, r.submission_closes) for r in others),
    )
    if not name:
        errors["name"] = "請輸入梯次名稱，例如「115年度第1梯次」。"
    elif any(r.name == name for r in others):
        errors["name"] = f"已經有名為「{name}」的梯次，請換一個名稱。"
    if errors:
        raise RoundInvalid(errors)
    return name


def _describe(name: str, dates: rules.RoundDates) -> str:
    return "；".join(
        [name, *(f"{label} {rules.slash(getattr(dates, field))}" for field, label in rules.FIELDS.items())]
    )


def create_round(session: Session, actor: User, name: str, dates: rules.RoundDates, on: date) -> Round:
    """Add a round. Its cycle (the year its cases are grouped under) is the year its
    township submission opens. Raises RoundInvalid and writes nothing when a rule fails."""
    name = _check(session, name, dates, on, None)
    item = Round(name=name, cycle=str(dates.submission_opens.year), **_columns(dates))
    session.add(item)
    session.flush()
    operations.audit(session, actor, "round_add", reason=_describe(name, dates))
    return item


def update_round(session: Session, actor: User, item: Round, name: str, dates: rules.RoundDates, on: date) -> str:
    """Change a round's name or dates; returns the audit action written. Moving a
    deadline that has passed to today or later reopens it (`round_reopen`)."""
    name = _check(session, name, dates, on, item)
    before, before_name = item.dates, item.name
    reopened = any(
        getattr(before, field) < on <= getattr(dates, field) for field in ("submission_closes", "forwarding_closes")
    )
    item.name = name
    for column, value in _columns(dates).items():
        setattr(item, column, value)
    session.flush()
    action = "round_reopen" if reopened else "round_edit"
    change = f"原為：{_describe(before_name, before)}。改為：{_describe(name, dates)}"
    operations.audit(session, actor, action, reason=change)
    return action


def move_to_round(session: Session, proposal: Proposal, actor: User, item: Round, on: date) -> None:
    """File a draft never submitted under another round open on `on` (a draft started
    late in one round can be finished in the next); its cycle follows. Audited."""
    if not perm.can_edit(actor, proposal):
        raise PermissionDenied("這件提案目前不能修改（只有草稿可以修改）。")
    if proposal.revision_count:
        raise DomainError("這件提案已經送出過，不能改投其他梯次。")
    if not item.dates.is_open(on):
        raise DomainError(f"「{item.name}」目前不開放送件，請選擇開放中的梯次。")
    before = proposal.round.name if proposal.round else f"{proposal.cycle} 梯次"
    with operations.refuse_stale():
        proposal.round, proposal.cycle = item, item.cycle
        proposal.updated_at = utcnow()
        session.flush()
    operations.audit(session, actor, "round_move", proposal=proposal, reason=f"由「{before}」改投「{item.name}」")


def _columns(dates: rules.RoundDates) -> dict[str, date]:
    return {field: getattr(dates, field) for field in rules.FIELDS}


def deadline_texts(item: Round, on: date) -> dict[str, str]:
    """Both deadlines as people read them, for the wizard and the lists."""
    return {d.value: rules.deadline_text(d, item.dates.closes(d), on) for d in rules.Deadline}


# --- reminders ------------------------------------------------------------------------


def _due_threshold(closes: date, on: date, days: tuple[int, ...]) -> int | None:
    """The reminder due on `on`: the nearest threshold the deadline is within. A run
    missed on the day a threshold was reached still sends it later, never two at once."""
    left = rules.days_left(closes, on)
    within = [d for d in days if 0 <= left <= d]
    return min(within) if within else None


WAITING = {rules.Deadline.SUBMISSION: State.DRAFT, rules.Deadline.FORWARDING: State.SUBMITTED}
AUDIENCE = {rules.Deadline.SUBMISSION: Audience.EDITORS, rules.Deadline.FORWARDING: Audience.COUNTY}


def send_reminders(session: Session, on: date, days: tuple[int, ...]) -> int:
    """Queue a reminder `days` before each deadline of every round: townships (the
    authors) with drafts not yet submitted, counties with proposals waiting to be
    forwarded. One message per account and deadline, listing its proposals; each is
    queued once (RoundReminder), so re-running the same day sends nothing new.
    Returns how many messages were queued."""
    queued = 0
    for item in list(session.scalars(select(Round).order_by(Round.id))):
        for deadline in rules.Deadline:
            closes = item.dates.closes(deadline)
            threshold = _due_threshold(closes, on, days)
            if threshold is None:
                continue
            waiting: dict[int, tuple[User, list[Proposal]]] = {}
            proposals = session.scalars(
                select(Proposal)
                .where(Proposal.round_id == item.id, Proposal.status == WAITING[deadline].value)
                .order_by(Proposal.id)
            )
            for proposal in proposals:
                for user in notifications.recipients(session, proposal, [AUDIENCE[deadline]]):
                    waiting.setdefault(user.id, (user, []))[1].append(proposal)
            sent = set(
                session.scalars(
                    select(RoundReminder.recipient_id).where(
                        RoundReminder.round_id == item.id,
                        RoundReminder.deadline == deadline.value,
                        RoundReminder.deadline_on == closes,
                        RoundReminder.days_before == threshold,
                    )
                )
            )
            for user_id, (user, cases) in waiting.items():
                if user_id in sent:
                    continue
                message = _reminder(item, deadline, closes, on, user, cases)
                session.add(message)
                session.flush()
                session.add(
                    RoundReminder(
                        round_id=item.id,
                        deadline=deadline.value,
                        deadline_on=closes,
                        days_before=threshold,
                        recipient_id=user_id,
                        message_id=message.id,
                    )
                )
                queued += 1
    session.flush()
    return queued


def _reminder(
    item: Round, deadline: rules.Deadline, closes: date, on: date, user: User, cases: list[Proposal]
) -> OutboxMessage:
    when = rules.deadline_text(deadline, closes, on)
    if deadline == rules.Deadline.SUBMISSION:
        ask = "以下草稿尚未送出，請於期限內按「檢查並送出」送交縣市政府："
    else:
        ask = "以下提案等待貴府轉送國發會或退回補件，請於期限內處理："
    lines = [f"「{item.name}」{when}。", ask]
    lines += [f"・{p.title or '未命名提案'}（{p.lead_township.full_name}）" for p in cases]
    lines.append("期限過後將無法送出；如需延後，請洽國發會。")
    return OutboxMessage(
        recipient_id=user.id,
        event=f"round_{deadline.value}_reminder",
        proposal_id=cases[0].id if len(cases) == 1 else None,
        subject=f"【地方創生提案】{item.name}{when}",
        body="\n".join(lines),
    )


rounds_group = AppGroup("rounds", help="梯次。")


@rounds_group.command("remind")
def remind_command() -> None:
    """在梯次期限前（PORTAL_ROUND_REMINDER_DAYS 天，預設 7,1）把提醒放入通知佇列；每則只送一次，可每天排程執行。"""
    try:
        days = rules.reminder_days(str(current_app.config.get("ROUND_REMINDER_DAYS", DEFAULT_REMINDER_DAYS)))
    except ValueError as error:
        raise CliError(f"PORTAL_ROUND_REMINDER_DAYS：{error}") from error
    dbs = db.session()
    on = operations.taiwan_today()
    queued = send_reminders(dbs, on, days)
    dbs.commit()
    click.echo(f"{rules.slash(on)}：已將 {queued} 則梯次期限提醒放入通知佇列（提前 {'、'.join(map(str, days))} 天）。")
