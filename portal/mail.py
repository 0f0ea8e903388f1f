"""E-mail delivery of the outbox: `portal notifications send`, one SMTP connection per run.

Overlapping runs (a slow run still going when cron starts the next, or two hosts) never
send a message twice: a run first claims its batch, writing its own random token and the
time into `claim_token` and `claimed_at` in one committed UPDATE that only takes rows
nobody holds (`FOR UPDATE SKIP LOCKED` on PostgreSQL; on SQLite the UPDATE runs under the
database's single write lock), and sends only the rows that carry its token. Before each
message the claim is checked and renewed, and every outcome releases it. A claim older
than `CLAIM_TIMEOUT` belongs to a run that was killed, and the next run takes it over.
"""

from __future__ import annotations

import secrets
import smtplib
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import CursorResult, or_, select, update
from sqlalchemy.orm import Session, joinedload

from portal import db
from portal.cli_error import CliError
from portal.config import ConfigError
from portal.db.models import OutboxMessage, utcnow

TLS_MODES = ("none", "starttls", "ssl")
TIMEOUT_SECONDS = 30.0
DEFAULT_LIMIT = 200
# Far longer than one message can take (the SMTP timeout is 30 s), so only the claims
# of a run that died are ever taken over.
CLAIM_TIMEOUT = timedelta(minutes=15)
DISABLED_RECIPIENT = "帳號已停用，不寄送"

# UTF-8 headers as encoded words and a base64 body for Chinese text, so that a relay
# without 8BITMIME or SMTPUTF8 still passes the message on unchanged.
POLICY = policy.default.clone(cte_type="7bit")


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    tls: str
    username: str
    password: str = field(repr=False)
    sender: str
    max_attempts: int
    timeout: float = TIMEOUT_SECONDS

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SmtpSettings:
        """The `SMTP_*` and `MAIL_*` settings; raises ConfigError naming the bad variable."""
        tls = str(config["SMTP_TLS"]).strip().lower()
        if tls not in TLS_MODES:
            raise ConfigError(f"PORTAL_SMTP_TLS 必須是 {', '.join(TLS_MODES)} 之一，目前是「{config['SMTP_TLS']}」")
        port = int(config["SMTP_PORT"])
        if not 1 <= port <= 65535:
            raise ConfigError(f"PORTAL_SMTP_PORT 必須介於 1 到 65535，目前是「{port}」")
        max_attempts = int(config["MAIL_MAX_ATTEMPTS"])
        if max_attempts < 1:
            raise ConfigError(f"PORTAL_MAIL_MAX_ATTEMPTS 至少要是 1，目前是「{max_attempts}」")
        sender = str(config["MAIL_FROM"]).strip()
        if "@" not in parseaddr(sender)[1]:
            raise ConfigError(
                "PORTAL_MAIL_FROM 必須是電子郵件地址，例如「地方創生提案平台 <noreply@example.gov.tw>」，"
                f"目前是「{sender}」"
            )
        return cls(
            host=str(config["SMTP_HOST"]),
            port=port,
            tls=tls,
            username=str(config["SMTP_USERNAME"]),
            password=str(config["SMTP_PASSWORD"]),
            sender=sender,
            max_attempts=max_attempts,
        )

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def envelope_sender(self) -> str:
        return parseaddr(self.sender)[1]


@dataclass
class SendSummary:
    """What one run did. `failed` will be retried; `gave_up` reached the limit this run."""

    sent: int = 0
    failed: int = 0
    gave_up: int = 0

    @property
    def text(self) -> str:
        return f"已寄出 {self.sent} 封，失敗 {self.failed} 封（將再重試），放棄 {self.gave_up} 封。"


class MailServerError(RuntimeError):
    """The server could not be reached, refused the login or dropped the connection.

    Raised after the failed attempts are recorded; `summary` tells what the run did."""

    def __init__(self, message: str, summary: SendSummary | None = None) -> None:
        super().__init__(message)
        self.summary = summary or SendSummary()


def compose(message: OutboxMessage, settings: SmtpSettings, date: datetime) -> EmailMessage:
    """The e-mail for one outbox message."""
    email = EmailMessage(policy=POLICY)
    # A subject is one line; a title typed with a line break must not break the header.
    email["Subject"] = " ".join(message.subject.split())
    email["From"] = settings.sender
    email["To"] = message.recipient.email
    email["Date"] = format_datetime(date)
    email["Message-ID"] = message_id(message, settings)
    # RFC 3834: tells vacation responders not to answer a notification.
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(message.body)
    return email


