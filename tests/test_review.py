"""The counselling review over HTTP and through its operations: conflicts of interest,
scoring, what townships and counties never see, decisions, the revision loop, ranking."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from portal import meetings, operations, publish, review
from portal.db.models import (
    AuditEvent,
    Conflict,
    Decision,
    MatchedResource,
    OutboxMessage,
    Programme,
    Proposal,
    Review,
    ReviewAssignment,
    User,
)
from portal.domain import scoring
from portal.domain.errors import DomainError, PermissionDenied
from portal.domain.meetings import MeetingKind
from portal.domain.roles import Role
from portal.domain.scoring import Rubric, Score
from portal.domain.workflow import Action
from tests.conftest import DAREN, GUOXING, NANTOU, PULI, TAITUNG, Auth, Factory
from tests.test_demo import run_demo
from tests.test_wizard import (
    Tab,
    field_errors,
    flashes,
    read_form,
    section_path,
    submit_through_check_page,
    visible_text,
)

CYCLE = "2026"
TITLE = "埔里生態城鄉共好計畫"
REVIEWER_NAMES = ("陳明哲委員", "黃淑芬委員", "張志遠委員")
INTERNAL = "INTERNAL-SENTINEL-內部"
TO_TOWNSHIP = "TOWNSHIP-COMMENT-給公所"
MEETING = "第12次地方創生會報工作會議"
NO_REVIEW = "這件提案目前的版本還沒有任何委員評分，不能做成決定。"
CONFIRM_MESSAGE = "「給公所的意見」會提供給提案單位，請勾選確認；若只想給內部參考，請改寫在內部意見。"
YOUTH = ("國家發展委員會", "地方創生青年培力工作站")
RURAL = ("行政院農業委員會（現農業部）", "農村再生（第二期/第三期實施計畫）")


def scores(feasibility: int, creativity: int, spillover: int) -> dict[str, int]:
    return {"feasibility": feasibility, "creativity": creativity, "spillover": spillover}


class Round:
    """A Puli township, its county (Nantou), an admin and three reviewers; proposals are
    moved through the real operations, and each person has their own browser."""

    def __init__(self, app: Flask, make: Factory, session: Session) -> None:
        self.app, self.make, self.session = app, make, session
        self.township = make.user(Role.TOWNSHIP, township=PULI)
        self.county = make.user(Role.COUNTY, county=NANTOU)
        self.admin = make.user(Role.ADMIN)
        self.reviewers = [make.user(Role.REVIEWER, name=name) for name in REVIEWER_NAMES]
        self.rubric: Rubric = app.extensions["portal.rubric"]
        self._browsers: dict[int, Auth] = {}
        # Held today: a meeting may not precede the submission of what it decides.
        self.meeting = meetings.create_meeting(
            session, self.admin, kind=MeetingKind.WORKING, number=12, held_on=publish.today()
        )
        session.commit()

    def forwarded(self, title: str = TITLE, participating: list[str] | None = None) -> Proposal:
        proposal = self.make.proposal(self.township, title=title, participating=participating)
        operations.apply_transition(self.session, proposal, Action.SUBMIT, self.township)
        operations.apply_transition(self.session, proposal, Action.FORWARD, self.county)
        self.session.commit()
        return proposal

    def in_review(self, *reviewers: User, title: str = TITLE, participating: list[str] | None = None) -> Proposal:
        proposal = self.forwarded(title, participating)
        review.assign(self.session, proposal, self.admin, [r.id for r in reviewers])
        self.session.commit()
        return proposal

    def score(self, proposal: Proposal, reviewer: User, given: dict[str, int], **text: str) -> Review:
        """A review written through the operation, not the form."""
        written = review.submit_review(
            self.session,
            proposal,
            reviewer,
            self.rubric,
            review.ReviewInput(
                scores=given,
                cross_domain=True,
                cross_ministry=False,
                confidence=2,
                comment_to_township=text.get("comment_to_township", ""),
                internal_comment=text.get("internal_comment", ""),
            ),
        )
        self.session.commit()
        return written

    def browser(self, user: User) -> Auth:
        if user.id not in self._browsers:
            auth = Auth(self.app.test_client())
            auth.login(user.email)
            self._browsers[user.id] = auth
        return self._browsers[user.id]

    def get(self, user: User, path: str) -> TestResponse:
        return self.browser(user).client.get(path)

    def post(self, user: User, path: str, data: dict[str, Any]) -> TestResponse:
        """Post as `user` with a valid CSRF token, following the redirect like a browser."""
        auth = self.browser(user)
        token = auth.csrf("/")
        return auth.client.post(path, data={**data, "csrf_token": token}, follow_redirects=True)

    def decide(self, proposal: Proposal, typed: dict[str, str]) -> str:
        """The admin fills in the decision page as rendered and sends it; the page shown after."""
        client = self.browser(self.admin).client
        tab = Tab(client, f"/review/decide/{proposal.id}")
        tab.type(typed)
        sent = tab.press()
        return text_of(client.get(sent.location) if sent.status_code == 302 else sent)

    def fresh(self, proposal: Proposal) -> Proposal:
        self.session.expire_all()
        found = self.session.get(Proposal, proposal.id)
        assert found is not None
        return found

    def reviews(self, proposal: Proposal) -> list[Review]:
        self.session.expire_all()
        return list(self.session.scalars(select(Review).where(Review.proposal_id == proposal.id).order_by(Review.id)))


@pytest.fixture
def world(app: Flask, make: Factory, session: Session) -> Round:
    return Round(app, make, session)


def review_form(given: dict[str, int], **overrides: str) -> dict[str, str]:
    """The scoring form as a reviewer fills it in."""
    data = {f"score_{code}": str(value) for code, value in given.items()}
    data |= {
        "cross_domain": "yes",
        "cross_ministry": "no",
        "confidence": "3",
        "comment_to_township": "",
        "internal_comment": "",
    }
    return data | overrides


def decision_form(
    outcome: str = "approve", reasons: str = "三高且跨部會，進行後續媒合。", **fields: str
) -> dict[str, str]:
    """The decision page as the admin fills it in; the meeting it pre-selects is kept."""
    return {"outcome": outcome, "reasons": reasons} | fields


def text_of(page: TestResponse) -> str:
    return page.get_data(as_text=True)


# --- 1. conflicts of interest ---------------------------------------------------------------

# An affiliation with the proposal's county, its lead township, or a participating township.
AFFILIATIONS = [
    pytest.param("county", NANTOU, id="county"),
    pytest.param("township", PULI, id="lead-township"),
    pytest.param("township", GUOXING, id="participating-township"),
]


@pytest.mark.parametrize(("scope", "code"), AFFILIATIONS)
def test_assign_conflicted_reviewer_is_refused_naming_them(
    world: Round, session: Session, scope: str, code: str
) -> None:
    proposal = world.forwarded(participating=[GUOXING])
    conflicted, free = world.reviewers[0], world.reviewers[1]
    review.add_conflict(session, conflicted, scope, code, "任職於當地", world.admin)
    session.commit()

    with pytest.raises(DomainError) as caught:
        review.assign(session, proposal, world.admin, [free.id, conflicted.id])
    session.rollback()

    assert str(caught.value) == f"{conflicted.name} 與這件提案有利益迴避，不能分派。"
    fresh = world.fresh(proposal)
    assert (fresh.status, fresh.reviewer_ids) == ("forwarded", set())


def offered_reviewers(page: str) -> list[int]:
    """The reviewer ids the assign page offers as checkboxes, in id order."""
    tags = [tag for tag in re.findall(r"<input[^>]*>", page) if 'name="reviewers"' in tag]
    return sorted(int(re.search(r'value="(\d+)"', tag).group(1)) for tag in tags)  # type: ignore[union-attr]


def blocked_shown(page: str) -> str:
    """The assign page's line naming the reviewers left out for a conflict."""
    match = re.search(r'<p class="hint">需迴避而不列出：(.*?)</p>', page, re.S)
    return visible_text(match.group(1)) if match else ""


