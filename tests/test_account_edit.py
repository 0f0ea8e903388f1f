"""Admins edit accounts through a confirmation page; a reviewer's 服務單位 that names a
county or township offers the conflict of interest (利益迴避) it implies."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal import accounts, db, operations, review
from portal.db.models import AuditEvent, Conflict, Proposal, User
from portal.domain.affiliation import Place, places_named
from portal.domain.errors import DomainError
from portal.domain.roles import Role
from portal.domain.workflow import Action
from portal.reference import read_csv
from tests.conftest import GUOXING, NANTOU, PULI, TAITUNG, Auth, Factory
from tests.test_query_counts import counted
from tests.test_wizard import Tab, field_errors, flashes

COUNTIES = sorted({(r["county_code"], r["county_zh"]) for r in read_csv("regions.csv")})
TOWNSHIPS = [(r["code"], r["county_zh"], r["township_zh"]) for r in read_csv("townships.csv")]
PULI_PLACE = Place("township", PULI, "南投縣埔里鎮")


@pytest.mark.parametrize(
    ("affiliation", "expected"),
    [
        ("南投縣埔里鎮公所", [PULI_PLACE]),
        ("埔里鎮農會", [PULI_PLACE]),
        ("台東縣政府", [Place("county", TAITUNG, "臺東縣")]),
        ("南投縣政府 派駐 國姓鄉", [Place("county", NANTOU, "南投縣"), Place("township", GUOXING, "南投縣國姓鄉")]),
        ("臺北市信義區公所", [Place("township", "63000020", "臺北市信義區")]),
        ("信義區公所", []),  # 臺北市 and 基隆市 both have a 信義區
        ("地方創生輔導團（中區）", []),  # 中區 is too short to mean 臺中市中區
        ("國立暨南國際大學", []),
        ("", []),
    ],
)
def test_places_named_by_an_affiliation(affiliation: str, expected: list[Place]) -> None:
    assert places_named(affiliation, COUNTIES, TOWNSHIPS) == expected


def change_rows(page: str) -> list[tuple[str, ...]]:
    """The confirmation page's table: (field, before, after) or (field, value)."""
    rows = re.findall(r'<tr><th scope="row">(.*?)</th>((?:<td>.*?</td>)+)</tr>', page)
    return [(label, *re.findall(r"<td>(.*?)</td>", cells)) for label, cells in rows]


def forwarded_case(session: Session, make: Factory) -> Proposal:
    """A 南投縣埔里鎮 proposal forwarded by its county, waiting for reviewers."""
    township = make.user(Role.TOWNSHIP, township=PULI)
    county = make.user(Role.COUNTY, county=NANTOU)
    case = make.proposal(township)
    operations.apply_transition(session, case, Action.SUBMIT, township)
    operations.apply_transition(session, case, Action.FORWARD, county)
    session.commit()
    return case


def last_events(session: Session, count: int) -> list[tuple[str, int | None, str]]:
    events = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(count))
    return [(e.action, e.actor_id, e.reason) for e in reversed(list(events))]


