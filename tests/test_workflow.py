"""Every allowed and every illegal workflow move, with its audit event and notifications."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import operations
from portal.db.models import (
    AuditEvent,
    ImmutableRecordError,
    OutboxMessage,
    Proposal,
    Review,
    ReviewAssignment,
    Revision,
    User,
)
from portal.domain.errors import DomainError, IllegalTransition, PermissionDenied
from portal.domain.proposal import ProposalType
from portal.domain.roles import Role
from portal.domain.states import State
from portal.domain.workflow import Action
from tests.conftest import DAREN, NANTOU, PULI, TAITUNG, Auth, Factory

S, A = State, Action
OPEN = [S.DRAFT, S.SUBMITTED, S.RETURNED, S.FORWARDED, S.IN_REVIEW, S.REVISION_REQUESTED]

# DESIGN.md §5, written out by hand so that a change to the table must change this too.
ALLOWED: dict[tuple[State, Action], State] = {
    (S.DRAFT, A.SUBMIT): S.SUBMITTED,
    (S.SUBMITTED, A.FORWARD): S.FORWARDED,
    (S.SUBMITTED, A.RETURN): S.RETURNED,
    (S.FORWARDED, A.ASSIGN): S.IN_REVIEW,
    (S.IN_REVIEW, A.APPROVE): S.APPROVED,
    (S.IN_REVIEW, A.REQUEST_REVISION): S.REVISION_REQUESTED,
    (S.IN_REVIEW, A.REJECT): S.NOT_APPROVED,
    (S.RETURNED, A.REVISE): S.DRAFT,
    (S.REVISION_REQUESTED, A.REVISE): S.DRAFT,
    (S.APPROVED, A.PUBLISH): S.PUBLISHED,
    (S.PUBLISHED, A.UNPUBLISH): S.APPROVED,
} | {(state, A.WITHDRAW): S.WITHDRAWN for state in OPEN}

ILLEGAL = [pair for pair in itertools.product(State, Action) if pair not in ALLOWED]

COUNTY_MOVES = {A.FORWARD, A.RETURN}
ADMIN_MOVES = {A.ASSIGN, A.APPROVE, A.REQUEST_REVISION, A.REJECT, A.PUBLISH, A.UNPUBLISH}
REASON = "資源需求表缺少年度分配，請補充。"


class World:
    """One township, its county, two reviewers, an admin and a proposal to move."""

    def __init__(self, make: Factory, session: Session) -> None:
        self.session = session
        self.township = make.user(Role.TOWNSHIP, township=PULI)
        self.county = make.user(Role.COUNTY, county=NANTOU)
        self.reviewer = make.user(Role.REVIEWER)
        self.admin = make.user(Role.ADMIN)
        self.outsider_township = make.user(Role.TOWNSHIP, township=DAREN)
        self.outsider_county = make.user(Role.COUNTY, county=TAITUNG)
        self.proposal = make.proposal(self.township)
        self.proposal.assignments.append(ReviewAssignment(reviewer_id=self.reviewer.id))
        session.commit()

    def put(self, state: State) -> Proposal:
        """Arrange: place the proposal in `state` as if it had got there: beyond draft it
        has a submitted revision v1, and from review on the reviewer has scored it."""
        self.proposal.status = state.value
        if state != S.DRAFT and not self.proposal.revisions:
            revision = Revision(
                proposal_id=self.proposal.id,
                number=1,
                title=self.proposal.title,
                content=self.proposal.content,
                created_by_id=self.township.id,
            )
            self.session.add(revision)
            self.session.flush()
            self.session.refresh(self.proposal)
            self.session.add(
                Review(
                    proposal_id=self.proposal.id,
                    revision_id=revision.id,
                    reviewer_id=self.reviewer.id,
                    rubric_version="test",
                    scores={"feasibility": 4},
                    cross_domain=True,
                    cross_ministry=True,
                    confidence=2,
                )
            )
        self.proposal.revision_count = 0 if state == S.DRAFT else 1
        self.session.commit()
        return self.proposal

    def actor(self, action: Action) -> User:
        if action in COUNTY_MOVES:
            return self.county
        if action in ADMIN_MOVES:
            return self.admin
        return self.township


@pytest.fixture
def world(make: Factory, session: Session) -> World:
    return World(make, session)


def events(session: Session, proposal: Proposal) -> list[tuple[str, str | None, str | None, str]]:
    rows = session.scalars(select(AuditEvent).where(AuditEvent.proposal_id == proposal.id).order_by(AuditEvent.id))
    return [(e.action, e.from_state, e.to_state, e.reason) for e in rows]


@pytest.mark.parametrize(("source", "action"), list(ALLOWED), ids=lambda v: str(v))
def test_allowed_transition_moves_and_audits(world: World, session: Session, source: State, action: Action) -> None:
    proposal = world.put(source)
    actor = world.actor(action)
    before = datetime.now(UTC)

    operations.apply_transition(session, proposal, action, actor, REASON)
    session.commit()

    last = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert last is not None
    assert proposal.status == ALLOWED[(source, action)]
    assert (last.action, last.actor_id, last.from_state, last.to_state, last.reason) == (
        action.value,
        actor.id,
        source.value,
        ALLOWED[(source, action)].value,
        REASON,
    )
    assert before <= last.at <= datetime.now(UTC) and last.at.tzinfo == UTC


@pytest.mark.parametrize(("source", "action"), ILLEGAL, ids=lambda v: str(v))
def test_illegal_transition_raises_and_writes_nothing(
    world: World, session: Session, source: State, action: Action
) -> None:
    proposal = world.put(source)
    before = events(session, proposal)

    with pytest.raises((IllegalTransition, PermissionDenied)):
        operations.apply_transition(session, proposal, action, world.actor(action), REASON)
    session.rollback()

    assert (session.get(Proposal, proposal.id).status, events(session, proposal)) == (  # type: ignore[union-attr]
        source.value,
        before,
    )


def test_illegal_transition_message_names_state_and_move(world: World, session: Session) -> None:
    proposal = world.put(S.SUBMITTED)

    with pytest.raises(IllegalTransition) as caught:
        operations.apply_transition(session, proposal, A.APPROVE, world.admin)

    assert str(caught.value) == "提案目前為「已送出（待縣市審閱）」，不能執行「核定」。"


@pytest.mark.parametrize(
    ("state", "action", "actor"),
    [
        (S.DRAFT, A.SUBMIT, "outsider_township"),  # another township's draft
        (S.SUBMITTED, A.FORWARD, "outsider_county"),  # another county
        (S.SUBMITTED, A.FORWARD, "township"),  # the township cannot forward itself
        (S.IN_REVIEW, A.APPROVE, "reviewer"),  # reviewers score; the NDC decides
        (S.IN_REVIEW, A.APPROVE, "county"),
        (S.FORWARDED, A.WITHDRAW, "county"),  # only authors or the NDC withdraw
    ],
)
def test_transition_by_wrong_actor_is_denied(
    world: World, session: Session, state: State, action: Action, actor: str
) -> None:
    proposal = world.put(state)

    with pytest.raises(PermissionDenied):
        operations.apply_transition(session, proposal, action, getattr(world, actor), REASON)
    session.rollback()

    assert session.get(Proposal, proposal.id).status == state.value  # type: ignore[union-attr]


@pytest.mark.parametrize("action", [A.RETURN, A.REQUEST_REVISION, A.REJECT, A.WITHDRAW, A.UNPUBLISH])
def test_moves_that_need_a_reason_refuse_blank(world: World, session: Session, action: Action) -> None:
    source = next(s for (s, a) in ALLOWED if a == action)
    proposal = world.put(source)

    with pytest.raises(DomainError) as caught:
        operations.apply_transition(session, proposal, action, world.actor(action), "   ")

    assert str(caught.value) == f"「{action.label}」需要填寫理由。"


def test_submit_freezes_numbered_revisions(world: World, session: Session) -> None:
    proposal = world.put(S.DRAFT)
    first = proposal.content
    operations.apply_transition(session, proposal, A.SUBMIT, world.township)
    operations.apply_transition(session, proposal, A.RETURN, world.county, REASON)
    operations.apply_transition(session, proposal, A.REVISE, world.township)
    second = {**first, "kpis": [{**first["kpis"][0], "indicator": "觀光旅遊人次"}]}
    proposal.content = second
    operations.apply_transition(session, proposal, A.SUBMIT, world.township)
    session.commit()

    revisions = session.scalars(select(Revision).where(Revision.proposal_id == proposal.id).order_by(Revision.number))
    assert [(r.label, r.content) for r in revisions] == [("v1", first), ("v2", second)]
    assert proposal.revision_count == 2


def test_submit_refused_while_check_finds_problems(world: World, session: Session) -> None:
    proposal = world.put(S.DRAFT)
    proposal.content = {**proposal.content, "kpis": []}

    with pytest.raises(operations.IncompleteProposal) as caught:
        operations.apply_transition(session, proposal, A.SUBMIT, world.township)
    session.rollback()

    assert [(p.section, p.message) for p in caught.value.problems] == [("kpis", "至少需要 1 項KPI")]
    assert session.get(Proposal, proposal.id).status == "draft"  # type: ignore[union-attr]


def test_revision_and_audit_event_cannot_be_changed(world: World, session: Session) -> None:
    proposal = world.put(S.DRAFT)
    operations.apply_transition(session, proposal, A.SUBMIT, world.township)
    session.commit()
    revision = proposal.revisions[0]
    event = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert event is not None

    revision.title = "改過的標題"
    with pytest.raises(ImmutableRecordError):
        session.flush()
    session.rollback()
    session.delete(event)
    with pytest.raises(ImmutableRecordError):
        session.flush()


@pytest.mark.parametrize(
    ("source", "action", "recipients"),
    [
        (S.DRAFT, A.SUBMIT, {"county"}),
        (S.SUBMITTED, A.FORWARD, {"admin", "township"}),
        (S.SUBMITTED, A.RETURN, {"township"}),
        (S.FORWARDED, A.ASSIGN, {"reviewer", "township"}),
        (S.IN_REVIEW, A.APPROVE, {"township", "county", "reviewer"}),
        (S.RETURNED, A.REVISE, set()),
    ],
)
def test_transition_queues_notifications(
    world: World, session: Session, source: State, action: Action, recipients: set[str]
) -> None:
    proposal = world.put(source)

    operations.apply_transition(session, proposal, action, world.actor(action), REASON)
    session.commit()

    queued = session.scalars(select(OutboxMessage).where(OutboxMessage.event == action.value))
    expected = {getattr(world, name).id for name in recipients}
    assert {m.recipient_id for m in queued} == expected


def test_notification_text(world: World, session: Session) -> None:
    proposal = world.put(S.SUBMITTED)

    operations.apply_transition(session, proposal, A.RETURN, world.county, REASON)
    session.commit()

    message = session.scalars(select(OutboxMessage)).one()
    assert (message.subject, message.body) == (
        "【地方創生提案】埔里生態城鄉共好計畫：退回補件",
        "提案：埔里生態城鄉共好計畫（南投縣埔里鎮）\n"
        f"動作：退回補件，由 {world.county.name}（縣市政府窗口）執行\n"
        "目前狀態：縣市退回補件\n"
        f"說明：{REASON}",
    )


def test_create_records_audit_event(world: World, session: Session) -> None:
    assert events(session, world.proposal) == [("create", None, "draft", "")]


def test_township_cannot_lead_for_another_township(make: Factory, world: World) -> None:
    with pytest.raises(PermissionDenied):
        make.proposal(world.township, lead=DAREN)


def test_county_authors_regional_proposal(make: Factory, world: World, session: Session) -> None:
    proposal = make.proposal(world.county, proposal_type=ProposalType.REGIONAL, participating=["10008100", "10008130"])

    assert (proposal.author_county_code, proposal.participating_codes) == (
        NANTOU,
        {"10008100", "10008130"},
    )
    operations.apply_transition(session, proposal, A.SUBMIT, world.county)
    operations.apply_transition(session, proposal, A.FORWARD, world.county)
    assert proposal.status == S.FORWARDED


def test_unknown_participating_township_refused(make: Factory, world: World) -> None:
    with pytest.raises(DomainError) as caught:
        make.proposal(world.township, participating=["99999999"])

    assert str(caught.value) == "找不到鄉鎮市區代碼「99999999」"


# --- through HTTP -------------------------------------------------------------------------


def test_http_submit_then_illegal_move_shows_message(world: World, auth: Auth, session: Session) -> None:
    proposal = world.put(S.DRAFT)
    auth.login(world.township.email)
    path = f"/proposals/{proposal.id}"

    token = auth.csrf(path)
    submitted = auth.client.post(
        f"{path}/transition", data={"action": "submit", "csrf_token": token}, follow_redirects=True
    )
    token = auth.csrf(path)
    refused = auth.client.post(
        f"{path}/transition", data={"action": "submit", "csrf_token": token}, follow_redirects=True
    )

    session.expire_all()
    assert "已完成「送出提案」，提案目前為「已送出（待縣市審閱）」。" in submitted.get_data(as_text=True)
    assert "提案目前為「已送出（待縣市審閱）」，不能執行「送出提案」。" in refused.get_data(as_text=True)
    assert session.get(Proposal, proposal.id).revision_count == 1  # type: ignore[union-attr]


def test_http_transition_without_csrf_is_refused(world: World, auth: Auth, session: Session) -> None:
    proposal = world.put(S.DRAFT)
    auth.login(world.township.email)

    response = auth.client.post(f"/proposals/{proposal.id}/transition", data={"action": "submit"})

    session.expire_all()
    assert (response.status_code, session.get(Proposal, proposal.id).status) == (400, "draft")  # type: ignore[union-attr]


def test_http_other_township_gets_404(world: World, auth: Auth) -> None:
    proposal = world.put(S.SUBMITTED)
    auth.login(world.outsider_township.email)

    page = auth.client.get(f"/proposals/{proposal.id}")

    assert page.status_code == 404
    assert proposal.title not in page.get_data(as_text=True)


def test_generic_transition_route_refuses_decisions(world: World, auth: Auth, session: Session) -> None:
    proposal = world.put(S.IN_REVIEW)
    auth.login(world.admin.email)
    path = f"/proposals/{proposal.id}"

    token = auth.csrf(path)
    page = auth.client.post(
        f"{path}/transition", data={"action": "approve", "csrf_token": token}, follow_redirects=True
    )

    session.expire_all()
    assert "請使用分派委員或做成決定的頁面。" in page.get_data(as_text=True)
    assert session.get(Proposal, proposal.id).status == "in_review"  # type: ignore[union-attr]


def test_http_assign_adds_reviewers_and_moves(world: World, auth: Auth, session: Session, make: Factory) -> None:
    second = make.user(Role.REVIEWER)
    proposal = world.put(S.FORWARDED)
    auth.login(world.admin.email)
    path = f"/review/manage/{proposal.id}/assign"

    token = auth.csrf(path)
    auth.client.post(path, data={"reviewers": [str(second.id)], "csrf_token": token})

    session.expire_all()
    fresh = session.get(Proposal, proposal.id)
    assert fresh is not None
    assert (fresh.status, fresh.reviewer_ids) == ("in_review", {world.reviewer.id, second.id})


def test_withdraw_reason_is_kept_and_time_is_utc(world: World, session: Session) -> None:
    proposal = world.put(S.FORWARDED)

    operations.apply_transition(session, proposal, A.WITHDRAW, world.township, "  合作單位退出  ")
    session.commit()

    event = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert event is not None
    assert event.reason == "合作單位退出"
    assert abs(event.at - datetime.now(UTC)) < timedelta(minutes=1)


@pytest.mark.parametrize("action", [A.APPROVE, A.REQUEST_REVISION, A.REJECT])
def test_decision_refused_without_reviews(make: Factory, world: World, session: Session, action: Action) -> None:
    unreviewed = make.proposal(world.township, title="沒有評分的案子")
    unreviewed.status = S.IN_REVIEW.value
    session.commit()

    with pytest.raises(DomainError) as caught:
        operations.apply_transition(session, unreviewed, action, world.admin, REASON)
    session.rollback()

    assert str(caught.value) == "這件提案目前的版本還沒有任何委員評分，不能做成決定。"
    assert session.get(Proposal, unreviewed.id).status == "in_review"  # type: ignore[union-attr]
