"""Reviewers' draft scores (暫存) and submitted scores changed before the decision
(修改評分): what is kept, what counts, who sees it, and what the database allows."""

from __future__ import annotations

import json
import re

import pytest
from flask import Flask
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal import db, matching, meetings, review
from portal.db import history, migrate
from portal.db.models import AuditEvent, Proposal, Review, ReviewDraft
from portal.domain.errors import DomainError
from portal.domain.states import State
from tests.conftest import Factory
from tests.test_review import CYCLE, TITLE, Round, review_form, scores, text_of
from tests.test_wizard import Tab, field_errors, flashes, typed_values, visible_text

STALE_DRAFT = (
    "這份評分草稿在您開啟頁面後，已在另一個分頁暫存或送出，這次沒有儲存。"
    "您輸入的內容都還在下方；另一個分頁暫存的內容列在表單上方，確認後再按一次「暫存」即以您的內容為準。"
)
DECIDED = "國發會已做成決定（核定），評分不能再修改。"


@pytest.fixture
def world(app: Flask, make: Factory, session: Session) -> Round:
    return Round(app, make, session)


def drafts(session: Session) -> list[tuple[int, int, dict[str, str]]]:
    session.expire_all()
    return [
        (d.reviewer_id, d.lock_version, d.form) for d in session.scalars(select(ReviewDraft).order_by(ReviewDraft.id))
    ]


def rows(world: Round, proposal_id: int) -> list[tuple[int, int | None, dict[str, int], str]]:
    """Every review row of the case: id, the row it replaces, scores, internal comment."""
    world.session.expire_all()
    found = world.session.scalars(select(Review).where(Review.proposal_id == proposal_id).order_by(Review.id))
    return [(r.id, r.replaces_id, r.scores, r.internal_comment) for r in found]


def progress(manage_page: str) -> list[str]:
    """The 評分進度 column of 審查管理."""
    return re.findall(r'<td data-label="評分進度">(.*?)</td>', manage_page)


def score_fields(tab: Tab) -> dict[str, list[str]]:
    """What the scoring form holds, without its hidden bookkeeping."""
    hidden = {"csrf_token", "revision", "draft_version", "replaces"}
    return {k: v for k, v in typed_values(tab.fields).items() if k not in hidden}


def decide(world: Round, proposal: Proposal) -> None:
    review.decide(
        world.session,
        world.fresh(proposal),
        world.admin,
        outcome="approve",
        reasons="三高且跨部會",
        meeting=world.meeting,
        resources=[],
    )
    world.session.commit()


# --- drafts ------------------------------------------------------------------------------------


def test_draft_keeps_a_partial_half_typed_form_and_reopens_it(world: Round, session: Session) -> None:
    reviewer = world.reviewers[0]
    proposal = world.in_review(reviewer)
    path = f"/review/{proposal.id}"
    tab = Tab(world.browser(reviewer).client, path)
    tab.type({"score_feasibility": "4", "internal_comment": "財務規劃尚待"})

    saved = tab.press("save_draft")
    reopened = Tab(world.browser(reviewer).client, path)

    assert saved.status_code == 302
    assert drafts(session) == [
        (
            reviewer.id,
            1,
            {
                "score_feasibility": "4",
                "cross_ministry": "no",
                "comment_to_township": "",
                "internal_comment": "財務規劃尚待",
            },
        )
    ]
    assert score_fields(reopened) == {
        "score_feasibility": ["4"],
        "cross_ministry": ["no"],
        "comment_to_township": [""],
        "internal_comment": ["財務規劃尚待"],
    }
    assert visible_text(re.search(r'<p class="hint" id="draft-state">(.*?)</p>', reopened.page).group(1)).startswith(  # type: ignore[union-attr]
        "草稿已暫存（"
    )
    assert rows(world, proposal.id) == []


