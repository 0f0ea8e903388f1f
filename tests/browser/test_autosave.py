"""Autosave in a real browser: typing is saved in the background a few seconds after it
pauses, and a background save never overwrites another tab's save of the section."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import BrowserContext, Dialog, expect
from sqlalchemy import select

from portal import db
from portal.db.models import Proposal, User, UserSession, utcnow
from portal.views import autosave
from tests.browser.conftest import Portal, screenshot
from tests.browser.pages import draft
from tests.browser.people import TOWNSHIP, login
from tests.conftest import PASSWORD

SAVED = re.compile(r"^已自動儲存 \d\d:\d\d$")
CONFLICT_HEADING = "這一節在您編輯時已被另一個分頁或同事儲存"
RESTORED = "已還原您登入逾時前輸入的內容，尚未儲存，請確認後按「儲存」。"


def dna_summary(portal: Portal, proposal_id: int) -> str | None:
    with portal.app.app_context():
        proposal = db.session().get(Proposal, proposal_id)
        assert proposal is not None
        summary = proposal.content.get("dna", {}).get("summary")
        return str(summary) if summary is not None else None


def test_typing_is_saved_in_the_background_and_is_there_after_a_reload(context: BrowserContext, portal: Portal) -> None:
    page = context.new_page()  # no handler that accepts dialogs: any leave warning is recorded
    asked: list[str] = []

    def record(dialog: Dialog) -> None:
        asked.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", record)
    proposal_id = draft(portal, "埔里自動儲存測試計畫")
    login(page, portal.url, TOWNSHIP)
    page.goto(f"{portal.url}/proposals/{proposal_id}/edit/dna")
    summary = page.get_by_label(re.compile("^DNA 摘要"))
    summary.fill("沒按儲存也留下來的一段話")

    status = page.locator(".autosave-status")
    expect(status).to_have_text(SAVED)
    expect(status).to_have_attribute("aria-live", "polite")
    screenshot(page, "wizard-autosaved")
    page.reload()

    expect(page.get_by_label(re.compile("^DNA 摘要"))).to_have_value("沒按儲存也留下來的一段話")
    assert dna_summary(portal, proposal_id) == "沒按儲存也留下來的一段話"
    assert asked == []  # everything was stored, so leaving asked nothing


def test_a_background_save_after_another_tabs_save_stops_and_overwrites_nothing(
    context: BrowserContext, portal: Portal
) -> None:
    proposal_id = draft(portal, "埔里兩個分頁測試計畫")
    mine, other = context.new_page(), context.new_page()
    login(mine, portal.url, TOWNSHIP)  # one browser: both tabs are signed in
    address = f"{portal.url}/proposals/{proposal_id}/edit/dna"
    mine.goto(address)
    other.goto(address)
    other.get_by_label(re.compile("^DNA 摘要")).fill("另一個分頁先存的")
    other.get_by_role("button", name="儲存", exact=True).click()
    expect(other.locator(".flash .flash-text")).to_have_text("已儲存「我的DNA」。")

    mine.get_by_label(re.compile("^DNA 摘要")).fill("這個分頁後打的字")
    stopped = mine.locator(".autosave-stopped")
    expect(stopped).to_have_text(autosave.CONFLICT)
    expect(stopped).to_have_attribute("role", "alert")
    screenshot(mine, "wizard-autosave-conflict")
    mine.get_by_label(re.compile("^DNA 摘要")).fill("這個分頁後打的字，再多幾個")
    mine.wait_for_timeout(4000)  # longer than the pause before a background save

    assert dna_summary(portal, proposal_id) == "另一個分頁先存的"
    expect(mine.get_by_label(re.compile("^DNA 摘要"))).to_have_value("這個分頁後打的字，再多幾個")
    expect(mine.locator(".autosave-status")).to_have_text("")
    # 儲存 then shows both versions side by side, as it does without JavaScript.
    mine.get_by_role("button", name="儲存", exact=True).click()
    expect(mine.locator("#conflict-heading")).to_have_text(CONFLICT_HEADING)
    expect(mine.get_by_label(re.compile("^DNA 摘要"))).to_have_value("這個分頁後打的字，再多幾個")
    assert dna_summary(portal, proposal_id) == "另一個分頁先存的"


def expire_latest_login(portal: Portal, email: str) -> None:
    """Make the account's newest login idle for three hours (the limit is two)."""
    with portal.app.app_context():
        session = db.session()
        login_row = session.scalars(
            select(UserSession).join(User).where(User.email == email).order_by(UserSession.id.desc()).limit(1)
        ).one()
        login_row.last_seen_at = utcnow() - timedelta(hours=3)
        session.commit()


def test_a_background_save_after_the_login_expired_stops_and_the_typing_survives_the_login(
    context: BrowserContext, portal: Portal
) -> None:
    proposal_id = draft(portal, "埔里登入逾時測試計畫")
    before = dna_summary(portal, proposal_id)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    login(page, portal.url, TOWNSHIP)
    page.goto(f"{portal.url}/proposals/{proposal_id}/edit/dna")
    expire_latest_login(portal, TOWNSHIP)

    page.get_by_label(re.compile("^DNA 摘要")).fill("登入逾時時打的字")
    expect(page.locator(".autosave-stopped")).to_have_text(
        "登入已逾時，自動儲存已停止。您輸入的內容都還在這一頁；請按「儲存」，重新登入後會自動還原。"
    )
    expect(page.get_by_label(re.compile("^DNA 摘要"))).to_have_value("登入逾時時打的字")
    page.get_by_role("button", name="儲存", exact=True).click()
    page.get_by_label("電子郵件").fill(TOWNSHIP)
    page.get_by_label("密碼").fill(PASSWORD)
    page.get_by_role("button", name="登入").click()

    expect(page.get_by_label(re.compile("^DNA 摘要"))).to_have_value("登入逾時時打的字")
    expect(page.locator(".flash .flash-text")).to_have_text(RESTORED)
    assert dna_summary(portal, proposal_id) == before  # nothing is saved until 儲存 is pressed
