"""axe-core on every page type of the portal and of the frozen showcase: no serious or
critical violation. And one wizard step completed with the keyboard alone."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import AXE, Portal, Showcase, screenshot
from tests.browser.pages import SHOWCASE_PAGES, Sessions, portal_pages

BLOCKING = ("serious", "critical")


def axe_violations(page: Page) -> list[str]:
    """Serious and critical violations on the page, one line per element: rule, impact,
    target and what axe says is wrong."""
    page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{rule['id']} ({rule['impact']}) at {node['target']}: {node['failureSummary']}"
        for rule in result["violations"]
        if rule["impact"] in BLOCKING
        for node in rule["nodes"]
    ]


@pytest.fixture(scope="module")
def sessions(browser: Browser, portal: Portal) -> Iterator[Sessions]:
    signed_in = Sessions(browser, portal)
    yield signed_in
    for context in signed_in.contexts.values():
        context.close()


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
    assert len(checked) == 33


def test_every_showcase_page_type_has_no_serious_accessibility_violation(page: Page, showcase: Showcase) -> None:
    found = {}
    for name, path in SHOWCASE_PAGES:
        page.goto(showcase.url + path)
        if violations := axe_violations(page):
            found[f"{name} ({path})"] = violations
    assert found == {}


def test_a_page_with_errors_has_no_serious_accessibility_violation(sessions: Sessions, portal: Portal) -> None:
    """The error summary and the fields marked invalid after a bad save."""
    page = sessions.page("township-10008020@demo.example.org")
    page.goto(portal.url + "/proposals/new")
    page.get_by_label("提案名稱").fill("國" * 41)
    page.get_by_role("button", name="建立草稿").click()
    expect(page.get_by_role("alert")).to_contain_text("請修正以下欄位")
    screenshot(page, "desktop-portal-form-errors")

    assert axe_violations(page) == []
