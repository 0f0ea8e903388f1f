"""Every route of the portal × every kind of actor, against an expected-outcome table.

The routes come from the app's URL map, so a route added without an entry in `EXPECTED`
fails `test_every_route_has_an_entry`. Each actor asks for objects that belong to other
owners too (another township's draft, another county's case), and the requests are
empty forms carrying the browser's valid CSRF token, so that the permission check, not
the token, decides.

Outcomes: `login` (sent to the login page), `hidden` (404: not even its existence is
shown), `forbidden` (403), `ok` (past the permission check: a page, a redirect, or a
form error for the empty form sent). A 5xx fails the test whatever the table says.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from portal import accounts, meetings, operations, publish, review
from portal.db.models import (
    CounselEntry,
    CounselIssue,
    Meeting,
    Programme,
    ProgressReport,
    Proposal,
    User,
    YearEndReview,
)
from portal.domain.meetings import MeetingKind
from portal.domain.proposal import ProposalType
from portal.domain.roles import Role
from portal.domain.workflow import Action
from tests.conftest import DAREN, GUOXING, NANTOU, PASSWORD, PASSWORD_HASH, PULI, TAITUNG, Factory
from tests.documents import complete_document

ACTORS = (
    "anonymous",
    "disabled",
    "township_other_county",
    "township_same_county",
    "county_other",
    "reviewer_unassigned",
    "reviewer_conflicted",
    "reviewer_assigned",
    "county",
    "township",
    "admin",
    "ministry",
)

OK, LOGIN, HIDDEN, FORBIDDEN = "ok", "login", "hidden", "forbidden"
MINISTRY = "經濟部（中小及新創企業署）"
SIGNED_OUT = {"anonymous": LOGIN, "disabled": LOGIN}


def table(default: str, **exceptions: str) -> dict[str, str]:
    """An outcome per actor: `default` for every signed-in actor unless named."""
    row = {actor: default for actor in ACTORS}
    row.update(SIGNED_OUT)
    row.update(exceptions)
    return row


EVERYONE = {actor: OK for actor in ACTORS}
SIGNED_IN = table(OK)
ADMIN_ONLY = table(FORBIDDEN, admin=OK)
# The draft of 南投縣埔里鎮: only its own township writes it; the county sees it only
# once submitted, and so does everyone else.
DRAFT_AUTHORS = table(HIDDEN, township=OK)
# The case in review: the township, its county, the assigned reviewer and the NDC.
CASE_READERS = table(HIDDEN, township=OK, county=OK, reviewer_assigned=OK, admin=OK)
# Reviewers' pages refuse other roles (403), but only after the case's existence is
# hidden from those who may not see it (404).
REVIEWERS_OF_CASE = table(HIDDEN, reviewer_assigned=OK, township=FORBIDDEN, county=FORBIDDEN, admin=FORBIDDEN)
REVIEWER_PAGES = table(FORBIDDEN, reviewer_assigned=OK, reviewer_unassigned=OK, reviewer_conflicted=OK)

# (endpoint, URL rule, method) -> (path to ask for, outcome per actor). `{draft}`,
# `{case}`, `{programme}` and `{user}` are filled in with the ids of the test's objects.
EXPECTED: dict[tuple[str, str, str], tuple[str, dict[str, str]]] = {
    ("main.index", "/", "GET"): ("/", SIGNED_IN),
    ("static", "/static/<path:filename>", "GET"): ("/static/favicon.svg", EVERYONE),
    ("auth.login", "/auth/login", "GET"): ("/auth/login", EVERYONE),
    ("auth.login", "/auth/login", "POST"): ("/auth/login", EVERYONE),
    ("auth.forgot_password", "/auth/forgot", "GET"): ("/auth/forgot", EVERYONE),
    ("auth.forgot_password", "/auth/forgot", "POST"): ("/auth/forgot", EVERYONE),
    ("auth.logout", "/auth/logout", "POST"): ("/auth/logout", {actor: LOGIN for actor in ACTORS}),
    ("auth.set_password", "/auth/set-password/<token>", "GET"): ("/auth/set-password/not-a-token", EVERYONE),
    ("auth.set_password", "/auth/set-password/<token>", "POST"): ("/auth/set-password/not-a-token", EVERYONE),
    ("notifications.inbox", "/notifications/", "GET"): ("/notifications/", SIGNED_IN),
    # The rare-character font: public like the style sheet; a font for code points the
    # source font lacks (U+10000 is not a CJK character) is not found, for anyone.
    ("fonts.style", "/fonts/rare-<key>.css", "GET"): ("/fonts/rare-25562.css", EVERYONE),
    ("fonts.font", "/fonts/rare-<key>.<any(woff2, woff):kind>", "GET"): (
        "/fonts/rare-10000.woff2",
        {actor: HIDDEN for actor in ACTORS},
    ),
    ("notifications.mark_read", "/notifications/read", "POST"): ("/notifications/read", SIGNED_IN),
    # Proposals
    ("wizard.new", "/proposals/new", "GET"): (
        "/proposals/new",
        table(FORBIDDEN, township=OK, township_same_county=OK, township_other_county=OK, county=OK, county_other=OK),
    ),
    ("wizard.new", "/proposals/new", "POST"): (
        "/proposals/new",
        table(FORBIDDEN, township=OK, township_same_county=OK, township_other_county=OK, county=OK, county_other=OK),
    ),
    ("proposals.detail", "/proposals/<int:proposal_id>", "GET"): ("/proposals/{case}", CASE_READERS),
    ("proposals.transition", "/proposals/<int:proposal_id>/transition", "POST"): (
        "/proposals/{case}/transition",
        CASE_READERS,
    ),
    # Co-signing: past the permission check for everyone who sees the case; the operation
    # then refuses all but a partner county (tests/test_cosign.py).
    ("proposals.cosign_add", "/proposals/<int:proposal_id>/cosign", "POST"): ("/proposals/{case}/cosign", CASE_READERS),
    ("proposals.cosign_withdraw", "/proposals/<int:proposal_id>/cosign/withdraw", "POST"): (
        "/proposals/{case}/cosign/withdraw",
        CASE_READERS,
    ),
    ("wizard.overview", "/proposals/<int:proposal_id>/edit", "GET"): ("/proposals/{draft}/edit", DRAFT_AUTHORS),
    ("wizard.section", "/proposals/<int:proposal_id>/edit/<step_id>", "GET"): (
        "/proposals/{draft}/edit/dna",
        DRAFT_AUTHORS,
    ),
    ("wizard.section", "/proposals/<int:proposal_id>/edit/<step_id>", "POST"): (
        "/proposals/{draft}/edit/dna",
        DRAFT_AUTHORS,
    ),
    ("wizard.check", "/proposals/<int:proposal_id>/check", "GET"): ("/proposals/{draft}/check", DRAFT_AUTHORS),
    ("wizard.submit", "/proposals/<int:proposal_id>/submit", "POST"): ("/proposals/{draft}/submit", DRAFT_AUTHORS),
    ("wizard.change_round", "/proposals/<int:proposal_id>/round", "POST"): ("/proposals/{draft}/round", DRAFT_AUTHORS),
    ("wizard.one_page", "/proposals/<int:proposal_id>/brief", "GET"): ("/proposals/{case}/brief", CASE_READERS),
    ("wizard.one_page", "/proposals/<int:proposal_id>/revisions/<int:number>/brief", "GET"): (
        "/proposals/{case}/revisions/1/brief",
        CASE_READERS,
    ),
    # Review
    ("review.assigned", "/review/", "GET"): ("/review/", REVIEWER_PAGES),
    ("review.score", "/review/<int:proposal_id>", "GET"): ("/review/{case}", REVIEWERS_OF_CASE),
    ("review.score", "/review/<int:proposal_id>", "POST"): ("/review/{case}", REVIEWERS_OF_CASE),
    ("review.declare", "/review/<int:proposal_id>/conflict", "POST"): ("/review/{case}/conflict", REVIEWERS_OF_CASE),
    ("review.decide", "/review/decide/<int:proposal_id>", "GET"): ("/review/decide/{case}", ADMIN_ONLY),
    ("review.decide", "/review/decide/<int:proposal_id>", "POST"): ("/review/decide/{case}", ADMIN_ONLY),
    ("review.manage", "/review/manage", "GET"): ("/review/manage", ADMIN_ONLY),
    ("review.assign", "/review/manage/<int:proposal_id>/assign", "GET"): (
        "/review/manage/{case}/assign",
        ADMIN_ONLY,
    ),
    ("review.assign", "/review/manage/<int:proposal_id>/assign", "POST"): (
        "/review/manage/{case}/assign",
        ADMIN_ONLY,
    ),
    ("review.history", "/review/manage/<int:proposal_id>/reviews", "GET"): (
        "/review/manage/{case}/reviews",
        ADMIN_ONLY,
    ),
    ("review.add_affiliation", "/review/manage/affiliation", "POST"): ("/review/manage/affiliation", ADMIN_ONLY),
    ("review.ranking", "/review/ranking", "GET"): ("/review/ranking", ADMIN_ONLY),
    ("review.ranking_csv", "/review/ranking.csv", "GET"): ("/review/ranking.csv", ADMIN_ONLY),
    ("review.ranking_json", "/review/ranking.json", "GET"): ("/review/ranking.json", ADMIN_ONLY),
    # Ministries (部會): their own pages only; the case has passed 三高 screening.
    ("ministry.cases", "/ministry/", "GET"): ("/ministry/", table(FORBIDDEN, ministry=OK)),
    ("ministry.case", "/ministry/<int:proposal_id>", "GET"): ("/ministry/{case}", table(FORBIDDEN, ministry=OK)),
    ("ministry.case", "/ministry/<int:proposal_id>", "POST"): ("/ministry/{case}", table(FORBIDDEN, ministry=OK)),
    # The NDC's administration
    ("admin.audit", "/admin/audit", "GET"): ("/admin/audit", ADMIN_ONLY),
    # Results of the follow-up: the NDC's export of a year and re-writing the case files.
    ("results.index", "/admin/results", "GET"): ("/admin/results", ADMIN_ONLY),
    ("results.export_csv", "/admin/results/<int:year>.csv", "GET"): ("/admin/results/2026.csv", ADMIN_ONLY),
    ("results.export_json", "/admin/results/<int:year>.json", "GET"): ("/admin/results/2026.json", ADMIN_ONLY),
    ("results.republish", "/admin/results/republish", "POST"): ("/admin/results/republish", ADMIN_ONLY),
    # Progress reports: the case is in review, so every reader of it is refused by the
    # operation (a redirect, or the form shown again), not by the page; no report exists.
    ("reports.rounds", "/admin/report-rounds", "GET"): ("/admin/report-rounds", ADMIN_ONLY),
    ("reports.rounds", "/admin/report-rounds", "POST"): ("/admin/report-rounds", ADMIN_ONLY),
    ("reports.start", "/proposals/<int:proposal_id>/reports/<int:year>", "GET"): (
        "/proposals/{case}/reports/2026",
        CASE_READERS,
    ),
    ("reports.section", "/proposals/<int:proposal_id>/reports/<int:year>/<step_id>", "GET"): (
        "/proposals/{case}/reports/2026/kpis",
        CASE_READERS,
    ),
    ("reports.section", "/proposals/<int:proposal_id>/reports/<int:year>/<step_id>", "POST"): (
        "/proposals/{case}/reports/2026/kpis",
        CASE_READERS,
    ),
    ("reports.check", "/proposals/<int:proposal_id>/reports/<int:year>/check", "GET"): (
        "/proposals/{case}/reports/2026/check",
        CASE_READERS,
    ),
    ("reports.check", "/proposals/<int:proposal_id>/reports/<int:year>/check", "POST"): (
        "/proposals/{case}/reports/2026/check",
        CASE_READERS,
    ),
    ("reports.show", "/proposals/<int:proposal_id>/reports/<int:year>/v<int:number>", "GET"): (
        "/proposals/{case}/reports/2026/v1",
        table(HIDDEN),
    ),
    # Year-end review: the case is in review and no report or review exists, so every
    # report, review and closing is hidden; the waiting list is the reviewers' and the NDC's.
    ("yearend.waiting", "/yearend/", "GET"): (
        "/yearend/",
        table(FORBIDDEN, reviewer_assigned=OK, reviewer_unassigned=OK, reviewer_conflicted=OK, admin=OK),
    ),
    ("followup.case", "/proposals/<int:proposal_id>/followup", "GET"): ("/proposals/{case}/followup", table(HIDDEN)),
    ("yearend.review", "/yearend/reports/<int:report_id>", "GET"): ("/yearend/reports/1", table(HIDDEN)),
    ("yearend.review", "/yearend/reports/<int:report_id>", "POST"): ("/yearend/reports/1", table(HIDDEN)),
    ("yearend.reopen", "/yearend/reviews/<int:review_id>/reopen", "POST"): ("/yearend/reviews/1/reopen", table(HIDDEN)),
    ("yearend.close", "/yearend/proposals/<int:proposal_id>/close", "POST"): (
        "/yearend/proposals/{case}/close",
        table(HIDDEN),
    ),
    # Counselling log: the case is in review, so its readers are sent back with the
    # operation's message (a redirect); those who may not see it get 404.
    ("counsel.add", "/proposals/<int:proposal_id>/counsel", "POST"): (
        "/proposals/{case}/counsel",
        CASE_READERS,
    ),
    ("counsel.resolve", "/proposals/<int:proposal_id>/counsel/issues/<int:issue_id>/resolve", "POST"): (
        "/proposals/{case}/counsel/issues/1/resolve",
        CASE_READERS,
    ),
    # Rounds: the world's one round is the database's first (id 1).
    ("rounds.index", "/admin/rounds/", "GET"): ("/admin/rounds/", ADMIN_ONLY),
    ("rounds.new", "/admin/rounds/new", "GET"): ("/admin/rounds/new", ADMIN_ONLY),
    ("rounds.new", "/admin/rounds/new", "POST"): ("/admin/rounds/new", ADMIN_ONLY),
    ("rounds.edit", "/admin/rounds/<int:round_id>", "GET"): ("/admin/rounds/1", ADMIN_ONLY),
    ("rounds.edit", "/admin/rounds/<int:round_id>", "POST"): ("/admin/rounds/1", ADMIN_ONLY),
    # 會報 meetings: the world's one meeting is the database's first (id 1).
    ("meetings.index", "/admin/meetings/", "GET"): ("/admin/meetings/", ADMIN_ONLY),
    ("meetings.index", "/admin/meetings/", "POST"): ("/admin/meetings/", ADMIN_ONLY),
    ("meetings.show", "/admin/meetings/<int:meeting_id>", "GET"): ("/admin/meetings/1", ADMIN_ONLY),
    ("meetings.show", "/admin/meetings/<int:meeting_id>", "POST"): ("/admin/meetings/1", ADMIN_ONLY),
    ("admin.reference", "/admin/reference", "GET"): ("/admin/reference", ADMIN_ONLY),
    ("admin.programme", "/admin/programmes/<int:programme_id>", "GET"): ("/admin/programmes/{programme}", ADMIN_ONLY),
    ("admin.programme", "/admin/programmes/<int:programme_id>", "POST"): (
        "/admin/programmes/{programme}",
        ADMIN_ONLY,
    ),
    ("admin.programme_new", "/admin/programmes/new", "POST"): ("/admin/programmes/new", ADMIN_ONLY),
    ("admin.users", "/admin/users", "GET"): ("/admin/users", ADMIN_ONLY),
    ("admin.users", "/admin/users", "POST"): ("/admin/users", ADMIN_ONLY),
    ("admin.user_active", "/admin/users/<int:user_id>/active", "POST"): ("/admin/users/{user}/active", ADMIN_ONLY),
    ("admin.user_edit", "/admin/users/<int:user_id>", "GET"): ("/admin/users/{user}", ADMIN_ONLY),
    ("admin.user_edit", "/admin/users/<int:user_id>", "POST"): ("/admin/users/{user}", ADMIN_ONLY),
    ("admin.showcase", "/admin/showcase", "GET"): ("/admin/showcase", ADMIN_ONLY),
    ("admin.showcase_rebuild", "/admin/showcase/rebuild", "POST"): ("/admin/showcase/rebuild", ADMIN_ONLY),
    ("admin.showcase_preview", "/admin/showcase/preview/", "GET"): ("/admin/showcase/preview/", ADMIN_ONLY),
    ("admin.showcase_preview", "/admin/showcase/preview/<path:path>", "GET"): (
        "/admin/showcase/preview/browse/",
        ADMIN_ONLY,
    ),
}


def routes(app: Flask) -> set[tuple[str, str, str]]:
    return {
        (rule.endpoint, rule.rule, method)
        for rule in app.url_map.iter_rules()
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
    }


@dataclass
class World:
    draft: Proposal
    case: Proposal
    programme: int
    people: dict[str, User]


@pytest.fixture
def world(app: Flask, make: Factory, session: Session) -> World:
    """The people of the table and their objects: a draft and a case in review, both of
    南投縣埔里鎮; a reviewer assigned to the case, one not, and one whose affiliation
    with 南投縣 keeps them off it; a disabled account that was signed in."""
    people = {
        "township": make.user(Role.TOWNSHIP, township=PULI),
        "township_same_county": make.user(Role.TOWNSHIP, township=GUOXING),
        "township_other_county": make.user(Role.TOWNSHIP, township=DAREN),
        "county": make.user(Role.COUNTY, county=NANTOU),
        "county_other": make.user(Role.COUNTY, county=TAITUNG),
        "reviewer_assigned": make.user(Role.REVIEWER),
        "reviewer_unassigned": make.user(Role.REVIEWER),
        "reviewer_conflicted": make.user(Role.REVIEWER),
        "admin": make.user(Role.ADMIN),
        "disabled": make.user(Role.TOWNSHIP, township=PULI),
        "ministry": accounts.create_user(
            session, email="ministry@example.org", name="部會承辦", role=Role.MINISTRY, ministry=MINISTRY
        ),
    }
    people["ministry"].password_hash = PASSWORD_HASH
    admin = people["admin"]
    review.add_conflict(session, people["reviewer_conflicted"], "county", NANTOU, "任職於南投縣政府", admin)
    case = make.proposal(people["township"], title="埔里審查中提案")
    operations.apply_transition(session, case, Action.SUBMIT, people["township"])
    operations.apply_transition(session, case, Action.FORWARD, people["county"])
    review.assign(session, case, admin, [people["reviewer_assigned"].id])
    # High on every criterion and cross-domain: through 三高 screening, so ministries see it.
    review.submit_review(
        session,
        case,
        people["reviewer_assigned"],
        app.extensions["portal.rubric"],
        review.ReviewInput(
            scores={"feasibility": 5, "creativity": 5, "spillover": 5},
            cross_domain=True,
            cross_ministry=True,
            confidence=3,
            comment_to_township="",
            internal_comment="",
        ),
    )
    draft = make.proposal(people["township"], title="埔里草稿")
    make.round()
    meetings.create_meeting(session, admin, kind=MeetingKind.COUNCIL, number=1, held_on=publish.today())
    session.commit()
    programme = session.scalar(select(Programme.id).order_by(Programme.id).limit(1))
    assert programme is not None
    return World(draft=draft, case=case, programme=programme, people=people)


class Browser:
    """A test client and the CSRF token of its session."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def token(self, path: str = "/") -> str:
        html = self.client.get(path).get_data(as_text=True)
        found = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
        if found is None:  # signed out: the login page has one
            return self.token("/auth/login") if path != "/auth/login" else ""
        return found.group(1)

    def ask(self, method: str, path: str) -> str:
        """The outcome of `method path` with an empty form."""
        data = {"csrf_token": self.token()} if method == "POST" else {}
        response = self.client.open(path, method=method, data=data)
        try:
            return outcome(response)
        finally:
            response.close()


