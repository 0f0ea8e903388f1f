"""Admin pages, error pages and access control over HTTP."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import operations
from portal.db.models import AuditEvent, Programme, User
from portal.domain.roles import Role
from portal.domain.workflow import Action
from tests.conftest import NANTOU, PULI, Auth, Factory


def rows(html: str) -> list[str]:
    """The text of each body row of the first table, cells joined by '|'."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    out = []
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        out.append("|".join(" ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in cells))
    return out


@pytest.mark.parametrize("path", ["/admin/audit", "/admin/users", "/admin/reference", "/admin/programmes/1"])
@pytest.mark.parametrize("role", [Role.TOWNSHIP, Role.COUNTY, Role.REVIEWER])
def test_admin_pages_refuse_other_roles(make: Factory, auth: Auth, path: str, role: Role) -> None:
    user = make.user(
        role, township=PULI if role == Role.TOWNSHIP else None, county=NANTOU if role == Role.COUNTY else None
    )
    auth.login(user.email)

    page = auth.client.get(path)

    assert page.status_code == 403
    assert "您沒有權限查看這個頁面" in page.get_data(as_text=True)


def test_pages_require_login(client: FlaskClient) -> None:
    response = client.get("/admin/audit")

    assert (response.status_code, response.location) == (302, "/auth/login?next=%2Fadmin%2Faudit")


def test_unknown_page_is_404_in_chinese(client: FlaskClient) -> None:
    page = client.get("/no-such-page")

    assert page.status_code == 404
    assert "找不到這個頁面" in page.get_data(as_text=True)


def test_oversized_post_gets_413_page(client: FlaskClient) -> None:
    page = client.post("/auth/login", data={"email": "x" * (3 * 1024 * 1024)})

    assert page.status_code == 413
    assert "送出的資料太大" in page.get_data(as_text=True)


def test_audit_log_filters_by_action_and_proposal(make: Factory, auth: Auth, session: Session) -> None:
    township = make.user(Role.TOWNSHIP, township=PULI, name="埔里承辦")
    admin = make.user(Role.ADMIN, name="林秘書")
    first = make.proposal(township, title="第一案")
    second = make.proposal(township, title="第二案")
    operations.apply_transition(session, first, Action.SUBMIT, township)
    operations.apply_transition(session, second, Action.SUBMIT, township)
    operations.apply_transition(session, second, Action.WITHDRAW, township, "合作單位退出")
    session.commit()
    auth.login(admin.email)

    submits = auth.client.get("/admin/audit?action=submit").get_data(as_text=True)
    of_second = auth.client.get(f"/admin/audit?proposal={second.id}").get_data(as_text=True)
    by_nobody = auth.client.get("/admin/audit?actor=nobody").get_data(as_text=True)

    who = f"埔里承辦 &lt;{township.email}&gt;"
    assert [r.split("|", 1)[1] for r in rows(submits)] == [
        f"{who}|送出提案|#{second.id} 第二案|草稿 → 已送出（待縣市審閱）|",
        f"{who}|送出提案|#{first.id} 第一案|草稿 → 已送出（待縣市審閱）|",
    ]
    assert [r.split("|", 1)[1] for r in rows(of_second)] == [
        f"{who}|撤案|#{second.id} 第二案|已送出（待縣市審閱） → 已撤案|合作單位退出",
        f"{who}|送出提案|#{second.id} 第二案|草稿 → 已送出（待縣市審閱）|",
        f"{who}|建立提案|#{second.id} 第二案|草稿|",
    ]
    assert rows(by_nobody) == ["沒有符合條件的紀錄。"]


def test_admin_adds_user_and_sees_one_time_link(make: Factory, auth: Auth, session: Session) -> None:
    admin = make.user(Role.ADMIN)
    auth.login(admin.email)
    token = auth.csrf("/admin/users")

    page = auth.client.post(
        "/admin/users",
        data={
            "csrf_token": token,
            "email": "Staff@Example.org",
            "name": "魚池承辦",
            "role": "township",
            "township": "10008090",
            "county": "",
            "affiliation": "",
        },
    ).get_data(as_text=True)

    user = session.scalar(select(User).where(User.email == "staff@example.org"))
    assert user is not None
    assert (user.name, user.role, user.township_code, user.password_hash) == (
        "魚池承辦",
        "township",
        "10008090",
        None,
    )
    assert re.search(r"http://127\.0\.0\.1:5000/auth/set-password/[\w-]{40,}", page)  # PORTAL_BASE_URL


def test_admin_add_user_duplicate_shows_error_next_to_field(make: Factory, auth: Auth) -> None:
    admin = make.user(Role.ADMIN)
    auth.login(admin.email)
    token = auth.csrf("/admin/users")

    page = auth.client.post(
        "/admin/users",
        data={
            "csrf_token": token,
            "email": admin.email,
            "name": "重複",
            "role": "reviewer",
            "township": "",
            "county": "",
            "affiliation": "某大學",
        },
    ).get_data(as_text=True)

    assert 'id="email-error"' in page
    assert f"已有帳號使用電子郵件 {admin.email}" in page
    assert 'value="某大學"' in page  # the rest of the input is kept


def test_admin_disables_user_and_audit_records_it(make: Factory, auth: Auth, session: Session) -> None:
    admin = make.user(Role.ADMIN)
    target = make.user(Role.REVIEWER)
    auth.login(admin.email)
    token = auth.csrf("/admin/users")

    auth.client.post(f"/admin/users/{target.id}/active", data={"csrf_token": token})

    session.expire_all()
    event = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert session.get(User, target.id).active is False  # type: ignore[union-attr]
    assert event is not None and (event.action, event.actor_id, event.reason) == (
        "user_disable",
        admin.id,
        target.email,
    )


def test_admin_edits_programme(make: Factory, auth: Auth, session: Session) -> None:
    admin = make.user(Role.ADMIN)
    programme = session.scalars(select(Programme).order_by(Programme.id)).first()
    assert programme is not None
    auth.login(admin.email)
    path = f"/admin/programmes/{programme.id}"
    token = auth.csrf(path)

    auth.client.post(
        path,
        data={
            "csrf_token": token,
            "ministry": "國家發展委員會",
            "name": "地方創生國家戰略計畫（修訂）",
            "notes": "修訂說明",
        },
    )

    session.expire_all()
    edited = session.get(Programme, programme.id)
    assert edited is not None
    assert (edited.ministry, edited.name, edited.notes, edited.active) == (
        "國家發展委員會",
        "地方創生國家戰略計畫（修訂）",
        "修訂說明",
        False,
    )


def test_dashboard_lists_only_visible_proposals(make: Factory, auth: Auth, session: Session) -> None:
    township = make.user(Role.TOWNSHIP, township=PULI)
    county = make.user(Role.COUNTY, county=NANTOU)
    draft = make.proposal(township, title="尚在草稿的案子")
    sent = make.proposal(township, title="已送出的案子")
    operations.apply_transition(session, sent, Action.SUBMIT, township)
    session.commit()
    auth.login(county.email)

    listed = [r.split("|")[0] for r in rows(auth.client.get("/").get_data(as_text=True))]

    assert listed == ["已送出的案子"]
    assert draft.title not in listed