@pytest.mark.parametrize(("scope", "code"), AFFILIATIONS)
def test_assign_page_hides_conflicted_reviewer_and_refuses_their_id(
    world: Round, session: Session, scope: str, code: str
) -> None:
    proposal = world.forwarded(participating=[GUOXING])
    conflicted = world.reviewers[0]
    review.add_conflict(session, conflicted, scope, code, "任職於當地", world.admin)
    session.commit()
    path = f"/review/manage/{proposal.id}/assign"

    page = text_of(world.get(world.admin, path))
    refused = text_of(world.post(world.admin, path, {"reviewers": [str(conflicted.id)]}))

    assert (offered_reviewers(page), blocked_shown(page)) == ([r.id for r in world.reviewers[1:]], conflicted.name)
    assert field_errors(refused) == {
        "reviewers": ["勾選的委員中有人不能指派給這件提案（需迴避、帳號已停用或已在名單上），請重新整理頁面後再勾選。"]
    }
    fresh = world.fresh(proposal)
    assert (fresh.status, fresh.reviewer_ids) == ("forwarded", set())


@pytest.mark.parametrize(("scope", "code"), AFFILIATIONS)
def test_score_page_is_404_once_an_affiliation_conflicts_with_an_assignment(
    world: Round, session: Session, scope: str, code: str
) -> None:
    reviewer = world.reviewers[0]
    proposal = world.in_review(reviewer, participating=[GUOXING])
    path = f"/review/{proposal.id}"
    before = world.get(reviewer, path).status_code

    review.add_conflict(session, reviewer, scope, code, "任職於當地", world.admin)
    session.commit()
    page = world.get(reviewer, path)
    posted = world.browser(reviewer).client.post(
        path, data={**review_form(scores(4, 4, 4)), "csrf_token": world.browser(reviewer).csrf("/")}
    )
    listing = text_of(world.get(reviewer, "/review/"))

    assert (before, page.status_code, posted.status_code) == (200, 404, 404)
    assert TITLE not in text_of(page) and TITLE not in listing
    assert world.fresh(proposal).reviewer_ids == {reviewer.id}  # the row is still there
    assert world.reviews(proposal) == []
    with pytest.raises(PermissionDenied):
        world.score(world.fresh(proposal), reviewer, scores(4, 4, 4))


def conflicts_listed(page: str) -> list[str]:
    match = re.search(r"<h2>利益迴避</h2>\s*<ul>(.*?)</ul>", page, re.S)
    assert match is not None
    return [visible_text(li) for li in re.findall(r"<li>(.*?)</li>", match.group(1), re.S)]


@pytest.mark.parametrize(
    ("code", "scope", "listed"),
    [
        pytest.param(NANTOU, "county", "縣市 南投縣", id="county"),
        pytest.param(GUOXING, "township", "鄉鎮市區 南投縣國姓鄉", id="participating-township"),
    ],
)
def test_affiliation_recorded_on_manage_page_keeps_reviewer_off_the_case(
    world: Round, session: Session, code: str, scope: str, listed: str
) -> None:
    proposal = world.forwarded(participating=[GUOXING])
    reviewer = world.reviewers[0]
    fields, _ = read_form(text_of(world.get(world.admin, "/review/manage")), action="/review/manage/affiliation")
    fields.setlist("reviewer", [str(reviewer.id)])
    fields.setlist("code", [code])
    fields.setlist("reason", ["任職於當地"])

    shown = world.browser(world.admin).client.post("/review/manage/affiliation", data=fields, follow_redirects=True)
    assign_page = text_of(world.get(world.admin, f"/review/manage/{proposal.id}/assign"))

    assert flashes(text_of(shown)) == [("success", "已登記委員的所屬單位，相關提案會自動迴避。")]
    assert conflicts_listed(text_of(shown)) == [f"{reviewer.name}：{listed}（任職於當地）"]
    session.expire_all()
    assert [(c.reviewer_id, c.scope, c.code, c.reason) for c in session.scalars(select(Conflict))] == [
        (reviewer.id, scope, code, "任職於當地")
    ]
    assert (offered_reviewers(assign_page), blocked_shown(assign_page)) == (
        [r.id for r in world.reviewers[1:]],
        reviewer.name,
    )


