"""The wizard's layouts in a real browser: participating townships picked by typing on a
phone, and stakeholder and budget rows compact enough to see several at once."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from portal import db, text
from portal.db.models import Proposal
from tests.browser.conftest import Portal, open_context, screenshot
from tests.browser.pages import draft
from tests.browser.people import TOWNSHIP, flash, login

# Page heights at 1280 px with six stakeholders and seven budget lines before rows were
# compact (measured on the layout of fieldsets with one field under another).
TALL = {"stakeholders": 4057, "resources": 7495}


def test_participating_townships_are_picked_by_typing_on_a_phone(browser: Browser, portal: Portal) -> None:
    """Type a township's or a county's name, choose by tapping or with the keys, remove a
    chip: exactly the townships left are saved, and shown again after reloading."""
    number = draft(portal, "埔里合作鄉鎮挑選測試計畫")
    context = open_context(browser, phone=True)
    try:
        page = context.new_page()
        login(page, portal.url, TOWNSHIP)
        page.goto(f"{portal.url}/proposals/{number}/edit/basics")
        search = page.get_by_role("combobox", name="合作鄉鎮市區")
        options = page.get_by_role("listbox", name="符合的鄉鎮市區").get_by_role("option")
        chips = page.get_by_role("list", name="已選的合作鄉鎮市區").locator("> li > span")

        search.fill("池上")
        expect(options).to_have_text(["臺東縣池上鄉"])
        options.first.tap()
        search.fill("台東")  # 台 is written for 臺 too; 池上 is already chosen
        expect(options).to_have_count(15)
        search.press("ArrowDown")
        search.press("ArrowDown")
        search.press("Enter")
        search.fill("國姓")
        search.press("Enter")
        expect(chips).to_have_text(["南投縣國姓鄉", "臺東縣成功鎮", "臺東縣池上鄉"])
        screenshot(page, "phone-participating-picker")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

        page.get_by_role("button", name="移除 臺東縣池上鄉").tap()
        expect(chips).to_have_text(["南投縣國姓鄉", "臺東縣成功鎮"])
        page.get_by_role("button", name="儲存", exact=True).tap()
        assert flash(page) == "已儲存「基本資料」。"
        page.reload()

        expect(chips).to_have_text(["南投縣國姓鄉", "臺東縣成功鎮"])
    finally:
        context.close()
    with portal.app.app_context():
        proposal = db.session().scalar(select(Proposal).where(Proposal.id == number))
        assert proposal is not None
        assert sorted(proposal.participating_codes) == ["10008100", "10014020"]


def six_stakeholders_and_seven_lines() -> dict[str, Any]:
    names = ["埔里鎮農會", "暨南國際大學", "桃米社區發展協會", "南投縣政府農業處", "山城共好工作室", "埔里鎮公所觀光課"]
    lines = [
        ("硬體", "county"),
        ("設備", "private"),
        ("人事", "township"),
        ("行銷", "ndf"),
        ("培訓", "county"),
        ("規劃", "other"),
        ("營運", "private"),
    ]
    content: dict[str, Any] = {
        "stakeholders": [
            {"name": name, "sector": sector, "role": "集貨、包裝與通路經營", "commitment": "提供包裝場與兩名人力"}
            for name, sector in zip(names, "產學社官產官", strict=True)
        ],
        "businesses": {"items": [{"name": "筊白筍共同包裝場", "start": "2026-01", "end": "2029-12"}]},
        "resources": {
            "lines": [
                {
                    "kind": kind,
                    "source": source,
                    "programme": "",
                    "self_liquidating": source == "private",
                    "year": 2026 + n % 4,
                    "amount": 1000 * (n + 1),
                    "note": "包裝場整建與冷鏈設備",
                }
                for n, (kind, source) in enumerate(lines)
            ],
            "support": [{"kind": "法規調適", "description": "倉庫變更為食品加工使用"}],
        },
    }
    content["html"] = text.render_fields(content, text.NARRATIVE_FIELDS)
    return content


def test_stakeholder_and_budget_pages_are_under_half_their_old_height(page: Page, portal: Portal) -> None:
    number = draft(portal, "埔里版面高度測試計畫")
    with portal.app.app_context():
        session = db.session()
        proposal = session.get(Proposal, number)
        assert proposal is not None
        proposal.content = six_stakeholders_and_seven_lines()
        session.commit()
    login(page, portal.url, TOWNSHIP)
    heights = {}
    for step in TALL:
        page.goto(f"{portal.url}/proposals/{number}/edit/{step}")
        heights[step] = page.evaluate("document.documentElement.scrollHeight")
        screenshot(page, f"desktop-compact-{step}")

    assert {step: heights[step] < TALL[step] / 2 for step in TALL} == dict.fromkeys(TALL, True), heights
