"""Demo data: one account per role and realistic proposals at every workflow stage.

The proposals in `proposals.yaml` are written for real townships; none is marked as a
priority area. Each is walked to its stage through the real workflow, so the audit
log and notifications look as they would in use.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import accounts, cosign, matching, meetings, operations, publish, review, text
from portal.db.models import MatchOffer, Meeting, Proposal, Round, Township, User, utcnow
from portal.demo import followup
from portal.domain.meetings import MeetingKind
from portal.domain.proposal import ProposalType, empty_document
from portal.domain.roles import Role
from portal.domain.rounds import FIELDS as ROUND_FIELDS
from portal.domain.rounds import RoundDates
from portal.domain.scoring import Rubric
from portal.domain.states import State
from portal.domain.workflow import Action

DEMO_DOMAIN = "demo.example.org"
# Letters and digits without look-alikes (0/O, 1/l/I), so printed passwords type cleanly.
PASSWORD_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"

# The moves that bring a new draft to each stage, and who makes each move.
PATHS: dict[str, list[Action]] = {
    "draft": [],
    "submitted": [Action.SUBMIT],
    "returned": [Action.SUBMIT, Action.RETURN],
    "forwarded": [Action.SUBMIT, Action.FORWARD],
    "in_review": [Action.SUBMIT, Action.FORWARD, Action.ASSIGN],
    "revision_requested": [Action.SUBMIT, Action.FORWARD, Action.ASSIGN, Action.REQUEST_REVISION],
    "approved": [Action.SUBMIT, Action.FORWARD, Action.ASSIGN, Action.APPROVE],
    "not_approved": [Action.SUBMIT, Action.FORWARD, Action.ASSIGN, Action.REJECT],
    "published": [Action.SUBMIT, Action.FORWARD, Action.ASSIGN, Action.APPROVE, Action.PUBLISH],
    # Asked to revise, and the township is now working on version 2.
    "revising": [Action.SUBMIT, Action.FORWARD, Action.ASSIGN, Action.REQUEST_REVISION, Action.REVISE],
}
COUNTY_MOVES = {Action.FORWARD, Action.RETURN}
ADMIN_MOVES = {
    Action.ASSIGN,
    Action.APPROVE,
    Action.REQUEST_REVISION,
    Action.REJECT,
    Action.PUBLISH,
}


@dataclass
class Login:
    email: str
    password: str
    role: Role
    scope: str


def demo_cases() -> list[dict[str, Any]]:
    text = resources.files("portal.demo").joinpath("proposals.yaml").read_text("utf-8")
    cases: list[dict[str, Any]] = yaml.load(text, Loader=followup.YAML_LOADER)
    return cases


def _account(session: Session, logins: list[Login], email: str, name: str, role: Role, **scope: Any) -> User:
    """Create the demo account if missing and give it a fresh random password, once per
    run (hashing a password takes tens of milliseconds by design, and most accounts
    are met once for each of their cases)."""
    user = session.scalar(select(User).where(User.email == email))
    if user is not None and any(login.email == email for login in logins):
        return user
    if user is None:
        user = accounts.create_user(session, email=email, name=name, role=role, **scope)
    password = "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(12))
    user.password_hash = accounts.hash_password(password)
    user.active = True
    logins.append(Login(email, password, role, user.scope_label))
    return user


def load(
    session: Session, rubric: Rubric, cycle_default: str = "2026", proposals_dir: Path | None = None
) -> list[Login]:
    """Create demo accounts and proposals; safe to run again (accounts get new passwords,
    proposals that exist already are left as they are). With `proposals_dir`, the
    published demo cases are written there as `publish` would."""
    logins: list[Login] = []
    admin = _account(session, logins, f"admin@{DEMO_DOMAIN}", "林秘書（國發會）", Role.ADMIN)
    reviewers = [
        _account(session, logins, f"reviewer{n}@{DEMO_DOMAIN}", name, Role.REVIEWER, affiliation=org)
        for n, (name, org) in enumerate(
            [
                ("陳委員", "國立暨南國際大學"),
                ("黃委員", "地方創生輔導團（中區）"),
                ("張委員", "社會企業顧問"),
            ],
            start=1,
        )
    ]
    # 暨南國際大學 is in 南投縣埔里鎮: its professor never reviews Nantou's proposals.
    review.add_conflict(session, reviewers[0], "county", "10008", "任職於南投縣埔里鎮的大學", admin)
    # A ministry (部會) that offers its programmes to the screened cases before approval.
    _account(session, logins, f"ministry@{DEMO_DOMAIN}", "吳承辦（中小及新創企業署）", Role.MINISTRY, ministry=MINISTRY)
    open_round = _demo_rounds(session, admin, cycle_default)
    followup.report_rounds(session, admin)
    cases = demo_cases()
    for case in cases:
        lead = session.get(Township, case["lead_township"])
        if lead is None:
            raise ValueError(f"demo case {case['slug']}: unknown township {case['lead_township']}")
        township_user = _account(
            session,
            logins,
            f"township-{lead.code}@{DEMO_DOMAIN}",
            f"{lead.name_zh}公所承辦人",
            Role.TOWNSHIP,
            township_code=lead.code,
        )
        county_user = _account(
            session,
            logins,
            f"county-{lead.county_code}@{DEMO_DOMAIN}",
            f"{lead.county.name_zh}政府承辦人",
            Role.COUNTY,
            county_code=lead.county_code,
        )
        # A cross-county case is co-signed by each partner county's account before it is forwarded.
        partners = session.scalars(select(Township).where(Township.code.in_(case.get("participating", []))))
        for county in sorted({t.county for t in partners} - {lead.county}, key=lambda c: c.code):
            _account(
                session,
                logins,
                f"county-{county.code}@{DEMO_DOMAIN}",
                f"{county.name_zh}政府承辦人",
                Role.COUNTY,
                county_code=county.code,
            )
        exists = session.scalar(
            select(Proposal).where(Proposal.title == case["title"], Proposal.lead_township_code == lead.code)
        )
        if exists is None:
            author = county_user if case["type"] == ProposalType.THEMATIC else township_user
            proposal = _walk(session, case, cycle_default, author, county_user, admin, rubric)
            # Walked outside any round (a demo does a year's work in a day), then filed:
            # decided cases under the closed round of their own cycle, the rest under the
            # open one.
            decided = case["stage"] in DECIDED_STAGES
            proposal.round = _closed_round(session, proposal.cycle) if decided else open_round
            if proposal.state in (State.APPROVED, State.PUBLISHED):
                followup.follow(session, proposal, case["slug"], admin)
            if proposal.state == State.PUBLISHED and proposals_dir is not None:
                publish.write_case(session, proposal, proposals_dir)
    session.flush()
    return _unique(logins)


DECIDED_STAGES = {"approved", "published", "not_approved", "revision_requested", "revising"}


def _demo_rounds(session: Session, admin: User, cycle: str) -> Round:
    """The first round of `cycle`, closed, and one open today for 30 more days, which
    is returned."""
    closed = _closed_round(session, cycle)
    today = operations.taiwan_today()
    open_name = f"{today.year - 1911}年度第{2 if today.year == int(cycle) else 1}梯次"
    opens = max(today - timedelta(days=14), closed.submission_closes + timedelta(days=1))
    current = session.scalar(select(Round).where(Round.name == open_name)) or _add_round(
        session,
        open_name,
        str(today.year),
        RoundDates(opens, today + timedelta(days=30), today + timedelta(days=45), today + timedelta(days=120)),
    )
    return current


def _closed_round(session: Session, cycle: str) -> Round:
    """The first round of `cycle` (「113年度第1梯次」 for 2024), made once: submissions
    from 1 March to 30 June of that year, forwarding until 31 July, the year-end report
    due 31 December. Each year's window lies inside its own year, so no two overlap."""
    year = int(cycle)
    name = f"{year - 1911}年度第1梯次"
    found = session.scalar(select(Round).where(Round.name == name))
    return found or _add_round(
        session,
        name,
        cycle,
        RoundDates(date(year, 3, 1), date(year, 6, 30), date(year, 7, 31), date(year, 12, 31)),
    )


