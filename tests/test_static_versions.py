"""Links to static files carry the file's version, so a release's new style sheet or
script reaches visitors whose browsers still hold the old one (portal/static_versions.py)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from flask import Flask, url_for
from flask.testing import FlaskClient

from portal import static_versions
from tests.conftest import versioned


def _links(html: str) -> list[str]:
    return re.findall(r'(?:href|src)="([^"]*static/[^"]*)"', html)


def test_portal_pages_link_their_style_sheet_script_and_icon_with_each_files_version(client: FlaskClient) -> None:
    html = client.get("/auth/login").get_data(as_text=True)

    assert _links(html) == [
        f"/static/{versioned('favicon.svg')}",
        f"/static/{versioned('css/portal.css')}",
        f"/static/{versioned('js/portal.js')}",
        f"/static/{versioned('favicon.svg')}",
    ]
    # The versioned address serves the file itself.
    with client.get(f"/static/{versioned('css/portal.css')}") as response:
        served = response.data
    assert served == (Path(static_versions.__file__).parent / "static" / "css" / "portal.css").read_bytes()


def test_a_changed_file_gets_a_new_version_and_a_missing_or_outside_one_none(tmp_path: Path) -> None:
    static = tmp_path / "static"
    static.mkdir()
    sheet = static / "site.css"
    sheet.write_text("body { color: black; }", "utf-8")
    app = Flask(__name__, static_folder=str(static))
    static_versions.init_app(app)

    def link(name: str) -> str:
        with app.test_request_context():
            return url_for("static", filename=name)

    first = link("site.css")
    sheet.write_text("body { color: #1f2328; }", "utf-8")
    second = link("site.css")

    assert first == "/static/site.css?v=" + hashlib.sha256(b"body { color: black; }").hexdigest()[:12]
    assert second == "/static/site.css?v=" + hashlib.sha256(b"body { color: #1f2328; }").hexdigest()[:12]
    assert link("missing.css") == "/static/missing.css"
    assert link("../outside.css") == "/static/../outside.css"