def test_declared_conflict_removes_access_and_tells_every_admin(world: Round, make: Factory, session: Session) -> None:
    second_admin = make.user(Role.ADMIN)
    reviewer = world.reviewers[0]
    proposal = world.in_review(reviewer)
    path = f"/review/{proposal.id}"
    world.get(reviewer, path)

    declared = world.post(reviewer, f"{path}/conflict", {"reason": "曾擔任提案單位的顧問"})
    after = world.get(reviewer, path)

    assert flashes(text_of(declared)) == [("success", "已登記利益迴避，這件提案已從您的清單移除，國發會將另行分派。")]
    assert TITLE not in text_of(declared)  # /review/ no longer lists it
    assert after.status_code == 404
    session.expire_all()
    assert [(c.reviewer_id, c.scope, c.code, c.reason) for c in session.scalars(select(Conflict))] == [
        (reviewer.id, "proposal", str(proposal.id), "曾擔任提案單位的顧問")
    ]
    messages = session.scalars(
        select(OutboxMessage).where(OutboxMessage.event == "conflict").order_by(OutboxMessage.id)
    )
    assert [(m.recipient_id, m.proposal_id, m.subject, m.body) for m in messages] == [
        (
            admin.id,
            proposal.id,
            f"【地方創生提案】{TITLE}：委員申報利益迴避",
            f"{reviewer.name} 申報迴避：曾擔任提案單位的顧問\n請另行分派委員。",
        )
        for admin in (world.admin, second_admin)
    ]


def test_declared_conflict_without_reason_is_refused_and_access_kept(world: Round, session: Session) -> None:
    reviewer = world.reviewers[0]
    proposal = world.in_review(reviewer)
    path = f"/review/{proposal.id}"

    refused = world.post(reviewer, f"{path}/conflict", {"reason": "  "})

    assert flashes(text_of(refused)) == [("error", "請說明需要迴避的原因")]
    assert world.get(reviewer, path).status_code == 200
    session.expire_all()
    assert list(session.scalars(select(Conflict))) == []


# Each row: open cases already assigned to reviewers A, B, C, D; which of them are
# affiliated with Puli; how many to suggest; the suggestion, least loaded first.
SUGGESTIONS = [
    pytest.param((0, 0, 0, 0), "", 3, "ABC", id="ties-by-id"),
    pytest.param((2, 0, 1, 0), "", 3, "BDC", id="least-loaded-first"),
    pytest.param((0, 1, 2, 0), "A", 3, "DBC", id="conflicted-skipped"),
    pytest.param((1, 1, 0, 2), "C", 2, "AB", id="conflicted-least-loaded-skipped"),
    pytest.param((0, 0, 0, 0), "ABCD", 3, "", id="all-conflicted"),
]


@pytest.mark.parametrize(("loads", "affiliated", "count", "expected"), SUGGESTIONS)
def test_suggest_reviewers_skips_conflicted_and_prefers_least_loaded(
    world: Round,
    make: Factory,
    session: Session,
    loads: tuple[int, ...],
    affiliated: str,
    count: int,
    expected: str,
) -> None:
    panel = dict(zip("ABCD", [*world.reviewers, make.user(Role.REVIEWER, name="林怡君委員")], strict=True))
    # The load: cases in review in Taitung, where nobody is affiliated.
    taitung = make.user(Role.TOWNSHIP, township=DAREN)
    taitung_county = make.user(Role.COUNTY, county=TAITUNG)
    for number in range(max(loads)):
        case = make.proposal(taitung, lead=DAREN, title=f"達仁案{number}")
        operations.apply_transition(session, case, Action.SUBMIT, taitung)
        operations.apply_transition(session, case, Action.FORWARD, taitung_county)
        review.assign(
            session, case, world.admin, [panel[k].id for k, load in zip("ABCD", loads, strict=True) if load > number]
        )
    for key in affiliated:
        review.add_conflict(session, panel[key], "township", PULI, "住在埔里", world.admin)
    proposal = world.forwarded()

    suggested = review.suggest_reviewers(session, proposal, count=count)

    assert [r.id for r in suggested] == [panel[k].id for k in expected]


# --- 2. reviewing ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "message"),
    [("0", "不是有效的選擇。"), ("6", "不是有效的選擇。"), ("x", "無效的選擇：無法強制轉化。")],
)
def test_score_outside_the_scale_is_refused_next_to_the_field(world: Round, value: str, message: str) -> None:
    reviewer = world.reviewers[0]
    proposal = world.in_review(reviewer)

    page = world.post(reviewer, f"/review/{proposal.id}", review_form(scores(4, 4, 4), score_feasibility=value))

    assert field_errors(text_of(page)) == {"score_feasibility": [message]}
    assert world.reviews(proposal) == []


def test_second_review_of_the_same_revision_is_refused(world: Round) -> None:
    reviewer = world.reviewers[0]
    proposal = world.in_review(reviewer)
    path = f"/review/{proposal.id}"
    world.post(reviewer, path, review_form(scores(4, 3, 5)))

    again = world.post(reviewer, path, review_form(scores(1, 1, 1)))

    assert flashes(text_of(again)) == [("error", "您已送出 v1 的評分，這次沒有再送出。要修改請按「修改評分」。")]
    assert [(r.reviewer_id, r.scores) for r in world.reviews(proposal)] == [(reviewer.id, scores(4, 3, 5))]