def _add_round(session: Session, name: str, cycle: str, dates: RoundDates) -> Round:
    """Straight into the table: the closed round's deadlines are past, which the NDC's
    form would refuse for a new round."""
    item = Round(name=name, cycle=cycle, **{field: getattr(dates, field) for field in ROUND_FIELDS})
    session.add(item)
    session.flush()
    return item


def _unique(logins: list[Login]) -> list[Login]:
    seen: dict[str, Login] = {}
    for login in logins:
        seen[login.email] = login  # the last password set is the one that works
    return list(seen.values())


def _walk(
    session: Session,
    case: dict[str, Any],
    cycle_default: str,
    author: User,
    county: User,
    admin: User,
    rubric: Rubric,
) -> Proposal:
    proposal = operations.create_proposal(
        session,
        author,
        cycle=str(case.get("cycle", cycle_default)),
        proposal_type=ProposalType(case["type"]),
        lead_township_code=case["lead_township"],
        title=case["title"],
        participating_codes=list(case.get("participating", [])),
    )
    document = empty_document()
    for key in document:
        if key in case:
            document[key] = case[key]
    saved = utcnow().isoformat()
    filled = [key for key in document if case.get(key)]
    document["meta"] = {
        "versions": dict.fromkeys(filled, 1),
        "saved_at": dict.fromkeys(filled, saved),
        "slug": case["slug"],  # the readable slug its case file gets when published
    }
    document["html"] = text.render_fields(document, text.NARRATIVE_FIELDS)
    proposal.content = document
    note = case.get("return_note") or "請補充說明。"
    stage = case["stage"]
    for action in PATHS[stage]:
        actor = county if action in COUNTY_MOVES else admin if action in ADMIN_MOVES else author
        if action == Action.ASSIGN:
            panel = review.suggest_reviewers(session, proposal, count=2)
            review.assign(session, proposal, admin, [r.id for r in panel])
            # In review: one of two has scored (the second, so all three reviewers have
            # scored something in the round). Decided: both have.
            scorers = panel[1:] if stage == "in_review" else panel
            for reviewer in scorers:
                _score(session, proposal, reviewer, rubric, stage)
        elif action in DECISIONS:
            meeting = _demo_meeting(session, admin, action)
            if action == Action.APPROVE:
                meetings.add_to_agenda(session, meeting, proposal, admin, rubric)
            offers = _ministry_offers(session, proposal, case) if action == Action.APPROVE else []
            offered = {(o.programme.name, o.amount, o.year) for o in offers}
            decision = review.decide(
                session,
                proposal,
                admin,
                outcome=action.value,
                reasons=note if action != Action.APPROVE else "三高且跨部會，進行後續媒合。",
                meeting=meeting,
                resources=[r for r in _matched(case) if (r.programme, r.amount, r.year) not in offered]
                if action == Action.APPROVE
                else [],
                private_investment=_private(case) if action == Action.APPROVE else 0,
            )
            # The NDC confirms what the ministry offered into the approval's matched resources.
            matching.confirm(session, decision, [o.id for o in offers])
        else:
            reason = note if action == Action.RETURN else ""
            if action == Action.FORWARD:
                _cosign(session, proposal)
            operations.apply_transition(session, proposal, action, actor, reason)
    return proposal


