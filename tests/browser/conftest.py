"""Fixtures for the browser tests: Debian's Chromium driven by Playwright, the portal and
the frozen showcase served on loopback, and the external checkers (axe-core, vnu).

Without Chromium, Java or `npm ci`'s node_modules the tests skip, unless
PORTAL_BROWSER_REQUIRED is set (CI sets it), in which case they fail.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Dialog, Page, Playwright, ViewportSize, sync_playwright

from portal import db
from portal.config import PROJECT_ROOT
from tests.browser.servers import LiveServer, StaticServer, freeze_demo, seeded_folder
from tests.conftest import TemplateDatabase

if TYPE_CHECKING:
    from tests.browser.pages import Sessions

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
NODE_MODULES = PROJECT_ROOT / "node_modules"
AXE = NODE_MODULES / "axe-core" / "axe.min.js"
VNU = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
SCREENSHOTS = Path(__file__).parent / "screenshots"
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}


def missing_prerequisites() -> list[str]:
    missing = []
    if not CHROMIUM.is_file():
        missing.append(f"Chromium ({CHROMIUM}; apt-get install chromium)")
    if shutil.which("java") is None:
        missing.append("Java (for the Nu HTML Checker)")
    for path in (AXE, VNU):
        if not path.is_file():
            missing.append(f"{path.relative_to(PROJECT_ROOT)} (run npm ci)")
    return missing


@pytest.fixture(scope="session", autouse=True)
def _prerequisites() -> None:
    missing = missing_prerequisites()
    if not missing:
        return
    reason = "browser tests need " + ", ".join(missing)
    if os.environ.get("PORTAL_BROWSER_REQUIRED"):
        pytest.fail(reason + " (PORTAL_BROWSER_REQUIRED is set)", pytrace=False)
    pytest.skip(reason + "; set PORTAL_BROWSER_REQUIRED=1 to make this an error")


@pytest.fixture(scope="session")
def playwright(_prerequisites: None) -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """One headless Chromium for the whole run; each test gets its own context."""
    chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


@dataclass
class Dialogs:
    """Confirmation dialogs (forms with data-confirm) are accepted, and their text kept."""

    messages: list[str] = field(default_factory=list)

    def accept(self, dialog: Dialog) -> None:
        self.messages.append(dialog.message)
        dialog.accept()


def open_context(browser: Browser, *, phone: bool = False, javascript: bool = True) -> BrowserContext:
    context = browser.new_context(
        viewport=PHONE if phone else DESKTOP,
        device_scale_factor=1,
        is_mobile=phone,
        has_touch=phone,
        java_script_enabled=javascript,
        locale="zh-TW",
        timezone_id="Asia/Taipei",
    )
    context.set_default_timeout(10_000)
    return context


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    desktop = open_context(browser)
    yield desktop
    desktop.close()


@pytest.fixture
def dialogs() -> Dialogs:
    return Dialogs()


@pytest.fixture
def page(context: BrowserContext, dialogs: Dialogs) -> Page:
    opened = context.new_page()
    opened.on("dialog", dialogs.accept)
    return opened


def screenshot(page: Page, name: str) -> Path:
    """Keep a full-page picture for people to look at (CI keeps the folder)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


# --- the portal -------------------------------------------------------------------------------


@dataclass
class Portal:
    app: Flask
    url: str
    folder: Path

    @property
    def build_dir(self) -> Path:
        return self.folder / "build"

    @property
    def proposals_dir(self) -> Path:
        return self.folder / "proposals"


@pytest.fixture(scope="session")
def portal(
    tmp_path_factory: pytest.TempPathFactory, template_db: TemplateDatabase, _prerequisites: None
) -> Iterator[Portal]:
    """The live portal on loopback with the demo data, for the whole session."""
    folder = tmp_path_factory.mktemp("portal")
    app = seeded_folder(folder, template_db)
    with LiveServer(app) as server:
        yield Portal(app=app, url=server.url, folder=folder)
    db.database(app).engine.dispose()


# --- the frozen showcase ----------------------------------------------------------------------


@dataclass
class Showcase:
    build_dir: Path
    url: str


@pytest.fixture(scope="session")
def showcase(
    tmp_path_factory: pytest.TempPathFactory, template_db: TemplateDatabase, _prerequisites: None
) -> Iterator[Showcase]:
    """The demo showcase frozen once and served by a plain static file server."""
    build_dir = freeze_demo(tmp_path_factory.mktemp("showcase"), template_db)
    with StaticServer(build_dir) as server:
        yield Showcase(build_dir=build_dir, url=server.url)


@pytest.fixture(scope="module")
def sessions(browser: Browser, portal: Portal) -> Iterator[Sessions]:
    """Signed-in browser contexts, one per account, shared by a module's tests."""
    from tests.browser.pages import Sessions  # pages.py imports this module

    signed_in = Sessions(browser, portal)
    yield signed_in
    for context in signed_in.contexts.values():
        context.close()
