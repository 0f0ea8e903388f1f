"""Links to static files that change when the file does.

Browsers and the showcase's static host keep `static/` for a day (portal/showcase/
headers.py). Without a version in the link, a release that changes a style sheet or a
script reaches pages at once but visitors' caches only a day later: new HTML with an old
`search.js` or `portal.css`. Every `url_for("static", filename=...)` of the portal and
the showcase therefore gains `?v=` and the first 12 hex digits of the file's SHA-256.
Static hosts ignore the query, and Frozen-Flask writes the file under its plain path.

A file's digest is kept per worker and read again only when its size or modification
time changes, so a link costs one `stat` call.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.security import safe_join

VERSION_LENGTH = 12


def init_app(app: Flask) -> None:
    known: dict[str, tuple[tuple[int, int], str]] = {}

    @app.url_defaults
    def add_version(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint != "static" or "v" in values or app.static_folder is None:
            return
        filename = values.get("filename")
        if not isinstance(filename, str):
            return
        path = safe_join(app.static_folder, filename)
        if path is None:
            return
        version = version_of(Path(path), filename, known)
        if version is not None:
            values["v"] = version


def version_of(path: Path, key: str, known: dict[str, tuple[tuple[int, int], str]]) -> str | None:
    """The file's version, from `known` while its size and time are those it was read at;
    None for a file that is not there (the link then stays as it was)."""
    try:
        stat = path.stat()
    except OSError:
        return None
    seen = (stat.st_size, stat.st_mtime_ns)
    cached = known.get(key)
    if cached is not None and cached[0] == seen:
        return cached[1]
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:VERSION_LENGTH]
    except OSError:
        return None
    known[key] = (seen, digest)
    return digest