def test_unassigned_reviewer_gets_404(world: Round) -> None:
    proposal = world.in_review(world.reviewers[0])
    outsider = world.reviewers[1]
    path = f"/review/{proposal.id}"

    page = world.get(outsider, path)
    posted = world.browser(outsider).client.post(
        path, data={**review_form(scores(4, 4, 4)), "csrf_token": world.browser(outsider).csrf("/")}
    )

    assert (page.status_code, posted.status_code) == (404, 404)
    assert TITLE not in text_of(page)
    assert world.reviews(proposal) == []


def others_section(page: str) -> list[str]:
    """Each line of the 本版所有委員的評分 card below its table: reviewer and scores."""
    match = re.search(r'<section class="card" aria-labelledby="others-heading">(.*?)</section>', page, re.S)
    if match is None:
        return []
    items = re.search(r"</table></div>\s*<ul>(.*?)</ul>", match.group(1), re.S)
    assert items is not None
    return [visible_text(li) for li in re.findall(r"<li>(.*?)</li>", items.group(1), re.S)]


def test_other_reviewers_scores_hidden_until_own_review_is_submitted(world: Round) -> None:
    first, second = world.reviewers[:2]
    proposal = world.in_review(first, second)
    world.score(proposal, first, scores(5, 1, 3))
    path = f"/review/{proposal.id}"

    before = text_of(world.get(second, path))
    after = text_of(world.post(second, path, review_form(scores(2, 4, 5))))

    assert (first.name in before, "本版所有委員的評分" in before, others_section(before)) == (False, False, [])
    assert others_section(after) == [
        f"{first.name}：可行性 5、創意性 1、外溢性 3",
        f"{second.name}：可行性 2、創意性 4、外溢性 5",
    ]


def test_comment_to_township_without_confirmation_is_refused(world: Round) -> None:
    reviewer = world.reviewers[0]
    proposal = world.in_review(reviewer)

    page = text_of(
        world.post(reviewer, f"/review/{proposal.id}", review_form(scores(4, 4, 4), comment_to_township="請補充"))
    )

    assert field_errors(page) == {"confirm_comment": [CONFIRM_MESSAGE]}
    assert world.reviews(proposal) == []


def test_review_is_bound_to_rubric_version_and_current_revision(world: Round) -> None:
    reviewer = world.reviewers[0]
    proposal = world.in_review(reviewer)
    form = review_form(
        scores(4, 3, 5), comment_to_township="請補充營運收支", confirm_comment="y", internal_comment="財務待確認"
    )

    page = world.post(reviewer, f"/review/{proposal.id}", form)

    assert flashes(text_of(page)) == [("success", "已送出評分。現在可以看到其他委員的分數。")]
    revision = world.fresh(proposal).current_revision
    assert revision is not None
    assert [
        (
            r.proposal_id,
            r.revision_id,
            r.reviewer_id,
            r.rubric_version,
            r.scores,
            r.cross_domain,
            r.cross_ministry,
            r.confidence,
            r.comment_to_township,
            r.internal_comment,
        )
        for r in world.reviews(proposal)
    ] == [
        (
            proposal.id,
            revision.id,
            reviewer.id,
            "2026.1",
            scores(4, 3, 5),
            True,
            False,
            3,
            "請補充營運收支",
            "財務待確認",
        )
    ]
    assert world.rubric.version == "2026.1"


# --- 3. what the township and the county see -------------------------------------------------


def reviewed_by_two(world: Round) -> Proposal:
    """In review, scored by two reviewers through the form, each with the sentinels."""
    first, second = world.reviewers[:2]
    proposal = world.in_review(first, second)
    for reviewer, given in ((first, scores(5, 1, 3)), (second, scores(2, 4, 5))):
        world.post(
            reviewer,
            f"/review/{proposal.id}",
            review_form(given, comment_to_township=TO_TOWNSHIP, confirm_comment="y", internal_comment=INTERNAL),
        )
    assert len(world.reviews(proposal)) == 2
    return proposal


def approve(world: Round, proposal: Proposal) -> None:
    page = world.decide(proposal, decision_form())
    assert flashes(page) == [("success", "已記錄決定：核定。")]


def pages_of(proposal: Proposal) -> list[str]:
    return ["/", f"/proposals/{proposal.id}", f"/proposals/{proposal.id}/brief", "/notifications/"]


SCORE_TEXT = [
    f"{name}{sep}{value}" for name in ("可行性", "創意性", "外溢性") for sep in ("：", " ") for value in range(1, 6)
]


def leaks(world: Round, viewer: User, proposal: Proposal, secrets: list[str]) -> dict[str, list[str]]:
    """For each page the viewer can open, the secrets that appear on it."""
    found = {}
    for path in pages_of(proposal):
        page = world.get(viewer, path)
        assert page.status_code == 200, path
        found[path] = [s for s in secrets if s in text_of(page)]
    return found


@pytest.mark.parametrize("decided", [False, True], ids=["before-decision", "after-decision"])
@pytest.mark.parametrize("viewer", ["township", "county"])
def test_internal_comment_and_scores_never_reach_township_or_county(world: Round, viewer: str, decided: bool) -> None:
    proposal = reviewed_by_two(world)
    if decided:
        approve(world, proposal)

    found = leaks(world, getattr(world, viewer), proposal, [INTERNAL, *SCORE_TEXT, "本版所有委員的評分"])

    assert found == {path: [] for path in pages_of(proposal)}


@pytest.mark.parametrize("decided", [False, True], ids=["before-decision", "after-decision"])
@pytest.mark.parametrize("viewer", ["township", "county"])
def test_reviewer_names_never_reach_township_or_county(
    world: Round, session: Session, viewer: str, decided: bool
) -> None:
    proposal = reviewed_by_two(world)
    review.assign(session, proposal, world.admin, [world.reviewers[2].id])  # a third, added later
    session.commit()
    if decided:
        approve(world, proposal)

    found = leaks(world, getattr(world, viewer), proposal, list(REVIEWER_NAMES))

    assert found == {path: [] for path in pages_of(proposal)}