def _cosign(session: Session, proposal: Proposal) -> None:
    """Every partner county of a cross-county case agrees to take part (同意參與)."""
    for code in sorted(proposal.partner_county_codes):
        partner = session.scalar(select(User).where(User.email == f"county-{code}@{DEMO_DOMAIN}"))
        if partner is not None:
            cosign.sign(session, proposal, partner)


# Scores per stage: approvals score high, rejections low, and the revision request
# carries a real disagreement (2 against 4 on creativity) for the ranking page to flag.
def _s(feasibility: int, creativity: int, spillover: int) -> dict[str, int]:
    return {"feasibility": feasibility, "creativity": creativity, "spillover": spillover}


STAGE_SCORES: dict[str, list[dict[str, int]]] = {
    "approved": [_s(5, 4, 4), _s(4, 4, 5)],
    "published": [_s(4, 5, 4), _s(5, 4, 4)],
    "in_review": [_s(4, 3, 4)],
    "revision_requested": [_s(3, 2, 3), _s(3, 4, 3)],
    "revising": [_s(3, 3, 2), _s(4, 3, 3)],
    "not_approved": [_s(2, 2, 1), _s(1, 2, 2)],
}
DECISIONS = {Action.APPROVE, Action.REQUEST_REVISION, Action.REJECT}


