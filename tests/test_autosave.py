"""Saving a wizard section: the check's remarks on saved rows shown beside them as
warnings, and the background save (autosave) the page's script sends, answered in JSON
under the same CSRF and version rules as the 儲存 button."""

from __future__ import annotations

import html
import re
from datetime import datetime

import pytest
from flask import Flask
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict
from werkzeug.test import TestResponse

from portal import operations
from portal.db.models import Proposal, User
from portal.domain import brief
from portal.domain.roles import Role
from portal.views import autosave
from tests.conftest import PULI, Auth, Factory
from tests.documents import complete_document
from tests.test_wizard import Tab, expired_token, field_errors, flashes, fresh, section_path, stored

BACKGROUND = {"Accept": "application/json"}


@pytest.fixture
def township(make: Factory, auth: Auth) -> User:
    user = make.user(Role.TOWNSHIP, township=PULI)
    auth.login(user.email)
    return user


@pytest.fixture
def draft(make: Factory, township: User) -> Proposal:
    """A complete draft (tests/documents.py): no section has anything to warn about."""
    return make.proposal(township)


def warnings_beside(page: str) -> dict[str, list[str]]:
    """The warnings shown next to each field, keyed by the field's id."""
    found = {}
    for field_id, body in re.findall(r'<p class="warning-message" id="([^"]+)-warning">(.*?)</p>', page, re.S):
        body = body.replace('<span class="visually-hidden">提醒：</span>', "")
        found[field_id] = [html.unescape(m.strip()) for m in body.split("<br>")]
    return found


def warning_summary(page: str) -> tuple[str, list[tuple[str, str]]] | None:
    """The summary at the top: its heading and each (linked field, message)."""
    section = re.search(r'<section class="warning-summary".*?</section>', page, re.S)
    if section is None:
        return None
    heading = re.search(r'<h2 id="warning-summary-title">(.*?)</h2>', section.group(0))
    assert heading is not None
    items = re.findall(r'<li><a href="#([^"]+)">(.*?)</a></li>', section.group(0))
    return html.unescape(heading.group(1)), [(field, html.unescape(message)) for field, message in items]


def described_by(page: str, field_id: str) -> str:
    tag = re.search(rf'<input\b[^>]*\bid="{field_id}"[^>]*>', page)
    assert tag is not None, f"no input {field_id}"
    attribute = re.search(r'aria-describedby="([^"]*)"', tag.group(0))
    return attribute.group(1) if attribute else ""


def save_and_show(auth: Auth, proposal_id: int, step: str, values: dict[str, str]) -> str:
    """Open a section, type, press 儲存 and read the page it leads back to."""
    tab = Tab(auth.client, section_path(proposal_id, step))
    tab.type(values)
    response = tab.press()
    assert (response.status_code, response.location) == (302, section_path(proposal_id, step))
    return auth.client.get(response.location).get_data(as_text=True)


# --- the check's remarks on saved rows -------------------------------------------------------

END_BEFORE_START = "事業 1：結束年月不可早於開始年月"


def test_business_ending_before_it_starts_is_saved_and_warned_beside_its_end(
    auth: Auth, draft: Proposal, session: Session
) -> None:
    page = save_and_show(auth, draft.id, "businesses", {"items-0-end": "2026-01"})

    assert fresh(session, draft.id).content["businesses"]["items"][0]["end"] == "2026-01"
    assert flashes(page) == [("success", "已儲存「創生事業構想」。")]
    assert field_errors(page) == {}
    assert warnings_beside(page) == {"items-0-end": [END_BEFORE_START]}
    assert warning_summary(page) == ("已儲存；送出前還要處理 1 項", [("items-0-end", END_BEFORE_START)])
    assert described_by(page, "items-0-end") == "items-0-end-hint items-0-end-warning"


def test_warning_is_the_check_pages_message_and_goes_once_the_row_is_fixed(
    auth: Auth, draft: Proposal, session: Session
) -> None:
    warned = save_and_show(auth, draft.id, "businesses", {"items-0-end": "2026-01"})
    saved = fresh(session, draft.id)
    on_check = [p.message for p in brief.check(operations.facts_of(saved), saved.content) if p.field == "items-0-end"]

    fixed = save_and_show(auth, draft.id, "businesses", {"items-0-end": "2026-12"})

    assert warnings_beside(warned)["items-0-end"] == on_check == [END_BEFORE_START]
    assert (warnings_beside(fixed), warning_summary(fixed)) == ({}, None)
    assert described_by(fixed, "items-0-end") == "items-0-end-hint"


def test_budget_line_left_outside_the_period_by_a_business_save_is_warned_on_its_page(
    auth: Auth, draft: Proposal
) -> None:
    """The period rule is checked on 檢查並送出 because businesses change after the lines
    were saved; the resources page now says it beside the line as soon as it opens."""
    save_and_show(auth, draft.id, "businesses", {"items-0-end": "2026-12", "items-1-end": "2026-12"})

    page = auth.client.get(section_path(draft.id, "resources")).get_data(as_text=True)

    message = "第 2 筆：年度須在提案期程 2026（115年）至 2026（115年）之間（依創生事業的起訖年月）"
    assert warnings_beside(page) == {"lines-1-year": [message]}
    assert warning_summary(page) == ("已儲存；送出前還要處理 1 項", [("lines-1-year", message)])