def comments_shown(page: str) -> list[str]:
    match = re.search(r"<h3>輔導團給提案單位的意見</h3>\s*<ul>(.*?)</ul>", page, re.S)
    return [visible_text(li) for li in re.findall(r"<li[^>]*>(.*?)</li>", match.group(1), re.S)] if match else []


def test_comment_to_township_is_shown_to_the_township_only_after_the_decision(world: Round) -> None:
    proposal = reviewed_by_two(world)
    path = f"/proposals/{proposal.id}"

    before = text_of(world.get(world.township, path))
    approve(world, proposal)
    after = text_of(world.get(world.township, path))

    assert (TO_TOWNSHIP in before, comments_shown(before)) == (False, [])
    assert comments_shown(after) == [TO_TOWNSHIP, TO_TOWNSHIP]


# --- 4. decisions ---------------------------------------------------------------------------


def test_decision_without_any_review_is_refused_over_http(world: Round, session: Session) -> None:
    proposal = world.in_review(world.reviewers[0])

    page = world.decide(proposal, decision_form())

    assert flashes(page) == [("error", NO_REVIEW)]
    assert world.fresh(proposal).status == "in_review"
    assert list(session.scalars(select(Decision))) == []


def test_approval_records_decision_matched_resources_audit_and_messages(world: Round, session: Session) -> None:
    first, second = world.reviewers[:2]
    proposal = world.in_review(first, second)
    world.score(proposal, first, scores(5, 4, 4))
    form = decision_form(
        **{
            "resources-0-programme": YOUTH[1],
            "resources-0-amount": "1200",
            "resources-0-year": "2027",
            "resources-1-programme": RURAL[1],
            "resources-1-amount": "8000",
            "resources-1-year": "2026",
            "private_investment": "6000",
        }
    )

    page = world.decide(proposal, form)

    assert flashes(page) == [("success", "已記錄決定：核定。")]
    fresh = world.fresh(proposal)
    revision = fresh.current_revision
    assert revision is not None
    decision = session.scalars(select(Decision)).one()
    assert (
        decision.proposal_id,
        decision.revision_id,
        decision.outcome,
        decision.reasons,
        decision.meeting,
        decision.decided_on,
        decision.private_investment,
        decision.decided_by_id,
    ) == (
        proposal.id,
        revision.id,
        "approve",
        "三高且跨部會，進行後續媒合。",
        MEETING,
        publish.today(),
        6000,
        world.admin.id,
    )
    resources = session.scalars(select(MatchedResource).order_by(MatchedResource.id))
    assert [(m.decision_id, m.ministry, m.programme, m.amount, m.year) for m in resources] == [
        (decision.id, *YOUTH, 1200, 2027),
        (decision.id, *RURAL, 8000, 2026),
    ]
    assert fresh.status == "approved"
    last = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert last is not None
    assert (last.action, last.actor_id, last.proposal_id, last.from_state, last.to_state, last.reason) == (
        "approve",
        world.admin.id,
        proposal.id,
        "in_review",
        "approved",
        "三高且跨部會，進行後續媒合。",
    )
    body = (
        f"提案：{TITLE}（南投縣埔里鎮）\n"
        f"動作：核定，由 {world.admin.name}（國發會秘書單位）執行\n"
        "目前狀態：核定\n"
        "說明：三高且跨部會，進行後續媒合。"
    )
    messages = session.scalars(select(OutboxMessage).where(OutboxMessage.event == "approve").order_by(OutboxMessage.id))
    assert [(m.recipient_id, m.proposal_id, m.subject, m.body) for m in messages] == [
        (user.id, proposal.id, f"【地方創生提案】{TITLE}：核定", body)
        for user in (world.township, world.county, first, second)
    ]


@pytest.mark.parametrize("outcome", ["request_revision", "reject"])
def test_decision_that_needs_reasons_is_refused_without_them(world: Round, session: Session, outcome: str) -> None:
    reviewer = world.reviewers[0]
    proposal = world.in_review(reviewer)
    world.score(proposal, reviewer, scores(3, 2, 3))

    page = world.decide(proposal, decision_form(outcome, reasons="  "))

    assert field_errors(page) == {"reasons": ["修正後再提與不予核定必須填寫理由。"]}
    assert world.fresh(proposal).status == "in_review"
    assert list(session.scalars(select(Decision))) == []


@pytest.mark.parametrize("huge", [str(2**63), str(2**64), "100000001"])
def test_amounts_beyond_any_budget_are_refused_next_to_the_field(world: Round, session: Session, huge: str) -> None:
    reviewer = world.reviewers[0]
    proposal = world.in_review(reviewer)
    world.score(proposal, reviewer, scores(5, 5, 5))
    form = decision_form(
        **{
            "resources-0-programme": YOUTH[1],
            "resources-0-amount": huge,
            "resources-0-year": "2027",
            "private_investment": huge,
        }
    )

    page = world.decide(proposal, form)

    assert field_errors(page) == {
        "resources-0-amount": ["金額必須是 1 到 100000000 的整數（千元）"],
        "private_investment": ["請填 0 到 100000000 的整數（千元）"],
    }
    assert world.fresh(proposal).status == "in_review"
    assert list(session.scalars(select(Decision))) == []


def test_unknown_programme_is_refused_over_http_and_by_the_operation(world: Round, session: Session) -> None:
    reviewer = world.reviewers[0]
    proposal = world.in_review(reviewer)
    world.score(proposal, reviewer, scores(5, 5, 5))
    form = decision_form(
        **{"resources-0-programme": "不存在的計畫", "resources-0-amount": "100", "resources-0-year": "2027"}
    )

    page = world.decide(proposal, form)
    with pytest.raises(DomainError) as caught:
        review.decide(
            session,
            world.fresh(proposal),
            world.admin,
            outcome="approve",
            reasons="",
            meeting=world.meeting,
            resources=[review.Resource("不存在的計畫", 100, 2027)],
        )
    session.rollback()

    assert field_errors(page) == {"resources-0-programme": ["不是有效的選擇。"]}
    assert str(caught.value) == "找不到部會計畫「不存在的計畫」"
    assert world.fresh(proposal).status == "in_review"
    assert list(session.scalars(select(Decision))) == []