def test_draft_is_counted_nowhere_and_seen_by_its_reviewer_only(world: Round, session: Session) -> None:
    first, second = world.reviewers[:2]
    proposal = world.in_review(first, second)
    path = f"/review/{proposal.id}"
    tab = Tab(world.browser(first).client, path)
    tab.type(review_form(scores(5, 5, 5), internal_comment="DRAFT-ONLY-草稿"))
    tab.press("save_draft")

    other = Tab(world.browser(second).client, path)
    ranking = text_of(world.get(world.admin, f"/review/ranking?cycle={CYCLE}"))
    manage = text_of(world.get(world.admin, f"/review/manage?cycle={CYCLE}"))

    assert review.round_ranking(session, world.rubric, CYCLE) == []
    assert TITLE not in ranking
    assert progress(manage) == ["0/2"]
    assert score_fields(other) == {"cross_ministry": ["no"], "comment_to_township": [""], "internal_comment": [""]}
    assert "DRAFT-ONLY-草稿" not in other.page
    with world.app.app_context():
        assert matching.aggregates(session, [proposal.id])[proposal.id].review_count == 0


def test_draft_completed_and_submitted_becomes_the_review_and_is_deleted(world: Round, session: Session) -> None:
    reviewer = world.reviewers[0]
    proposal = world.in_review(reviewer)
    path = f"/review/{proposal.id}"
    first = Tab(world.browser(reviewer).client, path)
    first.type({"score_feasibility": "2", "internal_comment": "初稿"})
    first.press("save_draft")
    tab = Tab(world.browser(reviewer).client, path)
    tab.type(review_form(scores(3, 4, 5), internal_comment="完稿"))

    sent = tab.press()

    assert sent.status_code == 302
    assert [(r[1], r[2], r[3]) for r in rows(world, proposal.id)] == [(None, scores(3, 4, 5), "完稿")]
    assert drafts(session) == []
    assert [s.proposal_id for s in review.round_ranking(session, world.rubric, CYCLE)] == [proposal.id]


def test_submit_of_an_incomplete_draft_shows_errors_by_the_fields_and_keeps_the_draft(
    world: Round, session: Session
) -> None:
    reviewer = world.reviewers[0]
    proposal = world.in_review(reviewer)
    path = f"/review/{proposal.id}"
    tab = Tab(world.browser(reviewer).client, path)
    tab.type({"score_feasibility": "4"})
    tab.press("save_draft")
    tab = Tab(world.browser(reviewer).client, path)

    refused = tab.press()

    assert refused.status_code == 200
    assert field_errors(tab.page) == {
        "score_creativity": ["請為「創意性」給分"],
        "score_spillover": ["請為「外溢性」給分"],
        "cross_domain": ["請選擇"],
        "confidence": ["請選擇把握程度"],
    }
    assert score_fields(tab)["score_feasibility"] == ["4"]
    assert drafts(session) == [
        (
            reviewer.id,
            1,
            {"score_feasibility": "4", "cross_ministry": "no", "comment_to_township": "", "internal_comment": ""},
        )
    ]
    assert rows(world, proposal.id) == []


def test_stale_draft_save_is_refused_with_the_input_kept_and_the_other_shown(world: Round, session: Session) -> None:
    reviewer = world.reviewers[0]
    proposal = world.in_review(reviewer)
    path = f"/review/{proposal.id}"
    first = Tab(world.browser(reviewer).client, path)
    second = Tab(world.browser(reviewer).client, path)
    first.type({"score_feasibility": "5", "internal_comment": "第一個分頁"})
    first.client.get(first.press("save_draft").location)  # the first tab follows its redirect
    second.type({"score_feasibility": "1", "internal_comment": "第二個分頁"})

    refused = second.press("save_draft")
    shown = visible_text(
        re.search(r'<div class="card conflict" id="draft-conflict">(.*?)</div>', second.page, re.S).group(1)
    )  # type: ignore[union-attr]
    stored = drafts(session)
    overwritten = second.press("save_draft")

    assert refused.status_code == 200
    assert flashes(text_of(refused)) == [("error", STALE_DRAFT)]
    assert stored == [
        (
            reviewer.id,
            1,
            {
                "score_feasibility": "5",
                "cross_ministry": "no",
                "comment_to_township": "",
                "internal_comment": "第一個分頁",
            },
        )
    ]
    assert shown == (
        "另一個分頁暫存的內容 可行性 5 創意性 （空白） 外溢性 （空白） 是否跨領域 （空白） 是否跨部會 否 "
        "把握程度 （空白） 內部意見 第一個分頁 給公所的意見 （空白）"
    )
    assert overwritten.status_code == 302
    assert drafts(session)[0][1:] == (
        2,
        {"score_feasibility": "1", "cross_ministry": "no", "comment_to_township": "", "internal_comment": "第二個分頁"},
    )


