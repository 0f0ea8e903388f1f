"""The wizard's layouts in a real browser: stakeholder and budget rows compact enough to
see several at once."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page

from portal import db, text
from portal.db.models import Proposal
from tests.browser.conftest import Portal, screenshot
from tests.browser.pages import draft
from tests.browser.people import TOWNSHIP, login

# Page heights at 1280 px with six stakeholders and seven budget lines before rows were
# compact (measured on the layout of fieldsets with one field under another).
TALL = {"stakeholders": 4057, "resources": 7495}


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