def test_matched_programme_without_year_is_refused(world: Round, session: Session) -> None:
    reviewer = world.reviewers[0]
    proposal = world.in_review(reviewer)
    world.score(proposal, reviewer, scores(5, 5, 5))
    form = decision_form(**{"resources-0-programme": YOUTH[1], "resources-0-amount": "1200"})

    world.decide(proposal, form)

    matched = session.scalars(select(MatchedResource))
    assert (world.fresh(proposal).status, [(m.programme, m.amount, m.year) for m in matched]) == ("in_review", [])


# --- 5. the revision loop --------------------------------------------------------------------

NEW_INDICATOR = "觀光旅遊人次"


def diff_shown(page: str) -> tuple[str, list[tuple[str, str]]]:
    """The diff card's heading and its (kind, line) items."""
    heading = re.search(r'<h2 id="diff-heading">(.*?)</h2>', page, re.S)
    items = re.findall(r'<li class="diff-(\w+)"><span class="visually-hidden">.*?</span>(.*?)</li>', page, re.S)
    return (heading.group(1) if heading else ""), [(kind, visible_text(line)) for kind, line in items]


def kpi_line(indicator: str) -> str:
    return (
        f"KPI 第 1 列｜指標：{indicator}｜類型：成果指標｜衡量標準：新增之全職勞保投保人數｜單位：人｜現況：0"
        "｜現況年：2025｜現況來源：｜目標：45｜目標年：2028｜方向：+｜逐年目標："
    )


def test_revision_loop_reviewer_sees_the_diff_and_scores_v2(world: Round, session: Session) -> None:
    reviewer = world.reviewers[0]
    proposal = world.in_review(reviewer)
    path = f"/review/{proposal.id}"
    world.post(reviewer, path, review_form(scores(3, 2, 3)))
    v1_review = world.reviews(proposal)[0]
    v1_before = (v1_review.id, v1_review.revision_id, v1_review.scores, v1_review.submitted_at)

    world.decide(proposal, decision_form("request_revision", "請補充觀光人次指標。"))
    status_after_request = world.fresh(proposal).status
    world.post(world.township, f"/proposals/{proposal.id}/transition", {"action": "revise"})
    tab = Tab(world.browser(world.township).client, section_path(proposal.id, "kpis"))
    tab.type({"rows-0-indicator": NEW_INDICATOR})
    saved = tab.press()
    submitted = submit_through_check_page(world.browser(world.township).client, proposal.id)
    world.post(world.county, f"/proposals/{proposal.id}/transition", {"action": "forward"})
    moved = world.fresh(proposal)
    status_after_forward = moved.status
    review.assign(session, moved, world.admin, sorted(moved.reviewer_ids))
    session.commit()
    page = text_of(world.get(reviewer, path))
    scored = text_of(world.post(reviewer, path, review_form(scores(4, 4, 4))))

    assert (status_after_request, saved.status_code, submitted.status_code, status_after_forward) == (
        "revision_requested",
        302,
        302,
        "forwarded",
    )
    fresh = world.fresh(proposal)
    assert (fresh.status, fresh.revision_count, fresh.reviewer_ids) == ("in_review", 2, {reviewer.id})
    assert diff_shown(page) == (
        "與您上次評分的 v1 相比的修改",
        [("removed", kpi_line("新增工作機會")), ("added", kpi_line(NEW_INDICATOR))],
    )
    assert flashes(scored) == [("success", "已送出評分。現在可以看到其他委員的分數。")]
    v1, v2 = fresh.revisions
    reviews = world.reviews(proposal)
    assert [(r.revision_id, r.reviewer_id, r.scores) for r in reviews] == [
        (v1.id, reviewer.id, scores(3, 2, 3)),
        (v2.id, reviewer.id, scores(4, 4, 4)),
    ]
    assert (reviews[0].id, reviews[0].revision_id, reviews[0].scores, reviews[0].submitted_at) == v1_before
    # The round's ranking counts only the current revision's reviews.
    current = [(r.revision_id, r.scores) for r in review.round_reviews(session, CYCLE) if r.proposal_id == proposal.id]
    assert current == [(v2.id, scores(4, 4, 4))]


def test_assign_page_moves_a_resubmitted_proposal_back_into_review_with_its_panel(
    world: Round, session: Session
) -> None:
    panel = world.reviewers
    proposal = world.in_review(*panel)
    for reviewer in panel:
        world.score(proposal, reviewer, scores(3, 2, 3))
    review.decide(
        session,
        proposal,
        world.admin,
        outcome="request_revision",
        reasons="請補充觀光人次指標。",
        meeting=world.meeting,
        resources=[],
    )
    for action, actor in (
        (Action.REVISE, world.township),
        (Action.SUBMIT, world.township),
        (Action.FORWARD, world.county),
    ):
        operations.apply_transition(session, proposal, action, actor)
    session.commit()
    path = f"/review/manage/{proposal.id}/assign"

    fields, _ = read_form(text_of(world.get(world.admin, path)))
    world.post(world.admin, path, {k: v for k, v in fields.lists() if k != "csrf_token"})

    fresh = world.fresh(proposal)
    assert (fresh.status, fresh.reviewer_ids) == ("in_review", {r.id for r in panel})


# --- 6. ranking -----------------------------------------------------------------------------

# Two proposals, two reviewers: (proposal, reviewer) -> scores.
RANKED_SCORES = {
    ("甲", 0): scores(5, 4, 4),
    ("甲", 1): scores(4, 4, 5),
    ("乙", 0): scores(3, 1, 3),
    ("乙", 1): scores(4, 4, 3),
}


