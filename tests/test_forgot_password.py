"""「忘記密碼」: a one-time link e-mailed through the outbox, the same answer whether or
not the address has an account, and a limit per hour."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import accounts, mail
from portal.auth import RESET_SENT
from portal.db.models import AuditEvent, OutboxMessage, User
from portal.domain.roles import Role
from tests.conftest import PULI, Auth, Factory
from tests.test_mail import Recorder, invoke, point_at, server  # noqa: F401 (the fixture)

NEW_PASSWORD = "稻浪與山風同行的早晨"
LINK = re.compile(r"http://127\.0\.0\.1:5000/auth/set-password/([A-Za-z0-9_-]{43})")


def ask(app: Flask, email: str) -> tuple[int, str, list[str]]:
    """Ask for a link as a signed-out visitor: the status, where it leads, its messages."""
    browser = Auth(app.test_client())
    response = browser.client.post("/auth/forgot", data={"email": email, "csrf_token": browser.csrf("/auth/forgot")})
    page = browser.client.get(response.location).get_data(as_text=True)
    return response.status_code, response.location, re.findall(r'class="flash-text">([^<]*)<', page)


def messages(session: Session) -> list[tuple[str, str, str]]:
    session.expire_all()
    return [
        (m.recipient.email, m.event, m.subject)
        for m in session.scalars(select(OutboxMessage).where(OutboxMessage.event == "password_reset"))
    ]


@pytest.fixture
def clerk(make: Factory, session: Session) -> User:
    user = make.user(Role.TOWNSHIP, township=PULI, name="埔里承辦")
    session.commit()
    return user


def test_the_login_page_leads_to_forgot_password(app: Flask) -> None:
    page = app.test_client().get("/auth/login").get_data(as_text=True)
    assert '<a href="/auth/forgot">忘記密碼？</a>' in page


def test_a_known_address_is_sent_a_link_through_the_outbox(app: Flask, session: Session, clerk: User) -> None:
    answer = ask(app, clerk.email.upper())

    assert answer == (302, "/auth/login", [RESET_SENT])
    assert messages(session) == [(clerk.email, "password_reset", "【地方創生提案平台】設定新密碼")]
    body = session.scalars(select(OutboxMessage.body)).one()
    assert LINK.search(body) is not None and body.startswith("埔里承辦 您好：")
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "password_reset")).all()
    assert [(e.actor_id, e.reason) for e in events] == [(clerk.id, "以「忘記密碼」寄出設定密碼連結")]


def test_an_unknown_or_disabled_address_gets_the_same_answer_and_no_mail(
    app: Flask, session: Session, make: Factory
) -> None:
    disabled = make.user(Role.COUNTY, county="10008")
    accounts.disable_user(session, disabled)
    session.commit()

    answers = [ask(app, "nobody@example.org"), ask(app, disabled.email)]

    assert answers == [(302, "/auth/login", [RESET_SENT])] * 2
    assert messages(session) == []


def test_a_second_link_ends_the_first_and_a_link_works_once(app: Flask, session: Session, clerk: User) -> None:
    ask(app, clerk.email)
    ask(app, clerk.email)
    first, second = (LINK.search(b)[1] for b in session.scalars(select(OutboxMessage.body).order_by(OutboxMessage.id)))  # type: ignore[index]
    client = app.test_client()

    assert client.get(f"/auth/set-password/{first}").status_code == 410
    assert client.get(f"/auth/set-password/{second}").status_code == 200


def test_requests_beyond_the_hours_limit_send_nothing_more_and_look_the_same(
    app: Flask, session: Session, clerk: User
) -> None:
    answers = [ask(app, clerk.email) for _ in range(accounts.RESET_PER_ACCOUNT + 2)]

    assert answers == [(302, "/auth/login", [RESET_SENT])] * (accounts.RESET_PER_ACCOUNT + 2)
    assert len(messages(session)) == accounts.RESET_PER_ACCOUNT


def test_an_empty_address_is_refused_next_to_the_field(app: Flask) -> None:
    browser = Auth(app.test_client())
    page = browser.client.post("/auth/forgot", data={"email": "", "csrf_token": browser.csrf("/auth/forgot")})

    assert page.status_code == 200
    assert '<p class="error-message" id="email-error">' in page.get_data(as_text=True)
    assert "請輸入您登入用的電子郵件" in page.get_data(as_text=True)


def test_the_mail_reaches_the_smtp_server_and_its_link_sets_a_new_password(
    app: Flask,
    session: Session,
    clerk: User,
    server: Recorder,  # noqa: F811
) -> None:
    point_at(app, server.port)
    ask(app, clerk.email)

    sent = invoke(app, "notifications", "send")
    received = [r for r in server.received if r.rcpt_tos == [clerk.email]]
    text = received[0].message.get_content()
    token = LINK.search(text)
    assert sent.exit_code == 0 and len(received) == 1 and token is not None

    browser = Auth(app.test_client())
    path = f"/auth/set-password/{token[1]}"
    done = browser.client.post(
        path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD, "csrf_token": browser.csrf(path)}
    )
    assert done.status_code == 302
    assert browser.login(clerk.email, NEW_PASSWORD).status_code == 302
    assert app.test_client().get(path).status_code == 410
    # Once mailed, the link stays in no table: the inbox copy says where it went.
    session.expire_all()
    assert session.scalars(select(OutboxMessage.body)).all() == [mail.SECRET_SENT]
