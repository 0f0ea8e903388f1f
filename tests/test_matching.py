"""Matching by the ministries (媒合): who sees which case, what a ministry page never
shows, offers and their confirmation at the decision, and the duplicate-subsidy warning."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from portal import accounts, matching, review
from portal.db.models import MatchedResource, MatchOffer, OutboxMessage, Programme, Proposal, User
from portal.domain import matching as rules
from portal.domain import permissions as perm
from portal.domain.errors import DomainError, PermissionDenied
from portal.domain.roles import Role
from portal.domain.states import State
from tests.conftest import DAREN, GUOXING, PASSWORD_HASH, PULI, Factory
from tests.test_review import INTERNAL, REVIEWER_NAMES, TO_TOWNSHIP, Round, decision_form, scores, text_of
from tests.test_wizard import Tab, field_errors, flashes, visible_text

SME = "經濟部（中小及新創企業署）"
SBIR = "地方產業創新研發推動計畫（地方型SBIR）"
SBTR = "推動中小企業城鄉創生轉型輔導計畫（SBTR）"
YOUTH = "地方創生青年培力工作站"  # 國家發展委員會: another ministry's programme


class Matching(Round):
    """The review round plus a ministry account of 經濟部（中小及新創企業署）."""

    def __init__(self, app: Flask, make: Factory, session: Session) -> None:
        super().__init__(app, make, session)
        self.ministry = ministry_user(session, SME)

    def screened(self, title: str, participating: list[str] | None = None) -> Proposal:
        """In review and through 三高 screening: high on all three, cross-domain, with
        internal comments and comments to the township that a ministry must never see."""
        proposal = self.in_review(*self.reviewers, title=title, participating=participating)
        for number, reviewer in enumerate(self.reviewers, start=1):
            self.score(
                proposal,
                reviewer,
                scores(5, 4, 4 + number % 2),
                internal_comment=f"{INTERNAL}{number}",
                comment_to_township=f"{TO_TOWNSHIP}{number}",
            )
        return self.fresh(proposal)

    def post(self, user: User, path: str, data: dict[str, Any]) -> TestResponse:
        """Like Round.post, with the token of a page every account can open ("/" sends a
        ministry on to its own list)."""
        auth = self.browser(user)
        token = auth.csrf("/notifications/")
        return auth.client.post(path, data={**data, "csrf_token": token}, follow_redirects=True)

    def offer(self, proposal: Proposal, name: str, amount: int = 3000, year: int = 2027) -> MatchOffer:
        """An offer made through the operation (which reads the app's rubric)."""
        with self.app.app_context():
            made, _warnings = matching.offer(
                self.session, proposal, self.ministry, programme_id=self.programme(name).id, amount=amount, year=year
            )
        self.session.commit()
        return made

    def programme(self, name: str) -> Programme:
        found = self.session.scalar(select(Programme).where(Programme.name == name))
        assert found is not None
        return found


def ministry_user(session: Session, ministry: str, email: str = "sme@example.org") -> User:
    user = accounts.create_user(session, email=email, name="林承辦", role=Role.MINISTRY, ministry=ministry)
    user.password_hash = PASSWORD_HASH
    session.commit()
    return user


@pytest.fixture
def world(app: Flask, make: Factory, session: Session) -> Matching:
    return Matching(app, make, session)


def offer_form(programme: Programme, amount: str = "3000", year: str = "2027", note: str = "") -> dict[str, str]:
    return {"programme": str(programme.id), "amount": amount, "year": year, "note": note}


def listed_titles(page: str) -> list[str]:
    return re.findall(r'<a href="/ministry/\d+">([^<]+)</a>', page)


# --- who sees what ---------------------------------------------------------------------------


def test_ministry_list_shows_screened_in_review_and_approved_cases_only(world: Matching, session: Session) -> None:
    screened = world.screened("通過篩選的提案")
    low = world.in_review(world.reviewers[0], title="未達三高的提案")
    world.score(low, world.reviewers[0], scores(2, 2, 2))
    world.forwarded("縣市已轉送的提案")
    approved = world.screened("已核定的提案")
    review.decide(session, approved, world.admin, outcome="approve", reasons="", meeting=world.meeting, resources=[])
    session.commit()

    page = text_of(world.get(world.ministry, "/ministry/"))
    hidden = world.get(world.ministry, f"/ministry/{low.id}")

    assert sorted(listed_titles(page)) == sorted(["通過篩選的提案", "已核定的提案"])
    assert hidden.status_code == 404
    assert world.get(world.ministry, f"/ministry/{screened.id}").status_code == 200


def test_ministry_pages_never_show_reviewer_identity_scores_or_comments(world: Matching) -> None:
    proposal = world.screened("通過篩選的提案")
    offered = world.post(world.ministry, f"/ministry/{proposal.id}", offer_form(world.programme(SBIR)))

    pages = {
        "list": text_of(world.get(world.ministry, "/ministry/")),
        "case": text_of(world.get(world.ministry, f"/ministry/{proposal.id}")),
        "after offer": text_of(offered),
    }
    secrets = [*REVIEWER_NAMES, *(r.email for r in world.reviewers), INTERNAL, TO_TOWNSHIP]

    assert {name: [s for s in secrets if s in page] for name, page in pages.items()} == {
        "list": [],
        "case": [],
        "after offer": [],
    }


def test_ministry_case_page_shows_the_means_and_total_as_the_ranking_does(world: Matching) -> None:
    proposal = world.screened("通過篩選的提案")
    # Feasibility 5,5,5; creativity 4,4,4; spillover 5,4,5 (weights 0.4/0.3/0.3).

    page = text_of(world.get(world.ministry, f"/ministry/{proposal.id}"))
    card = re.search(r'<section class="card" aria-labelledby="scores-title">(.*?)</section>', page, re.S)

    assert card is not None
    assert visible_text(card.group(1)) == (
        "評分摘要（v1，3 份評分的平均） 可行性：5.00 創意性：4.00 外溢性：4.67 加權總分：4.60 篩選結果：進行後續媒合"
    )


def test_ministry_is_refused_every_review_and_proposal_page(world: Matching) -> None:
    proposal = world.screened("通過篩選的提案")
    paths = [
        f"/proposals/{proposal.id}",
        f"/proposals/{proposal.id}/brief",
        f"/review/{proposal.id}",
        f"/review/decide/{proposal.id}",
        "/review/ranking",
        "/review/ranking.json",
    ]

    seen = {path: world.get(world.ministry, path).status_code for path in paths}

    assert seen == dict.fromkeys(paths[:3], 404) | dict.fromkeys(paths[3:], 403)


@pytest.mark.parametrize(
    ("status", "screened", "expected"),
    [
        (State.IN_REVIEW, True, True),
        (State.IN_REVIEW, False, False),
        (State.APPROVED, False, True),
        (State.PUBLISHED, True, True),
        (State.FORWARDED, True, False),
        (State.REVISION_REQUESTED, True, False),
        (State.NOT_APPROVED, True, False),
        (State.WITHDRAWN, True, False),
    ],
)
def test_ministry_can_view_follows_screening_and_state(status: State, screened: bool, expected: bool) -> None:
    class Facts:
        lead_township_code, county_code, author_county_code = PULI, PULI[:5], None
        participating_codes: frozenset[str] = frozenset()
        reviewer_ids: frozenset[int] = frozenset()
        conflicted_reviewer_ids: frozenset[int] = frozenset()
        revision_count = 1

    class Ministry:
        id, role, township_code, county_code = 1, Role.MINISTRY.value, None, None

    facts = Facts()
    facts.status = status.value  # type: ignore[attr-defined]

    assert (
        perm.ministry_can_view(Ministry(), facts, screened),  # type: ignore[arg-type]
        perm.can_view(Ministry(), facts),  # type: ignore[arg-type]
    ) == (expected, False)


# --- offers and confirmation -----------------------------------------------------------------


def test_offer_is_stored_and_the_ndc_is_notified(world: Matching, session: Session) -> None:
    proposal = world.screened("通過篩選的提案")

    page = text_of(
        world.post(world.ministry, f"/ministry/{proposal.id}", offer_form(world.programme(SBIR), note="支應研發"))
    )
    session.expire_all()
    stored = session.scalars(select(MatchOffer)).all()
    message = session.scalar(select(OutboxMessage).where(OutboxMessage.event == "match_offer"))

    assert flashes(page) == [("success", "已提出媒合計畫，國發會將在做成決定時確認。")]
    assert [(o.proposal_id, o.programme.name, o.amount, o.year, o.note, o.decision_id) for o in stored] == [
        (proposal.id, SBIR, 3000, 2027, "支應研發", None)
    ]
    assert message is not None
    assert (message.recipient_id, message.subject, message.body) == (
        world.admin.id,
        f"【地方創生提案】通過篩選的提案：{SME}提議媒合計畫",
        f"提案：通過篩選的提案（南投縣埔里鎮）\n部會提議媒合：{SME}「{SBIR}」2027 年 3,000 千元\n"
        "說明：支應研發\n請在做成決定時確認是否納入媒合資源。",
    )


def test_offer_form_refuses_bad_amount_year_and_another_ministrys_programme(world: Matching, session: Session) -> None:
    proposal = world.screened("通過篩選的提案")
    tab = Tab(world.browser(world.ministry).client, f"/ministry/{proposal.id}")
    tab.type({"programme": str(world.programme(YOUTH).id), "amount": "0", "year": "2050"})

    tab.press()

    assert field_errors(tab.page) == {
        "programme": ["不是有效的選擇。"],
        "amount": [f"金額必須是 1 到 {rules.AMOUNT_MAX} 的整數（千元）"],
        "year": ["請填 2019 到 2040"],
    }
    assert session.scalars(select(MatchOffer)).all() == []


def test_offer_operation_refuses_another_ministrys_programme_and_unscreened_cases(
    world: Matching, session: Session
) -> None:
    screened = world.screened("通過篩選的提案")
    low = world.in_review(world.reviewers[0], title="未達三高的提案")
    world.score(low, world.reviewers[0], scores(2, 2, 2))

    with pytest.raises(DomainError) as other:
        world.offer(screened, YOUTH)
    session.rollback()
    with pytest.raises(PermissionDenied) as unscreened:
        world.offer(low, SBIR)
    session.rollback()

    assert (str(other.value), str(unscreened.value)) == (
        f"請從{SME}仍在受理的計畫中選擇。",
        "只有通過三高篩選、仍在審查中的提案，才能由部會提出媒合計畫。",
    )
    assert session.scalars(select(MatchOffer)).all() == []


def test_ndc_confirms_chosen_offers_into_the_approvals_matched_resources(world: Matching, session: Session) -> None:
    proposal = world.screened("通過篩選的提案")
    kept = world.offer(proposal, SBIR, 3000)
    world.offer(proposal, SBTR, 500)
    kept_id = kept.id

    page = world.decide(proposal, decision_form(offer=str(kept_id)))
    session.expire_all()
    resources = session.scalars(select(MatchedResource)).all()
    offers = session.scalars(select(MatchOffer).order_by(MatchOffer.id)).all()

    assert flashes(page) == [("success", "已記錄決定：核定。")]
    assert [(r.ministry, r.programme, r.amount, r.year) for r in resources] == [(SME, SBIR, 3000, 2027)]
    assert [(o.id == kept_id, o.decision_id is not None) for o in offers] == [(True, True), (False, False)]


def test_confirming_offers_in_a_rejection_is_refused_and_nothing_is_decided(world: Matching, session: Session) -> None:
    proposal = world.screened("通過篩選的提案")
    offered = world.offer(proposal, SBIR)

    page = world.decide(proposal, decision_form("reject", "不符資格", offer=str(offered.id)))

    assert flashes(page) == [("error", "只有核定的提案才能納入部會提議的媒合計畫。")]
    assert world.fresh(proposal).status == State.IN_REVIEW
    assert session.scalars(select(MatchedResource)).all() == []


# --- the duplicate-subsidy check ---------------------------------------------------------------


def approve_with(world: Matching, title: str, programme: str, year: int, lead_participating: list[str]) -> Proposal:
    """An approved case of 南投縣埔里鎮 (with the given partners) matched with `programme`."""
    proposal = world.screened(title, participating=lead_participating)
    review.decide(
        world.session,
        proposal,
        world.admin,
        outcome="approve",
        reasons="",
        meeting=world.meeting,
        resources=[review.Resource(programme, 2000, year)],
    )
    world.session.commit()
    return proposal


def test_offer_for_a_township_already_matched_that_year_warns_naming_the_other_case(
    world: Matching, session: Session
) -> None:
    earlier = approve_with(world, "埔里先前核定案", SBIR, 2027, [GUOXING])
    proposal = world.screened("埔里第二案")
    expected = (
        f"可能重複補助：「{SBIR}」2027 年已媒合給第 {earlier.id} 號提案「埔里先前核定案」"
        "（南投縣埔里鎮，2,000 千元），兩案有相同的鄉鎮市區。請確認不是同一事業重複申請。"
    )

    page = text_of(world.post(world.ministry, f"/ministry/{proposal.id}", offer_form(world.programme(SBIR))))
    decide_page = text_of(world.get(world.admin, f"/review/decide/{proposal.id}"))

    assert flashes(page) == [("success", "已提出媒合計畫，國發會將在做成決定時確認。"), ("warning", expected)]
    assert re.findall(
        r'<p class="flash warning" id="offer-\d+-warning">.*?<span class="flash-text">(.*?)</span>', decide_page
    ) == [expected]
    assert len(session.scalars(select(MatchOffer)).all()) == 1


@pytest.mark.parametrize(
    ("programme", "year", "townships", "warned"),
    [
        pytest.param(SBIR, 2027, {PULI}, True, id="same-lead"),
        pytest.param(SBIR, 2027, {DAREN, GUOXING}, True, id="shared-participant"),
        pytest.param(SBIR, 2028, {PULI}, False, id="other-year"),
        pytest.param(SBTR, 2027, {PULI}, False, id="other-programme"),
        pytest.param(SBIR, 2027, {DAREN}, False, id="other-place"),
    ],
)
def test_duplicates_need_same_programme_year_and_a_shared_township(
    programme: str, year: int, townships: set[str], warned: bool
) -> None:
    earlier = rules.Matched(7, "先前案", "南投縣埔里鎮", frozenset({PULI, GUOXING}), SBIR, 2027, 2000)

    found = rules.duplicates(8, townships, programme, year, [earlier])

    assert found == ([earlier] if warned else [])


def test_a_case_is_never_its_own_duplicate() -> None:
    earlier = rules.Matched(7, "先前案", "南投縣埔里鎮", frozenset({PULI}), SBIR, 2027, 2000)

    assert rules.duplicates(7, {PULI}, SBIR, 2027, [earlier]) == []


# --- accounts ----------------------------------------------------------------------------------


def test_ministry_account_must_name_a_ministry_of_the_programme_list(session: Session) -> None:
    with pytest.raises(accounts.AccountError) as missing:
        accounts.create_user(session, email="a@example.org", name="甲", role=Role.MINISTRY)
    with pytest.raises(accounts.AccountError) as unknown:
        accounts.create_user(session, email="b@example.org", name="乙", role=Role.MINISTRY, ministry="不存在部")
    made = accounts.create_user(session, email="c@example.org", name="丙", role=Role.MINISTRY, ministry=SME)
    other = accounts.create_user(session, email="d@example.org", name="丁", role=Role.REVIEWER, ministry=SME)

    assert (str(missing.value), missing.value.field) == ("請從部會計畫清單中的部會選擇（找不到「」）", "ministry")
    assert str(unknown.value) == "請從部會計畫清單中的部會選擇（找不到「不存在部」）"
    assert (made.ministry, made.scope_label, other.ministry) == (SME, SME, None)


def test_admin_adds_a_ministry_account_on_the_users_page(world: Matching, session: Session) -> None:
    tab = Tab(world.browser(world.admin).client, "/admin/users")
    tab.type({"email": "moea@example.org", "name": "王承辦", "role": "ministry", "ministry": ""})
    tab.press()
    refused = field_errors(tab.page)
    tab.type({"ministry": SME})

    tab.press()
    made = session.scalar(select(User).where(User.email == "moea@example.org"))

    assert refused == {"ministry": ["請從部會計畫清單中的部會選擇（找不到「」）"]}
    assert made is not None
    assert (made.role, made.ministry) == ("ministry", SME)


def test_cli_user_add_creates_a_ministry_account(app: Flask, session: Session) -> None:
    result = app.test_cli_runner().invoke(
        args=["user", "add", "--email", "moea@example.org", "--name", "王承辦", "--role", "ministry", "--ministry", SME]
    )
    made = session.scalar(select(User).where(User.email == "moea@example.org"))

    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == f"已新增 moea@example.org（部會承辦人，{SME}）。"
    assert made is not None and made.ministry == SME


def test_approved_cases_stay_readable_but_take_no_new_offers(world: Matching, session: Session) -> None:
    proposal = approve_with(world, "已核定的提案", SBIR, 2027, [])

    page = text_of(world.get(world.ministry, f"/ministry/{proposal.id}"))
    with pytest.raises(PermissionDenied):
        world.offer(proposal, SBTR)
    session.rollback()

    assert "這件提案已做成決定，不再接受新的媒合提議。" in page
    assert 'name="programme"' not in page


def test_ndc_typing_a_programme_already_matched_to_a_shared_township_is_warned_after_deciding(
    world: Matching, session: Session
) -> None:
    earlier = approve_with(world, "埔里先前核定案", SBIR, 2027, [])
    proposal = world.screened("國姓參與的埔里第二案", participating=[GUOXING])
    typed = {"resources-0-programme": SBIR, "resources-0-amount": "500", "resources-0-year": "2027"}

    page = world.decide(proposal, decision_form(**typed))

    assert flashes(page) == [
        ("success", "已記錄決定：核定。"),
        (
            "warning",
            f"可能重複補助：「{SBIR}」2027 年已媒合給第 {earlier.id} 號提案「埔里先前核定案」"
            "（南投縣埔里鎮，2,000 千元），兩案有相同的鄉鎮市區。請確認不是同一事業重複申請。",
        ),
    ]
    assert world.fresh(proposal).status == State.APPROVED