def csv_value(value: Any) -> str:
    """How csv.DictWriter writes a value."""
    return "" if value is None else str(value)


# The ranking CSV's headers, as the NDC's desk reads them, for each JSON field.
CSV_NAMES = {
    "rank": "名次",
    "proposal_id": "提案編號",
    "title": "提案名稱",
    "township": "主提案鄉鎮市區",
    "priority_kind": "優先推動地區",
    "status": "狀態",
    "reviews": "評分份數",
    **{
        f"{code}_{column}": f"{name}{label}"
        for code, name in (("feasibility", "可行性"), ("creativity", "創意性"), ("spillover", "外溢性"))
        for column, label in (
            ("mean", "平均"),
            ("median", "中位數"),
            ("min", "最低"),
            ("max", "最高"),
            ("disagreement", "意見分歧"),
        )
    },
    "weighted_total": "加權總分",
    "corrected_total": "校正後總分",
    "screening": "三高篩選",
}


def as_csv(record: dict[str, Any]) -> dict[str, str]:
    """A JSON row as the CSV writes it: Chinese headers, 是／否, two decimals."""

    def cell(value: Any) -> str:
        if isinstance(value, bool):
            return "是" if value else "否"
        if isinstance(value, float):
            return csv_value(round(value, 2))
        return csv_value(value)

    return {CSV_NAMES[k]: cell(v) for k, v in record.items()}


def expected_rows(world: Round, proposals: dict[str, Proposal]) -> list[dict[str, str]]:
    """scoring.rank over the same scores, as the export's rows."""
    by_id = {p.id: p for p in proposals.values()}
    ranked = scoring.rank(
        world.rubric,
        [
            Score(
                reviewer_id=world.reviewers[index].id,
                proposal_id=proposals[key].id,
                scores=given,
                cross_domain=True,
                cross_ministry=False,
            )
            for (key, index), given in RANKED_SCORES.items()
        ],
    )
    rows = []
    for position, row in enumerate(ranked, start=1):
        record: dict[str, Any] = {
            "rank": position,
            "proposal_id": row.proposal_id,
            "title": by_id[row.proposal_id].title,
            "township": "南投縣埔里鎮",
            "priority_kind": "",  # no priority list imported here
            "status": "輔導團審查中",
            "reviews": row.review_count,
        }
        for code, s in row.summaries.items():
            record |= {
                f"{code}_mean": s.mean,
                f"{code}_median": s.median,
                f"{code}_min": s.low,
                f"{code}_max": s.high,
                f"{code}_disagreement": s.disagreement,
            }
        record |= {
            "weighted_total": row.total,
            "corrected_total": row.corrected,
            "screening": row.screening.label if row.screening else None,
        }
        rows.append(as_csv(record))
    return rows


@pytest.fixture
def ranked_round(world: Round) -> dict[str, Proposal]:
    """Two scored proposals and one in review that nobody has scored yet."""
    first, second = world.reviewers[:2]
    proposals = {key: world.in_review(first, second, title=f"埔里{key}案") for key in ("甲", "乙")}
    for (key, index), given in RANKED_SCORES.items():
        world.score(proposals[key], world.reviewers[index], given)
    proposals["丙"] = world.in_review(first, second, title="埔里丙案（未評分）")
    return proposals


def test_ranking_csv_has_bom_and_rows_of_scoring_rank(world: Round, ranked_round: dict[str, Proposal]) -> None:
    response = world.get(world.admin, f"/review/ranking.csv?cycle={CYCLE}")
    body = response.get_data()

    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows == expected_rows(world, {k: v for k, v in ranked_round.items() if k != "丙"})
    assert [r["提案名稱"] for r in rows] == ["埔里甲案", "埔里乙案"]
    assert [r["創意性意見分歧"] for r in rows] == ["否", "是"]


def test_ranking_json_agrees_with_the_csv(world: Round, ranked_round: dict[str, Proposal]) -> None:
    exported = world.get(world.admin, f"/review/ranking.csv?cycle={CYCLE}").get_data().decode("utf-8-sig")
    body = json.loads(text_of(world.get(world.admin, f"/review/ranking.json?cycle={CYCLE}")))

    reader = csv.DictReader(io.StringIO(exported))
    rows = list(reader)
    assert (body["cycle"], body["rubric_version"]) == (CYCLE, "2026.1")
    assert [CSV_NAMES[f] for f in body["fields"]] == reader.fieldnames
    assert [as_csv(row) for row in body["rows"]] == rows


def test_ranking_leaves_out_a_proposal_nobody_scored(world: Round, ranked_round: dict[str, Proposal]) -> None:
    page = text_of(world.get(world.admin, f"/review/ranking?cycle={CYCLE}"))
    body = json.loads(text_of(world.get(world.admin, f"/review/ranking.json?cycle={CYCLE}")))

    assert [row["proposal_id"] for row in body["rows"]] == [ranked_round["甲"].id, ranked_round["乙"].id]
    assert ("埔里丙案（未評分）" in page, "埔里甲案" in page) == (False, True)


def test_ranking_worked_out_before_a_new_score_takes_it_in(world: Round, ranked_round: dict[str, Proposal]) -> None:
    """The ranking is kept between requests; one more review must show at once."""
    before = json.loads(text_of(world.get(world.admin, f"/review/ranking.json?cycle={CYCLE}")))
    first, second = world.reviewers[:2]
    world.score(ranked_round["丙"], first, scores(5, 5, 5))
    world.score(ranked_round["丙"], second, scores(5, 5, 4))
    after = json.loads(text_of(world.get(world.admin, f"/review/ranking.json?cycle={CYCLE}")))
    page = text_of(world.get(world.admin, f"/review/ranking?cycle={CYCLE}"))

    assert [row["proposal_id"] for row in before["rows"]] == [ranked_round["甲"].id, ranked_round["乙"].id]
    assert [row["proposal_id"] for row in after["rows"]] == [ranked_round[k].id for k in ("丙", "甲", "乙")]
    assert "埔里丙案（未評分）" in page


