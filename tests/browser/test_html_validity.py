"""The W3C Nu HTML Checker over every page of the frozen showcase and a sample of portal
pages as the browser has them: zero errors."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from urllib.parse import unquote, urlsplit

from tests.browser.conftest import VNU, Portal, Showcase
from tests.browser.pages import Sessions, portal_pages

SAMPLE = (
    "login",
    "home-township",
    "task-list",
    "wizard-basics",
    "wizard-businesses",
    "wizard-resources",
    "wizard-warnings",
    "check-problems",
    "brief",
    "detail-admin",
    "review-score",
    "review-decide",
    "review-history",
    "review-ranking",
    "admin-users",
    "admin-user-edit",
    "notifications",
)


def nu_errors(root: Path, files: list[Path]) -> list[str]:
    """Run the checker once over all files (under `root`); each error as 'file:line: message'."""
    run = subprocess.run(
        ["java", "-jar", str(VNU), "--errors-only", "--format", "json", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    report = json.loads(run.stderr)
    assert run.returncode == (1 if report["messages"] else 0), run.stderr
    return [
        f"{Path(unquote(urlsplit(m['url']).path)).relative_to(root)}:{m.get('lastLine', '?')}: {m['message']}"
        for m in report["messages"]
        if m["type"] in ("error", "non-document-error")
    ]


def test_showcase_and_portal_pages_are_valid_html(
    sessions: Sessions, portal: Portal, showcase: Showcase, tmp_path: Path
) -> None:
    showcase_files = sorted(showcase.build_dir.rglob("*.html"))
    saved = []
    for name, account, path in portal_pages(portal):
        if name in SAMPLE:
            page = sessions.page(account)
            page.goto(portal.url + path)
            target = tmp_path / f"portal-{name}.html"
            target.write_text(page.content(), "utf-8")
            saved.append(target)

    assert len(saved) == len(SAMPLE)
    assert len(showcase_files) > 25
    errors = nu_errors(tmp_path.parent.parent, showcase_files + saved)
    assert errors == [], "\n".join(errors)