# --- changing a submitted score ----------------------------------------------------------------


def test_change_before_decision_adds_a_row_and_the_ranking_uses_it(world: Round, session: Session) -> None:
    first, second = world.reviewers[:2]
    proposal = world.in_review(first, second)
    old = world.score(proposal, first, scores(4, 4, 4))
    world.score(proposal, second, scores(2, 2, 2))
    before = review.round_ranking(session, world.rubric, CYCLE)
    tab = Tab(world.browser(first).client, f"/review/{proposal.id}?edit=1")
    opened = score_fields(tab)
    tab.type({"score_feasibility": "1", "internal_comment": "財務不可行"})

    sent = tab.press()
    after = review.round_ranking(session, world.rubric, CYCLE)

    assert sent.status_code == 302
    assert opened == {
        "score_feasibility": ["4"],
        "score_creativity": ["4"],
        "score_spillover": ["4"],
        "cross_domain": ["yes"],
        "cross_ministry": ["no"],
        "confidence": ["2"],
        "comment_to_township": [""],
        "internal_comment": [""],
    }
    written = rows(world, proposal.id)
    assert written[:2] == [(old.id, None, scores(4, 4, 4), ""), (old.id + 1, None, scores(2, 2, 2), "")]
    assert written[2][1:] == (old.id, scores(1, 4, 4), "財務不可行")
    assert [(c, s.mean) for c, s in before[0].summaries.items()] == [
        ("feasibility", 3.0),
        ("creativity", 3.0),
        ("spillover", 3.0),
    ]
    assert [(c, s.mean) for c, s in after[0].summaries.items()] == [
        ("feasibility", 1.5),
        ("creativity", 3.0),
        ("spillover", 3.0),
    ]
    assert after[0].review_count == 2


def test_change_is_audited_with_old_and_new_values(world: Round, session: Session) -> None:
    reviewer = world.reviewers[0]
    proposal = world.in_review(reviewer)
    old = world.score(proposal, reviewer, scores(4, 3, 5))
    tab = Tab(world.browser(reviewer).client, f"/review/{proposal.id}?edit=1")
    tab.type({"score_creativity": "5", "confidence": "3", "internal_comment": "補充"})

    tab.press()

    session.expire_all()
    event = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert event is not None
    assert (event.action, event.actor_id, event.proposal_id, event.reason) == (
        "review_edit",
        reviewer.id,
        proposal.id,
        f"v1（第 {old.id} 筆改為第 {old.id + 1} 筆）：創意性：3 → 5；把握程度：中 → 高：熟悉這個領域；"
        "內部意見：（空白） → 補充",
    )


def township_comments(page: str) -> list[str]:
    found = re.search(r"<h3>輔導團給提案單位的意見</h3>\s*<ul>(.*?)</ul>", page, re.S)
    return [visible_text(li) for li in re.findall(r"<li[^>]*>(.*?)</li>", found.group(1), re.S)] if found else []