def _demo_meeting(session: Session, admin: User, action: Action) -> Meeting:
    """The demo's meetings of today, both held the day the demo runs (its proposals are all
    submitted that day, and a meeting cannot precede a submission): revision requests
    are made at the working meeting, approvals and rejections at the council."""
    kind = MeetingKind.WORKING if action == Action.REQUEST_REVISION else MeetingKind.COUNCIL
    # The council met twice before, in the years of the earlier cases (followup.yaml).
    number = 1 if kind == MeetingKind.WORKING else CURRENT_COUNCIL
    found = session.scalar(select(Meeting).where(Meeting.kind == kind.value, Meeting.number == number))
    if found is not None:
        return found
    note = "分區審議退回修正的提案" if kind == MeetingKind.WORKING else "核定與不予核定"
    return meetings.create_meeting(session, admin, kind=kind, number=number, held_on=publish.today(), note=note)


CURRENT_COUNCIL = 3


def _score(session: Session, proposal: Proposal, reviewer: User, rubric: Rubric, stage: str) -> None:
    options = STAGE_SCORES[stage]
    scores = options[len(review.current_reviews(session, proposal)) % len(options)]
    high = stage in ("approved", "published")
    review.submit_review(
        session,
        proposal,
        reviewer,
        rubric,
        review.ReviewInput(
            scores=scores,
            cross_domain=high,
            cross_ministry=high or None,
            confidence=2,
            comment_to_township="建議補充營運收支的分年估算，並說明青年團隊的長期留任方式。",
            internal_comment="（內部）主責單位的財務能力需在媒合前再確認。",
        ),
    )


def _matched(case: dict[str, Any]) -> list[review.Resource]:
    lines = case.get("resources", {}).get("lines", [])
    return [
        review.Resource(programme=line["programme"], amount=int(line["amount"]), year=int(line["year"]))
        for line in lines
        if line.get("source") == "central"
    ][:3]


# The demo ministry: its programmes among an approved case's matched lines are offered
# by its account and confirmed at the decision, the rest are matched by the NDC alone.
MINISTRY = "經濟部（中小及新創企業署）"


def _ministry_offers(session: Session, proposal: Proposal, case: dict[str, Any]) -> list[MatchOffer]:
    ministry = session.scalar(select(User).where(User.email == f"ministry@{DEMO_DOMAIN}"))
    if ministry is None:
        return []
    own = {p.name: p for p in matching.ministry_programmes(session, ministry)}
    return [
        matching.offer(
            session,
            proposal,
            ministry,
            programme_id=own[r.programme].id,
            amount=r.amount,
            year=r.year,
            note="可支應事業的研發與試營運。",
        )[0]
        for r in _matched(case)
        if r.programme in own
    ]


def _private(case: dict[str, Any]) -> int:
    return sum(
        int(line["amount"]) for line in case.get("resources", {}).get("lines", []) if line.get("source") == "private"
    )