def test_row_problems_are_the_checks_row_problems_of_that_page_only() -> None:
    document = complete_document()
    document["stakeholders"] = [{"name": "", "sector": "產", "role": "", "commitment": ""}]
    document["businesses"]["items"][1]["end"] = "2026-01"
    basics = brief.Basics(title="埔里", type="township", lead_township_code=PULI, participating_codes=())

    stakeholders = brief.row_problems("stakeholders", basics, document)
    businesses = brief.row_problems("businesses", basics, document)

    # 「至少需要 2 位利害關係人」 is about the page, not a row: it waits for the check page.
    assert [p.message for p in brief.check(basics, document) if p.section == "stakeholders"] == [
        "至少需要 2 位利害關係人",
        "第 1 列：請填寫名稱",
    ]
    assert stakeholders == [brief.Problem("stakeholders", "rows-0-name", "第 1 列：請填寫名稱")]
    assert businesses == [brief.Problem("businesses", "items-1-end", "事業 2：結束年月不可早於開始年月")]


# --- the background save -----------------------------------------------------------------------


def save_in_background(tab: Tab) -> TestResponse:
    """What autosave.js sends: the form as it stands, asking for JSON."""
    return tab.client.post(tab.path, data=MultiDict(tab.fields), headers=BACKGROUND)


def taiwan(saved_at: str) -> datetime:
    return datetime.fromisoformat(saved_at).astimezone(operations.TAIWAN)


def test_background_save_stores_the_section_and_answers_with_its_new_version(
    auth: Auth, draft: Proposal, session: Session
) -> None:
    tab = Tab(auth.client, section_path(draft.id, "stakeholders"))
    tab.type({"rows-0-name": "背景儲存的農會"})

    reply = save_in_background(tab)
    content = fresh(session, draft.id).content
    next_page = auth.client.get(tab.path).get_data(as_text=True)
    tab.type({"version": reply.json["version"] if reply.json else "", "rows-0-role": "之後按儲存"})
    pressed = tab.press()

    when = taiwan(content["meta"]["saved_at"]["stakeholders"])
    assert (reply.status_code, reply.json) == (
        200,
        {
            "status": "saved",
            "version": "1",
            "saved_at": when.strftime("%Y-%m-%d %H:%M"),
            "message": f"已自動儲存 {when:%H:%M}",
        },
    )
    assert content["stakeholders"][0]["name"] == "背景儲存的農會"
    assert flashes(next_page) == []  # no 「已儲存」 waits for the next page
    assert pressed.status_code == 302  # the version from the reply is not stale
    assert fresh(session, draft.id).content["stakeholders"][0]["role"] == "之後按儲存"


def test_background_save_of_a_stale_form_is_a_conflict_and_never_overwrites(
    auth: Auth, draft: Proposal, session: Session
) -> None:
    path = section_path(draft.id, "stakeholders")
    mine, other = Tab(auth.client, path), Tab(auth.client, path)
    other.type({"rows-0-name": "另一位承辦人存的"})
    other.press()
    saved_by_other = stored(session, draft.id)
    # Even a form carrying the conflict page's overwrite is never a deliberate press here.
    mine.type({"rows-0-name": "自動儲存不可蓋掉", "overwrite": "1"})

    reply = save_in_background(mine)

    assert (reply.status_code, reply.json) == (409, {"status": "conflict", "message": autosave.CONFLICT})
    assert autosave.CONFLICT == (
        "自動儲存已停止：這一節在您編輯時已被另一個分頁或同事儲存，為了不覆蓋對方的內容，這次沒有儲存。"
        "您輸入的內容都還在；按「儲存」可以並排比對兩個版本再決定。"
    )
    assert stored(session, draft.id) == saved_by_other


def test_background_save_with_a_word_in_a_number_field_saves_nothing(
    auth: Auth, draft: Proposal, session: Session
) -> None:
    before = stored(session, draft.id)
    tab = Tab(auth.client, section_path(draft.id, "consensus"))
    tab.type({"events-0-participants": "約八十五人", "vision": "不會被存的願景"})

    reply = save_in_background(tab)

    assert (reply.status_code, reply.json) == (
        400,
        {
            "status": "invalid",
            "message": "有欄位的格式需要修正，這次沒有自動儲存。按「儲存」可以看到每個欄位的說明；您輸入的內容都還在。",
        },
    )
    assert stored(session, draft.id) == before


def test_background_save_with_an_expired_token_gets_a_fresh_one_that_saves(
    app: Flask, auth: Auth, draft: Proposal, session: Session
) -> None:
    before = stored(session, draft.id)
    tab = Tab(auth.client, section_path(draft.id, "dna"))
    tab.type({"summary": "權杖過期後再送的摘要", "csrf_token": expired_token(app, auth.client)})

    refused = save_in_background(tab)
    after_refusal = stored(session, draft.id)
    tab.type({"csrf_token": refused.json["csrf_token"] if refused.json else ""})
    again = save_in_background(tab)

    assert refused.status_code == 400
    assert refused.json is not None and {k: v for k, v in refused.json.items() if k != "csrf_token"} == {
        "status": "token",
        "message": "安全驗證已更新，稍後會再自動儲存。",
    }
    assert after_refusal == before
    assert (again.status_code, again.json["status"] if again.json else None) == (200, "saved")
    assert fresh(session, draft.id).content["dna"]["summary"] == "權杖過期後再送的摘要"