@pytest.fixture
def clients(app: Flask, world: World, session: Session) -> Iterator[dict[str, Browser]]:
    """One signed-in browser per actor (none for `anonymous`); the disabled account is
    disabled after it signed in, so its browser holds a session that has been ended."""
    browsers: dict[str, Browser] = {"anonymous": Browser(app.test_client())}
    for actor, user in world.people.items():
        browser = Browser(app.test_client())
        signed = browser.client.post(
            "/auth/login", data={"email": user.email, "password": PASSWORD, "csrf_token": browser.token("/auth/login")}
        )
        assert signed.status_code == 302 and "/auth/login" not in signed.location, actor
        browsers[actor] = browser
    accounts.disable_user(session, world.people["disabled"])
    session.commit()
    yield browsers


def outcome(response: TestResponse) -> str:
    status = response.status_code
    assert status < 500, f"{status} from {response.request.method} {response.request.path}"
    if status in (301, 302, 303, 307, 308) and "/auth/login" in response.location:
        return LOGIN
    return {404: HIDDEN, 403: FORBIDDEN}.get(status, OK)


def test_every_route_has_an_entry(app: Flask) -> None:
    assert routes(app) == set(EXPECTED)


@pytest.mark.parametrize("route", sorted(EXPECTED), ids=lambda route: f"{route[2]} {route[1]}")
def test_route_answers_each_actor_as_the_table_says(
    world: World, clients: dict[str, Browser], route: tuple[str, str, str]
) -> None:
    path_pattern, expected = EXPECTED[route]
    path = path_pattern.format(
        draft=world.draft.id,
        case=world.case.id,
        programme=world.programme,
        user=world.people["township_same_county"].id,
    )
    method = route[2]
    # Those expected to be refused ask first, so that an allowed request (which may change
    # the case, e.g. submit it) never changes what a refusal sees.
    order = sorted(ACTORS, key=lambda actor: expected[actor] == OK)
    seen = {actor: clients[actor].ask(method, path) for actor in order}
    assert seen == expected


