"""axe-core on every page type of the portal and of the frozen showcase: no serious or
critical violation. And one wizard step completed with the keyboard alone."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.conftest import AXE, Portal, Showcase, screenshot
from tests.browser.pages import SHOWCASE_PAGES, Sessions, draft, portal_pages
from tests.browser.people import TOWNSHIP, flash

BLOCKING = ("serious", "critical")
AXE_SOURCE = AXE.read_text(encoding="utf-8") if AXE.exists() else ""
# The focus ring of portal.css (:focus-visible, --focus: #b34100).
FOCUS_OUTLINE = "solid 3px rgb(179, 65, 0)"


def axe_violations(page: Page) -> list[str]:
    """Serious and critical violations on the page, one line per element: rule, impact,
    target and what axe says is wrong."""
    # Evaluated through the DevTools protocol: an injected <script> would be (rightly)
    # blocked by the portal's Content-Security-Policy, which allows no inline script.
    page.evaluate(AXE_SOURCE)
    result: dict[str, Any] = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{rule['id']} ({rule['impact']}) at {node['target']}: {node['failureSummary']}"
        for rule in result["violations"]
        if rule["impact"] in BLOCKING
        for node in rule["nodes"]
    ]


def test_every_portal_page_type_has_no_serious_accessibility_violation(sessions: Sessions, portal: Portal) -> None:
    found = {}
    checked = []
    for name, account, path in portal_pages(portal):
        page = sessions.page(account)
        response = page.goto(portal.url + path)
        assert response is not None
        assert response.status == (404 if name == "not-found" else 200), f"{name}: {path}"
        screenshot(page, f"desktop-portal-{name}")
        checked.append(name)
        if violations := axe_violations(page):
            found[f"{name} ({path})"] = violations
    assert found == {}
    assert len(checked) == 37


def test_every_showcase_page_type_has_no_serious_accessibility_violation(page: Page, showcase: Showcase) -> None:
    found = {}
    for name, path in SHOWCASE_PAGES:
        page.goto(showcase.url + path)
        if violations := axe_violations(page):
            found[f"{name} ({path})"] = violations
    assert found == {}


def test_a_page_with_errors_has_no_serious_accessibility_violation(sessions: Sessions, portal: Portal) -> None:
    """The error summary and the fields marked invalid after a bad save."""
    page = sessions.page(TOWNSHIP)
    page.goto(portal.url + "/proposals/new")
    page.get_by_label("提案名稱").fill("國" * 41)
    page.get_by_role("button", name="建立草稿").click()
    expect(page.get_by_role("alert")).to_contain_text("請修正以下欄位")
    screenshot(page, "desktop-portal-form-errors")

    assert axe_violations(page) == []


def focused(page: Page) -> dict[str, str]:
    """The focused element: its tag, id, text and the outline drawn around it."""
    result: dict[str, str] = page.evaluate(
        """() => {
          const el = document.activeElement;
          const style = getComputedStyle(el);
          return {tag: el.tagName.toLowerCase(), id: el.id, text: (el.innerText || "").trim(),
                  outline: style.outlineStyle + " " + style.outlineWidth + " " + style.outlineColor};
        }"""
    )
    return result


def tab_to(page: Page, condition: Callable[[dict[str, str]], bool], limit: int = 60) -> list[dict[str, str]]:
    """Press Tab until the focused element meets `condition`; every stop on the way."""
    stops = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        stops.append(focused(page))
        if condition(stops[-1]):
            return stops
    raise AssertionError(f"never reached by Tab: {[(s['tag'], s['id'], s['text'][:20]) for s in stops]}")


def test_a_wizard_step_is_completed_with_the_keyboard_alone(sessions: Sessions, portal: Portal) -> None:
    page = sessions.page(TOWNSHIP)
    number = draft(portal, "鍵盤操作測試計畫")
    page.goto(f"{portal.url}/proposals/{number}/edit/dna")

    # Tab from the top of the page: skip link first, every stop visibly outlined.
    stops = tab_to(page, lambda el: el["id"] == "summary")
    assert stops[0]["text"] == "跳到主要內容"
    assert all(stop["outline"] == FOCUS_OUTLINE for stop in stops), stops
    page.keyboard.type("國" * 201)
    tab_to(page, lambda el: el["id"] == "items_people", limit=3)
    page.keyboard.type("返鄉青年")
    tab_to(page, lambda el: el["tag"] == "button" and el["text"] == "儲存")
    page.keyboard.press("Enter")

    # Too long: the error summary links to the field, and following it focuses the field.
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("請修正以下欄位")
    expect(page.get_by_label("人（人物、族群、社群）")).to_have_value("返鄉青年")
    page.keyboard.press("Tab")  # from the top again: the page was reloaded
    tab_to(page, lambda el: el["text"].startswith("DNA 摘要："))
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "summary"

    page.keyboard.press("Control+A")
    page.keyboard.type("埔里位居臺灣地理中心。")
    tab_to(page, lambda el: el["tag"] == "button" and el["text"] == "儲存")
    page.keyboard.press("Space")
    assert flash(page) == "已儲存「我的DNA」。"
    expect(page.get_by_label("DNA 摘要")).to_have_value("埔里位居臺灣地理中心。")
