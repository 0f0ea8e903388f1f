"""Security headers on every portal response, and no inline script or style anywhere.

The route table below must name every rule of the URL map: a new route without an
entry fails `test_every_route_is_in_the_table`."""

from __future__ import annotations

import re
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import accounts, review, snapshot
from portal.config import PROJECT_ROOT
from portal.db.models import Programme, User
from portal.domain.roles import Role
from portal.security import CONTENT_SECURITY_POLICY
from tests.conftest import PASSWORD_HASH, PULI, Factory, make_app
from tests.test_publish import expected_case
from tests.test_review import Round

EXPECTED = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
        "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def security_headers(headers: object) -> dict[str, str | None]:
    get = headers.get  # type: ignore[attr-defined]
    return {name: get(name) for name in [*EXPECTED, "Strict-Transport-Security"]}


# --- inline code -----------------------------------------------------------------------------


class InlineCode(HTMLParser):
    """Collects what a CSP without 'unsafe-inline' would block: inline <script> and <style>,
    style="…" and on…="…" attributes, javascript: links."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._open: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "style":
            self.found.append("<style>")
        if tag == "script":
            if not names.get("src"):
                self.found.append("<script> without src")
            self._open = "script"
        for name, value in attrs:
            if name == "style" or re.fullmatch(r"on[a-z]+", name):
                self.found.append(f"<{tag} {name}=…>")
            if name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.found.append(f"<{tag} {name}=javascript:…>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._open = None

    def handle_data(self, data: str) -> None:
        if self._open == "script" and data.strip():
            self.found.append("<script> with inline code")


def inline_code(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    parser.close()
    return parser.found


# Jinja tags and expressions become a neutral word, so that `{% if x %}required{% endif %}`
# inside a tag reads as plain attributes.
JINJA = re.compile(r"\{%.*?%\}|\{\{.*?\}\}|\{#.*?#\}", re.S)

TEMPLATES = sorted((PROJECT_ROOT / "templates").rglob("*.html")) + sorted((PROJECT_ROOT / "templates").rglob("*.xml"))


def test_the_template_check_finds_inline_code() -> None:
    source = JINJA.sub(
        "x",
        '<div style="color:red" {{ a }}><a href="javascript:go()" onclick="go()">x</a></div>'
        "<script>go()</script><style>p{}</style><script src=\"{{ url_for('static') }}\"></script>",
    )
    assert inline_code(source) == [
        "<div style=…>",
        "<a href=javascript:…>",
        "<a onclick=…>",
        "<script> without src",
        "<script> with inline code",
        "<style>",
    ]


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(PROJECT_ROOT / "templates")))
def test_no_template_has_inline_script_or_style(template: Path) -> None:
    assert inline_code(JINJA.sub("x", template.read_text("utf-8"))) == []


def test_every_template_is_checked() -> None:
    assert len(TEMPLATES) >= 50
    assert PROJECT_ROOT / "templates/base.html" in TEMPLATES
    assert PROJECT_ROOT / "templates/showcase/search.html" in TEMPLATES


# --- every route -----------------------------------------------------------------------------


class World:
    """A township with a draft and a proposal in review, a county, three reviewers (two
    assigned), an admin, and one published case for the showcase preview."""

    def __init__(self, app: Flask, make: Factory, session: Session) -> None:
        self.round = Round(app, make, session)
        self.in_review = self.round.in_review(*self.round.reviewers[:2], title="埔里審查中案")
        self.draft = make.proposal(self.round.township, title="埔里草稿案")
        # A ministry account, and a case through 三高 screening for its case page.
        self.ministry = accounts.create_user(
            session, email="ministry@example.org", name="部會承辦", role=Role.MINISTRY, ministry="經濟部"
        )
        self.ministry.password_hash = PASSWORD_HASH
        self.screened = self.round.in_review(self.round.reviewers[2], title="埔里媒合案")
        self.round.score(self.screened, self.round.reviewers[2], {"feasibility": 5, "creativity": 5, "spillover": 5})
        programme = session.scalars(select(Programme).order_by(Programme.id)).first()
        assert programme is not None
        self.programme_id = programme.id
        # A round (梯次) record, for its edit page.
        self.call = make.round()
        # An approved case, for its follow-up pages (the township's report form among them).
        self.approved = self.round.in_review(self.round.reviewers[0], title="埔里核定案")
        self.round.score(self.approved, self.round.reviewers[0], {"feasibility": 5, "creativity": 5, "spillover": 5})
        review.decide(
            session,
            self.approved,
            self.round.admin,
            outcome="approve",
            reasons="",
            meeting=self.round.meeting,
            resources=[],
        )
        newcomer = make.user(Role.TOWNSHIP, township=PULI, password=None)
        self.token = accounts.issue_password_link(session, newcomer)
        session.commit()
        case = expected_case("puli-township-7", date(2026, 11, 2))
        target = Path(app.config["PROPOSALS_DIR"]) / "2026" / "puli-township-7.md"
        target.parent.mkdir(parents=True)
        target.write_text(snapshot.dump(case), "utf-8")

    def client(self, actor: str) -> FlaskClient:
        people: dict[str, User] = {
            "admin": self.round.admin,
            "township": self.round.township,
            "reviewer": self.round.reviewers[0],
            "ministry": self.ministry,
        }
        if actor == "anonymous":
            return self.round.app.test_client()
        return self.round.browser(people[actor]).client


@pytest.fixture
def world(app: Flask, make: Factory, session: Session) -> World:
    return World(app, make, session)


# endpoint -> the URLs to open (with the world's ids), who opens them, and the status they get.
def routes(w: World) -> dict[str, list[tuple[str, str, int]]]:
    draft, in_review, approved = w.draft.id, w.in_review.id, w.approved.id
    return {
        "main.index": [("/", "admin", 200), ("/", "anonymous", 302)],
        "admin.audit": [("/admin/audit", "admin", 200), ("/admin/audit", "township", 403)],
        "admin.programme": [(f"/admin/programmes/{w.programme_id}", "admin", 200)],
        "admin.reference": [("/admin/reference", "admin", 200)],
        "admin.showcase": [("/admin/showcase", "admin", 200)],
        "admin.showcase_preview": [
            ("/admin/showcase/preview/", "admin", 200),
            ("/admin/showcase/preview/statistics/", "admin", 200),
            ("/admin/showcase/preview/cases/puli-township-7/", "admin", 200),
            ("/admin/showcase/preview/search/", "admin", 200),
            ("/admin/showcase/preview/static/css/portal.css", "admin", 200),
            ("/admin/showcase/preview/no-such-page/", "admin", 404),
        ],
        "admin.users": [("/admin/users", "admin", 200)],
        "admin.user_edit": [
            (f"/admin/users/{w.round.township.id}", "admin", 200),
            ("/admin/users/999999", "admin", 404),
        ],
        "results.index": [("/admin/results", "admin", 200), ("/admin/results", "township", 403)],
        "results.export_csv": [("/admin/results/2026.csv", "admin", 200)],
        "results.export_json": [("/admin/results/2026.json", "admin", 200), ("/admin/results/1800.json", "admin", 404)],
        "reports.rounds": [("/admin/report-rounds", "admin", 200), ("/admin/report-rounds", "township", 403)],
        "reports.start": [(f"/proposals/{in_review}/reports/2026", "township", 302)],
        "reports.section": [
            (f"/proposals/{in_review}/reports/2026/kpis", "township", 302),
            (f"/proposals/{approved}/reports/2026/kpis", "township", 200),
            (f"/proposals/{approved}/reports/2026/businesses", "township", 200),
            (f"/proposals/{approved}/reports/2026/received", "township", 200),
        ],
        "reports.check": [
            (f"/proposals/{in_review}/reports/2026/check", "township", 302),
            (f"/proposals/{approved}/reports/2026/check", "township", 200),
        ],
        "followup.case": [
            (f"/proposals/{approved}/followup", "township", 200),
            (f"/proposals/{approved}/followup", "reviewer", 200),
            (f"/proposals/{approved}/followup", "admin", 200),
            (f"/proposals/{in_review}/followup", "township", 404),
        ],
        "reports.show": [(f"/proposals/{in_review}/reports/2026/v1", "township", 404)],
        "yearend.waiting": [("/yearend/", "reviewer", 200), ("/yearend/", "township", 403)],
        "yearend.review": [("/yearend/reports/999999", "reviewer", 404)],
        "auth.login": [("/auth/login", "anonymous", 200)],
        "auth.forgot_password": [("/auth/forgot", "anonymous", 200)],
        "auth.set_password": [
            (f"/auth/set-password/{w.token}", "anonymous", 200),
            ("/auth/set-password/not-a-token", "anonymous", 410),
        ],
        "notifications.inbox": [("/notifications/", "township", 200)],
        "fonts.style": [("/fonts/rare-21619-25562.css", "anonymous", 200)],
        "fonts.font": [("/fonts/rare-10000.woff2", "anonymous", 404)],
        "proposals.detail": [(f"/proposals/{draft}", "township", 200), ("/proposals/999999", "township", 404)],
        "wizard.one_page": [
            (f"/proposals/{draft}/brief", "township", 200),
            (f"/proposals/{in_review}/revisions/1/brief", "township", 200),
        ],
        "wizard.check": [(f"/proposals/{draft}/check", "township", 200)],
        "wizard.overview": [(f"/proposals/{draft}/edit", "township", 200)],
        "wizard.section": [(f"/proposals/{draft}/edit/dna", "township", 200)],
        "wizard.new": [("/proposals/new", "township", 200)],
        "review.assigned": [("/review/", "reviewer", 200)],
        "review.score": [(f"/review/{in_review}", "reviewer", 200)],
        "review.decide": [(f"/review/decide/{in_review}", "admin", 200)],
        "meetings.index": [("/admin/meetings/", "admin", 200)],
        "rounds.index": [("/admin/rounds/", "admin", 200)],
        "rounds.new": [("/admin/rounds/new", "admin", 200)],
        "rounds.edit": [(f"/admin/rounds/{w.call.id}", "admin", 200)],
        "meetings.show": [(f"/admin/meetings/{w.round.meeting.id}", "admin", 200)],
        "review.manage": [("/review/manage", "admin", 200)],
        "review.assign": [(f"/review/manage/{in_review}/assign", "admin", 200)],
        "review.history": [(f"/review/manage/{in_review}/reviews", "admin", 200)],
        "review.ranking": [("/review/ranking?cycle=2026", "admin", 200)],
        "review.ranking_csv": [("/review/ranking.csv?cycle=2026", "admin", 200)],
        "review.ranking_json": [("/review/ranking.json?cycle=2026", "admin", 200)],
        "ministry.cases": [("/ministry/", "ministry", 200), ("/ministry/", "admin", 403)],
        "ministry.case": [(f"/ministry/{w.screened.id}", "ministry", 200), (f"/ministry/{in_review}", "ministry", 404)],
        "static": [("/static/css/portal.css", "anonymous", 200), ("/static/js/portal.js", "anonymous", 200)],
    }


def get_rules(app: Flask) -> set[str]:
    return {rule.endpoint for rule in app.url_map.iter_rules() if "GET" in (rule.methods or set())}


def post_rules(app: Flask) -> dict[str, str]:
    """Each POST-only rule, with any id filled in."""
    found = {}
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or set()):
            found[rule.endpoint] = re.sub(r"<[^>]+>", "1", rule.rule)
    return found


def test_every_route_is_in_the_table(world: World, app: Flask) -> None:
    assert set(routes(world)) == get_rules(app)


def test_every_page_has_the_security_headers_and_no_inline_code(world: World) -> None:
    seen = {}
    inline = {}
    for opened in routes(world).values():
        for url, actor, _ in opened:
            response = world.client(actor).get(url)
            seen[(url, actor)] = (response.status_code, security_headers(response.headers))
            if response.mimetype == "text/html":
                inline[url] = inline_code(response.get_data(as_text=True))
            response.close()

    expected = {
        (url, actor): (status, {**EXPECTED, "Strict-Transport-Security": None})
        for opened in routes(world).values()
        for url, actor, status in opened
    }
    assert seen == expected
    assert inline == {url: [] for url in inline}
    # Every page was checked: all but the style sheets, scripts and data exports.
    data = (".css", ".js", ".csv?cycle=2026", ".json?cycle=2026", "2026.csv", "2026.json")
    assert sorted(inline) == sorted({url for url, _ in expected if not url.endswith(data)})


def test_posts_without_a_token_and_errors_have_the_headers(world: World, app: Flask) -> None:
    client = world.client("admin")
    answers = {endpoint: client.post(url) for endpoint, url in post_rules(app).items()}

    # The wizard checks its form token itself and sends the user back to the page with
    # the input kept; every other form is refused by CSRFProtect.
    statuses = {e: 302 if e.startswith("wizard.") else 400 for e in answers}
    assert {e: (r.status_code, security_headers(r.headers)) for e, r in answers.items()} == {
        e: (statuses[e], {**EXPECTED, "Strict-Transport-Security": None}) for e in answers
    }
    missing = client.get("/no/such/page")
    assert (missing.status_code, security_headers(missing.headers)) == (
        404,
        {**EXPECTED, "Strict-Transport-Security": None},
    )


def test_a_server_error_page_has_the_headers(tmp_path: Path) -> None:
    app = make_app(tmp_path, PROPAGATE_EXCEPTIONS=False)

    @app.route("/boom")
    def boom() -> str:
        raise RuntimeError("壞了")

    response = app.test_client().get("/boom")

    assert (response.status_code, security_headers(response.headers)) == (
        500,
        {**EXPECTED, "Strict-Transport-Security": None},
    )


def test_hsts_only_in_production(tmp_path: Path) -> None:
    production = make_app(tmp_path, ENV="production", SESSION_COOKIE_SECURE=True)

    response = production.test_client().get("/static/css/portal.css")
    response.close()

    assert security_headers(response.headers) == {**EXPECTED, "Strict-Transport-Security": "max-age=31536000"}


def test_policy_constant_is_the_one_sent() -> None:
    assert EXPECTED["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
