"""Servers on loopback for the browser tests and the link check: the portal in a thread,
a plain static file server over a build folder (optionally under a sub-path), and the
demo data they serve. Nothing here needs a browser."""

from __future__ import annotations

import logging
import shutil
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from portal import db, demo, review
from portal.config import PROJECT_ROOT
from portal.db.models import User
from portal.showcase import create_showcase_app
from portal.showcase.build import build
from tests.conftest import PASSWORD_HASH, TemplateDatabase, make_app

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment


class _Thread:
    """Runs a server's serve_forever in a thread; stops and joins it on exit."""

    server: BaseWSGIServer | ThreadingHTTPServer
    url: str

    def __enter__(self) -> _Thread:
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join()


def _buffered(app: Flask) -> WSGIApplication:
    """The app with each response read whole, and closed, before it is written. A browser
    that drops a connection mid-response (a favicon fetch cut short by the next page)
    would otherwise leave the development server holding a static file open, and the
    warning about it would fail whichever test happened to be running."""

    def wsgi(environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        result = app(environ, start_response)
        try:
            return [b"".join(result)]
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()

    return wsgi


class LiveServer(_Thread):
    """The portal app on 127.0.0.1 and a free port."""

    def __init__(self, app: Flask) -> None:
        # Request lines would drown a failure's report; errors are still logged.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self.server = make_server("127.0.0.1", 0, _buffered(app), threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"


class _QuietHandler(SimpleHTTPRequestHandler):
    prefix = "/"
    # Files whose name ends with `slow` are answered `delay` seconds late: a slow network
    # for one file, to show what a page does while the rest has arrived.
    slow = ""
    delay = 0.0

    def do_GET(self) -> None:
        if self.slow and urlsplit(self.path).path.endswith(self.slow):
            time.sleep(self.delay)
        super().do_GET()

    def translate_path(self, path: str) -> str:
        """Serve the folder under `prefix` only, as a host serving the site under a sub-path."""
        route = unquote(urlsplit(path).path)
        if not route.startswith(self.prefix):
            return str(Path(self.directory) / ".outside-the-prefix")
        return super().translate_path("/" + route[len(self.prefix) :])

    def end_headers(self) -> None:
        # The headers every page gets from a static host that reads the build's _headers
        # file (its "/*" block): the showcase's Content-Security-Policy among them, so the
        # browser tests run the site, Pagefind's search included, under that policy.
        for name, value in site_wide_headers(Path(self.directory) / "_headers"):
            self.send_header(name, value)
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean


def site_wide_headers(rules: Path) -> list[tuple[str, str]]:
    """The `Name: value` lines of the "/*" block of a `_headers` file, if there is one."""
    if not rules.exists():
        return []
    found: list[tuple[str, str]] = []
    inside = False
    for line in rules.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if not line.startswith((" ", "\t")):
            inside = line.strip() == "/*"
        elif inside:
            name, _, value = line.strip().partition(":")
            found.append((name.strip(), value.strip()))
    return found


class StaticServer(_Thread):
    """A plain static file server over `root`, at http://127.0.0.1:port<prefix>."""

    def __init__(self, root: Path, prefix: str = "/", slow: str = "", delay: float = 0.0) -> None:
        handler = type("Handler", (_QuietHandler,), {"prefix": prefix, "slow": slow, "delay": delay})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(root)))
        self.url = f"http://127.0.0.1:{self.server.server_port}{prefix}"


def seeded_folder(folder: Path, template_db: TemplateDatabase) -> Flask:
    """A portal over `folder` (database, proposals/, content/, build/) with the demo
    accounts and proposals; every account's password is tests.conftest.PASSWORD."""
    template_db.copy_to(folder)
    shutil.copytree(PROJECT_ROOT / "content", folder / "content")
    app = make_app(folder)
    with app.app_context():
        session = db.session()
        demo.load(session, review.rubric(), proposals_dir=folder / "proposals")
        for user in session.query(User):
            user.password_hash = PASSWORD_HASH
        session.commit()
    return app


def freeze_demo(folder: Path, template_db: TemplateDatabase, site_url: str = "https://example.org/") -> Path:
    """The demo's published cases frozen into folder/build, as `portal demo` does."""
    app = seeded_folder(folder, template_db)
    db.database(app).engine.dispose()
    showcase = create_showcase_app(
        {"PROPOSALS_DIR": str(folder / "proposals"), "CONTENT_DIR": str(folder / "content"), "SITE_URL": site_url}
    )
    build(showcase, folder / "build")
    return folder / "build"
