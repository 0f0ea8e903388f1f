"""Accounts: the password policy, `portal user add` and its one-time link, login
throttling across workers, and server-side sessions ended by logout or disabling."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import Result
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from portal import accounts, db
from portal.db.models import AuditEvent, LoginThrottle, User, utcnow
from portal.domain.passwords import password_problem
from portal.domain.roles import Role
from tests.conftest import PASSWORD, PULI, Auth, Factory, make_app

LOGIN_FAILED_TEXT = "電子郵件或密碼不正確。連續錯誤 5 次後，每次再試前需要等待，等待時間逐次加倍，最長 5 分鐘。"
ACCOUNT_WAIT_TEXT = "這個帳號最近多次登入失敗，請在 1 秒後再試。"
LINK_RE = r"http://127\.0\.0\.1:5000(/auth/set-password/[A-Za-z0-9_-]{43})"
NEW_EMAIL = "lin.meiling@example.org"


def invoke(app: Flask, *args: str) -> Result:
    """Run a `portal` command inside an app context, as the `portal` script does."""
    with app.app_context():
        return app.test_cli_runner().invoke(args=list(args))


def add_township_user(app: Flask) -> str:
    """`portal user add` for a 埔里鎮 clerk; returns the path of the set-password link."""
    result = invoke(
        app, "user", "add", "--email", NEW_EMAIL, "--name", "林美玲",
        "--role", "township", "--township", PULI,
    )  # fmt: skip
    match = re.search(LINK_RE, result.output)
    assert match, result.output
    return match.group(1)


def csrf_in(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def submit_password(client: FlaskClient, link: str, password: str, confirm: str | None = None) -> TestResponse:
    token = csrf_in(client.get("/auth/login").get_data(as_text=True))
    return client.post(
        link,
        data={"password": password, "confirm": confirm or password, "csrf_token": token},
    )


def flash_texts(html: str) -> list[str]:
    return re.findall(r'<span class="flash-text">(.*?)</span>', html, re.S)


def signed_in_as(html: str) -> list[str]:
    return re.findall(r'<strong class="account-name">(.*?)</strong>', html)


def headings(html: str) -> list[str]:
    return re.findall(r"<h1>(.*?)</h1>", html)


def field_error(html: str, field_id: str) -> str | None:
    match = re.search(rf'<p class="error-message" id="{field_id}-error">(.*?)</p>', html, re.S)
    return re.sub(r"<[^>]+>|\s", "", match.group(1)) if match else None


def stored_user(session: Session, email: str) -> User | None:
    session.expire_all()  # written by a request's or a command's own session
    return session.scalar(select(User).where(User.email == email))


def stored_hash(session: Session, email: str) -> str | None:
    user = stored_user(session, email)
    assert user is not None, f"no account {email}"
    return user.password_hash


@pytest.fixture
def other_worker(tmp_path: Path, app: Flask) -> Iterator[Flask]:
    """A second portal process on the same database file as `app`."""
    worker = make_app(tmp_path)
    yield worker
    db.database(worker).engine.dispose()


# --- the password policy ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "email", "problem"),
    [
        ("tea1234", "", "密碼至少需要 8 個字元。"),
        ("", "", "密碼至少需要 8 個字元。"),
        ("ab" + "c" * 255, "", "密碼不可超過 256 個字元。"),
        ("password1", "", "這是常見密碼，很容易被猜中，請換一個。"),
        ("12345678", "", "這是常見密碼，很容易被猜中，請換一個。"),
        ("PassWord1", "", "這是常見密碼，很容易被猜中，請換一個。"),
        ("aaaaaaaa", "", "密碼不可只由一兩種字元重複組成。"),
        ("abababababab", "", "密碼不可只由一兩種字元重複組成。"),
        ("meiling-tea-2026", "meiling@example.org", "密碼不可包含您的電子郵件帳號名稱。"),
        ("MeiLing-tea-2026", "meiling@example.org", "密碼不可包含您的電子郵件帳號名稱。"),
        ("bob-tea-fields", "bob@example.org", None),
        ("tea-fields-at-dawn", "meiling@example.org", None),
        ("埔里的清晨有霧也有茶香", "", None),
    ],
)
def test_password_problem_table(password: str, email: str, problem: str | None) -> None:
    # Act
    found = password_problem(password, email)

    # Assert
    assert found == problem


def test_hash_password_is_argon2id() -> None:
    # Act
    stored = accounts.hash_password(PASSWORD)

    # Assert
    assert stored.split("$")[:3] == ["", "argon2id", "v=19"]


# --- `portal user add` and the one-time link --------------------------------------------------


def test_user_add_prints_set_password_link(app: Flask, session: Session) -> None:
    # Act
    result = invoke(
        app, "user", "add", "--email", "Lin.MeiLing@Example.org", "--name", "林美玲",
        "--role", "township", "--township", PULI,
    )  # fmt: skip

    # Assert
    lines = result.output.splitlines()
    assert (result.exit_code, lines[:2], len(lines)) == (
        0,
        [
            "已新增 lin.meiling@example.org（鄉鎮市區公所承辦人，南投縣埔里鎮）。",
            "設定密碼連結（72 小時內有效，只能使用一次）：",
        ],
        3,
    )
    assert re.fullmatch(LINK_RE, lines[2])
    user = stored_user(session, NEW_EMAIL)
    assert user is not None
    assert (user.name, user.role, user.township_code, user.county_code, user.password_hash) == (
        "林美玲",
        "township",
        PULI,
        None,
        None,
    )


def test_set_password_link_then_login_works(app: Flask, client: FlaskClient, auth: Auth) -> None:
    # Arrange
    link = add_township_user(app)
    form_page = client.get(link)

    # Act
    response = submit_password(client, link, PASSWORD)

    # Assert
    assert (form_page.status_code, headings(form_page.get_data(as_text=True))) == (200, ["設定密碼"])
    assert response.location == "/auth/login"
    login_page = client.get("/auth/login").get_data(as_text=True)
    assert flash_texts(login_page) == [f"已為 {NEW_EMAIL} 設定密碼，請登入。"]
    login = auth.login(NEW_EMAIL, PASSWORD)
    assert login.location == "/"
    assert signed_in_as(client.get("/").get_data(as_text=True)) == ["林美玲"]


def test_set_password_link_stores_argon2id_hash(app: Flask, client: FlaskClient, session: Session) -> None:
    # Arrange
    link = add_township_user(app)

    # Act
    submit_password(client, link, PASSWORD)

    # Assert
    user = stored_user(session, NEW_EMAIL)
    assert user is not None and user.password_hash is not None
    assert user.password_hash.split("$")[:3] == ["", "argon2id", "v=19"]


def test_set_password_link_second_use_shows_expired_page(app: Flask, client: FlaskClient, session: Session) -> None:
    # Arrange
    link = add_township_user(app)
    submit_password(client, link, PASSWORD)
    first_hash = stored_hash(session, NEW_EMAIL)

    # Act
    page = client.get(link)
    post = submit_password(client, link, "another-long-passphrase")

    # Assert
    assert (page.status_code, headings(page.get_data(as_text=True))) == (
        410,
        ["這個設定密碼連結已失效"],
    )
    assert (post.status_code, headings(post.get_data(as_text=True))) == (
        410,
        ["這個設定密碼連結已失效"],
    )
    assert stored_hash(session, NEW_EMAIL) == first_hash


def test_user_link_makes_earlier_link_expire(app: Flask, client: FlaskClient) -> None:
    # Arrange
    first_link = add_township_user(app)
    relinked = invoke(app, "user", "link", NEW_EMAIL)
    second_link = re.fullmatch(LINK_RE + "\n", relinked.output)
    assert second_link

    # Act
    old = client.get(first_link)
    new = client.get(second_link.group(1))

    # Assert
    assert (old.status_code, new.status_code) == (410, 200)


def test_set_password_common_password_shows_error_next_to_field(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    # Arrange
    link = add_township_user(app)

    # Act
    response = submit_password(client, link, "password1")

    # Assert
    html = response.get_data(as_text=True)
    assert (response.status_code, field_error(html, "password"), field_error(html, "confirm")) == (
        200,
        "錯誤：這是常見密碼，很容易被猜中，請換一個。",
        None,
    )
    assert stored_hash(session, NEW_EMAIL) is None


def test_set_password_after_refused_password_can_retry(app: Flask, client: FlaskClient, auth: Auth) -> None:
    # Arrange
    link = add_township_user(app)
    submit_password(client, link, "password1")

    # Act
    response = submit_password(client, link, PASSWORD)

    # Assert
    assert response.location == "/auth/login"
    assert auth.login(NEW_EMAIL, PASSWORD).location == "/"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--email", "TOWNSHIP1@Example.org", "--name", "另一位", "--role", "reviewer"],
            "錯誤：已有帳號使用電子郵件 township1@example.org\n",
        ),
        (
            ["--email", NEW_EMAIL, "--name", "林美玲", "--role", "township",
             "--township", "99999999"],
            "錯誤：找不到鄉鎮市區代碼「99999999」\n",
        ),
        (
            ["--email", NEW_EMAIL, "--name", "林美玲", "--role", "township"],
            "錯誤：鄉鎮市區公所承辦人的帳號必須選擇所屬鄉鎮市區\n",
        ),
        (
            ["--email", NEW_EMAIL, "--name", "陳縣府", "--role", "county"],
            "錯誤：縣市政府窗口的帳號必須選擇所屬縣市\n",
        ),
        (
            ["--email", NEW_EMAIL, "--name", "陳縣府", "--role", "county", "--county", "99999"],
            "錯誤：找不到縣市代碼「99999」\n",
        ),
        (
            ["--email", "not-an-email", "--name", "林美玲", "--role", "reviewer"],
            "錯誤：電子郵件格式不正確：「not-an-email」\n",
        ),
    ],
    ids=["duplicate-email", "unknown-township", "township-missing", "county-missing",
         "unknown-county", "bad-email"],
)  # fmt: skip
def test_user_add_refused_writes_nothing(
    app: Flask, make: Factory, session: Session, args: list[str], message: str
) -> None:
    # Arrange: one account exists already, township1@example.org
    existing = make.user(Role.TOWNSHIP, township=PULI)

    # Act
    result = invoke(app, "user", "add", *args)

    # Assert
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", message)
    session.expire_all()
    assert list(session.scalars(select(User.email))) == [existing.email]
    assert list(session.scalars(select(AuditEvent.action))) == []


# --- login failures and the lock ----------------------------------------------------------------


def login_outcome(response: TestResponse) -> tuple[int, str | None, list[str]]:
    return response.status_code, response.location, flash_texts(response.get_data(as_text=True))


def test_login_wrong_password_and_unknown_email_show_same_error(auth: Auth, make: Factory) -> None:
    # Arrange
    user = make.user(Role.TOWNSHIP, township=PULI)

    # Act
    wrong_password = auth.login(user.email, "not-the-password")
    unknown_email = auth.login("nobody@example.org", "not-the-password")

    # Assert
    assert login_outcome(wrong_password) == (200, None, [LOGIN_FAILED_TEXT])
    assert login_outcome(unknown_email) == (200, None, [LOGIN_FAILED_TEXT])


def test_login_below_max_failures_accepts_correct_password(auth: Auth, make: Factory) -> None:
    # Arrange
    user = make.user(Role.TOWNSHIP, township=PULI)
    for _ in range(4):
        auth.login(user.email, "not-the-password")

    # Act
    response = auth.login(user.email, PASSWORD)

    # Assert
    assert login_outcome(response) == (302, "/", [])


def test_login_after_max_failures_refuses_correct_password(auth: Auth, make: Factory) -> None:
    # Arrange
    user = make.user(Role.TOWNSHIP, township=PULI)
    for _ in range(5):
        auth.login(user.email, "not-the-password")

    # Act
    response = auth.login(user.email, PASSWORD)

    # Assert
    assert login_outcome(response) == (200, None, [ACCOUNT_WAIT_TEXT])


def test_login_failures_count_across_letter_case(auth: Auth, make: Factory) -> None:
    # Arrange
    user = make.user(Role.TOWNSHIP, township=PULI)
    for variant in ("TOWNSHIP1@example.org", "Township1@Example.org", "township1@EXAMPLE.ORG"):
        auth.login(variant, "not-the-password")
    auth.login(user.email, "not-the-password")
    auth.login(user.email.upper(), "not-the-password")

    # Act
    response = auth.login(user.email, PASSWORD)

    # Assert
    assert login_outcome(response) == (200, None, [ACCOUNT_WAIT_TEXT])


@pytest.mark.parametrize(
    ("later", "accepted"),
    [
        (timedelta(0), False),
        (timedelta(milliseconds=999), False),
        (timedelta(seconds=1), True),
        (timedelta(hours=2), True),
    ],
)
def test_authenticate_first_delay_lasts_a_second(
    make: Factory, session: Session, later: timedelta, accepted: bool
) -> None:
    # Arrange
    user = make.user(Role.TOWNSHIP, township=PULI)
    policy = accounts.ThrottlePolicy(max_failures=5)
    start = utcnow()
    for _ in range(5):
        accounts.authenticate(session, user.email, "not-the-password", policy, "192.0.2.1", now=start)

    # Act
    found = accounts.authenticate(session, user.email, PASSWORD, policy, "192.0.2.1", now=start + later).user

    # Assert
    assert (found.id if found else None) == (user.id if accepted else None)


def test_lockout_holds_on_another_worker(auth: Auth, make: Factory, other_worker: Flask) -> None:
    # Arrange
    user = make.user(Role.TOWNSHIP, township=PULI)
    for _ in range(5):
        auth.login(user.email, "not-the-password")

    # Act
    response = Auth(other_worker.test_client()).login(user.email, PASSWORD)

    # Assert
    assert login_outcome(response) == (200, None, [ACCOUNT_WAIT_TEXT])


def test_lockout_counts_failures_made_on_both_workers(auth: Auth, make: Factory, other_worker: Flask) -> None:
    # Arrange
    user = make.user(Role.TOWNSHIP, township=PULI)
    other = Auth(other_worker.test_client())
    for _ in range(3):
        auth.login(user.email, "not-the-password")
    for _ in range(2):
        other.login(user.email, "not-the-password")

    # Act
    response = auth.login(user.email, PASSWORD)

    # Assert
    assert login_outcome(response) == (200, None, [ACCOUNT_WAIT_TEXT])


# --- server-side sessions -------------------------------------------------------------------------


def copied_cookie_visit(worker: Flask, cookie: str) -> tuple[int, str | None, list[str]]:
    """GET / on a fresh client that presents a copy of someone's session cookie."""
    stranger = worker.test_client()
    stranger.set_cookie("session", cookie)
    response = stranger.get("/")
    return response.status_code, response.location, signed_in_as(response.get_data(as_text=True))


