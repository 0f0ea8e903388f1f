"""Cross-county plans: partner counties see the case, co-sign it (同意參與) and may withdraw
until it is forwarded; the lead county cannot forward before every partner agreed."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import cosign, db, listing, notifications, operations
from portal.db.models import AuditEvent, CoSignature, OutboxMessage, Proposal, User
from portal.domain import cosign as rules
from portal.domain import permissions as perm
from portal.domain.errors import DomainError, PermissionDenied
from portal.domain.proposal import ProposalType
from portal.domain.roles import Role
from portal.domain.states import State
from portal.domain.workflow import Action
from tests.conftest import GUOXING, NANTOU, PULI, TAITUNG, Auth, Factory

# 臺中市和平區 borders 南投縣; 嘉義縣阿里山鄉 borders it too.
HEPING, TAICHUNG = "66000290", "66000"
YUCHI = "10008090"  # 南投縣魚池鄉
ALISHAN, CHIAYI = "10010180", "10010"
MISSING_TAICHUNG = "還需要臺中市同意參與，才能轉送國發會。請聯繫尚未同意的縣市政府。"


@dataclass
class Plan:
    proposal: Proposal
    township: User
    lead_county: User
    partner: User
    outsider: User
    admin: User


@pytest.fixture
def plan(make: Factory, session: Session) -> Plan:
    """A regional plan led by 埔里鎮 (南投縣) with 國姓鄉 and 臺中市和平區, submitted as v1."""
    township = make.user(Role.TOWNSHIP, township=PULI)
    people = {
        "lead_county": make.user(Role.COUNTY, county=NANTOU, name="南投縣窗口"),
        "partner": make.user(Role.COUNTY, county=TAICHUNG, name="臺中市窗口"),
        "outsider": make.user(Role.COUNTY, county=TAITUNG),
        "admin": make.user(Role.ADMIN),
    }
    proposal = make.proposal(
        township, title="埔里和平山城共好計畫", proposal_type=ProposalType.REGIONAL, participating=[GUOXING, HEPING]
    )
    operations.apply_transition(session, proposal, Action.SUBMIT, township)
    session.commit()
    return Plan(proposal=proposal, township=township, **people)


def test_partners_since_is_the_first_revision_with_todays_partners() -> None:
    revisions = [(1, {GUOXING, HEPING}), (2, {GUOXING}), (3, {GUOXING, HEPING}), (4, {HEPING, GUOXING})]

    assert [rules.partners_since(revisions[:n]) for n in range(5)] == [0, 1, 2, 3, 3]


def test_partner_counties_leave_out_the_leads_own() -> None:
    assert rules.partner_counties(NANTOU, [GUOXING, HEPING, ALISHAN, "66000010"]) == {TAICHUNG, CHIAYI}


def test_standing_agreements_ignore_withdrawn_and_older_partner_sets() -> None:
    signatures = [
        rules.Signature(TAICHUNG, 1),
        rules.Signature(CHIAYI, 2, withdrawn=True),
        rules.Signature(TAITUNG, 3),
    ]

    assert rules.standing(signatures, since=2) == {TAITUNG}


def test_every_county_involved_sees_the_submitted_plan_and_sql_agrees(plan: Plan, session: Session) -> None:
    # A second cross-county draft, never submitted: it stays with its authors.
    unsubmitted = operations.create_proposal(
        session,
        plan.township,
        cycle="2026",
        proposal_type=ProposalType.REGIONAL,
        lead_township_code=PULI,
        participating_codes=[HEPING],
    )
    session.commit()
    ids = {plan.proposal.id, unsubmitted.id}
    seen = {}
    for user in (plan.lead_county, plan.partner, plan.outsider):
        by_rule = {p.id for p in (plan.proposal, unsubmitted) if perm.can_view(user, p)}
        by_sql = set(
            session.scalars(select(Proposal.id).where(listing.visible_condition(session, user), Proposal.id.in_(ids)))
        )
        assert by_sql == by_rule
        seen[user.county_code] = by_rule

    assert seen == {NANTOU: {plan.proposal.id}, TAICHUNG: {plan.proposal.id}, TAITUNG: set()}


def test_submitting_tells_the_partner_county_what_to_do(plan: Plan, session: Session) -> None:
    told = session.execute(
        select(OutboxMessage.recipient_id, OutboxMessage.event, OutboxMessage.body)
        .where(OutboxMessage.proposal_id == plan.proposal.id)
        .order_by(OutboxMessage.recipient_id)
    )

    lines = [
        "提案：埔里和平山城共好計畫（南投縣埔里鎮）",
        f"動作：送出提案，由 {plan.township.name}（鄉鎮市區公所承辦人）執行",
        "目前狀態：已送出（待縣市審閱）",
    ]
    assert [tuple(row) for row in told] == [
        (plan.lead_county.id, "submit", "\n".join(lines)),
        (plan.partner.id, "submit", "\n".join([*lines, notifications.PARTNER_NOTE])),
    ]


def test_forward_is_refused_naming_the_counties_still_missing(plan: Plan, session: Session) -> None:
    with pytest.raises(DomainError) as refused:
        operations.apply_transition(session, plan.proposal, Action.FORWARD, plan.lead_county)
    session.rollback()

    assert (str(refused.value), session.get(Proposal, plan.proposal.id).status) == (  # type: ignore[union-attr]
        MISSING_TAICHUNG,
        State.SUBMITTED.value,
    )


def test_forward_refusal_names_every_missing_county_in_code_order(make: Factory, session: Session) -> None:
    county = make.user(Role.COUNTY, county=NANTOU)
    proposal = make.proposal(
        county, proposal_type=ProposalType.THEMATIC, participating=[HEPING, ALISHAN, GUOXING], title="山城茶路"
    )
    operations.apply_transition(session, proposal, Action.SUBMIT, county)

    with pytest.raises(DomainError) as refused:
        operations.apply_transition(session, proposal, Action.FORWARD, county)

    assert str(refused.value) == "還需要嘉義縣、臺中市同意參與，才能轉送國發會。請聯繫尚未同意的縣市政府。"


def test_cosigning_records_who_and_when_and_lets_the_lead_forward(plan: Plan, session: Session) -> None:
    signature = cosign.sign(session, plan.proposal, plan.partner)
    session.commit()
    operations.apply_transition(session, plan.proposal, Action.FORWARD, plan.lead_county)
    session.commit()

    events = session.execute(
        select(AuditEvent.action, AuditEvent.actor_id, AuditEvent.reason).where(
            AuditEvent.proposal_id == plan.proposal.id, AuditEvent.action == "cosign"
        )
    )
    told = session.scalars(
        select(OutboxMessage.recipient_id).where(OutboxMessage.event == "cosign").order_by(OutboxMessage.recipient_id)
    )
    assert (signature.county_code, signature.signed_by_id, signature.revision.number, signature.withdrawn_at) == (
        TAICHUNG,
        plan.partner.id,
        1,
        None,
    )
    assert [tuple(e) for e in events] == [("cosign", plan.partner.id, "臺中市同意參與 v1")]
    assert list(told) == [plan.township.id, plan.lead_county.id]
    assert plan.proposal.status == State.FORWARDED.value


def test_only_a_partner_county_cosigns(plan: Plan, session: Session) -> None:
    refusals = []
    for user in (plan.lead_county, plan.outsider, plan.township, plan.admin):
        with pytest.raises(PermissionDenied) as refused:
            cosign.sign(session, plan.proposal, user)
        session.rollback()
        refusals.append(str(refused.value))

    assert refusals == ["只有合作鄉鎮市區所在的其他縣市政府可以同意參與。"] * 4
    assert session.scalars(select(CoSignature)).all() == []


def test_cosigning_twice_is_refused(plan: Plan, session: Session) -> None:
    cosign.sign(session, plan.proposal, plan.partner)
    session.commit()

    with pytest.raises(DomainError) as refused:
        cosign.sign(session, plan.proposal, plan.partner)

    assert str(refused.value) == "貴縣市已同意參與這件提案的 v1，不必再同意一次。"


def test_withdrawn_agreement_blocks_the_forward_again(plan: Plan, session: Session) -> None:
    cosign.sign(session, plan.proposal, plan.partner)
    session.commit()

    cosign.withdraw(session, plan.proposal, plan.partner, "議會尚未同意配合款")
    session.commit()

    row = session.scalars(select(CoSignature)).one()
    assert (row.withdrawn_by_id, row.withdrawn_at is not None) == (plan.partner.id, True)
    reasons = session.scalars(
        select(AuditEvent.reason).where(
            AuditEvent.action == "cosign_withdraw", AuditEvent.proposal_id == plan.proposal.id
        )
    )
    assert list(reasons) == ["臺中市：議會尚未同意配合款"]
    with pytest.raises(DomainError) as refused:
        operations.apply_transition(session, plan.proposal, Action.FORWARD, plan.lead_county)
    assert str(refused.value) == MISSING_TAICHUNG


def test_withdrawal_needs_a_reason_and_ends_at_the_forward(plan: Plan, session: Session) -> None:
    cosign.sign(session, plan.proposal, plan.partner)
    with pytest.raises(DomainError) as no_reason:
        cosign.withdraw(session, plan.proposal, plan.partner, "  ")
    operations.apply_transition(session, plan.proposal, Action.FORWARD, plan.lead_county)
    session.commit()

    with pytest.raises(DomainError) as too_late:
        cosign.withdraw(session, plan.proposal, plan.partner, "改變心意")

    assert (str(no_reason.value), str(too_late.value)) == (
        "撤回同意參與需要填寫理由。",
        "提案目前為「縣市已轉送國發會」，只有已送出、尚未轉送國發會的提案可以撤回同意參與。",
    )


def _return_and_revise(plan: Plan, session: Session) -> None:
    operations.apply_transition(session, plan.proposal, Action.RETURN, plan.lead_county, "請補充經費")
    operations.apply_transition(session, plan.proposal, Action.REVISE, plan.township)


def test_resubmission_with_the_same_partners_keeps_the_agreement(plan: Plan, session: Session) -> None:
    cosign.sign(session, plan.proposal, plan.partner)
    _return_and_revise(plan, session)
    operations.apply_transition(session, plan.proposal, Action.SUBMIT, plan.township)

    operations.apply_transition(session, plan.proposal, Action.FORWARD, plan.lead_county)

    assert (plan.proposal.revision_count, plan.proposal.status) == (2, State.FORWARDED.value)


def test_resubmission_that_changes_the_partners_asks_again(plan: Plan, session: Session) -> None:
    cosign.sign(session, plan.proposal, plan.partner)
    _return_and_revise(plan, session)
    operations.set_participants(session, plan.proposal, [YUCHI, HEPING])  # 魚池鄉 replaces 國姓鄉
    operations.apply_transition(session, plan.proposal, Action.SUBMIT, plan.township)
    session.commit()

    with pytest.raises(DomainError) as refused:
        operations.apply_transition(session, plan.proposal, Action.FORWARD, plan.lead_county)
    session.rollback()
    cosign.sign(session, plan.proposal, plan.partner)
    operations.apply_transition(session, plan.proposal, Action.FORWARD, plan.lead_county)

    assert (str(refused.value), plan.proposal.status) == (MISSING_TAICHUNG, State.FORWARDED.value)
    assert [s.revision.number for s in session.scalars(select(CoSignature).order_by(CoSignature.id))] == [1, 2]


def test_plan_within_one_county_needs_no_cosignature(make: Factory, session: Session) -> None:
    township = make.user(Role.TOWNSHIP, township=PULI)
    county = make.user(Role.COUNTY, county=NANTOU)
    proposal = make.proposal(township, proposal_type=ProposalType.REGIONAL, participating=[GUOXING, YUCHI])
    operations.apply_transition(session, proposal, Action.SUBMIT, township)

    operations.apply_transition(session, proposal, Action.FORWARD, county)

    assert (cosign.partners(session, proposal), proposal.status) == ([], State.FORWARDED.value)


def test_partner_county_cosigns_and_withdraws_from_the_proposal_page(
    plan: Plan, client: FlaskClient, auth: Auth, session: Session
) -> None:
    auth.login(plan.partner.email)
    page = client.get(f"/proposals/{plan.proposal.id}").get_data(as_text=True)
    assert "臺中市：<strong>尚未同意</strong>" in page

    signed = client.post(f"/proposals/{plan.proposal.id}/cosign", data={"csrf_token": auth.csrf("/")})
    after = client.get(signed.location).get_data(as_text=True)
    no_reason = client.post(
        f"/proposals/{plan.proposal.id}/cosign/withdraw", data={"csrf_token": auth.csrf("/"), "reason": ""}
    )
    refused = client.get(no_reason.location).get_data(as_text=True)

    assert "已同意參與這件跨縣市提案。" in after
    assert "臺中市：已同意參與（臺中市窗口，" in after
    assert "請填寫撤回同意參與的理由，會通知主提案縣市。" in refused
    assert session.scalar(select(CoSignature.county_code)) == TAICHUNG


def test_brief_lists_the_counties_of_a_cross_county_plan(plan: Plan, client: FlaskClient, auth: Auth) -> None:
    auth.login(plan.partner.email)

    page = client.get(f"/proposals/{plan.proposal.id}/brief").get_data(as_text=True)

    assert "南投縣埔里鎮（合作：國姓鄉、臺中市和平區）・跨縣市：南投縣、臺中市・" in page


def test_partner_county_list_marks_the_plan_as_another_countys(plan: Plan, client: FlaskClient, auth: Auth) -> None:
    marked = {}
    for user in (plan.partner, plan.lead_county):
        auth.login(user.email)
        marked[user.county_code] = "跨縣市・本縣市合作" in client.get("/").get_data(as_text=True)
        auth.logout()

    assert marked == {TAICHUNG: True, NANTOU: False}


def test_forward_from_a_page_opened_before_a_co_signature_is_refused_as_stale(
    plan: Plan, app: Flask, session: Session
) -> None:
    # The lead county's copy was read before 臺中市 agreed in another session.
    stale = plan.proposal
    with db.database(app).session() as other:
        current, partner = other.get(Proposal, stale.id), other.get(User, plan.partner.id)
        assert current is not None and partner is not None
        cosign.sign(other, current, partner)
        other.commit()

    with pytest.raises(operations.StaleRecord):
        operations.apply_transition(session, stale, Action.FORWARD, plan.lead_county)
    session.rollback()

    assert session.get(Proposal, stale.id).status == State.SUBMITTED.value  # type: ignore[union-attr]