def message_id(message: OutboxMessage, settings: SmtpSettings) -> str:
    """Stable per outbox row, so a message sent again after a crash can be recognised as the same."""
    domain = settings.envelope_sender.rpartition("@")[2]
    return f"<outbox.{message.id}.{message.created_at:%Y%m%d%H%M%S}@{domain}>"


def send_pending(
    session: Session,
    settings: SmtpSettings,
    limit: int = DEFAULT_LIMIT,
    now: datetime | None = None,
    claim_timeout: timedelta = CLAIM_TIMEOUT,
) -> SendSummary:
    """E-mail up to `limit` unsent outbox messages, oldest first, over one connection.

    Unlike the operations, this commits after every message, so that a crash re-sends at
    most the one message the server was accepting at that moment. Side effects:
    - the batch is claimed first (see the module docstring): messages another run holds
      are skipped, so two runs at once send each message once;
    - a delivered message gets `sent_at` and one more attempt;
    - a message the server refuses (say, an unknown recipient) gets one more attempt and
      `last_error`, and the others are still sent;
    - a message whose attempts reach `max_attempts` is given up and never selected again;
    - a message to a disabled account is given up unsent;
    - every message handled is released (`claim_token` cleared) whatever the outcome.
    Raises MailServerError when the server cannot be reached, refuses the login or drops
    the connection, after counting one failed attempt for every message not yet sent.
    """
    summary = SendSummary()
    token = claim(session, settings, limit, claim_timeout)
    claimed = session.scalars(
        select(OutboxMessage)
        .options(joinedload(OutboxMessage.recipient))
        .where(OutboxMessage.claim_token == token)
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
        .execution_options(populate_existing=True)
    ).all()
    deliverable: list[OutboxMessage] = []
    for message in claimed:
        if message.recipient.active:
            deliverable.append(message)
            continue
        message.attempts = settings.max_attempts
        message.last_error = DISABLED_RECIPIENT
        _release(message)
        session.commit()
        summary.gave_up += 1
    if not deliverable:
        return summary

    try:
        smtp = _open(settings)
    except MailServerError as error:
        _fail_all(session, settings, deliverable, str(error), summary)
        raise MailServerError(str(error), summary) from error
    try:
        for index, message in enumerate(deliverable):
            if not _renew(session, message, token):
                continue  # taken over after our claim went stale: the other run sends it
            try:
                email = compose(message, settings, now or utcnow())
                smtp.send_message(email, settings.envelope_sender, [message.recipient.email])
            except smtplib.SMTPServerDisconnected as error:
                raise _lost(session, settings, deliverable[index:], error, summary) from error
            except (smtplib.SMTPException, ValueError) as error:
                _fail(settings, message, describe(error), summary)
            except OSError as error:  # the socket itself: reset, timeout, broken pipe
                raise _lost(session, settings, deliverable[index:], error, summary) from error
            else:
                message.sent_at = now or utcnow()
                message.attempts += 1
                message.last_error = ""
                if message.event in SECRET_EVENTS:
                    # The link worked as a password: once mailed it stays in no table.
                    message.body = SECRET_SENT
                _release(message)
                summary.sent += 1
            session.commit()
    finally:
        _close(smtp)
    return summary


# Messages whose body carries a secret (a one-time password link): the body is replaced
# once the message is sent, so a copy of the database holds no working link.
SECRET_EVENTS = frozenset({"password_reset"})
SECRET_SENT = "（設定新密碼的連結已寄到您的電子郵件信箱；為了安全，連結不保留在平台上。）"