def test_edited_affiliation_records_the_conflict_and_the_reviewer_cannot_be_assigned(
    make: Factory, auth: Auth, session: Session
) -> None:
    # Arrange
    admin = make.user(Role.ADMIN)
    reviewer = make.user(Role.REVIEWER)
    name, email = reviewer.name, reviewer.email
    case = forwarded_case(session, make)
    auth.login(admin.email)
    tab = Tab(auth.client, f"/admin/users/{reviewer.id}")

    # Act: change the name and the affiliation, look at the changes, confirm.
    tab.type({"name": "陳大文", "affiliation": "南投縣埔里鎮公所"})
    tab.press()
    shown, ticked = change_rows(tab.page), tab.fields.getlist("conflicts")
    saved = tab.press()
    page = auth.client.get(saved.location).get_data(as_text=True)

    # Assert
    session.expire_all()
    stored = session.get(User, reviewer.id)
    assert stored is not None
    conflicts = [(c.reviewer_id, c.scope, c.code, c.reason) for c in session.scalars(select(Conflict))]
    assert shown == [("姓名", name, "陳大文"), ("服務單位", "（無）", "南投縣埔里鎮公所")]
    assert ticked == [PULI]
    assert (stored.name, stored.role, stored.affiliation) == ("陳大文", "reviewer", "南投縣埔里鎮公所")
    assert conflicts == [(reviewer.id, "township", PULI, "服務單位：南投縣埔里鎮公所")]
    changes = f"姓名：{name} → 陳大文；服務單位：（無） → 南投縣埔里鎮公所"
    assert last_events(session, 2) == [
        ("user_edit", admin.id, f"{email}：{changes}"),
        ("conflict_add", admin.id, f"{email}：township {PULI} 服務單位：南投縣埔里鎮公所"),
    ]
    assert flashes(page) == [
        (
            "success",
            f"已儲存帳號 {email}：{changes}；已登記利益迴避：南投縣埔里鎮。",
        )
    ]
    with pytest.raises(DomainError) as refused:
        review.assign(session, case, admin, [reviewer.id])
    assert str(refused.value) == "陳大文 與這件提案有利益迴避，不能分派。"
    assert review.suggest_reviewers(session, case) == []


def test_new_reviewer_is_confirmed_first_and_only_the_ticked_conflict_is_recorded(
    make: Factory, auth: Auth, session: Session
) -> None:
    admin = make.user(Role.ADMIN)
    auth.login(admin.email)
    tab = Tab(auth.client, "/admin/users")
    tab.type(
        {"email": "lin@example.org", "name": "林委員", "role": "reviewer", "affiliation": "南投縣政府、埔里鎮農會"}
    )

    tab.press()
    offered, before_confirming = tab.fields.getlist("conflicts"), session.scalar(select(func.count(User.id)))
    tab.type({"conflicts": [NANTOU]})  # the admin unticks 埔里鎮
    created = tab.press()

    user = session.scalar(select(User).where(User.email == "lin@example.org"))
    assert user is not None
    conflicts = [(c.reviewer_id, c.scope, c.code, c.reason) for c in session.scalars(select(Conflict))]
    assert (offered, before_confirming) == ([NANTOU, PULI], 1)  # nothing written before confirming
    assert change_rows(tab.page) == []  # the accounts page again, with the link
    assert re.search(r"/auth/set-password/[\w-]{40,}", created.get_data(as_text=True))
    assert conflicts == [(user.id, "county", NANTOU, "服務單位：南投縣政府、埔里鎮農會")]


def test_edit_refused_by_the_creation_rules_shows_the_error_next_to_the_field_and_writes_nothing(
    make: Factory, auth: Auth, session: Session
) -> None:
    admin = make.user(Role.ADMIN)
    reviewer = make.user(Role.REVIEWER)
    events = session.scalar(select(func.count(AuditEvent.id)))
    auth.login(admin.email)
    tab = Tab(auth.client, f"/admin/users/{reviewer.id}")

    tab.type({"name": "改名", "role": "township", "township": ""})
    tab.press()

    session.expire_all()
    stored = session.get(User, reviewer.id)
    assert stored is not None
    assert field_errors(tab.page) == {"township": ["鄉鎮市區公所承辦人的帳號必須選擇所屬鄉鎮市區"]}
    assert tab.fields["name"] == "改名"  # what was typed is kept
    assert (stored.name, stored.role) == (reviewer.name, "reviewer")
    assert session.scalar(select(func.count(AuditEvent.id))) == events


def test_admin_cannot_change_their_own_role(make: Factory, auth: Auth, session: Session) -> None:
    admin = make.user(Role.ADMIN)
    auth.login(admin.email)
    tab = Tab(auth.client, f"/admin/users/{admin.id}")

    tab.type({"role": "reviewer"})
    tab.press()

    session.expire_all()
    assert field_errors(tab.page) == {
        "role": ["不能變更自己的角色；如有需要，請另一位管理者處理，以免國發會沒有管理者。"]
    }
    assert session.get(User, admin.id).role == "admin"  # type: ignore[union-attr]