def test_copied_session_cookie_works_while_logged_in(
    client: FlaskClient, auth: Auth, make: Factory, other_worker: Flask
) -> None:
    # Arrange
    user = make.user(Role.TOWNSHIP, township=PULI, name="林美玲")
    auth.login(user.email)
    cookie = client.get_cookie("session")
    assert cookie is not None

    # Act
    outcome = copied_cookie_visit(other_worker, cookie.value)

    # Assert
    assert outcome == (200, None, ["林美玲"])


def test_logout_copied_session_cookie_is_refused(
    app: Flask, client: FlaskClient, auth: Auth, make: Factory, other_worker: Flask
) -> None:
    # Arrange
    user = make.user(Role.TOWNSHIP, township=PULI)
    auth.login(user.email)
    cookie = client.get_cookie("session")
    assert cookie is not None

    # Act
    logout = auth.logout()

    # Assert
    assert logout.location == "/auth/login"
    assert copied_cookie_visit(app, cookie.value) == (302, "/auth/login?next=%2F", [])
    assert copied_cookie_visit(other_worker, cookie.value) == (302, "/auth/login?next=%2F", [])


def test_user_disable_ends_logged_in_session(app: Flask, client: FlaskClient, auth: Auth, make: Factory) -> None:
    # Arrange
    user = make.user(Role.TOWNSHIP, township=PULI)
    auth.login(user.email)
    cookie = client.get_cookie("session")
    assert cookie is not None

    # Act
    result = invoke(app, "user", "disable", user.email)

    # Assert
    assert (result.exit_code, result.output) == (0, f"已停用 {user.email}。\n")
    response = client.get("/")
    assert (response.status_code, response.location) == (302, "/auth/login?next=%2F")
    assert copied_cookie_visit(app, cookie.value) == (302, "/auth/login?next=%2F", [])


def test_user_disable_refuses_later_login(app: Flask, auth: Auth, make: Factory) -> None:
    # Arrange
    user = make.user(Role.TOWNSHIP, township=PULI)
    invoke(app, "user", "disable", user.email)

    # Act
    response = auth.login(user.email, PASSWORD)

    # Assert
    assert login_outcome(response) == (200, None, [LOGIN_FAILED_TEXT])


def test_record_failure_forgets_counters_older_than_a_day(app: Flask, session: Session) -> None:
    # Arrange: a failure two days ago for one address
    policy = accounts.ThrottlePolicy()
    long_ago = datetime.now(UTC) - timedelta(days=2)
    accounts.record_failure(session, "old@example.org", "192.0.2.1", policy, now=long_ago)
    session.commit()

    # Act: a failure now for another address
    accounts.record_failure(session, "new@example.org", "192.0.2.2", policy)
    session.commit()

    # Assert: the new account's and the new client address's counters only
    new_account = "account:" + hashlib.sha256(b"new@example.org").hexdigest()
    assert sorted(session.scalars(select(LoginThrottle.key))) == [new_account, "address:192.0.2.2"]
