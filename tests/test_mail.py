"""E-mail delivery of the outbox, against a real SMTP server on the loopback interface."""

from __future__ import annotations

import asyncio
import email
import socket
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword
from aiosmtpd.smtp import Session as SmtpSession
from click.testing import Result
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import accounts, db, operations
from portal.config import ENV_KEYS, ConfigError
from portal.db.models import OutboxMessage, User
from portal.domain.roles import Role
from portal.domain.workflow import Action
from portal.mail import DISABLED_RECIPIENT, MailServerError, SendSummary, SmtpSettings, claim, send_pending
from tests.conftest import NANTOU, PULI, Factory, make_app

HOST = "127.0.0.1"
SENDER = "地方創生提案平台 <noreply@example.gov.tw>"
MAX_ATTEMPTS = 3
NOW = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
DATE = "Mon, 02 Mar 2026 01:30:00 +0000"
# 𥕢 lies beyond the Basic Multilingual Plane: four bytes in UTF-8.
TITLE = "埔里𥕢仔生態城鄉共好計畫"
REFUSAL = "550 5.1.1 No such user here"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No PORTAL_SMTP_* or PORTAL_MAIL_* variable of the shell reaches these tests."""
    for key in ENV_KEYS:
        if key.startswith(("SMTP_", "MAIL_")):
            monkeypatch.delenv(f"PORTAL_{key}", raising=False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


@dataclass
class Recorder:
    """An aiosmtpd handler: keeps every accepted message, refuses the addresses in `refuse`."""

    port: int = 0
    refuse: dict[str, str] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    # Seconds each DATA takes, so that senders running at once really overlap.
    delay: float = 0.0
    logins: list[tuple[str, str]] = field(default_factory=list)

    async def handle_RCPT(
        self, server: SMTP, session: SmtpSession, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: SmtpSession, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        parsed = email.message_from_bytes(envelope.content, _class=EmailMessage, policy=policy.default)
        if self.delay:
            await asyncio.sleep(self.delay)
        self.received.append(Received(str(envelope.mail_from), list(envelope.rcpt_tos), parsed))
        return "250 OK"

    def authenticate(
        self, server: SMTP, session: SmtpSession, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        login, password = auth_data.login.decode(), auth_data.password.decode()
        self.logins.append((login, password))
        # handled=False: aiosmtpd itself answers a refusal with 535.
        return AuthResult(success=password == "correct horse", handled=False)


def start(recorder: Recorder, **smtp_options: Any) -> Controller:
    recorder.port = free_port()
    controller = Controller(recorder, hostname=HOST, port=recorder.port, **smtp_options)
    controller.start()
    return controller


@pytest.fixture
def server() -> Iterator[Recorder]:
    recorder = Recorder()
    controller = start(recorder)
    yield recorder
    controller.stop()


@pytest.fixture
def auth_server() -> Iterator[Recorder]:
    """A server that takes a login; without TLS, which is safe only because it is loopback."""
    recorder = Recorder()
    controller = start(recorder, authenticator=recorder.authenticate, auth_require_tls=False)
    yield recorder
    controller.stop()


def settings_for(port: int, **changes: Any) -> SmtpSettings:
    values: dict[str, Any] = {
        "host": HOST,
        "port": port,
        "tls": "none",
        "username": "",
        "password": "",
        "sender": SENDER,
        "max_attempts": MAX_ATTEMPTS,
        "timeout": 5.0,
    }
    values.update(changes)
    return SmtpSettings(**values)


@pytest.fixture
def settings(server: Recorder) -> SmtpSettings:
    return settings_for(server.port)


@pytest.fixture
def county_staff(make: Factory, session: Session) -> list[User]:
    """Two county coordinators, each sent a message by the township submitting a proposal."""
    township = make.user(Role.TOWNSHIP, township=PULI, name="林𥕢美")
    coordinators = [make.user(Role.COUNTY, county=NANTOU), make.user(Role.COUNTY, county=NANTOU)]
    proposal = make.proposal(township, title=TITLE)
    operations.apply_transition(session, proposal, Action.SUBMIT, township)
    session.commit()
    return coordinators


def outbox(session: Session) -> list[tuple[str, datetime | None, int, str]]:
    session.expire_all()  # the command line writes through its own session
    return [
        (m.recipient.email, m.sent_at, m.attempts, m.last_error)
        for m in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
    ]


def queue(session: Session, recipient: User, subject: str, *, attempts: int = 0, age_minutes: int = 0) -> OutboxMessage:
    message = OutboxMessage(
        recipient_id=recipient.id,
        event="submit",
        subject=subject,
        body=f"{subject}的內容",
        attempts=attempts,
        created_at=NOW - timedelta(minutes=age_minutes),
    )
    session.add(message)
    session.commit()
    return message


def headers(message: EmailMessage) -> dict[str, str]:
    names = ("From", "To", "Subject", "Date", "Message-ID", "Auto-Submitted", "Content-Type")
    return {name: str(message[name]) for name in names}


def invoke(app: Flask, *args: str) -> Result:
    """Run a `portal` command inside an app context, as the `portal` script does."""
    with app.app_context():
        return app.test_cli_runner().invoke(args=list(args))


def point_at(app: Flask, port: int) -> None:
    app.config.update(SMTP_HOST=HOST, SMTP_PORT=port, MAIL_FROM=SENDER, MAIL_MAX_ATTEMPTS=MAX_ATTEMPTS)


# --- delivery ----------------------------------------------------------------------------


def test_send_pending_delivers_each_message_as_utf8_email(
    session: Session, server: Recorder, settings: SmtpSettings, county_staff: list[User]
) -> None:
    # Arrange
    queued = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [m.body.splitlines()[1] for m in queued] == ["動作：送出提案，由 林𥕢美（鄉鎮市區公所承辦人）執行"] * 2

    # Act
    summary = send_pending(session, settings, now=NOW)

    # Assert
    assert summary == SendSummary(sent=2, failed=0, gave_up=0)
    assert [(r.mail_from, r.rcpt_tos, headers(r.message), r.message.get_content()) for r in server.received] == [
        (
            "noreply@example.gov.tw",
            [user.email],
            {
                "From": SENDER,
                "To": user.email,
                "Subject": f"【地方創生提案】{TITLE}：送出提案",
                "Date": DATE,
                "Message-ID": f"<outbox.{message.id}.{message.created_at:%Y%m%d%H%M%S}@example.gov.tw>",
                "Auto-Submitted": "auto-generated",
                "Content-Type": 'text/plain; charset="utf-8"',
            },
            f"{message.body}\n",
        )
        for user, message in zip(county_staff, queued, strict=True)
    ]
    assert outbox(session) == [(user.email, NOW, 1, "") for user in county_staff]


def test_send_pending_second_run_sends_nothing_again(
    session: Session, server: Recorder, settings: SmtpSettings, county_staff: list[User]
) -> None:
    # Arrange
    send_pending(session, settings, now=NOW)

    # Act
    summary = send_pending(session, settings, now=NOW + timedelta(hours=1))

    # Assert
    assert (summary, len(server.received)) == (SendSummary(), 2)
    assert outbox(session) == [(user.email, NOW, 1, "") for user in county_staff]


def test_send_pending_oldest_first_up_to_limit(
    make: Factory, session: Session, server: Recorder, settings: SmtpSettings
) -> None:
    # Arrange: queued newest first, so that id order and age order differ
    admin = make.user(Role.ADMIN)
    for age, subject in [(1, "最新"), (3, "最舊"), (2, "其次")]:
        queue(session, admin, subject, age_minutes=age)

    # Act
    summary = send_pending(session, settings, limit=2, now=NOW)

    # Assert
    assert summary == SendSummary(sent=2)
    assert [r.message["Subject"] for r in server.received] == ["最舊", "其次"]


def test_send_pending_subject_with_line_break_is_sent_on_one_line(
    make: Factory, session: Session, server: Recorder, settings: SmtpSettings
) -> None:
    # Arrange
    queue(session, make.user(Role.ADMIN), "第一行\r\n第二行")

    # Act
    summary = send_pending(session, settings, now=NOW)

    # Assert
    assert (summary, [r.message["Subject"] for r in server.received]) == (SendSummary(sent=1), ["第一行 第二行"])


def test_send_pending_logs_in_when_a_username_is_set(make: Factory, session: Session, auth_server: Recorder) -> None:
    # Arrange
    queue(session, make.user(Role.ADMIN), "登入後寄出")
    settings = settings_for(auth_server.port, username="mailer", password="correct horse")

    # Act
    summary = send_pending(session, settings, now=NOW)

    # Assert
    assert (summary, auth_server.logins, len(auth_server.received)) == (
        SendSummary(sent=1),
        [("mailer", "correct horse")],
        1,
    )


# --- failures ------------------------------------------------------------------------------


def test_send_pending_refused_recipient_fails_alone(
    session: Session, server: Recorder, settings: SmtpSettings, county_staff: list[User]
) -> None:
    # Arrange
    first, refused = county_staff
    server.refuse[refused.email] = REFUSAL

    # Act
    summary = send_pending(session, settings, now=NOW)

    # Assert
    assert summary == SendSummary(sent=1, failed=1, gave_up=0)
    assert [r.rcpt_tos for r in server.received] == [[first.email]]
    assert outbox(session) == [(first.email, NOW, 1, ""), (refused.email, None, 1, REFUSAL)]


def test_send_pending_retries_once_the_refusal_is_lifted(
    session: Session, server: Recorder, settings: SmtpSettings, county_staff: list[User]
) -> None:
    # Arrange
    first, refused = county_staff
    server.refuse[refused.email] = REFUSAL
    send_pending(session, settings, now=NOW)
    server.refuse.clear()
    later = NOW + timedelta(minutes=10)

    # Act
    summary = send_pending(session, settings, now=later)

    # Assert
    assert summary == SendSummary(sent=1)
    assert [r.rcpt_tos for r in server.received] == [[first.email], [refused.email]]
    assert outbox(session) == [(first.email, NOW, 1, ""), (refused.email, later, 2, "")]


def test_send_pending_last_attempt_gives_up_for_good(
    make: Factory, session: Session, server: Recorder, settings: SmtpSettings
) -> None:
    # Arrange
    admin = make.user(Role.ADMIN)
    queue(session, admin, "最後一次", attempts=MAX_ATTEMPTS - 1)
    server.refuse[admin.email] = REFUSAL

    # Act
    given_up = send_pending(session, settings, now=NOW)
    server.refuse.clear()
    afterwards = send_pending(session, settings, now=NOW)

    # Assert
    assert (given_up, afterwards) == (SendSummary(gave_up=1), SendSummary())
    assert server.received == []
    assert outbox(session) == [(admin.email, None, MAX_ATTEMPTS, REFUSAL)]


def test_send_pending_disabled_recipient_is_given_up_unsent(
    session: Session, server: Recorder, settings: SmtpSettings, county_staff: list[User]
) -> None:
    # Arrange: disabled after the message was queued
    first, disabled = county_staff
    accounts.disable_user(session, disabled)
    session.commit()

    # Act
    summary = send_pending(session, settings, now=NOW)

    # Assert
    assert summary == SendSummary(sent=1, gave_up=1)
    assert [r.rcpt_tos for r in server.received] == [[first.email]]
    assert outbox(session) == [(first.email, NOW, 1, ""), (disabled.email, None, MAX_ATTEMPTS, DISABLED_RECIPIENT)]


def test_send_pending_server_down_counts_one_attempt_each(session: Session, county_staff: list[User]) -> None:
    # Arrange: a port nobody listens on
    port = free_port()
    expected = f"無法連線到郵件伺服器 {HOST}:{port}（Connection refused）"

    # Act
    with pytest.raises(MailServerError) as raised:
        send_pending(session, settings_for(port), now=NOW)

    # Assert
    assert (str(raised.value), raised.value.summary) == (expected, SendSummary(failed=2))
    assert outbox(session) == [(user.email, None, 1, expected) for user in county_staff]


def test_send_pending_starttls_unsupported_counts_one_attempt(
    make: Factory, session: Session, server: Recorder
) -> None:
    # Arrange: the test server offers no STARTTLS, and mail must not go out unencrypted
    admin = make.user(Role.ADMIN)
    queue(session, admin, "需要加密")
    expected = f"無法連線到郵件伺服器 {HOST}:{server.port}（STARTTLS extension not supported by server.）"

    # Act
    with pytest.raises(MailServerError) as raised:
        send_pending(session, settings_for(server.port, tls="starttls"), now=NOW)

    # Assert
    assert (str(raised.value), raised.value.summary, server.received) == (expected, SendSummary(failed=1), [])
    assert outbox(session) == [(admin.email, None, 1, expected)]


def test_send_pending_wrong_password_counts_one_attempt(make: Factory, session: Session, auth_server: Recorder) -> None:
    # Arrange
    admin = make.user(Role.ADMIN)
    queue(session, admin, "密碼錯誤")
    settings = settings_for(auth_server.port, username="mailer", password="wrong")
    expected = (
        f"郵件伺服器 {HOST}:{auth_server.port} 拒絕以 mailer 登入（535 5.7.8 Authentication credentials invalid）"
    )

    # Act
    with pytest.raises(MailServerError) as raised:
        send_pending(session, settings, now=NOW)

    # Assert
    assert (str(raised.value), raised.value.summary, auth_server.received) == (expected, SendSummary(failed=1), [])
    assert outbox(session) == [(admin.email, None, 1, expected)]


def test_send_pending_connection_closed_midway_fails_the_rest(
    make: Factory, session: Session, server: Recorder, settings: SmtpSettings
) -> None:
    # Arrange: 421 makes the client hang up, so the messages after it cannot be sent
    admin = make.user(Role.ADMIN)
    closing = make.user(Role.ADMIN)
    for user, age in [(admin, 3), (closing, 2), (admin, 1)]:
        queue(session, user, "中途斷線", age_minutes=age)
    server.refuse[closing.email] = "421 4.3.2 Service shutting down"
    lost = f"與郵件伺服器 {HOST}:{server.port} 的連線中斷（please run connect() first）"

    # Act
    with pytest.raises(MailServerError) as raised:
        send_pending(session, settings, now=NOW)

    # Assert
    assert (str(raised.value), raised.value.summary) == (lost, SendSummary(sent=1, failed=2))
    assert outbox(session) == [
        (admin.email, NOW, 1, ""),
        (closing.email, None, 1, "421 4.3.2 Service shutting down"),
        (admin.email, None, 1, lost),
    ]


# --- settings ------------------------------------------------------------------------------


def test_smtp_settings_defaults(tmp_path: Path) -> None:
    # Act
    settings = SmtpSettings.from_config(make_app(tmp_path).config)

    # Assert
    assert settings == SmtpSettings(
        host="127.0.0.1",
        port=25,
        tls="none",
        username="",
        password="",
        sender="地方創生提案平台 <noreply@localhost>",
        max_attempts=5,
    )


def test_smtp_settings_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Arrange
    environment = {
        "SMTP_HOST": "smtp.example.gov.tw",
        "SMTP_PORT": "587",
        "SMTP_TLS": "STARTTLS",
        "SMTP_USERNAME": "portal",
        "SMTP_PASSWORD": "s3cret",
        "MAIL_FROM": SENDER,
        "MAIL_MAX_ATTEMPTS": "8",
    }
    for key, value in environment.items():
        monkeypatch.setenv(f"PORTAL_{key}", value)

    # Act
    settings = SmtpSettings.from_config(make_app(tmp_path).config)

    # Assert
    assert settings == SmtpSettings(
        host="smtp.example.gov.tw",
        port=587,
        tls="starttls",
        username="portal",
        password="s3cret",
        sender=SENDER,
        max_attempts=8,
    )
    assert "s3cret" not in repr(settings)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("SMTP_TLS", "tls", "PORTAL_SMTP_TLS 必須是 none, starttls, ssl 之一，目前是「tls」"),
        ("SMTP_PORT", 0, "PORTAL_SMTP_PORT 必須介於 1 到 65535，目前是「0」"),
        ("MAIL_MAX_ATTEMPTS", 0, "PORTAL_MAIL_MAX_ATTEMPTS 至少要是 1，目前是「0」"),
        (
            "MAIL_FROM",
            "地方創生提案平台",
            "PORTAL_MAIL_FROM 必須是電子郵件地址，例如「地方創生提案平台 <noreply@example.gov.tw>」，"
            "目前是「地方創生提案平台」",
        ),
    ],
)
def test_smtp_settings_refuse_bad_values(tmp_path: Path, key: str, value: object, message: str) -> None:
    # Arrange
    config = make_app(tmp_path).config | {key: value}

    # Act
    with pytest.raises(ConfigError) as raised:
        SmtpSettings.from_config(config)

    # Assert
    assert str(raised.value) == message


# --- the command ---------------------------------------------------------------------------


def test_notifications_send_prints_summary(
    app: Flask, session: Session, server: Recorder, county_staff: list[User]
) -> None:
    # Arrange
    point_at(app, server.port)
    server.refuse[county_staff[1].email] = REFUSAL

    # Act
    result = invoke(app, "notifications", "send")

    # Assert
    assert (result.exit_code, result.output) == (0, "已寄出 1 封，失敗 1 封（將再重試），放棄 0 封。\n")
    assert [(email, sent is not None, attempts) for email, sent, attempts, _ in outbox(session)] == [
        (county_staff[0].email, True, 1),
        (county_staff[1].email, False, 1),
    ]


def test_notifications_send_server_down_exits_1(app: Flask, session: Session, county_staff: list[User]) -> None:
    # Arrange
    port = free_port()
    point_at(app, port)
    expected = f"無法連線到郵件伺服器 {HOST}:{port}（Connection refused）"

    # Act
    result = invoke(app, "notifications", "send")

    # Assert
    assert (result.exit_code, result.output) == (
        1,
        f"已寄出 0 封，失敗 2 封（將再重試），放棄 0 封。\n錯誤：{expected}\n",
    )
    assert outbox(session) == [(user.email, None, 1, expected) for user in county_staff]


def test_notifications_send_bad_setting_exits_1_and_changes_nothing(
    app: Flask, session: Session, server: Recorder, county_staff: list[User]
) -> None:
    # Arrange
    point_at(app, server.port)
    app.config["SMTP_TLS"] = "tls"

    # Act
    result = invoke(app, "notifications", "send")

    # Assert
    assert (result.exit_code, result.output) == (
        1,
        "錯誤：PORTAL_SMTP_TLS 必須是 none, starttls, ssl 之一，目前是「tls」\n",
    )
    assert outbox(session) == [(user.email, None, 0, "") for user in county_staff]


# --- overlapping runs ----------------------------------------------------------------------


def sender_loop(app: Flask, settings: SmtpSettings, start: threading.Barrier, sent: list[int]) -> None:
    """One `notifications send` run after another, in small batches, on its own session."""
    with db.database(app).session() as own:
        start.wait()
        while (summary := send_pending(own, settings, limit=4, now=NOW)).sent:
            sent.append(summary.sent)


def test_two_senders_at_once_deliver_each_message_exactly_once(
    app: Flask, make: Factory, session: Session, server: Recorder
) -> None:
    # Arrange
    server.delay = 0.01
    recipients = [make.user(Role.COUNTY, county=NANTOU) for _ in range(4)]
    queued = [queue(session, recipients[i % 4], f"通知 {i}", age_minutes=40 - i).id for i in range(40)]
    settings = settings_for(server.port)
    start = threading.Barrier(2)
    sent_by: list[list[int]] = [[], []]
    senders = [threading.Thread(target=sender_loop, args=(app, settings, start, sent)) for sent in sent_by]

    # Act
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join(timeout=60)

    # Assert
    deliveries = Counter(str(r.message["Message-ID"]).split(".")[1] for r in server.received)
    assert deliveries == Counter({str(message_id): 1 for message_id in queued})
    assert [sum(sent) > 0 for sent in sent_by] == [True, True]  # both runs really sent some
    session.expire_all()
    rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert {(m.sent_at, m.attempts, m.claim_token, m.claimed_at) for m in rows} == {(NOW, 1, None, None)}


def test_send_pending_skips_a_live_claim_and_takes_over_a_stale_one(
    session: Session, server: Recorder, settings: SmtpSettings, county_staff: list[User]
) -> None:
    # Arrange: another run claimed both messages and then was killed before sending.
    first, second = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    claim(session, settings, limit=10)
    session.refresh(first)
    first.claimed_at = first.claimed_at - timedelta(minutes=16) if first.claimed_at else None
    session.commit()

    # Act
    summary = send_pending(session, settings, now=NOW, claim_timeout=timedelta(minutes=15))

    # Assert
    assert summary == SendSummary(sent=1, failed=0, gave_up=0)
    assert [r.rcpt_tos for r in server.received] == [[county_staff[0].email]]
    session.expire_all()
    assert [(m.sent_at, m.claim_token is None) for m in (first, second)] == [(NOW, True), (None, False)]