# A cross-county plan: 埔里鎮 leads, 臺東縣達仁鄉 takes part. Once submitted, 臺東縣 (here
# `county_other`) and 達仁鄉's township see it like the lead's county and township do.
CROSS_COUNTY_READERS = table(
    HIDDEN, township=OK, township_same_county=OK, township_other_county=OK, county=OK, county_other=OK, admin=OK
)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/proposals/{plan}"),
        ("GET", "/proposals/{plan}/brief"),
        ("POST", "/proposals/{plan}/cosign"),
        ("POST", "/proposals/{plan}/cosign/withdraw"),
    ],
)
def test_cross_county_plan_answers_each_actor_as_the_table_says(
    world: World, clients: dict[str, Browser], session: Session, method: str, path: str
) -> None:
    plan = operations.create_proposal(
        session,
        world.people["township"],
        cycle="2026",
        proposal_type=ProposalType.REGIONAL,
        lead_township_code=PULI,
        title="埔里達仁跨縣市計畫",
        participating_codes=[GUOXING, DAREN],
    )
    plan.content = complete_document()
    operations.apply_transition(session, plan, Action.SUBMIT, world.people["township"])
    session.commit()

    order = sorted(ACTORS, key=lambda actor: CROSS_COUNTY_READERS[actor] == OK)
    seen = {actor: clients[actor].ask(method, path.format(plan=plan.id)) for actor in order}

    assert seen == CROSS_COUNTY_READERS


