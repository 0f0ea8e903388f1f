"""The showcase's rare-character font: one subset for the whole site, made when it is frozen.

The characters outside the BMP in the published case files and the site pages are cut
from the source font (`portal.rarefont`) into `static/fonts/rare-<hash>.woff2` (or .woff),
named by its content, and `static/fonts/rare.css` declares it with a `unicode-range` of
exactly those code points. Pages link the style sheet only when there are such
characters, with the subset's hash as a query, so a browser holding an older style sheet
asks again. The style sheet itself keeps its name and is written by every build, so a
case page the freezer did not render again (its file did not change) still finds it.

The same cases and source font give the same bytes, so a build with nothing changed
still writes nothing. Without the source font the site is built all the same, without
the subset, and the build logs a warning.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, abort, current_app
from werkzeug.wrappers import Response

from portal import rarefont

bp = Blueprint("fonts", __name__)

STYLE_SHEET = "rare.css"


@dataclass(frozen=True)
class SiteFont:
    """The subset the site's pages need: its file name and bytes, and its style sheet."""

    codepoints: frozenset[int]
    name: str
    data: bytes
    kind: str
    css: str

    @property
    def version(self) -> str:
        return self.name.split("-", 1)[1].split(".", 1)[0]


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.jinja_env.globals["rare_font"] = site_font


def site_text(proposals_dir: Path, content_dir: Path) -> Iterator[str]:
    """The text of every published case file and site page: what the pages show."""
    for path in sorted(proposals_dir.glob("*/*.md")):
        yield path.read_text("utf-8")
    for path in sorted(content_dir.glob("*.md")):
        yield path.read_text("utf-8")


def site_font() -> SiteFont | None:
    """The subset for this app's cases, made once per app on first use (a build with
    nothing to render never makes it); None when no page needs one or none can be made."""
    found: dict[str, SiteFont | None] = current_app.extensions.setdefault("showcase.rare_font", {})
    if "font" not in found:
        found["font"] = _make(current_app)
    return found["font"]


def _make(app: Flask) -> SiteFont | None:
    codes: set[int] = set()
    for text in site_text(Path(app.config["PROPOSALS_DIR"]), Path(app.config["CONTENT_DIR"])):
        codes |= rarefont.used(text)
    if not codes:
        return None
    listed = " ".join(chr(code) for code in sorted(codes))
    source = rarefont.source_font(app.config.get("RARE_FONT"))
    if source is None:
        app.logger.warning(
            "找不到罕用字字型 %s（Debian 套件 fonts-cns11643-sung，或以 PORTAL_RARE_FONT 指定）："
            "網站照常產生，但不附罕用字字型，缺字的讀者會看到空框：%s",
            app.config.get("RARE_FONT") or "（未設定）",
            listed,
        )
        return None
    drawn = frozenset(codes) & rarefont.covered(source)
    if drawn != codes:
        app.logger.warning(
            "罕用字字型 %s 沒有這些字，網站不附它們的字型：%s",
            source,
            " ".join(chr(code) for code in sorted(codes - drawn)),
        )
    if not drawn:
        return None
    kind = rarefont.flavor()
    data = rarefont.subset(source, drawn, kind)
    name = f"rare-{hashlib.sha256(data).hexdigest()[:16]}.{kind}"
    return SiteFont(codepoints=drawn, name=name, data=data, kind=kind, css=rarefont.font_face(name, drawn, kind))


def url_generators() -> Iterator[tuple[str, dict[str, Any]]]:
    """The style sheet always (empty when no page needs it: pages the freezer keeps from
    an earlier build may link it), the subset when there is one."""
    yield "fonts.style", {}
    font = site_font()
    if font is not None:
        yield "fonts.font", {"name": font.name}


@bp.route(f"/static/fonts/{STYLE_SHEET}")
def style() -> Response:
    font = site_font()
    css = font.css if font is not None else rarefont.font_face("", ())
    return Response(css, mimetype="text/css")


@bp.route("/static/fonts/<name>")
def font(name: str) -> Response:
    found = site_font()
    if found is None or name != found.name:
        abort(404)
    return Response(found.data, mimetype=rarefont.MEDIA_TYPES[found.kind])