def test_edit_confirmed_after_another_admins_edit_is_refused_with_the_input_kept(
    app: Flask, make: Factory, auth: Auth, session: Session
) -> None:
    # Arrange: both admins reach the confirmation page of the same account.
    target = make.user(Role.COUNTY, county=NANTOU)
    name = target.name
    first = make.user(Role.ADMIN)
    auth.login(first.email)
    second = Auth(app.test_client())
    second.login(make.user(Role.ADMIN).email)
    tabs = [Tab(a.client, f"/admin/users/{target.id}") for a in (auth, second)]
    tabs[0].type({"name": "甲改的名字"})
    tabs[1].type({"county": TAITUNG})
    for tab in tabs:
        tab.press()

    # Act
    saved = tabs[0].press()
    refused = tabs[1].press()

    # Assert
    session.expire_all()
    stored = session.get(User, target.id)
    assert stored is not None
    assert (saved.status_code, refused.status_code) == (302, 409)
    assert flashes(tabs[1].page) == [
        (
            "error",
            f"帳號 {target.email} 在您開啟頁面後已被其他管理者修改，這次沒有儲存。"
            "下方仍是您輸入的內容，「目前資料」已更新為最新；請比對後再按一次「檢查變更」。",
        )
    ]
    assert (tabs[1].fields["name"], tabs[1].fields["county"]) == (name, TAITUNG)
    assert (stored.name, stored.county_code) == ("甲改的名字", NANTOU)


def test_edit_by_an_admin_demoted_meanwhile_is_refused(app: Flask, make: Factory, session: Session) -> None:
    # Arrange: the second admin's request has loaded both accounts when the first admin
    # demotes the second; the second then tries to demote the first.
    first, second = make.user(Role.ADMIN), make.user(Role.ADMIN)
    with db.database(app).session() as other:
        actor, target = other.get(User, second.id), other.get(User, first.id)
        assert actor is not None and target is not None
        shown = accounts.shown_version(target)
        demoted = replace(accounts.AccountFields.of(second), role=Role.REVIEWER)
        accounts.edit_user(session, second, demoted, shown=accounts.shown_version(second), actor=first)
        session.commit()

        # Act
        with pytest.raises(accounts.AccountError) as refused:
            accounts.edit_user(
                other, target, replace(accounts.AccountFields.of(target), role=Role.REVIEWER), shown=shown, actor=actor
            )
        other.rollback()

    # Assert
    session.expire_all()
    assert str(refused.value) == "您的帳號在這段期間已被其他管理者變更，已不是啟用中的國發會管理者，這次沒有變更。"
    assert [session.get(User, u.id).role for u in (first, second)] == ["admin", "reviewer"]  # type: ignore[union-attr]


def test_reviewer_with_cases_in_review_turned_into_a_county_account_is_warned_first(
    make: Factory, auth: Auth, session: Session
) -> None:
    admin = make.user(Role.ADMIN)
    reviewer = make.user(Role.REVIEWER)
    review.assign(session, forwarded_case(session, make), admin, [reviewer.id])
    session.commit()
    auth.login(admin.email)
    tab = Tab(auth.client, f"/admin/users/{reviewer.id}")
    tab.type({"role": "county", "county": TAITUNG})

    tab.press()
    notes = re.findall(r'<p class="note">(.*?)</p>', tab.page)
    tab.press()

    session.expire_all()
    stored = session.get(User, reviewer.id)
    assert stored is not None
    assert notes == ["這位委員目前有 1 件審查中的分派；改為其他角色後，將無法再評分這些提案。"]
    assert (stored.role, stored.county_code) == ("county", TAITUNG)