def test_every_reader_counts_only_the_standing_review(world: Round, session: Session) -> None:
    first, second = world.reviewers[:2]
    proposal = world.in_review(first, second)
    world.score(proposal, first, scores(2, 2, 2), comment_to_township="OLD-給公所")
    world.score(proposal, second, scores(5, 5, 5))
    tab = Tab(world.browser(first).client, f"/review/{proposal.id}?edit=1")
    tab.type({"score_feasibility": "5", "score_creativity": "5", "score_spillover": "5"})
    tab.type({"comment_to_township": "NEW-給公所", "confirm_comment": "y"})
    tab.press()
    fresh = world.fresh(proposal)

    counts = review.scored_counts(session, [proposal.id])
    current = [(r.reviewer_id, r.scores) for r in review.current_reviews(session, fresh)]
    with world.app.app_context():
        aggregate = matching.aggregates(session, [proposal.id])[proposal.id]
    screened = [p.id for p in meetings.screened(session, world.rubric)]
    decide(world, proposal)
    township_page = text_of(world.get(world.township, f"/proposals/{proposal.id}"))

    assert counts == {proposal.id: 2}
    assert current == [(second.id, scores(5, 5, 5)), (first.id, scores(5, 5, 5))]
    assert (aggregate.means, aggregate.review_count) == (
        {"feasibility": 5.0, "creativity": 5.0, "spillover": 5.0},
        2,
    )
    assert screened == [proposal.id]
    assert township_comments(township_page) == ["NEW-給公所"]


def test_change_after_the_decision_is_refused(world: Round, session: Session) -> None:
    reviewer = world.reviewers[0]
    proposal = world.in_review(reviewer)
    old = world.score(proposal, reviewer, scores(4, 4, 4))
    tab = Tab(world.browser(reviewer).client, f"/review/{proposal.id}?edit=1")
    tab.type({"score_feasibility": "1"})
    decide(world, proposal)

    refused = world.browser(reviewer).client.post(tab.path, data=tab.fields, follow_redirects=True)
    page = text_of(world.get(reviewer, f"/review/{proposal.id}?edit=1"))

    assert flashes(text_of(refused)) == [("error", DECIDED)]
    assert re.search(r'<p class="hint" id="edit-closed">(.*?)</p>', page).group(1) == (  # type: ignore[union-attr]
        "國發會已做成決定，評分不能再修改。"
    )
    assert "修改評分" not in page
    assert rows(world, proposal.id) == [(old.id, None, scores(4, 4, 4), "")]
    with pytest.raises(DomainError, match=re.escape(DECIDED)):
        world.score(world.fresh(proposal), reviewer, scores(1, 1, 1))
    assert world.fresh(proposal).state == State.APPROVED


def test_change_from_a_stale_tab_is_refused(world: Round) -> None:
    reviewer = world.reviewers[0]
    proposal = world.in_review(reviewer)
    old = world.score(proposal, reviewer, scores(4, 4, 4))
    path = f"/review/{proposal.id}?edit=1"
    first = Tab(world.browser(reviewer).client, path)
    second = Tab(world.browser(reviewer).client, path)
    first.type({"score_feasibility": "5"})
    first.client.get(first.press().location)  # the first tab follows its redirect
    second.type({"score_feasibility": "1"})

    refused = second.press()

    assert refused.status_code == 200
    assert flashes(second.page) == [
        (
            "error",
            "您開啟這個頁面後，v1 的評分已在另一個分頁修改，這次沒有送出。"
            "您輸入的內容都還在下方；請重新開啟「修改評分」比對後再送出。",
        )
    ]
    assert score_fields(second)["score_feasibility"] == ["1"]
    assert [(r[1], r[2]) for r in rows(world, proposal.id)] == [(None, scores(4, 4, 4)), (old.id, scores(5, 4, 4))]


TIME = r"\d{4}-\d\d-\d\d \d\d:\d\d"


