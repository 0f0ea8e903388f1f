"""What an attacker or a clumsy request finds: the `next` check, the form stash behind a
live session, login throttling that cannot lock a victim out, no 500 from malformed
input, single-line fields, links from PORTAL_BASE_URL, conflicts and visibility."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict
from werkzeug.test import TestResponse
from wtforms import EmailField, Form, StringField

from portal import accounts, db, operations, review
from portal.db.models import FormStash, Proposal, User, UserSession, utcnow
from portal.domain import permissions as perm
from portal.domain.proposal import ProposalType
from portal.domain.roles import Role
from portal.domain.workflow import Action
from portal.forms import admin as admin_forms
from portal.forms import auth as auth_forms
from portal.forms import review as review_forms
from portal.forms import wizard as wizard_forms
from portal.forms import workflow as workflow_forms
from tests.conftest import DAREN, GUOXING, NANTOU, PASSWORD, PULI, TAITUNG, Auth, Factory, make_app


def flash_texts(html: str) -> list[str]:
    return re.findall(r'<span class="flash-text">(.*?)</span>', html, re.S)


def login_at(client: FlaskClient, email: str, password: str = PASSWORD, query: str = "") -> TestResponse:
    return Auth(client).client.post(
        "/auth/login" + query,
        data={"email": email, "password": password, "csrf_token": Auth(client).csrf("/auth/login")},
    )


# --- 1. the `next` parameter after login ------------------------------------------------------

# Each of these, read by a browser, leaves the site or is not a plain path.
UNSAFE_NEXT = [
    "/\t/evil.example/",
    "/%09/evil.example/",
    "//evil.example/",
    "///evil.example/",
    "/\\evil.example/",
    "\\\\evil.example/",
    "/\\/evil.example/",
    " //evil.example/",
    "\t//evil.example/",
    "/\n/evil.example/",
    "/\r/evil.example/",
    "/\r\nSet-Cookie: taken=1",
    "\x00//evil.example/",
    "/\x0b/evil.example/",
    "/\u3000/evil.example/",
    "https://evil.example/",
    "http:/evil.example/",
    "https:evil.example",
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "evil.example",
    "%2F%2Fevil.example",
    "/ /evil.example/",
]


@pytest.mark.parametrize("target", UNSAFE_NEXT)
def test_login_next_leaving_the_site_goes_home(client: FlaskClient, make: Factory, target: str) -> None:
    user = make.user(Role.TOWNSHIP, township=PULI)

    response = client.post(
        "/auth/login",
        query_string={"next": target},
        data={"email": user.email, "password": PASSWORD, "csrf_token": Auth(client).csrf("/auth/login")},
    )

    assert (response.status_code, response.headers["Location"]) == (302, "/")


@pytest.mark.parametrize(
    "target", ["/", "/review/", "/proposals/3/edit/basics?step=2#rows-1-name", "/proposals/%E5%9F%94/x"]
)
def test_login_next_on_the_site_is_followed(client: FlaskClient, make: Factory, target: str) -> None:
    user = make.user(Role.TOWNSHIP, township=PULI)

    response = client.post(
        "/auth/login",
        query_string={"next": target},
        data={"email": user.email, "password": PASSWORD, "csrf_token": Auth(client).csrf("/auth/login")},
    )

    assert (response.status_code, response.headers["Location"]) == (302, target)


# --- 2. the form stash -------------------------------------------------------------------------


@pytest.fixture
def draft(make: Factory) -> Proposal:
    author = make.user(Role.TOWNSHIP, township=PULI)
    return make.proposal(author)


def township_of(session: Session, draft: Proposal) -> User:
    user = session.get(User, draft.created_by_id)
    assert user is not None
    return user


def stash_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(FormStash)) or 0


def expire_logins(session: Session, user_id: int, idle: timedelta = timedelta(hours=3)) -> None:
    session.execute(update(UserSession).where(UserSession.user_id == user_id).values(last_seen_at=utcnow() - idle))
    session.commit()


def post_section(client: FlaskClient, proposal_id: int, data: dict[str, str]) -> TestResponse:
    return client.post(f"/proposals/{proposal_id}/edit/stakeholders", data=data)


def test_stash_refused_for_a_logged_out_session(
    app: Flask, client: FlaskClient, draft: Proposal, session: Session
) -> None:
    user = township_of(session, draft)
    Auth(client).login(user.email)
    cookie = client.get_cookie("session")
    assert cookie is not None
    Auth(client).logout()
    replay = app.test_client()
    replay.set_cookie("session", cookie.value)

    response = post_section(replay, draft.id, {"rows-0-name": "x" * 1000})

    assert (response.status_code, stash_count(session)) == (302, 0)
    assert flash_texts(replay.get(response.location).get_data(as_text=True)) == ["請先登入。"]


def test_stash_refused_for_a_disabled_account(client: FlaskClient, draft: Proposal, session: Session) -> None:
    user = township_of(session, draft)
    Auth(client).login(user.email)
    accounts.disable_user(session, user)
    session.commit()

    response = post_section(client, draft.id, {"rows-0-name": "停用後送出"})

    assert (response.status_code, stash_count(session)) == (302, 0)


def test_stash_refused_when_the_login_ended_longer_ago_than_a_session_lasts(
    client: FlaskClient, draft: Proposal, session: Session
) -> None:
    user = township_of(session, draft)
    Auth(client).login(user.email)
    expire_logins(session, user.id, idle=timedelta(hours=13))

    response = post_section(client, draft.id, {"rows-0-name": "隔夜送出"})

    assert (response.status_code, stash_count(session)) == (302, 0)


def test_stash_over_the_size_limit_is_refused_with_the_input_shown(
    client: FlaskClient, draft: Proposal, session: Session
) -> None:
    user = township_of(session, draft)
    Auth(client).login(user.email)
    expire_logins(session, user.id)
    long_text = "埔" * 100_000  # 300 KB in UTF-8

    response = post_section(client, draft.id, {"rows-0-name": long_text, "rows-0-role": "角色<b>"})
    html = response.get_data(as_text=True)

    assert (response.status_code, stash_count(session)) == (413, 0)
    assert re.findall(r"<h1>(.*?)</h1>", html) == ["登入已逾時，輸入內容太大無法暫存"]
    assert re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>\n?(.*?)</textarea>', html, re.S) == [
        ("rows-0-name", long_text),
        ("rows-0-role", "角色&lt;b&gt;"),
    ]


def test_stash_write_purges_rows_older_than_a_session(client: FlaskClient, draft: Proposal, session: Session) -> None:
    user = township_of(session, draft)
    old = FormStash(token_hash="0" * 64, user_id=user.id, path="/x", form={}, created_at=utcnow() - timedelta(hours=13))
    recent = FormStash(
        token_hash="1" * 64, user_id=user.id, path="/y", form={}, created_at=utcnow() - timedelta(hours=1)
    )
    session.add_all([old, recent])
    session.commit()
    Auth(client).login(user.email)
    expire_logins(session, user.id)

    post_section(client, draft.id, {"rows-0-name": "逾時前打的字"})

    session.expire_all()
    assert sorted(s.path for s in session.scalars(select(FormStash))) == [
        f"/proposals/{draft.id}/edit/stakeholders",
        "/y",
    ]


def test_login_purges_stash_rows_older_than_a_session(client: FlaskClient, make: Factory, session: Session) -> None:
    user = make.user(Role.TOWNSHIP, township=PULI)
    session.add(
        FormStash(token_hash="0" * 64, user_id=user.id, path="/x", form={}, created_at=utcnow() - timedelta(hours=13))
    )
    session.commit()

    Auth(client).login(user.email)

    assert stash_count(session) == 0


# --- 3. login throttling -----------------------------------------------------------------------

POLICY = accounts.ThrottlePolicy(max_failures=5, max_delay_seconds=300, address_max_failures=30, address_minutes=15)
ATTACKER, OFFICE = "203.0.113.9", "198.51.100.20"


def attempt(session: Session, email: str, password: str, address: str, at: timedelta) -> accounts.LoginResult:
    result = accounts.authenticate(session, email, password, POLICY, address, now=START + at)
    session.commit()
    return result


START = utcnow()


def test_account_delay_grows_after_free_failures_and_is_capped() -> None:
    delays = [POLICY.delay_after(n) for n in range(1, 17)]

    assert delays == [0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]


def test_wrong_guesses_never_lock_the_owner_out_longer_than_the_cap(make: Factory, session: Session) -> None:
    user = make.user(Role.TOWNSHIP, township=PULI)
    # An attacker spreads 20 guesses over many addresses, each as soon as it is allowed:
    # from the 14th on, the wait is at its cap.
    at = timedelta(0)
    for n in range(20):
        result = attempt(session, user.email, f"guess-{n}", f"192.0.2.{n % 250}", at)
        at += timedelta(seconds=POLICY.delay_after(n + 1))
    refused_now = attempt(session, user.email, PASSWORD, OFFICE, at - timedelta(seconds=1))

    owner = attempt(session, user.email, PASSWORD, OFFICE, at)

    assert result.user is None
    assert (refused_now.user, refused_now.wait_seconds) == (None, 1)
    assert (owner.user.id if owner.user else None, owner.wait_seconds) == (user.id, 0)


def test_account_delay_refuses_even_the_right_password_until_it_passes(make: Factory, session: Session) -> None:
    user = make.user(Role.TOWNSHIP, township=PULI)
    for _ in range(5):
        attempt(session, user.email, "not-the-password", ATTACKER, timedelta(0))
    too_soon = attempt(session, user.email, "not-the-password", ATTACKER, timedelta(milliseconds=500))
    attempt(session, user.email, "not-the-password", ATTACKER, timedelta(seconds=1))  # the 6th: 2 s

    early = attempt(session, user.email, PASSWORD, OFFICE, timedelta(seconds=2))
    later = attempt(session, user.email, PASSWORD, OFFICE, timedelta(seconds=3))

    assert (too_soon.user, too_soon.wait_seconds, too_soon.limit) == (None, 1, "account")
    assert (early.user, early.wait_seconds) == (None, 1)
    assert later.user is not None and later.user.id == user.id


def test_address_limit_spans_all_accounts_and_spares_other_addresses(make: Factory, session: Session) -> None:
    user = make.user(Role.TOWNSHIP, township=PULI)
    for n in range(30):
        attempt(session, f"clerk{n}@example.org", "guess", ATTACKER, timedelta(seconds=n))

    from_attacker = attempt(session, user.email, PASSWORD, ATTACKER, timedelta(minutes=1))
    from_office = attempt(session, user.email, PASSWORD, OFFICE, timedelta(minutes=1))
    after_window = attempt(session, user.email, PASSWORD, ATTACKER, timedelta(minutes=15))

    assert (from_attacker.user, from_attacker.wait_seconds) == (None, 14 * 60)
    assert from_office.user is not None and from_office.user.id == user.id
    assert after_window.user is not None and after_window.user.id == user.id


@pytest.fixture
def other_worker(tmp_path: Path, app: Flask) -> Iterator[Flask]:
    """A second portal process on the same database as `app`."""
    worker = make_app(tmp_path)
    yield worker
    db.database(worker).engine.dispose()


def login_from(worker: Flask, address: str, email: str, password: str) -> TestResponse:
    client = worker.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return login_at(client, email, password)


def test_account_delay_holds_on_another_worker(app: Flask, other_worker: Flask, make: Factory) -> None:
    user = make.user(Role.TOWNSHIP, township=PULI)
    for _ in range(3):
        login_from(app, ATTACKER, user.email, "not-the-password")
    for _ in range(2):
        login_from(other_worker, ATTACKER, user.email, "not-the-password")

    response = login_from(app, OFFICE, user.email, PASSWORD)

    assert response.status_code == 200
    assert flash_texts(response.get_data(as_text=True)) == ["這個帳號最近多次登入失敗，請在 1 秒後再試。"]


def test_address_limit_holds_on_another_worker(app: Flask, other_worker: Flask, make: Factory) -> None:
    user = make.user(Role.TOWNSHIP, township=PULI)
    for n in range(15):
        login_from(app, ATTACKER, f"a{n}@example.org", "guess")
        login_from(other_worker, ATTACKER, f"b{n}@example.org", "guess")

    refused = login_from(other_worker, ATTACKER, user.email, PASSWORD)
    elsewhere = login_from(app, OFFICE, user.email, PASSWORD)

    assert flash_texts(refused.get_data(as_text=True)) == ["這個網路位址最近登入失敗太多次，請在 15 分鐘後再試。"]
    assert (elsewhere.status_code, elsewhere.headers["Location"]) == (302, "/")


def test_a_successful_login_clears_the_account_delay(make: Factory, session: Session) -> None:
    user = make.user(Role.TOWNSHIP, township=PULI)
    for _ in range(5):
        attempt(session, user.email, "not-the-password", OFFICE, timedelta(0))
    attempt(session, user.email, PASSWORD, OFFICE, timedelta(seconds=1))

    slip = attempt(session, user.email, "typo", OFFICE, timedelta(seconds=1))
    again = attempt(session, user.email, PASSWORD, OFFICE, timedelta(seconds=1))

    assert (slip.user, slip.wait_seconds) == (None, 0)
    assert again.user is not None and again.user.id == user.id


# --- 4. no 500 from malformed input ------------------------------------------------------------

HUGE = [str(2**63), str(2**64), "99999999999999999999"]


@pytest.fixture
def actors(make: Factory, session: Session) -> dict[str, User | None]:
    """One account of each role, a disabled one, and nobody."""
    township = make.user(Role.TOWNSHIP, township=PULI)
    disabled = make.user(Role.TOWNSHIP, township=GUOXING)
    accounts.disable_user(session, disabled)
    session.commit()
    make.proposal(township)
    return {
        "anonymous": None,
        "township": township,
        "county": make.user(Role.COUNTY, county=NANTOU),
        "reviewer": make.user(Role.REVIEWER),
        "admin": make.user(Role.ADMIN),
        "disabled": disabled,
    }


def signed_in(app: Flask, user: User | None) -> FlaskClient:
    client = app.test_client()
    if user is not None:
        Auth(client).login(user.email)
    return client


FUZZ_CASES = [
    ("GET", "/proposals/99999999999999999999", None),
    ("GET", f"/proposals/{2**63}/edit", None),
    ("GET", f"/proposals/1/revisions/{2**64}/brief", None),
    ("GET", f"/review/{2**63}", None),
    ("GET", "/admin/audit?until=9999-12-31", None),
    ("GET", "/admin/audit?since=0001-01-01&until=0001-01-01", None),
    ("GET", "/admin/audit?since=9999-12-31", None),
    ("GET", f"/admin/audit?page={2**64}", None),
    ("GET", f"/admin/audit?proposal={2**63}", None),
    ("GET", "/auth/login?next=/%0d%0aSet-Cookie:%20a=1", None),
    ("GET", "/admin/showcase/preview/埔里", None),
    ("GET", "/admin/showcase/preview/%F0%9F%8C%8F/x", None),
    ("GET", "/admin/showcase/preview/%FF%FE", None),
    ("POST", f"/admin/users/{2**63}/active", {}),
    ("POST", f"/admin/programmes/{2**64}", {"ministry": "a", "name": "b"}),
    ("POST", f"/proposals/{2**63}/transition", {"action": "submit"}),
    ("POST", "/auth/login?next=/%0d%0aSet-Cookie:%20a=1", {"email": "x@example.org", "password": "y"}),
]


@pytest.mark.parametrize("role", ["anonymous", "township", "county", "reviewer", "admin", "disabled"])
def test_fuzz_cases_never_give_a_server_error(app: Flask, actors: dict[str, User | None], role: str) -> None:
    client = signed_in(app, actors[role])
    app.config["PROPAGATE_EXCEPTIONS"] = False

    statuses = {}
    for method, path, data in FUZZ_CASES:
        response = client.open(path, method=method, data=data)
        statuses[(method, path)] = response.status_code

    assert {k: v for k, v in statuses.items() if v >= 500} == {}


def test_login_with_crlf_in_next_goes_home(client: FlaskClient, make: Factory) -> None:
    user = make.user(Role.TOWNSHIP, township=PULI)

    response = login_at(client, user.email, query="?next=/%0d%0aSet-Cookie:%20a=1")

    assert (response.status_code, response.headers["Location"], response.headers.get("Set-Cookie", "")[:8]) == (
        302,
        "/",
        "session=",
    )


def test_huge_proposal_id_is_not_found(client: FlaskClient, make: Factory) -> None:
    user = make.user(Role.TOWNSHIP, township=PULI)
    Auth(client).login(user.email)

    response = client.get("/proposals/99999999999999999999")

    assert (response.status_code, re.findall(r"<h1>(.*?)</h1>", response.get_data(as_text=True))) == (
        404,
        ["找不到這個頁面"],
    )


def test_audit_until_the_last_day_of_the_calendar_lists_everything(
    client: FlaskClient, make: Factory, session: Session
) -> None:
    admin = make.user(Role.ADMIN)
    operations.audit(session, admin, "user_add", reason="first@example.org")
    session.commit()
    Auth(client).login(admin.email)

    response = client.get("/admin/audit?since=0001-01-01&until=9999-12-31")

    assert (response.status_code, "first@example.org" in response.get_data(as_text=True)) == (200, True)


def test_preview_path_outside_latin1_gets_the_showcase_404(client: FlaskClient, make: Factory) -> None:
    admin = make.user(Role.ADMIN)
    Auth(client).login(admin.email)

    response = client.get("/admin/showcase/preview/埔里/")

    assert response.status_code == 404


BAD_INTS = ["0", str(2**63 - 1), str(2**63), str(2**64), "1" * 30]
BAD_TEXT = ["%00", "%E5%9F%94%E9%87%8C", "..%2F..%2Fetc", "%0D%0Ax", "a" * 300, "%FF"]
BAD_QUERY = [
    "page=" + str(2**64),
    "page=-1",
    "until=9999-12-31",
    "since=9999-12-31&until=0001-01-01",
    "next=/%0d%0ax",
    "proposal=%00",
    "cycle=%0d%0a2026",
    "action=%FF",
]


def generated_get_paths(app: Flask) -> list[str]:
    """Every GET rule of the URL map with bad ids and texts, plus bad query strings."""
    paths: set[str] = set()
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or set()) or rule.endpoint == "static":
            continue
        ints = [name for name, conv in rule._converters.items() if type(conv).__name__.endswith("IntegerConverter")]
        for n, bad_int in enumerate(BAD_INTS):
            values = {name: bad_int if name in ints else BAD_TEXT[n % len(BAD_TEXT)] for name in rule.arguments}
            paths.add(re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: values[m.group(1)], rule.rule))  # noqa: B023
        base = re.sub(r"<(?:[^:>]+:)?([^>]+)>", "1", rule.rule)
        paths.update(f"{base}?{query}" for query in BAD_QUERY)
    return sorted(paths)


@pytest.mark.parametrize("role", ["anonymous", "township", "county", "reviewer", "admin", "disabled"])
def test_generated_bad_values_on_every_get_rule_never_give_a_server_error(
    app: Flask, actors: dict[str, User | None], role: str
) -> None:
    client = signed_in(app, actors[role])
    app.config["PROPAGATE_EXCEPTIONS"] = False
    paths = generated_get_paths(app)

    failures = {path: client.get(path).status_code for path in paths}

    assert len(paths) > 150
    assert {path: code for path, code in failures.items() if code >= 500} == {}


# --- 5. single-line fields ---------------------------------------------------------------------

FORM_MODULES = (admin_forms, auth_forms, review_forms, wizard_forms, workflow_forms)


def single_line_fields() -> list[tuple[type[Form], str]]:
    """Every plain text input (not a text area) of every form, with its form class."""
    found = []
    for module in FORM_MODULES:
        for value in vars(module).values():
            if not (isinstance(value, type) and issubclass(value, Form)) or value.__module__ != module.__name__:
                continue
            for name in dir(value):
                unbound = getattr(value, name)
                if getattr(unbound, "field_class", None) in (StringField, EmailField):
                    found.append((value, name))
    return found


def test_every_single_line_field_is_found() -> None:
    names = {f"{form.__name__}.{name}" for form, name in single_line_fields()}

    assert {"BasicsForm.title", "BusinessItem.name", "UserForm.name", "AffiliationForm.reason"} <= names
    assert len(names) >= 20


@pytest.mark.parametrize(("form_class", "name"), single_line_fields(), ids=lambda v: getattr(v, "__name__", v))
@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r", "\u2028"])
def test_single_line_field_rejects_a_newline(app: Flask, form_class: type[Form], name: str, newline: str) -> None:
    with app.test_request_context():
        form = form_class(MultiDict({name: f"上半{newline}下半"}), meta={"csrf": False})
        form[name].validate(form)

    assert "只能填一行" in " ".join(str(e) for e in form[name].errors)


def test_title_with_a_newline_is_refused_next_to_the_field(
    client: FlaskClient, draft: Proposal, session: Session
) -> None:
    user = township_of(session, draft)
    Auth(client).login(user.email)
    path = f"/proposals/{draft.id}/edit/basics"
    page = client.get(path).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    version = re.search(r'name="version" type="hidden" value="([^"]*)"', page)
    assert token and version

    response = client.post(
        path,
        data={
            "csrf_token": token.group(1),
            "version": version.group(1),
            "title": "埔里\n共好",
            "type": "township",
            "lead_township": PULI,
        },
    )
    html = response.get_data(as_text=True)

    error = re.search(r'<p class="error-message" id="title-error">(.*?)</p>', html, re.S)
    assert response.status_code == 400
    assert error is not None and re.sub(r"<[^>]+>|\s", "", error.group(1)) == "錯誤：這個欄位只能填一行，請刪除換行。"
    session.expire_all()
    assert session.get(Proposal, draft.id).title == "埔里生態城鄉共好計畫"  # type: ignore[union-attr]


# --- 6. links from PORTAL_BASE_URL -------------------------------------------------------------


def test_set_password_link_ignores_a_forged_host(app: Flask, client: FlaskClient, make: Factory) -> None:
    app.config["BASE_URL"] = "https://portal.example.gov.tw/sub"
    admin = make.user(Role.ADMIN)
    Auth(client).login(admin.email)
    token = Auth(client).csrf("/admin/users")
    cookie = client.get_cookie("session")
    assert cookie is not None
    client.set_cookie("session", cookie.value, domain="evil.example")

    response = client.post(
        "/admin/users",
        base_url="http://evil.example",
        data={"csrf_token": token, "email": "new@example.org", "name": "林美玲", "role": "reviewer"},
    )

    links = re.findall(r"https?://[^\s<\"]+/auth/set-password/[A-Za-z0-9_-]+", response.get_data(as_text=True))
    assert len(links) == 1
    assert re.fullmatch(r"https://portal\.example\.gov\.tw/sub/auth/set-password/[A-Za-z0-9_-]{43}", links[0])


# --- 7. conflicts ------------------------------------------------------------------------------


def facts(**changes: Any) -> SimpleNamespace:
    base = {
        "status": "in_review",
        "lead_township_code": PULI,
        "county_code": NANTOU,
        "author_county_code": None,
        "participating_codes": {GUOXING, DAREN},
        "reviewer_ids": {7},
        "revision_count": 1,
        "conflicted_reviewer_ids": set(),
    }
    return SimpleNamespace(**{**base, **changes})


@pytest.mark.parametrize(
    ("scope", "code", "applies"),
    [
        ("county", NANTOU, True),  # the lead's county
        ("county", TAITUNG, True),  # a participating township's county
        ("county", "10013", False),  # 屏東縣: not involved
        ("township", PULI, True),
        ("township", GUOXING, True),
        ("township", DAREN, True),
        ("township", "10014010", False),  # 臺東市: same county as a participant, another township
        ("proposal", "12", True),
        ("proposal", "13", False),
    ],
)
def test_conflict_covers_every_township_and_county_involved(scope: str, code: str, applies: bool) -> None:
    assert perm.conflict_applies(scope, code, 12, facts()) is applies


def test_reviewer_of_a_participants_county_is_conflicted_and_not_suggested(make: Factory, session: Session) -> None:
    county = make.user(Role.COUNTY, county=NANTOU)
    case = make.proposal(county, lead=PULI, proposal_type=ProposalType.REGIONAL, participating=[GUOXING, DAREN])
    taitung_reviewer = make.user(Role.REVIEWER)
    free_reviewer = make.user(Role.REVIEWER)
    review.add_conflict(session, taitung_reviewer, "county", TAITUNG, "任職於臺東", make.user(Role.ADMIN))
    session.commit()

    blocked = review.conflicted(session, case, [taitung_reviewer.id, free_reviewer.id])
    suggested = [u.id for u in review.suggest_reviewers(session, case, count=3)]

    assert (blocked, suggested) == ({taitung_reviewer.id}, [free_reviewer.id])


# --- 8. the lead township of a county-authored case --------------------------------------------


@pytest.fixture
def county_case(make: Factory, session: Session) -> Proposal:
    county = make.user(Role.COUNTY, county=NANTOU)
    case = make.proposal(
        county,
        lead=PULI,
        title="中彰投山城區域共好",
        proposal_type=ProposalType.REGIONAL,
        participating=[GUOXING, DAREN],
    )
    return case


def test_lead_township_sees_its_submitted_county_authored_case(
    client: FlaskClient, make: Factory, session: Session, county_case: Proposal
) -> None:
    author = session.get(User, county_case.created_by_id)
    assert author is not None
    operations.apply_transition(session, county_case, Action.SUBMIT, author)
    session.commit()
    clerk = make.user(Role.TOWNSHIP, township=PULI)
    Auth(client).login(clerk.email)

    detail = client.get(f"/proposals/{county_case.id}")
    listing = client.get("/").get_data(as_text=True)

    assert perm.can_view(clerk, county_case) is True
    assert (detail.status_code, re.findall(r"<h1>(.*?)</h1>", detail.get_data(as_text=True))) == (
        200,
        ["中彰投山城區域共好"],
    )
    assert "中彰投山城區域共好" in listing


def test_lead_township_does_not_see_the_county_draft_before_submission(
    make: Factory, session: Session, county_case: Proposal
) -> None:
    clerk = make.user(Role.TOWNSHIP, township=PULI)
    other = make.user(Role.TOWNSHIP, township="10008010")

    assert (perm.can_view(clerk, county_case), perm.can_view(other, county_case)) == (False, False)