def _listed(html: str) -> list[str]:
    """The e-mail addresses in the accounts table, in order."""
    return re.findall(r"</a></td><td [^>]*>([^<]+@example\.org)</td>", html)


def test_accounts_list_pages_and_filters_in_the_same_queries_for_8_and_120_accounts(
    app: Flask, session: Session, make: Factory, auth: Auth
) -> None:
    """A national round has an account for every township office: the list loads one page
    of them, each with its township and county, in the same statements however many there
    are, and narrows them by role and by name or e-mail."""
    admin = make.user(Role.ADMIN)
    townships = sorted(code for code, _county, _name in TOWNSHIPS)
    auth.login(admin.email)

    def statements(path: str) -> tuple[int, str]:
        with counted(app) as seen:
            html = auth.client.get(path).get_data(as_text=True)
        return len(seen), html

    for code in townships[:7]:
        make.user(Role.TOWNSHIP, township=code)
    few, html = statements("/admin/users")
    assert len(_listed(html)) == 8
    for code in townships[7:119]:
        make.user(Role.TOWNSHIP, township=code)
    many, html = statements("/admin/users")
    assert few == many
    ordered = list(session.scalars(select(User.email).order_by(User.role, User.email)))
    assert _listed(html) == ordered[:50] and len(ordered) == 120
    assert "第 1 / 3 頁，共 120 個帳號" in html
    # Each row names its township with its county, loaded with the rows.
    first_township = session.scalars(select(User).where(User.role == Role.TOWNSHIP.value).order_by(User.email)).first()
    assert first_township is not None and first_township.township is not None
    assert f'<td data-label="範圍">{first_township.township.full_name}</td>' in html

    _, last = statements("/admin/users?page=3")
    assert _listed(last) == ordered[100:]

    _, admins = statements("/admin/users?role=admin")
    assert _listed(admins) == [admin.email]
    _, found = statements("/admin/users?q=township1")
    assert _listed(found) == [e for e in ordered if "township1" in e] and len(_listed(found)) == 31
    # LIKE's wildcards are taken as typed.
    _, none = statements("/admin/users?q=%25_")
    assert _listed(none) == [] and "沒有符合條件的帳號。" in none
    _, unknown_role = statements("/admin/users?role=nobody")
    assert len(_listed(unknown_role)) == 50


def test_cli_user_add_records_the_conflicts_its_affiliation_names_only_when_asked(app: Flask, session: Session) -> None:
    from tests.test_accounts import invoke

    plain = invoke(
        app, "user", "add", "--email", "chen@example.org", "--name", "陳委員",
        "--role", "reviewer", "--affiliation", "南投縣政府 派駐 國姓鄉",
    )  # fmt: skip
    asked = invoke(
        app, "user", "add", "--email", "lee@example.org", "--name", "李委員",
        "--role", "reviewer", "--affiliation", "埔里鎮農會", "--record-conflicts",
    )  # fmt: skip

    assert plain.exit_code == 0 and asked.exit_code == 0, (plain.output, asked.output)
    assert (
        "服務單位「南投縣政府 派駐 國姓鄉」提到 南投縣、南投縣國姓鄉，尚未登記利益迴避。"
        "要登記，請在「帳號管理」開啟此帳號並儲存，確認頁會列出這些地點供勾選"
        "（新增帳號時加上 --record-conflicts 則一併登記）。"
    ) in plain.output
    assert "已依服務單位登記利益迴避：南投縣埔里鎮。" in asked.output
    columns = (User.email, Conflict.scope, Conflict.code, Conflict.reason)
    recorded = session.execute(select(*columns).join(Conflict, Conflict.reviewer_id == User.id)).all()
    assert recorded == [("lee@example.org", "township", PULI, "服務單位：埔里鎮農會")]
    events = session.scalars(select(AuditEvent.reason).where(AuditEvent.action == "conflict_add")).all()
    assert events == [f"lee@example.org：township {PULI} 服務單位：埔里鎮農會"]