# The follow-up of an approved case (埔里鎮; reviewer_assigned accompanies it), with a
# submitted 2026 report, its year-end review, and a counselling entry with an open issue.
# Those who cannot see the case get 404; those who see it but have no part in a step 403,
# except that opening the report form sends them back to the follow-up page with a message.
CASE_FOLLOWERS = table(HIDDEN, township=OK, county=OK, reviewer_assigned=OK, admin=OK)
COUNSELLORS = table(HIDDEN, township=FORBIDDEN, county=FORBIDDEN, reviewer_assigned=OK, admin=OK)
REPORT_WRITERS = table(HIDDEN, township=OK, county=FORBIDDEN, reviewer_assigned=FORBIDDEN, admin=FORBIDDEN)
FOLLOWUP = [
    ("GET", "/proposals/{approved}/followup", CASE_FOLLOWERS),
    ("POST", "/proposals/{approved}/counsel", COUNSELLORS),
    ("POST", "/proposals/{approved}/counsel/issues/{issue}/resolve", COUNSELLORS),
    ("GET", "/proposals/{approved}/reports/2026", CASE_FOLLOWERS),
    ("GET", "/proposals/{approved}/reports/2026/kpis", CASE_FOLLOWERS),
    ("POST", "/proposals/{approved}/reports/2026/kpis", REPORT_WRITERS),
    ("GET", "/proposals/{approved}/reports/2026/check", CASE_FOLLOWERS),
    ("GET", "/proposals/{approved}/reports/2026/v1", CASE_FOLLOWERS),
    ("GET", "/yearend/reports/{report}", COUNSELLORS),
    ("POST", "/yearend/reports/{report}", COUNSELLORS),
    ("POST", "/yearend/reviews/{review}/reopen", COUNSELLORS),
    (
        "POST",
        "/yearend/proposals/{approved}/close",
        table(HIDDEN, township=FORBIDDEN, county=FORBIDDEN, reviewer_assigned=FORBIDDEN, admin=OK),
    ),
]


