"""會報 meetings: recording them, their agendas of screened proposals, decisions taken at
a meeting and dated by it, the migration of free-text decisions, and the showcase."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from portal import db, meetings, operations, publish, review
from portal.db import migrate
from portal.db.models import AgendaItem, AuditEvent, Decision, Meeting, Proposal
from portal.domain.errors import DomainError
from portal.domain.meetings import MeetingKind
from portal.domain.roles import Role
from portal.domain.workflow import Action
from portal.showcase import create_showcase_app
from tests.conftest import PULI, Factory
from tests.test_review import MEETING, Round, scores, text_of
from tests.test_wizard import field_errors, flashes, visible_text

TODAY = publish.today()
EARLY = TODAY - timedelta(days=40)


@pytest.fixture
def world(app: Flask, make: Factory, session: Session) -> Round:
    """As in the review tests: an admin, three reviewers, and 第12次工作會議 held today."""
    return Round(app, make, session)


def meeting_rows(session: Session) -> list[tuple[str, int | None, date, str, str]]:
    session.expire_all()
    found = session.scalars(select(Meeting).order_by(Meeting.id))
    return [(m.kind, m.number, m.held_on, m.name, m.note) for m in found]


def screened_proposal(world: Round, title: str = "埔里生態城鄉共好計畫") -> Proposal:
    """In review, scored high on all three by two reviewers who both see it cross-domain."""
    first, second = world.reviewers[:2]
    proposal = world.in_review(first, second, title=title)
    world.score(proposal, first, scores(5, 4, 4))
    world.score(proposal, second, scores(4, 5, 4))
    return proposal


def low_scored_proposal(world: Round, title: str) -> Proposal:
    reviewer = world.reviewers[2]
    proposal = world.in_review(reviewer, title=title)
    world.score(proposal, reviewer, scores(2, 3, 2))
    return proposal


# --- recording meetings ----------------------------------------------------------------------


def test_meeting_form_records_a_numbered_meeting_and_audits_it(world: Round, session: Session) -> None:
    page = world.post(
        world.admin,
        "/admin/meetings/",
        {"kind": "council", "number": "3", "held_on": TODAY.isoformat(), "note": "年度核定"},
    )

    assert flashes(text_of(page)) == [("success", f"已登錄第3次地方創生會報（{TODAY.isoformat()}）。")]
    assert meeting_rows(session) == [
        ("working", 12, TODAY, MEETING, ""),
        ("council", 3, TODAY, "第3次地方創生會報", "年度核定"),
    ]
    last = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert last is not None
    assert (last.action, last.actor_id, last.reason) == (
        "meeting_add",
        world.admin.id,
        f"第3次地方創生會報（{TODAY.isoformat()}）",
    )


def test_meeting_number_used_twice_for_a_kind_is_refused_next_to_the_field(world: Round, session: Session) -> None:
    typed = {"kind": "working", "number": "12", "held_on": TODAY.isoformat(), "note": "重複"}

    page = text_of(world.post(world.admin, "/admin/meetings/", typed))

    assert field_errors(page) == {"number": ["第 12 次工作會議已經登錄過；同一種會議的次別不能重複，請確認次別。"]}
    assert re.search(r"<textarea[^>]*>\s*重複</textarea>", page) is not None  # the note is kept
    assert meeting_rows(session) == [("working", 12, TODAY, MEETING, "")]


def test_same_number_of_the_other_kind_is_a_different_meeting(world: Round, session: Session) -> None:
    meetings.create_meeting(session, world.admin, kind=MeetingKind.COUNCIL, number=12, held_on=TODAY)
    session.commit()

    assert [(kind, number, name) for kind, number, _, name, _ in meeting_rows(session)] == [
        ("working", 12, MEETING),
        ("council", 12, "第12次地方創生會報"),
    ]


def test_meeting_number_used_twice_is_refused_by_the_operation_too(world: Round, session: Session) -> None:
    with pytest.raises(meetings.MeetingError) as caught:
        meetings.create_meeting(session, world.admin, kind=MeetingKind.WORKING, number=12, held_on=EARLY)
    session.rollback()

    assert (str(caught.value), caught.value.field) == (
        "第 12 次工作會議已經登錄過；同一種會議的次別不能重複，請確認次別。",
        "number",
    )
    assert len(meeting_rows(session)) == 1


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        pytest.param("2026-02-30", "不是有效的日期值。", id="no-such-day"),
        pytest.param("明天", "不是有效的日期值。", id="words"),
        pytest.param("", "請填寫會議日期（例如 2026-10-20）", id="empty"),
        pytest.param("2041-01-01", "會議日期必須在 2019 到 2040 年之間。", id="too-late"),
        pytest.param("2018-12-31", "會議日期必須在 2019 到 2040 年之間。", id="too-early"),
    ],
)
def test_bad_meeting_date_is_refused_next_to_the_field(
    world: Round, session: Session, typed: str, message: str
) -> None:
    page = text_of(world.post(world.admin, "/admin/meetings/", {"kind": "council", "number": "1", "held_on": typed}))

    assert field_errors(page) == {"held_on": [message]}
    kept = re.search(r'<input[^>]*name="held_on"[^>]*value="([^"]*)"', page)
    assert (kept.group(1) if kept else None) == typed
    assert len(meeting_rows(session)) == 1


@pytest.mark.parametrize("role", [Role.TOWNSHIP, Role.COUNTY, Role.REVIEWER])
def test_meeting_pages_are_for_the_ndc_only(world: Round, role: Role, session: Session) -> None:
    others = {Role.TOWNSHIP: world.township, Role.COUNTY: world.county, Role.REVIEWER: world.reviewers[0]}
    user = others[role]

    listed = world.get(user, "/admin/meetings/")
    shown = world.get(user, f"/admin/meetings/{world.meeting.id}")
    sent = world.post(user, "/admin/meetings/", {"kind": "council", "number": "1", "held_on": TODAY.isoformat()})

    assert (listed.status_code, shown.status_code, sent.status_code) == (403, 403, 403)
    assert len(meeting_rows(session)) == 1


# --- decisions at a meeting ------------------------------------------------------------------


def test_decision_at_a_meeting_before_the_submission_is_refused_next_to_the_field(
    world: Round, session: Session
) -> None:
    proposal = screened_proposal(world)
    early = meetings.create_meeting(session, world.admin, kind=MeetingKind.COUNCIL, number=1, held_on=EARLY)
    session.commit()

    page = world.decide(proposal, {"outcome": "approve", "reasons": "三高", "meeting": str(early.id)})

    assert field_errors(page) == {
        "meeting": [
            f"這次會議（{EARLY.isoformat()}）早於提案送出目前版本的日期（{TODAY.isoformat()}），"
            f"不能在這次會議做成決定；請選擇 {TODAY.isoformat()} 當天或之後的會議。"
        ]
    }
    assert world.fresh(proposal).status == "in_review"
    assert list(session.scalars(select(Decision))) == []


def test_decision_before_the_submission_is_refused_by_the_operation(world: Round, session: Session) -> None:
    proposal = screened_proposal(world)
    early = meetings.create_meeting(session, world.admin, kind=MeetingKind.COUNCIL, number=1, held_on=EARLY)
    session.commit()

    with pytest.raises(DomainError) as caught:
        review.decide(session, proposal, world.admin, outcome="approve", reasons="", meeting=early, resources=[])
    session.rollback()

    assert str(caught.value).startswith(f"這次會議（{EARLY.isoformat()}）早於提案送出目前版本的日期")
    assert world.fresh(proposal).status == "in_review"


def test_decision_is_dated_by_its_meeting_which_the_form_preselects(world: Round, session: Session) -> None:
    proposal = screened_proposal(world)
    meetings.create_meeting(session, world.admin, kind=MeetingKind.COUNCIL, number=1, held_on=EARLY)
    session.commit()

    page = world.decide(proposal, {"outcome": "approve", "reasons": "三高且跨領域"})

    assert flashes(page) == [("success", "已記錄決定：核定。")]
    decision = session.scalars(select(Decision)).one()
    assert (decision.meeting_id, decision.meeting, decision.decided_on) == (world.meeting.id, MEETING, TODAY)


def test_decision_page_offers_every_meeting_latest_first(world: Round, session: Session) -> None:
    proposal = screened_proposal(world)
    early = meetings.create_meeting(session, world.admin, kind=MeetingKind.COUNCIL, number=1, held_on=EARLY)
    session.commit()

    page = text_of(world.get(world.admin, f"/review/decide/{proposal.id}"))

    select_html = re.search(r'<select[^>]*name="meeting"[^>]*>(.*?)</select>', page, re.S)
    assert select_html is not None
    options = re.findall(r'<option( selected)? value="(\d*)">([^<]*)</option>', select_html.group(1))
    assert options == [
        ("", "", "（請選擇會議）"),
        (" selected", str(world.meeting.id), f"{MEETING}（{TODAY.isoformat()}）"),
        ("", str(early.id), f"第1次地方創生會報（{EARLY.isoformat()}）"),
    ]


def test_decision_without_a_meeting_is_refused_next_to_the_field(world: Round, session: Session) -> None:
    proposal = screened_proposal(world)

    page = world.decide(proposal, {"outcome": "approve", "reasons": "三高", "meeting": ""})

    assert field_errors(page) == {"meeting": ["請選擇做成決定的會議"]}
    assert world.fresh(proposal).status == "in_review"
    assert list(session.scalars(select(Decision))) == []


# --- agendas and meeting pages ---------------------------------------------------------------


def agenda_shown(page: str) -> list[str]:
    found = re.search(r'<ol id="agenda">(.*?)</ol>', page, re.S)
    assert found is not None
    return [visible_text(item) for item in re.findall(r"<li>(.*?)</li>", found.group(1), re.S)]


def offered(page: str) -> list[str]:
    found = re.search(r'<select[^>]*name="proposal"[^>]*>(.*?)</select>', page, re.S)
    return re.findall(r'value="(\d+)"', found.group(1)) if found else []


def test_agenda_offers_only_screened_proposals_and_lists_what_was_added(world: Round, session: Session) -> None:
    passed = screened_proposal(world, "埔里生態城鄉共好計畫")
    low_scored_proposal(world, "埔里茶香小鎮計畫")
    path = f"/admin/meetings/{world.meeting.id}"

    before = text_of(world.get(world.admin, path))
    added = text_of(world.post(world.admin, path, {"proposal": str(passed.id)}))

    assert offered(before) == [str(passed.id)]
    assert flashes(added) == [("success", "已將「埔里生態城鄉共好計畫」列入議程。")]
    assert agenda_shown(added) == ["埔里生態城鄉共好計畫（南投縣埔里鎮，輔導團審查中）・做成決定"]
    assert offered(added) == []
    items = session.scalars(select(AgendaItem))
    assert [(i.meeting_id, i.proposal_id, i.added_by_id) for i in items] == [
        (world.meeting.id, passed.id, world.admin.id)
    ]
    assert [p.id for p in meetings.screened(session, world.rubric)] == [passed.id]


def test_unscreened_proposal_is_refused_on_the_agenda(world: Round, session: Session) -> None:
    screened_proposal(world)  # so that the form is shown, offering this one
    failed = low_scored_proposal(world, "埔里茶香小鎮計畫")

    posted = text_of(world.post(world.admin, f"/admin/meetings/{world.meeting.id}", {"proposal": str(failed.id)}))
    with pytest.raises(meetings.MeetingError) as caught:
        meetings.add_to_agenda(session, world.meeting, failed, world.admin, world.rubric)
    session.rollback()

    # The form does not offer it, so a crafted post is refused as not a choice.
    assert field_errors(posted) == {"proposal": ["不是有效的選擇。"]}
    assert str(caught.value) == "只有仍在審查中、目前版本通過三高篩選（進行後續媒合）的提案可以列入議程。"
    assert list(session.scalars(select(AgendaItem))) == []


def test_proposal_cannot_go_on_the_agenda_of_a_meeting_before_its_submission(world: Round, session: Session) -> None:
    passed = screened_proposal(world)
    early = meetings.create_meeting(session, world.admin, kind=MeetingKind.COUNCIL, number=1, held_on=EARLY)
    session.commit()

    page = text_of(world.post(world.admin, f"/admin/meetings/{early.id}", {"proposal": str(passed.id)}))

    assert list(field_errors(page)) == ["proposal"]
    assert field_errors(page)["proposal"][0].startswith(f"這次會議（{EARLY.isoformat()}）早於提案送出目前版本的日期")
    assert list(session.scalars(select(AgendaItem))) == []


def decisions_shown(page: str) -> list[str]:
    found = re.search(r'<table class="table" id="decisions">.*?<tbody>(.*?)</tbody>', page, re.S)
    assert found is not None
    return [visible_text(row) for row in re.findall(r"<tr>(.*?)</tr>", found.group(1), re.S)]


def test_meeting_page_lists_the_decisions_taken_at_it(world: Round, session: Session) -> None:
    approved = screened_proposal(world, "埔里生態城鄉共好計畫")
    returned = low_scored_proposal(world, "埔里茶香小鎮計畫")
    other = meetings.create_meeting(session, world.admin, kind=MeetingKind.COUNCIL, number=1, held_on=TODAY)
    session.commit()
    world.decide(approved, {"outcome": "approve", "reasons": "三高且跨領域", "meeting": str(world.meeting.id)})
    world.decide(returned, {"outcome": "request_revision", "reasons": "請補充財務規劃。", "meeting": str(other.id)})

    at_working = text_of(world.get(world.admin, f"/admin/meetings/{world.meeting.id}"))
    at_council = text_of(world.get(world.admin, f"/admin/meetings/{other.id}"))

    assert decisions_shown(at_working) == ["埔里生態城鄉共好計畫 核定 三高且跨領域"]
    assert decisions_shown(at_council) == ["埔里茶香小鎮計畫 修正後再提 請補充財務規劃。"]


def test_meeting_page_without_decisions_says_so(world: Round) -> None:
    page = text_of(world.get(world.admin, f"/admin/meetings/{world.meeting.id}"))

    assert decisions_shown(page) == ["這次會議還沒有做成決定。"]
    assert agenda_shown(page) == ["議程還沒有提案。"]


# --- the migration of free-text decisions ----------------------------------------------------


def test_migration_gives_each_distinct_free_text_meeting_and_date_one_meeting(
    app: Flask, make: Factory, session: Session
) -> None:
    township = make.user(Role.TOWNSHIP, township=PULI)
    admin = make.user(Role.ADMIN)
    proposals = [make.proposal(township, title=f"提案{n}") for n in range(5)]
    for proposal in proposals:
        operations.apply_transition(session, proposal, Action.SUBMIT, township)
    session.commit()
    revisions = [(p.id, p.revisions[0].id) for p in proposals]
    session.close()
    engine = db.database(app).engine
    migrate.downgrade(engine, "0008")
    typed = [
        ("第 12 次地方創生會報工作會議", date(2026, 10, 20)),
        ("第 12 次地方創生會報工作會議", date(2026, 10, 20)),  # the same meeting again
        ("第 12 次地方創生會報工作會議", date(2026, 12, 1)),  # number taken: kept without one
        ("第３次地方創生會報", date(2026, 11, 5)),  # full-width digit
        ("地方創生會報臨時會議", date(2026, 11, 5)),  # no number in the text
    ]
    with engine.begin() as connection:
        for n, ((proposal_id, revision_id), (meeting, decided_on)) in enumerate(zip(revisions, typed, strict=True)):
            connection.execute(
                text(
                    "INSERT INTO decision (id, proposal_id, revision_id, outcome, reasons, meeting, decided_on,"
                    " private_investment, decided_by_id, created_at)"
                    " VALUES (:id, :p, :r, 'approve', '', :m, :d, 0, :a, :c)"
                ),
                {"id": n + 1, "p": proposal_id, "r": revision_id, "m": meeting, "d": decided_on, "a": admin.id}
                | {"c": "2026-11-30 01:00:00"},
            )
        connection.execute(
            text(
                "INSERT INTO matched_resource (id, decision_id, programme, ministry, amount, year)"
                " VALUES (1, 1, '地方創生青年培力工作站', '國家發展委員會', 1200, 2027)"
            )
        )

    migrate.upgrade(engine)

    assert meeting_rows(session) == [
        ("working", 12, date(2026, 10, 20), "第 12 次地方創生會報工作會議", ""),
        ("council", None, date(2026, 11, 5), "地方創生會報臨時會議", ""),
        ("council", 3, date(2026, 11, 5), "第３次地方創生會報", ""),
        ("working", None, date(2026, 12, 1), "第 12 次地方創生會報工作會議", ""),
    ]
    ids = {m.name + m.held_on.isoformat(): m.id for m in session.scalars(select(Meeting))}
    decisions = session.scalars(select(Decision).order_by(Decision.id))
    assert [(d.meeting_id, d.meeting, d.decided_on, [r.amount for r in d.resources]) for d in decisions] == [
        (ids[meeting + decided_on.isoformat()], meeting, decided_on, [1200] if n == 0 else [])
        for n, (meeting, decided_on) in enumerate(typed)
    ]


# --- the showcase ----------------------------------------------------------------------------


def test_showcase_case_page_names_the_meeting_that_approved_it(world: Round, session: Session, tmp_path: Path) -> None:
    proposal = screened_proposal(world)
    world.decide(proposal, {"outcome": "approve", "reasons": "三高且跨領域"})
    operations.apply_transition(session, world.fresh(proposal), Action.PUBLISH, world.admin)
    publish.write_case(session, world.fresh(proposal), tmp_path / "proposals")
    session.commit()
    site = create_showcase_app({"PROPOSALS_DIR": str(tmp_path / "proposals")})
    slug = f"puli-township-{proposal.id}"

    page = site.test_client().get(f"/cases/{slug}/").get_data(as_text=True)

    footer = re.search(r'<footer class="hint">(.*?)</footer>', page, re.S)
    assert footer is not None
    assert visible_text(footer.group(1)).split("・")[0] == f"核定：{MEETING}（{TODAY.isoformat()}）"