ADMIN_ONLY = [
    ("get", "/review/manage"),
    ("get", "/review/ranking"),
    ("get", "/review/ranking.csv"),
    ("get", "/review/ranking.json"),
    ("get", "/review/decide/{id}"),
    ("post", "/review/decide/{id}"),
    ("get", "/review/manage/{id}/assign"),
    ("post", "/review/manage/{id}/assign"),
    ("post", "/review/manage/affiliation"),
]


@pytest.mark.parametrize(("method", "path"), ADMIN_ONLY)
@pytest.mark.parametrize("role", ["township", "county", "reviewer"])
def test_non_admin_gets_403_on_manage_ranking_and_decide(
    world: Round, session: Session, role: str, method: str, path: str
) -> None:
    reviewer = world.reviewers[0]
    proposal = world.in_review(reviewer)
    world.score(proposal, reviewer, scores(5, 5, 5))
    user = reviewer if role == "reviewer" else getattr(world, role)
    url = path.format(id=proposal.id)

    if method == "get":
        response = world.get(user, url)
    else:
        data = decision_form() | {"reviewers": [str(world.reviewers[1].id)], "reviewer": str(reviewer.id), "code": PULI}
        response = world.post(user, url, data)

    assert response.status_code == 403
    assert TITLE not in text_of(response)
    fresh = world.fresh(proposal)
    assert (fresh.status, fresh.reviewer_ids) == ("in_review", {reviewer.id})
    assert list(session.scalars(select(Conflict))) == []


# --- 7. demo data ---------------------------------------------------------------------------


def test_demo_has_a_full_review_round(app: Flask, session: Session) -> None:
    logins = run_demo(app)
    admin = Auth(app.test_client())
    admin.login("admin@demo.example.org", logins["admin@demo.example.org"])

    ranking = admin.client.get(f"/review/ranking?cycle={CYCLE}").get_data(as_text=True)

    panel = session.scalars(
        select(User.email)
        .join(ReviewAssignment, ReviewAssignment.reviewer_id == User.id)
        .join(Proposal)
        .where(Proposal.cycle == CYCLE)
    )
    assert set(panel) == {f"reviewer{n}@demo.example.org" for n in (1, 2, 3)}
    disputed = [
        visible_text(title)
        for title, cells in re.findall(r"<tr>\s*<td>\d+</td>\s*<td><a [^>]*>(.*?)</a>(.*?)</tr>", ranking, re.S)
        if "分歧" in cells
    ]
    revision_requested = session.scalars(select(Proposal.title).where(Proposal.status == "revision_requested")).one()
    assert disputed == [revision_requested]
    conflicts = session.scalars(select(Conflict))
    assert [(c.reviewer.email, c.scope, c.code) for c in conflicts] == [
        ("reviewer1@demo.example.org", "county", NANTOU)
    ]
    # The conflicted reviewer was kept off the one Nantou case in review.
    nantou = session.scalars(select(Proposal).where(Proposal.county_code == NANTOU)).one()
    assert (nantou.status, {a.reviewer.email for a in nantou.assignments}) == (
        "in_review",
        {"reviewer2@demo.example.org", "reviewer3@demo.example.org"},
    )
    reference = set(session.scalars(select(Programme.name)))
    approvals = session.execute(
        select(Decision, Proposal.status)
        .join(Proposal, Proposal.id == Decision.proposal_id)
        .where(Decision.outcome == "approve")
        .order_by(Decision.id)
    )
    assert [(status, len(d.resources), {r.programme for r in d.resources} <= reference) for d, status in approvals] == [
        ("published", 3, True),
        ("approved", 3, True),
        ("published", 3, True),
        # The published cases listed after them in the demo, from 烈嶼 to 東引.
        *[("published", 3, True)] * 14,
    ]


def test_home_page_offers_an_assigned_reviewer_the_scoring_link(world: Round) -> None:
    proposal = world.in_review(world.reviewers[0])

    def next_step(user: User) -> list[tuple[str, str]]:
        page = world.get(user, "/").get_data(as_text=True)
        row = next(r for r in re.findall(r"<tr>(.*?)</tr>", page, re.S) if f'/proposals/{proposal.id}"' in r)
        cell = row.split('data-label="下一步">', 1)[1].split("</td>", 1)[0]
        return re.findall(r'<a class="nowrap" href="([^"]+)">([^<]+)</a>', cell)

    assert next_step(world.reviewers[0]) == [(f"/review/{proposal.id}", "評分")]
    assert next_step(world.admin) == [
        (f"/proposals/{proposal.id}#actions-heading", "核定"),
        (f"/proposals/{proposal.id}#actions-heading", "修正後再提"),
        (f"/proposals/{proposal.id}#actions-heading", "不予核定"),
    ]


def test_a_county_reads_what_a_resubmission_changed(world: Round, session: Session) -> None:
    proposal = world.make.proposal(world.township, title="埔里舊標題計畫")
    operations.apply_transition(session, proposal, Action.SUBMIT, world.township)
    operations.apply_transition(session, proposal, Action.RETURN, world.county, "請補充")
    operations.apply_transition(session, proposal, Action.REVISE, world.township)
    proposal.title = "埔里新標題計畫"
    operations.apply_transition(session, proposal, Action.SUBMIT, world.township)
    session.commit()

    page = text_of(world.get(world.county, f"/proposals/{proposal.id}"))
    section = page[page.index("v2 與 v1 相比的修改") :].split("</details>", 1)[0]

    assert re.findall(r'<li class="diff-(\w+)"><span class="visually-hidden">[^<]*</span>([^<]*)</li>', section) == [
        ("removed", "提案名稱｜埔里舊標題計畫"),
        ("added", "提案名稱｜埔里新標題計畫"),
    ]