@pytest.fixture
def followed(app: Flask, world: World, session: Session) -> dict[str, int]:
    """An approved case of 埔里鎮 with a report, its review and a counselling issue."""
    people = world.people
    case = operations.create_proposal(
        session,
        people["township"],
        cycle="2026",
        proposal_type=ProposalType.TOWNSHIP,
        lead_township_code=PULI,
        title="埔里核定提案",
    )
    case.content = complete_document()
    operations.apply_transition(session, case, Action.SUBMIT, people["township"])
    operations.apply_transition(session, case, Action.FORWARD, people["county"])
    review.assign(session, case, people["admin"], [people["reviewer_assigned"].id])
    review.submit_review(
        session,
        case,
        people["reviewer_assigned"],
        app.extensions["portal.rubric"],
        review.ReviewInput(
            scores={"feasibility": 5, "creativity": 5, "spillover": 5},
            cross_domain=True,
            cross_ministry=True,
            confidence=3,
            comment_to_township="",
            internal_comment="",
        ),
    )
    meeting = session.scalars(select(Meeting).order_by(Meeting.id)).first()
    assert meeting is not None
    decision = review.decide(
        session, case, people["admin"], outcome=Action.APPROVE.value, reasons="", meeting=meeting, resources=[]
    )
    report = ProgressReport(
        proposal_id=case.id,
        revision_id=decision.revision_id,
        year=2026,
        number=1,
        content={"kpis": [{"index": 0, "actual": 3, "source": "", "note": ""}], "businesses": [], "received": []},
        submitted_by_id=people["township"].id,
    )
    yearend = YearEndReview(
        proposal_id=case.id, report=report, reviewer_id=people["reviewer_assigned"].id, rating="on_track"
    )
    entry = CounselEntry(
        proposal_id=case.id, kind="visit", held_on=operations.taiwan_today(), author_id=people["admin"].id
    )
    issue = CounselIssue(proposal_id=case.id, entry=entry, description="場地待協調", owner="township")
    session.add_all([report, yearend, entry, issue])
    session.commit()
    return {"approved": case.id, "report": report.id, "review": yearend.id, "issue": issue.id}


@pytest.mark.parametrize(("method", "path", "expected"), FOLLOWUP, ids=lambda v: v if isinstance(v, str) else "")
def test_followup_of_an_approved_case_answers_each_actor_as_the_table_says(
    followed: dict[str, int], clients: dict[str, Browser], method: str, path: str, expected: dict[str, str]
) -> None:
    order = sorted(ACTORS, key=lambda actor: expected[actor] == OK)
    seen = {actor: clients[actor].ask(method, path.format(**followed)) for actor in order}

    assert seen == expected
