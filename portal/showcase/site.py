"""The showcase's pages. Everything here is public by construction: it reads only the
site pages and the published case files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, abort, current_app, render_template
from werkzeug.wrappers import Response

from portal import text
from portal.showcase.content import Page, load_pages

bp = Blueprint("site", __name__)

LANGUAGES = ("zh", "en")


def init_app(app: Flask) -> None:
    """Load the site pages once at start-up: a bad page stops the app (and the build)."""
    app.extensions["showcase.pages"] = load_pages(Path(app.config["CONTENT_DIR"]))
    app.register_blueprint(bp)
    app.register_error_handler(404, not_found)
    app.jinja_env.filters["safe_page"] = text.cached
    app.context_processor(lambda: {"site_pages": pages()})


def pages() -> list[Page]:
    loaded: list[Page] = current_app.extensions["showcase.pages"]
    return loaded


def page_by_slug(slug: str) -> Page:
    for page in pages():
        if page.slug == slug:
            return page
    abort(404)


def url_generators() -> Iterator[tuple[str, dict[str, Any]]]:
    """Pages the freezer cannot find from links alone."""
    yield "site.not_found_page", {}
    for page in pages():
        yield "site.page", {"slug": page.slug}
        yield "site.page_en", {"slug": page.slug}


@bp.route("/")
def home() -> str:
    return render_template("showcase/home.html", lang="zh", intro=page_by_slug("about") if _has("about") else None)


@bp.route("/en/")
def home_en() -> str:
    return render_template("showcase/home.html", lang="en", intro=None)


@bp.route("/<slug>/")
def page(slug: str) -> str:
    return render_template("showcase/page.html", lang="zh", page=page_by_slug(slug))


@bp.route("/en/<slug>/")
def page_en(slug: str) -> str:
    return render_template("showcase/page.html", lang="en", page=page_by_slug(slug))


@bp.route("/404.html")
def not_found_page() -> str:
    return render_template("showcase/404.html", lang="zh")


@bp.route("/robots.txt")
def robots() -> Response:
    sitemap = current_app.config["SITE_URL"].rstrip("/") + "/sitemap.xml"
    return Response(f"User-agent: *\nAllow: /\nSitemap: {sitemap}\n", mimetype="text/plain")


@bp.route("/sitemap.xml")
def sitemap() -> Response:
    base = current_app.config["SITE_URL"].rstrip("/")
    paths = ["/", "/en/"] + [f"/{p.slug}/" for p in pages()] + [f"/en/{p.slug}/" for p in pages()]
    body = render_template("showcase/sitemap.xml", urls=[base + path for path in paths])
    return Response(body, mimetype="application/xml")


def not_found(_error: Exception) -> tuple[str, int]:
    return render_template("showcase/404.html", lang="zh"), 404


def _has(slug: str) -> bool:
    return any(p.slug == slug for p in pages())
