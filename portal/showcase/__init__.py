"""The public showcase: a small Flask app over `proposals/` and `content/`, frozen to `build/`.

It has no database and no login, and it is a separate app from the portal, so that
freezing it can only ever reach public pages.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

from portal import i18n, static_versions
from portal.config import PROJECT_ROOT
from portal.rarefont import DEFAULT_SOURCE

STATIC = Path(__file__).resolve().parent.parent / "static"


def create_showcase_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the showcase. Paths default to the project's folders, `PORTAL_*` variables
    override them, and `test_config` overrides both."""
    app = Flask(__name__, template_folder=str(PROJECT_ROOT / "templates"), static_folder=str(STATIC))
    app.config.update(
        PROPOSALS_DIR=os.environ.get("PORTAL_PROPOSALS_DIR") or str(PROJECT_ROOT / "proposals"),
        CONTENT_DIR=os.environ.get("PORTAL_CONTENT_DIR") or str(PROJECT_ROOT / "content"),
        BUILD_DIR=os.environ.get("PORTAL_BUILD_DIR") or str(PROJECT_ROOT / "build"),
        SITE_URL=os.environ.get("PORTAL_SITE_URL") or "https://example.org/",
        # The font the rare-character subset is cut from (portal/rarefont.py).
        RARE_FONT=os.environ.get("PORTAL_RARE_FONT") or DEFAULT_SOURCE,
        # Relative links let the frozen site work under any sub-path of any host.
        FREEZER_RELATIVE_URLS=True,
        # A broken page must fail the build, not become a file with an error in it.
        TRAP_HTTP_EXCEPTIONS=True,
        PROPAGATE_EXCEPTIONS=True,
        FREEZER_DESTINATION_IGNORE=[".gitkeep"],
    )
    app.config.update(test_config or {})
    i18n.init_app(app)
    static_versions.init_app(app)

    from portal.showcase import fonts, site

    site.init_app(app)
    fonts.init_app(app)
    return app