def test_ndc_history_shows_old_and_new_values(world: Round) -> None:
    reviewer = world.reviewers[0]
    proposal = world.in_review(reviewer)
    world.score(proposal, reviewer, scores(4, 4, 4))
    tab = Tab(world.browser(reviewer).client, f"/review/{proposal.id}?edit=1")
    tab.type({"score_feasibility": "2", "internal_comment": "重新評估"})
    tab.press()

    page = text_of(world.get(world.admin, f"/review/manage/{proposal.id}/reviews"))

    body = re.search(r"<tbody>(.*?)</tbody>", page, re.S).group(1)  # type: ignore[union-attr]
    shown = [
        re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d", "TIME", visible_text(tr)) for tr in re.findall(r"<tr.*?</tr>", body, re.S)
    ]
    assert shown == [
        f"{reviewer.name} TIME 已被下一筆取代 4 4 4 是 否 中 （空白） （空白）",
        f"{reviewer.name} TIME 有效 2 4 4 是 否 中 重新評估 （空白）",
    ]


# --- links -------------------------------------------------------------------------------------


def score_links(page: str) -> list[str]:
    return [visible_text(a) for a in re.findall(r'<a[^>]*href="/review/\d+(?:\?edit=1)?"[^>]*>(.*?)</a>', page)]


def test_reviewer_meets_a_score_link_then_a_change_link(world: Round) -> None:
    reviewer = world.reviewers[0]
    proposal = world.in_review(reviewer)
    pages = ("/", f"/proposals/{proposal.id}", "/review/")

    before = [score_links(text_of(world.get(reviewer, p))) for p in pages]
    world.score(proposal, reviewer, scores(4, 4, 4))
    after = [score_links(text_of(world.get(reviewer, p))) for p in pages]
    decide(world, proposal)
    decided = [score_links(text_of(world.get(reviewer, p))) for p in pages]

    assert before == [["評分"], ["評分"], [TITLE, "評分"]]
    assert after == [["修改評分"], ["修改評分"], [TITLE, "修改評分"]]
    assert decided == [[], [], [TITLE]]


# --- the database ------------------------------------------------------------------------------


def test_database_keeps_one_standing_review_per_reviewer_and_revision(world: Round, session: Session) -> None:
    reviewer = world.reviewers[0]
    proposal = world.in_review(reviewer)
    first = world.score(proposal, reviewer, scores(4, 4, 4))
    values = {
        "proposal_id": proposal.id,
        "revision_id": first.revision_id,
        "reviewer_id": reviewer.id,
        "rubric_version": first.rubric_version,
        "scores": scores(1, 1, 1),
        "cross_domain": None,
        "cross_ministry": None,
        "confidence": 1,
    }
    session.add(Review(**values, replaces_id=first.id))
    session.commit()

    for replaces in (None, first.id):  # a second first review; a second replacement of one row
        session.add(Review(**values, replaces_id=replaces))
        with pytest.raises(IntegrityError):
            session.flush()
        session.rollback()

    assert [(r[1], r[2]) for r in rows(world, proposal.id)] == [(None, scores(4, 4, 4)), (first.id, scores(1, 1, 1))]


def test_migration_0012_keeps_reviews_and_their_guards_both_ways(app: Flask, world: Round, session: Session) -> None:
    reviewer = world.reviewers[0]
    proposal = world.in_review(reviewer)
    first = world.score(proposal, reviewer, scores(4, 3, 5))
    session.close()
    engine = db.database(app).engine

    migrate.downgrade(engine, "0011")
    with engine.connect() as connection:
        downgraded = (
            # SQLite hands the JSON document back as text, PostgreSQL as a dict.
            [
                (i, json.loads(s) if isinstance(s, str) else s)
                for i, s in connection.execute(text("SELECT id, scores FROM review"))
            ],
            history.missing_triggers(connection),
        )
    migrate.upgrade(engine)

    with engine.connect() as connection:
        assert history.missing_triggers(connection) == []
        assert connection.execute(text("SELECT id, replaces_id FROM review")).all() == [(first.id, None)]
    assert downgraded == ([(first.id, scores(4, 3, 5))], [])
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.exec_driver_sql(f"UPDATE review SET confidence = 1 WHERE id = {first.id}")
