"""The rare-character web font of the portal's pages (`portal.rarefont`).

Every HTML page that shows characters outside the BMP (a township's or a person's name
with 𥕢 or 𡘙) links a style sheet named after exactly those code points; the style sheet
holds the `@font-face` of a font subset of the characters the source font has. Both are
made on first request and kept per worker, one per set of code points. They are public,
like the style sheet they complement: the code points are in the address, never a
proposal's text.
"""

from __future__ import annotations

import threading
import time
from collections import deque

from flask import Blueprint, abort, current_app, url_for
from werkzeug.wrappers import Response

from portal import rarefont

bp = Blueprint("fonts", __name__, url_prefix="/fonts")

# The address names its content, which changes only with the source font: a day.
CACHE_CONTROL = "public, max-age=86400"

# Cutting a subset costs up to a second or so of CPU and the addresses are public, so a
# worker cuts at most this many subsets it has not cut before in any minute; beyond
# that it answers 503 with Retry-After (the characters show once the font arrives), so
# made-up addresses cannot keep a worker busy.
NEW_PER_MINUTE = 6
_made: set[tuple[frozenset[int], str]] = set()
_recent: deque[float] = deque()
_lock = threading.Lock()


@bp.route("/rare-<key>.css")
def style(key: str) -> Response:
    """The `@font-face` for the characters named by `key` that the source font has."""
    codes = rarefont.parse_key(key) or abort(404)
    source = rarefont.source_font(current_app.config.get("RARE_FONT"))
    drawn = codes & rarefont.covered(source) if source is not None else frozenset()
    kind = rarefont.flavor()
    css = rarefont.font_face(f"rare-{rarefont.key(drawn)}.{kind}", drawn, kind)
    return _cached(Response(css, mimetype="text/css"))


@bp.route("/rare-<key>.<any(woff2, woff):kind>")
def font(key: str, kind: str) -> Response:
    """The subset with exactly the glyphs named by `key`; 404 unless the source font has
    every one (the style sheet names only such sets) and `kind` is the one made here."""
    codes = rarefont.parse_key(key)
    source = rarefont.source_font(current_app.config.get("RARE_FONT"))
    if codes is None or source is None or kind != rarefont.flavor() or not codes <= rarefont.covered(source):
        abort(404)
    if not _may_cut(codes, kind):
        return Response("請稍後再試。", status=503, headers={"Retry-After": "60"}, mimetype="text/plain")
    return _cached(Response(rarefont.subset(source, codes, kind), mimetype=rarefont.MEDIA_TYPES[kind]))


def _may_cut(codes: frozenset[int], kind: str) -> bool:
    """Whether this worker may serve the subset: one it cut before always, a new one
    while fewer than NEW_PER_MINUTE new ones were cut in the last minute."""
    with _lock:
        if (codes, kind) in _made:
            return True
        now = time.monotonic()
        while _recent and now - _recent[0] >= 60:
            _recent.popleft()
        if len(_recent) >= NEW_PER_MINUTE:
            return False
        _recent.append(now)
        if len(_made) >= 4 * NEW_PER_MINUTE * 60:  # a day's worth of distinct sets at most
            _made.clear()
        _made.add((codes, kind))
        return True


def _cached(response: Response) -> Response:
    response.headers["Cache-Control"] = CACHE_CONTROL
    return response


@bp.after_app_request
def link_rare_font(response: Response) -> Response:
    """Add the style sheet for the page's characters outside the BMP to an HTML page that
    has some, when the source font is installed. Pages are searched after rendering, so
    every template, and the text a user typed, is covered without marking anything."""
    if response.mimetype != "text/html" or response.direct_passthrough or response.is_streamed:
        return response
    page = response.get_data(as_text=True)
    codes = rarefont.used(page)
    if not codes or "</head>" not in page or rarefont.source_font(current_app.config.get("RARE_FONT")) is None:
        return response
    href = url_for("fonts.style", key=rarefont.key(rarefont.first(codes)))
    response.set_data(page.replace("</head>", f'  <link rel="stylesheet" href="{href}">\n</head>', 1))
    return response