def claim(session: Session, settings: SmtpSettings, limit: int, timeout: timedelta = CLAIM_TIMEOUT) -> str:
    """Claim up to `limit` sendable messages, oldest first, for this run and commit;
    returns the run's token. Messages claimed by another run less than `timeout` ago
    are left alone."""
    token = secrets.token_hex(16)
    claimed_at = utcnow()
    free = or_(OutboxMessage.claimed_at.is_(None), OutboxMessage.claimed_at < claimed_at - timeout)
    candidates = (
        select(OutboxMessage.id)
        .where(OutboxMessage.sent_at.is_(None), OutboxMessage.attempts < settings.max_attempts, free)
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        # Lock the rows first and then update exactly those: PostgreSQL may run a LIMIT
        # subquery inside an UPDATE more than once, claiming more rows than asked for.
        ids = list(session.scalars(candidates.with_for_update(skip_locked=True)))
        chosen = OutboxMessage.id.in_(ids)
    else:
        # One statement under SQLite's write lock: nothing can claim in between.
        chosen = OutboxMessage.id.in_(candidates.scalar_subquery())
    session.execute(
        update(OutboxMessage)
        .where(chosen, OutboxMessage.sent_at.is_(None), free)
        .values(claim_token=token, claimed_at=claimed_at)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return token


def _renew(session: Session, message: OutboxMessage, token: str) -> bool:
    """Refresh this run's claim on `message` just before sending; False if it is lost."""
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message.id, OutboxMessage.claim_token == token, OutboxMessage.sent_at.is_(None))
        .values(claimed_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    session.commit()
    assert isinstance(result, CursorResult)
    return result.rowcount == 1


def _release(message: OutboxMessage) -> None:
    message.claim_token = None
    message.claimed_at = None


def _open(settings: SmtpSettings) -> smtplib.SMTP:
    """Connect, secure and log in, or raise MailServerError saying which step failed."""
    context = ssl.create_default_context()
    smtp: smtplib.SMTP | None = None
    step = f"無法連線到郵件伺服器 {settings.address}"
    try:
        if settings.tls == "ssl":
            smtp = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout, context=context)
        else:
            smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        if settings.tls == "starttls":
            smtp.starttls(context=context)
        if settings.username:
            step = f"郵件伺服器 {settings.address} 拒絕以 {settings.username} 登入"
            smtp.login(settings.username, settings.password)
    except (smtplib.SMTPException, OSError) as error:  # ssl.SSLError is an OSError
        if smtp is not None:
            smtp.close()
        raise MailServerError(f"{step}（{describe(error)}）") from error
    return smtp


def _close(smtp: smtplib.SMTP) -> None:
    # Every message is already recorded; a failed goodbye changes nothing.
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def _fail(settings: SmtpSettings, message: OutboxMessage, error: str, summary: SendSummary) -> None:
    message.attempts += 1
    message.last_error = error
    _release(message)
    if message.attempts >= settings.max_attempts:
        summary.gave_up += 1
    else:
        summary.failed += 1


def _fail_all(
    session: Session, settings: SmtpSettings, messages: Sequence[OutboxMessage], error: str, summary: SendSummary
) -> None:
    for message in messages:
        _fail(settings, message, error, summary)
    session.commit()


def _lost(
    session: Session, settings: SmtpSettings, unsent: Sequence[OutboxMessage], error: OSError, summary: SendSummary
) -> MailServerError:
    """Record the dropped connection against every message not yet sent."""
    text = f"與郵件伺服器 {settings.address} 的連線中斷（{describe(error)}）"
    _fail_all(session, settings, unsent, text, summary)
    return MailServerError(text, summary)


def describe(error: BaseException) -> str:
    """The server's reply (code and text) or the system's reason, for `last_error`."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "；".join(f"{code} {_text(reply)}" for code, reply in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{error.smtp_code} {_text(error.smtp_error)}"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or type(error).__name__


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply


@click.group("notifications", cls=AppGroup)
def notifications_group() -> None:
    """通知信。"""


@notifications_group.command("send")
@click.option("--limit", default=DEFAULT_LIMIT, show_default=True, type=click.IntRange(min=1), help="本次最多處理幾封")
def send_command(limit: int) -> None:
    """寄出尚未寄出的通知信；失敗的在下次執行時重試（PORTAL_SMTP_*、PORTAL_MAIL_*）。"""
    try:
        settings = SmtpSettings.from_config(current_app.config)
    except ConfigError as error:
        raise CliError(str(error)) from error
    try:
        summary = send_pending(db.session(), settings, limit=limit)
    except MailServerError as error:
        click.echo(error.summary.text)
        raise CliError(str(error)) from error
    click.echo(summary.text)
